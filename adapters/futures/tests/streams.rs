//! EventStream and EventWriter over in-memory readers and writers, and the Hub on its own.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::future::block_on;
use futures_lite::{AsyncRead, StreamExt};
use ssewire::parse::{Limits, ParseError};
use ssewire::replay::Miss;
use ssewire_futures::http::Framing;
use ssewire_futures::hub::{Ended, OnMiss, PublishError};
use ssewire_futures::{
    Event, EventStream, EventWriter, Hub, HubConfig, Item, ReadConfig, ReadError, SendError,
};

/// A reader that gives at most `step` bytes per read, then fails with `error` if set.
struct Trickle {
    bytes: Vec<u8>,
    at: usize,
    step: usize,
    error: Option<io::ErrorKind>,
}

impl Trickle {
    fn new(bytes: &[u8], step: usize) -> Self {
        Trickle {
            bytes: bytes.to_vec(),
            at: 0,
            step,
            error: None,
        }
    }
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let rest = &self.bytes[self.at..];
        if rest.is_empty() {
            if let Some(kind) = self.error {
                return Poll::Ready(Err(kind.into()));
            }
        }
        let n = rest.len().min(self.step).min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Poll::Ready(Ok(n))
    }
}

fn collect<R: AsyncRead + Unpin>(stream: EventStream<R>) -> Vec<Result<Item, ReadError>> {
    block_on(stream.collect())
}

/// The items of `stream`, which must all be `Ok`.
fn items<R: AsyncRead + Unpin>(stream: EventStream<R>) -> Vec<Item> {
    collect(stream).into_iter().map(Result::unwrap).collect()
}

const BODY: &[u8] = b"\xEF\xBB\xBF: hi\nretry: 1500\nevent: a\nid: 1\ndata: one\ndata: two\n\n\
data: \xFF\r\n\r\nid\nevent: b\ndata:x\r\rdata: cut";

/// What [`BODY`] gives: everything in order, comments and `retry` included; each event with
/// its own `id` field apart from the last event ID (an `id` line without a value is an empty
/// id of its own).
fn expected() -> Vec<Item> {
    vec![
        Item::Comment("hi".into()),
        Item::Retry(1500),
        Item::Event(Event::new("one\ntwo").event("a").id("1")),
        Item::Event(Event::new("\u{FFFD}").last_event_id("1")),
        Item::Event(Event::new("x").event("b").id("")),
    ]
}

#[test]
fn stream_yields_owned_events_at_any_read_size() {
    for step in [1, 2, 3, 7, 64, 4096] {
        let items = items(EventStream::new(Trickle::new(BODY, step)));
        assert_eq!(items, expected(), "reads of {step}");
    }
}

