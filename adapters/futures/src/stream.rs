//! Reading and writing event streams over any futures-io reader or writer.

use core::pin::Pin;
use core::task::{Context, Poll};
use std::io::{self, IoSlice};

use futures_lite::{AsyncRead, AsyncWrite, AsyncWriteExt};
use ssewire::encode::Comment;
use ssewire::http::{Body, BodyReader, ChunkHeader, Framing};
use ssewire::parse::{Limits, Parser};
use ssewire::server::{Stream, CHUNK_OVERHEAD};

use crate::client::DEFAULT_LIMITS;
use crate::{Event, Item, ReadError, SendError};

/// How an [`EventStream`] reads: body framing, parser limits, read buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
#[non_exhaustive]
pub struct ReadConfig {
    /// The body framing: close-delimited (the event stream bytes themselves) or chunked.
    /// Default: [`Framing::Close`].
    pub framing: Framing,
    /// Limits for each event; the parser's storage is sized from them. Default:
    /// [`DEFAULT_LIMITS`](crate::client::DEFAULT_LIMITS) (16 MiB of data).
    pub limits: Limits,
    /// Bytes of the read buffer. Default: 8192.
    pub read_buffer: usize,
}

impl ReadConfig {
    /// The defaults.
    pub const fn new() -> Self {
        ReadConfig {
            framing: Framing::Close,
            limits: DEFAULT_LIMITS,
            read_buffer: 8192,
        }
    }

    /// Sets the framing.
    pub const fn framing(self, framing: Framing) -> Self {
        ReadConfig { framing, ..self }
    }

    /// Sets the limits.
    pub const fn limits(self, limits: Limits) -> Self {
        ReadConfig { limits, ..self }
    }

    /// Sets the bytes of the read buffer (at least 1 is used).
    pub const fn read_buffer(self, bytes: usize) -> Self {
        ReadConfig {
            read_buffer: bytes,
            ..self
        }
    }
}

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig::new()
    }
}

/// The items of a body read from any futures-io reader, as a [`Stream`](futures_lite::Stream) of
/// `Result<Item, ReadError>`: the loop that drives the core's [`BodyReader`] from
/// [`poll_next`](futures_lite::Stream::poll_next).
///
/// Items are owned: [`Item::Event`], and the comments and `retry` values in between, in the
/// order they came. An event over a limit is an `Err(ReadError::Parse(_))` and the stream goes
/// on; any other error ends it (the next poll gives `None`), as does the end of the body.
///
/// `R` is any [`AsyncRead`] + [`Unpin`]: a socket, `&mut` one (read a body, then use the
/// connection again), a reader that is not `Send`.
///
/// ```
/// use futures_lite::StreamExt;
/// use ssewire_futures::{Event, EventStream, Item};
///
/// # futures_lite::future::block_on(async {
/// let body: &[u8] = b"retry: 5000\nid: 1\nevent: greeting\ndata: hello\n\n: ping\ndata: bye\n\n";
/// let mut items = EventStream::new(body);
/// assert_eq!(items.next().await.unwrap()?, Item::Retry(5000));
/// let first = Event::new("hello").event("greeting").id("1");
/// assert_eq!(items.next().await.unwrap()?, Item::Event(first));
/// assert_eq!(items.next().await.unwrap()?, Item::Comment("ping".into()));
/// // No `id` field of its own; the last event ID is still the earlier one.
/// let second = Event::new("bye").last_event_id("1");
/// assert_eq!(items.next().await.unwrap()?, Item::Event(second));
/// assert!(items.next().await.is_none());
/// # Ok::<(), ssewire_futures::ReadError>(())
/// # }).unwrap();
/// ```
pub struct EventStream<R> {
    io: R,
    reader: BodyReader<Vec<u8>>,
}

impl<R> core::fmt::Debug for EventStream<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventStream")
            .field("ended", &self.reader.is_done())
            .finish_non_exhaustive()
    }
}

impl<R: AsyncRead + Unpin> EventStream<R> {
    /// The events of the close-delimited body `reader`, with the default [`ReadConfig`].
    pub fn new(reader: R) -> Self {
        Self::with_config(reader, ReadConfig::new())
    }

    /// The events of `reader`, read as `config` says.
    pub fn with_config(reader: R, config: ReadConfig) -> Self {
        let buf = vec![0; config.read_buffer.max(1)];
        let storage = vec![0; config.limits.storage_len()];
        let parser = Parser::with_limits(storage, config.limits);
        let body = match config.framing {
            Framing::Close => Body::Close,
            Framing::Chunked => Body::Chunked,
        };
        EventStream {
            io: reader,
            reader: BodyReader::new(parser, buf, body),
        }
    }

    /// The last event ID received: to send as `Last-Event-ID` when reconnecting.
    pub fn last_event_id(&self) -> &str {
        self.reader.parser().last_event_id()
    }

    /// Hands back the reader.
    pub fn into_inner(self) -> R {
        self.io
    }
}

