//! Compressed streams (`Content-Encoding`): which codings the caller decodes, and the
//! [`Decode`] boundary through which a [`Session`](super::Session) hands it the body.
//!
//! The core decompresses nothing itself (no allocator, no inflate tables in the firmware): a
//! caller that can, such as `ssewire-futures` with flate2, says so in
//! [`Config::decodes`](super::Config::decodes) — the request then carries `Accept-Encoding` —
//! and passes its decoder to [`Session::poll_ready_with`](super::Session::poll_ready_with).
//! A stream in a coding the caller does not decode fails for good
//! ([`Failure::ContentEncoding`](super::Failure::ContentEncoding)).

use core::fmt;

use crate::parse::{ParseError, Parser, Ready};

/// A content coding of a response body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Coding {
    /// `gzip` (or `x-gzip`): RFC 1952.
    Gzip,
    /// `deflate`: zlib (RFC 1950) as the standard says, or raw deflate (RFC 1951) as some
    /// servers send it; the decoder tells them apart by the first bytes, as browsers do.
    Deflate,
}

impl Coding {
    /// The coding named `name` (ASCII case ignored), if it is one of these.
    #[must_use]
    pub fn from_name(name: &[u8]) -> Option<Coding> {
        if name.eq_ignore_ascii_case(b"gzip") || name.eq_ignore_ascii_case(b"x-gzip") {
            Some(Coding::Gzip)
        } else if name.eq_ignore_ascii_case(b"deflate") {
            Some(Coding::Deflate)
        } else {
            None
        }
    }
}

/// The content codings a caller decodes: the request's `Accept-Encoding`. Default: none (no
/// `Accept-Encoding` is sent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use]
pub struct Codings(u8);

const GZIP: u8 = 1;
const DEFLATE: u8 = 2;

impl Codings {
    /// None.
    pub const NONE: Codings = Codings(0);

    /// `gzip` and `deflate`.
    pub const GZIP_DEFLATE: Codings = Codings(GZIP | DEFLATE);

    /// These and `coding`.
    pub const fn with(self, coding: Coding) -> Self {
        Codings(
            self.0
                | match coding {
                    Coding::Gzip => GZIP,
                    Coding::Deflate => DEFLATE,
                },
        )
    }

    /// Whether `coding` is one of them.
    #[must_use]
    pub const fn contains(self, coding: Coding) -> bool {
        self.0 & Codings::NONE.with(coding).0 != 0
    }

    /// The `Accept-Encoding` value that asks for them; empty for none.
    #[must_use]
    pub const fn accept_encoding(self) -> &'static str {
        match self.0 {
            3 => "gzip, deflate",
            GZIP => "gzip",
            DEFLATE => "deflate",
            _ => "",
        }
    }
}

/// The compressed body of a stream was corrupt; the connection is given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecodeError;

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("compressed body is corrupt")
    }
}

impl core::error::Error for DecodeError {}

/// A decompressor between a stream's framing and its parser, for
/// [`Session::poll_ready_with`](super::Session::poll_ready_with): it takes the body's bytes
/// as they arrive and keeps what they decode to until the session takes it.
///
/// To keep memory bounded, [`decode`](Decode::decode) should take only as much input as
/// keeps its output within a bound of its own (it is called again with the rest once the
/// output was taken).
pub trait Decode {
    /// Whether this decodes anything: `false` only for [`NoDecoding`], so that a session
    /// that is never given a decoder compiles none of this in.
    const ACTIVE: bool = true;

    /// A new stream in `coding` starts: forget the last one.
    fn start(&mut self, coding: Coding);

    /// Decodes a prefix of `input` (at least one byte, unless the output is full), keeping
    /// what it decodes to; returns how many bytes of `input` it took.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] for input that is not valid in the coding.
    fn decode(&mut self, input: &[u8]) -> Result<usize, DecodeError>;

    /// The decoded bytes not taken yet.
    fn output(&self) -> &[u8];

    /// The first `n` bytes of [`output`](Decode::output) were taken.
    fn consume(&mut self, n: usize);
}

/// The decoder of a session that decodes nothing: what
/// [`Session::poll_ready`](super::Session::poll_ready) uses.
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoDecoding;

impl Decode for NoDecoding {
    const ACTIVE: bool = false;

    fn start(&mut self, _: Coding) {}

    fn decode(&mut self, _: &[u8]) -> Result<usize, DecodeError> {
        Err(DecodeError)
    }

    fn output(&self) -> &[u8] {
        &[]
    }

    fn consume(&mut self, _: usize) {}
}

/// A [`Decode`] in front of a parser: the sink a compressed body's payload goes to.
pub(crate) struct Decoding<'a, D, B> {
    pub(crate) decoder: &'a mut D,
    pub(crate) parser: &'a mut Parser<B>,
    /// The input was not valid in its coding.
    pub(crate) failed: bool,
}

impl<D: Decode, B: AsRef<[u8]> + AsMut<[u8]>> Decoding<'_, D, B> {
    /// Feeds the decoded bytes waiting to the parser: the item they complete, if any.
    pub(crate) fn drain(&mut self) -> Option<Result<Ready, ParseError>> {
        let output = self.decoder.output();
        if output.is_empty() {
            return None;
        }
        let mut rest = output;
        let ready = self.parser.feed_ready(&mut rest);
        let used = output.len() - rest.len();
        self.decoder.consume(used);
        ready
    }
}

impl<D: Decode, B: AsRef<[u8]> + AsMut<[u8]>> crate::http::Sink for Decoding<'_, D, B> {
    fn feed(&mut self, input: &mut &[u8]) -> Option<Result<Ready, ParseError>> {
        loop {
            if let Some(ready) = self.drain() {
                return Some(ready);
            }
            if input.is_empty() || self.failed {
                *input = &[];
                return None;
            }
            match self.decoder.decode(input) {
                // Nothing taken and nothing to give: bytes after the end of the compressed
                // stream, which are not the stream's.
                Ok(0) if self.decoder.output().is_empty() => *input = &[],
                Ok(used) => *input = input.get(used..).unwrap_or_default(),
                Err(DecodeError) => self.failed = true,
            }
        }
    }
}
