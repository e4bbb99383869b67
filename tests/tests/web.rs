//! The `ticker` example against clients we did not write: headless Chromium (Debian's, driven
//! by playwright-core), the npm `eventsource` package, and curl; and the `progress` example's
//! page in Chromium.
//!
//! Chromium and `eventsource` go through a TCP proxy (`node/harness.mjs`) that records every
//! request head and cuts the stream's connection in the middle: the client must come back after
//! the server's `retry`, send `Last-Event-ID` with the last ID it had, and get each event it
//! missed exactly once (the ticker's hub replays from its window). curl checks the bytes on the
//! wire.
//!
//! Behind the feature `interop`, since it needs what a plain `cargo test` does not have:
//!
//! ```sh
//! apt-get install chromium curl               # /usr/bin/chromium (or set CHROMIUM)
//! npm ci --prefix tests/node                  # playwright-core, eventsource
//! cargo build -p ssewire-examples --bins      # ticker, progress: found next to this binary
//! cargo test -p ssewire-tests --features interop --test web
//! ```
//!
//! Every child process is killed when its test ends, and every wait is bounded.

#[path = "common/process.rs"]
mod process;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use process::{example_program, listening_url, run_bounded, spawn_first_line, Running};

/// The ticker's tick: four `price-update` events each, a `message` every 10th.
const INTERVAL_MS: u64 = 100;
/// The `retry` the ticker sends; the clients' own default is 3000 ms.
const RETRY_MS: u64 = 500;
/// The ticker's symbols, in the order it publishes them each tick.
const SYMBOLS: [&str; 4] = ["ACME", "GLOBEX", "INITECH", "UMBRELLA"];
/// The longest a node script may take (each has its own limit of 60 s).
const NODE_TIMEOUT: Duration = Duration::from_secs(90);

/// The ticker on a free port, ticking every [`INTERVAL_MS`], and the URL it printed.
struct Ticker {
    _process: Running,
    url: String,
}

fn start_ticker() -> Ticker {
    start_ticker_with(&[])
}

/// [`start_ticker`] with more flags.
fn start_ticker_with(flags: &[&str]) -> Ticker {
    let program = example_program("ticker");
    let (process, line) = spawn_first_line(
        Command::new(&program)
            .args(["--addr", "127.0.0.1:0"])
            .args(["--interval-ms", &INTERVAL_MS.to_string()])
            .args(["--retry-ms", &RETRY_MS.to_string()])
            .args(flags)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit()),
        Duration::from_secs(20),
    );
    Ticker {
        _process: process,
        url: listening_url(&line),
    }
}

/// Runs `node/SCRIPT URL` and returns the JSON it printed.
fn node(script: &str, url: &str) -> Value {
    node_with(script, &[url])
}

/// Runs `node/SCRIPT ARGS...` and returns the JSON it printed.
fn node_with(script: &str, args: &[&str]) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("node");
    assert!(
        dir.join("node_modules").is_dir(),
        "{}/node_modules is missing: run `npm ci --prefix tests/node`",
        dir.display()
    );
    let output = run_bounded(
        Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(&dir),
        NODE_TIMEOUT,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node {script} failed ({}):\n{stderr}",
        output.status,
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "node {script} printed no JSON ({error}):\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&output.stdout),
        )
    })
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key:?} in {value}"))
}

fn id_of(event: &Value) -> u64 {
    let id = str_of(event, "lastEventId");
    id.parse()
        .unwrap_or_else(|_| panic!("lastEventId {id:?} is not a number: {event}"))
}

