//! The server handshake: reading a request head and answering it.

use core::future::Future;

use embassy_futures::select::{select, Either};
use embedded_io_async::{Read, Write};
use ssewire::client::Instant;
use ssewire::http::{self, ErrorResponse, Framing, RequestHead, EMPTY_HEADER};
pub use ssewire::server::{Config, MAX_HEADERS};
use ssewire::server::{Handshake, HandshakeError};

use crate::error::{write_all, AcceptError};

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

/// A request accepted by [`accept`] or [`Incoming::open`]: the `200` head has been written,
/// and the event stream follows. Borrows the head buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Accepted<'h> {
    /// The request target, query included, such as `/events?topic=a`.
    pub target: &'h str,
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
    pub target: &'h str,
    /// The minor HTTP version: `1` for HTTP/1.1, `0` for HTTP/1.0.
    pub version: u8,
    /// The `Last-Event-ID` the client sent (absent or empty: `None`).
    pub last_event_id: Option<&'h str>,
    /// The head as received, for [`header`](Incoming::header).
    head: &'h [u8],
    /// The part of the head buffer after the head, where the answer is encoded.
    out: &'h mut [u8],
}

impl<'h> Incoming<'h> {
    /// The path without its query: `/events` for `/events?topic=a`.
    #[must_use]
    pub fn path(&self) -> &'h str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The value of the first header field called `name` (any case), if it is UTF-8: an
    /// `Authorization` token, a `Cookie`, a header of your own. Read again from the head each
    /// time, so that no header array is kept.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'h str> {
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        let head = http::read_request(self.head, &mut headers, self.head.len()).ok()??;
        let fields = headers.get(..head.header_count)?;
        let field = fields
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(name))?;
        core::str::from_utf8(field.value).ok()
    }

    /// Answers as the core's [`Config::decide`] rules: the `200` head that opens an event
    /// stream (in `config`'s framing and CORS; always close-delimited for an HTTP/1.0 client),
    /// written and flushed, for a `GET` of a path `config` serves.
    ///
    /// # Errors
    ///
    /// - [`AcceptError::Rejected`]: a path not served (`404` sent) or a method other than `GET`
    ///   (`405` sent);
    /// - [`AcceptError::Response`]: the `200` head cannot be written (an invalid CORS origin, or
    ///   too little room after the head in the buffer); nothing was sent;
    /// - [`AcceptError::Io`], [`AcceptError::WriteZero`]: the connection failed.
    pub fn open<'s, S: Write>(
        self,
        socket: &'s mut S,
        config: &Config<'_>,
    ) -> impl Future<Output = Result<Accepted<'h>, AcceptError<S::Error>>> + 's
    where
        'h: 's,
    {
        // Decided and encoded now: the future keeps the answer's bytes and what `Accepted`
        // needs, not the request or the config (a smaller `accept` future).
        let Incoming {
            method,
            target,
            version,
            last_event_id,
            out,
            ..
        } = self;
        let answer = config.decide(method, target, version).map(|framing| {
            let len = config.response(framing).encode(out);
            (framing, len)
        });
        async move {
            let (framing, len) = match answer {
                Ok((framing, len)) => (framing, len.map_err(AcceptError::Response)?),
                Err(response) => {
                    return Err(
                        reject(socket, out, response, AcceptError::Rejected(response)).await,
                    )
                }
            };
            write_all(socket, &out[..len]).await?;
            socket.flush().await.map_err(AcceptError::Io)?;
            Ok(Accepted {
                target,
                last_event_id,
                framing,
            })
        }
    }

    /// Answers with `response`, written and flushed: close the connection then.
    ///
    /// # Errors
    ///
    /// [`AcceptError::Io`], [`AcceptError::WriteZero`]: the connection failed; [`AcceptError::Response`]: too
    /// little room after the head in the buffer.
    pub async fn reject<S: Write>(
        self,
        socket: &mut S,
        response: ErrorResponse,
    ) -> Result<(), AcceptError<S::Error>> {
        match reject(socket, self.out, response, AcceptError::Rejected(response)).await {
            AcceptError::Rejected(_) => Ok(()),
            error => Err(error),
        }
    }
}

/// Reads a request head from `socket` and answers it; on success the `200` head that opens an
/// event stream has been written and flushed. [`read_request`], then a check of the path
/// against [`Config::paths`], then [`Incoming::open`].
///
/// `head_buf` receives the head. Its end is kept for the `200` head written back, so a request
/// head may be as long as `head_buf` less that; 1 KiB of buffer is plenty for browsers'
/// requests (a few hundred bytes) without CORS. The head is read as it arrives (any split) and
/// must come within [`Config::head_timeout`], timed with `delay`.
///
/// # Errors
///
/// Each error response written is flushed; close the connection after any error.
///
/// - [`AcceptError::Head`]: a malformed head (`400` sent) or one too large (`431` sent);
/// - [`AcceptError::Rejected`]: a path not served (`404` sent) or a method other than `GET` (`405`
///   sent);
/// - [`AcceptError::Timeout`]: the head did not come in time; [`AcceptError::UnexpectedEof`]: the client
///   closed the connection first; nothing was sent then;
/// - [`AcceptError::Response`]: the `200` head cannot be written (an invalid CORS origin, or
///   `head_buf` too small for it); nothing was read or sent;
/// - [`AcceptError::Io`], [`AcceptError::WriteZero`]: the connection failed.
pub async fn accept<'h, S, D>(
    socket: &mut S,
    head_buf: &'h mut [u8],
    config: &Config<'_>,
    delay: D,
) -> Result<Accepted<'h>, AcceptError<S::Error>>
where
    S: Read + Write,
    D: Delay,
{
    read_request(socket, head_buf, config, delay)
        .await?
        .open(socket, config)
        .await
}

