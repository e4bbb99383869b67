//! Reading an event stream.

use embedded_io_async::Read;
use ssewire::http::{Body, BodyReader, Framing};
use ssewire::parse::{Item, Parser};

use crate::error::ReadError;

/// Reads an event stream from a connection into buffers the caller lends, and yields its items:
/// events, comments and `retry` values.
///
/// Two buffers: `buf` receives what the connection reads (any size from 1 byte; larger means
/// fewer reads), and the [`Parser`]'s storage holds the event being collected (its size bounds
/// an event, see [`Limits`](ssewire::parse::Limits)). Items borrow the parser's storage until
/// the next call to [`next`](EventReader::next).
///
/// The body starts at the first byte read, so read the response head first; bytes of the body
/// that came with the head can be handed over with
/// [`with_received`](EventReader::with_received).
///
/// [`next`](EventReader::next) returns `Option<Result<..>>`, as an iterator would:
///
/// - `Some(Ok(item))` for each item;
/// - `Some(Err(ReadError::Parse(_)))` for an event over a limit: it is dropped, and reading goes on;
/// - `Some(Err(_))` for any other error (I/O, a malformed chunked body, a chunked body cut
///   short: [`ReadError::UnexpectedEof`]), after which the stream is over;
/// - `None` once the stream is over: the connection was closed (close-delimited), the last
///   chunk was read (chunked), or an error was returned. A block left unterminated at the end
///   is discarded, as the standard says.
#[derive(Debug)]
pub struct EventReader<'b, R> {
    io: R,
    reader: BodyReader<&'b mut [u8]>,
}

impl<'b, R: Read> EventReader<'b, R> {
    /// A reader of a body in `framing` on `io`, reading into `buf`, collecting events in
    /// `storage` with the default limits.
    pub fn new(io: R, buf: &'b mut [u8], storage: &'b mut [u8], framing: Framing) -> Self {
        Self::with_parser(io, buf, Parser::new(storage), framing)
    }

    /// A reader with a parser set up by the caller: other limits, or a last event ID to start
    /// from ([`Parser::set_last_event_id`]).
    pub fn with_parser(
        io: R,
        buf: &'b mut [u8],
        parser: Parser<&'b mut [u8]>,
        framing: Framing,
    ) -> Self {
        let body = match framing {
            Framing::Close => Body::Close,
            Framing::Chunked => Body::Chunked,
        };
        EventReader {
            io,
            reader: BodyReader::new(parser, buf, body),
        }
    }

    /// Takes the first `len` bytes of the read buffer as received body bytes, to be read before
    /// anything else: the part of the body that arrived with the head, moved to the front of
    /// the buffer by the caller. `len` is cut to the buffer's length.
    #[must_use]
    pub fn with_received(self, len: usize) -> Self {
        EventReader {
            io: self.io,
            reader: self.reader.with_received(len),
        }
    }

    /// The next item of the stream; see [`EventReader`] for what each result means.
    ///
    /// Cancel-safe between reads: dropping the future loses no byte already received.
    pub async fn next(&mut self) -> Option<Result<Item<'_>, ReadError<R::Error>>> {
        loop {
            if let Some(ready) = self.reader.poll_ready() {
                return Some(match ready {
                    Ok(ready) => Ok(self.reader.resolve(ready)),
                    Err(error) => Err(error.into()),
                });
            }
            let window = self.reader.poll_read()?;
            match self.io.read(window).await {
                Ok(n) => self.reader.handle_received(n),
                Err(error) => {
                    self.reader.handle_io_error();
                    return Some(Err(ReadError::Io(error)));
                }
            }
        }
    }

    /// The parser: its [`last_event_id`](Parser::last_event_id), to send as `Last-Event-ID`
    /// when reconnecting.
    pub fn parser(&self) -> &Parser<&'b mut [u8]> {
        self.reader.parser()
    }

    /// Whether the stream is over: [`next`](EventReader::next) returns `None` from now on.
    pub fn is_done(&self) -> bool {
        self.reader.is_done()
    }

    /// Hands back the connection and the parser (which keeps the last event ID).
    pub fn into_inner(self) -> (R, Parser<&'b mut [u8]>) {
        (self.io, self.reader.into_inner().0)
    }
}
