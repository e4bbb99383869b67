//! The replay ring: named tables of pushes and lookups, and a model of the eviction and lookup
//! rules compared with it over random sequences of operations.

use std::collections::VecDeque;

use proptest::prelude::*;
use ssewire::encode::Event;
use ssewire::parse::{Item, Parser};
use ssewire::replay::{storage_len, Frames, Miss, PushError, Replay, INDEX_ENTRY_LEN};

/// What a lookup should give: the frames to replay, or the miss.
type Expect = Result<&'static [&'static str], Miss>;

struct Case {
    name: &'static str,
    max_events: usize,
    capacity: usize,
    /// Ids and frames pushed, in order.
    pushes: &'static [(&'static str, &'static str)],
    /// Indices of the pushes refused with [`PushError::TooLarge`].
    refused: &'static [usize],
    /// The frames retained at the end, oldest first.
    retained: &'static [&'static str],
    /// `Last-Event-ID` values and what `since` gives for them.
    lookups: &'static [(&'static str, Expect)],
}

const CASES: &[Case] = &[
    Case {
        name: "empty ring",
        max_events: 4,
        capacity: 64,
        pushes: &[],
        refused: &[],
        retained: &[],
        lookups: &[
            ("", Ok(&[])),
            ("1", Err(Miss::Unknown)),
            ("0", Err(Miss::Unknown)),
            ("x", Err(Miss::Unknown)),
        ],
    },
    Case {
        name: "one event",
        max_events: 4,
        capacity: 64,
        pushes: &[("1", "A")],
        refused: &[],
        retained: &["A"],
        lookups: &[
            ("", Ok(&["A"])),
            ("1", Ok(&[])),
            ("0", Err(Miss::Unknown)),
            ("2", Err(Miss::Unknown)),
        ],
    },
    Case {
        name: "consecutive numbers",
        max_events: 8,
        capacity: 64,
        pushes: &[("1", "A"), ("2", "B"), ("3", "C"), ("4", "D")],
        refused: &[],
        retained: &["A", "B", "C", "D"],
        lookups: &[
            ("1", Ok(&["B", "C", "D"])),
            ("2", Ok(&["C", "D"])),
            ("4", Ok(&[])),
            ("5", Err(Miss::Unknown)),
            ("02", Err(Miss::Unknown)),
            ("", Ok(&["A", "B", "C", "D"])),
        ],
    },
    Case {
        name: "eviction by count",
        max_events: 3,
        capacity: 64,
        pushes: &[("1", "A"), ("2", "B"), ("3", "C"), ("4", "D"), ("5", "E")],
        refused: &[],
        retained: &["C", "D", "E"],
        lookups: &[
            ("0", Err(Miss::Evicted)),
            ("1", Err(Miss::Evicted)),
            ("2", Err(Miss::Evicted)),
            ("3", Ok(&["D", "E"])),
            ("5", Ok(&[])),
            ("6", Err(Miss::Unknown)),
            ("", Ok(&["C", "D", "E"])),
        ],
    },
    Case {
        name: "eviction by bytes",
        max_events: 16,
        // Records of 5 bytes (1 of id, 4 of frame): two fit.
        capacity: 10,
        pushes: &[("1", "AAAA"), ("2", "BBBB"), ("3", "CCCC"), ("4", "DDDD")],
        refused: &[],
        retained: &["CCCC", "DDDD"],
        lookups: &[
            ("2", Err(Miss::Evicted)),
            ("3", Ok(&["DDDD"])),
            ("4", Ok(&[])),
        ],
    },
    Case {
        name: "records exactly filling the storage",
        max_events: 16,
        // Four records of 3 bytes fill it; the fifth starts over at the front.
        capacity: 12,
        pushes: &[
            ("1", "AA"),
            ("2", "BB"),
            ("3", "CC"),
            ("4", "DD"),
            ("5", "EE"),
        ],
        refused: &[],
        retained: &["BB", "CC", "DD", "EE"],
        lookups: &[("1", Err(Miss::Evicted)), ("2", Ok(&["CC", "DD", "EE"]))],
    },
    Case {
        name: "wrap-around skips the tail",
        max_events: 16,
        // 1 and 2 take bytes 0..8; 3 does not fit in the last 2 and goes to the front,
        // evicting 1. 4 goes right after 3, which needs the bytes of 2.
        capacity: 10,
        pushes: &[("1", "AAA"), ("2", "BBB"), ("3", "CCC"), ("4", "D")],
        refused: &[],
        retained: &["CCC", "D"],
        lookups: &[
            ("1", Err(Miss::Evicted)),
            ("2", Err(Miss::Evicted)),
            ("3", Ok(&["D"])),
        ],
    },
    Case {
        name: "many laps of uneven records",
        max_events: 4,
        capacity: 16,
        pushes: &[
            ("1", "A"),
            ("2", "BBBBB"),
            ("3", "CC"),
            ("4", "DDDDDDD"),
            ("5", "E"),
            ("6", "FFFF"),
            ("7", "GGG"),
            ("8", "HHHHHH"),
            ("9", "II"),
            ("10", "J"),
        ],
        refused: &[],
        retained: &["HHHHHH", "II", "J"],
        lookups: &[
            ("7", Err(Miss::Evicted)),
            ("8", Ok(&["II", "J"])),
            ("10", Ok(&[])),
        ],
    },
    Case {
        name: "opaque ids",
        max_events: 8,
        capacity: 64,
        pushes: &[("a", "A"), ("b", "B"), ("c", "C")],
        refused: &[],
        retained: &["A", "B", "C"],
        lookups: &[
            ("a", Ok(&["B", "C"])),
            ("b", Ok(&["C"])),
            ("d", Err(Miss::Unknown)),
            ("B", Err(Miss::Unknown)),
            ("a ", Err(Miss::Unknown)),
        ],
    },
    Case {
        name: "evicted opaque ids are unknown",
        max_events: 2,
        capacity: 64,
        pushes: &[("a", "A"), ("b", "B"), ("c", "C")],
        refused: &[],
        retained: &["B", "C"],
        lookups: &[("a", Err(Miss::Unknown)), ("b", Ok(&["C"]))],
    },
    Case {
        name: "numbers between the evicted and the oldest are unknown",
        max_events: 4,
        capacity: 64,
        pushes: &[
            ("10", "A"),
            ("20", "B"),
            ("30", "C"),
            ("40", "D"),
            ("50", "E"),
        ],
        refused: &[],
        retained: &["B", "C", "D", "E"],
        lookups: &[
            ("5", Err(Miss::Evicted)),
            ("10", Err(Miss::Evicted)),
            ("15", Err(Miss::Unknown)),
            ("20", Ok(&["C", "D", "E"])),
            ("30", Ok(&["D", "E"])),
            ("35", Err(Miss::Unknown)),
            ("50", Ok(&[])),
            ("60", Err(Miss::Unknown)),
        ],
    },
    Case {
        name: "events without id are replayed but never matched",
        max_events: 8,
        capacity: 64,
        pushes: &[("1", "A"), ("", "B"), ("2", "C"), ("", "D")],
        refused: &[],
        retained: &["A", "B", "C", "D"],
        lookups: &[
            ("1", Ok(&["B", "C", "D"])),
            ("2", Ok(&["D"])),
            ("", Ok(&["A", "B", "C", "D"])),
        ],
    },
    Case {
        name: "only events without id",
        max_events: 2,
        capacity: 64,
        pushes: &[("", "A"), ("", "B"), ("", "C")],
        refused: &[],
        retained: &["B", "C"],
        lookups: &[("", Ok(&["B", "C"])), ("0", Err(Miss::Unknown))],
    },
    Case {
        name: "duplicate ids resume after the newest",
        max_events: 8,
        capacity: 64,
        pushes: &[("x", "A"), ("y", "B"), ("x", "C"), ("z", "D")],
        refused: &[],
        retained: &["A", "B", "C", "D"],
        lookups: &[("x", Ok(&["D"])), ("y", Ok(&["C", "D"])), ("z", Ok(&[]))],
    },
    Case {
        name: "duplicate numbers resume after the newest",
        max_events: 8,
        capacity: 64,
        pushes: &[("1", "A"), ("2", "B"), ("1", "C"), ("3", "D")],
        refused: &[],
        retained: &["A", "B", "C", "D"],
        lookups: &[("1", Ok(&["D"])), ("2", Ok(&["C", "D"])), ("3", Ok(&[]))],
    },
    Case {
        name: "an evicted duplicate still resumes after the retained one",
        max_events: 2,
        capacity: 64,
        pushes: &[("7", "A"), ("7", "B"), ("8", "C")],
        refused: &[],
        retained: &["B", "C"],
        lookups: &[("7", Ok(&["C"])), ("6", Err(Miss::Evicted))],
    },
    Case {
        name: "decreasing numbers",
        max_events: 2,
        capacity: 64,
        pushes: &[("5", "A"), ("4", "B"), ("3", "C")],
        refused: &[],
        retained: &["B", "C"],
        lookups: &[
            ("4", Ok(&["C"])),
            ("3", Ok(&[])),
            ("5", Err(Miss::Evicted)),
            ("1", Err(Miss::Evicted)),
            ("6", Err(Miss::Unknown)),
        ],
    },
    Case {
        name: "numbers with leading zeros are opaque",
        max_events: 2,
        capacity: 64,
        pushes: &[("01", "A"), ("02", "B"), ("03", "C")],
        refused: &[],
        retained: &["B", "C"],
        lookups: &[
            ("02", Ok(&["C"])),
            ("2", Err(Miss::Unknown)),
            ("01", Err(Miss::Unknown)),
            ("1", Err(Miss::Unknown)),
        ],
    },
    Case {
        name: "mixed numeric and opaque ids",
        max_events: 8,
        capacity: 64,
        pushes: &[("1", "A"), ("b", "B"), ("3", "C"), ("", "D"), ("5", "E")],
        refused: &[],
        retained: &["A", "B", "C", "D", "E"],
        lookups: &[
            ("1", Ok(&["B", "C", "D", "E"])),
            ("b", Ok(&["C", "D", "E"])),
            ("3", Ok(&["D", "E"])),
            ("2", Err(Miss::Unknown)),
            ("5", Ok(&[])),
        ],
    },
    Case {
        name: "largest number",
        max_events: 1,
        capacity: 64,
        pushes: &[("18446744073709551615", "A"), ("x", "B")],
        refused: &[],
        retained: &["B"],
        lookups: &[
            ("18446744073709551615", Err(Miss::Evicted)),
            ("0", Err(Miss::Evicted)),
            ("18446744073709551616", Err(Miss::Unknown)),
        ],
    },
    Case {
        name: "non-ASCII ids",
        max_events: 4,
        capacity: 64,
        pushes: &[("é1", "A"), ("😀", "B"), ("١", "C")],
        refused: &[],
        retained: &["A", "B", "C"],
        lookups: &[
            ("é1", Ok(&["B", "C"])),
            ("😀", Ok(&["C"])),
            ("1", Err(Miss::Unknown)),
        ],
    },
    Case {
        name: "record of exactly the capacity",
        max_events: 4,
        capacity: 10,
        pushes: &[("1", "AAAAAAAAA"), ("2", "BBBBBBBBB")],
        refused: &[],
        retained: &["BBBBBBBBB"],
        lookups: &[("1", Err(Miss::Evicted)), ("2", Ok(&[]))],
    },
    Case {
        name: "record over the capacity is refused and changes nothing",
        max_events: 4,
        capacity: 10,
        pushes: &[("1", "AAAA"), ("2", "BBBBBBBBBB"), ("3", "CCCC")],
        refused: &[1],
        retained: &["AAAA", "CCCC"],
        lookups: &[
            ("1", Ok(&["CCCC"])),
            ("2", Err(Miss::Unknown)),
            ("3", Ok(&[])),
        ],
    },
    Case {
        name: "no event slot",
        max_events: 0,
        capacity: 64,
        pushes: &[("1", "A"), ("", "")],
        refused: &[0, 1],
        retained: &[],
        lookups: &[("", Ok(&[])), ("1", Err(Miss::Unknown))],
    },
    Case {
        name: "no capacity",
        max_events: 4,
        capacity: 0,
        pushes: &[("1", "A"), ("", "A"), ("", "")],
        refused: &[0, 1],
        retained: &[""],
        lookups: &[("", Ok(&[""])), ("1", Err(Miss::Unknown))],
    },
    Case {
        name: "empty frames",
        max_events: 3,
        capacity: 4,
        pushes: &[("1", ""), ("2", ""), ("3", ""), ("4", "")],
        refused: &[],
        retained: &["", "", ""],
        lookups: &[("1", Err(Miss::Evicted)), ("2", Ok(&["", ""]))],
    },
];

