//! Finding line breaks, shared by the parser and the encoder.

#[cfg(target_pointer_width = "64")]
use memchr::memchr2;

/// Where the first CR or LF in `bytes` is.
///
/// Lines are mostly short: a word at a time, inline, finds their end sooner than a call into
/// memchr's vector loop, which takes over past 64 bytes. The last bytes of a shorter line are
/// looked at as the last word, overlapping the one before.
#[cfg(target_pointer_width = "64")]
#[inline]
pub(crate) fn line_end(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    while let Some(word) = bytes.get(offset..).and_then(<[u8]>::first_chunk::<8>) {
        let found = breaks(word);
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
        if offset == 64 {
            return memchr2(b'\r', b'\n', &bytes[offset..]).map(|i| offset + i);
        }
    }
    let tail = bytes.len() - offset;
    match bytes.last_chunk::<8>() {
        // The bytes before the tail were looked at already: their bits are dropped.
        Some(last) if tail > 0 => {
            let found = breaks(last) & (u64::MAX << (8 * (8 - tail)));
            (found != 0).then(|| bytes.len() - 8 + (found.trailing_zeros() / 8) as usize)
        }
        Some(_) => None,
        // Fewer than 8 bytes in all.
        None => bytes.iter().position(|&b| b == b'\r' || b == b'\n'),
    }
}

/// The high bit of each CR or LF byte of `word` (read little-endian), and maybe of bytes above
/// the first one: the lowest bit set marks the first line break.
#[cfg(target_pointer_width = "64")]
#[inline]
fn breaks(word: &[u8; 8]) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    const LF: u64 = ONES * b'\n' as u64;
    const CR: u64 = ONES * b'\r' as u64;
    let word = u64::from_le_bytes(*word);
    let (lf, cr) = (word ^ LF, word ^ CR);
    (lf.wrapping_sub(ONES) & !lf | cr.wrapping_sub(ONES) & !cr) & HIGH
}

/// Where the first CR or LF in `bytes` is.
///
/// On 32-bit targets, microcontrollers mostly, a byte at a time: a fraction of the flash of the
/// word-at-a-time search and memchr's, and still far faster than the network delivers.
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn line_end(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\r' || b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_break_at_every_position_and_length() {
        // Bytes one bit away from CR or LF, or with the high bit set, must not count.
        let fillers = [b'a', 0x0B, 0x0C, 0x0E, 0x8A, 0x8D, 0x09, 0xFF, 0x00];
        // Under Miri, which interprets slowly, the lengths around word and vector boundaries.
        let lengths =
            (0..100).filter(|len| !cfg!(miri) || [0, 1, 7, 8, 9, 63, 64, 65, 73].contains(len));
        for len in lengths {
            for filler in fillers {
                let mut bytes = std::vec![filler; len];
                assert_eq!(line_end(&bytes), None);
                for at in 0..len {
                    for brk in [b'\r', b'\n'] {
                        bytes[at] = brk;
                        if at + 3 < len {
                            bytes[at + 3] = b'\n';
                        }
                        assert_eq!(line_end(&bytes), Some(at), "{bytes:x?}");
                        bytes.fill(filler);
                    }
                }
            }
        }
    }
}
