//! The server side without I/O: from a request's first byte to the decision ([`Handshake`]),
//! then the stream's framing and keep-alive schedule ([`Stream`]).
//!
//! A server loop reads into [`Handshake::poll_read`]'s window until
//! [`poll_request`](Handshake::poll_request) gives the head (the head is parsed again only when
//! a read brings a line end, so a head trickled a byte at a time costs linear time), routes it,
//! answers with [`open`](Handshake::open) (the `200` head of an event stream, as
//! [`Config::decide`] rules) or [`reject`](Handshake::reject), writes
//! [`poll_transmit`](Handshake::poll_transmit)'s bytes, and then, for a stream, writes events
//! framed by a [`Stream`], which also says when a keep-alive is due. A replay window answers
//! `Last-Event-ID` with a [`Cursor`](crate::replay::Cursor) held across the writes.
//!
//! ```
//! use ssewire::client::{Duration, Instant};
//! use ssewire::http::Framing;
//! use ssewire::server::{Config, Handshake};
//!
//! let config = Config::new().paths(&["/events"]).keep_alive(Some(Duration::from_secs(15)));
//! let now = Instant::from_millis(0);
//! let mut handshake = Handshake::new([0u8; 512], &config, now)?;
//!
//! let request = b"GET /events HTTP/1.1\r\nHost: sensor.local\r\nLast-Event-ID: 7\r\n\r\n";
//! let window = handshake.poll_read().unwrap();
//! window[..request.len()].copy_from_slice(request);
//! handshake.handle_received(now, request.len());
//! let head = handshake.poll_request().unwrap()?;
//! assert_eq!((head.target, head.last_event_id), ("/events", Some("7")));
//!
//! let mut stream = handshake.open(&config, now)?;
//! assert_eq!(stream.framing(), Framing::Close);
//! let answer = handshake.poll_transmit().unwrap();
//! assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"));
//! let len = answer.len();
//! handshake.handle_transmitted(len);
//! assert!(handshake.poll_transmit().is_none());
//!
//! // Nothing sent for 15 s: a keep-alive is due.
//! let later = Instant::from_millis(15_000);
//! assert_eq!(stream.poll_timeout(), Some(later));
//! assert_eq!(stream.poll_keep_alive(later), Some(&b":\n"[..]));
//! stream.handle_sent(later);
//! # Ok::<(), ssewire::server::HandshakeError>(())
//! ```

use core::fmt;

use crate::client::{Duration, Instant};
use crate::encode::EncodeError;
use crate::http::{
    self, Body, ChunkHeader, ChunkedDecoder, Cors, Decoded, ErrorResponse, Framing, HeadError,
    Header, RequestHead, Response, WriteError, CHUNK_END, EMPTY_HEADER, LAST_CHUNK,
};

/// The most header fields a request may have: the largest [`Config::max_headers`].
pub const MAX_HEADERS: usize = 64;

/// How a server answers and streams. Plain data: `const fn` constructor and setters, so it can
/// live in a `static`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[must_use]
pub struct Config<'a> {
    /// The paths served, matched exactly against the request target without its query
    /// (`/events?topic=a` matches `/events`). Empty: every path. Default: empty.
    pub paths: &'a [&'a str],
    /// The body framing of streams. An HTTP/1.0 client gets [`Framing::Close`] whatever this
    /// says. Default: [`Framing::Close`].
    pub framing: Framing,
    /// CORS headers for the `200` head. Default: none.
    pub cors: Option<Cors<'a>>,
    /// The most header fields a request may have; more is answered with `431`. Values over
    /// [`MAX_HEADERS`] count as [`MAX_HEADERS`]. Default: 32.
    pub max_headers: usize,
    /// The time a client has to send its whole head; past it the connection is dropped
    /// unanswered ([`HandshakeError::Timeout`]). Default: 10 s.
    pub head_timeout: Duration,
    /// A keep-alive comment after this long without a byte sent on a stream; `None` for
    /// never. Default: `None` (a server picks, such as 15 s).
    pub keep_alive: Option<Duration>,
}