fn collect(frames: Frames<'_>) -> Vec<String> {
    let len = frames.len();
    let frames: Vec<String> = frames
        .map(|frame| String::from_utf8(frame.to_vec()).unwrap())
        .collect();
    assert_eq!(frames.len(), len, "ExactSizeIterator::len");
    frames
}

fn run(case: &Case) {
    let name = case.name;
    let mut replay = Replay::new(
        vec![0u8; storage_len(case.max_events, case.capacity)],
        case.max_events,
    );
    assert_eq!(replay.max_events(), case.max_events, "{name}");
    assert_eq!(replay.capacity(), case.capacity, "{name}");
    for (i, &(id, frame)) in case.pushes.iter().enumerate() {
        let expected = if case.refused.contains(&i) {
            Err(PushError::TooLarge)
        } else {
            Ok(())
        };
        assert_eq!(
            replay.push(id, frame.as_bytes()),
            expected,
            "{name}: push {i}"
        );
    }
    assert_eq!(collect(replay.frames()), case.retained, "{name}: retained");
    assert_eq!(replay.len(), case.retained.len(), "{name}");
    assert_eq!(replay.is_empty(), case.retained.is_empty(), "{name}");
    for &(last_event_id, expected) in case.lookups {
        let got = replay.since(last_event_id).map(collect);
        let expected = expected.map(|frames| frames.iter().map(|f| f.to_string()).collect());
        assert_eq!(got, expected, "{name}: since({last_event_id:?})");
    }
}

