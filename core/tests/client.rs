//! The reconnecting client driven through whole scenarios with a virtual clock and seeded
//! jitter.

mod common;

use common::reference::RefItem as Got;
use proptest::prelude::*;
use ssewire::client::{Client, Config, Duration, Failure, Instant, State};
use ssewire::http::{self, EMPTY_HEADER};
use ssewire::parse::Item;

/// A client, the virtual time, and helpers that play the network's part.
struct Sim<'s> {
    client: Client<&'s mut [u8]>,
    now: Instant,
}

const SSE: Option<&str> = Some("text/event-stream");

/// Hands `client` a response head with these parts and `extra` header lines, read back with
/// `http::read_response` as an adapter would.
fn respond(
    client: &mut Client<&mut [u8]>,
    now: Instant,
    status: u16,
    content_type: Option<&str>,
    location: Option<&str>,
    extra: &str,
) {
    let mut head = format!("HTTP/1.1 {status} Whatever\r\n{extra}");
    if let Some(content_type) = content_type {
        head += &format!("Content-Type: {content_type}\r\n");
    }
    if let Some(location) = location {
        head += &format!("Location: {location}\r\n");
    }
    head += "\r\n";
    let mut headers = [EMPTY_HEADER; 8];
    let head = http::read_response(head.as_bytes(), &mut headers, 4096)
        .unwrap()
        .unwrap();
    client.handle_response_head(now, &head);
}

impl<'s> Sim<'s> {
    fn new(storage: &'s mut [u8], config: Config) -> Self {
        Sim {
            client: Client::new(storage, config, 0x5eed),
            now: Instant::from_millis(1_000),
        }
    }

    /// Takes the connection the client asks for: `(redirect target, Last-Event-ID)`.
    fn connect(&mut self) -> (Option<String>, String) {
        let connect = self
            .client
            .poll_connect()
            .expect("the client should ask to connect");
        let asked = (
            connect.location.map(str::to_owned),
            connect.last_event_id.to_owned(),
        );
        assert!(
            self.client.poll_connect().is_none(),
            "asked twice for one attempt"
        );
        self.client.handle_connected(self.now);
        asked
    }

    fn respond(&mut self, status: u16, content_type: Option<&str>, location: Option<&str>) {
        self.respond_with(status, content_type, location, "");
    }

    /// Hands the client a response head built from these parts, plus `extra` header lines.
    fn respond_with(
        &mut self,
        status: u16,
        content_type: Option<&str>,
        location: Option<&str>,
        extra: &str,
    ) {
        respond(
            &mut self.client,
            self.now,
            status,
            content_type,
            location,
            extra,
        );
    }

    fn open(&mut self) -> String {
        let (location, last_event_id) = self.connect();
        assert_eq!(location, None);
        self.respond(200, SSE, None);
        assert_eq!(self.client.state(), State::Open);
        last_event_id
    }

    /// Feeds body bytes in one read and collects what they complete.
    fn body(&mut self, bytes: &[u8]) -> Vec<Got> {
        let mut input = bytes;
        let mut got = Vec::new();
        while let Some(item) = self.client.handle_body(self.now, &mut input) {
            got.push(match item.expect("no limit reached") {
                Item::Event(e) => Got::Event {
                    event: e.event.into(),
                    data: e.data.into(),
                    // The block's own id is the parser's (spec vectors); these tests follow
                    // the last event ID, which reconnection sends.
                    id: None,
                    last_event_id: e.last_event_id.into(),
                },
                Item::Comment(text) => Got::Comment(text.into()),
                Item::Retry(ms) => Got::Retry(ms),
            });
        }
        assert!(input.is_empty());
        got
    }

    fn advance(&mut self, ms: u64) {
        self.now = self.now + Duration::from_millis(ms);
    }