/// Checks one event's type and data, and that it comes in the ticker's order after `previous`:
/// each tick ACME, GLOBEX, INITECH, UMBRELLA, and on every 10th tick a `message` after them.
fn check_event(event: &Value, previous: Option<&Value>) {
    let data = str_of(event, "data");
    let previous_symbol = previous.map(|p| match str_of(p, "type") {
        "price-update" => price_update(p).0,
        _ => "UMBRELLA", // a note ends a tick, like UMBRELLA's update
    });
    match str_of(event, "type") {
        "price-update" => {
            let (symbol, _) = price_update(event);
            if let Some(previous) = previous_symbol {
                let at = SYMBOLS.iter().position(|&s| s == previous).expect("known");
                assert_eq!(
                    symbol,
                    SYMBOLS[(at + 1) % 4],
                    "out of order after {previous:?}"
                );
            }
        }
        "message" => {
            assert!(
                data.starts_with("tick ") && data.contains(" moved most since the open ("),
                "unexpected note {data:?}"
            );
            if let Some(previous) = previous_symbol {
                assert_eq!(
                    previous, "UMBRELLA",
                    "a note in the middle of a tick: {data:?}"
                );
            }
        }
        other => panic!("unexpected event type {other:?}: {event}"),
    }
}

/// The symbol and price of a `price-update`, whose data must be exactly
/// `{"symbol":…,"price":…}` with a known symbol and a positive price.
fn price_update(event: &Value) -> (&'static str, f64) {
    let data = str_of(event, "data");
    let json: Value =
        serde_json::from_str(data).unwrap_or_else(|error| panic!("{data:?}: {error}"));
    let fields = json
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {data}"));
    assert_eq!(fields.len(), 2, "{data}");
    let symbol = fields["symbol"].as_str().unwrap_or_default();
    let symbol = SYMBOLS
        .into_iter()
        .find(|&s| s == symbol)
        .unwrap_or_else(|| panic!("unknown symbol in {data}"));
    let price = fields["price"].as_f64().unwrap_or_else(|| panic!("{data}"));
    assert!(price > 0.0, "{data}");
    (symbol, price)
}

