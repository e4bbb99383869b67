//! The client session driven through whole exchanges on a virtual clock: the bytes it sends,
//! byte for byte, and what it reports for the bytes it receives, split anywhere.

use proptest::prelude::*;
use ssewire::client::{
    Client, Coding, Codings, Config, Decode, DecodeError, Duration, Error, Failure, Instant,
    Output, Proxies, Proxy, Request, Session, State, TunnelError, Update,
};
use ssewire::http::{ChunkedError, HeadError, UrlError, WriteError};
use ssewire::parse::Item;

/// What the session reported, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Got {
    Open,
    /// Data and last event ID.
    Event(String, String),
    Comment(String),
    Retry(u64),
    Error(Error),
    /// The session asked to drop the connection.
    Disconnect,
}

fn ev(data: &str, id: &str) -> Got {
    Got::Event(data.to_owned(), id.to_owned())
}

const OPEN: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
/// [`OPEN`] without its blank line, for more fields.
const OPEN_TYPE: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";

fn no_jitter() -> Config {
    Config::new().jitter_percent(0)
}

/// A session and the virtual time; the test plays the network.
struct Sim {
    session: Session<Vec<u8>>,
    now: Instant,
}

impl Sim {
    fn new(url: &str, headers: &[(&str, &str)], config: Config) -> Self {
        Self::with_buffer(url, headers, config, 512)
    }

    fn with_buffer(url: &str, headers: &[(&str, &str)], config: Config, buf: usize) -> Self {
        Self::with_request(url, Request::new().headers(headers), config, buf)
    }

    fn with_request(url: &str, request: Request<'_>, config: Config, buf: usize) -> Self {
        let client = Client::new(vec![0; 2048], config, 0x5eed);
        Sim {
            session: Session::with_request(client, vec![0; buf], url, request).unwrap(),
            now: Instant::from_millis(1_000),
        }
    }

    /// Takes the connection the session asks for: `scheme://authority`.
    fn connect(&mut self) -> String {
        let target = self
            .session
            .poll_connect(self.now)
            .expect("the session should ask to connect");
        let to = format!("{}://{}", target.url.scheme.as_str(), target.url.authority);
        assert!(self.session.poll_connect(self.now).is_none(), "asked twice");
        assert!(
            self.session.poll_read().is_none(),
            "reads before connecting"
        );
        self.session.handle_connected(self.now);
        to
    }

    /// Sends the request head, `step` bytes per write, and flushes once it is written whole
    /// (not before); returns it.
    fn transmit(&mut self, step: usize) -> String {
        let mut sent = Vec::new();
        while let Some(bytes) = self.session.poll_transmit() {
            assert!(!self.session.poll_flush(), "flush asked mid-request");
            let n = bytes.len().min(step);
            sent.extend_from_slice(&bytes[..n]);
            self.session.handle_transmitted(n);
        }
        if !sent.is_empty() {
            assert!(
                self.session.poll_flush(),
                "no flush asked after the request"
            );
            self.session.handle_flushed();
        }
        assert!(!self.session.poll_flush());
        String::from_utf8(sent).unwrap()
    }

    /// Connects and sends the request; returns the target and the request.
    fn request(&mut self) -> (String, String) {
        let to = self.connect();
        (to, self.transmit(7))
    }

    /// Everything the session reports now.
    fn updates(&mut self) -> Vec<Got> {
        let mut got = Vec::new();
        loop {
            if self.session.poll_disconnect() {
                got.push(Got::Disconnect);
            }
            let Some(update) = self.session.poll_update(self.now) else {
                break;
            };
            got.push(match update {
                Ok(Update::Open) => Got::Open,
                Ok(Update::Item(Item::Event(e))) => ev(e.data, e.last_event_id),
                Ok(Update::Item(Item::Comment(c))) => Got::Comment(c.to_owned()),
                Ok(Update::Item(Item::Retry(ms))) => Got::Retry(ms),
                Ok(other) => panic!("{other:?}"),
                Err(error) => Got::Error(error),
            });
        }
        if self.session.poll_disconnect() {
            got.push(Got::Disconnect);
        }
        got
    }

    /// The server sends `bytes`, read `step` at a most at a time; what they complete.
    fn receive(&mut self, bytes: &[u8], step: usize) -> Vec<Got> {
        let mut got = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let Some(window) = self.session.poll_read() else {
                break;
            };
            let n = rest.len().min(step).min(window.len());
            window[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            self.session.handle_received(self.now, n);
            got.extend(self.updates());
        }
        got
    }

    /// The server closes the connection.
    fn close(&mut self) -> Vec<Got> {
        if self.session.poll_read().is_some() {
            self.session.handle_received(self.now, 0);
        }
        self.updates()
    }

    /// Sleeps until the session's deadline and fires it; how long that was.
    fn wait(&mut self) -> u64 {
        let until = self.session.poll_timeout().expect("a deadline");
        let waited = until.saturating_duration_since(self.now).as_millis();
        self.now = until;
        self.session.handle_timeout(self.now);
        waited
    }

    fn advance(&mut self, ms: u64) {
        self.now = self.now + Duration::from_millis(ms);
    }
}

fn request(target: &str, host: &str, last_event_id: Option<&str>, extra: &str) -> String {
    let id = last_event_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
    format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\
         Cache-Control: no-cache\r\n{id}{extra}\r\n"
    )
}

const CHUNKED: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\
    Transfer-Encoding: chunked\r\n\r\n\
    21\r\nretry: 500\n: hi\nid: 1\ndata: one\n\n\r\n\
    3;ext=1\r\nid:\r\nf\r\n 2\ndata: two\nda\r\n5\r\nta: 2\r\n3\r\n\n\n\n\r\n0\r\n\r\n";

fn chunked_updates() -> Vec<Got> {
    vec![
        Got::Open,
        Got::Retry(500),
        Got::Comment("hi".into()),
        ev("one", "1"),
        ev("two\n2", "2"),
        Got::Disconnect,
    ]
}

