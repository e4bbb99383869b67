//! Compressed streams for the client (feature `gzip`): the core's [`Decode`] on flate2's
//! streaming decoders, which write what they decode into a buffer the session takes from.

use std::io::Write;

use flate2::write::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use ssewire::client::{Coding, Decode, DecodeError};

/// The most compressed bytes given to flate2 at once: with its 32 KiB output buffer, what one
/// call decodes to stays within a bound however well the input compresses.
const MAX_INPUT: usize = 1024;

/// A decoder for `gzip` and `deflate` streams, made for the first compressed stream of an
/// [`EventSource`](crate::EventSource) and reused after (about 75 KiB: flate2's window and
/// buffers).
#[derive(Default)]
pub(crate) struct Inflate {
    state: State,
    /// Decoded bytes, from `taken` on not yet given to the parser.
    taken: usize,
}

#[derive(Default)]
enum State {
    /// No compressed stream yet.
    #[default]
    Idle,
    Gzip(MultiGzDecoder<Vec<u8>>),
    /// `deflate` before its first two bytes, which tell zlib from raw deflate.
    Sniffing(Vec<u8>),
    Zlib(ZlibDecoder<Vec<u8>>),
    Raw(DeflateDecoder<Vec<u8>>),
}

impl Inflate {
    fn out(&self) -> &Vec<u8> {
        static EMPTY: Vec<u8> = Vec::new();
        match &self.state {
            State::Gzip(decoder) => decoder.get_ref(),
            State::Zlib(decoder) => decoder.get_ref(),
            State::Raw(decoder) => decoder.get_ref(),
            State::Idle | State::Sniffing(_) => &EMPTY,
        }
    }

    fn out_mut(&mut self) -> Option<&mut Vec<u8>> {
        match &mut self.state {
            State::Gzip(decoder) => Some(decoder.get_mut()),
            State::Zlib(decoder) => Some(decoder.get_mut()),
            State::Raw(decoder) => Some(decoder.get_mut()),
            State::Idle | State::Sniffing(_) => None,
        }
    }

    /// Writes `input` to the decoder and flushes what it decoded into the output.
    fn write(&mut self, input: &[u8]) -> std::io::Result<usize> {
        fn through(writer: &mut impl Write, input: &[u8]) -> std::io::Result<usize> {
            let n = writer.write(input)?;
            writer.flush()?;
            Ok(n)
        }
        match &mut self.state {
            State::Gzip(decoder) => through(decoder, input),
            State::Zlib(decoder) => through(decoder, input),
            State::Raw(decoder) => through(decoder, input),
            State::Idle => Err(std::io::ErrorKind::InvalidInput.into()),
            State::Sniffing(first) => {
                first.push(input[0]);
                if first.len() == 2 {
                    let first = std::mem::take(first);
                    // A zlib header: compression method 8, and a check that makes the two
                    // bytes a multiple of 31 (RFC 1950).
                    let zlib = first[0] & 0x0F == 8
                        && (u16::from(first[0]) << 8 | u16::from(first[1])) % 31 == 0;
                    self.state = if zlib {
                        State::Zlib(ZlibDecoder::new(Vec::new()))
                    } else {
                        State::Raw(DeflateDecoder::new(Vec::new()))
                    };
                    let mut written = 0;
                    while written < first.len() {
                        written += self.write(&first[written..])?;
                    }
                }
                Ok(1)
            }
        }
    }
}

impl Decode for Inflate {
    fn start(&mut self, coding: Coding) {
        self.taken = 0;
        self.state = match coding {
            Coding::Deflate => State::Sniffing(Vec::with_capacity(2)),
            // Gzip, and any coding added later that the client would not ask for.
            _ => State::Gzip(MultiGzDecoder::new(Vec::new())),
        };
    }

    fn decode(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        if input.is_empty() {
            return Ok(0);
        }
        // The output given away so far is dropped before more comes.
        let taken = std::mem::take(&mut self.taken);
        if let Some(out) = self.out_mut() {
            out.drain(..taken.min(out.len()));
        }
        let input = &input[..input.len().min(MAX_INPUT)];
        self.write(input).map_err(|_| DecodeError)
    }

    fn output(&self) -> &[u8] {
        self.out().get(self.taken..).unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        self.taken = (self.taken + n).min(self.out().len());
    }
}