    /// Sleeps until the client's timer and fires it; returns how long that was.
    fn wait(&mut self) -> u64 {
        let until = self
            .client
            .poll_timeout()
            .expect("the client should be waiting");
        let waited = until.saturating_duration_since(self.now).as_millis();
        self.now = until;
        self.client.handle_timeout(self.now);
        waited
    }
}

fn no_jitter() -> Config {
    Config::new().jitter_percent(0)
}

fn event(data: &str, id: &str) -> Got {
    Got::Event {
        event: "message".into(),
        data: data.into(),
        id: None,
        last_event_id: id.into(),
    }
}

#[test]
fn open_events_drop_and_reconnect_with_last_event_id() {
    let mut storage = [0u8; 2048];
    let mut sim = Sim::new(&mut storage, no_jitter());
    assert_eq!(sim.client.state(), State::Connecting);
    assert_eq!(sim.open(), "", "no Last-Event-ID on the first connection");
    assert_eq!(
        sim.body(b"id: 1\ndata: one\n\nid: 2\ndata: two\n\n"),
        [event("one", "1"), event("two", "2")]
    );
    sim.client.handle_end_of_body(sim.now);
    assert_eq!(sim.client.state(), State::Connecting);
    assert!(
        sim.client.poll_connect().is_none(),
        "must wait before reconnecting"
    );
    assert_eq!(sim.wait(), 3000, "browsers' default reconnection time");
    assert_eq!(sim.open(), "2");
    assert_eq!(sim.body(b"data: three\n\n"), [event("three", "2")]);
    assert_eq!(sim.client.poll_failure(), None);
}

#[test]
fn retry_field_sets_the_reconnection_time_at_once() {
    let mut storage = [0u8; 2048];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.open();
    // Applied as soon as the line is parsed, before the block ends.
    assert_eq!(sim.body(b"retry: 500\ndata: x"), [Got::Retry(500)]);
    assert_eq!(sim.client.reconnection_time(), Duration::from_millis(500));
    sim.client.handle_io_error(sim.now);
    assert_eq!(sim.wait(), 500);
    // Invalid values change nothing.
    sim.open();
    assert_eq!(sim.body(b"retry: 1e3\nretry: -1\nretry\n"), []);
    assert_eq!(sim.client.reconnection_time(), Duration::from_millis(500));
}

#[test]
fn partial_event_is_discarded_at_reconnection() {
    let mut storage = [0u8; 2048];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.open();
    assert_eq!(
        sim.body(b"id: 1\ndata: a\n\nid: 2\ndata: half"),
        [event("a", "1")]
    );
    sim.client.handle_end_of_body(sim.now);
    sim.wait();
    assert_eq!(
        sim.open(),
        "1",
        "the unterminated block's id is not recorded"
    );
    assert_eq!(sim.body(b"data: b\n\n"), [event("b", "1")]);
}

#[test]
fn id_only_block_moves_last_event_id() {
    let mut storage = [0u8; 2048];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.open();
    assert_eq!(
        sim.body(b"id: 9\n\n: keep-alive\n"),
        [Got::Comment("keep-alive".into())]
    );
    assert_eq!(sim.client.last_event_id(), "9");
    sim.client.handle_io_error(sim.now);
    sim.wait();
    assert_eq!(sim.open(), "9");
}

#[test]
fn no_content_stops_for_good() {
    let mut storage = [0u8; 2048];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.connect();
    sim.respond(204, None, None);
    assert_eq!(sim.client.poll_failure(), Some(Failure::NoContent));
    assert_eq!(sim.client.state(), State::Closed);
    assert_eq!(sim.client.poll_timeout(), None);
    sim.client.handle_timeout(Instant::from_millis(u64::MAX));
    assert!(sim.client.poll_connect().is_none());
}

