//! The chunked decoder fed arbitrary bytes: no panic, and the same outcome (payload, end or
//! error, bytes consumed) whole, in arbitrary pieces and a byte at a time.
#![no_main]

mod pieces;

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
    let (body, pieces) = pieces::pieces(input);
    let whole = decode(&[body]);
    assert!(whole.0.len() <= whole.1 && whole.1 <= body.len());
    assert_eq!(decode(&pieces), whole);
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(decode(&bytes), whole);
});