#[test]
fn table() {
    for case in CASES {
        run(case);
    }
}

#[test]
fn table_names_are_unique() {
    let mut names: Vec<_> = CASES.iter().map(|case| case.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len());
}

#[test]
fn getters_follow_pushes_evictions_and_clear() {
    let mut replay = Replay::new(vec![0u8; storage_len(2, 100)], 2);
    assert_eq!((replay.oldest_id(), replay.newest_id()), (None, None));
    assert_eq!(replay.bytes_used(), 0);
    replay.push("1", b"abc").unwrap();
    assert_eq!(
        (replay.oldest_id(), replay.newest_id()),
        (Some("1"), Some("1"))
    );
    assert_eq!(replay.bytes_used(), 4);
    replay.push("", b"de").unwrap();
    assert_eq!(
        (replay.oldest_id(), replay.newest_id()),
        (Some("1"), Some(""))
    );
    assert_eq!(replay.bytes_used(), 6);
    replay.push("33", b"f").unwrap();
    assert_eq!(
        (replay.oldest_id(), replay.newest_id()),
        (Some(""), Some("33"))
    );
    assert_eq!((replay.len(), replay.bytes_used()), (2, 5));
    assert_eq!(replay.since("1").unwrap_err(), Miss::Evicted);

    // Clearing forgets what was evicted too.
    replay.clear();
    assert!(replay.is_empty());
    assert_eq!((replay.len(), replay.bytes_used()), (0, 0));
    assert_eq!((replay.oldest_id(), replay.newest_id()), (None, None));
    assert_eq!(replay.since("1").unwrap_err(), Miss::Unknown);
    assert_eq!(replay.frames().len(), 0);
    replay.push("4", b"g").unwrap();
    assert_eq!(collect(replay.frames()), ["g"]);
}

