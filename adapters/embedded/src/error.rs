//! One error type per operation: reading a stream, writing one, the server handshake (and,
//! in the `client` module, following a stream).

use core::fmt;

use ssewire::encode::EncodeError;
use ssewire::http::{self, ChunkedError, ErrorResponse, HeadError, WriteError};
use ssewire::parse::ParseError;
use ssewire::replay::PushError;

/// Why reading an event stream with an [`EventReader`](crate::EventReader) went wrong: the
/// connection's I/O error `E`, or a protocol error. After [`Parse`](ReadError::Parse) the reader
/// goes on with the next event; after the others the stream is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadError<E> {
    /// The connection's read failed.
    Io(E),
    /// The connection ended before the end of a chunked body.
    UnexpectedEof,
    /// The chunked framing is malformed.
    Chunked(ChunkedError),
    /// An event is over a parser limit; it is dropped and reading goes on.
    Parse(ParseError),
}

/// Why writing with an [`EventWriter`](crate::EventWriter) went wrong. After
/// [`Encode`](SendError::Encode) nothing was written and the writer can go on; after the others
/// part of a frame may be sent: close the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendError<E> {
    /// The connection's write or flush failed.
    Io(E),
    /// A write accepted no byte: the connection takes no more.
    WriteZero,
    /// An event could not be encoded (invalid event type or id, or a buffer too small for
    /// it); nothing was written.
    Encode(EncodeError),
}

/// Why the server handshake ([`accept`](crate::accept), [`read_request`](crate::read_request),
/// [`Incoming`](crate::Incoming)) did not open a stream. Close the connection after any of
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AcceptError<E> {
    /// The connection's read, write or flush failed.
    Io(E),
    /// A write accepted no byte.
    WriteZero,
    /// The client closed the connection before its head was complete. Nothing was answered.
    UnexpectedEof,
    /// The request head was not received within the time limit. Nothing was answered.
    Timeout,
    /// The request head could not be read; the error response it calls for
    /// ([`HeadError::response`]) has been sent.
    Head(HeadError),
    /// The request was answered with this error response (`404` for a path not served, `405`
    /// for a method other than `GET`).
    Rejected(ErrorResponse),
    /// The response head could not be written: invalid CORS origin or header, or a buffer
    /// too small.
    Response(WriteError),
}

/// Why [`record`](crate::record) recorded nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordError {
    /// The event could not be encoded: an invalid event type or id, or a buffer too small
    /// for it.
    Encode(EncodeError),
    /// The event is larger than the replay ring.
    Push(PushError),
}

/// Displays as the core error it wraps.
impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Encode(error) => error.fmt(f),
            RecordError::Push(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for RecordError {}

/// Protocol errors display as the core error they wrap (and have no
/// [`source`](core::error::Error::source): it would say the same again); `Io` displays as
/// `i/o error` and gives the I/O error as its source.
impl<E> fmt::Display for ReadError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(_) => f.write_str("i/o error"),
            ReadError::UnexpectedEof => f.write_str("unexpected end of stream"),
            ReadError::Chunked(error) => error.fmt(f),
            ReadError::Parse(error) => error.fmt(f),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for ReadError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ReadError::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl<E> From<http::ReadError> for ReadError<E> {
    fn from(error: http::ReadError) -> Self {
        match error {
            http::ReadError::Parse(error) => ReadError::Parse(error),
            http::ReadError::Body(error) => ReadError::Chunked(error),
            _ => ReadError::UnexpectedEof,
        }
    }
}

/// As [`ReadError`]'s.
impl<E> fmt::Display for SendError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Io(_) => f.write_str("i/o error"),
            SendError::WriteZero => f.write_str("write accepted no byte"),
            SendError::Encode(error) => error.fmt(f),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for SendError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            SendError::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// As [`ReadError`]'s.
impl<E> fmt::Display for AcceptError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcceptError::Io(_) => f.write_str("i/o error"),
            AcceptError::WriteZero => f.write_str("write accepted no byte"),
            AcceptError::UnexpectedEof => f.write_str("unexpected end of stream"),
            AcceptError::Timeout => f.write_str("request head not received in time"),
            AcceptError::Head(error) => error.fmt(f),
            AcceptError::Rejected(response) => {
                write!(f, "request answered with {}", response.status())
            }
            AcceptError::Response(error) => error.fmt(f),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for AcceptError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            AcceptError::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// Why [`write_all`] stopped.
#[derive(Debug)]
pub(crate) enum WriteAll<E> {
    /// The write failed.
    Io(E),
    /// A write accepted no byte.
    Zero,
}

impl<E> From<WriteAll<E>> for SendError<E> {
    fn from(error: WriteAll<E>) -> Self {
        match error {
            WriteAll::Io(error) => SendError::Io(error),
            WriteAll::Zero => SendError::WriteZero,
        }
    }
}

impl<E> From<WriteAll<E>> for AcceptError<E> {
    fn from(error: WriteAll<E>) -> Self {
        match error {
            WriteAll::Io(error) => AcceptError::Io(error),
            WriteAll::Zero => AcceptError::WriteZero,
        }
    }
}

/// Writes all of `bytes`; a write of no byte is [`WriteAll::Zero`], not a panic (as
/// `embedded_io_async::Write::write_all` would). The one write-all loop of the adapters.
pub(crate) async fn write_all<W: embedded_io_async::Write>(
    io: &mut W,
    mut bytes: &[u8],
) -> Result<(), WriteAll<W::Error>> {
    while !bytes.is_empty() {
        match io.write(bytes).await {
            Ok(0) => return Err(WriteAll::Zero),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(error) => return Err(WriteAll::Io(error)),
        }
    }
    Ok(())
}