impl Config<'static> {
    /// The defaults ([`Config::new`]), as a constant.
    pub const DEFAULT: Config<'static> = Config::new();
}

impl<'a> Config<'a> {
    /// The defaults: every path, close-delimited, no CORS, 32 header fields, 10 s for the head,
    /// no keep-alive.
    pub const fn new() -> Self {
        Config {
            paths: &[],
            framing: Framing::Close,
            cors: None,
            max_headers: 32,
            head_timeout: Duration::from_secs(10),
            keep_alive: None,
        }
    }

    /// Serves only these paths.
    pub const fn paths(self, paths: &'a [&'a str]) -> Self {
        Config { paths, ..self }
    }

    /// Sets the framing.
    pub const fn framing(self, framing: Framing) -> Self {
        Config { framing, ..self }
    }

    /// Adds CORS headers.
    pub const fn cors(self, cors: Cors<'a>) -> Self {
        Config {
            cors: Some(cors),
            ..self
        }
    }

    /// Sets the most header fields a request may have.
    pub const fn max_headers(self, max_headers: usize) -> Self {
        Config {
            max_headers,
            ..self
        }
    }

    /// Sets the time limit for the head.
    pub const fn head_timeout(self, timeout: Duration) -> Self {
        Config {
            head_timeout: timeout,
            ..self
        }
    }

    /// Sets the keep-alive interval.
    pub const fn keep_alive(self, interval: Option<Duration>) -> Self {
        Config {
            keep_alive: interval,
            ..self
        }
    }

    /// What to answer a request with (its head's `method`, `target` and minor `version`, as in
    /// [`RequestHead`]): an event stream in this framing, or an error response — `404` for a
    /// target whose path is not in [`paths`](Config::paths), `405` for a method other than
    /// `GET`. An HTTP/1.0 client is always answered close-delimited.
    ///
    /// # Errors
    ///
    /// The error response to answer with: [`ErrorResponse::NotFound`] or
    /// [`ErrorResponse::MethodNotAllowed`].
    pub fn decide(
        &self,
        method: &str,
        target: &str,
        version: u8,
    ) -> Result<Framing, ErrorResponse> {
        let route = target.split('?').next().unwrap_or_default();
        if !self.paths.is_empty() && !self.paths.contains(&route) {
            return Err(ErrorResponse::NotFound);
        }
        if method != "GET" {
            return Err(ErrorResponse::MethodNotAllowed);
        }
        Ok(if version == 0 {
            Framing::Close
        } else {
            self.framing
        })
    }

    /// The `200` head that opens a stream in `framing`.
    pub fn response(&self, framing: Framing) -> Response<'a> {
        let response = Response::new().framing(framing);
        match self.cors {
            Some(cors) => response.cors(cors),
            None => response,
        }
    }

    /// The length of the longest answer a [`Handshake`] writes: the `200` head in either
    /// framing, or an error response.
    ///
    /// # Errors
    ///
    /// The `200` head cannot be written (an invalid CORS origin).
    pub fn answer_len(&self) -> Result<usize, WriteError> {
        let close = self.response(Framing::Close).encoded_len()?;
        let chunked = self.response(Framing::Chunked).encoded_len()?;
        let error = ErrorResponse::HeadersTooLarge.encoded_len();
        let unavailable = ErrorResponse::ServiceUnavailable {
            retry_after: u64::MAX,
        }
        .encoded_len();
        Ok(close.max(chunked).max(error).max(unavailable))
    }

    /// The length of a [`Handshake`] buffer that admits request heads of up to `max_head`
    /// bytes: that, plus room for the answer ([`answer_len`](Config::answer_len)).
    ///
    /// # Errors
    ///
    /// As [`answer_len`](Config::answer_len).
    pub fn head_buffer_len(&self, max_head: usize) -> Result<usize, WriteError> {
        Ok(self.answer_len()?.saturating_add(max_head))
    }
}

