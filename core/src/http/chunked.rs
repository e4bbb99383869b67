//! The chunked transfer coding (RFC 9112, section 7.1): an incremental decoder, and the pieces
//! to write it.

use core::fmt;

use super::syntax::{is_field_char, is_ows, is_tchar};

/// The most bytes a chunk-size line may hold, extensions included, CRLF not included.
pub const MAX_CHUNK_LINE_LEN: usize = 4 * 1024;

/// The most bytes the trailer section after the last chunk may hold, the CRLF of each field
/// line included, the final CRLF not included.
pub const MAX_TRAILERS_LEN: usize = 8 * 1024;

/// The last chunk with no trailers: what ends a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// What follows the data of each chunk.
pub const CHUNK_END: &[u8] = b"\r\n";

/// Why a chunked body could not be decoded. The decoder stops at the first error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ChunkedError {
    /// A chunk-size line that does not start with a hex digit, holds a byte that cannot follow
    /// the size, or does not end with CRLF.
    MalformedSize,
    /// A chunk size over `u64::MAX`.
    SizeOverflow,
    /// A chunk extension that is not `;name`, `;name=token` or `;name="quoted string"` (a
    /// bare LF in one included).
    MalformedExtension,
    /// A chunk-size line longer than [`MAX_CHUNK_LINE_LEN`].
    LineTooLong,
    /// Chunk data not followed by CRLF.
    MissingCrlf,
    /// A trailer field line that is not `name: value` and CRLF, or a body not ended by CRLF.
    MalformedTrailer,
    /// A trailer section longer than [`MAX_TRAILERS_LEN`].
    TrailersTooLong,
}

impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChunkedError::MalformedSize => "malformed chunk size line",
            ChunkedError::SizeOverflow => "chunk size too large",
            ChunkedError::MalformedExtension => "malformed chunk extension",
            ChunkedError::LineTooLong => "chunk size line over the limit",
            ChunkedError::MissingCrlf => "chunk data not followed by crlf",
            ChunkedError::MalformedTrailer => "malformed trailer",
            ChunkedError::TrailersTooLong => "trailers over the limit",
        })
    }
}

impl core::error::Error for ChunkedError {}

/// What the decoder yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decoded<'a> {
    /// Payload bytes, borrowed from the input; never empty.
    Data(&'a [u8]),
    /// The body is complete: the last chunk, the trailers and the final CRLF have been read.
    /// Bytes after it are left in the input.
    End,
}

/// Where the decoder is in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum State {
    /// At the start of a chunk-size line: a hex digit must come.
    SizeStart,
    /// In the hex digits.
    Size,
    /// After the digits and whitespace: more whitespace, `;` or CR.
    SizeWs,
    /// After `;`: whitespace, then an extension name.
    ExtStart,
    ExtName,
    /// After an extension name and whitespace: more whitespace, `=`, `;` or CR.
    ExtNameWs,
    /// After `=`: whitespace, then a token or a quoted string.
    ExtValueStart,
    ExtToken,
    ExtQuoted,
    /// After a backslash in a quoted string.
    ExtEscape,
    /// After an extension value: whitespace, `;` or CR.
    ExtValueEnd,
    /// After the CR ending a chunk-size line.
    SizeLf,
    /// In chunk data, `remaining` bytes to go.
    Data,
    /// After chunk data: CR, then LF.
    DataCr,
    DataLf,
    /// At the start of a trailer line, or of the final CRLF.
    TrailerStart,
    TrailerName,
    TrailerValue,
    TrailerLf,
    /// After the CR of the final CRLF.
    FinalLf,
    Done,
    Failed(ChunkedError),
}

