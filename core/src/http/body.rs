//! An event-stream body through its framing into a parser.

use super::{Body, ChunkedDecoder, ChunkedError, Decoded};
use crate::parse::{ParseError, Parser, Ready};

/// Reads an event-stream body as its [`Body`] framing says — until the connection closes,
/// `Content-Length` bytes, or chunked — and feeds the payload to a [`Parser`].
///
/// Any split of the input works; an item completed in the middle of a chunk leaves the rest of
/// the input for the next call. Bytes after the end of the body are not consumed.
///
/// ```
/// use ssewire::http::{Body, BodyDecoder, Progress};
/// use ssewire::parse::{Item, Parser};
///
/// let mut parser = Parser::new([0u8; 256]);
/// let mut decoder = BodyDecoder::new(Body::Chunked);
/// let mut input: &[u8] = b"6\r\ndata: \r\n4\r\nhi\n\n\r\n0\r\n\r\n";
/// let Progress::Item(Ok(ready)) = decoder.feed_ready(&mut parser, &mut input) else { panic!() };
/// assert!(matches!(parser.resolve(ready), Item::Event(e) if e.data == "hi"));
/// assert_eq!(decoder.feed_ready(&mut parser, &mut input), Progress::End);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyDecoder {
    framing: Framing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Framing {
    Close,
    /// Bytes left.
    Length(u64),
    Chunked(ChunkedDecoder),
}

/// What [`BodyDecoder::feed_ready`] got to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// An item, or an event over a limit, from the parser ([`Parser::feed_ready`]).
    Item(Result<Ready, ParseError>),
    /// The input is used up: read more.
    NeedMore,
    /// The body is over (its length, or the last chunk): the stream ended cleanly.
    End,
    /// The chunked framing is broken: drop the connection.
    Malformed(ChunkedError),
}

impl BodyDecoder {
    /// A decoder at the start of a body framed as `body` says.
    #[must_use]
    pub const fn new(body: Body) -> Self {
        BodyDecoder {
            framing: match body {
                Body::Close => Framing::Close,
                Body::Length(len) => Framing::Length(len),
                Body::Chunked => Framing::Chunked(ChunkedDecoder::new()),
            },
        }
    }

    /// Whether the body marks its own end, so that the connection closing before it is a
    /// truncation rather than the end of the stream.
    #[must_use]
    pub const fn is_delimited(&self) -> bool {
        !matches!(self.framing, Framing::Close)
    }

    /// Feeds `input` through the framing into `parser` until an item is complete, the input is
    /// used up, or the body ends; `input` is advanced past what was consumed.
    pub fn feed_ready<B: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        parser: &mut Parser<B>,
        input: &mut &[u8],
    ) -> Progress {
        loop {
            match &mut self.framing {
                Framing::Close => {
                    return parser
                        .feed_ready(input)
                        .map_or(Progress::NeedMore, Progress::Item)
                }
                Framing::Length(0) => return Progress::End,
                Framing::Length(left) => {
                    let take = usize::try_from(*left).map_or(input.len(), |l| l.min(input.len()));
                    let mut piece = &input[..take];
                    let ready = parser.feed_ready(&mut piece);
                    let used = take - piece.len();
                    *left -= used as u64;
                    *input = &input[used..];
                    match ready {
                        Some(ready) => return Progress::Item(ready),
                        None if *left > 0 => return Progress::NeedMore,
                        None => {}
                    }
                }
                Framing::Chunked(decoder) => {
                    let whole = *input;
                    match decoder.decode(input) {
                        Ok(None) => return Progress::NeedMore,
                        Ok(Some(Decoded::End)) => return Progress::End,
                        Err(error) => return Progress::Malformed(error),
                        Ok(Some(Decoded::Data(data))) => {
                            let mut piece = data;
                            if let Some(ready) = parser.feed_ready(&mut piece) {
                                // Hand the unused payload back, to be fed again next call.
                                decoder.unread(piece.len());
                                *input = &whole[whole.len() - input.len() - piece.len()..];
                                return Progress::Item(ready);
                            }
                        }
                    }
                }
            }
        }
    }
}
