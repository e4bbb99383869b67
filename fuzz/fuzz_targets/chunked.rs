//! The chunked decoder fed arbitrary bytes: no panic, and the same outcome (payload, end or
//! error, bytes consumed) whole, in arbitrary pieces and a byte at a time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssewire::http::{ChunkedDecoder, ChunkedError, Decoded};

#[derive(Debug, PartialEq, Eq)]
enum End {
    Complete,
    Incomplete,
    Invalid(ChunkedError),
}

fn decode(pieces: &[&[u8]]) -> (Vec<u8>, usize, End) {
    let mut decoder = ChunkedDecoder::new();
    let mut payload = Vec::new();
    let mut consumed = 0;
    for piece in pieces {
        let mut input = *piece;
        loop {
            let before = input.len();
            let result = decoder.decode(&mut input);
            consumed += before - input.len();
            match result {
                Ok(Some(Decoded::Data(data))) => {
                    assert!(!data.is_empty());
                    payload.extend_from_slice(data);
                }
                Ok(Some(Decoded::End)) => {
                    let left = input.len();
                    assert_eq!(decoder.decode(&mut input), Ok(Some(Decoded::End)));
                    assert_eq!(input.len(), left);
                    return (payload, consumed, End::Complete);
                }
                Ok(None) => {
                    assert!(input.is_empty());
                    break;
                }
                Err(error) => {
                    assert_eq!(decoder.decode(&mut input), Err(error));
                    return (payload, consumed, End::Invalid(error));
                }
            }
        }
    }
    (payload, consumed, End::Incomplete)
}

fuzz_target!(|input: &[u8]| {
    // The first bytes choose the piece sizes; the rest is the body.
    let (sizes, body) = input.split_at(input.len().min(4));
    let mut pieces = Vec::new();
    let mut rest = body;
    for i in 0.. {
        if rest.is_empty() {
            break;
        }
        let size = sizes
            .get(i % sizes.len().max(1))
            .map_or(rest.len(), |&s| usize::from(s % 32));
        if size == 0 {
            pieces.push(&[][..]); // an empty read changes nothing
        }
        let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    let whole = decode(&[body]);
    assert!(whole.0.len() <= whole.1 && whole.1 <= body.len());
    assert_eq!(decode(&pieces), whole);
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(decode(&bytes), whole);
});
