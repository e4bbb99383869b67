//! Interop with a Python server nobody here wrote: `sse-starlette` on `uvicorn`
//! (`tests/python/server.py`, versions pinned in `tests/python/requirements.txt`). It serves
//! a known stream with CRLF line ends in a chunked HTTP/1.1 body, and drops the connection
//! twice (once cut short, once ended cleanly); our `EventSource` and `sse-cat` must get every
//! event once, in order, resuming with `Last-Event-ID`.
//!
//! Needs the Python venv and the `sse-cat` binary (from the workspace root):
//!
//! ```text
//! tests/python/setup.sh
//! cargo build -p ssewire-examples --bin sse-cat
//! cargo test -p ssewire-tests --features interop --test python
//! ```
//!
//! Each test starts its own server; the server is killed when its test ends, passed or
//! failed (and exits by itself when its standard input closes, should the test process be
//! killed), and every wait is bounded.

#[path = "common/process.rs"]
mod process;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use process::{example_program, listening_url, run_bounded, spawn_first_line, Running};

use futures_lite::{future, StreamExt};
use serde_json::{json, Value};
use ssewire_futures::client::{self, EventSource, Update};
use ssewire_futures::rt::Smol;

/// The longest any one step may take: starting the server, a request, a whole stream.
const TIMEOUT: Duration = Duration::from_secs(20);

/// server.py's events as a client sees them: (type, data, the ID of its own block, the last
/// event ID). The first comes after `retry: 100`, an item of its own.
const EXPECTED: [(&str, &str, Option<&str>, &str); 8] = [
    ("message", "first", Some("1"), "1"),
    ("greeting", "hello", Some("2"), "2"),
    // Three `data` lines, written from "line one\nline two\r\nline three".
    ("message", "line one\nline two\nline three", Some("3"), "3"),
    // No `id` field: none of its own, the last event ID stays.
    ("message", "no id: keeps the last one", None, "3"),
    // `data:  leading…`: one space is the separator, the second is data.
    (
        "message",
        " leading space, UTF-8: h\u{e9}llo \u{2713} \u{65e5}\u{672c}",
        Some("4"),
        "4",
    ),
    // The server sends half an event (ID 99) and aborts here; resumed from ID 4. A CR ends one
    // chunk, its LF starts the next.
    ("update", "split\nacross reads", Some("5"), "5"),
    // `data: ` with nothing after it: empty data, still an event.
    ("message", "", Some("6"), "6"),
    // The server ends the response cleanly here; resumed from ID 6.
    ("done", "bye", Some("7"), "7"),
];

/// The events after which the server drops the connection, as indexes in [`EXPECTED`].
const DROPS: [usize; 2] = [4, 6];

/// The `Last-Event-ID` headers the server must have seen: none, then the IDs before the drops.
fn expected_seen() -> Value {
    json!([null, "4", "6"])
}

/// `tests/python`: the server script and its venv.
fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// `tests/python/server.py` running on a free port. Its stderr (uvicorn's log, with the
/// traceback of the planned abort) is kept and printed if the test fails.
struct Server {
    process: Running,
    stderr: Arc<Mutex<Vec<u8>>>,
    addr: SocketAddr,
}

