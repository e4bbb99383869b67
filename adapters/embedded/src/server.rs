//! The server handshake: reading a request head and answering it.

use core::ops::Range;

use embassy_futures::select::{select, Either};
use embedded_io_async::{Read, Write};
use ssewire::http::{self, Cors, ErrorResponse, Framing, Response, EMPTY_HEADER};

use crate::error::{write_all, Error};

/// A way to wait, supplied by the runtime (such as `embassy_time::Timer::after_millis`).
///
/// Futures on embedded executors are polled on one thread, so the returned future is not
/// required to be `Send`.
#[allow(async_fn_in_trait)]
pub trait Delay {
    /// Completes after `ms` milliseconds.
    async fn delay_ms(&mut self, ms: u32);
}

impl<T: Delay + ?Sized> Delay for &mut T {
    async fn delay_ms(&mut self, ms: u32) {
        T::delay_ms(self, ms).await;
    }
}

/// A [`Delay`] that never completes: no time limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NoDelay;

impl Delay for NoDelay {
    async fn delay_ms(&mut self, _ms: u32) {
        core::future::pending::<()>().await;
    }
}

/// How [`accept`] answers requests. Plain data: `const fn` constructor and setters, so it can
/// live in a `static`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Config<'a> {
    /// The paths served, matched exactly against the request target without its query
    /// (`/events?topic=a` matches `/events`). Empty: every path.
    pub paths: &'a [&'a str],
    /// The body framing of the stream. An HTTP/1.0 client gets [`Framing::Close`] whatever
    /// this says. Default: [`Framing::Close`].
    pub framing: Framing,
    /// CORS headers for the `200` head. Default: none.
    pub cors: Option<Cors<'a>>,
    /// The most header fields a request may have; more is answered with `431`. At most
    /// [`MAX_HEADERS`]. Default: 32.
    pub max_headers: usize,
    /// The time the client has to send its whole head, in milliseconds; past it the
    /// connection is dropped unanswered ([`Error::Timeout`]). Default: 10 000.
    pub head_timeout_ms: u32,
}

/// The largest [`Config::max_headers`].
pub const MAX_HEADERS: usize = 64;

impl Config<'static> {
    /// The defaults: every path, close-delimited, no CORS, 32 header fields, 10 s for the head.
    pub const DEFAULT: Config<'static> = Config {
        paths: &[],
        framing: Framing::Close,
        cors: None,
        max_headers: 32,
        head_timeout_ms: 10_000,
    };
}

impl<'a> Config<'a> {
    /// The defaults ([`Config::DEFAULT`]).
    pub const fn new() -> Self {
        Config {
            paths: &[],
            framing: Framing::Close,
            cors: None,
            max_headers: 32,
            head_timeout_ms: 10_000,
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

    /// Sets the time limit for the head, in milliseconds.
    pub const fn head_timeout_ms(self, ms: u32) -> Self {
        Config {
            head_timeout_ms: ms,
            ..self
        }
    }

    /// The length of a head buffer for [`accept`] or [`read_request`] that admits request
    /// heads of up to `max_head` bytes: that, plus room for the `200` head written back.
    ///
    /// # Errors
    ///
    /// [`WriteError`](http::WriteError) if the `200` head cannot be written (an invalid CORS
    /// origin).
    pub fn head_buffer_len(&self, max_head: usize) -> Result<usize, http::WriteError> {
        Ok(self.response_len()?.saturating_add(max_head))
    }

    /// The length of the longest `200` head written back: with chunked framing, which an
    /// HTTP/1.0 client does not get, it is a few bytes longer than close-delimited.
    fn response_len(&self) -> Result<usize, http::WriteError> {
        let close = self.response(Framing::Close).encoded_len()?;
        let chunked = self.response(Framing::Chunked).encoded_len()?;
        Ok(close.max(chunked))
    }

    fn response(&self, framing: Framing) -> Response<'a> {
        let response = Response::new().framing(framing);
        match self.cors {
            Some(cors) => response.cors(cors),
            None => response,
        }
    }
}

impl Default for Config<'_> {
    fn default() -> Self {
        Config::new()
    }
}

/// A request accepted by [`accept`] or [`Incoming::open`]: the `200` head has been written,
/// and the event stream follows. Borrows the head buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Accepted<'h> {
    /// The request target, query included, such as `/events?topic=a`.
    pub path: &'h str,
    /// The `Last-Event-ID` the client sent (absent or empty: `None`): resume after this event.
    pub last_event_id: Option<&'h str>,
    /// The framing written in the head: write the stream in it
    /// ([`EventWriter::new`](crate::EventWriter::new)).
    pub framing: Framing,
}

