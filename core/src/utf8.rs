//! UTF-8 decoding with replacement, in place, for values the parser collected as raw bytes.

use core::str;

/// The encoding of U+FFFD REPLACEMENT CHARACTER.
const REPLACEMENT: &[u8; 3] = &[0xEF, 0xBF, 0xBD];

/// `bytes` as text, if it is valid UTF-8.
///
/// On 64-bit hosts, text of [`SIMD_MIN`] bytes or more is checked by simdutf8, whose SIMD loop
/// is faster on it than `core`'s, and slower on short text.
#[inline]
pub(crate) fn text(bytes: &[u8]) -> Option<&str> {
    #[cfg(target_pointer_width = "64")]
    if bytes.len() >= SIMD_MIN {
        return simdutf8::basic::from_utf8(bytes).ok();
    }
    str::from_utf8(bytes).ok()
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
/// (then `region` is unchanged). Linear time.
pub(crate) fn replace_invalid(region: &mut [u8], len: usize) -> Option<usize> {
    let raw = region.get(..len)?;
    if text(raw).is_some() {
        return Some(len);
    }
    let decoded = decoded_len(raw);
    if decoded > region.len() {
        return None;
    }
    // Move the raw bytes to the end of the decoded span, then decode forwards. Every input byte
    // decodes to at least one output byte, so the write position never passes the read position.
    let shift = decoded - len;
    region.copy_within(..len, shift);
    let (mut read, mut write) = (shift, 0);
    while read < decoded {
        let (valid, invalid) = match str::from_utf8(&region[read..decoded]) {
            Ok(_) => (decoded - read, 0),
            Err(e) => (
                e.valid_up_to(),
                e.error_len().unwrap_or(decoded - read - e.valid_up_to()),
            ),
        };
        region.copy_within(read..read + valid, write);
        read += valid;
        write += valid;
        if invalid > 0 {
            read += invalid;
            region[write..write + REPLACEMENT.len()].copy_from_slice(REPLACEMENT);
            write += REPLACEMENT.len();
        }
    }
    Some(write)
}

/// The length of `raw` once decoded with replacement.
fn decoded_len(mut raw: &[u8]) -> usize {
    let mut total = 0;
    loop {
        match str::from_utf8(raw) {
            Ok(_) => return total + raw.len(),
            Err(e) => {
                let valid = e.valid_up_to();
                let invalid = e.error_len().unwrap_or(raw.len() - valid);
                total += valid + REPLACEMENT.len();
                raw = &raw[valid + invalid..];
            }
        }
    }
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
            assert_eq!(&region[..raw.len()], raw, "region changed on failure");
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