impl Default for Config<'_> {
    fn default() -> Self {
        Config::new()
    }
}

/// Why a [`Handshake`] ends without a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The request head is malformed or too large; the error response it calls for
    /// ([`HeadError::response`]) is to be sent ([`poll_transmit`](Handshake::poll_transmit)).
    Head(HeadError),
    /// The request was answered with this error response (a path not served, a method other
    /// than `GET`, or what the caller rejected it with).
    Rejected(ErrorResponse),
    /// The head did not come within [`Config::head_timeout`]. Nothing is answered.
    Timeout,
    /// The client closed the connection before its head was complete. Nothing is answered.
    UnexpectedEof,
    /// The answer could not be written: an invalid CORS origin, or a buffer too small.
    Response(WriteError),
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Head(error) => error.fmt(f),
            HandshakeError::Rejected(response) => {
                write!(f, "request answered with {}", response.status())
            }
            HandshakeError::Timeout => f.write_str("request head not received in time"),
            HandshakeError::UnexpectedEof => f.write_str("connection closed before the head"),
            HandshakeError::Response(error) => error.fmt(f),
        }
    }
}

/// Each displays as the error it wraps, if any (and has no `source`: it would say the same
/// again).
impl core::error::Error for HandshakeError {}

/// Where a [`Handshake`] stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Reading the head: `filled` bytes received, the first `scanned` of them looked at for
    /// line ends.
    Reading { filled: usize, scanned: usize },
    /// A complete head of `len` bytes, not answered yet, and `filled` bytes received in all
    /// (the start of a body after it).
    Received { len: usize, filled: usize },
    /// Sending the answer, `len` bytes at the start of the answer area, `sent` so far.
    Answering { len: usize, sent: usize },
    /// Answered (or given up on).
    Done,
}

/// The server's side of one connection up to the stream, without I/O: it reads the request
/// head within a time limit, and writes the answer the caller picks. See the
/// [module docs](self) for the loop.
///
/// Its buffer `B` (`&mut [u8]` lent, or owned) holds the head, and keeps its end,
/// [`Config::answer_len`] bytes, for the answer: a head may be as long as the rest
/// ([`Config::head_buffer_len`] gives a size). 1 KiB admits the heads browsers send (a few hundred
/// bytes) with room for the answer.
#[derive(Clone, Debug)]
pub struct Handshake<B> {
    buf: B,
    /// Where the answer area starts: the most bytes a head may take.
    max_head: usize,
    max_headers: usize,
    deadline: Instant,
    phase: Phase,
    /// An error to report; the answer it calls for, if any, is in the answer area.
    error: Option<HandshakeError>,
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Handshake<B> {
    /// A handshake on a connection accepted at `now`, reading into `buf`.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::Response`]: the `200` head of `config` cannot be written (an invalid
    /// CORS origin), or `buf` leaves no room for a head after the answer area.
    pub fn new(buf: B, config: &Config<'_>, now: Instant) -> Result<Self, HandshakeError> {
        let reserve = config.answer_len().map_err(HandshakeError::Response)?;
        let max_head = buf
            .as_ref()
            .len()
            .checked_sub(reserve)
            .filter(|&n| n > 0)
            .ok_or(HandshakeError::Response(WriteError::BufferTooSmall))?;
        Ok(Handshake {
            buf,
            max_head,
            max_headers: config.max_headers.min(MAX_HEADERS),
            deadline: now + config.head_timeout,
            phase: Phase::Reading {
                filled: 0,
                scanned: 0,
            },
            error: None,
        })
    }

    /// Where to read the client's next bytes into, while the head is incomplete.
    pub fn poll_read(&mut self) -> Option<&mut [u8]> {
        let Phase::Reading { filled, .. } = self.phase else {
            return None;
        };
        let max_head = self.max_head;
        self.buf.as_mut().get_mut(filled..max_head)
    }

    /// `n` bytes were read into [`poll_read`](Handshake::poll_read)'s window; 0 if the client
    /// closed the connection.
    pub fn handle_received(&mut self, now: Instant, n: usize) {
        let Phase::Reading { filled, scanned } = self.phase else {
            return;
        };
        if n == 0 {
            self.error = Some(HandshakeError::UnexpectedEof);
            self.phase = Phase::Done;
            return;
        }
        if now >= self.deadline {
            return self.handle_timeout(now);
        }
        let filled = filled.saturating_add(n).min(self.max_head);
        self.phase = Phase::Reading { filled, scanned };
        // Parsed again only when a line end arrived (or the buffer is full, to say so): a head
        // sent a byte at a time is read in linear time.
        let received = self.buf.as_ref().get(scanned..filled).unwrap_or_default();
        if received.contains(&b'\n') || filled == self.max_head {
            self.parse(filled);
        } else {
            self.phase = Phase::Reading {
                filled,
                scanned: filled,
            };
        }
    }

    /// When the head is due: [`handle_timeout`](Handshake::handle_timeout) then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        matches!(self.phase, Phase::Reading { .. }).then_some(self.deadline)
    }