#[test]
fn short_storage_gets_fewer_slots() {
    let replay = Replay::new(vec![0u8; 100], 1000);
    assert_eq!(replay.max_events(), 100 / INDEX_ENTRY_LEN);
    assert_eq!(
        replay.capacity(),
        100 - INDEX_ENTRY_LEN * (100 / INDEX_ENTRY_LEN)
    );
    let mut storage = [0u8; 5];
    let replay = Replay::new(&mut storage[..], 3);
    assert_eq!((replay.max_events(), replay.capacity()), (0, 5));
    // Longer storage than needed: the rest is capacity.
    let replay = Replay::new([0u8; 200], 10);
    assert_eq!(
        (replay.max_events(), replay.capacity()),
        (10, 200 - 10 * INDEX_ENTRY_LEN)
    );
}

#[test]
fn storage_len_saturates() {
    assert_eq!(storage_len(usize::MAX, 1), usize::MAX);
    assert_eq!(storage_len(1, usize::MAX), usize::MAX);
    assert_eq!(storage_len(0, 0), 0);
}

#[test]
fn borrowed_storage_is_handed_back() {
    let mut storage = [0u8; 64];
    let mut replay = Replay::new(&mut storage[..], 2);
    replay.push("1", b"hello").unwrap();
    let storage = replay.into_inner();
    assert!(storage.windows(6).any(|w| w == b"1hello"));
}

