//! The client side: [`EventSource`], a reconnecting event stream driving the core
//! [`Client`], and the core client's types it uses.

use core::fmt;

use embassy_futures::select::{select, Either};
use embedded_io_async::{ErrorType, Read, Write};
pub use ssewire::client::{Client, Config, Duration, Failure, Instant, State, DEFAULT_RETRY};
use ssewire::http::{self, HeadError, Request, WriteError, EMPTY_HEADER};
use ssewire::parse::{Item, ParseError};

use crate::server::MAX_HEADERS;

/// A way to open connections, supplied by the platform (a TCP socket from embassy-net, with
/// TLS on top if need be).
///
/// Futures on embedded executors are polled on one thread, so the returned future is not
/// required to be `Send`.
#[allow(async_fn_in_trait)]
pub trait Connect {
    /// An open connection.
    type Connection: Read + Write;
    /// Why a connection could not be opened.
    type Error;

    /// Opens a connection to `target`: the server of the original URL, or the one an absolute
    /// redirect names (the [`EventSource`] has parsed the `Location`).
    ///
    /// # Errors
    ///
    /// Any error opening the connection, or a target it will not go to (another scheme than
    /// it speaks, a host it cannot resolve); the [`EventSource`] reports it and retries later.
    async fn connect(&mut self, target: Target<'_>) -> Result<Self::Connection, Self::Error>;
}

impl<T: Connect + ?Sized> Connect for &mut T {
    type Connection = T::Connection;
    type Error = T::Error;

    async fn connect(&mut self, target: Target<'_>) -> Result<Self::Connection, Self::Error> {
        T::connect(self, target).await
    }
}

/// The server [`Connect::connect`] is to open a connection to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target<'a> {
    /// The server of the URL the [`EventSource`] was made for; also after a redirect to a path
    /// on the same server (`Location: /elsewhere`).
    Origin,
    /// The server an absolute redirect (`http://other.example:8080/events`, or
    /// `//other.example/events`) names.
    Redirect {
        /// The scheme as received (`http`, `HTTPS`, ...), or `None` for a scheme-relative
        /// target (`//host/...`): the scheme of the original URL.
        scheme: Option<&'a str>,
        /// The authority as received: `host`, `host:port`, or `[v6 address]:port`.
        authority: &'a str,
    },
}

/// The time, and a way to wait for it, supplied by the runtime (such as `embassy_time`'s
/// `Instant::now` and `Timer::at`).
#[allow(async_fn_in_trait)]
pub trait Clock {
    /// The time now, in milliseconds from any origin, never going back.
    fn now(&self) -> Instant;

    /// Completes at `at` or later (at once if `at` is past).
    async fn sleep_until(&mut self, at: Instant);
}

impl<T: Clock + ?Sized> Clock for &mut T {
    fn now(&self) -> Instant {
        T::now(self)
    }

    async fn sleep_until(&mut self, at: Instant) {
        T::sleep_until(self, at).await;
    }
}

/// Why a step of an [`EventSource`] went wrong: `C` is the [`Connect::Error`], `E` the
/// connection's I/O error.
///
/// None of these stops the event source, except [`Request`](SourceError::Request) for the
/// original URL: the attempt counts as failed and the source reconnects as the [`Client`]
/// says. They are reported so that they can be logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceError<C, E> {
    /// Opening a connection failed.
    Connect(C),
    /// The connection's read, write or flush failed.
    Io(E),
    /// A write accepted no byte.
    WriteZero,
    /// The connection was closed before the response head was complete, or before the end of
    /// a chunked or `Content-Length` body (the source reconnects, as after a clean end).
    UnexpectedEof,
    /// The response head did not come within
    /// [`Config::response_timeout`](Config::response_timeout).
    Timeout,
    /// The response head is malformed, or longer than the buffer ([`HeadError::TooLarge`]).
    Head(HeadError),
    /// The request head could not be written: an invalid host, path (also a redirect target
    /// that is neither absolute nor starting with `/`), header or last event ID, or a buffer
    /// too small. For the original URL this stops the event source for good.
    Request(WriteError),
    /// An event is over a parser limit; it is dropped and reading goes on.
    Parse(ParseError),
}