#[test]
fn whole_exchange_byte_for_byte_at_every_read_size() {
    // Miri interprets slowly: there, a few read sizes.
    let steps: Vec<usize> = if cfg!(miri) {
        vec![1, 7, 64, CHUNKED.len()]
    } else {
        (1..=CHUNKED.len()).collect()
    };
    for step in steps {
        let mut sim = Sim::new(
            "http://a.example:8080/events?topic=a#top",
            &[("Authorization", "Bearer t")],
            no_jitter(),
        );
        let (to, sent) = sim.request();
        assert_eq!(to, "http://a.example:8080");
        let auth = "Authorization: Bearer t\r\n";
        assert_eq!(
            sent,
            request("/events?topic=a", "a.example:8080", None, auth)
        );
        assert_eq!(
            sim.receive(CHUNKED.as_bytes(), step),
            chunked_updates(),
            "reads of {step}"
        );
        assert_eq!(sim.session.state(), State::Connecting);
        // The server's `retry`, no backoff after a stream that delivered.
        assert_eq!(sim.wait(), 500);
        let (_, again) = sim.request();
        assert_eq!(
            again,
            request("/events?topic=a", "a.example:8080", Some("2"), auth)
        );
    }
}

#[test]
fn short_streams_wait_the_reconnection_time_each_time() {
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    let mut waits = Vec::new();
    let delivering = format!("{OPEN}retry: 500\ndata: x\n\n");
    for _ in 0..4 {
        sim.request();
        sim.receive(delivering.as_bytes(), 1000);
        sim.close();
        waits.push(sim.wait());
    }
    // Streams that opened and stayed silent back off, as failures do.
    for _ in 0..3 {
        sim.request();
        sim.receive(OPEN.as_bytes(), 1000);
        sim.close();
        waits.push(sim.wait());
    }
    sim.request();
    sim.receive(delivering.as_bytes(), 1000);
    sim.close();
    waits.push(sim.wait());
    assert_eq!(waits, [500, 500, 500, 500, 500, 1000, 2000, 500]);
}

/// The wait is reported once each time a stream ends, as long as it is: what a program shows
/// (sse-cat's "reconnecting in"); nothing is reported while a stream is open or connecting.
#[test]
fn each_wait_is_reported_once_when_it_begins() {
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    assert_eq!(sim.session.poll_wait(sim.now), None);
    let mut reported = Vec::new();
    for body in [
        format!("{OPEN}retry: 500\ndata: x\n\n"),
        OPEN.to_owned(),
        OPEN.to_owned(),
    ] {
        sim.request();
        sim.receive(body.as_bytes(), 1000);
        assert_eq!(sim.session.poll_wait(sim.now), None, "open");
        sim.close();
        let wait = sim.session.poll_wait(sim.now).expect("a wait began");
        assert_eq!(sim.session.poll_wait(sim.now), None, "reported once");
        reported.push(wait.as_millis());
        assert_eq!(sim.wait(), wait.as_millis());
    }
    // Silent streams back off from the second failure in a row on.
    assert_eq!(reported, [500, 500, 1000]);
}

#[test]
fn interim_responses_are_skipped() {
    let body = format!(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n{OPEN}data: x\n\n"
    );
    for step in [1, 5, 1000] {
        let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
        sim.request();
        assert_eq!(sim.receive(body.as_bytes(), step), [Got::Open, ev("x", "")]);
    }
}

#[test]
fn redirects_go_where_location_says_and_reconnections_to_the_url() {
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    sim.request();
    let moved = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://b.example:8080/s?x=1\r\n\r\n";
    assert_eq!(sim.receive(moved, 1000), [Got::Disconnect]);
    // No wait before following.
    let (to, sent) = sim.request();
    assert_eq!(to, "http://b.example:8080");
    assert_eq!(sent, request("/s?x=1", "b.example:8080", None, ""));
    let relative = b"HTTP/1.1 302 Found\r\nLocation: //c.example/t\r\n\r\n";
    sim.receive(relative, 1000);
    let (to, sent) = sim.request();
    assert_eq!(to, "http://c.example");
    assert_eq!(sent, request("/t", "c.example", None, ""));
    let path = b"HTTP/1.1 308 Permanent Redirect\r\nLocation: /u?v#w\r\n\r\n";
    sim.receive(path, 1000);
    let (to, sent) = sim.request();
    // Relative to the URL that sent it, not to the original one.
    assert_eq!(to, "http://c.example");
    assert_eq!(sent, request("/u?v", "c.example", None, ""));
    for (location, path) in [("?q", "/u?q"), ("#f", "/u?q"), ("https://d.example/", "/")] {
        let moved = format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\n\r\n");
        sim.receive(moved.as_bytes(), 1000);
        let (_, sent) = sim.request();
        assert!(
            sent.starts_with(&format!("GET {path} HTTP/1.1\r\n")),
            "{location}: {sent}"
        );
    }
    let path = b"HTTP/1.1 308 Permanent Redirect\r\nLocation: //e.example/v\r\n\r\n";
    sim.receive(path, 1000);
    // The scheme of the last hop, https.
    assert_eq!(sim.request().0, "https://e.example");
    let stream = format!("{OPEN}id: 7\ndata: there\n\n");
    assert_eq!(
        sim.receive(stream.as_bytes(), 1000),
        [Got::Open, ev("there", "7")]
    );
    sim.close();
    assert_eq!(sim.wait(), 3000);
    let (to, sent) = sim.request();
    assert_eq!(to, "http://a.example");
    assert_eq!(sent, request("/events", "a.example", Some("7"), ""));
}

#[test]
fn a_redirect_it_cannot_follow_fails_the_attempt() {
    let mut sim = Sim::new("http://a.example/a/events", &[], no_jitter());
    sim.request();
    let relative = b"HTTP/1.1 302 Found\r\nLocation: elsewhere\r\n\r\n";
    assert_eq!(sim.receive(relative, 1000), [Got::Disconnect]);
    assert!(sim.session.poll_connect(sim.now).is_none());
    assert!(sim.session.has_update());
    assert_eq!(sim.updates(), [Got::Error(Error::Url(UrlError::Relative))]);
    assert_eq!(sim.wait(), 3000);
    let (to, sent) = sim.request();
    assert_eq!(to, "http://a.example");
    assert_eq!(sent, request("/a/events", "a.example", None, ""));
}