#[test]
fn stream_reads_a_chunked_body() {
    let mut chunked = Vec::new();
    for piece in BODY.chunks(5) {
        chunked.extend_from_slice(format!("{:x};ext=1\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\nTrailer: x\r\n\r\n");
    for step in [1, 4, 1000] {
        let config = ReadConfig::new().framing(Framing::Chunked);
        let items = items(EventStream::with_config(
            Trickle::new(&chunked, step),
            config,
        ));
        assert_eq!(items, expected(), "reads of {step}");
    }
    // Cut before the last chunk: an error, after the events received.
    let cut = &chunked[..chunked.len() - 17];
    let config = ReadConfig::new().framing(Framing::Chunked);
    let events = collect(EventStream::with_config(Trickle::new(cut, 3), config));
    assert!(
        matches!(events.last(), Some(Err(ReadError::UnexpectedEof))),
        "{events:?}"
    );
}

#[test]
fn stream_reports_limits_and_goes_on() {
    let limits = Limits::DEFAULT.data(8);
    let body = b"data: 0123456789\n\ndata: small\n\n";
    let config = ReadConfig::new().limits(limits);
    let events = collect(EventStream::with_config(Trickle::new(body, 3), config));
    assert!(
        matches!(events[0], Err(ReadError::Parse(ParseError::DataTooLong))),
        "{events:?}"
    );
    assert_eq!(
        events[1].as_ref().unwrap(),
        &Item::Event(Event::new("small"))
    );
    assert_eq!(events.len(), 2);
}

#[test]
fn stream_ends_after_an_io_error() {
    let mut reader = Trickle::new(b"data: a\n\ndata: b", 4);
    reader.error = Some(io::ErrorKind::ConnectionReset);
    let events = collect(EventStream::new(reader));
    assert_eq!(events[0].as_ref().unwrap(), &Item::Event(Event::new("a")));
    let Err(ReadError::Io(error)) = &events[1] else {
        panic!("{events:?}");
    };
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    assert!(std::error::Error::source(&events[1].as_ref().unwrap_err()).is_some());
    assert_eq!(events.len(), 2);
}

#[test]
fn sink_round_trips_through_the_stream() {
    for framing in [Framing::Close, Framing::Chunked] {
        let sent = vec![
            Event::new("plain"),
            Event::new("multi\nline\r\nand\rcr").event("typed").id("7"),
            Event::new("  leading spaces").retry(250),
            Event::new(""),
            Event::new("é ✓").id("ünï"),
        ];
        let mut sink = EventWriter::new(Vec::new(), framing);
        block_on(async {
            for event in &sent {
                sink.send(event).await.unwrap();
            }
            sink.comment("a comment\nof two lines").await.unwrap();
            sink.keep_alive().await.unwrap();
            sink.send_encoded(b"data: pre-encoded\n\n").await.unwrap();
            sink.finish().await.unwrap();
        });
        let bytes = sink.into_inner();
        let config = ReadConfig::new().framing(framing);
        let got = items(EventStream::with_config(Trickle::new(&bytes, 5), config));
        let want = vec![
            Item::Event(Event::new("plain")),
            Item::Event(Event::new("multi\nline\nand\ncr").event("typed").id("7")),
            Item::Retry(250),
            Item::Event(Event::new("  leading spaces").last_event_id("7")),
            Item::Event(Event::new("").last_event_id("7")),
            Item::Event(Event::new("é ✓").id("ünï")),
            Item::Comment("a comment".into()),
            Item::Comment("of two lines".into()),
            Item::Comment(String::new()),
            Item::Event(Event::new("pre-encoded").last_event_id("ünï")),
        ];
        assert_eq!(got, want, "{framing:?}");
    }
}

#[test]
fn sink_refuses_injection_and_writes_nothing() {
    let mut sink = EventWriter::new(Vec::new(), Framing::Chunked);
    block_on(async {
        let error = sink.send(&Event::new("x").id("1\nevent: evil")).await;
        assert!(matches!(error, Err(SendError::Encode(_))), "{error:?}");
        let error = sink.send(&Event::new("x").event("a\rb")).await;
        assert!(matches!(error, Err(SendError::Encode(_))), "{error:?}");
        let error = sink.send(&Event::new("x").id("nul\0")).await;
        assert!(matches!(error, Err(SendError::Encode(_))), "{error:?}");
    });
    assert!(sink.get_ref().is_empty());
}

fn text(frames: &[u8]) -> &str {
    std::str::from_utf8(frames).unwrap()
}

#[test]
fn hub_assigns_ids_and_replays_what_was_missed() {
    block_on(async {
        let hub = Hub::new(HubConfig::new());
        assert_eq!(hub.publish(Event::new("a")).unwrap(), "1");
        assert_eq!(hub.publish(Event::new("b").id("10")).unwrap(), "10");
        assert_eq!(
            hub.publish(Event::new("c")).unwrap(),
            "11",
            "count moves past 10"
        );
        assert_eq!(hub.publish(Event::new("d").id("x")).unwrap(), "x");
        let mut after_1 = hub.subscribe(Some("1"));
        assert_eq!(after_1.miss(), None);
        assert_eq!(
            text(&after_1.recv().await.unwrap()),
            "id: 10\ndata: b\n\nid: 11\ndata: c\n\nid: x\ndata: d\n\n"
        );
        let mut newest = hub.subscribe(Some("x"));
        let mut fresh = hub.subscribe(None);
        hub.publish(Event::new("e")).unwrap();
        for subscription in [&mut after_1, &mut newest, &mut fresh] {
            assert_eq!(
                text(&subscription.recv().await.unwrap()),
                "id: 12\ndata: e\n\n"
            );
        }
        assert_eq!(hub.subscribers(), 3);
        drop(fresh);
        assert_eq!(hub.subscribers(), 2, "a dropped subscription is forgotten");
    });
}

#[test]
fn hub_sends_events_as_they_are_and_keeps_only_those_with_ids() {
    block_on(async {
        let hub = Hub::new(HubConfig::new().replay_to_new(true));
        let mut live = hub.subscribe(None);
        assert_eq!(hub.send(Event::new("no id")).unwrap(), None);
        assert_eq!(
            hub.send(Event::new("a").id("7")).unwrap().as_deref(),
            Some("7")
        );
        // Not numbered, but the count still moves past a decimal id.
        assert_eq!(hub.publish(Event::new("b")).unwrap(), "8");
        assert_eq!(hub.send(Event::new("live only")).unwrap(), None);
        let mut got = String::new();
        for _ in 0..4 {
            got.push_str(text(&live.recv().await.unwrap()));
        }
        assert_eq!(
            got,
            "data: no id\n\nid: 7\ndata: a\n\nid: 8\ndata: b\n\ndata: live only\n\n"
        );
        // The window holds the events with ids only: a late or returning client never gets
        // an id-less event it may already have had.
        let mut late = hub.subscribe(None);
        assert_eq!(
            text(&late.recv().await.unwrap()),
            "id: 7\ndata: a\n\nid: 8\ndata: b\n\n"
        );
        let mut back = hub.subscribe(Some("7"));
        assert_eq!(text(&back.recv().await.unwrap()), "id: 8\ndata: b\n\n");
    });
}

/// Received events relayed into a hub go out with the `id` lines of the input and no other:
/// an event whose block set no id gets none, though its last event ID is set.
#[test]
fn relayed_events_get_no_id_line_that_was_not_in_the_input() {
    let body = b"id: 1\ndata: a\n\ndata: b\n\n: note\nevent: e\ndata: c\nid: 2\n\nid\ndata: d\n\n";
    let hub = Hub::new(HubConfig::new());
    let mut live = hub.subscribe(None);
    let mut relayed = 0;
    for item in items(EventStream::new(Trickle::new(body, 4))) {
        if let Item::Event(event) = item {
            hub.send(event).unwrap();
            relayed += 1;
        }
    }
    assert_eq!(relayed, 4);
    let mut out = String::new();
    block_on(async {
        for _ in 0..relayed {
            out.push_str(text(&live.recv().await.unwrap()));
        }
    });
    assert_eq!(
        out,
        "id: 1\ndata: a\n\ndata: b\n\nevent: e\nid: 2\ndata: c\n\nid:\ndata: d\n\n"
    );
}

#[test]
fn hub_window_misses() {
    block_on(async {
        let hub = Hub::new(HubConfig::new().replay(2, 4096));
        for n in 0..4 {
            hub.publish(Event::new(format!("e{n}"))).unwrap();
        }
        // Ids 1 and 2 are evicted; 3 and 4 remain.
        let mut evicted = hub.subscribe(Some("1"));
        assert_eq!(evicted.miss(), Some(Miss::Evicted));
        assert_eq!(
            text(&evicted.recv().await.unwrap()),
            "id: 3\ndata: e2\n\nid: 4\ndata: e3\n\n"
        );
        let mut unknown = hub.subscribe(Some("from-another-run"));
        assert_eq!(unknown.miss(), Some(Miss::Unknown));
        assert!(text(&unknown.recv().await.unwrap()).starts_with("id: 3\n"));

        let hub = Hub::new(HubConfig::new().replay(2, 4096).on_miss(OnMiss::Skip));
        for n in 0..4 {
            hub.publish(Event::new(format!("e{n}"))).unwrap();
        }
        let mut skipped = hub.subscribe(Some("1"));
        assert_eq!(skipped.miss(), Some(Miss::Evicted));
        hub.publish(Event::new("new")).unwrap();
        assert_eq!(text(&skipped.recv().await.unwrap()), "id: 5\ndata: new\n\n");
        // An event larger than the window is sent, not kept.
        let big = "x".repeat(5000);
        let mut live = hub.subscribe(None);
        let id = hub.publish(Event::new(big.clone())).unwrap();
        assert_eq!(
            live.recv().await.unwrap().len(),
            "id: 6\ndata: \n\n".len() + big.len()
        );
        assert_eq!(hub.newest_id().as_deref(), Some("5"));
        assert_eq!(id, "6");
    });
}

#[test]
fn hub_window_bounded_by_bytes_misses_an_id_whose_followers_are_gone() {
    block_on(async {
        // Room for two of these frames and their ids, not three.
        let frame_len = "id: 1\ndata: 0123456789\n\n".len() + 1;
        let hub = Hub::new(HubConfig::new().replay(100, 2 * frame_len + 1));
        for n in 1..=4 {
            hub.publish(Event::new(format!("012345678{n}"))).unwrap();
        }
        assert_eq!(hub.stats().retained, 2);
        // After 1, the window would need 2 as well: gone, and what there is is replayed.
        let mut behind = hub.subscribe(Some("1"));
        assert_eq!(behind.miss(), Some(Miss::Evicted));
        let window = "id: 3\ndata: 0123456783\n\nid: 4\ndata: 0123456784\n\n";
        assert_eq!(text(&behind.recv().await.unwrap()), window);
        // After 2 it has exactly what was missed.
        let mut resumed = hub.subscribe(Some("2"));
        assert_eq!(resumed.miss(), None);
        assert_eq!(text(&resumed.recv().await.unwrap()), window);
        assert_eq!(hub.stats().misses, 1);
    });
}

#[test]
fn hub_replay_shares_the_live_frames_and_comes_in_bounded_chunks() {
    use ssewire_futures::hub::CATCH_UP_CHUNK;
    block_on(async {
        let hub = Hub::new(HubConfig::new().replay(10_000, 64 << 20).backlog(10_000));
        let mut live = hub.subscribe(None);
        let data = "x".repeat(1000);
        let mut sent = Vec::new();
        for _ in 0..300 {
            hub.publish(Event::new(data.clone())).unwrap();
            sent.push(live.recv().await.unwrap());
        }
        // One event missed: the very frame the live subscriber got, not a copy.
        let mut one = hub.subscribe(Some("299"));
        assert!(std::sync::Arc::ptr_eq(
            &one.recv().await.unwrap(),
            &sent[299]
        ));
        // The whole window: in order, nothing twice, in chunks of whole frames.
        let mut all = hub.subscribe(Some("0"));
        let mut replayed = Vec::new();
        let mut chunks = 0;
        while replayed.len() < sent.iter().map(|frame| frame.len()).sum() {
            let chunk = all.recv().await.unwrap();
            assert!(chunk.len() <= CATCH_UP_CHUNK, "{} bytes", chunk.len());
            assert!(chunk.ends_with(b"\n\n"));
            replayed.extend_from_slice(&chunk);
            chunks += 1;
        }
        assert_eq!(replayed, sent.concat());
        assert_eq!(chunks, 300_usize.div_ceil(CATCH_UP_CHUNK / sent[0].len()));
        // Then live again.
        hub.publish(Event::new("next")).unwrap();
        assert_eq!(text(&all.recv().await.unwrap()), "id: 301\ndata: next\n\n");
    });
}

#[test]
fn hub_drops_a_lagging_subscriber_only() {
    block_on(async {
        let hub = Hub::new(HubConfig::new().backlog(2));
        let mut slow = hub.subscribe(None);
        let mut fast = hub.subscribe(None);
        for n in 0..3 {
            hub.publish(Event::new(format!("{n}"))).unwrap();
            fast.recv().await.unwrap();
        }
        assert_eq!(hub.subscribers(), 1);
        assert_eq!(
            slow.recv().await,
            Err(Ended::Lagged),
            "no backlog after lagging"
        );
        hub.publish(Event::new("3")).unwrap();
        assert_eq!(text(&fast.recv().await.unwrap()), "id: 4\ndata: 3\n\n");
    });
}

#[test]
fn hub_close_and_invalid_events() {
    block_on(async {
        let hub = Hub::new(HubConfig::new());
        let error = hub.publish(Event::new("x").event("a\nb"));
        assert!(matches!(error, Err(PublishError::Encode(_))));
        let mut queued = hub.subscribe(None);
        hub.publish(Event::new("before close")).unwrap();
        hub.close();
        assert!(hub.is_closed());
        assert_eq!(
            text(&queued.recv().await.unwrap()),
            "id: 1\ndata: before close\n\n"
        );
        assert_eq!(queued.recv().await, Err(Ended::Closed));
        assert_eq!(hub.publish(Event::new("late")), Err(PublishError::Closed));
        assert_eq!(hub.subscribe(None).recv().await, Err(Ended::Closed));
    });
}

#[test]
fn hub_can_replay_the_window_to_new_subscribers() {
    block_on(async {
        let hub = Hub::new(HubConfig::new().replay_to_new(true));
        hub.publish(Event::new("started").event("progress"))
            .unwrap();
        hub.publish(Event::new("half").event("progress")).unwrap();
        let mut late = hub.subscribe(None);
        assert_eq!(late.miss(), None);
        assert_eq!(
            text(&late.recv().await.unwrap()),
            "event: progress\nid: 1\ndata: started\n\nevent: progress\nid: 2\ndata: half\n\n"
        );
        // A reconnecting subscriber still gets only what it missed.
        let mut back = hub.subscribe(Some("2"));
        hub.publish(Event::new("done").event("done")).unwrap();
        assert_eq!(
            text(&back.recv().await.unwrap()),
            "event: done\nid: 3\ndata: done\n\n"
        );
        assert_eq!(
            text(&late.recv().await.unwrap()),
            "event: done\nid: 3\ndata: done\n\n"
        );
    });
}

#[test]
fn stream_reads_through_a_mutable_reference_and_hands_the_reader_back() {
    let mut reader = Trickle::new(BODY, 5);
    assert_eq!(items(EventStream::new(&mut reader)), expected());
    // The reader is still the caller's, read to its end.
    assert_eq!(reader.at, BODY.len());
    let stream = EventStream::new(Trickle::new(BODY, 5));
    assert_eq!(stream.into_inner().at, 0);
}

/// A reader that is neither `Send` nor `Sync` (it shares its bytes through an `Rc`).
struct Local(std::rc::Rc<std::cell::RefCell<Trickle>>);

impl AsyncRead for Local {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_read(cx, buf)
    }
}

#[test]
fn stream_works_over_a_reader_that_is_not_send() {
    let shared = std::rc::Rc::new(std::cell::RefCell::new(Trickle::new(BODY, 3)));
    let mut stream = EventStream::new(Local(shared.clone()));
    let first: Vec<Item> = (0..3)
        .map(|_| block_on(stream.next()).unwrap().unwrap())
        .collect();
    assert_eq!(first, expected()[..3]);
    assert_eq!(stream.last_event_id(), "1");
    let rest: Vec<Item> = block_on(stream.collect::<Vec<_>>())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rest, expected()[3..]);
    assert_eq!(shared.borrow().at, BODY.len());
}

