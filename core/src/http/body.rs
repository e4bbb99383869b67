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
        self.feed_into(parser, input)
    }

    /// [`feed_ready`](BodyDecoder::feed_ready) into any [`Sink`]: a parser, or a decompressor
    /// in front of one.
    pub(crate) fn feed_into<S: Sink>(&mut self, parser: &mut S, input: &mut &[u8]) -> Progress {
        loop {
            match &mut self.framing {
                Framing::Close => {
                    return parser
                        .feed(input)
                        .map_or(Progress::NeedMore, Progress::Item)
                }
                Framing::Length(0) => return Progress::End,
                Framing::Length(left) => {
                    let take = usize::try_from(*left).map_or(input.len(), |l| l.min(input.len()));
                    let mut piece = &input[..take];
                    let ready = parser.feed(&mut piece);
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
                            if let Some(ready) = parser.feed(&mut piece) {
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

/// Where the payload of a body goes: a [`Parser`], or a decompressor in front of one.
pub(crate) trait Sink {
    /// As [`Parser::feed_ready`].
    fn feed(&mut self, input: &mut &[u8]) -> Option<Result<Ready, ParseError>>;
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Sink for Parser<B> {
    fn feed(&mut self, input: &mut &[u8]) -> Option<Result<Ready, ParseError>> {
        self.feed_ready(input)
    }
}

/// Why reading a body went wrong, from [`BodyReader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReadError {
    /// The connection closed before the end of a chunked or `Content-Length` body. The
    /// stream is over.
    UnexpectedEof,
    /// The chunked framing is broken. The stream is over.
    Body(ChunkedError),
    /// An event is over a parser limit; it is dropped and reading goes on.
    Parse(ParseError),
}

impl core::fmt::Display for ReadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ReadError::UnexpectedEof => f.write_str("body cut short"),
            ReadError::Body(error) => error.fmt(f),
            ReadError::Parse(error) => error.fmt(f),
        }
    }
}

/// Each displays as the error it wraps, if any (and has no `source`: it would say the same
/// again).
impl core::error::Error for ReadError {}

/// An event-stream body read from a connection, without I/O: a read buffer `B`, the body's
/// framing ([`BodyDecoder`]) and a [`Parser`]. The caller reads into
/// [`poll_read`](BodyReader::poll_read)'s window, reports the count with
/// [`handle_received`](BodyReader::handle_received), and takes items with
/// [`poll_item`](BodyReader::poll_item) (or [`poll_ready`](BodyReader::poll_ready)) until it
/// gives `None`.
///
/// The body starts at the first byte received: read the response head first (or use it
/// server-side on a request body). Bytes of the body that came with the head can be handed
/// over with [`with_received`](BodyReader::with_received).
///
/// ```
/// use ssewire::http::{Body, BodyReader};
/// use ssewire::parse::{Item, Parser};
///
/// let (mut storage, mut buf) = ([0u8; 256], [0u8; 16]);
/// let parser = Parser::new(&mut storage[..]);
/// let mut reader = BodyReader::new(parser, &mut buf[..], Body::Chunked);
/// let mut wire: &[u8] = b"6\r\ndata: \r\n4\r\nhi\n\n\r\n0\r\n\r\n";
/// let mut events = 0;
/// while let Some(window) = reader.poll_read() {
///     let n = window.len().min(wire.len());
///     window[..n].copy_from_slice(&wire[..n]);
///     wire = &wire[n..];
///     reader.handle_received(n);
///     while let Some(item) = reader.poll_item() {
///         assert!(matches!(item, Ok(Item::Event(e)) if e.data == "hi"));
///         events += 1;
///     }
/// }
/// assert_eq!(events, 1);
/// assert!(reader.is_done()); // the last chunk
/// ```
#[derive(Clone, Debug)]
pub struct BodyReader<B> {
    parser: Parser<B>,
    buf: B,
    body: BodyDecoder,
    /// The bytes of `buf` received and not yet parsed.
    start: usize,
    end: usize,
    /// An error to report, then the stream is over.
    error: Option<ReadError>,
    done: bool,
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> BodyReader<B> {
    /// A reader of a body framed as `body` says, reading into `buf` (any size from 1 byte;
    /// larger means fewer reads), collecting events with `parser` (its storage bounds an
    /// event).
    pub fn new(parser: Parser<B>, buf: B, body: Body) -> Self {
        BodyReader {
            parser,
            buf,
            body: BodyDecoder::new(body),
            start: 0,
            end: 0,
            error: None,
            done: false,
        }
    }

    /// Takes the first `len` bytes of the read buffer as received body bytes, to be parsed
    /// before anything else: the part of the body that arrived with the head, moved to the
    /// front of the buffer by the caller. `len` is cut to the buffer's length.
    #[must_use]
    pub fn with_received(mut self, len: usize) -> Self {
        self.start = 0;
        self.end = len.min(self.buf.as_ref().len());
        self
    }

    /// Where to read the connection's next bytes into; `None` while items wait to be taken,
    /// or once the stream is over.
    pub fn poll_read(&mut self) -> Option<&mut [u8]> {
        if self.done || self.error.is_some() || self.start < self.end {
            return None;
        }
        Some(self.buf.as_mut())
    }

    /// `n` bytes were read into [`poll_read`](BodyReader::poll_read)'s window; 0 for the end
    /// of the stream (the peer closed the connection).
    pub fn handle_received(&mut self, n: usize) {
        if self.done {
            return;
        }
        if n == 0 {
            if self.body.is_delimited() {
                self.error = Some(ReadError::UnexpectedEof);
            }
            self.finish();
        } else {
            self.start = 0;
            self.end = n.min(self.buf.as_ref().len());
        }
    }

    /// Reading failed: the stream is over.
    pub fn handle_io_error(&mut self) {
        self.finish();
    }

    /// The next item of what was received, as a [`Ready`] that does not borrow the reader
    /// (see [`resolve`](BodyReader::resolve)), or an error; `None` until more is received, or
    /// once the stream is over. A [`ReadError::Parse`] drops one event and reading goes on;
    /// after any other error the stream is over.
    pub fn poll_ready(&mut self) -> Option<Result<Ready, ReadError>> {
        if let Some(error) = self.error.take() {
            return Some(Err(error));
        }
        if self.done || self.start >= self.end {
            return None;
        }
        let received = self.buf.as_ref().get(self.start..self.end);
        let mut input = received.unwrap_or_default();
        let progress = self.body.feed_ready(&mut self.parser, &mut input);
        self.start = self.end - input.len();
        match progress {
            Progress::Item(ready) => Some(ready.map_err(ReadError::Parse)),
            Progress::NeedMore => None,
            Progress::End => {
                self.finish();
                None
            }
            Progress::Malformed(error) => {
                self.finish();
                Some(Err(ReadError::Body(error)))
            }
        }
    }

    /// The item a [`Ready`] from the last [`poll_ready`](BodyReader::poll_ready) stands for.
    pub fn resolve(&self, ready: Ready) -> crate::parse::Item<'_> {
        self.parser.resolve(ready)
    }

    /// [`poll_ready`](BodyReader::poll_ready) and [`resolve`](BodyReader::resolve) in one.
    pub fn poll_item(&mut self) -> Option<Result<crate::parse::Item<'_>, ReadError>> {
        let ready = self.poll_ready()?;
        Some(ready.map(|ready| self.resolve(ready)))
    }

    /// Whether the stream is over: the connection closed (close-delimited), the body's end
    /// (its length, or the last chunk), or an error; nothing more is read or yielded.
    pub fn is_done(&self) -> bool {
        self.done && self.error.is_none()
    }

    /// The parser: its [`last_event_id`](Parser::last_event_id), to send as `Last-Event-ID`
    /// when reconnecting.
    pub fn parser(&self) -> &Parser<B> {
        &self.parser
    }

    /// Hands back the parser (which keeps the last event ID) and the read buffer.
    pub fn into_inner(self) -> (Parser<B>, B) {
        (self.parser, self.buf)
    }

    /// The stream is over: a block left unterminated is discarded.
    fn finish(&mut self) {
        self.done = true;
        self.start = 0;
        self.end = 0;
        self.parser.reset();
    }
}