/// The checks shared by every client of the resume scenario (`node/harness.mjs`); returns the
/// events the client recorded.
fn check_resume(result: &Value) -> Vec<&Value> {
    let requests: Vec<&Value> = result["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["path"] == "/events")
        .collect();
    assert_eq!(
        requests.len(),
        2,
        "one stream, then one reconnection: {requests:?}"
    );
    assert_eq!(result["cutConnections"], 1, "the proxy cut one stream");
    for request in &requests {
        assert_eq!(request["method"], "GET");
        assert_eq!(request["headers"]["accept"], "text/event-stream");
    }
    assert!(
        requests[0]["headers"].get("last-event-id").is_none(),
        "first request sent Last-Event-ID: {}",
        requests[0]
    );
    let sent_id = requests[1]["headers"]["last-event-id"]
        .as_str()
        .unwrap_or_else(|| panic!("the reconnection sent no Last-Event-ID: {}", requests[1]));

    // The client waited the server's `retry` (500 ms), not its own default (3000 ms). With a
    // tick every 100 ms that is at least 16 events it missed and gets from the replay.
    let cut_at = result["cutAt"].as_u64().expect("cutAt");
    let again_at = requests[1]["at"].as_u64().expect("at");
    let waited = again_at.saturating_sub(cut_at);
    assert!(
        (RETRY_MS * 9 / 10..2500).contains(&waited),
        "reconnected {waited} ms after the cut; retry is {RETRY_MS} ms"
    );

    // What the client saw: open, events, error (reconnecting), open, events.
    let seen = result["seen"].as_array().expect("seen");
    let kinds: Vec<&str> = seen.iter().map(|e| str_of(e, "type")).collect();
    let opens: Vec<usize> = (0..kinds.len()).filter(|&i| kinds[i] == "open").collect();
    let errors: Vec<usize> = (0..kinds.len()).filter(|&i| kinds[i] == "error").collect();
    assert_eq!(opens.len(), 2, "two opens: {kinds:?}");
    assert_eq!(opens[0], 0, "{kinds:?}");
    assert_eq!(errors.len(), 1, "one error: {kinds:?}");
    assert_eq!(
        errors[0] + 1,
        opens[1],
        "the error right before the reopen: {kinds:?}"
    );
    assert_eq!(
        seen[errors[0]]["readyState"], 0,
        "after the cut the client is CONNECTING again, not CLOSED"
    );
    let before: Vec<&Value> = seen[1..errors[0]].iter().collect();
    let after: Vec<&Value> = seen[opens[1] + 1..].iter().collect();
    for part in [&before, &after] {
        assert!(
            part.iter().any(|e| e["type"] == "message"),
            "no message: {part:?}"
        );
        assert!(part.iter().any(|e| e["type"] == "price-update"), "{part:?}");
    }

    // Last-Event-ID is the ID of the last event the client had.
    let last_before = before.last().expect("events before the cut");
    assert_eq!(sent_id, str_of(last_before, "lastEventId"), "Last-Event-ID");

    // Every event exactly once: IDs strictly consecutive across the cut, no gap, no repeat,
    // and each in the ticker's order with the right data.
    let events: Vec<&Value> = before.iter().chain(&after).copied().collect();
    for pair in events.windows(2) {
        assert_eq!(
            id_of(pair[1]),
            id_of(pair[0]) + 1,
            "IDs not consecutive: {} then {}",
            pair[0],
            pair[1]
        );
    }
    check_event(events[0], None);
    for pair in events.windows(2) {
        check_event(pair[1], Some(pair[0]));
    }
    events
}

#[test]
fn chromium_reconnects_with_last_event_id_and_misses_nothing() {
    let ticker = start_ticker();
    let result = node("browser.mjs", &ticker.url);
    let events = check_resume(&result);
    assert_eq!(
        result["pageErrors"],
        Value::Array(vec![]),
        "errors on the page"
    );

    // The page showed it too; it was read a moment after `seen`, so it may be further on.
    let dom = &result["dom"];
    let later: Vec<&Value> = result["seenAtDom"]
        .as_array()
        .expect("seenAtDom")
        .iter()
        .filter(|e| e["type"] == "price-update" || e["type"] == "message")
        .collect();
    assert_eq!(dom["state"], "open");
    assert_eq!(dom["reconnects"], "1");
    let last_id: u64 = str_of(dom, "lastId").parse().expect("#last-id");
    let received: usize = str_of(dom, "received").parse().expect("#received");
    let last_seen = id_of(events.last().expect("events"));
    let last_later = id_of(later.last().expect("events"));
    assert!(
        (last_seen..=last_later).contains(&last_id),
        "#last-id {last_id}"
    );
    assert!(
        (events.len()..=later.len()).contains(&received),
        "#received {received}"
    );
}

/// The ticker over HTTPS (`--tls-cert`, `--tls-key`: a certificate made here for 127.0.0.1)
/// in Chromium: refused as untrusted by a plain Chromium, and trusted through the flag that
/// names the hash of its public key, the page gets its events over `https:`.
#[test]
fn chromium_streams_over_https() {
    use base64::Engine as _;

    let key = rcgen::KeyPair::generate().unwrap();
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let cert = rcgen::CertificateParams::new(names)
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
    let spki = ring::digest::digest(&ring::digest::SHA256, &spki);
    let spki = base64::engine::general_purpose::STANDARD.encode(spki.as_ref());
    let dir = std::env::temp_dir().join(format!("ssewire-web-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let ticker = start_ticker_with(&[
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ]);
    assert!(
        ticker.url.starts_with("https://127.0.0.1:"),
        "{}",
        ticker.url
    );
    let result = node_with("browser-tls.mjs", &[&ticker.url, &spki]);
    let _ = std::fs::remove_dir_all(&dir);
    let refused = str_of(&result, "refused");
    assert!(refused.contains("ERR_CERT"), "{refused}");
    let trusted = &result["trusted"];
    assert_eq!(trusted["protocol"], "https:", "{result}");
    assert_eq!(trusted["state"], "open", "{result}");
    assert_eq!(trusted["pageErrors"], Value::Array(vec![]), "{result}");
    let events: Vec<&Value> = trusted["seen"]
        .as_array()
        .expect("seen")
        .iter()
        .filter(|e| e["type"] == "price-update" || e["type"] == "message")
        .collect();
    assert!(events.len() >= 5, "{result}");
    check_event(events[0], None);
    for pair in events.windows(2) {
        check_event(pair[1], Some(pair[0]));
    }
}

/// The `progress` example's page in Chromium: the button starts a job, whose bar reaches
/// `done` (the page closes its `EventSource` then). A plain `EventSource` on the finished job,
/// which does not close itself, gets the job's state (`done`) alone, reconnects when the
/// stream ends with `Last-Event-ID` set to it, is answered `204` and stops for good (`CLOSED`).
#[test]
fn chromium_follows_a_job_and_stops_at_the_204() {
    let (_process, line) = spawn_first_line(
        Command::new(example_program("progress"))
            .args([
                "--addr",
                "127.0.0.1:0",
                "--step-ms",
                "40",
                "--retry-ms",
                "200",
            ])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit()),
        Duration::from_secs(20),
    );
    let result = node("progress.mjs", &listening_url(&line));
    assert_eq!(result["pageErrors"], Value::Array(vec![]), "{result}");
    let row = &result["row"];
    assert_eq!(
        (&row["state"], &row["percent"]),
        (&"done".into(), &"100".into()),
        "{result}"
    );
    assert!(str_of(row, "status").starts_with("done in "), "{result}");

    let plain = &result["plain"];
    assert_eq!(plain["readyState"], 2, "CLOSED: {result}");
    let seen = plain["seen"].as_array().expect("seen");
    assert_eq!(seen.len(), 1, "{result}");
    assert_eq!(seen[0]["type"], "done", "{result}");
    let last = str_of(&seen[0], "lastEventId");
    // The streams of job 1: the page's and the plain one's, then the plain one's reconnection.
    let streams: Vec<Option<&str>> = result["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|request| request["path"] == "/jobs/1/events")
        .map(|request| request["headers"]["last-event-id"].as_str())
        .collect();
    assert_eq!(streams, [None, None, Some(last)], "{result}");
}

#[test]
fn eventsource_package_reconnects_with_last_event_id_and_misses_nothing() {
    let ticker = start_ticker();
    let result = node("eventsource.mjs", &ticker.url);
    check_resume(&result);
    assert_eq!(result["readyState"], 1, "OPEN at the end");
}

/// `curl -N --raw` against the stream for `seconds`; returns the response head's lines and the
/// body with its chunked framing checked and taken off.
fn curl_stream(url: &str, seconds: &str, headers: &[&str]) -> (Vec<String>, String) {
    let mut command = Command::new("curl");
    command.args(["-sS", "-N", "-i", "--raw", "--max-time", seconds]);
    for header in headers {
        command.args(["-H", header]);
    }
    let output = run_bounded(command.arg(format!("{url}events")), Duration::from_secs(20));
    // 28: the time limit ended it, the only way a live stream ends.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(28), "curl: {stderr}");
    let raw = output.stdout;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8(raw[..end].to_vec()).expect("ASCII head");
    let body = dechunk(&raw[end + 4..]);
    (head.split("\r\n").map(str::to_owned).collect(), body)
}

/// Decodes a chunked body cut off anywhere (a partial last chunk is dropped); panics on bad
/// framing.
fn dechunk(mut raw: &[u8]) -> String {
    let mut body = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[..line_end]).expect("chunk size");
        let size = usize::from_str_radix(size, 16).unwrap_or_else(|_| panic!("size {size:?}"));
        assert_ne!(size, 0, "the last chunk: the stream ended");
        let data = &raw[line_end + 2..];
        if data.len() < size + 2 {
            break; // cut off by curl's time limit
        }
        assert_eq!(&data[size..size + 2], b"\r\n", "CRLF after a chunk's data");
        body.extend_from_slice(&data[..size]);
        raw = &data[size + 2..];
    }
    String::from_utf8(body).expect("UTF-8 body")
}