#[test]
fn frames_iterate_from_both_ends() {
    let mut replay = Replay::new(vec![0u8; storage_len(8, 64)], 8);
    for (id, frame) in [("1", "A"), ("2", "B"), ("3", "C"), ("4", "D"), ("5", "E")] {
        replay.push(id, frame.as_bytes()).unwrap();
    }
    let mut frames = replay.since("1").unwrap();
    assert_eq!(frames.len(), 4);
    assert_eq!(frames.next_back(), Some(&b"E"[..]));
    assert_eq!(frames.next(), Some(&b"B"[..]));
    assert_eq!(frames.len(), 2);
    let copy = frames.clone();
    assert_eq!(frames.nth(1), Some(&b"D"[..]));
    assert_eq!(frames.next(), None);
    assert_eq!(frames.next_back(), None);
    assert_eq!(frames.next(), None);
    assert_eq!(copy.rev().collect::<Vec<_>>(), [b"D", b"C"]);
    let mut frames = replay.frames();
    assert_eq!(frames.nth(usize::MAX), None);
    assert_eq!(frames.len(), 0);
    // `last` and `count` are overridden to take O(1): test them as such.
    #[allow(clippy::double_ended_iterator_last)]
    let last = replay.frames().last();
    assert_eq!(last, Some(&b"E"[..]));
    assert_eq!(replay.since("5").unwrap().last(), None);
    assert_eq!(replay.frames().count(), 5);
}

#[test]
fn errors_display_short_lowercase_messages() {
    fn check(error: &dyn std::error::Error) {
        let text = error.to_string();
        assert!(!text.is_empty() && !text.ends_with('.'), "{text}");
        assert_eq!(text, text.to_lowercase());
    }
    check(&PushError::TooLarge);
    check(&Miss::Unknown);
    check(&Miss::Evicted);
}

#[test]
fn debug_does_not_print_the_storage() {
    let mut replay = Replay::new(vec![0u8; 4096], 4);
    replay.push("1", b"data: x\n\n").unwrap();
    replay.push("2", b"data: y\n\n").unwrap();
    let text = format!("{replay:?}");
    assert!(text.contains("oldest_id: Some(\"1\")"), "{text}");
    assert!(text.contains("newest_id: Some(\"2\")"), "{text}");
    assert!(text.len() < 200, "{text}");
    let text = format!("{:?}", replay.frames());
    assert!(text.contains("remaining: 2"), "{text}");
}

/// Encoded events pushed, replayed, and parsed on the other side give the missed events back.
#[test]
fn replayed_frames_parse_back() {
    let mut replay = Replay::new(vec![0u8; storage_len(4, 512)], 4);
    let mut buf = [0u8; 128];
    for n in 1..=6 {
        let id = n.to_string();
        let data = format!("event {n}\nsecond line");
        let len = Event::new(&data)
            .event("tick")
            .id(&id)
            .encode(&mut buf)
            .unwrap();
        replay.push(&id, &buf[..len]).unwrap();
    }
    assert_eq!(replay.since("1").unwrap_err(), Miss::Evicted);
    let mut parser = Parser::new([0u8; 512]);
    let mut seen = Vec::new();
    for frame in replay.since("4").unwrap() {
        let mut input = frame;
        while let Some(item) = parser.feed(&mut input) {
            if let Ok(Item::Event(event)) = item {
                seen.push((event.last_event_id.to_string(), event.data.to_string()));
            }
        }
    }
    assert_eq!(
        seen,
        [
            ("5".to_string(), "event 5\nsecond line".to_string()),
            ("6".to_string(), "event 6\nsecond line".to_string()),
        ]
    );
}

