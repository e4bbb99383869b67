//! Character classes and small helpers from the HTTP grammar (RFC 9110, RFC 9112).

/// `tchar`: a character of a token (header names, chunk extension names, methods).
#[inline]
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#'
            | b'$'
            | b'%'
            | b'&'
            | b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~'
            | b'0'..=b'9'
            | b'a'..=b'z'
            | b'A'..=b'Z'
    )
}

/// A byte a field value may hold: HTAB, SP, visible ASCII, or obs-text (0x80 to 0xFF).
/// Everything else is a control character, CR, LF and NUL among them.
#[inline]
pub(crate) const fn is_field_char(b: u8) -> bool {
    matches!(b, b'\t' | b' '..=b'~' | 0x80..=0xFF)
}

/// A byte of `uri-host [":" port]`: unreserved, percent-encoded, sub-delims, and the colons and
/// brackets of ports and IP literals.
pub(crate) const fn is_host_char(b: u8) -> bool {
    matches!(
        b,
        b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'%'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b':'
            | b'['
            | b']'
    )
}

/// `OWS`: optional whitespace, SP or HTAB.
#[inline]
pub(crate) const fn is_ows(b: u8) -> bool {
    matches!(b, b' ' | b'\t')
}

/// A token: not empty, only `tchar`s.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// `bytes` without leading and trailing SP and HTAB.
pub(crate) fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = bytes {
        if !is_ows(*first) {
            break;
        }
        bytes = rest;
    }
    while let [rest @ .., last] = bytes {
        if !is_ows(*last) {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// The same, for text.
pub(crate) fn trim_ows_str(s: &str) -> &str {
    // Through the byte loop: `trim_matches`' searcher costs a Cortex-M4 hundreds of bytes.
    let bytes = s.as_bytes();
    let lead = bytes.iter().take_while(|&&b| is_ows(b)).count();
    s.get(lead..lead + trim_ows(bytes).len())
        .unwrap_or_default()
}

/// `n` in decimal, written into the front of `digits`.
///
/// Digit by digit from the top, by subtraction: no 64-bit division, which a 32-bit MCU does
/// in a library routine of about 1 KiB. Each power of ten is made by multiplying, not read
/// from a table (160 bytes of flash). At most 9 subtractions per digit.
pub(crate) fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut len = 0;
    for exponent in (0..20).rev() {
        let power = (0..exponent).fold(1u64, |p, _| p * 10);
        let mut digit = 0;
        while n >= power {
            n -= power;
            digit += 1;
        }
        if digit > 0 || len > 0 || exponent == 0 {
            digits[len] = b'0' + digit;
            len += 1;
        }
    }
    &digits[..len]
}

/// A non-empty run of ASCII digits as a number, or `None`; `saturate` chooses between
/// `u64::MAX` and `None` for a number too big.
pub(crate) fn digits(bytes: &[u8], saturate: bool) -> Option<u64> {
    if bytes.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
        {
            Some(n) => n,
            None if saturate => u64::MAX,
            None => return None,
        };
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(b"Last-Event-ID".iter().all(|&b| is_tchar(b)));
        for b in [b' ', b':', b'"', b'(', b'/', b'\r', b'\n', 0, 0x7F, 0x80] {
            assert!(!is_tchar(b), "{b:#x}");
        }
        for b in [b'\t', b' ', b'~', 0x80, 0xFF] {
            assert!(is_field_char(b), "{b:#x}");
        }
        for b in [0, b'\r', b'\n', 0x01, 0x1F, 0x7F] {
            assert!(!is_field_char(b), "{b:#x}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(trim_ows(b" \t a b\t "), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows_str("\t x "), "x");
        let mut buf = [0; 20];
        for (n, text) in [
            (0, &b"0"[..]),
            (7, b"7"),
            (10, b"10"),
            (1_000, b"1000"),
            (4_294_967_295, b"4294967295"),
            (4_294_967_296, b"4294967296"),
            (9_999_999_999_999_999_999, b"9999999999999999999"),
            (10_000_000_000_000_000_000, b"10000000000000000000"),
            (u64::MAX, b"18446744073709551615"),
        ] {
            assert_eq!(decimal(n, &mut buf), text);
        }
        // Around every power of ten, where a digit is added.
        let mut power = 1u64;
        loop {
            for n in [power - 1, power, power + 1] {
                assert_eq!(decimal(n, &mut buf), std::format!("{n}").as_bytes());
            }
            let Some(next) = power.checked_mul(10) else {
                break;
            };
            power = next;
        }
        assert_eq!(digits(b"120", false), Some(120));
        assert_eq!(digits(b"", false), None);
        assert_eq!(digits(b"1a", false), None);
        assert_eq!(digits(b"99999999999999999999", false), None);
        assert_eq!(digits(b"99999999999999999999", true), Some(u64::MAX));
        assert!(is_token(b"a-b") && !is_token(b"") && !is_token(b"a b"));
    }
}