/// The events of a body as (id, type, data), checking each frame's exact shape: `retry` alone
/// first, then `event: price-update`, `id`, `data` lines, or `id`, `data` for a note.
fn frames(body: &str) -> Vec<(u64, String, String)> {
    let mut blocks: Vec<&str> = body.split("\n\n").collect();
    blocks.pop(); // after the last blank line: nothing, or a frame cut off
    assert_eq!(
        blocks.first().copied(),
        Some(&*format!("retry: {RETRY_MS}")),
        "{body:?}"
    );
    blocks[1..]
        .iter()
        .map(|block| {
            let lines: Vec<&str> = block.split('\n').collect();
            let (kind, id, data) = match lines[..] {
                ["event: price-update", id, data] => ("price-update", id, data),
                [id, data] => ("message", id, data),
                _ => panic!("unexpected frame {block:?}"),
            };
            let id = id
                .strip_prefix("id: ")
                .unwrap_or_else(|| panic!("{block:?}"));
            let data = data
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("{block:?}"));
            (
                id.parse().expect("numeric id"),
                kind.to_owned(),
                data.to_owned(),
            )
        })
        .collect()
}

fn as_event((id, kind, data): &(u64, String, String)) -> Value {
    serde_json::json!({ "type": kind, "lastEventId": id.to_string(), "data": data })
}

