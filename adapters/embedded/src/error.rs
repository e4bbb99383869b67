//! The error of every operation in this crate.

use core::fmt;

use ssewire::encode::EncodeError;
use ssewire::http::{ChunkedError, ErrorResponse, HeadError, WriteError};
use ssewire::parse::ParseError;

/// Why an operation failed: the I/O error `E` of the connection, or a protocol error.
///
/// After [`Io`](Error::Io), [`WriteZero`](Error::WriteZero), [`Chunked`](Error::Chunked) and
/// [`UnexpectedEof`](Error::UnexpectedEof) the connection is unusable: close it. After
/// [`Parse`](Error::Parse) an [`EventReader`](crate::EventReader) goes on with the next event,
/// and after [`Encode`](Error::Encode) an [`EventWriter`](crate::EventWriter) has written
/// nothing and can go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error<E> {
    /// The connection's read or write failed.
    Io(E),
    /// A write accepted no byte: the connection takes no more.
    WriteZero,
    /// The connection ended where more bytes were due: in a request head, or in a chunked
    /// body before its last chunk.
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
    /// A chunked body is malformed.
    Chunked(ChunkedError),
    /// An event is over a parser limit; it is dropped and reading goes on.
    Parse(ParseError),
    /// An event could not be encoded (invalid event type or id, or a buffer too small for
    /// it); nothing was written.
    Encode(EncodeError),
}

/// Protocol errors display as the core error they wrap; [`Error::Io`] displays as `i/o error`
/// and gives the I/O error as its [`source`](core::error::Error::source).
impl<E> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(_) => f.write_str("i/o error"),
            Error::WriteZero => f.write_str("write accepted no byte"),
            Error::UnexpectedEof => f.write_str("unexpected end of stream"),
            Error::Timeout => f.write_str("request head not received in time"),
            Error::Head(error) => error.fmt(f),
            Error::Rejected(response) => {
                write!(f, "request answered with {}", response.status())
            }
            Error::Response(error) => error.fmt(f),
            Error::Chunked(error) => error.fmt(f),
            Error::Parse(error) => error.fmt(f),
            Error::Encode(error) => error.fmt(f),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Io(error) => Some(error),
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

impl<E> From<WriteAll<E>> for Error<E> {
    fn from(error: WriteAll<E>) -> Self {
        match error {
            WriteAll::Io(error) => Error::Io(error),
            WriteAll::Zero => Error::WriteZero,
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
