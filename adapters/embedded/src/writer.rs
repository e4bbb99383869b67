//! Writing an event stream.

use embedded_io_async::Write;
use ssewire::client::Instant;
use ssewire::encode::{Comment, EncodeError, Event};
use ssewire::http::Framing;
use ssewire::server::Stream;
pub use ssewire::server::CHUNK_OVERHEAD;

use crate::error::{write_all, SendError};

/// Writes events to a connection, encoding each one into a buffer the caller lends.
///
/// Each event or comment is encoded whole into the buffer first and then written with as many
/// writes as the connection needs; in [`Framing::Chunked`] it goes out as one chunk, chunk-size
/// line and [`CHUNK_END`](ssewire::http::CHUNK_END) included, from the same buffer, as the
/// core's [`Stream`] lays it out. So an event that does not fit (or has an invalid type or id)
/// is an [`SendError::Encode`] and nothing at all is written: never half an event. The buffer needs
/// the event's
/// [`encoded_len`](Event::encoded_len), plus [`CHUNK_OVERHEAD`] when chunked.
///
/// Writing the head that opens the stream is not its job: see [`accept`](crate::accept). When
/// the stream is over, call [`finish`](EventWriter::finish).
///
/// An I/O error in the middle of a frame leaves part of it sent: close the connection then.
#[derive(Debug)]
pub struct EventWriter<'b, W> {
    io: W,
    buf: &'b mut [u8],
    framing: Framing,
}

impl<'b, W: Write> EventWriter<'b, W> {
    /// A writer on `io`, encoding into `buf`, in the body framing announced in the response
    /// head.
    pub fn new(io: W, buf: &'b mut [u8], framing: Framing) -> Self {
        EventWriter { io, buf, framing }
    }

    /// The core's framing of the stream. No clock here: keep-alives are the caller's to time
    /// (see [`keep_alive`](EventWriter::keep_alive)).
    fn stream(&self) -> Stream {
        Stream::new(self.framing, None, Instant::from_millis(0))
    }

    /// Encodes `event` and writes it.
    ///
    /// # Errors
    ///
    /// [`SendError::Encode`] if the event has an invalid type or id, or does not fit in the buffer:
    /// nothing is written then. [`SendError::Io`] or [`SendError::WriteZero`] if the connection fails.
    pub async fn send(&mut self, event: &Event<'_>) -> Result<(), SendError<W::Error>> {
        self.frame(|buf| event.encode(buf)).await
    }

    /// Writes `text` as comment lines (one per line of `text`).
    ///
    /// # Errors
    ///
    /// As [`send`](EventWriter::send).
    pub async fn comment(&mut self, text: &str) -> Result<(), SendError<W::Error>> {
        self.frame(|buf| Comment(text).encode(buf)).await
    }

    /// Writes an empty comment, `:` and LF: a keep-alive that keeps proxies from closing an idle
    /// stream and lets the client see the connection is alive.
    ///
    /// # Errors
    ///
    /// As [`send`](EventWriter::send).
    pub async fn keep_alive(&mut self) -> Result<(), SendError<W::Error>> {
        let keep_alive = self.stream().keep_alive_bytes();
        Ok(write_all(&mut self.io, keep_alive).await?)
    }

    /// Writes bytes already encoded (one or more whole events, say from a replay buffer or
    /// shared among subscribers), as one chunk when chunked. The buffer is not used. Empty
    /// `frames` write nothing.
    ///
    /// # Errors
    ///
    /// [`SendError::Io`] or [`SendError::WriteZero`] if the connection fails.
    pub async fn send_encoded(&mut self, frames: &[u8]) -> Result<(), SendError<W::Error>> {
        if frames.is_empty() {
            return Ok(());
        }
        let (header, trailer) = self.stream().around(frames.len());
        if let Some(header) = header {
            write_all(&mut self.io, header.as_bytes()).await?;
        }
        write_all(&mut self.io, frames).await?;
        Ok(write_all(&mut self.io, trailer).await?)
    }

    /// Flushes the connection.
    ///
    /// # Errors
    ///
    /// [`SendError::Io`] if the connection fails.
    pub async fn flush(&mut self) -> Result<(), SendError<W::Error>> {
        self.io.flush().await.map_err(SendError::Io)
    }

    /// Ends the stream: writes [`LAST_CHUNK`](ssewire::http::LAST_CHUNK) when chunked, then flushes. Send nothing after
    /// it; close the connection (or, chunked, read the client's next request).
    ///
    /// # Errors
    ///
    /// [`SendError::Io`] or [`SendError::WriteZero`] if the connection fails.
    pub async fn finish(&mut self) -> Result<(), SendError<W::Error>> {
        let end = self.stream().finish();
        write_all(&mut self.io, end).await?;
        self.flush().await
    }

    /// The body framing.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The connection, to flush or close it.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.io
    }

    /// Hands back the connection.
    pub fn into_inner(self) -> W {
        self.io
    }

    /// Encodes a frame with `encode` and writes it, as a chunk when chunked.
    pub(crate) async fn frame(
        &mut self,
        encode: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
    ) -> Result<(), SendError<W::Error>> {
        let (io, frame) = self.encode(encode).map_err(SendError::Encode)?;
        Ok(write_all(io, frame).await?)
    }

    /// Encodes a frame with `encode` into the buffer, as a chunk when chunked: the connection,
    /// and the bytes to write on it. Not async, so that what `encode` borrows (a frame of a
    /// shared replay ring) is let go before anything is written.
    pub(crate) fn encode(
        &mut self,
        encode: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
    ) -> Result<(&mut W, &[u8]), EncodeError> {
        let frame = self.stream().encode(self.buf, encode)?;
        Ok((&mut self.io, frame))
    }
}