#[test]
fn curl_sees_the_wire_format() {
    let ticker = start_ticker();
    let (head, body) = curl_stream(&ticker.url, "2", &[]);
    assert_eq!(head[0], "HTTP/1.1 200 OK");
    let header = |name: &str| {
        let values: Vec<&str> = head[1..]
            .iter()
            .filter_map(|line| line.split_once(':'))
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect();
        assert!(values.len() <= 1, "{name} twice: {head:?}");
        values.first().copied()
    };
    assert_eq!(
        header("Content-Type"),
        Some("text/event-stream"),
        "{head:?}"
    );
    assert_eq!(header("Cache-Control"), Some("no-cache"), "{head:?}");
    assert_eq!(header("X-Accel-Buffering"), Some("no"), "{head:?}");
    assert_eq!(header("Transfer-Encoding"), Some("chunked"), "{head:?}");
    assert_eq!(header("Content-Length"), None, "{head:?}");

    // About 20 ticks: 80 updates and 2 notes, in order, IDs consecutive.
    let frames = frames(&body);
    assert!(
        frames.len() >= 40,
        "only {} events in 2 s: {body:?}",
        frames.len()
    );
    assert!(frames.iter().any(|f| f.1 == "message"), "no note: {body:?}");
    let events: Vec<Value> = frames.iter().map(as_event).collect();
    check_event(&events[0], None);
    for pair in frames.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + 1, "IDs not consecutive");
    }
    for pair in events.windows(2) {
        check_event(&pair[1], Some(&pair[0]));
    }
}

#[test]
fn curl_with_last_event_id_gets_the_same_bytes_replayed() {
    let ticker = start_ticker();
    let (_, body) = curl_stream(&ticker.url, "1", &[]);
    let first = frames(&body);
    assert!(first.len() >= 10, "{body:?}");
    // Resume from the 3rd event: the replay starts with the 4th, byte for byte the same.
    let from = first[2].0;
    let (head, body) = curl_stream(&ticker.url, "1", &[&format!("Last-Event-ID: {from}")]);
    assert_eq!(head[0], "HTTP/1.1 200 OK");
    let second = frames(&body);
    assert!(second.len() > first.len(), "{body:?}");
    assert_eq!(&second[..first.len() - 3], &first[3..]);
    for pair in second.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + 1, "IDs not consecutive");
    }
}