/// Protocol errors display as the core error they wrap; [`Connect`](SourceError::Connect) and
/// [`Io`](SourceError::Io) display as a short phrase and give the error as their
/// [`source`](core::error::Error::source).
impl<C, E> fmt::Display for SourceError<C, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Connect(_) => f.write_str("connecting failed"),
            SourceError::Io(_) => f.write_str("i/o error"),
            SourceError::WriteZero => f.write_str("write accepted no byte"),
            SourceError::UnexpectedEof => f.write_str("connection closed before the response head"),
            SourceError::Timeout => f.write_str("response head not received in time"),
            SourceError::Head(error) => error.fmt(f),
            SourceError::Request(error) => error.fmt(f),
            SourceError::Parse(error) => error.fmt(f),
        }
    }
}

impl<C, E> core::error::Error for SourceError<C, E>
where
    C: core::error::Error + 'static,
    E: core::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            SourceError::Connect(error) => Some(error),
            SourceError::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// The error type of [`EventSource::next`] for a [`Connect`] `C`.
type ErrorOf<C> =
    SourceError<<C as Connect>::Error, <<C as Connect>::Connection as ErrorType>::Error>;

/// A reconnecting event stream, as `EventSource` in a browser: it drives a core [`Client`]
/// over connections from a [`Connect`], timed by a [`Clock`].
///
/// [`next`](EventSource::next) connects, writes the request (`Host`, `Accept`,
/// `Cache-Control`, `Last-Event-ID` once an event had an ID, and the extra
/// [`headers`](EventSource::headers)), reads the response head, follows redirects, reads the
/// body (close-delimited, `Content-Length` or chunked) and, when the connection ends or fails,
/// waits the reconnection time and does it all again. It returns `Option<Result<..>>`:
///
/// - `Some(Ok(item))` for each item: events, comments and `retry` values;
/// - `Some(Err(error))` for what went wrong on the way ([`SourceError`]); the event source
///   goes on;
/// - `None` once the client is [`Closed`](State::Closed): it failed for good
///   ([`failure`](EventSource::failure) says why: a `204`, another status, a wrong content
///   type, …) or was [`close`](EventSource::close)d.
///
/// One buffer, lent by the caller, serves for the request head written, the response head
/// read (so it bounds the head's length) and the body reads; 512 bytes or more is sensible.
/// Events are collected in the [`Client`]'s storage.
///
/// The response head must come within the client's
/// [`response_timeout`](Config::response_timeout): reads race against it.
/// Connecting and writing the request are not timed here; a [`Connect`] that may hang should
/// time itself out.
///
/// A redirect is followed with [`Connect::connect`] to the server its `Location` names
/// ([`Target::Redirect`] for an absolute `http(s)://host/path` or `//host/path`,
/// [`Target::Origin`] for `/path`), and the request names that host and path
/// (`http://host?query`, without a path, is refused). Reconnections go back to the original
/// URL.
///
/// Dropping the future of [`next`](EventSource::next) while it waits is safe; dropping it
/// while connecting or writing the request counts that attempt as failed.
pub struct EventSource<'a, C: Connect, K> {
    client: Client<'a>,
    connect: C,
    clock: K,
    buf: &'a mut [u8],
    host: &'a str,
    path: &'a str,
    headers: &'a [(&'a str, &'a str)],
    conn: Option<C::Connection>,
    /// Bytes of a response head received into `buf`, while the stream is not open.
    filled: usize,
    /// The body bytes of `buf` received and not yet fed to the client.
    start: usize,
    end: usize,
    /// A stream opened and [`Update::Open`] not reported yet.
    opened: bool,
}