    /// Time passed: past the deadline an incomplete head is given up on
    /// ([`HandshakeError::Timeout`], nothing answered).
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Reading { .. }) && now >= self.deadline {
            self.error = Some(HandshakeError::Timeout);
            self.phase = Phase::Done;
        }
    }

    /// The request head once complete, or why there is none (then send what
    /// [`poll_transmit`](Handshake::poll_transmit) gives, if anything, and close). `None`
    /// while the head is incomplete.
    pub fn poll_request(&mut self) -> Option<Result<RequestHead<'_>, HandshakeError>> {
        if let Some(error) = self.error.take() {
            return Some(Err(error));
        }
        self.request().map(Ok)
    }

    /// The request head, once complete and until it is answered.
    pub fn request(&self) -> Option<RequestHead<'_>> {
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        self.request_fields(&mut headers)
    }

    /// The request head, as [`request`](Handshake::request), with its header fields in the
    /// front of `headers` (`head.header_count` of them; at most the configured
    /// [`max_headers`](Config::max_headers) and `headers.len()`): every field, for a router
    /// that looks at `Authorization`, `Cookie` or any other.
    pub fn request_fields<'b>(&'b self, headers: &mut [Header<'b>]) -> Option<RequestHead<'b>> {
        let Phase::Received { len, .. } = self.phase else {
            return None;
        };
        let received = self.buf.as_ref().get(..len).unwrap_or_default();
        let slots = headers.len().min(self.max_headers);
        let headers = headers.get_mut(..slots).unwrap_or_default();
        http::read_request(received, headers, self.max_head)
            .ok()
            .flatten()
    }

    /// Answers with the `200` head that opens an event stream, as [`Config::decide`] rules
    /// (or its error response), and returns the [`Stream`] that frames what follows; send
    /// [`poll_transmit`](Handshake::poll_transmit)'s bytes first.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::Rejected`] with the error response queued instead (a path not
    /// served, a method other than `GET`); [`HandshakeError::Response`] if the answer cannot
    /// be written (nothing is queued then); [`HandshakeError::Timeout`] and the others if the
    /// head was not received.
    pub fn open(&mut self, config: &Config<'_>, now: Instant) -> Result<Stream, HandshakeError> {
        let head = self.request().ok_or(HandshakeError::UnexpectedEof)?;
        match config.decide(head.method, head.target, head.version) {
            Ok(framing) => {
                self.answer(|out| config.response(framing).encode(out))?;
                Ok(Stream::new(framing, config.keep_alive, now))
            }
            Err(response) => {
                self.reject(response)?;
                Err(HandshakeError::Rejected(response))
            }
        }
    }

    /// Answers with `response` (send [`poll_transmit`](Handshake::poll_transmit)'s bytes, then
    /// close the connection).
    ///
    /// # Errors
    ///
    /// [`HandshakeError::Response`] if it does not fit; [`HandshakeError::UnexpectedEof`] if
    /// no head was received.
    pub fn reject(&mut self, response: ErrorResponse) -> Result<(), HandshakeError> {
        if self.request().is_none() {
            return Err(HandshakeError::UnexpectedEof);
        }
        self.answer(|out| response.encode(out))
    }

    /// The bytes of the answer still to send, if any.
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        let Phase::Answering { len, sent } = self.phase else {
            return None;
        };
        let answer = self.buf.as_ref().get(self.max_head..)?;
        answer.get(sent..len).filter(|bytes| !bytes.is_empty())
    }

    /// `n` bytes of [`poll_transmit`](Handshake::poll_transmit) were sent.
    pub fn handle_transmitted(&mut self, n: usize) {
        if let Phase::Answering { len, sent } = self.phase {
            let sent = sent.saturating_add(n);
            self.phase = if sent >= len {
                Phase::Done
            } else {
                Phase::Answering { len, sent }
            };
        }
    }

    /// The length of the complete head in the buffer: the request body, or the next request,
    /// starts there. `None` before the head is complete.
    pub fn head_len(&self) -> Option<usize> {
        match self.phase {
            Phase::Received { len, .. } => Some(len),
            _ => None,
        }
    }

    /// The bytes received after the complete head, until it is answered: the start of the
    /// request body (or of a next request), read with the head. Empty before the head is
    /// complete.
    pub fn after_head(&self) -> &[u8] {
        match self.phase {
            Phase::Received { len, filled } => self.buf.as_ref().get(len..filled),
            _ => None,
        }
        .unwrap_or_default()
    }

    /// Hands back the buffer.
    pub fn into_inner(self) -> B {
        self.buf
    }

    /// Parses the `filled` bytes received.
    fn parse(&mut self, filled: usize) {
        let received = self.buf.as_ref().get(..filled).unwrap_or_default();
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        let headers = headers.get_mut(..self.max_headers).unwrap_or_default();
        // RFC 9112, section 3.2: an HTTP/1.1 request without `Host` is a 400.
        let read = match http::read_request(received, headers, self.max_head) {
            Ok(Some(head)) if head.version == 1 && head.host.is_none() => Err(HeadError::Host),
            read => read,
        };
        match read {
            Ok(Some(head)) => {
                self.phase = Phase::Received {
                    len: head.len,
                    filled,
                }
            }
            Ok(None) => {
                self.phase = Phase::Reading {
                    filled,
                    scanned: filled,
                }
            }
            Err(error) => {
                self.phase = Phase::Received { len: 0, filled: 0 };
                let queued = self.answer(|out| error.response().encode(out));
                self.error = Some(queued.err().unwrap_or(HandshakeError::Head(error)));
            }
        }
    }

    /// Writes an answer with `encode` into the answer area.
    fn answer(
        &mut self,
        encode: impl FnOnce(&mut [u8]) -> Result<usize, WriteError>,
    ) -> Result<(), HandshakeError> {
        let max_head = self.max_head;
        let out = self.buf.as_mut().get_mut(max_head..).unwrap_or_default();
        match encode(out) {
            Ok(len) => {
                self.phase = Phase::Answering { len, sent: 0 };
                Ok(())
            }
            Err(error) => {
                self.phase = Phase::Done;
                Err(HandshakeError::Response(error))
            }
        }
    }
}