#[test]
fn error_statuses_fail_for_good() {
    for status in [500, 503, 404, 401, 429, 201, 206, 304, 101] {
        let mut storage = [0u8; 1024];
        let mut sim = Sim::new(&mut storage, no_jitter());
        sim.connect();
        sim.respond(status, SSE, None);
        assert_eq!(
            sim.client.poll_failure(),
            Some(Failure::Status(status)),
            "{status}"
        );
        assert_eq!(sim.client.state(), State::Closed);
    }
}

#[test]
fn server_errors_retried_when_asked_honouring_retry_after() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter().retry_server_errors(true));
    sim.connect();
    sim.respond_with(503, None, None, "Retry-After: 120\r\n");
    assert_eq!(sim.client.poll_failure(), None);
    assert!(
        sim.client.poll_abort(),
        "the error response's connection is done with"
    );
    assert_eq!(sim.wait(), 120_000, "Retry-After is longer than the delay");
    sim.connect();
    sim.respond(500, None, None);
    assert_eq!(sim.wait(), 6000, "second failure in a row: backed off");
    sim.connect();
    sim.respond(404, None, None);
    assert_eq!(
        sim.client.poll_failure(),
        Some(Failure::Status(404)),
        "4xx other than 429 still fail"
    );
}

#[test]
fn interim_heads_are_skipped() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.connect();
    sim.respond(100, None, None);
    sim.respond(103, None, None);
    assert_eq!(sim.client.state(), State::Connecting);
    sim.respond(200, SSE, None);
    assert_eq!(sim.client.state(), State::Open);
}

/// Feeds `body` split at `cuts` and collects every item.
fn feed_split(sim: &mut Sim<'_>, body: &[u8], cuts: &[usize]) -> Vec<Got> {
    let mut got = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain([&body.len()]) {
        got.extend(sim.body(&body[start..cut]));
        start = cut;
    }
    got
}

/// A chunked body whose chunks split lines and events anywhere, with an extension, the last
/// chunk, and bytes after it that are not part of the stream.
fn chunked_body() -> Vec<u8> {
    let mut body = Vec::new();
    for (i, piece) in [
        "id: 1\ndata: one",
        "\n\nid: 2\ndata: two\n\ndata: th",
        "ree\n",
        "\n",
    ]
    .iter()
    .enumerate()
    {
        let extension = if i == 1 { ";ext=1" } else { "" };
        body.extend(format!("{:x}{extension}\r\n{piece}\r\n", piece.len()).bytes());
    }
    body.extend(b"0\r\n\r\nGARBAGE");
    body
}

#[test]
fn chunked_body_is_decoded_across_any_split_and_its_end_reconnects() {
    let expected = [event("one", "1"), event("two", "2"), event("three", "2")];
    let body = chunked_body();
    for at in 0..=body.len() {
        let mut storage = [0u8; 1024];
        let mut sim = Sim::new(&mut storage, no_jitter());
        sim.connect();
        sim.respond_with(200, SSE, None, "Transfer-Encoding: chunked\r\n");
        assert_eq!(
            feed_split(&mut sim, &body, &[at]),
            expected,
            "split at {at}"
        );
        assert_eq!(
            sim.client.state(),
            State::Connecting,
            "the last chunk ends the stream"
        );
        assert!(sim.client.poll_abort());
        assert_eq!(sim.wait(), 3000);
        assert_eq!(sim.connect().1, "2");
    }
}

#[test]
fn broken_chunked_framing_drops_the_connection() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.connect();
    sim.respond_with(200, SSE, None, "Transfer-Encoding: chunked\r\n");
    assert_eq!(sim.body(b"a\r\ndata: x\n\n\r\nzz\r\n"), [event("x", "")]);
    assert!(sim.client.poll_abort());
    assert_eq!(sim.client.state(), State::Connecting);
    assert_eq!(sim.wait(), 3000);
}