/// A request head read by [`read_request`] and not answered yet: look at it, then
/// [`open`](Incoming::open) an event stream, [`reject`](Incoming::reject) it, or write another
/// response yourself. Borrows the head buffer: the head, and the room left for the answer.
#[derive(Debug)]
#[non_exhaustive]
pub struct Incoming<'h> {
    /// The method, such as `GET`.
    pub method: &'h str,
    /// The request target, query included, such as `/events?topic=a`.
    pub path: &'h str,
    /// The minor HTTP version: `1` for HTTP/1.1, `0` for HTTP/1.0.
    pub version: u8,
    /// The `Last-Event-ID` the client sent (absent or empty: `None`).
    pub last_event_id: Option<&'h str>,
    /// The part of the head buffer after the head, where the answer is encoded.
    out: &'h mut [u8],
}

impl<'h> Incoming<'h> {
    /// The path without its query: `/events` for `/events?topic=a`.
    #[must_use]
    pub fn route(&self) -> &'h str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// Answers with the `200` head that opens an event stream (in `config`'s framing and
    /// CORS; always close-delimited for an HTTP/1.0 client), written and flushed, if the
    /// method is `GET`.
    ///
    /// # Errors
    ///
    /// - [`Error::Rejected`]: a method other than `GET` (`405` sent);
    /// - [`Error::Response`]: the `200` head cannot be written (an invalid CORS origin, or
    ///   too little room after the head in the buffer); nothing was sent;
    /// - [`Error::Io`], [`Error::WriteZero`]: the connection failed.
    pub async fn open<S: Write>(
        self,
        socket: &mut S,
        config: &Config<'_>,
    ) -> Result<Accepted<'h>, Error<S::Error>> {
        if self.method != "GET" {
            let response = ErrorResponse::MethodNotAllowed;
            return Err(reject(socket, self.out, response, Error::Rejected(response)).await);
        }
        let framing = if self.version == 0 {
            Framing::Close
        } else {
            config.framing
        };
        let len = config
            .response(framing)
            .encode(self.out)
            .map_err(Error::Response)?;
        write_all(socket, &self.out[..len]).await?;
        socket.flush().await.map_err(Error::Io)?;
        Ok(Accepted {
            path: self.path,
            last_event_id: self.last_event_id,
            framing,
        })
    }

    /// Answers with `response`, written and flushed: close the connection then.
    ///
    /// # Errors
    ///
    /// [`Error::Io`], [`Error::WriteZero`]: the connection failed; [`Error::Response`]: too
    /// little room after the head in the buffer.
    pub async fn reject<S: Write>(
        self,
        socket: &mut S,
        response: ErrorResponse,
    ) -> Result<(), Error<S::Error>> {
        match reject(socket, self.out, response, Error::Rejected(response)).await {
            Error::Rejected(_) => Ok(()),
            error => Err(error),
        }
    }
}

/// What was read from a complete head, as ranges of the head buffer.
struct Head {
    len: usize,
    method: Range<usize>,
    version: u8,
    path: Range<usize>,
    last_event_id: Option<Range<usize>>,
}

/// Reads a request head from `socket` and answers it; on success the `200` head that opens an
/// event stream has been written and flushed. [`read_request`], then a check of the path
/// against [`Config::paths`], then [`Incoming::open`].
///
/// `head_buf` receives the head. Its end is kept for the `200` head written back, so a request
/// head may be as long as `head_buf` less that; 1 KiB of buffer is plenty for browsers'
/// requests (a few hundred bytes) without CORS. The head is read as it arrives (any split) and
/// must come within [`Config::head_timeout_ms`], timed with `delay`.
///
/// # Errors
///
/// Each error response written is flushed; close the connection after any error.
///
/// - [`Error::Head`]: a malformed head (`400` sent) or one too large (`431` sent);
/// - [`Error::Rejected`]: a path not served (`404` sent) or a method other than `GET` (`405`
///   sent);
/// - [`Error::Timeout`]: the head did not come in time; [`Error::UnexpectedEof`]: the client
///   closed the connection first; nothing was sent then;
/// - [`Error::Response`]: the `200` head cannot be written (an invalid CORS origin, or
///   `head_buf` too small for it); nothing was read or sent;
/// - [`Error::Io`], [`Error::WriteZero`]: the connection failed.
pub async fn accept<'h, S, D>(
    socket: &mut S,
    head_buf: &'h mut [u8],
    config: &Config<'_>,
    delay: D,
) -> Result<Accepted<'h>, Error<S::Error>>
where
    S: Read + Write,
    D: Delay,
{
    let incoming = read_request(socket, head_buf, config, delay).await?;
    let route = incoming.route();
    if !config.paths.is_empty() && !config.paths.contains(&route) {
        let response = ErrorResponse::NotFound;
        return Err(reject(socket, incoming.out, response, Error::Rejected(response)).await);
    }
    incoming.open(socket, config).await
}

