//! `EventStream` over an in-memory sink, with a virtual clock: replay, live items, keep-alives,
//! the end signal and why a stream ended.

mod common;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::format;
use std::rc::Rc;
use std::string::{String, ToString};
use std::task::Poll;
use std::vec::Vec;

use common::VirtualClock;
use embassy_futures::block_on;
use embassy_futures::join::join;
use embedded_io_async::{ErrorKind, ErrorType, Write};
use ssewire_embedded::client::Duration;
use ssewire_embedded::encode::{EncodeError, Event};
use ssewire_embedded::http::Framing;
use ssewire_embedded::parse::Item as Parsed;
use ssewire_embedded::replay::{storage_len, Miss, PushError, Replay};
use ssewire_embedded::{
    record, End, EventReader, EventStream, EventWriter, Item, Items, RecordError, Replayed,
};

/// Collects what is written, a few bytes per write; can fail, or run a hook on each write.
struct Sink {
    output: Vec<u8>,
    /// The most bytes one write takes (0: the write accepts nothing).
    write_max: usize,
    /// A write fails once this many bytes are written.
    fail_at: Option<usize>,
    flushes: usize,
    on_write: Option<Box<dyn FnMut()>>,
}

impl Sink {
    fn new() -> Self {
        Sink {
            output: Vec::new(),
            write_max: 5,
            fail_at: None,
            flushes: 0,
            on_write: None,
        }
    }
}

impl ErrorType for Sink {
    type Error = ErrorKind;
}

impl Write for Sink {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        if let Some(hook) = &mut self.on_write {
            hook();
        }
        if self.fail_at.is_some_and(|at| self.output.len() >= at) {
            return Err(ErrorKind::BrokenPipe);
        }
        let n = buf.len().min(self.write_max);
        self.output.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        self.flushes += 1;
        Ok(())
    }
}