#[test]
fn errors_convert_into_io_errors() {
    let cut: io::Error = ReadError::UnexpectedEof.into();
    assert_eq!(cut.kind(), io::ErrorKind::UnexpectedEof);
    let over: io::Error = ReadError::Parse(ParseError::DataTooLong).into();
    assert_eq!(over.kind(), io::ErrorKind::InvalidData);
    assert_eq!(over.to_string(), "event data over the limit");
    let reset = io::Error::from(io::ErrorKind::ConnectionReset);
    let passed: io::Error = ReadError::Io(reset).into();
    assert_eq!(passed.kind(), io::ErrorKind::ConnectionReset);
    let refused: io::Error = SendError::Encode(ssewire::encode::EncodeError::InvalidId).into();
    assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
    use ssewire_futures::client::ClientError;
    let late: io::Error = ClientError::Session(ssewire::client::Error::ResponseTimeout).into();
    assert_eq!(late.kind(), io::ErrorKind::TimedOut);
    let broken: io::Error = ClientError::Session(ssewire::client::Error::UnexpectedEof).into();
    assert_eq!(broken.kind(), io::ErrorKind::InvalidData);
}

#[test]
fn reply_refuses_headers_that_would_reframe_or_inject() {
    use ssewire_futures::http::WriteError;
    use ssewire_futures::server::Reply;

    for (name, value, error) in [
        ("Content-Length", "5", WriteError::ReservedHeader),
        ("transfer-encoding", "chunked", WriteError::ReservedHeader),
        ("Connection", "keep-alive", WriteError::ReservedHeader),
        ("Content-Type", "text/html", WriteError::ReservedHeader),
        (
            "X-Evil",
            "a\r\nSet-Cookie: x=1",
            WriteError::InvalidHeaderValue,
        ),
        ("X-Nul", "a\0b", WriteError::InvalidHeaderValue),
        ("Bad Name", "x", WriteError::InvalidHeaderName),
        ("", "x", WriteError::InvalidHeaderName),
    ] {
        assert_eq!(
            Reply::text(200, "ok").header(name, value).err(),
            Some(error),
            "{name:?}: {value:?}"
        );
    }
    let fine = Reply::text(200, "ok")
        .header("Cache-Control", "no-store")
        .unwrap();
    assert_eq!(fine.check(), Ok(()));
    assert_eq!(
        Reply::text(101, "x").check(),
        Err(WriteError::InvalidStatus)
    );
    assert_eq!(
        Reply::new(200, "text/plain\r\nX: y", &b"x"[..]).check(),
        Err(WriteError::InvalidHeaderValue)
    );
}