#[test]
fn content_length_body_ends_after_its_length() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.connect();
    let body = b"id: 1\ndata: a\n\ndata: cut off\n\n";
    sim.respond_with(200, SSE, None, "Content-Length: 20\r\n");
    assert_eq!(sim.body(&body[..10]), []);
    assert_eq!(sim.client.state(), State::Open);
    assert_eq!(
        sim.body(&body[10..]),
        [event("a", "1")],
        "bytes past the length are not the stream's"
    );
    assert!(sim.client.poll_abort());
    assert_eq!(sim.wait(), 3000);
    assert_eq!(sim.connect().1, "1");
}

#[test]
fn content_type_is_checked() {
    for (content_type, opens) in [
        (Some("text/event-stream"), true),
        (Some("text/event-stream; charset=utf-8"), true),
        (Some("Text/Event-Stream"), true),
        (Some(" text/event-stream ;charset=UTF-8"), true),
        (Some("text/event-streams"), false),
        (Some("text/plain"), false),
        (Some("application/json"), false),
        (Some(""), false),
        (None, false),
    ] {
        let mut storage = [0u8; 1024];
        let mut sim = Sim::new(&mut storage, no_jitter());
        sim.connect();
        sim.respond(200, content_type, None);
        let expected = if opens {
            (State::Open, None)
        } else {
            (State::Closed, Some(Failure::ContentType))
        };
        assert_eq!(
            (sim.client.state(), sim.client.poll_failure()),
            expected,
            "{content_type:?}"
        );
    }
}

#[test]
fn redirect_chain_is_followed_and_reconnection_goes_back_to_the_original_url() {
    let mut storage = [0u8; 2048];
    let mut sim = Sim::new(&mut storage, no_jitter());
    assert_eq!(sim.connect().0, None);
    sim.respond(301, None, Some("http://a.example/one"));
    assert_eq!(sim.connect().0.as_deref(), Some("http://a.example/one"));
    sim.respond(307, None, Some("/two"));
    // Relative to the target that sent it.
    assert_eq!(sim.connect().0.as_deref(), Some("http://a.example/two"));
    sim.respond(302, None, Some("?three"));
    assert_eq!(
        sim.connect().0.as_deref(),
        Some("http://a.example/two?three")
    );
    sim.respond(200, SSE, None);
    assert_eq!(sim.body(b"id: 5\ndata: x\n\n"), [event("x", "5")]);
    sim.client.handle_end_of_body(sim.now);
    sim.wait();
    assert_eq!(sim.connect(), (None, "5".to_owned()));
}

#[test]
fn every_redirect_status_is_followed() {
    for status in [301, 302, 303, 307, 308] {
        let mut storage = [0u8; 1024];
        let mut sim = Sim::new(&mut storage, no_jitter());
        sim.connect();
        sim.respond(status, None, Some("/next"));
        assert_eq!(sim.connect().0.as_deref(), Some("/next"), "{status}");
    }
}

#[test]
fn redirect_loop_fails_after_the_limit() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter().max_redirects(3));
    sim.connect();
    for _ in 0..3 {
        sim.respond(302, None, Some("/loop"));
        assert_eq!(sim.connect().0.as_deref(), Some("/loop"));
    }
    sim.respond(302, None, Some("/loop"));
    assert_eq!(sim.client.poll_failure(), Some(Failure::TooManyRedirects));
    assert!(sim.client.poll_connect().is_none());
}

#[test]
fn redirect_without_usable_location_fails() {
    for location in [None, Some(""), Some(&*"x".repeat(300))] {
        let mut storage = [0u8; 1024];
        let mut sim = Sim::new(&mut storage, no_jitter());
        sim.connect();
        sim.respond(302, None, location);
        assert_eq!(
            sim.client.poll_failure(),
            Some(Failure::BadRedirect),
            "{location:?}"
        );
    }
}

#[test]
fn consecutive_failures_back_off_up_to_the_cap() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter().max_delay(Duration::from_secs(20)));
    let mut waits = Vec::new();
    for _ in 0..6 {
        sim.connect();
        sim.client.handle_io_error(sim.now);
        waits.push(sim.wait());
    }
    assert_eq!(waits, [3000, 6000, 12000, 20000, 20000, 20000]);
}

