//! The encoder: exact lengths, injection refused, and encode → parse round trips.

mod common;
#[path = "common/vectors.rs"]
mod vectors;

use core::fmt::Write;

use common::reference::{self, RefItem};
use proptest::prelude::*;
use ssewire::encode::{Comment, EncodeError, Event, Frame};
use vectors::{check_encode, EncodeCase, Source, ENCODE};

/// Text with every kind of line break, NUL, spaces where they matter, and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                "a", "b c", " ", "  ", "\r", "\n", "\r\n", "\0", "é", "😀", ":", "data: x",
                "\u{FEFF}",
            ][..],
        ),
        0..12,
    )
    .prop_map(|pieces| pieces.concat())
}

/// Text an event type or id may hold.
fn name(forbidden: &'static [char]) -> impl Strategy<Value = String> {
    text().prop_map(move |t| t.replace(forbidden, ""))
}

/// What parsing gives back for data: its line breaks as LF.
fn normalized(data: &str) -> String {
    data.replace("\r\n", "\n").replace('\r', "\n")
}

fn cases() -> u32 {
    if cfg!(miri) {
        8
    } else {
        1024
    }
}

fn encode(event: &Event<'_>) -> Vec<u8> {
    let len = event.encoded_len().expect("valid event");
    let mut buf = vec![0xAA; len + 8];
    assert_eq!(event.encode(&mut buf), Ok(len));
    assert!(
        buf[len..].iter().all(|&b| b == 0xAA),
        "wrote past the length it reported"
    );
    buf.truncate(len);
    // A roomy buffer takes the path that skips counting: same bytes.
    let mut roomy = vec![0; 8 * len + 64];
    assert_eq!(event.encode(&mut roomy), Ok(len));
    assert_eq!(roomy[..len], buf[..]);
    buf
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(
        data in text(),
        event in prop::option::of(name(&['\r', '\n'])),
        id in prop::option::of(name(&['\r', '\n', '\0'])),
        retry in prop::option::of(any::<u64>()),
        earlier_id in name(&['\r', '\n', '\0']),
    ) {
        let mut frame = Event::new(&data);
        if let Some(event) = &event {
            frame = frame.event(event);
        }
        if let Some(id) = &id {
            frame = frame.id(id);
        }
        if let Some(retry) = retry {
            frame = frame.retry(retry);
        }
        // An earlier event sets an id, so an event without one shows that it persists.
        let mut stream = encode(&Event::empty().id(&earlier_id));
        stream.extend(encode(&frame));

        let mut expected: Vec<RefItem> = retry.map(RefItem::Retry).into_iter().collect();
        expected.push(RefItem::Event {
            event: event.filter(|e| !e.is_empty()).unwrap_or_else(|| "message".into()),
            data: normalized(&data),
            last_event_id: id.clone().unwrap_or(earlier_id),
            id,
        });
        prop_assert_eq!(reference::parse(&stream).0, expected.clone());
        prop_assert_eq!(reference::incremental(&[&stream]).0, expected);
    }

    #[test]
    fn frame_writes_what_event_encodes(data in text(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6), id in name(&['\r', '\n', '\0'])) {
        // The data written in pieces, split anywhere (also inside a CRLF), gives the same bytes.
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).filter(|&i| data.is_char_boundary(i)).collect();
        at.sort_unstable();
        let mut buf = vec![0; 4096];
        let mut frame = Frame::new(&mut buf);
        frame.event("e").unwrap();
        frame.id(&id).unwrap();
        let mut start = 0;
        for cut in at.into_iter().chain([data.len()]) {
            write!(frame, "{}", &data[start..cut]).unwrap();
            start = cut;
        }
        frame.data("");
        let len = frame.finish().unwrap();
        prop_assert_eq!(&buf[..len], &encode(&Event::new(&data).event("e").id(&id))[..]);
    }

    #[test]
    fn line_breaks_in_event_type_are_refused(before in text(), after in text(), brk in prop::sample::select(&["\r", "\n", "\r\n"][..])) {
        let event = format!("{before}{brk}{after}");
        let mut buf = [0u8; 512];
        prop_assert_eq!(Event::new("x").event(&event).encoded_len(), Err(EncodeError::InvalidEventType));
        prop_assert_eq!(Event::new("x").event(&event).encode(&mut buf), Err(EncodeError::InvalidEventType));
        prop_assert_eq!(Frame::new(&mut buf).event(&event), Err(EncodeError::InvalidEventType));
    }

    #[test]
    fn line_breaks_and_nul_in_id_are_refused(before in text(), after in text(), bad in prop::sample::select(&["\r", "\n", "\r\n", "\0"][..])) {
        let id = format!("{before}{bad}{after}");
        let mut buf = [0u8; 512];
        prop_assert_eq!(Event::new("x").id(&id).encoded_len(), Err(EncodeError::InvalidId));
        prop_assert_eq!(Event::new("x").id(&id).encode(&mut buf), Err(EncodeError::InvalidId));
        prop_assert_eq!(Frame::new(&mut buf).id(&id), Err(EncodeError::InvalidId));
    }

    #[test]
    fn too_small_buffer_is_left_untouched(data in text(), short in 1usize..64) {
        let event = Event::new(&data).event("e").id("1");
        let len = event.encoded_len().unwrap();
        let mut buf = vec![0x55; len.saturating_sub(short)];
        prop_assert_eq!(event.encode(&mut buf), Err(EncodeError::BufferTooSmall));
        prop_assert!(buf.iter().all(|&b| b == 0x55));
    }

    #[test]
    fn comments_round_trip_line_by_line(text in text()) {
        let comment = Comment(&text);
        let mut buf = vec![0; comment.encoded_len()];
        prop_assert_eq!(comment.encode(&mut buf), Ok(buf.len()));
        let expected: Vec<RefItem> = normalized(&text).split('\n').map(|line| RefItem::Comment(line.to_owned())).collect();
        prop_assert_eq!(reference::parse(&buf).0, expected);
    }
}