/// A server-sized ring: thousands of events, numeric ids found by binary search.
#[test]
fn server_sized_ring() {
    let events = if cfg!(miri) { 300 } else { 10_000 };
    let frame = [b'x'; 200];
    let mut replay = Replay::new(vec![0u8; storage_len(events, events * 100)], events);
    for n in 0..3 * events {
        replay
            .push(&n.to_string(), &frame[..100 + n % 100])
            .unwrap();
    }
    assert!(replay.len() < events && replay.len() > events / 2);
    assert!(replay.bytes_used() <= replay.capacity());
    let oldest: usize = replay.oldest_id().unwrap().parse().unwrap();
    let newest = 3 * events - 1;
    assert_eq!(replay.newest_id(), Some(&*newest.to_string()));
    for n in [
        oldest,
        oldest + 1,
        (oldest + newest) / 2,
        newest - 1,
        newest,
    ] {
        let frames = replay.since(&n.to_string()).unwrap();
        assert_eq!(frames.len(), newest - n);
    }
    assert_eq!(
        replay.since(&(oldest - 1).to_string()).unwrap_err(),
        Miss::Evicted
    );
    assert_eq!(
        replay.since(&(newest + 1).to_string()).unwrap_err(),
        Miss::Unknown
    );
}

/// The rules of the module docs, as plainly as they can be written.
#[derive(Debug)]
struct Model {
    slots: usize,
    capacity: u64,
    /// Id, frame, and where the record starts on the endless tape.
    events: VecDeque<(String, Vec<u8>, u64)>,
    evicted_max: Option<u64>,
}

/// `id` as a number if it is written the usual way.
fn number(id: &str) -> Option<u64> {
    let n: u64 = id.parse().ok()?;
    (n.to_string() == id).then_some(n)
}

impl Model {
    fn new(len: usize, max_events: usize) -> Model {
        let slots = max_events.min(len / INDEX_ENTRY_LEN);
        Model {
            slots,
            capacity: (len - slots * INDEX_ENTRY_LEN) as u64,
            events: VecDeque::new(),
            evicted_max: None,
        }
    }

    /// Where a record of `size` bytes goes on the tape: right after the newest one, unless it
    /// would straddle a multiple of the capacity.
    fn next_start(&self, size: u64) -> u64 {
        let Some((id, frame, start)) = self.events.back() else {
            return 0;
        };
        let end = start + (id.len() + frame.len()) as u64;
        if self.capacity > 0 && end % self.capacity + size > self.capacity {
            end.next_multiple_of(self.capacity)
        } else {
            end
        }
    }

    fn push(&mut self, id: &str, frame: &[u8]) -> Result<(), PushError> {
        let size = (id.len() + frame.len()) as u64;
        if size > self.capacity || self.slots == 0 {
            return Err(PushError::TooLarge);
        }
        // Oldest out until the new record fits under both bounds: the events kept span at most
        // one capacity of tape.
        while let Some((_, _, oldest)) = self.events.front() {
            if self.events.len() < self.slots
                && self.next_start(size) + size <= oldest + self.capacity
            {
                break;
            }
            let (id, ..) = self.events.pop_front().unwrap();
            if let Some(n) = number(&id) {
                self.evicted_max = self.evicted_max.max(Some(n));
            }
        }
        let start = self.next_start(size);
        self.events
            .push_back((id.to_string(), frame.to_vec(), start));
        Ok(())
    }

    fn since(&self, last_event_id: &str) -> Result<Vec<Vec<u8>>, Miss> {
        let after = if last_event_id.is_empty() {
            0
        } else {
            match self.events.iter().rposition(|(id, ..)| id == last_event_id) {
                Some(i) => i + 1,
                None => {
                    let evicted = number(last_event_id)
                        .zip(self.evicted_max)
                        .is_some_and(|(n, max)| n <= max);
                    return Err(if evicted {
                        Miss::Evicted
                    } else {
                        Miss::Unknown
                    });
                }
            }
        };
        Ok(self
            .events
            .iter()
            .skip(after)
            .map(|(_, frame, _)| frame.clone())
            .collect())
    }