#[test]
fn too_many_redirects_fail_for_good() {
    let config = no_jitter().max_redirects(2);
    let mut sim = Sim::new("http://a.example/events", &[], config);
    let moved = b"HTTP/1.1 302 Found\r\nLocation: /again\r\n\r\n";
    for _ in 0..3 {
        sim.request();
        sim.receive(moved, 1000);
    }
    assert_eq!(sim.session.state(), State::Closed);
    assert_eq!(
        sim.session.client().poll_failure(),
        Some(Failure::TooManyRedirects)
    );
    assert!(sim.session.poll_connect(sim.now).is_none());
}

#[test]
fn connecting_and_the_response_head_have_deadlines() {
    let config = no_jitter()
        .connect_timeout(Some(Duration::from_millis(700)))
        .response_timeout(Some(Duration::from_millis(900)));
    let mut sim = Sim::new("http://a.example/events", &[], config);
    assert!(sim.session.poll_connect(sim.now).is_some());
    assert!(sim.session.has_connection());
    assert_eq!(sim.wait(), 700);
    assert_eq!(
        sim.updates(),
        [Got::Disconnect, Got::Error(Error::ConnectTimeout)]
    );
    assert!(!sim.session.has_connection());
    assert_eq!(sim.wait(), 3000);
    sim.request();
    sim.receive(b"HTTP/1.1 200 OK\r\n", 1000);
    assert_eq!(sim.wait(), 900);
    assert_eq!(
        sim.updates(),
        [Got::Disconnect, Got::Error(Error::ResponseTimeout)]
    );
    // Two failures in a row: the wait doubles.
    assert_eq!(sim.wait(), 6000);
    sim.request();
    sim.receive(OPEN.as_bytes(), 1000);
    // Open: no deadline while the stream is quiet.
    assert_eq!(sim.session.poll_timeout(), None);
}

#[test]
fn cut_and_broken_responses_are_reported() {
    let cases: [(&[u8], Vec<Got>); 5] = [
        (
            b"HTTP/1.1 200 OK\r\nContent-",
            vec![Got::Disconnect, Got::Error(Error::UnexpectedEof)],
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
              b\r\ndata: one\n\n\r\n",
            vec![Got::Open, ev("one", ""), Got::Disconnect, Got::Error(Error::UnexpectedEof)],
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 99\r\n\r\n\
              data: one\n\n",
            vec![Got::Open, ev("one", ""), Got::Disconnect, Got::Error(Error::UnexpectedEof)],
        ),
        // A close-delimited body ends with the connection: nothing to report.
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: one\n\n",
            vec![Got::Open, ev("one", ""), Got::Disconnect],
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: one\n\ndata: cut",
            vec![Got::Open, ev("one", ""), Got::Disconnect],
        ),
    ];
    for (bytes, expected) in cases {
        for step in [1, 1000] {
            let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
            sim.request();
            let mut got = sim.receive(bytes, step);
            got.extend(sim.close());
            assert_eq!(got, expected, "{:?} {step}", String::from_utf8_lossy(bytes));
            assert_eq!(sim.session.state(), State::Connecting);
        }
    }
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    sim.request();
    let broken =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
                   5\r\ndata:\r\nXX";
    let got = sim.receive(broken, 1000);
    assert_eq!(
        got,
        [
            Got::Open,
            Got::Error(Error::Body(ChunkedError::MalformedSize)),
            Got::Disconnect
        ]
    );
    // A Content-Length body that ends by its length: the connection is dropped, no error.
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    sim.request();
    let length =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 15\r\n\r\n\
                   id: 4\ndata: a\n\nGARBAGE";
    assert_eq!(
        sim.receive(length, 1000),
        [Got::Open, ev("a", "4"), Got::Disconnect]
    );
}

#[test]
fn a_head_longer_than_the_window_is_an_error() {
    let mut sim = Sim::with_buffer("http://a.example/events", &[], no_jitter(), 300);
    sim.request();
    let head = format!("HTTP/1.1 200 OK\r\nX-Long: {}\r\n\r\n", "x".repeat(400));
    assert_eq!(
        sim.receive(head.as_bytes(), 1000),
        [
            Got::Disconnect,
            Got::Error(Error::Head(HeadError::TooLarge))
        ]
    );
    assert_eq!(sim.wait(), 3000);
}