/// What [`EventSource::next_update`] yields: an item, or news that a stream opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Update<'a> {
    /// A stream opened: a `200` `text/event-stream` head was accepted (as a browser's `open`
    /// event). Items of the stream follow.
    Open,
    /// An event, a comment or a `retry` value.
    Item(Item<'a>),
}

impl<C: Connect, K> fmt::Debug for EventSource<'_, C, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("client", &self.client)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a, C: Connect, K: Clock> EventSource<'a, C, K> {
    /// An event source for `path` (such as `/events?topic=a`) on `host` (such as
    /// `example.com` or `192.168.1.2:8080`), the original URL, which `connect` opens
    /// connections to. Nothing happens until [`next`](EventSource::next).
    pub fn new(
        client: Client<'a>,
        connect: C,
        clock: K,
        buf: &'a mut [u8],
        host: &'a str,
        path: &'a str,
    ) -> Self {
        EventSource {
            client,
            connect,
            clock,
            buf,
            host,
            path,
            headers: &[],
            conn: None,
            filled: 0,
            start: 0,
            end: 0,
            opened: false,
        }
    }

    /// Sends these extra headers with each request, as (name, value) pairs (see
    /// [`Request::headers`]).
    #[must_use]
    pub fn headers(self, headers: &'a [(&'a str, &'a str)]) -> Self {
        EventSource { headers, ..self }
    }

    /// Where the client stands.
    #[must_use]
    pub fn state(&self) -> State {
        self.client.state()
    }

    /// Why the client stopped for good, if it failed.
    #[must_use]
    pub fn failure(&self) -> Option<Failure> {
        self.client.poll_failure()
    }

