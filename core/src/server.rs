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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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

/// The longest `Origin` a [`CorsPolicy`] lets in (real ones are far shorter): what a server
/// reserves room for in its answer.
pub const MAX_ORIGIN_LEN: usize = 256;

/// An origin of [`MAX_ORIGIN_LEN`] bytes, to size answers with.
const LONGEST_ORIGIN: &str = concat!(
    "https://xxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
);

/// Which origins a page may read streams and replies from, with CORS: the
/// `Access-Control-Allow-Origin` (and `Vary: Origin`) each answer gets, and the answer to a
/// preflight `OPTIONS` (what `fetch` sends before a request with an `Authorization` header, a
/// JSON body or another method; a browser's `EventSource` never does). Requests without an
/// `Origin` (same-origin pages, other clients) get no CORS headers.
///
/// ```
/// use ssewire::http::Cors;
/// use ssewire::server::CorsPolicy;
///
/// let policy = CorsPolicy::list(&["https://app.example"]).credentials(true);
/// let allowed = policy.allow("https://app.example");
/// assert_eq!(allowed, Some(Cors { origin: "https://app.example", credentials: true }));
/// assert_eq!(policy.allow("https://evil.example"), None);
///
/// let mut buf = [0u8; 512];
/// let len = policy.preflight(Some("https://app.example"), &mut buf)?;
/// assert!(buf[..len].starts_with(b"HTTP/1.1 204 No Content\r\n"));
/// let len = policy.preflight(Some("https://evil.example"), &mut buf)?;
/// assert!(buf[..len].starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
/// # Ok::<(), ssewire::http::WriteError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[must_use]
pub struct CorsPolicy<'a> {
    /// The origins allowed.
    pub origins: CorsOrigins<'a>,
    /// `Access-Control-Allow-Credentials: true`: pages may send cookies (an `EventSource`
    /// opened `withCredentials`). The allowed origin is then named, never `*`. Default: `false`.
    pub credentials: bool,
    /// `Access-Control-Allow-Methods` of a preflight's answer. Default: `GET, POST`.
    pub allow_methods: &'a str,
    /// `Access-Control-Allow-Headers` of a preflight's answer. Default:
    /// `Authorization, Content-Type, Last-Event-ID, Cache-Control`.
    pub allow_headers: &'a str,
    /// `Access-Control-Max-Age` of a preflight's answer, in seconds: how long a browser may
    /// keep it. Default: 600.
    pub max_age: u32,
}

/// The origins a [`CorsPolicy`] allows. Two predicates are equal when they are the same
/// function pointer (the same function may have two).
#[derive(Clone, Copy, Debug, Eq, Hash)]
pub enum CorsOrigins<'a> {
    /// Any origin.
    Any,
    /// These origins exactly (`https://app.example`, `http://localhost:5173`), ASCII case
    /// ignored.
    List(&'a [&'a str]),
    /// The origins for which this function says `true`.
    Predicate(fn(&str) -> bool),
}

impl PartialEq for CorsOrigins<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (CorsOrigins::Any, CorsOrigins::Any) => true,
            (CorsOrigins::List(a), CorsOrigins::List(b)) => a == b,
            // By address: what the derive would do, said out loud.
            (CorsOrigins::Predicate(a), CorsOrigins::Predicate(b)) => *a as usize == *b as usize,
            _ => false,
        }
    }
}

impl<'a> CorsPolicy<'a> {
    const fn with(origins: CorsOrigins<'a>) -> Self {
        CorsPolicy {
            origins,
            credentials: false,
            allow_methods: "GET, POST",
            allow_headers: "Authorization, Content-Type, Last-Event-ID, Cache-Control",
            max_age: 600,
        }
    }

    /// Any origin: `*`, or the origin named with [`credentials`](CorsPolicy::credentials).
    pub const fn any() -> Self {
        Self::with(CorsOrigins::Any)
    }