#[test]
fn status_and_content_type_decide() {
    let fail = |head: &[u8]| {
        let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
        sim.request();
        let got = sim.receive(head, 1000);
        (
            got,
            sim.session.client().poll_failure(),
            sim.session.state(),
        )
    };
    let closed = |failure| (vec![Got::Disconnect], Some(failure), State::Closed);
    assert_eq!(
        fail(b"HTTP/1.1 204 No Content\r\n\r\n"),
        closed(Failure::NoContent)
    );
    assert_eq!(
        fail(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ndata: no\n\n"),
        closed(Failure::ContentType)
    );
    assert_eq!(
        fail(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"),
        closed(Failure::Status(500))
    );
    // A compressed stream is never taken for events (nor left open saying nothing).
    for coding in ["gzip", "deflate", "identity, br", "x-unknown"] {
        let head = format!("{OPEN_TYPE}Content-Encoding: {coding}\r\n\r\n\x1f\x08");
        assert_eq!(
            fail(head.as_bytes()),
            closed(Failure::ContentEncoding),
            "{coding}"
        );
    }
    let identity = format!("{OPEN_TYPE}Content-Encoding: identity\r\n\r\ndata: a\n\n");
    assert_eq!(
        fail(identity.as_bytes()),
        (vec![Got::Open, ev("a", "")], None, State::Open)
    );
    // Opt-in: a 503 is retried after its Retry-After.
    let config = no_jitter().retry_server_errors(true);
    let mut sim = Sim::new("http://a.example/events", &[], config);
    sim.request();
    let busy = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\nbusy";
    assert_eq!(sim.receive(busy, 1000), [Got::Disconnect]);
    assert_eq!(sim.wait(), 5000);
}

#[test]
fn what_cannot_be_requested_is_refused_when_made() {
    let make = |url: &str, headers: &[(&str, &str)], buf: usize| {
        let client = Client::new(vec![0; 1024], Config::new(), 1);
        Session::new(client, vec![0; buf], url, headers).err()
    };
    assert_eq!(
        make("ftp://a.example/", &[], 512),
        Some(Error::Url(UrlError::UnsupportedScheme))
    );
    assert_eq!(
        make("http://a.example/a b", &[], 512),
        Some(Error::Url(UrlError::Invalid))
    );
    assert_eq!(
        make("http://a.example/", &[("X", "a\r\nInjected: 1")], 512),
        Some(Error::Request(WriteError::InvalidHeaderValue))
    );
    assert_eq!(
        make("http://a.example/", &[("Host", "b.example")], 512),
        Some(Error::Request(WriteError::ReservedHeader))
    );
    assert_eq!(
        make("http://a.example/events", &[], 60),
        Some(Error::Request(WriteError::BufferTooSmall))
    );
    assert_eq!(
        make("http://a.example/events", &[], 10),
        Some(Error::Request(WriteError::BufferTooSmall))
    );
    assert_eq!(make("https://a.example/events", &[], 512), None);
}

#[test]
fn a_last_event_id_that_cannot_be_sent_stops_the_session() {
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    sim.request();
    sim.receive(format!("{OPEN}id: a\u{1}b\ndata: x\n\n").as_bytes(), 1000);
    sim.close();
    sim.wait();
    assert!(sim.session.poll_connect(sim.now).is_none());
    assert_eq!(
        sim.updates(),
        [Got::Error(Error::Request(WriteError::InvalidLastEventId))]
    );
    assert_eq!(sim.session.state(), State::Closed);
}

#[test]
fn a_connection_lost_by_the_caller_counts_as_failed() {
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    sim.request();
    assert!(sim.session.has_connection());
    sim.session.handle_io_error(sim.now);
    assert!(!sim.session.has_connection());
    assert!(sim.session.poll_read().is_none());
    assert_eq!(sim.wait(), 3000);
    // Once more while connecting.
    assert!(sim.session.poll_connect(sim.now).is_some());
    sim.session.handle_io_error(sim.now);
    assert_eq!(sim.wait(), 6000);
    sim.advance(1);
    sim.session.close();
    assert_eq!(sim.session.state(), State::Closed);
    assert!(sim.session.poll_disconnect());
    assert!(sim.session.poll_connect(sim.now).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any reads of any response give what one read gives.
    #[test]
    fn any_split_gives_the_same_updates(
        framing in 0..3u8,
        events in prop::collection::vec(("[a-z\\n]{0,12}", "[0-9]{0,3}"), 0..6),
        cuts in prop::collection::vec(1..40usize, 1..40),
    ) {
        let mut body = String::new();
        for (data, id) in &events {
            body += &format!("id: {id}\n");
            for line in data.split('\n') {
                body += &format!("data: {line}\n");
            }
            body += "\n";
        }
        let (framing_header, body) = match framing {
            0 => ("", body),
            1 => ("Content-Length", body),
            _ => ("Transfer-Encoding", body),
        };
        let wire = match framing_header {
            "" => format!("{OPEN}{body}"),
            "Content-Length" => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            _ => {
                let mut chunks = String::new();
                for piece in body.as_bytes().chunks(9) {
                    chunks += &format!("{:x}\r\n{}\r\n", piece.len(), std::str::from_utf8(piece).unwrap());
                }
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}0\r\n\r\n")
            }
        };
        let run = |cuts: &[usize]| {
            let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
            sim.request();
            let mut got = Vec::new();
            let mut rest = wire.as_bytes();
            for &cut in cuts.iter().cycle() {
                if rest.is_empty() || sim.session.poll_read().is_none() {
                    break;
                }
                let n = cut.min(rest.len());
                got.extend(sim.receive(&rest[..n], n));
                rest = &rest[n..];
            }
            got.extend(sim.close());
            got
        };
        prop_assert_eq!(run(&cuts), run(&[usize::MAX]));
    }
}

/// A `POST` with a JSON body goes out byte for byte the same on the first request and on each
/// reconnection, with `Last-Event-ID` added once an event had one; however it is written.
#[test]
fn a_method_and_body_are_sent_on_every_connection() {
    let body = br#"{"model":"m","stream":true}"#;
    let headers = [("Content-Type", "application/json")];
    let post = Request::new().method("POST").headers(&headers).body(body);
    let expected = |id: Option<&str>| {
        let id = id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
        format!(
            "POST /chat?x=1 HTTP/1.1\r\nHost: a.example\r\nAccept: text/event-stream\r\n\
             Cache-Control: no-cache\r\n{id}Content-Length: 27\r\n\
             Content-Type: application/json\r\n\r\n{{\"model\":\"m\",\"stream\":true}}"
        )
    };
    for step in [1, 5, 1000] {
        let mut sim = Sim::with_request("http://a.example/chat?x=1", post, no_jitter(), 512);
        sim.connect();
        assert_eq!(sim.transmit(step), expected(None), "writes of {step}");
        let got = sim.receive(format!("{OPEN}id: 7\ndata: x\n\n").as_bytes(), 1000);
        assert_eq!(got, [Got::Open, ev("x", "7")]);
        sim.close();
        sim.wait();
        sim.connect();
        assert_eq!(sim.transmit(step), expected(Some("7")), "writes of {step}");
    }
}

/// `Content-Length` as RFC 9110 asks: none for a `GET` or `HEAD` without a body, the length
/// otherwise, `0` included; an invalid method is refused before anything is sent.
#[test]
fn content_length_follows_the_method_and_body() {
    let sent = |request: Request<'_>| {
        let mut sim = Sim::with_request("http://a.example/", request, no_jitter(), 512);
        sim.connect();
        let head = sim.transmit(1000);
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .map(str::to_owned);
        (head.split(' ').next().unwrap().to_owned(), length)
    };
    let none = None::<String>;
    assert_eq!(sent(Request::new()), ("GET".into(), none.clone()));
    assert_eq!(sent(Request::new().method("HEAD")), ("HEAD".into(), none));
    assert_eq!(
        sent(Request::new().method("POST")),
        ("POST".into(), Some("0".into()))
    );
    assert_eq!(
        sent(Request::new().method("REPORT").body(b"q")),
        ("REPORT".into(), Some("1".into()))
    );
    assert_eq!(
        sent(Request::new().body(b"abc")),
        ("GET".into(), Some("3".into()))
    );
    for method in ["", "PO ST", "GET\r\nX: y", "P\u{e9}"] {
        let client = Client::new(vec![0; 2048], no_jitter(), 1);
        let made = Session::with_request(
            client,
            vec![0; 512],
            "http://a/",
            Request::new().method(method),
        );
        assert!(
            matches!(made, Err(Error::Request(WriteError::InvalidMethod))),
            "{method:?}"
        );
    }
    for reserved in ["Content-Length", "transfer-encoding"] {
        let client = Client::new(vec![0; 2048], no_jitter(), 1);
        let headers = [(reserved, "5")];
        let made = Session::with_request(
            client,
            vec![0; 512],
            "http://a/",
            Request::new().headers(&headers),
        );
        assert!(
            matches!(made, Err(Error::Request(WriteError::ReservedHeader))),
            "{reserved}"
        );
    }
    // A body too large for the buffer is refused at once, not cut.
    let client = Client::new(vec![0; 2048], no_jitter(), 1);
    let big = [b'x'; 600];
    let made = Session::with_request(client, vec![0; 512], "http://a/", Request::new().body(&big));
    assert!(matches!(
        made,
        Err(Error::Request(WriteError::BufferTooSmall))
    ));
}

/// With a read timeout, a stream that goes silent (no event, comment or keep-alive) is given
/// up: an error, then the reconnection time (not a backoff: the stream delivered), then a
/// request with the last event ID. Every byte moves the deadline.
#[test]
fn a_silent_stream_is_given_up_after_the_read_timeout() {
    let config = no_jitter().read_timeout(Some(Duration::from_millis(5_000)));
    let mut sim = Sim::new("http://a.example/events", &[], config);
    sim.request();
    let got = sim.receive(
        format!("{OPEN}retry: 700\nid: 3\ndata: x\n\n").as_bytes(),
        1000,
    );
    assert_eq!(got, [Got::Open, Got::Retry(700), ev("x", "3")]);
    let due = |sim: &Sim| {
        sim.session
            .poll_timeout()
            .unwrap()
            .saturating_duration_since(sim.now)
    };
    assert_eq!(due(&sim).as_millis(), 5_000);
    sim.advance(4_000);
    assert_eq!(
        sim.receive(b": keep-alive\n", 1000),
        [Got::Comment("keep-alive".into())]
    );
    assert_eq!(due(&sim).as_millis(), 5_000, "a comment moves the deadline");
    sim.advance(4_999);
    sim.session.handle_timeout(sim.now);
    assert_eq!(sim.updates(), [], "not yet");
    assert_eq!(sim.wait(), 1);
    assert_eq!(
        sim.updates(),
        [Got::Disconnect, Got::Error(Error::ReadTimeout)]
    );
    assert_eq!(sim.session.state(), State::Connecting);
    assert_eq!(sim.wait(), 700);
    let (_, sent) = sim.request();
    assert_eq!(sent, request("/events", "a.example", Some("3"), ""));
    // Off by default: an open stream has no deadline.
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    sim.request();
    sim.receive(OPEN.as_bytes(), 1000);
    assert_eq!(sim.session.poll_timeout(), None);
}

/// `restart` drops the stream and asks to connect at once, with the last event ID; a restart
/// is no failure (the backoff stays where it was), and a closed session stays closed.
#[test]
fn restart_reconnects_now_keeping_the_last_event_id_and_the_backoff() {
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    // Two failed attempts first: the backoff is at 2 failures.
    for _ in 0..2 {
        sim.connect();
        sim.session.handle_io_error(sim.now);
        sim.updates();
        sim.wait();
    }
    sim.request();
    let got = sim.receive(
        format!("{OPEN}retry: 400\nid: 9\ndata: x\n\n").as_bytes(),
        1000,
    );
    assert_eq!(got, [Got::Open, Got::Retry(400), ev("x", "9")]);
    sim.session.restart(sim.now);
    assert_eq!(sim.updates(), [Got::Disconnect]);
    assert_eq!(sim.session.poll_wait(sim.now), None, "no wait");
    let (_, sent) = sim.request();
    assert_eq!(sent, request("/events", "a.example", Some("9"), ""));
    // Restarted while waiting to reconnect: at once too.
    sim.close();
    assert!(sim.session.poll_timeout().is_some());
    sim.session.restart(sim.now);
    let (_, sent) = sim.request();
    assert_eq!(sent, request("/events", "a.example", Some("9"), ""));
    // The stream that delivered reset the failures when it was restarted; since then one
    // attempt failed (closed before its head), and the restart after it counted for nothing:
    // a failure now waits 2 × `retry`, not the 8× of the four failures it would be otherwise.
    sim.session.handle_io_error(sim.now);
    sim.updates();
    assert_eq!(sim.wait(), 800);
    sim.session.close();
    sim.session.restart(sim.now);
    assert_eq!(sim.session.state(), State::Closed);
    assert!(sim.session.poll_connect(sim.now).is_none());
}

/// A redirect may go from `http://` to `https://`, never back out of TLS: the session stops
/// with [`Failure::InsecureRedirect`], also when the `https://` hop was itself a redirect.
#[test]
fn a_redirect_out_of_tls_is_refused() {
    let to =
        |location: &str| format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\n\r\n").into_bytes();
    // https → http.
    let mut sim = Sim::new("https://a.example/events", &[], no_jitter());
    assert_eq!(sim.request().0, "https://a.example");
    assert_eq!(
        sim.receive(&to("http://a.example/events"), 1000),
        [Got::Disconnect]
    );
    assert!(sim.session.poll_connect(sim.now).is_none());
    assert_eq!(sim.session.state(), State::Closed);
    assert_eq!(
        sim.session.client().poll_failure(),
        Some(Failure::InsecureRedirect)
    );
    // http → https is allowed; https → http after it is not.
    let mut sim = Sim::new("http://a.example/events", &[], no_jitter());
    sim.request();
    sim.receive(&to("https://b.example/s"), 1000);
    assert_eq!(sim.request().0, "https://b.example");
    sim.receive(&to("http://c.example/s"), 1000);
    assert!(sim.session.poll_connect(sim.now).is_none());
    assert_eq!(
        sim.session.client().poll_failure(),
        Some(Failure::InsecureRedirect)
    );
    // https → https, twice: followed.
    let mut sim = Sim::new("https://a.example/events", &[], no_jitter());
    sim.request();
    sim.receive(&to("https://b.example/s"), 1000);
    assert_eq!(sim.request().0, "https://b.example");
    sim.receive(&to("https://c.example/t"), 1000);
    assert_eq!(sim.request().0, "https://c.example");
    assert_eq!(sim.receive(OPEN.as_bytes(), 1000), [Got::Open]);
}

/// Through a forward proxy, an `http://` URL is requested in absolute form with the proxy's
/// credentials; an `https://` one asks for a tunnel; `no_proxy` hosts go direct; a redirect
/// picks the route of its own target.
#[cfg(feature = "proxy")]
#[test]
fn proxies_route_each_target() {
    let proxies = Proxies::new()
        .http(Proxy::new("http://proxy.example:3128").authorization("Basic dTpw"))
        .https(Proxy::new("http://tunnel.example"))
        .no_proxy("direct.example, 10.0.0.0/8");
    let mut sim = Sim::with_request(
        "http://a.example:8080/events?x",
        Request::new().proxies(proxies),
        no_jitter(),
        512,
    );
    let target = sim.session.poll_connect(sim.now).unwrap();
    assert_eq!(target.address(), ("proxy.example", 3128));
    let via = target.via.unwrap();
    assert!(!via.tunnel);
    assert!(target.tunnel_request(&mut [0; 64]).is_none());
    sim.session.handle_connected(sim.now);
    let sent = sim.transmit(1000);
    assert_eq!(
        sent,
        "GET http://a.example:8080/events?x HTTP/1.1\r\nHost: a.example:8080\r\n\
         Accept: text/event-stream\r\nCache-Control: no-cache\r\n\
         Proxy-Authorization: Basic dTpw\r\n\r\n"
    );
    // To https: a tunnel through the other proxy, and an origin-form request inside it.
    let moved = b"HTTP/1.1 302 Found\r\nLocation: https://b.example/s\r\n\r\n";
    sim.receive(moved, 1000);
    let target = sim.session.poll_connect(sim.now).unwrap();
    assert_eq!(target.address(), ("tunnel.example", 80));
    assert!(target.is_tls() && target.via.unwrap().tunnel);
    let mut buf = [0; 128];
    let len = target.tunnel_request(&mut buf).unwrap().unwrap();
    assert_eq!(
        &buf[..len],
        b"CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n"
    );
    let tunnel = buf[..len].to_vec();
    let target = sim.session.connecting().unwrap();
    assert_eq!(target.address(), ("tunnel.example", 80));
    let again = target.tunnel_request(&mut buf).unwrap().unwrap();
    assert_eq!(buf[..again], tunnel[..]);
    sim.session.handle_connected(sim.now);
    assert_eq!(sim.transmit(1000), request("/s", "b.example", None, ""));
    // no_proxy: a named host, and an address in a block (still https: never back to http).
    for url in ["https://direct.example/", "https://10.1.2.3:9/"] {
        let moved = format!("HTTP/1.1 302 Found\r\nLocation: {url}\r\n\r\n");
        sim.receive(moved.as_bytes(), 1000);
        let target = sim.session.poll_connect(sim.now).unwrap();
        assert_eq!(target.via, None, "{url}");
        assert_eq!(target.address(), (target.url.host, target.url.port));
        sim.session.handle_connected(sim.now);
        assert!(sim.transmit(1000).starts_with("GET / HTTP/1.1\r\n"));
    }
}

/// A proxy's `407` fails the session for good, through a tunnel or not; another refusal of a
/// tunnel fails the attempt only.
#[cfg(feature = "proxy")]
#[test]
fn a_proxy_that_wants_credentials_stops_the_session() {
    let proxies = Proxies::new()
        .http(Proxy::new("http://proxy.example:3128"))
        .https(Proxy::new("http://proxy.example:3128"));
    let request = Request::new().proxies(proxies);
    let mut sim = Sim::with_request("http://a.example/", request, no_jitter(), 512);
    sim.request();
    let refused = b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n";
    assert_eq!(sim.receive(refused, 1000), [Got::Disconnect]);
    assert_eq!(
        sim.session.client().poll_failure(),
        Some(Failure::ProxyAuthentication)
    );

    let mut sim = Sim::with_request("https://a.example/", request, no_jitter(), 512);
    assert!(
        sim.session
            .poll_connect(sim.now)
            .unwrap()
            .via
            .unwrap()
            .tunnel
    );
    sim.session
        .handle_tunnel_error(sim.now, TunnelError::Status(502));
    assert_eq!(sim.session.state(), State::Connecting);
    assert_eq!(sim.wait(), 3000);
    assert!(sim.session.poll_connect(sim.now).is_some());
    sim.session
        .handle_tunnel_error(sim.now, TunnelError::Status(407));
    assert_eq!(sim.updates(), [Got::Disconnect]);
    assert_eq!(
        sim.session.client().poll_failure(),
        Some(Failure::ProxyAuthentication)
    );
}

#[cfg(feature = "proxy")]
#[test]
fn proxy_settings_are_checked_when_made() {
    let client = || Client::new(vec![0; 2048], no_jitter(), 1);
    let made = |proxies: Proxies<'_>| {
        let request = Request::new().proxies(proxies);
        Session::with_request(client(), vec![0; 512], "http://a.example/", request).err()
    };
    let bad = [
        (
            Proxies::new().http(Proxy::new("proxy:3128")),
            Error::Proxy(UrlError::Invalid),
        ),
        (
            Proxies::new().https(Proxy::new("https://proxy.example")),
            Error::Proxy(UrlError::UnsupportedScheme),
        ),
        (
            Proxies::new().https(Proxy::new("socks5://proxy.example")),
            Error::Proxy(UrlError::UnsupportedScheme),
        ),
        (
            Proxies::new().http(Proxy::new("http://p.example").authorization("a\r\nX: y")),
            Error::Request(WriteError::InvalidHeaderValue),
        ),
        (
            Proxies::new().no_proxy("a\nb"),
            Error::Proxy(UrlError::Invalid),
        ),
    ];
    for (proxies, error) in bad {
        assert_eq!(made(proxies), Some(error), "{proxies:?}");
    }
    assert_eq!(
        made(Proxies::new().http(Proxy::new("http://[::1]:3128"))),
        None
    );
}

