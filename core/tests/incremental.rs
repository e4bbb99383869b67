//! The incremental parser against the whole-input reference parser: at every split point, one
//! byte at a time, and at random chunkings, on generated streams.

mod common;

use common::reference::{incremental, parse};
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

fn check_every_split(input: &[u8]) {
    let expected = parse(input);
    assert_eq!(incremental(&[input]), expected, "whole input {input:?}");
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        incremental(&bytes),
        expected,
        "one byte at a time {input:?}"
    );
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(incremental(&[a, b]), expected, "split at {at} of {input:?}");
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
        prop_assert_eq!(incremental(&chunks), parse(&input));
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