#[test]
fn healthy_connection_resets_the_backoff() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.connect();
    sim.client.handle_io_error(sim.now);
    assert_eq!(sim.wait(), 3000);
    sim.open();
    sim.advance(9_999); // not yet healthy
    sim.client.handle_end_of_body(sim.now);
    assert_eq!(sim.wait(), 6000);
    sim.open();
    sim.advance(10_000); // healthy
    sim.client.handle_end_of_body(sim.now);
    assert_eq!(sim.wait(), 3000);
}

#[test]
fn retry_budget_counts_every_failed_attempt() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter().retry_budget(Some(3)));
    sim.open();
    sim.client.handle_end_of_body(sim.now);
    for attempt in 1..=3 {
        sim.wait();
        sim.connect();
        sim.client.handle_io_error(sim.now);
        if attempt < 3 {
            assert_eq!(sim.client.poll_failure(), None, "attempt {attempt}");
        }
    }
    assert_eq!(
        sim.client.poll_failure(),
        Some(Failure::RetryBudgetExhausted)
    );
    assert_eq!(sim.client.state(), State::Closed);
}

#[test]
fn zero_budget_never_reconnects() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter().retry_budget(Some(0)));
    sim.open();
    sim.client.handle_end_of_body(sim.now);
    assert_eq!(
        sim.client.poll_failure(),
        Some(Failure::RetryBudgetExhausted)
    );
}

#[test]
fn close_during_wait_stops_everything() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.open();
    sim.client.handle_end_of_body(sim.now);
    assert!(sim.client.poll_timeout().is_some());
    sim.client.close();
    assert_eq!(sim.client.state(), State::Closed);
    assert_eq!(sim.client.poll_timeout(), None);
    sim.client.handle_timeout(Instant::from_millis(u64::MAX));
    assert!(sim.client.poll_connect().is_none());
    assert_eq!(sim.client.poll_failure(), None, "closing is not a failure");
}

#[test]
fn late_response_head_aborts_the_attempt() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(
        &mut storage,
        no_jitter().response_timeout(Some(Duration::from_secs(5))),
    );
    sim.connect();
    assert_eq!(
        sim.client.poll_timeout(),
        Some(sim.now + Duration::from_secs(5))
    );
    sim.advance(4_999);
    sim.client.handle_timeout(sim.now);
    assert!(!sim.client.poll_abort());
    sim.advance(1);
    sim.client.handle_timeout(sim.now);
    assert!(sim.client.poll_abort());
    assert!(!sim.client.poll_abort(), "said once");
    // A head arriving now is from the dropped connection: ignored.
    sim.respond(200, SSE, None);
    assert_eq!(sim.client.state(), State::Connecting);
    assert_eq!(sim.wait(), 3000);
    sim.open();
}

#[test]
fn body_outside_an_open_stream_is_dropped() {
    let mut storage = [0u8; 1024];
    let mut sim = Sim::new(&mut storage, no_jitter());
    sim.connect();
    assert_eq!(sim.body(b"data: early\n\n"), []);
    sim.respond(200, SSE, None);
    assert_eq!(sim.body(b"data: on time\n\n"), [event("on time", "")]);
}

#[test]
fn jitter_spreads_reconnections_within_its_bound() {
    let mut waits = Vec::new();
    for seed in 0..64 {
        let mut storage = [0u8; 512];
        let mut client = Client::new(&mut storage, Config::new(), seed);
        assert!(client.poll_connect().is_some());
        client.handle_io_error(Instant::from_millis(0));
        waits.push(client.poll_timeout().unwrap().as_millis());
    }
    assert!(
        waits.iter().all(|&w| (3000..=3600).contains(&w)),
        "{waits:?}"
    );
    waits.sort_unstable();
    waits.dedup();
    assert!(
        waits.len() > 32,
        "jitter should differ across seeds: {waits:?}"
    );
}