    fn clear(&mut self) {
        self.events.clear();
        self.evicted_max = None;
    }
}

/// How the next id is chosen.
#[derive(Clone, Debug)]
enum NextId {
    /// The last number pushed plus this (so mostly increasing numbers).
    Counter(u64),
    /// The id pushed last, again.
    Repeat,
    /// A small number, maybe going back.
    Number(u64),
    /// A number written with a leading zero.
    LeadingZero(u64),
    Opaque(&'static str),
    Empty,
}

#[derive(Clone, Debug)]
enum Query {
    /// An id pushed before (retained or evicted).
    Pushed(prop::sample::Index),
    Number(u64),
    Text(String),
    Empty,
}

#[derive(Clone, Debug)]
enum Op {
    Push(NextId, usize),
    Since(Query),
    Clear,
}

fn next_id() -> impl Strategy<Value = NextId> {
    prop_oneof![
        8 => (1u64..3).prop_map(NextId::Counter),
        1 => Just(NextId::Repeat),
        2 => (0u64..40).prop_map(NextId::Number),
        1 => (0u64..10).prop_map(NextId::LeadingZero),
        2 => prop::sample::select(&["a", "b", "ab", "é", "7a"][..]).prop_map(NextId::Opaque),
        2 => Just(NextId::Empty),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    prop_oneof![
        4 => any::<prop::sample::Index>().prop_map(Query::Pushed),
        2 => (0u64..60).prop_map(Query::Number),
        1 => "[0-9a-z]{0,3}".prop_map(Query::Text),
        1 => Just(Query::Empty),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (next_id(), 0usize..40).prop_map(|(id, size)| Op::Push(id, size)),
        6 => query().prop_map(Op::Since),
        1 => Just(Op::Clear),
    ]
}

/// A frame that tells which push it came from, `size` bytes long.
fn frame(n: usize, size: usize) -> Vec<u8> {
    format!("{n}:")
        .into_bytes()
        .into_iter()
        .chain(std::iter::repeat(b'.'))
        .take(size)
        .collect()
}

fn compare_since(
    replay: &Replay<Vec<u8>>,
    model: &Model,
    last_event_id: &str,
) -> Result<(), TestCaseError> {
    let got = replay.since(last_event_id).map(|frames| {
        let len = frames.len();
        let frames: Vec<Vec<u8>> = frames.map(<[u8]>::to_vec).collect();
        assert_eq!(frames.len(), len, "ExactSizeIterator::len");
        frames
    });
    prop_assert_eq!(
        got,
        model.since(last_event_id),
        "since({:?}) with {:?}",
        last_event_id,
        model
    );
    Ok(())
}

fn cases() -> u32 {
    if cfg!(miri) {
        6
    } else {
        512
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn behaves_like_the_model(
        len in 0usize..320,
        max_events in 0usize..10,
        ops in prop::collection::vec(op(), 0..if cfg!(miri) { 24 } else { 80 }),
    ) {
        let mut replay = Replay::new(vec![0u8; len], max_events);
        let mut model = Model::new(len, max_events);
        prop_assert_eq!(replay.max_events(), model.slots);
        prop_assert_eq!(replay.capacity() as u64, model.capacity);
        let mut pushed: Vec<String> = Vec::new();
        let mut counter = 0u64;
        for (n, op) in ops.into_iter().enumerate() {
            match op {
                Op::Push(id, size) => {
                    let id = match id {
                        NextId::Counter(step) => {
                            counter += step;
                            counter.to_string()
                        }
                        NextId::Repeat => pushed.last().cloned().unwrap_or_default(),
                        NextId::Number(n) => n.to_string(),
                        NextId::LeadingZero(n) => format!("0{n}"),
                        NextId::Opaque(id) => id.to_string(),
                        NextId::Empty => String::new(),
                    };
                    let frame = frame(n, size);
                    prop_assert_eq!(replay.push(&id, &frame), model.push(&id, &frame), "push {:?}", id);
                    pushed.push(id);
                }
                Op::Since(query) => {
                    let id = match query {
                        Query::Pushed(index) if !pushed.is_empty() => pushed[index.index(pushed.len())].clone(),
                        Query::Pushed(_) | Query::Empty => String::new(),
                        Query::Number(n) => n.to_string(),
                        Query::Text(text) => text,
                    };
                    compare_since(&replay, &model, &id)?;
                }
                Op::Clear => {
                    replay.clear();
                    model.clear();
                }
            }
            let frames: Vec<Vec<u8>> = replay.frames().map(<[u8]>::to_vec).collect();
            let expected: Vec<Vec<u8>> = model.events.iter().map(|(_, frame, _)| frame.clone()).collect();
            prop_assert_eq!(frames, expected);
            prop_assert_eq!(replay.len(), model.events.len());
            prop_assert_eq!(
                replay.bytes_used(),
                model.events.iter().map(|(id, frame, _)| id.len() + frame.len()).sum::<usize>()
            );
            prop_assert_eq!(replay.oldest_id(), model.events.front().map(|(id, ..)| id.as_str()));
            prop_assert_eq!(replay.newest_id(), model.events.back().map(|(id, ..)| id.as_str()));
        }
        // Every id ever pushed, and some never pushed, looked up in the final state.
        for id in pushed.iter().map(String::as_str).chain(["", "0", "99", "a", "zz"]) {
            compare_since(&replay, &model, id)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Readers holding cursors, pushes in between: each reader gets every frame once, in the
    /// order pushed, until the window passes it by, and then learns it (`Miss::Evicted`) and
    /// goes on from the oldest retained.
    #[test]
    fn cursors_read_every_frame_once_in_order(
        max_events in 1usize..6,
        ops in prop::collection::vec((0u8..4, 0usize..3, 1usize..40), 0..if cfg!(miri) { 24 } else { 120 }),
    ) {
        let mut replay = Replay::new(vec![0u8; storage_len(max_events, 96)], max_events);
        // Every frame pushed, in order: a cursor's position is an index here.
        let mut all: Vec<Vec<u8>> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let mut readers = [replay.oldest(), replay.latest(0), replay.oldest()];
        let mut positions = [0usize; 3];
        let mut seen: [Vec<Vec<u8>>; 3] = Default::default();
        for (n, (op, reader, size)) in ops.into_iter().enumerate() {
            match op {
                0 | 1 => {
                    let frame = frame(n, size);
                    if replay.push(&n.to_string(), &frame).is_ok() {
                        all.push(frame);
                        ids.push(n.to_string());
                    }
                }
                2 => {
                    let oldest = all.len() - replay.len();
                    let got = replay.next_frame(&mut readers[reader]).map(|f| f.map(<[u8]>::to_vec));
                    let expected = if positions[reader] < oldest {
                        Err(Miss::Evicted)
                    } else {
                        Ok(all.get(positions[reader]).cloned())
                    };
                    prop_assert_eq!(&got, &expected);
                    match got {
                        Ok(Some(frame)) => {
                            positions[reader] += 1;
                            seen[reader].push(frame);
                        }
                        Ok(None) => {}
                        Err(_) => {
                            readers[reader] = replay.oldest();
                            positions[reader] = oldest;
                        }
                    }
                }
                _ => {
                    // A reader that resumes from the id of the last frame it saw.
                    if let Some(last) = positions[reader].checked_sub(1) {
                        if let Ok(cursor) = replay.cursor(&ids[last]) {
                            prop_assert_eq!(cursor, readers[reader]);
                        }
                    }
                    let latest = replay.latest(1);
                    let frames: Vec<&[u8]> = replay.frames_at(&latest).unwrap().collect();
                    prop_assert_eq!(frames.len(), replay.len().min(1));
                }
            }
        }
        for run in seen {
            // What a reader saw is pushes in order, each once.
            let start = all.iter().position(|f| Some(f) == run.first());
            if let Some(start) = start {
                let mut expected_run = Vec::new();
                let mut i = start;
                for frame in &run {
                    while all.get(i) != Some(frame) {
                        i += 1;
                        prop_assert!(i < all.len(), "a frame out of order");
                    }
                    expected_run.push(all[i].clone());
                    i += 1;
                }
                prop_assert_eq!(run, expected_run);
            }
        }
    }
}
