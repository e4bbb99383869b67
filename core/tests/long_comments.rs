//! Comments longer than the comment limit, as servers send them: padding (often 2 KiB) before
//! the first event, so that proxies which buffer pass the stream on at once. They carry no event
//! data, so the parser skips them: no item and no error, the events around them whole, and no
//! more memory however long they are. At the default limits, in the storage sizes that the
//! `Limits` docs list, fed whole, one byte at a time and split in two.
//!
//! The 2 KiB cases are also shared vectors (`common/vectors.rs`, run on the Cortex-M4 too);
//! these build the streams at run time, so they can be 100 KiB long.

use ssewire::parse::{Item, Parser};

/// The storage sizes of the `Limits` docs' table, and the comment limit each gives.
const STORAGE: [(usize, usize); 3] = [(1024, 93), (4096, 128), (65536, 128)];

/// An item, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Got {
    Event {
        event: String,
        data: String,
        id: String,
    },
    Comment(String),
    Retry(u64),
    Error(String),
}

fn event(event: &str, data: &str, id: &str) -> Got {
    Got::Event {
        event: event.to_owned(),
        data: data.to_owned(),
        id: id.to_owned(),
    }
}

/// Feeds `chunks` in order to a fresh parser with the default limits over `storage` bytes.
fn feed(storage: usize, chunks: &[&[u8]]) -> Vec<Got> {
    let mut parser = Parser::new(vec![0u8; storage]);
    let mut items = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        while let Some(item) = parser.feed(&mut input) {
            items.push(match item {
                Ok(Item::Event(e)) => event(e.event, e.data, e.last_event_id),
                Ok(Item::Comment(text)) => Got::Comment(text.to_owned()),
                Ok(Item::Retry(ms)) => Got::Retry(ms),
                Err(error) => Got::Error(error.to_string()),
            });
        }
        assert!(input.is_empty(), "feed returned None with input left");
    }
    items
}

/// `padding` bytes of comment padding (spaces after the colon), then a stream whose block
/// holds another comment of `padding` bytes between two `data` lines, and the items it must
/// give.
fn padded_stream(padding: usize) -> (Vec<u8>, Vec<Got>) {
    let mut input = b":".to_vec();
    input.resize(input.len() + padding, b' ');
    input.extend(b"\nretry: 3000\n\n: keep-alive\n\nid: 1\nevent: tick\ndata: a\n: ");
    input.resize(input.len() + padding, b'x');
    input.extend(b"\r\ndata: b\n\ndata: c\n\n");
    let expected = vec![
        Got::Retry(3000),
        Got::Comment("keep-alive".to_owned()),
        event("tick", "a\nb", "1"),
        event("message", "c", "1"),
    ];
    (input, expected)
}

/// Checks `input` whole, one byte at a time, in a few chunk sizes, and split in two at every
/// `step`-th position and at every position within `window` bytes of its ends or after the
/// start of a comment line (where the limit is crossed).
fn check(input: &[u8], expected: &[Got], step: usize, window: usize) {
    let comment_starts: Vec<usize> = (0..input.len())
        .filter(|&at| input[at] == b':' && (at == 0 || b"\r\n".contains(&input[at - 1])))
        .collect();
    assert_eq!(comment_starts.len(), 3);
    let near = |at: usize| {
        at < window
            || input.len() - at < window
            || comment_starts
                .iter()
                .any(|&c| (c..c + window).contains(&at))
    };
    // Miri interprets slowly: there, in the smallest storage only.
    let storages = if cfg!(miri) { &STORAGE[..1] } else { &STORAGE };
    for &(storage, comment_limit) in storages {
        assert_eq!(
            Parser::new(vec![0u8; storage]).limits().comment,
            comment_limit
        );
        assert_eq!(feed(storage, &[input]), expected, "{storage} B, whole");
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(feed(storage, &bytes), expected, "{storage} B, bytewise");
        for size in [2, 7, 93, 128, 129, 4096] {
            let chunks: Vec<&[u8]> = input.chunks(size).collect();
            assert_eq!(
                feed(storage, &chunks),
                expected,
                "{storage} B, chunks of {size}"
            );
        }
        for at in (0..=input.len()).filter(|&at| at % step == 0 || near(at)) {
            let (a, b) = input.split_at(at);
            assert_eq!(
                feed(storage, &[a, b]),
                expected,
                "{storage} B, split at {at}"
            );
        }
    }
}

#[test]
fn padding_comment_of_2_kib_then_events() {
    let (input, expected) = padded_stream(2048);
    // Miri interprets slowly: there, every 257th split point and those near the limits.
    if cfg!(miri) {
        check(&input, &expected, 257, 8);
    } else {
        check(&input, &expected, 1, 0);
    }
}

#[test]
fn padding_comment_of_100_kib_then_events() {
    // Miri interprets 200 KiB fed byte by byte too slowly: there, 1 KiB of padding takes the
    // same paths (well over every limit).
    let (padding, step, window) = if cfg!(miri) {
        (1024, 509, 4)
    } else {
        (100 * 1024, 997, 200)
    };
    let (input, expected) = padded_stream(padding);
    // Every split point of 200 KiB, each fed to a fresh parser, is 40 GB of parsing: every
    // `step`th, and every one near the ends and the limits.
    check(&input, &expected, step, window);
}

/// At the default limit the comment is delivered whole; one byte over, it is skipped.
#[test]
fn comment_at_default_limit_is_whole_and_one_byte_over_is_skipped() {
    for (storage, limit) in STORAGE {
        for (len, delivered) in [(limit, true), (limit + 1, false)] {
            let text = "x".repeat(len);
            let input = format!(": {text}\ndata: ok\n\n");
            let mut expected = vec![event("message", "ok", "")];
            if delivered {
                expected.insert(0, Got::Comment(text));
            }
            let bytes: Vec<&[u8]> = input.as_bytes().chunks(1).collect();
            assert_eq!(
                feed(storage, &[input.as_bytes()]),
                expected,
                "{storage} B, {len}"
            );
            assert_eq!(
                feed(storage, &bytes),
                expected,
                "{storage} B, {len}, bytewise"
            );
        }
    }
}

/// A comment far over the limit writes no byte of its text past the limit into the storage.
#[test]
fn comment_over_limit_stores_no_more_than_the_limit() {
    // Miri interprets slowly: there, in the smallest storage only.
    let storages = if cfg!(miri) { &STORAGE[..1] } else { &STORAGE };
    for &(storage, limit) in storages {
        let mut input = b": ".to_vec();
        input.resize(
            input.len() + if cfg!(miri) { 1024 } else { 100 * 1024 },
            b'x',
        );
        input.push(b'\n');
        for chunk_len in [1, 100, input.len()] {
            let mut parser = Parser::new(vec![0u8; storage]);
            for chunk in input.chunks(chunk_len) {
                let mut chunk = chunk;
                assert_eq!(parser.feed(&mut chunk), None);
                assert!(chunk.is_empty());
            }
            let stored = parser.into_inner().iter().filter(|&&b| b == b'x').count();
            assert!(
                stored <= limit,
                "{storage} B, chunks of {chunk_len}: {stored} bytes stored"
            );
        }
    }
}