    /// The client, for its [`last_event_id`](Client::last_event_id) and
    /// [`reconnection_time`](Client::reconnection_time).
    #[must_use]
    pub fn client(&self) -> &Client<'a> {
        &self.client
    }

    /// Stops for good and drops the connection: [`next`](EventSource::next) returns `None`.
    pub fn close(&mut self) {
        self.client.close();
        self.drop_connection();
    }

    /// The next item; see [`EventSource`] for what each result means.
    pub async fn next(&mut self) -> Option<Result<Item<'_>, ErrorOf<C>>> {
        match self.advance(false).await? {
            Ok(Update::Item(item)) => Some(Ok(item)),
            // Not reported when not asked for.
            Ok(Update::Open) => None,
            Err(error) => Some(Err(error)),
        }
    }

    /// As [`next`](EventSource::next), and also [`Update::Open`] each time a stream opens,
    /// before its first item: for applications that show the connection state.
    pub async fn next_update(&mut self) -> Option<Result<Update<'_>, ErrorOf<C>>> {
        self.advance(true).await
    }

    /// The next item, or the news of a stream opened if `report_open`.
    async fn advance(&mut self, report_open: bool) -> Option<Result<Update<'_>, ErrorOf<C>>> {
        loop {
            if core::mem::take(&mut self.opened) && report_open {
                return Some(Ok(Update::Open));
            }
            if self.client.state() == State::Closed {
                self.drop_connection();
                return None;
            }
            if self.client.poll_abort() {
                self.drop_connection();
            }
            if self.start < self.end {
                let now = self.clock.now();
                let mut input = self.buf.get(self.start..self.end).unwrap_or_default();
                let ready = self.client.handle_body_ready(now, &mut input);
                self.start = self.end - input.len();
                if let Some(ready) = ready {
                    return Some(
                        ready
                            .map(|ready| Update::Item(self.client.resolve(ready)))
                            .map_err(SourceError::Parse),
                    );
                }
                continue;
            }
            if let Some(error) = self.step().await {
                return Some(Err(error));
            }
        }
    }

    /// Does what comes next when no body byte is waiting: connect, wait, or read. Returns an
    /// error to report, if any.
    async fn step(&mut self) -> Option<ErrorOf<C>> {
        if let Some(result) = self.open().await {
            return result.err();
        }
        let Some(conn) = self.conn.as_mut() else {
            return match self.client.poll_timeout() {
                Some(at) => {
                    self.clock.sleep_until(at).await;
                    self.client.handle_timeout(self.clock.now());
                    None
                }
                None => {
                    // An attempt whose connecting was cancelled: count it as failed.
                    self.client.handle_io_error(self.clock.now());
                    None
                }
            };
        };
        let open = self.client.state() == State::Open;
        let window = if open {
            &mut self.buf[..]
        } else {
            self.buf.get_mut(self.filled..).unwrap_or_default()
        };
        let read = match self.client.poll_timeout() {
            Some(deadline) => {
                match select(conn.read(window), self.clock.sleep_until(deadline)).await {
                    Either::First(read) => read,
                    Either::Second(()) => {
                        self.client.handle_timeout(self.clock.now());
                        return Some(SourceError::Timeout);
                    }
                }
            }
            None => conn.read(window).await,
        };
        let now = self.clock.now();
        match read {
            Ok(0) => {
                self.drop_connection();
                if open {
                    // A chunked or Content-Length body closed before its end was cut short.
                    let cut = self.client.is_body_delimited();
                    self.client.handle_end_of_body(now);
                    cut.then_some(SourceError::UnexpectedEof)
                } else {
                    self.client.handle_io_error(now);
                    Some(SourceError::UnexpectedEof)
                }
            }
            Ok(n) if open => {
                self.start = 0;
                self.end = n.min(self.buf.len());
                None
            }
            Ok(n) => {
                self.filled = (self.filled + n).min(self.buf.len());
                self.handle_head(now).err()
            }
            Err(error) => {
                self.drop_connection();
                self.client.handle_io_error(now);
                Some(SourceError::Io(error))
            }
        }
    }

    /// Connects and writes the request, if the client asks for a connection: `None` if it
    /// does not.
    async fn open(&mut self) -> Option<Result<(), ErrorOf<C>>> {
        let connect = self.client.poll_connect()?;
        self.conn = None;
        self.filled = 0;
        self.start = 0;
        self.end = 0;
        let redirected = connect.location.is_some();
        let (target, host, path) = target(connect.location, self.host, self.path);
        let len = Request::new(host, path)
            .last_event_id(connect.last_event_id)
            .headers(self.headers)
            .encode(self.buf);
        let len = match len {
            Ok(len) => len,
            Err(error) => {
                if redirected {
                    self.client.handle_io_error(self.clock.now());
                } else {
                    self.client.close();
                }
                return Some(Err(SourceError::Request(error)));
            }
        };
        let opened = self.connect.connect(target).await;
        let mut conn = match opened {
            Ok(conn) => conn,
            Err(error) => {
                self.client.handle_io_error(self.clock.now());
                return Some(Err(SourceError::Connect(error)));
            }
        };
        if let Err(error) = send(&mut conn, self.buf.get(..len).unwrap_or_default()).await {
            self.client.handle_io_error(self.clock.now());
            return Some(Err(error));
        }
        self.client.handle_connected(self.clock.now());
        self.conn = Some(conn);
        Some(Ok(()))
    }

    /// Reads the response head received so far, if complete, and hands it to the client.
    fn handle_head(&mut self, now: Instant) -> Result<(), ErrorOf<C>> {
        loop {
            let received = self.buf.get(..self.filled).unwrap_or_default();
            let head = match read_head(&mut self.client, now, received, self.buf.len()) {
                Ok(Some(head)) => head,
                Ok(None) => return Ok(()),
                Err(error) => {
                    self.drop_connection();
                    self.client.handle_io_error(now);
                    return Err(SourceError::Head(error));
                }
            };
            let (len, status) = head;
            match self.client.state() {
                State::Open => {
                    self.opened = true;
                    self.start = len;
                    self.end = self.filled;
                    self.filled = 0;
                    return Ok(());
                }
                State::Connecting if (100..200).contains(&status) => {
                    // An interim response: the final head follows.
                    self.buf.copy_within(len..self.filled, 0);
                    self.filled -= len;
                }
                State::Connecting | State::Closed => {
                    // A redirect, an error response retried later, or a failure.
                    self.drop_connection();
                    return Ok(());
                }
            }
        }
    }

    fn drop_connection(&mut self) {
        self.conn = None;
        self.opened = false;
        self.filled = 0;
        self.start = 0;
        self.end = 0;
    }
}