#[test]
fn failures_display_short_lowercase_without_period() {
    for failure in [
        Failure::NoContent,
        Failure::Status(500),
        Failure::ContentType,
        Failure::BadRedirect,
        Failure::TooManyRedirects,
        Failure::RetryBudgetExhausted,
    ] {
        let text = failure.to_string();
        assert!(
            !text.ends_with('.') && text.chars().next().unwrap().is_lowercase(),
            "{text}"
        );
    }
}

/// An input to the client, for random sequences.
#[derive(Clone, Debug)]
enum Op {
    Connect,
    Head(u16, bool, bool),
    Body(Vec<u8>),
    End,
    Error,
    Advance(u64),
    Timeout,
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Connect),
        (
            prop::sample::select(&[200u16, 204, 301, 302, 307, 404, 500, 503][..]),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(s, ct, loc)| Op::Head(s, ct, loc)),
        prop::collection::vec(
            prop::sample::select(&b"data: x\nid: 1\nretry: 20\n\n:c\n\r"[..]),
            0..24
        )
        .prop_map(Op::Body),
        Just(Op::End),
        Just(Op::Error),
        (0u64..100_000).prop_map(Op::Advance),
        Just(Op::Timeout),
        Just(Op::Close),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn chunked_body_in_random_pieces(cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12)) {
        let body = chunked_body();
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut storage = [0u8; 1024];
        let mut sim = Sim::new(&mut storage, no_jitter());
        sim.connect();
        sim.respond_with(200, SSE, None, "Transfer-Encoding: chunked\r\n");
        prop_assert_eq!(feed_split(&mut sim, &body, &cuts), [event("one", "1"), event("two", "2"), event("three", "2")]);
        prop_assert!(sim.client.poll_abort());
    }

    /// Whatever happens, the client's outputs stay consistent.
    #[test]
    fn random_operations_keep_invariants(ops in prop::collection::vec(op(), 0..64), budget in prop::option::of(0u32..4)) {
        let mut storage = [0u8; 600];
        let config = Config::new().retry_budget(budget).retry_server_errors(budget == Some(1));
        let mut client = Client::new(&mut storage[..], config, 42);
        let mut now = Instant::from_millis(0);
        for op in ops {
            match op {
                Op::Connect => {
                    if client.poll_connect().is_some() {
                        client.handle_connected(now);
                    }
                }
                Op::Head(status, ct, loc) => {
                    let content_type = ct.then_some("text/event-stream");
                    respond(&mut client, now, status, content_type, loc.then_some("/elsewhere"), "Retry-After: 1\r\n");
                }
                Op::Body(bytes) => {
                    let mut input = &bytes[..];
                    while client.handle_body(now, &mut input).is_some() {}
                    prop_assert!(input.is_empty());
                }
                Op::End => client.handle_end_of_body(now),
                Op::Error => client.handle_io_error(now),
                Op::Advance(ms) => now = now + Duration::from_millis(ms),
                Op::Timeout => client.handle_timeout(now),
                Op::Close => client.close(),
            }
            let state = client.state();
            if client.poll_failure().is_some() {
                prop_assert_eq!(state, State::Closed);
            }
            if state == State::Closed {
                prop_assert!(client.poll_timeout().is_none());
                prop_assert!(client.poll_connect().is_none());
            }
            if let Some(until) = client.poll_timeout() {
                prop_assert_eq!(state, State::Connecting);
                // Never longer than the backoff cap plus full jitter, or a Retry-After of 1 s.
                let most = config.max_delay.max(client.reconnection_time()).as_millis() * 2;
                prop_assert!(until.saturating_duration_since(now).as_millis() <= most.max(30_000));
            }
            prop_assert!(client.reconnection_time().as_millis() > 0);
        }
    }
}