/// Reads a request head from `socket`, within [`Config::head_timeout`] timed with `delay`,
/// and answers it only if it is bad. [`accept`] without the routing: for servers that serve
/// more than event streams.
///
/// `head_buf` receives the head; its end is kept for the `200` head of
/// [`Incoming::open`], as for [`accept`].
///
/// # Errors
///
/// - [`AcceptError::Head`]: a malformed head (`400` sent) or one too large (`431` sent);
/// - [`AcceptError::Timeout`], [`AcceptError::UnexpectedEof`]: no complete head; nothing was sent;
/// - [`AcceptError::Response`]: `head_buf` is too small for the `200` head of `config` (or its CORS
///   origin is invalid); nothing was read;
/// - [`AcceptError::Io`], [`AcceptError::WriteZero`]: the connection failed.
pub async fn read_request<'h, S, D>(
    socket: &mut S,
    head_buf: &'h mut [u8],
    config: &Config<'_>,
    mut delay: D,
) -> Result<Incoming<'h>, AcceptError<S::Error>>
where
    S: Read + Write,
    D: Delay,
{
    // The handshake's time starts now; the delay stands for its deadline.
    let start = Instant::from_millis(0);
    let mut handshake =
        Handshake::new(&mut *head_buf, config, start).map_err(|error| match error {
            HandshakeError::Response(error) => AcceptError::Response(error),
            _ => AcceptError::Response(http::WriteError::BufferTooSmall),
        })?;
    let ms = config.head_timeout.as_millis();
    let read = read_head(socket, &mut handshake);
    let read = match select(read, delay.delay_ms(u32::try_from(ms).unwrap_or(u32::MAX))).await {
        Either::First(read) => read,
        Either::Second(()) => return Err(AcceptError::Timeout),
    };
    match read {
        Ok(()) => {}
        Err(AcceptError::Head(error)) => {
            // The answer the error calls for is queued: send it.
            if let Some(answer) = handshake.poll_transmit() {
                write_all(socket, answer).await?;
                socket.flush().await.map_err(AcceptError::Io)?;
            }
            return Err(AcceptError::Head(error));
        }
        Err(error) => return Err(error),
    }
    // The handshake's borrow of the buffer ends here: the head is handed out for `'h`.
    let len = handshake.head_len().unwrap_or_default();
    let (received, out) = head_buf.split_at_mut(len);
    let received: &'h [u8] = received;
    let head = parse_head(received, config.max_headers)?;
    Ok(Incoming {
        method: head.method,
        target: head.target,
        version: head.version,
        last_event_id: head.last_event_id,
        head: received,
        out,
    })
}

/// Reads until the handshake has the whole head, or why not.
async fn read_head<S: Read>(
    socket: &mut S,
    handshake: &mut Handshake<&mut [u8]>,
) -> Result<(), AcceptError<S::Error>> {
    let now = Instant::from_millis(0);
    loop {
        match handshake.poll_request() {
            Some(Ok(_)) => return Ok(()),
            Some(Err(HandshakeError::Head(error))) => return Err(AcceptError::Head(error)),
            Some(Err(HandshakeError::UnexpectedEof)) => return Err(AcceptError::UnexpectedEof),
            Some(Err(HandshakeError::Response(error))) => return Err(AcceptError::Response(error)),
            Some(Err(_)) => return Err(AcceptError::Timeout),
            None => {}
        }
        let Some(window) = handshake.poll_read() else {
            return Err(AcceptError::UnexpectedEof);
        };
        match socket.read(window).await {
            Ok(n) => handshake.handle_received(now, n),
            Err(error) => return Err(AcceptError::Io(error)),
        }
    }
}

/// The head at the front of `received`, complete (the handshake read it). Not async, so the
/// header array is never part of a future.
fn parse_head<E>(received: &[u8], max_headers: usize) -> Result<RequestHead<'_>, AcceptError<E>> {
    let mut headers = [EMPTY_HEADER; MAX_HEADERS];
    let headers = headers
        .get_mut(..max_headers.min(MAX_HEADERS))
        .unwrap_or_default();
    match http::read_request(received, headers, received.len()) {
        Ok(Some(head)) => Ok(head),
        Ok(None) => Err(AcceptError::UnexpectedEof),
        Err(error) => Err(AcceptError::Head(error)),
    }
}

/// Writes and flushes `response`, and returns `error`, or the error writing gave.
async fn reject<S: Write>(
    socket: &mut S,
    buf: &mut [u8],
    response: ErrorResponse,
    error: AcceptError<S::Error>,
) -> AcceptError<S::Error> {
    let len = match response.encode(buf) {
        Ok(len) => len,
        Err(write) => return AcceptError::Response(write),
    };
    if let Err(io) = write_all(socket, &buf[..len]).await {
        return io.into();
    }
    match socket.flush().await {
        Ok(()) => error,
        Err(io) => AcceptError::Io(io),
    }
}