impl<R: AsyncRead + Unpin> futures_lite::Stream for EventStream<R> {
    type Item = Result<Item, ReadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.reader.poll_ready() {
                Some(Ok(ready)) => {
                    let item = Item::from_parsed(this.reader.resolve(ready));
                    return Poll::Ready(Some(Ok(item)));
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error.into()))),
                None => {}
            }
            let Some(window) = this.reader.poll_read() else {
                return Poll::Ready(None);
            };
            match Pin::new(&mut this.io).poll_read(cx, window) {
                Poll::Ready(Ok(n)) => this.reader.handle_received(n),
                Poll::Ready(Err(error)) => {
                    this.reader.handle_io_error();
                    return Poll::Ready(Some(Err(ReadError::Io(error))));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Writes events to any futures-io writer, in a body framing, each one flushed as soon as it
/// is written (events are for now, not for later).
///
/// Each event or comment is framed by the core's [`Stream`] (one chunk when chunked) in a
/// buffer that grows to the largest frame written, and goes out in one write. Writing the head
/// that opens the stream is not its job.
///
/// ```
/// use ssewire_futures::{Event, EventWriter};
/// use ssewire_futures::http::Framing;
///
/// # futures_lite::future::block_on(async {
/// let mut sink = EventWriter::new(Vec::new(), Framing::Close);
/// sink.send(&Event::new("21.5").event("temperature").id("7")).await?;
/// sink.keep_alive().await?;
/// assert_eq!(sink.get_ref(), b"event: temperature\nid: 7\ndata: 21.5\n\n:\n");
/// # Ok::<(), ssewire_futures::SendError>(())
/// # }).unwrap();
/// ```
pub struct EventWriter<W> {
    io: W,
    buf: Vec<u8>,
    stream: Stream,
}

impl<W: core::fmt::Debug> core::fmt::Debug for EventWriter<W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventWriter")
            .field("io", &self.io)
            .field("framing", &self.stream.framing())
            .finish_non_exhaustive()
    }
}

impl<W: AsyncWrite + Unpin> EventWriter<W> {
    /// A sink writing to `io` in `framing`.
    pub fn new(io: W, framing: Framing) -> Self {
        EventWriter {
            io,
            buf: Vec::new(),
            // Keep-alives are the caller's to time here.
            stream: Stream::new(framing, None, ssewire::client::Instant::from_millis(0)),
        }
    }

    /// Encodes `event`, writes it and flushes.
    ///
    /// # Errors
    ///
    /// [`SendError::Encode`] for an invalid event type or ID: nothing is written then.
    /// [`SendError::Io`] if the writer fails.
    pub async fn send(&mut self, event: &Event) -> Result<(), SendError> {
        let event = event.to_encode();
        self.reserve(event.encoded_len().map_err(SendError::Encode)?);
        let frame = self.stream.encode(&mut self.buf, |buf| event.encode(buf));
        let frame = frame.map_err(SendError::Encode)?;
        write(&mut self.io, &[frame]).await
    }

    /// Writes `text` as comment lines and flushes.
    ///
    /// # Errors
    ///
    /// [`SendError::Io`] if the writer fails.
    pub async fn comment(&mut self, text: &str) -> Result<(), SendError> {
        self.reserve(Comment(text).encoded_len());
        let frame = self
            .stream
            .encode(&mut self.buf, |buf| Comment(text).encode(buf));
        let frame = frame.map_err(SendError::Encode)?;
        write(&mut self.io, &[frame]).await
    }

    /// Writes a keep-alive (an empty comment) and flushes.
    ///
    /// # Errors
    ///
    /// [`SendError::Io`] if the writer fails.
    pub async fn keep_alive(&mut self) -> Result<(), SendError> {
        let keep_alive = self.stream.keep_alive_bytes();
        write(&mut self.io, &[keep_alive]).await
    }

    /// Writes bytes already encoded (whole events) and flushes; nothing for none.
    ///
    /// # Errors
    ///
    /// [`SendError::Io`] if the writer fails.
    pub async fn send_encoded(&mut self, frames: &[u8]) -> Result<(), SendError> {
        if frames.is_empty() {
            return Ok(());
        }
        let (header, trailer) = self.stream.around(frames.len());
        let header = header.as_ref().map_or(&[][..], ChunkHeader::as_bytes);
        write(&mut self.io, &[header, frames, trailer]).await
    }

    /// Ends the stream (the last chunk, when chunked) and flushes.
    ///
    /// # Errors
    ///
    /// [`SendError::Io`] if the writer fails.
    pub async fn finish(&mut self) -> Result<(), SendError> {
        let end = self.stream.finish();
        write(&mut self.io, &[end]).await
    }

    /// The writer.
    pub fn get_ref(&self) -> &W {
        &self.io
    }

    /// The writer, to close it.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.io
    }

    /// Hands back the writer.
    pub fn into_inner(self) -> W {
        self.io
    }

    /// Makes the buffer hold a frame of `len` bytes in the framing.
    fn reserve(&mut self, len: usize) {
        let needed = len.saturating_add(CHUNK_OVERHEAD);
        if self.buf.len() < needed {
            self.buf.resize(needed, 0);
        }
    }
}

/// Writes `pieces` in order, as one vectored write where the writer takes it whole (a chunk
/// header, a shared frame and its CRLF: one `writev` on a socket, no copy), and flushes.
pub(crate) async fn write<W: AsyncWrite + Unpin>(
    io: &mut W,
    pieces: &[&[u8]],
) -> Result<(), SendError> {
    const AT_ONCE: usize = 4;
    let mut slices = [IoSlice::new(&[]); AT_ONCE];
    for (slice, piece) in slices.iter_mut().zip(pieces) {
        *slice = IoSlice::new(piece);
    }
    let mut rest = &mut slices[..pieces.len().min(AT_ONCE)];
    // Past the empty pieces at the front.
    IoSlice::advance_slices(&mut rest, 0);
    while !rest.is_empty() {
        let n = io.write_vectored(rest).await.map_err(SendError::Io)?;
        if n == 0 {
            return Err(SendError::Io(io::ErrorKind::WriteZero.into()));
        }
        IoSlice::advance_slices(&mut rest, n);
    }
    for piece in pieces.iter().skip(AT_ONCE) {
        io.write_all(piece).await.map_err(SendError::Io)?;
    }
    io.flush().await.map_err(SendError::Io)
}