/// An incremental decoder of a chunked body, in constant memory.
///
/// Feed it the body as it arrives, split anywhere; it hands out the payload as slices of the
/// input, and never copies it. Time is linear in the input: each byte is looked at once.
///
/// - Chunk sizes are hex, upper or lower case, leading zeros allowed, up to `u64::MAX`.
/// - Chunk extensions (`;name`, `;name=token`, `;name="quoted \"string\""`, with whitespace
///   around `;` and `=`) are checked and skipped. Whitespace may follow the size before CRLF.
/// - Trailer fields after the last chunk are checked (`name: value`) and skipped.
/// - Every line ends with CRLF. A bare LF (or a CR without LF) is an error, not a line end:
///   lenient line ends in chunked framing are how one parser is made to see a different body
///   than another (request smuggling), and every sender that follows the RFC writes CRLF.
/// - A chunk-size line over [`MAX_CHUNK_LINE_LEN`] bytes and trailers over
///   [`MAX_TRAILERS_LEN`] bytes are errors, so no line is scanned without end.
///
/// Errors stop the decoder for good: [`decode`](ChunkedDecoder::decode) returns the same error
/// from then on.
///
/// ```
/// use ssewire::http::{ChunkedDecoder, Decoded};
///
/// let mut decoder = ChunkedDecoder::new();
/// let mut payload = Vec::new();
/// // Pieces of a body as reads return them: split in a size line, in data, in the final CRLF.
/// for piece in [&b"5;ext=\"a b\"\r\nhel"[..], b"lo\r\n1", b"0\r\n", b" world, ch", b"unked!\r\n0\r\n\r", b"\n"] {
///     let mut input = piece;
///     while let Some(decoded) = decoder.decode(&mut input)? {
///         match decoded {
///             Decoded::Data(data) => payload.extend_from_slice(data),
///             Decoded::End => break,
///         }
///     }
/// }
/// assert!(decoder.is_done());
/// assert_eq!(payload, b"hello world, chunked!");
/// # Ok::<(), ssewire::http::ChunkedError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChunkedDecoder {
    state: State,
    /// Chunk data left to read; the size being read in the size line.
    remaining: u64,
    /// Bytes of the current chunk-size line, or of the trailer section.
    line_len: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a body.
    #[must_use]
    pub const fn new() -> Self {
        ChunkedDecoder {
            state: State::SizeStart,
            remaining: 0,
            line_len: 0,
        }
    }

    /// Whether the whole body has been read.
    #[must_use]
    pub const fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Takes back the last `n` bytes of the payload [`decode`](ChunkedDecoder::decode) just
    /// returned, which the caller did not use and will feed again at the front of its next
    /// input. Call it only right after a [`Decoded::Data`] of at least `n` bytes.
    pub fn unread(&mut self, n: usize) {
        if n > 0 && matches!(self.state, State::Data | State::DataCr) {
            self.remaining = self.remaining.saturating_add(n as u64);
            self.state = State::Data;
        }
    }

    /// Consumes bytes from the front of `input` until there is payload to hand out or the body
    /// ends.
    ///
    /// `input` is advanced past what was consumed. `Ok(None)` means it is used up: feed the next
    /// piece. Call it in a loop, since one piece may hold many chunks. Once the body has ended,
    /// it returns [`Decoded::End`] and consumes nothing more: what follows belongs to the next
    /// message.
    ///
    /// # Errors
    ///
    /// A [`ChunkedError`] when the body is malformed; the byte at fault is consumed. The decoder
    /// then gives the same error on every call.
    pub fn decode<'a>(
        &mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<Decoded<'a>>, ChunkedError> {
        loop {
            match self.state {
                State::Done => return Ok(Some(Decoded::End)),
                State::Failed(error) => return Err(error),
                State::Data => {
                    if input.is_empty() {
                        return Ok(None);
                    }
                    let len = match usize::try_from(self.remaining) {
                        Ok(remaining) if remaining < input.len() => remaining,
                        _ => input.len(),
                    };
                    let (data, rest) = input.split_at(len);
                    *input = rest;
                    self.remaining -= len as u64;
                    if self.remaining == 0 {
                        self.state = State::DataCr;
                    }
                    return Ok(Some(Decoded::Data(data)));
                }
                _ => {
                    let Some((&byte, rest)) = input.split_first() else {
                        return Ok(None);
                    };
                    *input = rest;
                    self.state = match self.step(byte) {
                        Ok(state) => state,
                        Err(error) => State::Failed(error),
                    };
                }
            }
        }
    }

    /// The state after `byte`, outside chunk data.
    fn step(&mut self, byte: u8) -> Result<State, ChunkedError> {
        use State::*;
        const EXT: ChunkedError = ChunkedError::MalformedExtension;
        const SIZE: ChunkedError = ChunkedError::MalformedSize;
        // Bytes of the size line, up to its CR.
        if matches!(
            self.state,
            Size | SizeWs
                | ExtStart
                | ExtName
                | ExtNameWs
                | ExtValueStart
                | ExtToken
                | ExtQuoted
                | ExtEscape
                | ExtValueEnd
        ) && byte != b'\r'
        {
            self.line_len += 1;
            if self.line_len > MAX_CHUNK_LINE_LEN {
                return Err(ChunkedError::LineTooLong);
            }
        }
        // Bytes of the trailer section, CRLF of each line included.
        if matches!(self.state, TrailerName | TrailerValue | TrailerLf)
            || (self.state == TrailerStart && byte != b'\r')
        {
            self.line_len += 1;
            if self.line_len > MAX_TRAILERS_LEN {
                return Err(ChunkedError::TrailersTooLong);
            }
        }
        Ok(match (self.state, byte) {
            (SizeStart, _) => {
                let digit = hex(byte).ok_or(SIZE)?;
                self.remaining = digit;
                self.line_len = 1;
                Size
            }
            (Size, _) if hex(byte).is_some() => {
                let digit = hex(byte).unwrap_or_default();
                if self.remaining > u64::MAX >> 4 {
                    return Err(ChunkedError::SizeOverflow);
                }
                self.remaining = (self.remaining << 4) | digit;
                Size
            }
            (Size | SizeWs, b' ' | b'\t') => SizeWs,
            (Size | SizeWs | ExtNameWs | ExtToken | ExtValueEnd | ExtName, b';') => ExtStart,
            (Size | SizeWs | ExtNameWs | ExtToken | ExtValueEnd | ExtName, b'\r') => SizeLf,
            (Size | SizeWs, _) => return Err(SIZE),
            (ExtStart, _) if is_ows(byte) => ExtStart,
            (ExtStart | ExtName, _) if is_tchar(byte) => ExtName,
            (ExtName | ExtNameWs, _) if is_ows(byte) => ExtNameWs,
            (ExtName | ExtNameWs, b'=') => ExtValueStart,
            (ExtValueStart, _) if is_ows(byte) => ExtValueStart,
            (ExtValueStart, b'"') => ExtQuoted,
            (ExtValueStart | ExtToken, _) if is_tchar(byte) => ExtToken,
            (ExtToken | ExtValueEnd, _) if is_ows(byte) => ExtValueEnd,
            (ExtQuoted, b'"') => ExtValueEnd,
            (ExtQuoted, b'\\') => ExtEscape,
            (ExtQuoted | ExtEscape, _) if is_field_char(byte) => ExtQuoted,
            (
                ExtStart | ExtName | ExtNameWs | ExtValueStart | ExtToken | ExtQuoted | ExtEscape
                | ExtValueEnd,
                _,
            ) => return Err(EXT),
            (SizeLf, b'\n') => {
                self.line_len = 0;
                if self.remaining == 0 {
                    TrailerStart
                } else {
                    Data
                }
            }
            (SizeLf, _) => return Err(SIZE),
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => SizeStart,
            (DataCr | DataLf, _) => return Err(ChunkedError::MissingCrlf),
            (TrailerStart, b'\r') => FinalLf,
            (TrailerStart | TrailerName, _) if is_tchar(byte) => TrailerName,
            (TrailerName, b':') => TrailerValue,
            (TrailerValue, b'\r') => TrailerLf,
            (TrailerValue, _) if is_field_char(byte) => TrailerValue,
            (TrailerLf, b'\n') => TrailerStart,
            (FinalLf, b'\n') => Done,
            (TrailerStart | TrailerName | TrailerValue | TrailerLf | FinalLf, _) => {
                return Err(ChunkedError::MalformedTrailer)
            }
            // `decode` handles these without a step.
            (Data | Done | Failed(_), _) => self.state,
        })
    }
}