#[cfg(not(feature = "smol"))]
use ssewire_futures::rt::AsyncStd as Timers;
/// The runtime whose timer `Hub::frames` uses here.
#[cfg(feature = "smol")]
use ssewire_futures::rt::Smol as Timers;

/// The next chunk of `frames`, or `None` if none comes within `ms`.
fn next_within<S: futures_lite::Stream + Unpin>(frames: &mut S, ms: u64) -> Option<S::Item> {
    block_on(futures_lite::future::or(
        async { frames.next().await },
        async {
            smol::Timer::after(std::time::Duration::from_millis(ms)).await;
            None
        },
    ))
}

#[test]
fn frames_replay_then_live_with_keep_alives_in_the_pauses() {
    use std::time::{Duration, Instant};

    let hub = Hub::new(HubConfig::new());
    for n in 1..=3 {
        hub.publish(Event::new(format!("{n}"))).unwrap();
    }
    let interval = Duration::from_millis(80);
    // The schedule counts whole milliseconds from the stream's start, so a keep-alive may
    // come up to a millisecond before the interval measured from outside has passed.
    let pause = interval - Duration::from_millis(1);
    let mut frames = hub.frames::<Timers>(Some("1")).keep_alive(Some(interval));
    assert_eq!(frames.miss(), None);
    // Taken before the chunk is: the keep-alive is due an interval after that.
    let sent = Instant::now();
    let replayed = next_within(&mut frames, 1000).unwrap().unwrap();
    assert_eq!(text(&replayed), "id: 2\ndata: 2\n\nid: 3\ndata: 3\n\n");
    let keep_alive = next_within(&mut frames, 5000).unwrap().unwrap();
    assert_eq!(text(&keep_alive), ":\n");
    assert!(sent.elapsed() >= pause, "a keep-alive only after a pause");

    // An event is sent at once, and pushes the next keep-alive back.
    hub.publish(Event::new("4")).unwrap();
    let sent = Instant::now();
    let live = next_within(&mut frames, 1000).unwrap().unwrap();
    assert_eq!(text(&live), "id: 4\ndata: 4\n\n");
    assert_eq!(
        text(&next_within(&mut frames, 5000).unwrap().unwrap()),
        ":\n"
    );
    assert!(sent.elapsed() >= pause);

    // Every keep-alive is the one shared chunk: nothing allocated per subscriber.
    let mut other = hub.frames::<Timers>(None).keep_alive(Some(interval));
    let theirs = next_within(&mut other, 5000).unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&keep_alive, &theirs));
    // And every subscriber gets the same frame of an event.
    hub.publish(Event::new("5")).unwrap();
    let mine = next_within(&mut frames, 1000).unwrap().unwrap();
    let theirs = next_within(&mut other, 1000).unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&mine, &theirs));

    hub.close();
    assert!(block_on(frames.next()).is_none(), "the hub closed");
    assert!(block_on(frames.next()).is_none(), "ended for good");
}