/// The bytes of an empty comment: a keep-alive.
const KEEP_ALIVE: &[u8] = b":\n";
/// A keep-alive as one chunk.
const KEEP_ALIVE_CHUNK: &[u8] = b"2\r\n:\n\r\n";

/// Room for the longest [`ChunkHeader`] in front of a frame.
const HEADER_ROOM: usize = 18;

/// The bytes a buffer needs besides a frame for [`Framing::Chunked`]: room for the longest
/// chunk-size line (16 hex digits and CRLF) in front and [`CHUNK_END`] after.
pub const CHUNK_OVERHEAD: usize = HEADER_ROOM + CHUNK_END.len();

/// An open event stream, without I/O: how to frame what is written (each frame, comment or
/// keep-alive as one chunk when chunked) and when a keep-alive is due.
///
/// Made by [`Handshake::open`], or with [`new`](Stream::new) when the head was answered
/// elsewhere. Call [`handle_sent`](Stream::handle_sent) after each write: the keep-alive
/// interval counts from the last byte sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    framing: Framing,
    keep_alive: Option<Duration>,
    /// When a keep-alive is due, if ever.
    due: Option<Instant>,
}

impl Stream {
    /// A stream in `framing` whose head went out at `now`, with a keep-alive after
    /// `keep_alive` of silence (`None`: never).
    #[must_use]
    pub fn new(framing: Framing, keep_alive: Option<Duration>, now: Instant) -> Self {
        Stream {
            framing,
            keep_alive,
            due: keep_alive.map(|interval| now + interval),
        }
    }