/// Reads a request head from `socket`, within [`Config::head_timeout_ms`] timed with `delay`,
/// and answers it only if it is bad. [`accept`] without the routing: for servers that serve
/// more than event streams.
///
/// `head_buf` receives the head; its end is kept for the `200` head of
/// [`Incoming::open`], as for [`accept`].
///
/// # Errors
///
/// - [`Error::Head`]: a malformed head (`400` sent) or one too large (`431` sent);
/// - [`Error::Timeout`], [`Error::UnexpectedEof`]: no complete head; nothing was sent;
/// - [`Error::Response`]: `head_buf` is too small for the `200` head of `config` (or its CORS
///   origin is invalid); nothing was read;
/// - [`Error::Io`], [`Error::WriteZero`]: the connection failed.
pub async fn read_request<'h, S, D>(
    socket: &mut S,
    head_buf: &'h mut [u8],
    config: &Config<'_>,
    mut delay: D,
) -> Result<Incoming<'h>, Error<S::Error>>
where
    S: Read + Write,
    D: Delay,
{
    let reserve = config.response_len().map_err(Error::Response)?;
    let Some(max_len) = head_buf.len().checked_sub(reserve).filter(|&n| n > 0) else {
        return Err(Error::Response(http::WriteError::BufferTooSmall));
    };
    let max_headers = config.max_headers.min(MAX_HEADERS);
    let read = read_head(socket, &mut head_buf[..max_len], max_headers);
    let head = match select(read, delay.delay_ms(config.head_timeout_ms)).await {
        Either::First(head) => head,
        Either::Second(()) => return Err(Error::Timeout),
    };
    let head = match head {
        Ok(head) => head,
        Err(Error::Head(error)) => {
            return Err(reject(socket, head_buf, error.response(), Error::Head(error)).await);
        }
        Err(error) => return Err(error),
    };
    let (received, out) = head_buf.split_at_mut(head.len);
    let received: &'h [u8] = received;
    let text = |range: Range<usize>| {
        let bytes = received.get(range).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    };
    Ok(Incoming {
        method: text(head.method),
        path: text(head.path),
        version: head.version,
        last_event_id: head.last_event_id.map(text),
        out,
    })
}

/// Reads until the head in `buf` is complete, and reads it.
async fn read_head<S: Read>(
    socket: &mut S,
    buf: &mut [u8],
    max_headers: usize,
) -> Result<Head, Error<S::Error>> {
    let mut filled = 0;
    loop {
        let window = buf.get_mut(filled..).unwrap_or_default();
        match socket.read(window).await {
            Ok(0) => return Err(Error::UnexpectedEof),
            Ok(n) => filled = (filled + n).min(buf.len()),
            Err(error) => return Err(Error::Io(error)),
        }
        if let Some(head) = parse_head(&buf[..filled], buf.len(), max_headers)? {
            return Ok(head);
        }
    }
}

/// Reads the head at the front of `received`, if complete. Not async, so the header array is
/// never part of a future.
fn parse_head<E>(
    received: &[u8],
    max_len: usize,
    max_headers: usize,
) -> Result<Option<Head>, Error<E>> {
    let mut headers = [EMPTY_HEADER; MAX_HEADERS];
    let headers = &mut headers[..max_headers];
    let Some(head) = http::read_request(received, headers, max_len).map_err(Error::Head)? else {
        return Ok(None);
    };
    // Where a value borrowed from `received` lies in it.
    let range = |s: &str| {
        let start = (s.as_ptr() as usize).wrapping_sub(received.as_ptr() as usize);
        start..start.saturating_add(s.len())
    };
    Ok(Some(Head {
        len: head.len,
        method: range(head.method),
        version: head.version,
        path: range(head.path),
        last_event_id: head.last_event_id.map(range),
    }))
}

/// Writes and flushes `response`, and returns `error`, or the error writing gave.
async fn reject<S: Write>(
    socket: &mut S,
    buf: &mut [u8],
    response: ErrorResponse,
    error: Error<S::Error>,
) -> Error<S::Error> {
    let len = match response.encode(buf) {
        Ok(len) => len,
        Err(write) => return Error::Response(write),
    };
    if let Err(io) = write_all(socket, &buf[..len]).await {
        return io.into();
    }
    match socket.flush().await {
        Ok(()) => error,
        Err(io) => Error::Io(io),
    }
}