impl Server {
    fn start() -> Server {
        let python = python_dir().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run tests/python/setup.sh",
            python.display()
        );
        let (mut process, line) = spawn_first_line(
            Command::new(&python)
                .arg(python_dir().join("server.py"))
                // The server exits when this pipe closes: it cannot outlive the test.
                .stdin(Stdio::piped())
                .stderr(Stdio::piped()),
            TIMEOUT,
        );
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = process.0.stderr.take().unwrap();
        let log = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                log.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let mut server = Server {
            process,
            stderr,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        server.addr = listening_url(&line)
            .strip_prefix("http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("server.py: unexpected first line {line:?}"));
        // It prints the line once uvicorn serves; make sure it answers.
        assert_eq!(server.seen(), json!([]));
        server
    }

    fn url(&self) -> String {
        self.url_of("/events")
    }

    fn url_of(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The `Last-Event-ID` headers of the `/events` requests so far (`null` for none).
    fn seen(&self) -> Value {
        let response = String::from_utf8(request(self.addr, "/seen")).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body:?}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.0.kill();
        let _ = self.process.0.wait();
        if thread::panicking() {
            let log = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
            eprintln!("server.py stderr:\n{}", String::from_utf8_lossy(&log));
        }
    }
}

/// A `GET` of `path` on a connection of its own, read until the server closes it (or
/// [`TIMEOUT`] passes without a byte): the raw response, head and body.
fn request(addr: SocketAddr, path: &str) -> Vec<u8> {
    request_with(addr, path, "")
}

/// [`request`] with `extra` header lines (each ending in CRLF).
fn request_with(addr: SocketAddr, path: &str, extra: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .unwrap_or_else(|error| panic!("GET {path}: {error}"));
    response
}

/// What the stream looks like on the wire: what the other tests rely on being exercised.
#[test]
fn server_sends_crlf_in_a_chunked_body_and_cuts_it_short() {
    let server = Server::start();
    let response = String::from_utf8(request(server.addr, "/events")).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(head.contains("\r\ntransfer-encoding: chunked"), "{head}");
    assert!(
        head.contains("\r\ncontent-type: text/event-stream"),
        "{head}"
    );
    // Each event in a chunk of its own, every line ended by CRLF.
    assert!(
        body.contains("\r\nid: 1\r\ndata: first\r\nretry: 100\r\n\r\n\r\n"),
        "{body:?}"
    );
    assert!(body.contains("\r\n: a comment\r\n\r\n\r\n"), "{body:?}");
    let bare = body.replace("\r\n", "");
    assert!(!bare.contains(['\r', '\n']), "a bare CR or LF: {body:?}");
    // Up to the event with ID 4 and half of the next, then closed without the last chunk
    // (`0`).
    assert!(body.contains("id: 4\r\n"), "{body:?}");
    assert!(
        body.ends_with("\r\nid: 99\r\ndata: never dispatched\r\n\r\n"),
        "{body:?}"
    );
    assert!(
        !body.contains("id: 5\r\n") && !body.ends_with("0\r\n\r\n"),
        "{body:?}"
    );
    assert_eq!(server.seen(), json!([null]));
}

/// What an [`EventSource`] yielded, and when.
#[derive(Debug)]
enum Seen {
    Open,
    Event(usize),
    Comment(String),
    Retry(u64),
    Reconnecting(Duration),
    Error(String),
}

impl Seen {
    /// A keep-alive of sse-starlette: `: ping - 2026-01-01 00:00:00.000000+00:00`.
    fn is_ping(&self) -> bool {
        matches!(self, Seen::Comment(text) if text.starts_with("ping - "))
    }
}

#[test]
fn event_source_gets_every_event_once_across_drops() {
    every_event_once_across_drops("/events");
}

/// The same through Starlette's gzip middleware: the client asks for gzip (the server
/// answers 406 otherwise), decodes each event as it is flushed, and nothing else changes.
#[test]
fn a_gzipped_stream_gives_every_event_once_across_drops() {
    let server = Server::start();
    let response = request_with(server.addr, "/gzip/events", "Accept-Encoding: gzip\r\n");
    let head = String::from_utf8_lossy(&response).to_ascii_lowercase();
    let head = head.split("\r\n\r\n").next().unwrap_or_default();
    assert!(head.contains("\r\ncontent-encoding: gzip"), "{head}");
    drop(server);
    every_event_once_across_drops("/gzip/events");
}

/// Follows `path` with the ssewire client and checks everything it yielded.
fn every_event_once_across_drops(path: &str) {
    let server = Server::start();
    let config = client::Config::new().retry_budget(Some(5));
    let mut source = EventSource::new::<Smol>(&server.url_of(path), config).unwrap();
    let mut events = Vec::new();
    let mut log: Vec<(Instant, Seen)> = Vec::new();
    let finished = smol::block_on(future::or(
        async {
            while let Some(update) = source.next().await {
                let seen = match update {
                    Ok(Update::Open) => Seen::Open,
                    Ok(Update::Event(event)) => {
                        events.push(event);
                        Seen::Event(events.len() - 1)
                    }
                    Ok(Update::Comment(text)) => Seen::Comment(text),
                    Ok(Update::Retry(ms)) => Seen::Retry(ms),
                    Ok(Update::Reconnecting(wait)) => Seen::Reconnecting(wait),
                    Ok(other) => panic!("{other:?}"),
                    Err(error) => Seen::Error(error.to_string()),
                };
                log.push((Instant::now(), seen));
                // Every event, then a keep-alive ping on the last connection; or one too many.
                if events.len() > EXPECTED.len()
                    || events.len() == EXPECTED.len()
                        && log.last().is_some_and(|(_, s)| s.is_ping())
                {
                    return Ok(());
                }
            }
            Err(format!("the stream ended: {:?}", source.failure()))
        },
        async {
            smol::Timer::after(TIMEOUT).await;
            Err("timed out".to_owned())
        },
    ));
    if let Err(why) = finished {
        panic!("{why}; {log:#?}");
    }
    source.close();
    let got: Vec<_> = events
        .iter()
        .map(|e| {
            let id = e.id.as_deref();
            (
                e.event.as_str(),
                e.data.as_str(),
                id,
                e.last_event_id.as_str(),
            )
        })
        .collect();
    assert_eq!(got, EXPECTED, "{log:#?}");
    assert!(events.iter().all(|e| e.retry.is_none()), "{log:#?}");
    // `retry: 100` once, just before the first event.
    let retries: Vec<_> = log
        .iter()
        .enumerate()
        .filter_map(|(at, (_, seen))| match seen {
            Seen::Retry(ms) => Some((at, *ms)),
            _ => None,
        })
        .collect();
    let first = log
        .iter()
        .position(|(_, seen)| matches!(seen, Seen::Event(0)));
    assert_eq!(retries.len(), 1, "{log:#?}");
    assert_eq!(
        (Some(retries[0].0 + 1), retries[0].1),
        (first, 100),
        "{log:#?}"
    );
    assert_eq!(source.last_event_id(), "7");
    assert_eq!(server.seen(), expected_seen(), "{log:#?}");

    // A stream opened first and after each drop. A body cut short may be reported (today it
    // is not: the client treats it as the end of the stream, as browsers do); nothing else is
    // an error.
    let mut received = 0;
    let mut opened_after = Vec::new();
    let mut errors_after = Vec::new();
    for (_, seen) in &log {
        match seen {
            Seen::Open => opened_after.push(received),
            Seen::Event(_) => received += 1,
            Seen::Error(error) => errors_after.push((received, error.as_str())),
            Seen::Comment(_) | Seen::Retry(_) | Seen::Reconnecting(_) => {}
        }
    }
    let drops = DROPS.map(|i| i + 1);
    assert_eq!(opened_after, [0, drops[0], drops[1]], "{log:#?}");
    assert!(
        errors_after.iter().all(|&(after, _)| after == drops[0]) && errors_after.len() <= 1,
        "{log:#?}"
    );
    let comments: Vec<_> = log
        .iter()
        .filter_map(|(_, seen)| match seen {
            Seen::Comment(text) if !seen.is_ping() => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(comments, ["a comment"], "{log:#?}");

    // Each drop came after events: the client says it waits the server's `retry: 100` (plus
    // at most the 20% jitter), never a doubled backoff.
    let waits: Vec<Duration> = log
        .iter()
        .filter_map(|(_, seen)| match seen {
            Seen::Reconnecting(wait) => Some(*wait),
            _ => None,
        })
        .collect();
    assert_eq!(waits.len(), DROPS.len(), "{log:#?}");
    let retry = Duration::from_millis(80)..=Duration::from_millis(120);
    assert!(waits.iter().all(|wait| retry.contains(wait)), "{log:#?}");

    // The server's `retry: 100` is honoured: without it, each reconnection would wait the
    // 3 s default (and back off after the abort).
    for drop in DROPS {
        let dropped = log
            .iter()
            .find(|(_, seen)| matches!(seen, Seen::Event(i) if *i == drop))
            .unwrap()
            .0;
        let reopened = log
            .iter()
            .find(|(at, seen)| matches!(seen, Seen::Open) && *at > dropped)
            .unwrap()
            .0;
        let gap = reopened - dropped;
        assert!(gap < Duration::from_millis(2500), "{gap:?}; {log:#?}");
    }
}

#[test]
fn sse_cat_prints_every_event_once_across_drops() {
    let server = Server::start();
    let output = run_bounded(
        Command::new(example_program("sse-cat"))
            .args(["--json", "-n", &EXPECTED.len().to_string()])
            .args(["--max-retries", "5", &server.url()]),
        TIMEOUT,
    );
    let status = output.status;
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "{status}; stderr:\n{err}\nstdout:\n{out}");
    let printed: Vec<Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let expected: Vec<Value> = EXPECTED
        .iter()
        .map(|&(event, data, id, last_event_id)| {
            let mut value = json!({ "event": event, "data": data });
            if let Some(id) = id {
                value["id"] = json!(id);
            }
            value["last_event_id"] = json!(last_event_id);
            value
        })
        .collect();
    assert_eq!(printed, expected, "stderr:\n{err}");
    assert_eq!(err.matches("sse-cat: reconnected").count(), 2, "{err}");
    // Each drop followed a stream that delivered events: the wait is the server's `retry: 100`
    // (plus at most the default 20% jitter, less the moments since it began) each time, never
    // doubled by a backoff.
    let waits: Vec<u64> = err
        .lines()
        .filter_map(|line| {
            line.strip_prefix("sse-cat: reconnecting in ")?
                .strip_suffix(" ms")
        })
        .map(|ms| ms.parse().unwrap())
        .collect();
    assert_eq!(waits.len(), 2, "{err}");
    assert!(waits.iter().all(|&ms| (80..=120).contains(&ms)), "{err}");
    assert_eq!(server.seen(), expected_seen(), "stderr:\n{err}");
}