    /// These origins.
    pub const fn list(origins: &'a [&'a str]) -> Self {
        Self::with(CorsOrigins::List(origins))
    }

    /// The origins `allowed` says `true` for.
    pub const fn predicate(allowed: fn(&str) -> bool) -> Self {
        Self::with(CorsOrigins::Predicate(allowed))
    }

    /// Sets whether credentials are allowed.
    pub const fn credentials(self, credentials: bool) -> Self {
        CorsPolicy {
            credentials,
            ..self
        }
    }

    /// Sets the methods a preflight allows.
    pub const fn allow_methods(self, methods: &'a str) -> Self {
        CorsPolicy {
            allow_methods: methods,
            ..self
        }
    }

    /// Sets the request headers a preflight allows.
    pub const fn allow_headers(self, headers: &'a str) -> Self {
        CorsPolicy {
            allow_headers: headers,
            ..self
        }
    }

    /// Sets how long a preflight's answer may be kept.
    pub const fn max_age(self, seconds: u32) -> Self {
        CorsPolicy {
            max_age: seconds,
            ..self
        }
    }

    /// The CORS headers for an answer to a request from `origin`, if it is allowed (an origin
    /// longer than [`MAX_ORIGIN_LEN`], or one that cannot be sent back, never is).
    #[must_use]
    pub fn allow<'o>(&self, origin: &'o str) -> Option<Cors<'o>> {
        let sendable = Response::new()
            .cors(Cors::new(origin))
            .encoded_len()
            .is_ok();
        if origin.len() > MAX_ORIGIN_LEN || !sendable || origin == "*" {
            return None;
        }
        let allowed = match self.origins {
            CorsOrigins::Any => true,
            CorsOrigins::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
            CorsOrigins::Predicate(allowed) => allowed(origin),
        };
        let any = matches!(self.origins, CorsOrigins::Any) && !self.credentials;
        allowed.then_some(Cors {
            origin: if any { "*" } else { origin },
            credentials: self.credentials,
        })
    }

    /// The headers of an answer allowed as [`allow`](CorsPolicy::allow) says, as name and
    /// value pairs for a plain response: `Access-Control-Allow-Origin`, `Vary: Origin` unless
    /// it is `*`, `Access-Control-Allow-Credentials` with credentials. The first `n` of the
    /// array returned are set.
    #[must_use]
    pub fn headers<'o>(cors: &Cors<'o>) -> ([(&'static str, &'o str); 3], usize) {
        let mut headers = [("", ""); 3];
        headers[0] = ("Access-Control-Allow-Origin", cors.origin);
        let mut n = 1;
        if cors.origin != "*" {
            headers[n] = ("Vary", "Origin");
            n += 1;
        }
        if cors.credentials {
            headers[n] = ("Access-Control-Allow-Credentials", "true");
            n += 1;
        }
        (headers, n)
    }

    /// Writes the answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`)
    /// from `origin` into `buf`: `204` with the allowed origin, methods, headers and max age
    /// if it is allowed, `403` otherwise (also without an `Origin`). Returns its length.
    ///
    /// # Errors
    ///
    /// [`WriteError::BufferTooSmall`], or what is invalid in the policy's methods or headers.
    pub fn preflight(&self, origin: Option<&str>, buf: &mut [u8]) -> Result<usize, WriteError> {
        let Some(cors) = origin.and_then(|origin| self.allow(origin)) else {
            let forbidden = [("Vary", "Origin")];
            let response = http::PlainResponse::new(403, "", 0).headers(&forbidden);
            return response.encode(buf);
        };
        let (allowed, n) = Self::headers(&cors);
        let mut digits = [0u8; 20];
        let max_age = http::syntax::decimal(u64::from(self.max_age), &mut digits);
        let max_age = crate::utf8::text(max_age).unwrap_or("0");
        let mut headers = [("", ""); 6];
        headers[..n].copy_from_slice(&allowed[..n]);
        headers[n] = ("Access-Control-Allow-Methods", self.allow_methods);
        headers[n + 1] = ("Access-Control-Allow-Headers", self.allow_headers);
        headers[n + 2] = ("Access-Control-Max-Age", max_age);
        let headers = &headers[..n + 3];
        http::PlainResponse::new(204, "", 0)
            .headers(headers)
            .encode(buf)
    }

    /// CORS headers as long as any [`allow`](CorsPolicy::allow) gives: for sizing a
    /// [`Config`]'s answers ([`Config::cors`] with these).
    #[must_use]
    pub const fn longest(&self) -> Cors<'static> {
        Cors {
            origin: LONGEST_ORIGIN,
            credentials: true,
        }
    }
}
