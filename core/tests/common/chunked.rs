//! The chunked decoder fed pieces of input, with its promises checked on the way. Shared by
//! the core's tests and the `chunked` fuzz target (`#[path]`-included), so it only uses std.

#![allow(dead_code)]

use ssewire::http::{ChunkedDecoder, ChunkedError, Decoded};

/// What the incremental decoder makes of some pieces of input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The body ended after `consumed` bytes.
    Complete { payload: Vec<u8>, consumed: usize },
    /// The input ran out first.
    Incomplete { payload: Vec<u8> },
    /// An error, after this payload.
    Invalid {
        payload: Vec<u8>,
        error: ChunkedError,
    },
}

/// Feeds `pieces` one after the other, checking the decoder's promises on the way.
pub(crate) fn decode_pieces(pieces: &[&[u8]]) -> Outcome {
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
                    assert!(!data.is_empty(), "empty data");
                    payload.extend_from_slice(data);
                }
                Ok(Some(Decoded::End)) => {
                    assert!(decoder.is_done());
                    // Done for good, and nothing more consumed.
                    let left = input.len();
                    assert_eq!(decoder.decode(&mut input), Ok(Some(Decoded::End)));
                    assert_eq!(input.len(), left);
                    return Outcome::Complete { payload, consumed };
                }
                Ok(None) => {
                    assert!(input.is_empty(), "need more with input left");
                    break;
                }
                Err(error) => {
                    // Sticky, consuming nothing more.
                    let left = input.len();
                    assert_eq!(decoder.decode(&mut input), Err(error));
                    assert_eq!(decoder.decode(&mut &b"0\r\n\r\n"[..]), Err(error));
                    assert_eq!(input.len(), left);
                    assert!(!decoder.is_done());
                    return Outcome::Invalid { payload, error };
                }
            }
        }
    }
    Outcome::Incomplete { payload }
}
