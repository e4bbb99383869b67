//! The event source over scripted in-memory connections and a virtual clock.

mod common;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::string::{String, ToString};
use std::vec::Vec;

use common::VirtualClock;
use embassy_futures::block_on;
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use ssewire::http::{UrlError, WriteError};
use ssewire::parse::Item;
use ssewire_embedded::client::{Client, Config, Duration, Error, Failure, Origin, Request, State};
use ssewire_embedded::{Connect, EventSource, SourceError, Target, Update};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IoError;

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection broken")
    }
}

impl core::error::Error for IoError {}

impl embedded_io_async::Error for IoError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::BrokenPipe
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Refused;

/// A connection: the server's bytes, read in the sizes of `sizes` (cycled); what the client
/// writes goes to `written`.
struct Conn {
    input: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    reads: usize,
    /// At the end of input, wait forever instead of reporting end of stream.
    hang: bool,
    /// At the end of input, fail.
    fail: bool,
    written: Rc<RefCell<Vec<u8>>>,
}

impl ErrorType for Conn {
    type Error = IoError;
}

impl Read for Conn {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, IoError> {
        if self.pos == self.input.len() && self.hang {
            core::future::pending::<()>().await;
        }
        if self.pos == self.input.len() && self.fail {
            return Err(IoError);
        }
        let size = self.sizes[self.reads % self.sizes.len()];
        self.reads += 1;
        let n = size.min(buf.len()).min(self.input.len() - self.pos);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Conn {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, IoError> {
        // A few bytes at a time, to exercise partial writes.
        let n = buf.len().min(5);
        self.written.borrow_mut().extend_from_slice(&buf[..n]);
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

/// Hands out the scripted connections in order (an error where there is `None`), then
/// refuses; records the targets asked for (`None` for the origin's server,
/// `scheme://authority` for another one) and the requests written.
#[derive(Default)]
struct Server {
    script: VecDeque<Option<Conn>>,
    targets: Rc<RefCell<Vec<Option<String>>>>,
    requests: Vec<Rc<RefCell<Vec<u8>>>>,
}

impl Server {
    fn serve(mut self, input: &[u8], sizes: &[usize]) -> Self {
        let written = Rc::default();
        self.requests.push(Rc::clone(&written));
        self.script.push_back(Some(Conn {
            input: input.to_vec(),
            pos: 0,
            sizes: sizes.to_vec(),
            reads: 0,
            hang: false,
            fail: false,
            written,
        }));
        self
    }

    fn hang(mut self) -> Self {
        if let Some(Some(conn)) = self.script.back_mut() {
            conn.hang = true;
        }
        self
    }

    fn fail(mut self) -> Self {
        if let Some(Some(conn)) = self.script.back_mut() {
            conn.fail = true;
        }
        self
    }

    fn refuse(mut self) -> Self {
        self.script.push_back(None);
        self
    }
}

impl Connect for Server {
    type Connection = Conn;
    type Error = Refused;

    async fn connect(&mut self, target: Target<'_>) -> Result<Conn, Refused> {
        let url = target.url;
        let other = target.origin != Origin::Same;
        self.targets
            .borrow_mut()
            .push(other.then(|| format!("{}://{}", url.scheme.as_str(), url.authority)));
        self.script.pop_front().flatten().ok_or(Refused)
    }
}

/// An item or an error, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Got {
    /// Data and id.
    Event(String, String),
    Comment(String),
    Retry(u64),
    Error(SourceError<Refused, IoError>),
}

fn ev(data: &str, id: &str) -> Got {
    Got::Event(data.to_string(), id.to_string())
}

/// What a test run saw.
struct Run {
    got: Vec<Got>,
    state: State,
    failure: Option<Failure>,
    targets: Vec<Option<String>>,
    requests: Vec<String>,
    sleeps: Vec<u64>,
    now: u64,
}

const OPEN: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";

const NO_JITTER: Config = {
    let mut config = Config::new();
    config.jitter_percent = 0;
    config
};

/// Runs an event source for `/events` on `a.example` until `None` or `limit` results (then
/// closes it).
fn run(server: Server, config: Config, buf_len: usize, limit: usize) -> Run {
    run_with(server, config, buf_len, limit, Request::new())
}

/// As [`run`], sending `request`.
fn run_with(
    server: Server,
    config: Config,
    buf_len: usize,
    limit: usize,
    request: Request<'_>,
) -> Run {
    let targets = Rc::clone(&server.targets);
    let requests = server.requests.clone();
    let clock = VirtualClock::default();
    let mut storage = [0u8; 1024];
    let mut buf = vec![0u8; buf_len];
    let mut got = Vec::new();
    let (state, failure) = block_on(async {
        let client = Client::new(&mut storage[..], config, 1);
        let mut source = EventSource::with_request(
            client,
            server,
            clock.clone(),
            &mut buf,
            "http://a.example/events",
            request,
        )
        .unwrap();
        while let Some(result) = source.next().await {
            got.push(match result {
                Ok(Item::Event(e)) => Got::Event(e.data.to_string(), e.last_event_id.to_string()),
                Ok(Item::Comment(c)) => Got::Comment(c.to_string()),
                Ok(Item::Retry(ms)) => Got::Retry(ms),
                Err(error) => Got::Error(error),
            });
            if got.len() == limit {
                source.close();
            }
        }
        assert!(source.next().await.is_none());
        (source.state(), source.failure())
    });
    let now = clock.now.get();
    let sleeps = clock.sleeps.borrow().clone();
    let targets = targets.borrow().clone();
    Run {
        got,
        state,
        failure,
        targets,
        requests: requests
            .iter()
            .map(|r| String::from_utf8(r.borrow().clone()).unwrap())
            .collect(),
        sleeps,
        now,
    }
}

fn request(id: Option<&str>) -> String {
    let mut r = "GET /events HTTP/1.1\r\nHost: a.example\r\nAccept: text/event-stream\r\n\
                 Cache-Control: no-cache\r\n"
        .to_string();
    if let Some(id) = id {
        r += &format!("Last-Event-ID: {id}\r\n");
    }
    r + "\r\n"
}

#[test]
fn delivers_events() {
    let body = format!("{OPEN}: hi\n\ndata: one\nid: 1\n\ndata: two\n\n");
    let run = run(
        Server::default().serve(body.as_bytes(), &[1000]),
        NO_JITTER,
        512,
        3,
    );
    assert_eq!(
        run.got,
        [Got::Comment("hi".into()), ev("one", "1"), ev("two", "1")]
    );
    assert_eq!(run.state, State::Closed);
    assert_eq!(run.failure, None);
    assert_eq!(run.requests, [request(None)]);
    assert_eq!(run.targets, [None]);
}

#[test]
fn reconnects_with_last_event_id_after_close() {
    let first = format!("{OPEN}data: one\nid: 1\n\ndata: two\nid: 2\n\ndata: cut");
    let second = format!("{OPEN}data: three\nid: 3\n\n");
    let server = Server::default()
        .serve(first.as_bytes(), &[7])
        .serve(second.as_bytes(), &[7]);
    let run = run(server, NO_JITTER, 512, 3);
    assert_eq!(run.got, [ev("one", "1"), ev("two", "2"), ev("three", "3")]);
    assert_eq!(run.requests, [request(None), request(Some("2"))]);
    assert_eq!(run.targets, [None, None]);
    // The default reconnection time, no jitter, first failure: 3 s.
    assert_eq!(run.sleeps, [3000]);
    assert_eq!(run.now, 3000);
}

#[test]
fn retry_sets_the_wait() {
    let first = format!("{OPEN}retry: 1234\nid: 9\n\n");
    let second = format!("{OPEN}data: back\n\n");
    let server = Server::default()
        .serve(first.as_bytes(), &[100])
        .serve(second.as_bytes(), &[100]);
    let run = run(server, NO_JITTER, 512, 2);
    assert_eq!(run.got, [Got::Retry(1234), ev("back", "9")]);
    assert_eq!(run.sleeps, [1234]);
    assert_eq!(run.now, 1234);
    assert_eq!(run.requests[1], request(Some("9")));
}

#[test]
fn no_content_stops() {
    let server = Server::default().serve(b"HTTP/1.1 204 No Content\r\n\r\n", &[3]);
    let run = run(server, NO_JITTER, 512, 100);
    assert_eq!(run.got, []);
    assert_eq!(run.state, State::Closed);
    assert_eq!(run.failure, Some(Failure::NoContent));
    assert_eq!(run.targets, [None]);
}

#[test]
fn wrong_content_type_stops() {
    let server = Server::default().serve(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ndata: no\n\n",
        &[100],
    );
    let run = run(server, NO_JITTER, 512, 100);
    assert_eq!(run.got, []);
    assert_eq!(run.failure, Some(Failure::ContentType));
}

#[test]
fn follows_redirect_then_reconnects_to_original() {
    let redirect = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://b.example:8080/s?x=1\r\n\
                     Content-Length: 0\r\n\r\n";
    let moved = format!("{OPEN}data: there\nid: 5\n\n");
    let original = format!("{OPEN}data: here\n\n");
    let server = Server::default()
        .serve(redirect, &[10])
        .hang()
        .serve(moved.as_bytes(), &[10])
        .serve(original.as_bytes(), &[10]);
    let run = run(server, NO_JITTER, 512, 2);
    assert_eq!(run.got, [ev("there", "5"), ev("here", "5")]);
    assert_eq!(
        run.targets,
        [None, Some("http://b.example:8080".into()), None]
    );
    assert!(run.requests[1].starts_with("GET /s?x=1 HTTP/1.1\r\nHost: b.example:8080\r\n"));
    assert_eq!(run.requests[2], request(Some("5")));
    // No wait before following the redirect.
    assert_eq!(run.sleeps, [3000]);
}

#[test]
fn relative_redirect_keeps_the_host() {
    let redirect = b"HTTP/1.1 302 Found\r\nLocation: /moved\r\n\r\n";
    let moved = format!("{OPEN}data: x\n\n");
    let server = Server::default()
        .serve(redirect, &[1000])
        .serve(moved.as_bytes(), &[1000]);
    let run = run(server, NO_JITTER, 512, 1);
    assert_eq!(run.got, [ev("x", "")]);
    assert_eq!(run.targets, [None, None]);
    assert!(run.requests[1].starts_with("GET /moved HTTP/1.1\r\nHost: a.example\r\n"));
}

#[test]
fn chunked_body() {
    let body = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                Transfer-Encoding: chunked\r\n\r\n\
                a\r\ndata: one\n\r\n1;ext=1\r\n\n\r\n7\r\nid: 2\n\n\r\n0\r\n\r\n";
    let again = format!("{OPEN}data: two\n\n");
    for sizes in [&[1000][..], &[1], &[3, 1, 7]] {
        let server = Server::default()
            .serve(body.as_bytes(), sizes)
            .serve(again.as_bytes(), sizes);
        let run = run(server, NO_JITTER, 512, 2);
        assert_eq!(run.got, [ev("one", ""), ev("two", "2")], "{sizes:?}");
        assert_eq!(run.requests[1], request(Some("2")));
    }
}

#[test]
fn content_length_body_ends_the_connection() {
    let body = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 15\r\n\r\n\
                id: 4\ndata: a\n\nGARBAGE";
    let again = format!("{OPEN}data: b\n\n");
    let server = Server::default()
        .serve(body.as_bytes(), &[1000])
        .serve(again.as_bytes(), &[1000]);
    let run = run(server, NO_JITTER, 512, 2);
    assert_eq!(run.got, [ev("a", "4"), ev("b", "4")]);
}

#[test]
fn connect_errors_back_off() {
    let body = format!("{OPEN}data: finally\n\n");
    let server = Server::default()
        .refuse()
        .refuse()
        .serve(body.as_bytes(), &[1000]);
    let run = run(server, NO_JITTER, 512, 3);
    assert_eq!(
        run.got,
        [
            Got::Error(SourceError::Connect(Refused)),
            Got::Error(SourceError::Connect(Refused)),
            ev("finally", ""),
        ]
    );
    // 3 s, then doubled: 6 s more.
    assert_eq!(run.sleeps, [3000, 9000]);
}

#[test]
fn retry_budget_gives_up() {
    let mut config = NO_JITTER;
    config.retry_budget = Some(2);
    let run = run(Server::default(), config, 512, 100);
    assert_eq!(run.got, vec![Got::Error(SourceError::Connect(Refused)); 3]);
    assert_eq!(run.failure, Some(Failure::RetryBudgetExhausted));
    assert_eq!(run.state, State::Closed);
}

#[test]
fn one_byte_reads() {
    let first = format!("{OPEN}: c\n\ndata: one\nid: 1\n\nretry: 500\n\n");
    let second = format!("{OPEN}data: two\n\n");
    let server = Server::default()
        .serve(first.as_bytes(), &[1])
        .serve(second.as_bytes(), &[1]);
    let run = run(server, NO_JITTER, 512, 4);
    assert_eq!(
        run.got,
        [
            Got::Comment("c".into()),
            ev("one", "1"),
            Got::Retry(500),
            ev("two", "1")
        ]
    );
    assert_eq!(run.sleeps, [500]);
}

#[test]
fn tiny_buffer_reads_body_in_pieces() {
    // The buffer holds the URL and the longest head, not the events: they are collected in
    // the storage. 120 bytes: 23 of URL, 97 for the request head (93) and then the response
    // head (52) with the start of the body.
    let body = format!("{OPEN}data: a rather long line of data\n\n");
    let run = run(
        Server::default().serve(body.as_bytes(), &[1000]),
        NO_JITTER,
        120,
        1,
    );
    assert_eq!(run.got, [ev("a rather long line of data", "")]);
}

#[test]
fn head_too_large_is_reported_and_retried() {
    let head = format!("HTTP/1.1 200 OK\r\nX-Long: {}\r\n\r\n", "x".repeat(600));
    let again = format!("{OPEN}data: ok\n\n");
    let server = Server::default()
        .serve(head.as_bytes(), &[1000])
        .serve(again.as_bytes(), &[1000]);
    let run = run(server, NO_JITTER, 512, 2);
    assert_eq!(
        run.got,
        [
            Got::Error(SourceError::Session(Error::Head(
                ssewire::http::HeadError::TooLarge
            ))),
            ev("ok", "")
        ]
    );
}

#[test]
fn response_timeout() {
    let mut config = NO_JITTER;
    config.response_timeout = Some(Duration::from_millis(700));
    let again = format!("{OPEN}data: ok\n\n");
    let server = Server::default()
        .serve(b"HTTP/1.1 200 OK\r\n", &[1000])
        .hang()
        .serve(again.as_bytes(), &[1000]);
    let run = run(server, config, 512, 2);
    assert_eq!(
        run.got,
        [
            Got::Error(SourceError::Session(Error::ResponseTimeout)),
            ev("ok", "")
        ]
    );
    assert_eq!(run.sleeps, [700, 3700]);
}

#[test]
fn eof_in_head_is_reported() {
    let again = format!("{OPEN}data: ok\n\n");
    let server = Server::default()
        .serve(b"HTTP/1.1 200 OK\r\nContent-", &[4])
        .serve(again.as_bytes(), &[1000]);
    let run = run(server, NO_JITTER, 512, 2);
    assert_eq!(
        run.got,
        [
            Got::Error(SourceError::Session(Error::UnexpectedEof)),
            ev("ok", "")
        ]
    );
}

#[test]
fn interim_response_is_skipped() {
    let body = format!("HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n{OPEN}data: x\n\n");
    let run = run(
        Server::default().serve(body.as_bytes(), &[5]),
        NO_JITTER,
        512,
        1,
    );
    assert_eq!(run.got, [ev("x", "")]);
}

#[test]
fn invalid_original_url_is_refused_up_front() {
    let mut storage = [0u8; 512];
    let mut buf = [0u8; 256];
    for (url, error) in [
        ("http://a.example/no path", Error::Url(UrlError::Invalid)),
        ("a.example/events", Error::Url(UrlError::Invalid)),
        ("ftp://a.example/", Error::Url(UrlError::UnsupportedScheme)),
    ] {
        let client = Client::new(&mut storage[..], NO_JITTER, 1);
        let source = EventSource::new(
            client,
            Server::default(),
            VirtualClock::default(),
            &mut buf,
            url,
        );
        assert_eq!(source.err(), Some(error), "{url}");
    }
    let client = Client::new(&mut storage[..], NO_JITTER, 1);
    let mut tiny = [0u8; 40];
    let source = EventSource::new(
        client,
        Server::default(),
        VirtualClock::default(),
        &mut tiny,
        "http://a.example/events",
    );
    assert_eq!(
        source.err(),
        Some(Error::Request(WriteError::BufferTooSmall))
    );
    let client = Client::new(&mut storage[..], NO_JITTER, 1);
    let source = EventSource::with_headers(
        client,
        Server::default(),
        VirtualClock::default(),
        &mut buf,
        "http://a.example/events",
        &[("Bad\r\nName", "x")],
    );
    assert_eq!(
        source.err(),
        Some(Error::Request(WriteError::InvalidHeaderName))
    );
}

#[test]
fn extra_headers_are_sent() {
    let body = format!("{OPEN}data: x\n\n");
    let server = Server::default().serve(body.as_bytes(), &[1000]);
    let written = Rc::clone(&server.requests[0]);
    let mut storage = [0u8; 512];
    let mut buf = [0u8; 256];
    block_on(async {
        let client = Client::new(&mut storage[..], NO_JITTER, 1);
        let mut source = EventSource::with_headers(
            client,
            server,
            VirtualClock::default(),
            &mut buf,
            "http://a.example/events",
            &[("Authorization", "Bearer t")],
        )
        .unwrap();
        assert!(matches!(source.next().await, Some(Ok(Item::Event(_)))));
    });
    assert!(String::from_utf8(written.borrow().clone())
        .unwrap()
        .ends_with("Authorization: Bearer t\r\n\r\n"));
}

#[test]
fn io_error_is_reported_and_reconnects() {
    let first = format!("{OPEN}id: 1\ndata: one\n\ndata: lost");
    let second = format!("{OPEN}data: two\n\n");
    let server = Server::default()
        .serve(first.as_bytes(), &[9])
        .fail()
        .serve(second.as_bytes(), &[9]);
    let run = run(server, NO_JITTER, 512, 3);
    assert_eq!(
        run.got,
        [
            ev("one", "1"),
            Got::Error(SourceError::Io(IoError)),
            ev("two", "1")
        ]
    );
    assert_eq!(run.requests[1], request(Some("1")));
    assert_eq!(run.sleeps, [3000]);
}

#[test]
fn retried_server_error_waits_for_retry_after() {
    let mut config = NO_JITTER;
    config.retry_server_errors = true;
    let again = format!("{OPEN}data: ok\n\n");
    let server = Server::default()
        .serve(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\nbusy",
            &[1000],
        )
        .hang()
        .serve(again.as_bytes(), &[1000]);
    let run = run(server, config, 512, 1);
    assert_eq!(run.got, [ev("ok", "")]);
    assert_eq!(run.sleeps, [5000]);
}

#[test]
fn next_update_reports_each_opening() {
    let first = format!("{OPEN}data: one\nid: 1\n\n");
    let second = "HTTP/1.1 307 Temporary Redirect\r\nLocation: /moved\r\n\r\n";
    let third = format!("{OPEN}: hi\n\n");
    let server = Server::default()
        .serve(first.as_bytes(), &[5])
        .refuse()
        .serve(second.as_bytes(), &[5])
        .serve(third.as_bytes(), &[5]);
    let clock = VirtualClock::default();
    let mut storage = [0u8; 1024];
    let mut buf = [0u8; 512];
    let got = block_on(async {
        let client = Client::new(&mut storage[..], NO_JITTER, 1);
        let mut source =
            EventSource::new(client, server, clock, &mut buf, "http://a.example/events").unwrap();
        let mut got = Vec::new();
        while let Some(update) = source.next_update().await {
            got.push(match update {
                Ok(Update::Open) => "open".to_string(),
                Ok(Update::Item(Item::Event(e))) => format!("event {}", e.data),
                Ok(Update::Item(Item::Comment(c))) => format!("comment {c}"),
                Ok(other) => format!("{other:?}"),
                Err(error) => format!("error {error}"),
            });
            if got.len() == 5 {
                source.close();
            }
        }
        got
    });
    // No opening for the refused attempt or the redirect: only for streams.
    assert_eq!(
        got,
        [
            "open",
            "event one",
            "error connecting failed",
            "open",
            "comment hi"
        ]
    );
}

#[test]
fn delimited_body_cut_short_is_reported() {
    let chunked = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                   Transfer-Encoding: chunked\r\n\r\nb\r\ndata: one\n\n\r\n";
    let length = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 99\r\n\r\n\
                  data: one\n\n";
    let again = format!("{OPEN}data: two\n\n");
    for cut in [chunked, length] {
        for sizes in [&[1000][..], &[1]] {
            let server = Server::default()
                .serve(cut.as_bytes(), sizes)
                .serve(again.as_bytes(), sizes);
            let run = run(server, NO_JITTER, 512, 3);
            // Reported, and the source reconnects as after a clean end.
            assert_eq!(
                run.got,
                [
                    ev("one", ""),
                    Got::Error(SourceError::Session(Error::UnexpectedEof)),
                    ev("two", "")
                ],
                "{cut:?} {sizes:?}"
            );
        }
    }
    // A close-delimited body ends with the connection: nothing to report.
    let close = format!("{OPEN}data: one\n\n");
    let server = Server::default()
        .serve(close.as_bytes(), &[1000])
        .serve(again.as_bytes(), &[1000]);
    assert_eq!(
        run(server, NO_JITTER, 512, 2).got,
        [ev("one", ""), ev("two", "")]
    );
}

/// A `REPORT` with a body goes out the same on the first connection and after the drop, in
/// the connection's 5-byte writes, with `Last-Event-ID` once known.
#[test]
fn method_and_body_on_every_connection() {
    let body = b"<query/>";
    let headers = [("Content-Type", "application/xml")];
    let report = Request::new().method("REPORT").headers(&headers).body(body);
    let expected = |id: &str| {
        format!(
            "REPORT /events HTTP/1.1\r\nHost: a.example\r\nAccept: text/event-stream\r\n\
             Cache-Control: no-cache\r\n{id}Content-Length: 8\r\n\
             Content-Type: application/xml\r\n\r\n<query/>"
        )
    };
    let server = Server::default()
        .serve(format!("{OPEN}id: 4\ndata: a\n\n").as_bytes(), &[64])
        .serve(format!("{OPEN}data: b\n\n").as_bytes(), &[64])
        .hang();
    let run = run_with(server, NO_JITTER, 512, 2, report);
    assert_eq!(run.got, [ev("a", "4"), ev("b", "4")]);
    assert_eq!(
        run.requests,
        [expected(""), expected("Last-Event-ID: 4\r\n")]
    );
}

/// With a read timeout, a connection that goes silent after its events is given up: a
/// typed error, the reconnection time, a request with the last event ID.
#[test]
fn read_timeout_reconnects_a_silent_stream() {
    let config = NO_JITTER.read_timeout(Some(Duration::from_millis(2_000)));
    let server = Server::default()
        .serve(
            format!("{OPEN}retry: 300\nid: 8\ndata: a\n\n").as_bytes(),
            &[64],
        )
        .hang()
        .serve(format!("{OPEN}data: b\n\n").as_bytes(), &[64])
        .hang();
    let run = run(server, config, 512, 4);
    assert_eq!(
        run.got,
        [
            Got::Retry(300),
            ev("a", "8"),
            Got::Error(SourceError::Session(Error::ReadTimeout)),
            ev("b", "8"),
        ]
    );
    assert_eq!(run.requests, [request(None), request(Some("8"))]);
    // The deadline two seconds after the last byte, then the 300 ms wait.
    assert_eq!(run.sleeps[..2], [2_000, 2_300]);
}

/// `restart` drops the stream and reconnects at the next `next`, without the reconnection
/// time's wait, with the last event ID.
#[test]
fn restart_reconnects_without_waiting() {
    let server = Server::default()
        .serve(format!("{OPEN}id: 2\ndata: a\n\n").as_bytes(), &[64])
        .hang()
        .serve(format!("{OPEN}data: b\n\n").as_bytes(), &[64])
        .hang();
    let requests = server.requests.clone();
    let clock = VirtualClock::default();
    let mut storage = [0u8; 1024];
    let mut buf = [0u8; 512];
    block_on(async {
        let client = Client::new(&mut storage[..], NO_JITTER, 1);
        let url = "http://a.example/events";
        let mut source = EventSource::new(client, server, clock.clone(), &mut buf, url).unwrap();
        let data = |item: Option<Result<Item<'_>, _>>| match item {
            Some(Ok(Item::Event(e))) => e.data.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(data(source.next().await), "a");
        source.restart();
        assert_eq!(data(source.next().await), "b");
        source.close();
        source.restart();
        assert!(source.next().await.is_none());
    });
    assert_eq!(clock.sleeps.borrow().len(), 0, "no wait");
    let requests: Vec<String> = requests
        .iter()
        .map(|r| String::from_utf8(r.borrow().clone()).unwrap())
        .collect();
    assert_eq!(requests, [request(None), request(Some("2"))]);
}