    /// The body framing.
    #[must_use]
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Encodes a frame with `encode` into `buf`, framed: as one chunk when chunked (the
    /// buffer then needs [`CHUNK_OVERHEAD`] bytes besides the frame). Returns the bytes to
    /// write, a part of `buf`.
    ///
    /// # Errors
    ///
    /// What `encode` returns, and [`EncodeError::BufferTooSmall`] if `buf` has no room for the
    /// chunk framing; nothing is to be written then.
    pub fn encode<'b>(
        &self,
        buf: &'b mut [u8],
        encode: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
    ) -> Result<&'b [u8], EncodeError> {
        match self.framing {
            Framing::Close => {
                let len = encode(buf)?;
                Ok(buf.get(..len).unwrap_or_default())
            }
            Framing::Chunked => {
                let room = buf.len().checked_sub(CHUNK_OVERHEAD);
                let room = room.ok_or(EncodeError::BufferTooSmall)?;
                let body = buf
                    .get_mut(HEADER_ROOM..HEADER_ROOM + room)
                    .unwrap_or_default();
                let len = encode(body)?;
                if len == 0 {
                    return Ok(&[]);
                }
                let header = ChunkHeader::new(len as u64);
                let header = header.as_bytes();
                let start = HEADER_ROOM - header.len();
                let end = HEADER_ROOM + len;
                if let Some(dest) = buf.get_mut(start..HEADER_ROOM) {
                    dest.copy_from_slice(header);
                }
                if let Some(dest) = buf.get_mut(end..end + CHUNK_END.len()) {
                    dest.copy_from_slice(CHUNK_END);
                }
                Ok(buf.get(start..end + CHUNK_END.len()).unwrap_or_default())
            }
        }
    }

    /// The framing around `len` bytes already encoded (whole events, from a replay ring or
    /// shared among subscribers): the chunk-size line to write before them, if any, and what
    /// to write after them. Nothing around them when close-delimited; write nothing at all
    /// for no bytes.
    #[must_use]
    pub fn around(&self, len: usize) -> (Option<ChunkHeader>, &'static [u8]) {
        match self.framing {
            Framing::Chunked if len > 0 => (Some(ChunkHeader::new(len as u64)), CHUNK_END),
            _ => (None, &[]),
        }
    }

    /// When a keep-alive is due, if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.due
    }

    /// The keep-alive to write now, framed, if one is due at `now` (then call
    /// [`handle_sent`](Stream::handle_sent) once it is written).
    #[must_use]
    pub fn poll_keep_alive(&self, now: Instant) -> Option<&'static [u8]> {
        self.due.filter(|&due| now >= due)?;
        Some(self.keep_alive_bytes())
    }

    /// A keep-alive (an empty comment), framed.
    #[must_use]
    pub fn keep_alive_bytes(&self) -> &'static [u8] {
        match self.framing {
            Framing::Close => KEEP_ALIVE,
            Framing::Chunked => KEEP_ALIVE_CHUNK,
        }
    }

    /// Bytes were sent at `now`: the next keep-alive is due an interval later.
    pub fn handle_sent(&mut self, now: Instant) {
        self.due = self.keep_alive.map(|interval| now + interval);
    }

    /// What ends the stream cleanly: [`LAST_CHUNK`] when chunked, nothing when
    /// close-delimited (close the connection).
    #[must_use]
    pub fn finish(&self) -> &'static [u8] {
        match self.framing {
            Framing::Close => &[],
            Framing::Chunked => LAST_CHUNK,
        }
    }
}