/// The shared encode vectors (also run on the MCU): exact bytes and refusals, checked here with
/// the same allocation-free check and, for those that encode, with `encode` above too.
#[test]
fn exact_bytes() {
    for case in ENCODE {
        assert_eq!(check_encode(case), Ok(()), "vector `{}`", case.name);
        match (case.source, case.expected) {
            (Source::Event(event), Ok(bytes)) => {
                assert_eq!(encode(&event), bytes, "vector `{}`", case.name);
            }
            (Source::Comment(text), Ok(bytes)) => {
                let mut buf = vec![0; Comment(text).encoded_len()];
                assert_eq!(Comment(text).encode(&mut buf), Ok(bytes.len()));
                assert_eq!(buf, bytes, "vector `{}`", case.name);
            }
            (_, Err(_)) => {}
        }
    }
}

/// The shared check fails when the bytes are wrong.
#[test]
fn check_encode_reports_wrong_bytes() {
    const WRONG: &[EncodeCase] = &[
        EncodeCase {
            name: "longer",
            source: Source::Event(Event::new("hi")),
            expected: Ok(b"data: hi\n\n\n"),
        },
        EncodeCase {
            name: "same_length",
            source: Source::Event(Event::new("hi")),
            expected: Ok(b"data: ho\n\n"),
        },
        EncodeCase {
            name: "not_refused",
            source: Source::Event(Event::new("hi")),
            expected: Err(EncodeError::InvalidId),
        },
        EncodeCase {
            name: "other_error",
            source: Source::Event(Event::new("x").id("\n")),
            expected: Err(EncodeError::InvalidEventType),
        },
    ];
    for case in WRONG {
        assert!(check_encode(case).is_err(), "vector `{}`", case.name);
    }
}

#[test]
fn frame_interleaves_fields_and_data_by_lines() {
    let mut buf = [0u8; 128];
    let mut frame = Frame::new(&mut buf);
    frame.data("one");
    frame.retry(3);
    frame.comment("note");
    write!(frame, "two\r").unwrap();
    write!(frame, "\nthree").unwrap();
    let len = frame.finish().unwrap();
    assert_eq!(
        &buf[..len],
        &b"data: one\nretry: 3\n: note\ndata: two\ndata: three\n\n"[..]
    );
}

#[test]
fn frame_without_data_is_not_an_event() {
    let mut buf = [0u8; 32];
    let mut frame = Frame::new(&mut buf);
    frame.id("5").unwrap();
    let len = frame.finish().unwrap();
    assert_eq!(&buf[..len], b"id: 5\n\n");
    assert_eq!(reference::parse(&buf[..len]), (vec![], "5".to_owned()));
}

#[test]
fn full_frame_reports_buffer_too_small() {
    let mut buf = [0u8; 16];
    let mut frame = Frame::new(&mut buf);
    frame.event("price-update").unwrap();
    assert!(frame.write_str("more than fits").is_err());
    assert_eq!(frame.finish(), Err(EncodeError::BufferTooSmall));

    // Exactly full is fine.
    let mut buf = [0u8; 10];
    let mut frame = Frame::new(&mut buf);
    frame.data("hi");
    assert_eq!(frame.finish(), Ok(10));
    assert_eq!(&buf, b"data: hi\n\n");
}

#[test]
fn errors_display_short_lowercase_without_period() {
    for error in [
        EncodeError::InvalidEventType,
        EncodeError::InvalidId,
        EncodeError::BufferTooSmall,
    ] {
        let text = error.to_string();
        assert!(
            !text.is_empty() && !text.ends_with('.') && text.chars().next().unwrap().is_lowercase(),
            "{text}"
        );
    }
}
