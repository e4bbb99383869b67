//! UTF-8 decoding with replacement, in place, for values the parser collected as raw bytes.

use core::str;

/// The encoding of U+FFFD REPLACEMENT CHARACTER.
const REPLACEMENT: &[u8; 3] = &[0xEF, 0xBF, 0xBD];

/// `bytes` as text, if it is valid UTF-8.
///
/// On 64-bit hosts, text of [`SIMD_MIN`] bytes or more is checked by simdutf8, whose SIMD loop
/// is faster on it than `core`'s, and slower on short text.
#[cfg(target_pointer_width = "64")]
#[inline]
pub(crate) fn text(bytes: &[u8]) -> Option<&str> {
    if bytes.len() >= SIMD_MIN {
        return simdutf8::basic::from_utf8(bytes).ok();
    }
    str::from_utf8(bytes).ok()
}

/// `bytes` as text, if it is valid UTF-8.
///
/// On 32-bit targets, microcontrollers mostly, through the decoder that [`replace_invalid`]
/// needs anyway, rather than also linking `core::str::from_utf8` (368 bytes of flash on a
/// Cortex-M4).
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn text(bytes: &[u8]) -> Option<&str> {
    match bytes.utf8_chunks().next() {
        None => Some(""),
        Some(chunk) => chunk.invalid().is_empty().then(|| chunk.valid()),
    }
}

/// The length from which [`text`] uses simdutf8 (measured: from 64 bytes, small events were 8%
/// slower; from 256, they are as fast as with `core` alone, and 64 KiB events 11% faster).
#[cfg(target_pointer_width = "64")]
const SIMD_MIN: usize = 256;

/// Makes `region[..len]` valid UTF-8 by replacing each maximal invalid subpart with U+FFFD,
/// exactly as the WHATWG UTF-8 decoder (and `String::from_utf8_lossy`) does.
///
/// Works in place: the text grows by at most two bytes per invalid byte, into the rest of
/// `region`. Returns the new length, or `None` when the decoded text would not fit in `region`
/// (then `region` holds meaningless bytes). Linear time.
pub(crate) fn replace_invalid(region: &mut [u8], len: usize) -> Option<usize> {
    if text(region.get(..len)?).is_some() {
        return Some(len);
    }
    // Move the raw bytes to the end of the region, then decode forwards to its start. The text
    // only grows, so once the write position would pass the read position, it does not fit.
    let mut read = region.len() - len;
    region.copy_within(..len, read);
    let mut write = 0;
    while let Some(chunk) = region[read..].utf8_chunks().next() {
        let (valid, invalid) = (chunk.valid().len(), chunk.invalid().len());
        region.copy_within(read..read + valid, write);
        read += valid + invalid;
        write += valid;
        if invalid > 0 {
            region
                .get_mut(write..write + REPLACEMENT.len())
                .filter(|_| write + REPLACEMENT.len() <= read)?
                .copy_from_slice(REPLACEMENT);
            write += REPLACEMENT.len();
        }
    }
    Some(write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn check(raw: &[u8], room: usize) {
        let mut region = std::vec![0u8; room];
        region[..raw.len()].copy_from_slice(raw);
        let expected = String::from_utf8_lossy(raw);
        let got = replace_invalid(&mut region, raw.len());
        if expected.len() <= room {
            assert_eq!(
                got.map(|n| &region[..n]),
                Some(expected.as_bytes()),
                "{raw:x?}"
            );
        } else {
            assert_eq!(got, None, "{raw:x?}");
        }
    }

    #[test]
    fn replacement_is_u_fffd() {
        assert_eq!(REPLACEMENT, "\u{FFFD}".as_bytes());
    }

    #[test]
    fn matches_from_utf8_lossy() {
        let cases: &[&[u8]] = &[
            b"",
            b"plain",
            b"\xFF",
            b"a\xFFb",
            b"\xE2\x82",
            b"\xE2\x82\xAC\xE2",
            b"\xF0\x9F\x98",
            b"\xF0\x9F\x98\x80\xF0",
            b"\xC0\xAF",
            b"\xED\xA0\x80",
            b"\xF4\x90\x80\x80",
            b"\x80\x80\x80",
            "é\u{FFFD}ü".as_bytes(),
        ];
        for raw in cases {
            for room in raw.len()..raw.len() * 3 + 1 {
                check(raw, room);
            }
        }
    }

    #[test]
    fn every_two_byte_sequence_matches_from_utf8_lossy() {
        // Miri interprets slowly: a sample of first bytes there, all of them natively.
        let step = if cfg!(miri) { 17 } else { 1 };
        for a in (0..=255u8).step_by(step) {
            for b in [0x00, 0x41, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xE0, 0xF0, 0xFF] {
                check(&[a, b, b'x', a], 12);
            }
        }
    }
}