/// A request's body as its head frames it ([`RequestHead::body`]: `Content-Length` or
/// chunked), within a limit on its size: the decisions a server makes about a body, without
/// I/O. Feed it [`Handshake::after_head`] first, then what is read next.
///
/// ```
/// use ssewire::http::{Body, ErrorResponse};
/// use ssewire::server::{RequestBody, BodyPart};
///
/// let mut body = RequestBody::new(Body::Chunked, 16)?;
/// let mut input: &[u8] = b"5\r\nhello\r\n0\r\n\r\n";
/// assert_eq!(body.feed(&mut input), Ok(Some(BodyPart::Data(b"hello"))));
/// assert_eq!(body.feed(&mut input), Ok(Some(BodyPart::End)));
/// // Over the limit: 413 at once for a length, as soon as it is passed for chunks.
/// assert_eq!(RequestBody::new(Body::Length(17), 16).err(), Some(ErrorResponse::ContentTooLarge));
/// # Ok::<(), ErrorResponse>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestBody {
    framing: BodyFraming,
    /// Bytes of payload still allowed.
    room: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum BodyFraming {
    /// Bytes left.
    Length(u64),
    Chunked(ChunkedDecoder),
}

/// What [`RequestBody::feed`] got to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyPart<'a> {
    /// Payload, borrowed from the input; never empty.
    Data(&'a [u8]),
    /// The body is whole; bytes after it (a next request) are left in the input.
    End,
}

impl RequestBody {
    /// A body framed as `body` says, of at most `max` bytes.
    ///
    /// # Errors
    ///
    /// [`ErrorResponse::ContentTooLarge`] for a `Content-Length` over `max`.
    pub fn new(body: Body, max: usize) -> Result<Self, ErrorResponse> {
        let framing = match body {
            Body::Length(len) if len > max as u64 => return Err(ErrorResponse::ContentTooLarge),
            Body::Length(len) => BodyFraming::Length(len),
            Body::Chunked => BodyFraming::Chunked(ChunkedDecoder::new()),
            // Not a request's framing: no body.
            Body::Close => BodyFraming::Length(0),
        };
        Ok(RequestBody { framing, room: max })
    }

    /// Whether the body has no bytes at all (`Content-Length: 0`, or none).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.framing == BodyFraming::Length(0)
    }

    /// Takes the next part of the body from `input`, advancing it: `Ok(None)` when `input`
    /// is used up before the end.
    ///
    /// # Errors
    ///
    /// [`ErrorResponse::ContentTooLarge`] once chunks pass the limit,
    /// [`ErrorResponse::BadRequest`] for a broken chunked framing.
    pub fn feed<'a>(
        &mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<BodyPart<'a>>, ErrorResponse> {
        let data = match &mut self.framing {
            BodyFraming::Length(0) => return Ok(Some(BodyPart::End)),
            BodyFraming::Length(left) => {
                if input.is_empty() {
                    return Ok(None);
                }
                let take = usize::try_from(*left).map_or(input.len(), |l| l.min(input.len()));
                let (data, rest) = input.split_at(take);
                *left -= take as u64;
                *input = rest;
                data
            }
            BodyFraming::Chunked(decoder) => match decoder.decode(input) {
                Ok(None) => return Ok(None),
                Ok(Some(Decoded::End)) => return Ok(Some(BodyPart::End)),
                Ok(Some(Decoded::Data(data))) => data,
                Err(_) => return Err(ErrorResponse::BadRequest),
            },
        };
        self.room = self
            .room
            .checked_sub(data.len())
            .ok_or(ErrorResponse::ContentTooLarge)?;
        Ok(Some(BodyPart::Data(data)))
    }
}