#[cfg(feature = "proxy")]
#[test]
fn no_proxy_matches_as_curl_does() {
    use ssewire::client::bypasses;
    let cases: &[(&str, &str, u16, bool)] = &[
        ("", "a.example", 80, false),
        ("*", "a.example", 80, true),
        ("a.example", "a.example", 80, true),
        ("A.Example", "a.EXAMPLE", 80, true),
        ("a.example", "sub.a.example", 80, true),
        ("a.example", "aa.example", 80, false),
        (".a.example", "a.example", 80, true),
        ("*.a.example", "x.a.example", 80, true),
        ("b.example, a.example", "a.example", 80, true),
        ("a.example:8080", "a.example", 8080, true),
        ("a.example:8080", "a.example", 80, false),
        ("127.0.0.1", "127.0.0.1", 80, true),
        ("127.0.0.1", "127.0.0.2", 80, false),
        ("127.0.0.0/8", "127.9.9.9", 80, true),
        ("10.0.0.0/8", "11.0.0.1", 80, false),
        ("10.0.0.0/33", "10.0.0.1", 80, false),
        ("::1", "::1", 80, true),
        ("[::1]:8080", "::1", 8080, true),
        ("fd00::/8", "fd12::1", 80, true),
        ("fd00::/8", "fe12::1", 80, false),
        ("10.0.0.0/8", "a.example", 80, false),
        ("localhost", "localhost", 80, true),
    ];
    for &(list, host, port, expected) in cases {
        assert_eq!(
            bypasses(list, host, port),
            expected,
            "{list:?} {host} {port}"
        );
    }
}

