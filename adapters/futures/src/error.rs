//! One error type per operation: reading a stream, writing one, following one as a client.
//! Each converts into a [`std::io::Error`] (the protocol errors as
//! [`InvalidData`](io::ErrorKind::InvalidData), with the error as its inner one), for code that
//! speaks `io::Result`.

use core::fmt;
use std::io;

use ssewire::client;
use ssewire::encode::EncodeError;
use ssewire::http::{self, ChunkedError};
use ssewire::parse::ParseError;

/// Why reading an [`EventStream`](crate::EventStream) went wrong. After
/// [`Parse`](ReadError::Parse) the stream goes on with the next event; after the others it is
/// over.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// Reading failed.
    Io(io::Error),
    /// The reader ended before the end of a chunked body.
    UnexpectedEof,
    /// The chunked framing is broken.
    Chunked(ChunkedError),
    /// An event is over a parser limit: it is dropped, and reading goes on.
    Parse(ParseError),
}

impl From<http::ReadError> for ReadError {
    fn from(error: http::ReadError) -> Self {
        match error {
            http::ReadError::Parse(error) => ReadError::Parse(error),
            http::ReadError::Body(error) => ReadError::Chunked(error),
            _ => ReadError::UnexpectedEof,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(_) => f.write_str("i/o error"),
            ReadError::UnexpectedEof => f.write_str("body cut short"),
            ReadError::Chunked(error) => error.fmt(f),
            ReadError::Parse(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(error) => Some(error),
            // The others display as the error they wrap.
            _ => None,
        }
    }
}

impl From<ReadError> for io::Error {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::Io(error) => error,
            ReadError::UnexpectedEof => io::Error::new(io::ErrorKind::UnexpectedEof, error),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// Why writing to an [`EventWriter`](crate::EventWriter) went wrong. After
/// [`Encode`](SendError::Encode) nothing was written and the sink goes on.
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError {
    /// Writing failed (a write that accepted no byte is [`io::ErrorKind::WriteZero`]).
    Io(io::Error),
    /// The event has an invalid type or id: nothing was written.
    Encode(EncodeError),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Io(_) => f.write_str("i/o error"),
            SendError::Encode(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Io(error) => Some(error),
            SendError::Encode(_) => None,
        }
    }
}

impl From<SendError> for io::Error {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Io(error) => error,
            other => io::Error::new(io::ErrorKind::InvalidInput, other),
        }
    }
}

/// What went wrong on the way for an [`EventSource`](crate::client::EventSource); none of
/// these stops it, except the core [`Session`](ClientError::Session) errors that say so.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// Opening a connection failed (refused, no route, a host that does not resolve, a
    /// scheme the connector does not speak).
    Connect(io::Error),
    /// Reading or writing the connection failed (a write of no byte is
    /// [`io::ErrorKind::WriteZero`]).
    Io(io::Error),
    /// What the core session reports: a timeout, a malformed or cut response, a redirect
    /// target that cannot be requested, an event over a limit, ...
    Session(client::Error),
    /// The TLS handshake failed: the server's certificate was refused
    /// ([`certificate`](ClientError::certificate) says why), or the peer does not speak TLS
    /// as rustls does. The source is rustls' error.
    Tls(io::Error),
    /// A proxy could not be connected to, or did not open a tunnel: a `407` (credentials
    /// wanted or refused) also stops the source for good
    /// ([`Failure::ProxyAuthentication`](ssewire::client::Failure::ProxyAuthentication)).
    Proxy(crate::client::ProxyError),
}

impl ClientError {
    /// The error of a connection attempt: [`Tls`](ClientError::Tls) if TLS failed, else
    /// [`Connect`](ClientError::Connect).
    pub(crate) fn connect(error: io::Error) -> Self {
        let error = match crate::proxy::ProxyError::take(error) {
            Ok(proxy) => return ClientError::Proxy(proxy),
            Err(error) => error,
        };
        #[cfg(feature = "tls")]
        if crate::tls::is_tls(&error) {
            return ClientError::Tls(error);
        }
        ClientError::Connect(error)
    }

    /// Why the server's certificate was refused, for a [`Tls`](ClientError::Tls) error that
    /// is about it (feature `tls`).
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn certificate(&self) -> Option<crate::client::CertificateProblem> {
        match self {
            ClientError::Tls(error) => crate::tls::CertificateProblem::of(error),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect(_) => f.write_str("connecting failed"),
            ClientError::Tls(_) => f.write_str("tls handshake failed"),
            ClientError::Io(_) => f.write_str("i/o error"),
            ClientError::Session(error) => error.fmt(f),
            ClientError::Proxy(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Connect(error) | ClientError::Io(error) => Some(error),
            // rustls' error itself.
            ClientError::Tls(error) => error
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            ClientError::Session(_) => None,
            // Displays as the proxy error it wraps.
            ClientError::Proxy(error) => std::error::Error::source(error),
        }
    }
}

impl From<ClientError> for io::Error {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Connect(error) | ClientError::Io(error) | ClientError::Tls(error) => error,
            ClientError::Proxy(crate::client::ProxyError::Connect(error)) => error,
            ClientError::Proxy(proxy) => io::Error::new(io::ErrorKind::ConnectionRefused, proxy),
            ClientError::Session(
                client::Error::ConnectTimeout
                | client::Error::ResponseTimeout
                | client::Error::ReadTimeout,
            ) => io::Error::new(io::ErrorKind::TimedOut, error),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}