/// One step of a scripted source.
#[derive(Clone)]
enum Step {
    Event(&'static str, Option<&'static str>, Option<&'static str>),
    Comment(&'static str),
    Retry(u64),
    Encoded(Vec<u8>),
    /// The clock moves on this many milliseconds before the next step.
    Advance(u64),
    /// Nothing more, ever (the source waits forever).
    Idle,
    /// Waits until the flag is set.
    WaitFor(Rc<Cell<bool>>),
}

/// Items from a script; the item borrows the step it came from.
struct Script {
    steps: VecDeque<Step>,
    current: Option<Step>,
    now: Rc<Cell<u64>>,
}

fn script(steps: Vec<Step>) -> Script {
    Script {
        steps: steps.into(),
        current: None,
        now: Rc::default(),
    }
}

impl Items for Script {
    async fn next(&mut self) -> Option<Item<'_>> {
        loop {
            match self.steps.pop_front()? {
                Step::Advance(ms) => self.now.set(self.now.get() + ms),
                Step::Idle => core::future::pending::<()>().await,
                Step::WaitFor(flag) => {
                    core::future::poll_fn(|_| match flag.get() {
                        true => Poll::Ready(()),
                        // block_on polls in a loop: no waker needed.
                        false => Poll::Pending,
                    })
                    .await
                }
                step => {
                    self.current = Some(step);
                    break;
                }
            }
        }
        Some(match self.current.as_ref()? {
            Step::Event(data, event, id) => {
                let mut e = Event::new(data);
                if let Some(event) = event {
                    e = e.event(event);
                }
                if let Some(id) = id {
                    e = e.id(id);
                }
                Item::Event(e)
            }
            Step::Comment(text) => Item::Comment(text),
            Step::Retry(ms) => Item::Retry(*ms),
            Step::Encoded(frames) => Item::Encoded(frames),
            _ => return None,
        })
    }
}

fn ev(data: &'static str, id: Option<&'static str>) -> Step {
    Step::Event(data, None, id)
}

/// The items of a body as text: `event|id|data` (id `-` when the block had none),
/// `:comment`, `retry N`; and whether it ended cleanly (the last chunk, when chunked).
fn items_of(body: &[u8], framing: Framing) -> (Vec<String>, bool) {
    block_on(async {
        let (mut buf, mut storage) = ([0u8; 64], [0u8; 512]);
        let mut reader = EventReader::new(body, &mut buf, &mut storage, framing);
        let mut items = Vec::new();
        let mut clean = true;
        while let Some(item) = reader.next().await {
            match item {
                Ok(Parsed::Event(e)) => {
                    items.push(format!("{}|{}|{}", e.event, e.id.unwrap_or("-"), e.data));
                }
                Ok(Parsed::Comment(text)) => items.push(format!(":{text}")),
                Ok(Parsed::Retry(ms)) => items.push(format!("retry {ms}")),
                Err(_) => clean = false,
            }
        }
        (items, clean)
    })
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const FRAMINGS: [Framing; 2] = [Framing::Close, Framing::Chunked];
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

type Ring = RefCell<Replay<Vec<u8>>>;

/// A ring of 4 events in 256 bytes, with events 1 to 4 recorded.
fn ring_with_four() -> Ring {
    let ring = RefCell::new(Replay::new(vec![0u8; storage_len(4, 256)], 4));
    let mut buf = [0u8; 64];
    for (id, data) in [("1", "one"), ("2", "two"), ("3", "three"), ("4", "four")] {
        record(&ring, id, Event::new(data), &mut buf).unwrap();
    }
    ring
}

/// Replays after `last_event_id` then runs `items` to their end: what was written, why it
/// ended and what the replay did.
fn serve(
    ring: &Ring,
    last_event_id: Option<&str>,
    items: Script,
    framing: Framing,
) -> (Vec<u8>, End, Result<Replayed, End>) {
    let mut sink = Sink::new();
    let mut buf = [0u8; 128];
    let (replayed, end) = block_on(async {
        let writer = EventWriter::new(&mut sink, &mut buf, framing);
        let mut stream = EventStream::new(writer, None, VirtualClock::default());
        let replayed = stream.replay(ring, last_event_id).await;
        let end = stream.run(items, core::future::pending::<()>()).await;
        (replayed, end)
    });
    (sink.output, end, replayed)
}

#[test]
fn replay_after_an_id_then_live_items() {
    for framing in FRAMINGS {
        let ring = ring_with_four();
        let live = script(vec![
            ev("five", Some("5")),
            ev("no id", None),
            Step::Event("typed", Some("reading"), None),
            Step::Comment("two\nlines"),
            Step::Retry(2500),
            Step::Encoded(b"id: 6\ndata: pre\n\n".to_vec()),
        ]);
        let (output, end, replayed) = serve(&ring, Some("2"), live, framing);
        assert_eq!(replayed, Ok(Replayed::Sent(2)), "{framing:?}");
        assert_eq!(end, End::Finished);
        let (items, clean) = items_of(&output, framing);
        let expected = [
            "message|3|three",
            "message|4|four",
            "message|5|five",
            "message|-|no id",
            "reading|-|typed",
            ":two",
            ":lines",
            "retry 2500",
            "message|6|pre",
        ];
        assert_eq!(items, strings(&expected), "{framing:?}");
        assert!(clean);
        assert_eq!(output.ends_with(LAST_CHUNK), framing == Framing::Chunked);
    }
}

#[test]
fn replay_without_last_event_id_sends_nothing_and_up_to_date_sends_nothing() {
    let ring = ring_with_four();
    for id in [None, Some("4")] {
        let (output, end, replayed) = serve(&ring, id, script(vec![]), Framing::Chunked);
        assert_eq!(replayed, Ok(Replayed::Sent(0)));
        assert_eq!((output.as_slice(), end), (LAST_CHUNK, End::Finished));
    }
}

#[test]
fn replay_miss_is_a_value_and_writes_nothing() {
    let ring = RefCell::new(Replay::new(vec![0u8; storage_len(2, 256)], 2));
    let mut buf = [0u8; 64];
    for id in ["1", "2", "3"] {
        record(&ring, id, Event::new("x"), &mut buf).unwrap();
    }
    for (id, miss) in [("1", Miss::Evicted), ("x-9", Miss::Unknown)] {
        let (output, _, replayed) = serve(&ring, Some(id), script(vec![]), Framing::Close);
        assert_eq!(replayed, Ok(Replayed::Miss(miss)));
        assert!(output.is_empty());
    }
    // The server's choice after a miss: everything retained.
    let mut sink = Sink::new();
    let mut buf = [0u8; 64];
    let sent = block_on(async {
        let writer = EventWriter::new(&mut sink, &mut buf, Framing::Close);
        let mut stream = EventStream::new(writer, None, VirtualClock::default());
        let oldest = ring.borrow().oldest();
        stream.replay_from(&ring, oldest).await
    });
    assert_eq!(sent, Ok(2));
    assert_eq!(sink.output, b"id: 2\ndata: x\n\nid: 3\ndata: x\n\n");
    assert_eq!(sink.flushes, 1);
}

/// A producer as a server has one: records the events that have an id, publishes all.
fn publish(ring: &Ring, live: &mut Vec<Step>, data: &'static str, id: Option<&'static str>) {
    if let Some(id) = id {
        let mut buf = [0u8; 64];
        record(ring, id, Event::new(data), &mut buf).unwrap();
    }
    live.push(ev(data, id));
}

#[test]
fn id_less_events_are_live_only_and_absent_from_replay_on_reconnect() {
    let ring = RefCell::new(Replay::new(vec![0u8; storage_len(8, 512)], 8));
    let mut live = Vec::new();
    publish(&ring, &mut live, "a", Some("1"));
    publish(&ring, &mut live, "status: ok", None);
    publish(&ring, &mut live, "b", Some("2"));
    publish(&ring, &mut live, "c", Some("3"));
    let (output, _, _) = serve(&ring, None, script(live), Framing::Close);
    let (items, _) = items_of(&output, Framing::Close);
    let first = [
        "message|1|a",
        "message|-|status: ok",
        "message|2|b",
        "message|3|c",
    ];
    assert_eq!(items, strings(&first));
    assert_eq!(ring.borrow().len(), 3);
    // Reconnecting after event 1: events 2 and 3, not the id-less one between them.
    let (output, _, replayed) = serve(&ring, Some("1"), script(vec![]), Framing::Close);
    assert_eq!(replayed, Ok(Replayed::Sent(2)));
    let (items, _) = items_of(&output, Framing::Close);
    assert_eq!(items, strings(&["message|2|b", "message|3|c"]));
}

#[test]
fn the_ring_is_free_while_frames_are_written_and_falling_behind_is_evicted() {
    let ring = Rc::new(RefCell::new(Replay::new(vec![0u8; storage_len(3, 256)], 3)));
    let mut buf = [0u8; 64];
    for id in ["1", "2", "3"] {
        record(&*ring, id, Event::new("x"), &mut buf).unwrap();
    }
    // Each write records an event: the producer runs while frames are written (a borrow held
    // across a write would panic here), and soon the frame to send next is evicted.
    let mut sink = Sink::new();
    let (producer, pushed) = (Rc::clone(&ring), Rc::new(Cell::new(3u32)));
    let count = Rc::clone(&pushed);
    sink.on_write = Some(Box::new(move || {
        let id = (count.get() + 1).to_string();
        count.set(count.get() + 1);
        let mut buf = [0u8; 64];
        record(&*producer, &id, Event::new("x"), &mut buf).unwrap();
    }));
    let replayed = block_on(async {
        let writer = EventWriter::new(&mut sink, &mut buf, Framing::Chunked);
        let mut stream = EventStream::new(writer, None, VirtualClock::default());
        stream.replay(&*ring, Some("1")).await
    });
    assert_eq!(replayed, Err(End::Evicted));
    assert!(pushed.get() > 3);
    // Whole frames only, and no last chunk: the client resumes when it reconnects.
    let (items, clean) = items_of(&sink.output, Framing::Chunked);
    assert!(!clean && !sink.output.ends_with(LAST_CHUNK));
    assert_eq!(items, strings(&["message|2|x"]));
}

/// Steps, the time the signal ends the stream, the sleeps and the items expected.
type KeepAliveCase = (Vec<Step>, u64, &'static [u64], &'static [&'static str]);

#[test]
fn keep_alive_when_idle_timed_from_the_last_byte_sent() {
    let with_event = || vec![Step::Advance(10_000), ev("x", None), Step::Idle];
    let cases: [KeepAliveCase; 2] = [
        // Due 15 s after the start, then every 15 s.
        (vec![Step::Idle], 30_000, &[15_000, 30_000], &[":", ":"]),
        // The event at 10 s moves it to 25 s.
        (
            with_event(),
            55_000,
            &[25_000, 40_000, 55_000],
            &["message|-|x", ":", ":", ":"],
        ),
    ];
    for framing in FRAMINGS {
        for (steps, stop_at, sleeps, expected) in cases.iter().map(|c| (c.0.clone(), c.1, c.2, c.3))
        {
            let clock = VirtualClock::default();
            let mut items = script(steps);
            items.now = Rc::clone(&clock.now);
            let now = Rc::clone(&clock.now);
            let until = core::future::poll_fn(|_| match now.get() >= stop_at {
                true => Poll::Ready(()),
                false => Poll::Pending,
            });
            let mut sink = Sink::new();
            let mut buf = [0u8; 64];
            let end = block_on(async {
                let writer = EventWriter::new(&mut sink, &mut buf, framing);
                let keep_alive = Some(Duration::from_secs(15));
                let mut stream = EventStream::new(writer, keep_alive, clock.clone());
                stream.run(items, until).await
            });
            assert_eq!(end, End::Stopped);
            assert_eq!(clock.sleeps.borrow().as_slice(), sleeps, "{framing:?}");
            let (items, clean) = items_of(&sink.output, framing);
            assert_eq!(items, strings(expected));
            assert!(clean);
            assert_eq!(
                sink.output.ends_with(LAST_CHUNK),
                framing == Framing::Chunked
            );
            // Each write flushed, and the end.
            assert_eq!(sink.flushes, expected.len() + 1);
        }
    }
}

#[test]
fn no_keep_alive_without_an_interval() {
    let clock = VirtualClock::default();
    let polls = Cell::new(0);
    let until = core::future::poll_fn(|_| {
        polls.set(polls.get() + 1);
        if polls.get() > 100 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    });
    let mut sink = Sink::new();
    let mut buf = [0u8; 64];
    let end = block_on(async {
        let writer = EventWriter::new(&mut sink, &mut buf, Framing::Close);
        let mut stream = EventStream::new(writer, None, clock.clone());
        stream.run(script(vec![Step::Idle]), until).await
    });
    assert_eq!(end, End::Stopped);
    assert!(sink.output.is_empty());
    assert!(clock.sleeps.borrow().is_empty());
}

#[test]
fn the_end_signal_ends_one_connection_cleanly_and_leaves_the_other() {
    let (stop_a, a_done) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
    let a_items = script(vec![ev("a1", Some("1")), Step::Idle]);
    let b_items = script(vec![
        ev("b1", Some("1")),
        Step::WaitFor(Rc::clone(&a_done)),
        ev("b2", Some("2")),
        Step::WaitFor(Rc::new(Cell::new(false))),
    ]);
    let stop_b = Rc::new(Cell::new(false));
    let signal = |flag: Rc<Cell<bool>>| {
        core::future::poll_fn(move |_| match flag.get() {
            true => Poll::Ready(()),
            false => Poll::Pending,
        })
    };
    let (mut sink_a, mut sink_b) = (Sink::new(), Sink::new());
    let (mut buf_a, mut buf_b) = ([0u8; 64], [0u8; 64]);
    let (end_a, end_b) = block_on(join(
        async {
            let writer = EventWriter::new(&mut sink_a, &mut buf_a, Framing::Chunked);
            let mut stream = EventStream::new(writer, None, VirtualClock::default());
            stop_a.set(true);
            let end = stream.run(a_items, signal(Rc::clone(&stop_a))).await;
            a_done.set(true);
            end
        },
        async {
            let writer = EventWriter::new(&mut sink_b, &mut buf_b, Framing::Chunked);
            let mut stream = EventStream::new(writer, None, VirtualClock::default());
            // B's own signal fires once it has written b2.
            let stop = Rc::clone(&stop_b);
            let until = async {
                signal(Rc::clone(&a_done)).await;
                // Let b2 through first.
                for _ in 0..10 {
                    embassy_futures::yield_now().await;
                }
                stop.set(true);
                signal(stop).await;
            };
            stream.run(b_items, until).await
        },
    ));
    assert_eq!(end_a, End::Stopped);
    assert_eq!(end_b, End::Stopped);
    let (a, clean_a) = items_of(&sink_a.output, Framing::Chunked);
    let (b, clean_b) = items_of(&sink_b.output, Framing::Chunked);
    assert!(clean_a && clean_b && sink_a.output.ends_with(LAST_CHUNK));
    // A's source is polled before its signal, so a1 went out before A stopped; B went on
    // after A had ended.
    assert_eq!(a, strings(&["message|1|a1"]));
    assert_eq!(b, strings(&["message|1|b1", "message|2|b2"]));
}

#[test]
fn a_client_gone_is_client_gone_and_nothing_more_is_written() {
    // A write failing in an event, a write accepting nothing, a keep-alive failing.
    let cases: [(Option<usize>, usize, Option<Duration>); 3] = [
        (Some(10), 5, None),
        (None, 0, None),
        (Some(0), 5, Some(Duration::from_secs(1))),
    ];
    for (fail_at, write_max, keep_alive) in cases {
        let mut sink = Sink::new();
        sink.fail_at = fail_at;
        sink.write_max = write_max;
        let items = match keep_alive {
            Some(_) => script(vec![Step::Idle]),
            None => script(vec![ev("some data", Some("1")), ev("more", None)]),
        };
        let mut buf = [0u8; 64];
        let end = block_on(async {
            let writer = EventWriter::new(&mut sink, &mut buf, Framing::Chunked);
            let mut stream = EventStream::new(writer, keep_alive, VirtualClock::default());
            stream.run(items, core::future::pending::<()>()).await
        });
        assert_eq!(end, End::ClientGone, "{fail_at:?} {write_max}");
        assert_eq!(sink.output.len(), fail_at.unwrap_or(0));
        assert_eq!(sink.flushes, 0);
    }
}

#[test]
fn an_invalid_item_is_invalid_and_nothing_of_it_is_written() {
    let invalid = [
        Step::Event("data", Some("bad\ntype"), None),
        Step::Event("data", None, Some("bad\rid")),
        Step::Event(
            "far too long for the buffer of sixty-four bytes, far too long",
            None,
            None,
        ),
    ];
    for step in invalid {
        let items = script(vec![ev("ok", None), step, ev("never", None)]);
        let ring = RefCell::new(Replay::new(vec![0u8; 64], 1));
        let mut sink = Sink::new();
        let mut buf = [0u8; 64];
        let end = block_on(async {
            let writer = EventWriter::new(&mut sink, &mut buf, Framing::Chunked);
            let mut stream = EventStream::new(writer, None, VirtualClock::default());
            let _ = stream.replay(&ring, None).await;
            stream.run(items, core::future::pending::<()>()).await
        });
        assert_eq!(end, End::Invalid);
        // The event before it, then the last chunk.
        assert_eq!(sink.output, b"a\r\ndata: ok\n\n\r\n0\r\n\r\n");
    }
}

#[test]
fn record_refuses_what_it_cannot_replay() {
    let ring = RefCell::new(Replay::new(vec![0u8; storage_len(2, 32)], 2));
    let mut buf = [0u8; 64];
    let bad_id = record(&ring, "a\nb", Event::new("x"), &mut buf);
    assert_eq!(bad_id, Err(RecordError::Encode(EncodeError::InvalidId)));
    assert_eq!(
        bad_id.unwrap_err().to_string(),
        EncodeError::InvalidId.to_string()
    );
    let big = record(
        &ring,
        "1",
        Event::new("more than thirty-two bytes"),
        &mut buf,
    );
    assert_eq!(big, Err(RecordError::Push(PushError::TooLarge)));
    assert!(ring.borrow().is_empty());
    let frame = record(&ring, "7", Event::new("x").id("ignored"), &mut buf).unwrap();
    assert_eq!(frame, b"id: 7\ndata: x\n\n");
    assert_eq!(ring.borrow().newest_id(), Some("7"));
}

#[test]
fn futures_are_small() {
    let ring = ring_with_four();
    let mut sink = Sink::new();
    let mut buf = [0u8; 64];
    let writer = EventWriter::new(&mut sink, &mut buf, Framing::Chunked);
    let mut stream = EventStream::new(writer, None, VirtualClock::default());
    let replay = stream.replay(&ring, Some("1"));
    let replay_size = core::mem::size_of_val(&replay);
    drop(replay);
    let mut items = script(vec![]);
    let run = stream.run(&mut items, core::future::pending::<()>());
    let run_size = core::mem::size_of_val(&run);
    drop(run);
    println!("replay {replay_size}, run {run_size}");
    assert!(
        replay_size <= 512 && run_size <= 512,
        "{replay_size} {run_size}"
    );
}