/// Reads the response head at the front of `received`, if complete, hands it to `client`, and
/// returns its length and status. Not async, so the header array is never part of a future.
fn read_head(
    client: &mut Client<'_>,
    now: Instant,
    received: &[u8],
    max_len: usize,
) -> Result<Option<(usize, u16)>, HeadError> {
    let mut headers = [EMPTY_HEADER; MAX_HEADERS];
    let Some(head) = http::read_response(received, &mut headers, max_len)? else {
        return Ok(None);
    };
    client.handle_response_head(now, &head);
    Ok(Some((head.len, head.status)))
}

/// Writes and flushes the request head.
async fn send<S: Write, C>(conn: &mut S, mut bytes: &[u8]) -> Result<(), SourceError<C, S::Error>> {
    while !bytes.is_empty() {
        match conn.write(bytes).await {
            Ok(0) => return Err(SourceError::WriteZero),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(error) => return Err(SourceError::Io(error)),
        }
    }
    conn.flush().await.map_err(SourceError::Io)
}

/// Where to connect, and the host and path to request: the original ones, or those of a
/// redirect's `Location` (the one place it is parsed). A target neither absolute nor starting
/// with `/` gives an empty path, which the request refuses.
pub(crate) fn target<'a>(
    location: Option<&'a str>,
    host: &'a str,
    path: &'a str,
) -> (Target<'a>, &'a str, &'a str) {
    let Some(location) = location else {
        return (Target::Origin, host, path);
    };
    // The fragment is never sent.
    let location = location.split('#').next().unwrap_or_default();
    let absolute = if let Some(rest) = location.strip_prefix("//") {
        Some((None, rest))
    } else if let Some((scheme, rest)) = location.split_once("://") {
        scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            .then_some((Some(scheme), rest))
    } else {
        None
    };
    match absolute {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            let path = match path {
                "" => "/",
                // `http://host?q` means `/?q`, which cannot be borrowed from it: refused.
                p if p.starts_with('?') => "",
                p => p,
            };
            (Target::Redirect { scheme, authority }, authority, path)
        }
        None if location.starts_with('/') => (Target::Origin, host, location),
        None => (Target::Origin, host, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::{target, Target};

    #[test]
    fn target_of_location() {
        let t = |l| target(l, "a.example", "/events");
        let to = |scheme, authority| Target::Redirect { scheme, authority };
        assert_eq!(t(None), (Target::Origin, "a.example", "/events"));
        assert_eq!(
            t(Some("/other?x=1")),
            (Target::Origin, "a.example", "/other?x=1")
        );
        assert_eq!(
            t(Some("/other#frag")),
            (Target::Origin, "a.example", "/other")
        );
        assert_eq!(
            t(Some("http://b.example:8080/s")),
            (to(Some("http"), "b.example:8080"), "b.example:8080", "/s")
        );
        assert_eq!(
            t(Some("HTTPS://b.example")),
            (to(Some("HTTPS"), "b.example"), "b.example", "/")
        );
        assert_eq!(
            t(Some("//b.example/s?q")),
            (to(None, "b.example"), "b.example", "/s?q")
        );
        assert_eq!(
            t(Some("http://[::1]:9?q")),
            (to(Some("http"), "[::1]:9"), "[::1]:9", "")
        );
        assert_eq!(t(Some("relative")), (Target::Origin, "a.example", ""));
        assert_eq!(
            t(Some("bad scheme://b.example/")),
            (Target::Origin, "a.example", "")
        );
    }
}