#[test]
fn a_tunnel_opens_on_a_2xx_answer_only() {
    use ssewire::client::read_tunnel_response;
    let ok = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection established\r\n\r\n";
    assert_eq!(read_tunnel_response(ok), Ok(Some(ok.len())));
    assert_eq!(read_tunnel_response(&ok[..40]), Ok(None));
    let refused = b"HTTP/1.0 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(read_tunnel_response(refused), Err(TunnelError::Status(407)));
    assert_eq!(
        read_tunnel_response(b"SSH-2.0-OpenSSH\r\n\r\n"),
        Err(TunnelError::Head(HeadError::Malformed))
    );
    let long = format!("HTTP/1.1 200 OK\r\nX: {}\r\n", "y".repeat(5000));
    assert_eq!(
        read_tunnel_response(long.as_bytes()),
        Err(TunnelError::Head(HeadError::TooLarge))
    );
}

/// Without the feature `proxy`, a session refuses any proxy rather than ignore it.
#[cfg(not(feature = "proxy"))]
#[test]
fn without_the_feature_a_proxy_is_refused() {
    let proxies = Proxies::new().http(Proxy::new("http://proxy.example:3128"));
    let client = Client::new(vec![0; 2048], no_jitter(), 1);
    let request = Request::new().proxies(proxies);
    let made = Session::with_request(client, vec![0; 512], "http://a.example/", request);
    assert_eq!(made.err(), Some(Error::Proxy(UrlError::UnsupportedScheme)));
}