#[test]
fn frames_can_be_any_framework_s_body() {
    // axum's `Body::from_stream` asks for `Send`, hyper's `BoxBody` for `Sync` too.
    fn body<T: Send + Sync + 'static>(_: &T) {}
    let hub = Hub::new(HubConfig::new());
    body(&hub.frames::<Timers>(None));
}

#[test]
fn frames_without_keep_alives_wait_for_events() {
    let hub = Hub::new(HubConfig::new());
    let mut frames = hub.frames::<Timers>(None).keep_alive(None);
    assert!(next_within(&mut frames, 200).is_none(), "nothing to send");
    hub.send(Event::new("no id")).unwrap();
    hub.comment("note").unwrap();
    let sent = next_within(&mut frames, 1000).unwrap().unwrap();
    assert_eq!(text(&sent), "data: no id\n\n");
    assert_eq!(
        text(&next_within(&mut frames, 1000).unwrap().unwrap()),
        ": note\n"
    );
}

#[test]
fn frames_of_a_lagging_subscriber_end_with_an_error() {
    let hub = Hub::new(HubConfig::new().backlog(1).replay(2, 1024));
    let mut frames = hub.frames::<Timers>(None);
    hub.publish(Event::new("1")).unwrap();
    hub.publish(Event::new("2")).unwrap();
    assert_eq!(block_on(frames.next()), Some(Err(Ended::Lagged)));
    assert_eq!(block_on(frames.next()), None);

    // It comes back with an id that left the window: told, and given what is left.
    for n in 3..=5 {
        hub.publish(Event::new(format!("{n}"))).unwrap();
    }
    let mut again = hub.frames::<Timers>(Some("1")).retry(2000);
    assert_eq!(again.miss(), Some(Miss::Evicted));
    assert_eq!(
        text(&block_on(again.next()).unwrap().unwrap()),
        "retry: 2000\n\n"
    );
    let window = block_on(again.next()).unwrap().unwrap();
    assert_eq!(text(&window), "id: 4\ndata: 4\n\nid: 5\ndata: 5\n\n");
}