/// The value of a hex digit.
const fn hex(byte: u8) -> Option<u64> {
    match byte {
        b'0'..=b'9' => Some((byte - b'0') as u64),
        b'a'..=b'f' => Some((byte - b'a' + 10) as u64),
        b'A'..=b'F' => Some((byte - b'A' + 10) as u64),
        _ => None,
    }
}

/// The line that opens a chunk: its size in hex and CRLF. The chunk's data follows, then
/// [`CHUNK_END`].
///
/// A chunk of size 0 is the last chunk, which ends the body: to send nothing, send no chunk.
///
/// ```
/// use ssewire::http::{ChunkHeader, CHUNK_END, LAST_CHUNK};
///
/// let event = b"data: hi\n\n";
/// let mut body = Vec::new();
/// body.extend_from_slice(ChunkHeader::new(event.len() as u64).as_bytes());
/// body.extend_from_slice(event);
/// body.extend_from_slice(CHUNK_END);
/// body.extend_from_slice(LAST_CHUNK);
/// assert_eq!(body, b"a\r\ndata: hi\n\n\r\n0\r\n\r\n");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ChunkHeader {
    bytes: [u8; 18],
    start: u8,
}

impl ChunkHeader {
    /// The line opening a chunk of `size` bytes (lower-case hex, no leading zeros).
    #[must_use]
    pub const fn new(size: u64) -> Self {
        let mut bytes = [0; 18];
        bytes[16] = b'\r';
        bytes[17] = b'\n';
        let mut start = 16;
        let mut n = size;
        loop {
            start -= 1;
            bytes[start] = b"0123456789abcdef"[(n & 0xF) as usize];
            n >>= 4;
            if n == 0 {
                break;
            }
        }
        ChunkHeader {
            bytes,
            start: start as u8,
        }
    }

    /// The line's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
            .get(usize::from(self.start)..)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_headers() {
        assert_eq!(ChunkHeader::new(0).as_bytes(), b"0\r\n");
        assert_eq!(ChunkHeader::new(10).as_bytes(), b"a\r\n");
        assert_eq!(ChunkHeader::new(0x1234).as_bytes(), b"1234\r\n");
        assert_eq!(
            ChunkHeader::new(u64::MAX).as_bytes(),
            b"ffffffffffffffff\r\n"
        );
    }

    #[test]
    fn hex_digits() {
        assert_eq!(hex(b'0'), Some(0));
        assert_eq!(hex(b'F'), Some(15));
        assert_eq!(hex(b'f'), Some(15));
        assert_eq!(hex(b'g'), None);
        assert_eq!(hex(b'G'), None);
    }
}
