//! The incremental parser against the whole-input reference parser: at every split point, one
//! byte at a time, and at random chunkings, on generated streams. Each comparison runs without
//! limits and with a comment limit of [`COMMENT_LIMIT`] bytes, so that comments over it (skipped)
//! and at it (reported) meet every chunking.

mod common;

use common::reference::{incremental, incremental_with, parse, parse_with};
use proptest::prelude::*;

/// Pieces that make event streams interesting: field names, separators, every kind of line
/// end, BOMs, NUL, digits, invalid and multi-byte UTF-8 (whole and in parts).
const PIECES: &[&[u8]] = &[
    b"data",
    b"event",
    b"id",
    b"retry",
    b"dat",
    b"a",
    b":",
    b" ",
    b"  ",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"\r\r",
    b"x",
    b"hello",
    b"0",
    b"1",
    b"42",
    b"99999999999999999999999",
    b"\0",
    b"\t",
    b"\xEF\xBB\xBF",
    b"\xEF\xBB",
    b"\xFF",
    b"\x80",
    b"\xE2\x82",
    b"\xE2\x82\xAC",
    b"\xF0\x9F\x98\x80",
    b"\xF0\x9F",
    b"\xED\xA0\x80",
    b"\xC0\xAF",
    b"data: ",
    b"id: ",
    b"event: ",
    b"retry: ",
    b": comment",
    b":1234",
    b":12345",
    b"data:x\n\n",
];

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|pieces| pieces.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn cases() -> u32 {
    if cfg!(miri) {
        8
    } else {
        512
    }
}

/// The comment limit of the limited runs: `:1234` is at it, `: comment` and two invalid bytes
/// (two U+FFFD, 6 bytes) over it.
const COMMENT_LIMIT: usize = 4;

/// What the reference gives for `input`, without limits and with [`COMMENT_LIMIT`].
fn expected(input: &[u8]) -> [(Vec<common::reference::RefItem>, String); 2] {
    [parse(input), parse_with(input, COMMENT_LIMIT)]
}

/// What the incremental parser gives for `chunks`, without limits and with [`COMMENT_LIMIT`].
fn got(chunks: &[&[u8]]) -> [(Vec<common::reference::RefItem>, String); 2] {
    [
        incremental(chunks),
        incremental_with(chunks, Some(COMMENT_LIMIT)),
    ]
}

fn check_every_split(input: &[u8]) {
    let expected = expected(input);
    assert_eq!(got(&[input]), expected, "whole input {input:?}");
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(got(&bytes), expected, "one byte at a time {input:?}");
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(got(&[a, b]), expected, "split at {at} of {input:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_split_point_matches_reference(input in stream()) {
        check_every_split(&input);
    }

    #[test]
    fn random_chunkings_match_reference(input in stream(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8)) {
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in cuts {
            chunks.push(&input[start..cut]);
            start = cut;
        }
        chunks.push(&input[start..]);
        prop_assert_eq!(got(&chunks), expected(&input));
    }
}

#[test]
fn known_tricky_streams_match_reference() {
    for input in [
        &b"\xEF\xBB\xBFdata: a\r\n\r\n"[..],
        b"\xEF\xBBdata: a\n\n",
        b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n",
        b"data: a\r\rdata: b\n\r\n",
        b"data: a\r\ndata: b\r\n\r\n",
        b"id: 1\n\nid: 2\0\n\ndata: x\n\n",
        b"data: \xE2\x82\n\xAC\n\n",
        b"retry: 18446744073709551616\nretry:\nretry: 1 \n",
        b": c1\n:c2\n::\ndata\ndata\n\n",
        b"event: e\n\ndata: reset type\n\n",
        b"data: unterminated",
        b":\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFFj\xBE\n",
        b"event:\x80\x80\x80\x80\nid:\xF0\x9F\x98\nid\n\xFF:\ndata:\xC3\n\n",
        // Comments at and over the limit of 4, raw and after replacement, between and inside
        // blocks, ended by every kind of line end.
        b":1234\n:12345\r:\xFF\xFF\r\n: \xFFa\ndata: a\n: comment\ndata: b\n\n",
        b"data: a\r:12345\r\r:1234\r\n\r\n",
        b": \xE2\x82\xAC\xE2\x82\xAC\nid: 1\n:\xC3\xA9\xC3\xA9\ndata: x\n\n",
    ] {
        check_every_split(input);
    }
}

#[test]
fn long_lines_in_tiny_chunks_match_reference() {
    let mut input = b"event: long\nid: ".to_vec();
    input.extend(std::iter::repeat_n(b'7', 300));
    input.extend(b"\ndata: ");
    input.extend("é€😀".repeat(200).as_bytes());
    input.extend(b"\r\n\r\n");
    for size in [1, 2, 3, 5, 7, 64] {
        let chunks: Vec<&[u8]> = input.chunks(size).collect();
        assert_eq!(incremental(&chunks), parse(&input), "chunks of {size}");
    }
}

/// Comments far over the default limit (padding, as servers send it) before and inside events,
/// with the default comment limit of 128 bytes: the reference and the parser agree in every
/// chunking tried.
#[test]
fn long_comments_in_tiny_chunks_match_reference() {
    let limit = ssewire::parse::Limits::DEFAULT.comment;
    let mut input = b":".to_vec();
    input.resize(1 + 2048, b' ');
    input.extend(b"\nretry: 10\n\ndata: a\n: ");
    input.extend("é".repeat(limit / 2).as_bytes());
    input.extend(b"\n: ");
    input.extend("é".repeat(limit / 2 + 1).as_bytes());
    input.extend(b"\r\ndata: b\n\n");
    let expected = parse_with(&input, limit);
    assert_eq!(expected.0.len(), 3, "{expected:?}");
    // Miri interprets slowly: there, a few sizes only.
    let sizes: &[usize] = if cfg!(miri) {
        &[1, 129]
    } else {
        &[1, 2, 3, 5, 7, 64, 127, 128, 129, 4096]
    };
    for &size in sizes {
        let chunks: Vec<&[u8]> = input.chunks(size).collect();
        assert_eq!(
            incremental_with(&chunks, Some(limit)),
            expected,
            "chunks of {size}"
        );
    }
}