/// A toy coding for the session's side of decoding: each byte XOR 0x5A; `!` is corrupt. It
/// gives at most 3 bytes of output at a time, as a real decoder bounds its output.
#[derive(Default)]
struct Xor {
    out: Vec<u8>,
    starts: Vec<Coding>,
}

impl Decode for Xor {
    fn start(&mut self, coding: Coding) {
        self.out.clear();
        self.starts.push(coding);
    }

    fn decode(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        let room = 3usize.saturating_sub(self.out.len());
        let take = input.len().min(room);
        for &b in &input[..take] {
            if b == b'!' {
                return Err(DecodeError);
            }
            self.out.push(b ^ 0x5A);
        }
        Ok(take)
    }

    fn output(&self) -> &[u8] {
        &self.out
    }

    fn consume(&mut self, n: usize) {
        self.out.drain(..n);
    }
}

fn xor(text: &str) -> Vec<u8> {
    text.bytes().map(|b| b ^ 0x5A).collect()
}

/// Receives `bytes`, `step` at a time, decoding with `decoder`; what the session reports.
fn receive_decoded(sim: &mut Sim, decoder: &mut Xor, bytes: &[u8], step: usize) -> Vec<Got> {
    let mut got = Vec::new();
    let mut rest = bytes;
    loop {
        if sim.session.poll_disconnect() {
            got.push(Got::Disconnect);
        }
        match sim.session.poll_ready_with(sim.now, decoder) {
            Some(Ok(output)) => got.push(match (output, &sim.session) {
                (Output::Open, _) => Got::Open,
                (Output::Item(ready), session) => match session.client().resolve(ready) {
                    Item::Event(e) => ev(e.data, e.last_event_id),
                    Item::Comment(c) => Got::Comment(c.to_owned()),
                    Item::Retry(ms) => Got::Retry(ms),
                },
            }),
            Some(Err(error)) => got.push(Got::Error(error)),
            None => {
                let window = sim.session.poll_read().filter(|_| !rest.is_empty());
                let Some(window) = window else {
                    if sim.session.poll_disconnect() {
                        got.push(Got::Disconnect);
                    }
                    break;
                };
                let n = rest.len().min(step).min(window.len());
                window[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                sim.session.handle_received(sim.now, n);
            }
        }
    }
    got
}

/// A compressed stream in a coding the caller decodes goes through its decoder, started
/// afresh for each stream, at every read size; `Accept-Encoding` asks for what it decodes.
#[test]
fn a_compressed_stream_goes_through_the_decoder() {
    let body = "retry: 50\nid: 1\ndata: one\n\ndata: two\ndata: lines\n\n";
    let compressed = xor(body);
    let mut chunked =
        format!("{OPEN_TYPE}Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
            .into_bytes();
    for piece in compressed.chunks(7) {
        chunked.extend(format!("{:x}\r\n", piece.len()).bytes());
        chunked.extend(piece);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    let expected = vec![
        Got::Open,
        Got::Retry(50),
        ev("one", "1"),
        ev("two\nlines", "1"),
        Got::Disconnect,
    ];
    for step in [1, 2, 5, 64, chunked.len()] {
        let config = no_jitter().decodes(Codings::GZIP_DEFLATE);
        let mut sim = Sim::new("http://a.example/events", &[], config);
        let (_, sent) = sim.request();
        assert_eq!(
            sent,
            request(
                "/events",
                "a.example",
                None,
                "Accept-Encoding: gzip, deflate\r\n"
            )
        );
        let mut decoder = Xor::default();
        assert_eq!(
            receive_decoded(&mut sim, &mut decoder, &chunked, step),
            expected,
            "{step}"
        );
        // The next stream: close-delimited, deflate, from a fresh decoder state.
        assert_eq!(sim.wait(), 50);
        sim.request();
        let mut close = format!("{OPEN_TYPE}Content-Encoding: Deflate\r\n\r\n").into_bytes();
        close.extend(xor("data: three\n\n"));
        let got = receive_decoded(&mut sim, &mut decoder, &close, step);
        assert_eq!(got, [Got::Open, ev("three", "1")], "{step}");
        assert_eq!(decoder.starts, [Coding::Gzip, Coding::Deflate]);
    }
}

/// Corrupt compressed bytes, or a compressed stream read without a decoder, are reported and
/// the connection dropped; a coding the caller does not decode fails for good.
#[test]
fn a_compressed_stream_that_cannot_be_read_is_reported() {
    let head = format!("{OPEN_TYPE}Content-Encoding: gzip\r\n\r\n").into_bytes();
    let mut corrupt = head.clone();
    corrupt.extend(xor("data: a\n\n"));
    corrupt.extend(b"!!");
    let config = no_jitter().decodes(Codings::NONE.with(Coding::Gzip));
    let mut sim = Sim::new("http://a.example/events", &[], config);
    let (_, sent) = sim.request();
    assert!(sent.contains("\r\nAccept-Encoding: gzip\r\n"), "{sent}");
    let got = receive_decoded(&mut sim, &mut Xor::default(), &corrupt, 1000);
    assert_eq!(
        got,
        [
            Got::Open,
            ev("a", ""),
            Got::Error(Error::Decode(DecodeError)),
            Got::Disconnect
        ]
    );
    assert_eq!(sim.session.state(), State::Connecting);
    // Without a decoder (poll_ready): not taken for events.
    assert_eq!(sim.wait(), 3000);
    sim.request();
    assert_eq!(
        sim.receive(&corrupt, 1000),
        [
            Got::Open,
            Got::Error(Error::Decode(DecodeError)),
            Got::Disconnect
        ]
    );
    // Deflate, which this caller does not decode.
    assert_eq!(sim.wait(), 3000);
    sim.request();
    let deflate = format!("{OPEN_TYPE}Content-Encoding: deflate\r\n\r\n");
    assert_eq!(sim.receive(deflate.as_bytes(), 1000), [Got::Disconnect]);
    assert_eq!(
        sim.session.client().poll_failure(),
        Some(Failure::ContentEncoding)
    );
}

#[test]
fn kept_len_measures_what_the_session_keeps() {
    let url = "http://a.example/x";
    let headers = [("X-A", "1")];
    let plain = Request::new();
    assert_eq!(plain.kept_len(url), Ok(url.len() + "GET".len()));
    // `X-A: 1` and CRLF; the body as it is.
    let post = Request::new().method("POST").headers(&headers).body(b"hi");
    assert_eq!(post.kept_len(url), Ok(url.len() + 4 + 8 + 2));
    let bad = [("X-A", "1\r\nX-B: 2")];
    assert_eq!(
        Request::new().headers(&bad).kept_len(url),
        Err(Error::Request(WriteError::InvalidHeaderValue))
    );
    for request in [plain, post] {
        let len = request.kept_len(url).unwrap();
        let client = Client::new(vec![0; 2048], no_jitter(), 1);
        assert!(Session::with_request(client, vec![0; len + 256], url, request).is_ok());
    }
}

#[cfg(feature = "proxy")]
#[test]
fn kept_len_counts_the_proxies_only_when_there_are_some() {
    let url = "http://a.example/x";
    let plain = url.len() + "GET".len();
    let no_proxy = Request::new().proxies(Proxies::new().no_proxy("localhost"));
    assert_eq!(no_proxy.kept_len(url), Ok(plain));
    // A line each: the http proxy and its authorization, the https one's (none), no_proxy.
    let proxy = Proxy::new("http://p:3128").authorization("Basic eA==");
    let proxied = Request::new().proxies(Proxies::new().http(proxy).no_proxy("localhost"));
    let lines = "http://p:3128\n".len() + "Basic eA==\n".len() + 2 + "localhost\n".len();
    assert_eq!(proxied.kept_len(url), Ok(plain + lines));
    let len = proxied.kept_len(url).unwrap();
    let client = Client::new(vec![0; 2048], no_jitter(), 1);
    assert!(Session::with_request(client, vec![0; len + 256], url, proxied).is_ok());
}