#[test]
fn hub_drops_a_subscriber_that_holds_too_many_bytes() {
    block_on(async {
        // Room for many events, but only three frames of a KiB of data (and their fields).
        let hub = Hub::new(HubConfig::new().backlog(100).backlog_bytes(3300));
        let mut slow = hub.subscribe(None);
        let mut fast = hub.subscribe(None);
        let kib = "x".repeat(1024);
        for n in 0..3 {
            hub.publish(Event::new(kib.clone())).unwrap();
            fast.recv().await.unwrap();
            assert_eq!(hub.subscribers(), 2, "{n} KiB queued for the slow one");
        }
        hub.publish(Event::new(kib.clone())).unwrap();
        assert_eq!(hub.subscribers(), 1, "past 3300 bytes");
        assert_eq!(slow.recv().await, Err(Ended::Lagged));
        assert_eq!(hub.stats().evictions, 1);
        fast.recv().await.unwrap();

        // Received bytes no longer count: a subscriber that keeps up is never dropped.
        for _ in 0..20 {
            hub.publish(Event::new(kib.clone())).unwrap();
            fast.recv().await.unwrap();
        }
        assert_eq!(hub.subscribers(), 1);
        // One frame larger than the bound is still sent when nothing else is queued.
        hub.publish(Event::new("y".repeat(8 * 1024))).unwrap();
        assert!(fast.recv().await.unwrap().len() > 8 * 1024);
        assert_eq!(hub.subscribers(), 1);
    });
}
