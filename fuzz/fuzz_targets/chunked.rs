//! The chunked decoder fed arbitrary bytes: no panic, and the same outcome (payload, end or
//! error, bytes consumed at the end) whole, in arbitrary pieces and a byte at a time.
#![no_main]

#[path = "../../core/tests/common/chunked.rs"]
mod chunked;
mod pieces;

use chunked::{decode_pieces, Outcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let (body, pieces) = pieces::pieces(input);
    let whole = decode_pieces(&[body]);
    match &whole {
        Outcome::Complete { payload, consumed } => {
            assert!(payload.len() <= *consumed && *consumed <= body.len())
        }
        Outcome::Incomplete { payload } | Outcome::Invalid { payload, .. } => {
            assert!(payload.len() <= body.len())
        }
    }
    assert_eq!(decode_pieces(&pieces), whole);
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(decode_pieces(&bytes), whole);
});
