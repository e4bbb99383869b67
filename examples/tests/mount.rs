//! A ssewire `Hub` mounted in axum and in hyper (the `mount-axum` and `mount-hyper`
//! programs, on tokio): replay after `Last-Event-ID`, live events and keep-alives, as the
//! ssewire client and a raw socket see them. Every child is killed when its test ends.

#[path = "../../tests/tests/common/process.rs"]
mod process;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_lite::{future, StreamExt};
use process::{listening_url, spawn_first_line, Running};
use ssewire_futures::client::{self, EventSource, Update};
use ssewire_futures::rt::Smol;

const AXUM: &str = env!("CARGO_BIN_EXE_mount-axum");
const HYPER: &str = env!("CARGO_BIN_EXE_mount-hyper");

/// The longest any one step may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The keep-alive interval the programs are started with.
const KEEP_ALIVE_MS: u64 = 150;

/// `program` on a free port, and its `host:port`.
fn start(program: &str) -> (Running, String) {
    let (process, line) = spawn_first_line(
        Command::new(program)
            .args(["--addr", "127.0.0.1:0"])
            .args(["--keep-alive-ms", &KEEP_ALIVE_MS.to_string()])
            .stderr(Stdio::inherit()),
        TIMEOUT,
    );
    let url = listening_url(&line);
    let authority = url.trim_start_matches("http://").trim_end_matches('/');
    (process, authority.to_owned())
}

/// Sends `request` on a new connection and reads the whole response: status line and
/// headers, body.
fn exchange(authority: &str, request: &str) -> (String, String) {
    let mut socket = TcpStream::connect(authority).unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    socket.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.to_owned(), body.to_owned())
}

/// Publishes `data` through `POST /publish`; the id the hub gave it.
fn publish(authority: &str, data: &str) -> String {
    let request = format!(
        "POST /publish HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{data}",
        data.len()
    );
    let (head, body) = exchange(authority, &request);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body
}

/// [`publish`] from async code: on a thread of its own.
async fn published(authority: &str, data: &'static str) -> String {
    let authority = authority.to_owned();
    smol::unblock(move || publish(&authority, data)).await
}

/// The next update of `source`, within [`TIMEOUT`].
async fn next(source: &mut EventSource) -> Update {
    let update = future::or(async { source.next().await }, async {
        smol::Timer::after(TIMEOUT).await;
        panic!("no update within {TIMEOUT:?}");
    });
    update.await.expect("the stream goes on").expect("no error")
}

/// The next event of `source` (the `open` skipped): its id and data.
async fn event(source: &mut EventSource) -> (String, String) {
    loop {
        match next(source).await {
            Update::Event(event) => return (event.id.unwrap_or_default(), event.data),
            Update::Open => {}
            other => panic!("an event expected, got {other:?}"),
        }
    }
}

fn mounted_hub_replays_then_streams_live_with_keep_alives(program: &str) {
    let (_server, authority) = start(program);
    // Published before anyone listens: kept in the window.
    for (n, data) in ["one", "two", "three"].iter().enumerate() {
        assert_eq!(publish(&authority, data), (n + 1).to_string());
    }

    // The head is an event stream's, with no caching and no proxy buffering.
    let mut socket = TcpStream::connect(&authority).unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    let get = format!("GET /events HTTP/1.1\r\nHost: {authority}\r\nLast-Event-ID: 2\r\n\r\n");
    socket.write_all(get.as_bytes()).unwrap();
    let mut received = Vec::new();
    let mut buf = [0; 4096];
    while !String::from_utf8_lossy(&received).contains("data: three") {
        let n = socket.read(&mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&buf[..n]);
    }
    let received = String::from_utf8_lossy(&received).to_ascii_lowercase();
    assert!(received.starts_with("http/1.1 200 ok\r\n"), "{received}");
    for field in [
        "content-type: text/event-stream",
        "cache-control: no-cache",
        "x-accel-buffering: no",
    ] {
        assert!(received.contains(&format!("\r\n{field}\r\n")), "{received}");
    }
    assert!(
        !received.contains("data: two"),
        "replayed after 2 only: {received}"
    );
    drop(socket);

    smol::block_on(async {
        // A client that saw event 1: events 2 and 3 from the window, then 4 live.
        let url = format!("http://{authority}/events");
        let config = client::Config::new().last_event_id("1");
        let mut source = EventSource::new::<Smol>(&url, config).unwrap();
        assert_eq!(event(&mut source).await, ("2".into(), "two".into()));
        assert_eq!(event(&mut source).await, ("3".into(), "three".into()));
        let id = published(&authority, "four").await;
        assert_eq!(id, "4");
        assert_eq!(event(&mut source).await, ("4".into(), "four".into()));

        // Idle: keep-alive comments, no events.
        let idle = std::time::Instant::now();
        assert_eq!(next(&mut source).await, Update::Comment(String::new()));
        assert!(idle.elapsed() >= Duration::from_millis(KEEP_ALIVE_MS / 2));
        assert_eq!(next(&mut source).await, Update::Comment(String::new()));

        // One that comes back after 4 gets nothing twice: 5 is its next event.
        let config = client::Config::new().last_event_id("4");
        let mut again = EventSource::new::<Smol>(&url, config).unwrap();
        assert_eq!(next(&mut again).await, Update::Open);
        let id = published(&authority, "five").await;
        assert_eq!(id, "5");
        assert_eq!(event(&mut again).await, ("5".into(), "five".into()));
        // And the first client gets it too, after its keep-alives.
        loop {
            match next(&mut source).await {
                Update::Comment(text) if text.is_empty() => {}
                Update::Event(event) => {
                    assert_eq!(
                        (event.id.as_deref(), event.data.as_str()),
                        (Some("5"), "five")
                    );
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
    });
}

#[test]
fn axum_serves_a_hub_with_replay_live_events_and_keep_alives() {
    mounted_hub_replays_then_streams_live_with_keep_alives(AXUM);
}

#[test]
fn hyper_serves_a_hub_with_replay_live_events_and_keep_alives() {
    mounted_hub_replays_then_streams_live_with_keep_alives(HYPER);
}

#[test]
fn mounted_pages_and_errors() {
    for program in [AXUM, HYPER] {
        let (_server, authority) = start(program);
        let (head, body) = exchange(
            &authority,
            &format!("GET / HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"),
        );
        assert!(head.starts_with("HTTP/1.1 200"), "{program}: {head}");
        assert!(
            body.contains("new EventSource(\"/events\")"),
            "{program}: {body}"
        );
        let (head, _) = exchange(
            &authority,
            &format!("GET /nowhere HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"),
        );
        assert!(head.starts_with("HTTP/1.1 404"), "{program}: {head}");
        let (head, _) = exchange(
            &authority,
            &format!("DELETE /events HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"),
        );
        assert!(head.starts_with("HTTP/1.1 405"), "{program}: {head}");
    }
}
