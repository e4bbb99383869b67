//! The whole client without I/O: [`Session`].

use core::fmt;

#[cfg(feature = "proxy")]
use super::proxy::Proxy;
use super::proxy::{Proxies, TunnelError, Via};
use super::Request;
use super::{Client, Duration, Failure, Instant, State};
use super::{Decode, DecodeError, Fault, NoDecoding};
use crate::http::{
    self, ChunkedError, HeadError, HeaderLines, Scheme, Url, UrlError, WriteError, EMPTY_HEADER,
};
use crate::parse::{Item, ParseError, Ready};

/// The most header fields a response head may have; more is [`HeadError::TooManyHeaders`].
pub const MAX_RESPONSE_HEADERS: usize = 64;

/// Why a step of a [`Session`] went wrong. Except for [`Url`](Error::Url) and
/// [`Request`](Error::Request) of the original URL, which stop the session for good, the
/// attempt counts as failed and the session reconnects as its [`Client`] says; the error is
/// reported so that it can be logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The URL, or a redirect's `Location`, is not one the session can request.
    Url(UrlError),
    /// A proxy's URL is not `http://host[:port]` ([`UrlError::UnsupportedScheme`] for any
    /// proxy without the feature `proxy`), or the `no_proxy` list holds a control character.
    Proxy(UrlError),
    /// The request head could not be written: a last event ID with a control character, or
    /// a head longer than the buffer.
    Request(WriteError),
    /// The connection did not open within
    /// [`Config::connect_timeout`](super::Config::connect_timeout).
    ConnectTimeout,
    /// The response head did not come within
    /// [`Config::response_timeout`](super::Config::response_timeout).
    ResponseTimeout,
    /// The open stream went [`Config::read_timeout`](super::Config::read_timeout) without a
    /// byte of body.
    ReadTimeout,
    /// The connection closed before the response head was complete, or before the end of a
    /// chunked or `Content-Length` body.
    UnexpectedEof,
    /// The response head is malformed, or longer than the buffer ([`HeadError::TooLarge`]).
    Head(HeadError),
    /// The chunked framing of the body is broken.
    Body(ChunkedError),
    /// An event is over a parser limit; it is dropped and reading goes on.
    Parse(ParseError),
    /// The compressed body is corrupt, or compressed while no decoder was given
    /// ([`Session::poll_ready`] rather than [`Session::poll_ready_with`]).
    Decode(DecodeError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Url(error) => error.fmt(f),
            Error::Proxy(error) => write!(f, "proxy: {error}"),
            Error::Request(error) => error.fmt(f),
            Error::ConnectTimeout => f.write_str("connection not opened in time"),
            Error::ResponseTimeout => f.write_str("response head not received in time"),
            Error::ReadTimeout => f.write_str("no byte of the stream received in time"),
            Error::UnexpectedEof => f.write_str("connection closed before the end of the response"),
            Error::Head(error) => error.fmt(f),
            Error::Body(error) => error.fmt(f),
            Error::Parse(error) => error.fmt(f),
            Error::Decode(error) => error.fmt(f),
        }
    }
}

/// Each displays as the error it wraps, if any (and has no `source`: it would say the same
/// again).
impl core::error::Error for Error {}

/// What a [`Session`] reports: an item of the stream, or news that a stream opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Update<'a> {
    /// A stream opened: a `200` `text/event-stream` head was accepted (a browser's `open`
    /// event). Its items follow.
    Open,
    /// An event, a comment or a `retry` value.
    Item(Item<'a>),
}

/// An [`Update`] that does not borrow the session, from [`Session::poll_ready`]; see
/// [`Session::resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// [`Update::Open`].
    Open,
    /// [`Update::Item`], as the parser's [`Ready`].
    Item(Ready),
}

/// A connection to open, from [`Session::poll_connect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Target<'a> {
    /// The URL requested (scheme, host, port): the original URL, or the one a redirect named.
    /// Without a proxy, connect to its host and port, in its scheme.
    pub url: Url<'a>,
    /// How that server relates to the original URL's: for a connector that knows the
    /// address of that host only (no DNS).
    pub origin: Origin,
    /// The proxy to connect to instead, if [`Proxies`](super::Proxies) say so (feature
    /// `proxy`).
    #[cfg(feature = "proxy")]
    pub via: Option<Via<'a>>,
}

impl<'a> Target<'a> {
    /// The target `url`, for a session made for `original`, without a proxy.
    #[must_use]
    pub fn new(url: Url<'a>, original: &Url<'_>) -> Self {
        let same_host = url.host.eq_ignore_ascii_case(original.host);
        let origin = if same_host && url.port == original.port && url.scheme == original.scheme {
            Origin::Same
        } else if same_host {
            Origin::SameHost
        } else {
            Origin::Other
        };
        Target {
            url,
            origin,
            #[cfg(feature = "proxy")]
            via: None,
        }
    }

    /// The proxy to connect to instead, if any: `via` with the feature
    /// `proxy`, never without.
    #[must_use]
    pub fn proxy(&self) -> Option<Via<'a>> {
        #[cfg(feature = "proxy")]
        return self.via;
        #[cfg(not(feature = "proxy"))]
        None
    }

    /// The host and port to open a TCP connection to: the proxy's, or the URL's.
    #[must_use]
    pub fn address(&self) -> (&'a str, u16) {
        match &self.proxy() {
            Some(via) => (via.proxy.host, via.proxy.port),
            None => (self.url.host, self.url.port),
        }
    }

    /// Whether the connection is to speak TLS to the URL's server (an `https://` URL), once
    /// open (and, through a proxy, once the tunnel is).
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.url.scheme == Scheme::Https
    }

    /// Writes the `CONNECT` request for a tunnel through [`proxy`](Target::proxy) into `buf`,
    /// if the target goes through one, and returns its length.
    ///
    /// # Errors
    ///
    /// As [`Tunnel::encode`](http::Tunnel::encode).
    pub fn tunnel_request(&self, buf: &mut [u8]) -> Option<Result<usize, WriteError>> {
        let via = self.proxy().filter(|via| via.tunnel)?;
        let tunnel = http::Tunnel::new(self.url.host, self.url.port);
        Some(tunnel.authorization(via.authorization).encode(buf))
    }
}

/// How a [`Target`]'s server relates to the original URL's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Origin {
    /// The same scheme, host (ASCII case ignored) and port: no redirect, or one to another
    /// path on the same server.
    Same,
    /// The same host, another port or scheme.
    SameHost,
    /// Another host.
    Other,
}

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Io {
    /// No connection.
    Idle,
    /// Asked for a connection; the request head is in the window, `len` bytes.
    Connecting { len: usize },
    /// Sending the request head: `sent` of its `len` bytes.
    Transmit { len: usize, sent: usize },
    /// The request head is written whole; the connection is to be flushed.
    Sent,
    /// Reading the response head: `filled` bytes of the window received.
    Head { filled: usize },
    /// Reading the body: the window's bytes `start..end` are received and not parsed yet.
    Body { start: usize, end: usize },
}

/// The whole client of an event stream, without I/O: what a browser's `EventSource` does,
/// in the manner of quinn-proto and str0m. It writes the request head, reads the response
/// head (interim `1xx` heads skipped, redirects resolved against the URL with [`Url::join`]),
/// decodes the body (close-delimited, `Content-Length` or chunked), parses events, and times
/// connecting, the response head and the wait before reconnecting — all decided by its
/// [`Client`], whose rules the [module docs](super) give. The caller moves the bytes.
///
/// # Storage
///
/// Two buffers of type `B` (`&mut [u8]` lent by the caller, or a `Vec<u8>` or an array it
/// owns): the [`Client`]'s storage for events, and `buf` for the I/O. `buf` keeps the
/// original URL and the extra header lines in front, checked and encoded once at
/// [`new`](Session::new); the rest, the window, holds the request head while it is sent, the
/// response head while it arrives (so it bounds the head's length), and body reads. 512 bytes
/// is plenty for a small device; more means fewer reads.
///
/// # Call order
///
/// Loop, doing the first thing that applies:
///
/// 1. [`poll_disconnect`](Session::poll_disconnect) is `true`: drop the connection.
/// 2. [`poll_ready`](Session::poll_ready) (or [`poll_update`](Session::poll_update)) gives
///    something: report it. Call it until `None` before reading more.
/// 3. [`state`](Session::state) is [`Closed`](State::Closed): stop.
/// 4. [`poll_connect`](Session::poll_connect) gives a [`Target`]: open a connection to it,
///    then [`handle_connected`](Session::handle_connected), or
///    [`handle_io_error`](Session::handle_io_error) if that failed.
/// 5. [`poll_transmit`](Session::poll_transmit) gives bytes: write them (some or all),
///    then [`handle_transmitted`](Session::handle_transmitted).
/// 6. [`poll_flush`](Session::poll_flush) is `true` (the request is written whole): flush the
///    connection, then [`handle_flushed`](Session::handle_flushed).
/// 7. [`poll_read`](Session::poll_read) gives a window: read into it, then
///    [`handle_received`](Session::handle_received) with the count (0 at the end of the
///    stream), or [`handle_io_error`](Session::handle_io_error).
/// 8. Otherwise wait until [`poll_timeout`](Session::poll_timeout) and call
///    [`handle_timeout`](Session::handle_timeout).
///
/// Race every wait of 4 to 7 against [`poll_timeout`](Session::poll_timeout), and call
/// [`handle_timeout`](Session::handle_timeout) when it passes: the session then gives up on
/// the connection (1). If the caller loses a connection on its own (a cancelled future),
/// it calls [`handle_io_error`](Session::handle_io_error);
/// [`has_connection`](Session::has_connection) tells whether the session still counts on one.
///
/// ```
/// use ssewire::client::{Client, Config, Instant, Session, Update};
/// use ssewire::parse::Item;
///
/// let (mut storage, mut buf) = ([0u8; 1024], [0u8; 512]);
/// let client = Client::new(&mut storage[..], Config::new(), 7);
/// let mut session = Session::new(client, &mut buf[..], "http://example.com/events", &[])?;
/// let now = Instant::from_millis(0);
///
/// let target = session.poll_connect(now).unwrap();
/// assert_eq!((target.url.host, target.url.port), ("example.com", 80));
/// session.handle_connected(now);
/// let request = session.poll_transmit().unwrap();
/// assert!(request.starts_with(b"GET /events HTTP/1.1\r\nHost: example.com\r\n"));
/// let len = request.len();
/// session.handle_transmitted(len);
///
/// let response = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: hi\n\n";
/// let window = session.poll_read().unwrap();
/// window[..response.len()].copy_from_slice(response);
/// session.handle_received(now, response.len());
/// assert!(matches!(session.poll_update(now), Some(Ok(Update::Open))));
/// assert!(matches!(
///     session.poll_update(now),
///     Some(Ok(Update::Item(Item::Event(event)))) if event.data == "hi"
/// ));
/// assert!(session.poll_update(now).is_none());
/// # Ok::<(), ssewire::client::Error>(())
/// ```
#[derive(Debug)]
pub struct Session<B> {
    client: Client<B>,
    buf: B,
    /// The original URL, the method, the extra header lines and the body, at the front of
    /// `buf`.
    url_len: usize,
    method_len: usize,
    lines_len: usize,
    /// The [`Proxies`], as lines: the `http` proxy's URL and authorization, the `https`
    /// one's, and `no_proxy`.
    proxy_len: usize,
    body_len: usize,
    io: Io,
    /// When connecting gives up, while [`Io::Connecting`]; when the next byte of body is due,
    /// while [`Io::Body`] (with [`Config::read_timeout`](super::Config::read_timeout)).
    deadline: Option<Instant>,
    /// The connection is to be dropped.
    disconnect: bool,
    /// An error to report first.
    error: Option<Error>,
    /// A stream opened, not reported yet.
    opened: bool,
    /// The attempt in progress (its last redirect, if any) is to an `https://` URL: a
    /// redirect from it to `http://` is refused.
    tls: bool,
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Session<B> {
    /// A session for `url` (`http://` or `https://`, see [`Url`]) that sends `GET` requests
    /// with these extra `headers`, as (name, value) pairs (see
    /// [`http::Request::headers`]), driving `client` with `buf` for the I/O. Nothing happens
    /// until [`poll_connect`](Session::poll_connect).
    ///
    /// # Errors
    ///
    /// As [`with_request`](Session::with_request).
    pub fn new(
        client: Client<B>,
        buf: B,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Self, Error> {
        Self::with_request(client, buf, url, Request::new().headers(headers))
    }

    /// A session for `url` that sends `request` (a method, extra headers, a body) the same way
    /// on every connection, reconnections included. The URL, the method, the header lines and
    /// the body are kept at the front of `buf`; the rest is the window for the request head
    /// and the response.
    ///
    /// # Errors
    ///
    /// [`Error::Url`] for a URL that cannot be requested; [`Error::Request`] for an invalid
    /// method or header, or a `buf` too small for all that and a request head.
    pub fn with_request(
        client: Client<B>,
        mut buf: B,
        url: &str,
        request: Request<'_>,
    ) -> Result<Self, Error> {
        let parsed = Url::parse(url).map_err(Error::Url)?;
        let lines = HeaderLines(request.headers);
        let kept = Kept::of(url, &request)?;
        let (lines_len, proxy_len) = (kept.lines_len, kept.proxy_len());
        let proxy_parts = kept.proxy_parts();
        let too_small = Error::Request(WriteError::BufferTooSmall);
        let (url_len, method_len, body_len) = (url.len(), request.method.len(), request.body.len());
        let template_len = kept.len;
        let (template, window) = buf
            .as_mut()
            .split_at_mut_checked(template_len)
            .ok_or(too_small)?;
        let (url_part, rest) = template.split_at_mut(url_len);
        url_part.copy_from_slice(url.as_bytes());
        let (method_part, rest) = rest.split_at_mut(method_len);
        method_part.copy_from_slice(request.method.as_bytes());
        let (lines_part, rest) = rest.split_at_mut(lines_len);
        lines.encode(lines_part).map_err(Error::Request)?;
        let (proxy_part, body_part) = rest.split_at_mut(proxy_len);
        let mut at = 0;
        for part in proxy_parts {
            let end = at + part.len();
            let line = proxy_part
                .get_mut(at..=end)
                .and_then(|line| line.split_last_mut());
            if let Some((newline, dest)) = line {
                dest.copy_from_slice(part.as_bytes());
                *newline = b'\n';
            }
            at = end + 1;
        }
        body_part.copy_from_slice(request.body);
        // The request without a last event ID must fit: nothing else can make it not fit
        // later but a long ID.
        let codings = client.config.decodes.accept_encoding();
        head(
            &parsed,
            request.method,
            "",
            lines_part,
            body_len,
            None,
            codings,
        )
        .encode(window)
        .map_err(Error::Request)?;
        Ok(Session {
            client,
            buf,
            url_len,
            method_len,
            lines_len,
            proxy_len,
            body_len,
            io: Io::Idle,
            deadline: None,
            disconnect: false,
            error: None,
            opened: false,
            tls: false,
        })
    }

    /// The reconnection machine: [`last_event_id`](Client::last_event_id),
    /// [`reconnection_time`](Client::reconnection_time), [`poll_failure`](Client::poll_failure).
    pub fn client(&self) -> &Client<B> {
        &self.client
    }

    /// Where the session stands.
    pub fn state(&self) -> State {
        self.client.state()
    }

    /// The URL the session was made for.
    pub fn url(&self) -> Url<'_> {
        self.origin()
    }

    /// Whether the session counts on a connection now: from
    /// [`poll_connect`](Session::poll_connect) until it gives up on it.
    pub fn has_connection(&self) -> bool {
        self.io != Io::Idle
    }

    /// Whether [`poll_ready`](Session::poll_ready) may have something to report (an error, a
    /// stream opened, body bytes not parsed yet): `false` once it returned `None`. For a loop
    /// that asks after a call that gave nothing, such as a
    /// [`poll_connect`](Session::poll_connect) that found a redirect target it cannot request.
    pub fn has_update(&self) -> bool {
        self.error.is_some()
            || self.opened
            || matches!(self.io, Io::Body { start, end } if start < end)
    }

    /// Drops the connection, if any ([`poll_disconnect`](Session::poll_disconnect)), and
    /// connects again now, without waiting; the last event ID, the reconnection time and the
    /// backoff state stay (see [`Client::restart`]). Does nothing once
    /// [`Closed`](State::Closed).
    pub fn restart(&mut self, now: Instant) {
        if self.client.state() == State::Closed {
            return;
        }
        if self.io != Io::Idle {
            self.drop_connection();
        }
        self.error = None;
        self.client.restart(now);
    }

    /// Stops for good: drop the connection ([`poll_disconnect`](Session::poll_disconnect)).
    pub fn close(&mut self) {
        self.client.close();
        self.drop_connection();
    }

    /// `true` once when the connection in use is to be dropped: the session gave up on it (a
    /// redirect, an error response, the body's end, a broken framing, a deadline) or was
    /// closed.
    pub fn poll_disconnect(&mut self) -> bool {
        core::mem::take(&mut self.disconnect)
    }

    /// A connection to open now, once per attempt: connect to [`Target::url`]'s host and
    /// port, in its scheme; the request for it is ready. `None` if there is none to open. The
    /// [`Config::connect_timeout`](super::Config::connect_timeout) starts `now`.
    pub fn poll_connect(&mut self, now: Instant) -> Option<Target<'_>> {
        if self.io != Io::Idle {
            return None;
        }
        let template_len = self.template_len();
        let codings = self.client.config.decodes.accept_encoding();
        let connect = self.client.poll_connect()?;
        let redirected = connect.location.is_some();
        let (template, window) = split(self.buf.as_mut(), template_len);
        let (url, rest) = template.split_at(self.url_len);
        let (method, rest) = rest.split_at(self.method_len);
        let (lines, rest) = rest.split_at(self.lines_len.min(rest.len()));
        let proxies = rest.get(..self.proxy_len).unwrap_or_default();
        let target = resolve(url, connect.location).map(|(_, target)| target);
        if let Ok(target) = &target {
            let tls = target.scheme == Scheme::Https;
            if redirected && self.tls && !tls {
                // Out of TLS: browsers block it, and so does the session, for good.
                self.client.fail(Failure::InsecureRedirect);
                return None;
            }
            self.tls = tls;
        }
        let written = target.map_err(Error::Url).and_then(|target| {
            let method = as_str(method);
            let via = route(proxies, &target);
            let request = head(
                &target,
                method,
                connect.last_event_id,
                lines,
                self.body_len,
                via.as_ref(),
                codings,
            );
            request.encode(window).map_err(Error::Request)
        });
        match written {
            Ok(len) => {
                self.io = Io::Connecting { len };
                self.deadline = self.client.config.connect_timeout.map(|t| now + t);
            }
            Err(error) => {
                self.error = Some(error);
                // A redirect target that cannot be requested fails this attempt; the original
                // URL cannot be requested ever.
                if redirected {
                    self.client.handle_io_error(now);
                } else {
                    self.client.close();
                }
                return None;
            }
        }
        self.connecting()
    }

    /// The connection [`poll_connect`](Session::poll_connect) asked for, while it is being
    /// opened (until [`handle_connected`](Session::handle_connected)).
    pub fn connecting(&self) -> Option<Target<'_>> {
        if !matches!(self.io, Io::Connecting { .. }) {
            return None;
        }
        let url = self.buf.as_ref().get(..self.url_len).unwrap_or_default();
        let (origin, target) = resolve(url, self.client.connect().location).ok()?;
        let start = self.url_len + self.method_len + self.lines_len;
        let proxies = self.buf.as_ref().get(start..start + self.proxy_len);
        #[cfg(feature = "proxy")]
        return Some(Target {
            via: route(proxies.unwrap_or_default(), &target),
            ..Target::new(target, &origin)
        });
        #[cfg(not(feature = "proxy"))]
        {
            let _ = proxies;
            Some(Target::new(target, &origin))
        }
    }

    /// The connection asked for by [`poll_connect`](Session::poll_connect) is open: the request
    /// goes out next ([`poll_transmit`](Session::poll_transmit)), and the
    /// [`Config::response_timeout`](super::Config::response_timeout) starts.
    pub fn handle_connected(&mut self, now: Instant) {
        if let Io::Connecting { len } = self.io {
            self.io = Io::Transmit { len, sent: 0 };
            self.deadline = None;
            self.client.handle_connected(now);
        }
    }

    /// The bytes of the request still to send, if any: the rest of the head, then of the
    /// body.
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        let Io::Transmit { len, sent } = self.io else {
            return None;
        };
        if sent < len {
            return self.window().get(sent..len);
        }
        let end = self.template_len();
        let body = self.buf.as_ref().get(end - self.body_len..end)?;
        body.get(sent - len..).filter(|rest| !rest.is_empty())
    }

    /// `n` bytes of [`poll_transmit`](Session::poll_transmit) were sent.
    pub fn handle_transmitted(&mut self, n: usize) {
        if let Io::Transmit { len, sent } = self.io {
            let sent = sent.saturating_add(n);
            self.io = if sent >= len.saturating_add(self.body_len) {
                Io::Sent
            } else {
                Io::Transmit { len, sent }
            };
        }
    }

    /// Whether to flush the connection now: the request head was written whole (a TLS stream
    /// or a buffered socket may hold the bytes until then). Then
    /// [`handle_flushed`](Session::handle_flushed); a connection that needs no flush may go on
    /// to [`poll_read`](Session::poll_read) at once.
    #[must_use]
    pub fn poll_flush(&self) -> bool {
        self.io == Io::Sent
    }

    /// The connection was flushed: the response is read next.
    pub fn handle_flushed(&mut self) {
        if self.io == Io::Sent {
            self.io = Io::Head { filled: 0 };
        }
    }

    /// Where to read the connection's next bytes into, if the session is reading; `None` while
    /// items wait to be taken with [`poll_ready`](Session::poll_ready).
    pub fn poll_read(&mut self) -> Option<&mut [u8]> {
        if self.io == Io::Sent {
            // Reading begins: a flush not done is not waited for.
            self.io = Io::Head { filled: 0 };
        }
        let from = match self.io {
            Io::Head { filled } => filled,
            Io::Body { start, end } if start >= end => 0,
            _ => return None,
        };
        let window = self.window_mut();
        window.get_mut(from..)
    }

    /// `n` bytes were read into the window of [`poll_read`](Session::poll_read); 0 for the end
    /// of the stream (the peer closed the connection).
    pub fn handle_received(&mut self, now: Instant, n: usize) {
        match self.io {
            Io::Head { filled } if n > 0 => {
                let window = self.window();
                let end = filled.saturating_add(n).min(window.len());
                // Parsed again only when a line end arrived (or the window is full, to say
                // so): a head sent a byte at a time is read in linear time.
                let line_end = window
                    .get(filled..end)
                    .is_some_and(|new| new.contains(&b'\n'));
                let full = end == window.len();
                self.io = Io::Head { filled: end };
                if line_end || full {
                    self.read_head(now);
                }
            }
            Io::Body { .. } if n > 0 => {
                let end = n.min(self.window().len());
                self.io = Io::Body { start: 0, end };
                self.deadline = self.read_deadline(now);
            }
            Io::Head { .. } => {
                self.error = Some(Error::UnexpectedEof);
                self.client.handle_io_error(now);
                self.drop_connection();
            }
            Io::Body { .. } => {
                // A chunked or Content-Length body closed before its end was cut short.
                if self.client.is_body_delimited() {
                    self.error = Some(Error::UnexpectedEof);
                }
                self.client.handle_end_of_body(now);
                self.drop_connection();
            }
            Io::Idle | Io::Connecting { .. } | Io::Transmit { .. } | Io::Sent => {}
        }
    }

    /// The proxy of [`Target::proxy`] did not open the tunnel: a `407` fails the session for
    /// good ([`Failure::ProxyAuthentication`]: the credentials will not change), anything
    /// else fails the attempt as [`handle_io_error`](Session::handle_io_error) does.
    pub fn handle_tunnel_error(&mut self, now: Instant, error: TunnelError) {
        if error == TunnelError::Status(407) {
            self.client.fail(Failure::ProxyAuthentication);
            self.drop_connection();
        } else {
            self.handle_io_error(now);
        }
    }

    /// Connecting, sending or receiving failed, or the caller dropped the connection on its
    /// own: the attempt counts as failed, and the session reconnects as its client says.
    pub fn handle_io_error(&mut self, now: Instant) {
        if self.io != Io::Idle {
            self.client.handle_io_error(now);
            self.io = Io::Idle;
            self.deadline = None;
        }
    }

    /// When [`handle_timeout`](Session::handle_timeout) is due: a deadline for connecting,
    /// for the response head or for the next byte of an open stream, or the end of the wait
    /// before reconnecting.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.io {
            Io::Connecting { .. } | Io::Body { .. } => self.deadline,
            _ => self.client.poll_timeout(),
        }
    }

    /// Time passed: past a deadline the session gives up on the connection (and reports
    /// [`Error::ConnectTimeout`], [`Error::ResponseTimeout`] or [`Error::ReadTimeout`]);
    /// past the wait it asks to connect again.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Io::Connecting { .. } | Io::Body { .. } = self.io {
            if self.deadline.is_some_and(|at| now >= at) {
                self.error = Some(match self.io {
                    Io::Body { .. } => Error::ReadTimeout,
                    _ => Error::ConnectTimeout,
                });
                self.client.handle_io_error(now);
                self.drop_connection();
            }
            return;
        }
        self.client.handle_timeout(now);
        if self.client.poll_abort() {
            self.error = Some(Error::ResponseTimeout);
            self.drop_connection();
        }
    }

    /// What to report next, as an [`Output`] that does not borrow the session (see
    /// [`resolve`](Session::resolve)): an error, a stream opened, or an item of the body
    /// received so far. `None` when there is nothing until more is read.
    pub fn poll_ready(&mut self, now: Instant) -> Option<Result<Output, Error>> {
        self.poll_ready_with(now, &mut NoDecoding)
    }

    /// [`poll_ready`](Session::poll_ready) for a client that decodes compressed streams
    /// ([`Config::decodes`](super::Config::decodes)): the body of one goes through `decoder`,
    /// started afresh for each stream. Give the same decoder every time.
    pub fn poll_ready_with<D: Decode>(
        &mut self,
        now: Instant,
        decoder: &mut D,
    ) -> Option<Result<Output, Error>> {
        if let Some(error) = self.error.take() {
            return Some(Err(error));
        }
        if core::mem::take(&mut self.opened) {
            return Some(Ok(Output::Open));
        }
        let Io::Body { start, end } = self.io else {
            return None;
        };
        // Decoded bytes not parsed yet count as body to read.
        let decoded = D::ACTIVE && !decoder.output().is_empty();
        if start >= end && !decoded {
            return None;
        }
        let window = window(self.buf.as_ref(), self.template_len());
        let mut input = window.get(start..end).unwrap_or_default();
        let ready = self.client.handle_body_ready_with(now, &mut input, decoder);
        self.io = Io::Body {
            start: end - input.len(),
            end,
        };
        if self.client.poll_abort() {
            // The body ended by its framing, or the framing broke.
            self.error = match self.client.fault.take() {
                Some(Fault::Framing(error)) => Some(Error::Body(error)),
                Some(Fault::Corrupt) => Some(Error::Decode(DecodeError)),
                None => None,
            };
            self.drop_connection();
        }
        match ready {
            Some(Ok(ready)) => Some(Ok(Output::Item(ready))),
            Some(Err(error)) => Some(Err(Error::Parse(error))),
            None => self.error.take().map(Err),
        }
    }

    /// How long the session waits before it connects again: `Some` once each time a stream or
    /// an attempt ended (after the error that ended it, if any, was reported by
    /// [`poll_ready`](Session::poll_ready)); see [`Client::poll_wait`].
    pub fn poll_wait(&mut self, now: Instant) -> Option<Duration> {
        if self.error.is_some() {
            return None;
        }
        self.client.poll_wait(now)
    }

    /// The [`Update`] an [`Output`] of the last [`poll_ready`](Session::poll_ready) stands for.
    pub fn resolve(&self, output: Output) -> Update<'_> {
        match output {
            Output::Open => Update::Open,
            Output::Item(ready) => Update::Item(self.client.resolve(ready)),
        }
    }

    /// [`poll_ready`](Session::poll_ready) and [`resolve`](Session::resolve) in one.
    pub fn poll_update(&mut self, now: Instant) -> Option<Result<Update<'_>, Error>> {
        let ready = self.poll_ready(now)?;
        Some(ready.map(|output| self.resolve(output)))
    }

    /// Reads the response head received so far, if complete, and hands it to the client.
    fn read_head(&mut self, now: Instant) {
        loop {
            let Io::Head { filled } = self.io else {
                return;
            };
            let window = window(self.buf.as_ref(), self.template_len());
            let received = window.get(..filled).unwrap_or_default();
            let head = match read_response(&mut self.client, now, received, window.len()) {
                Ok(Some(head)) => head,
                Ok(None) => return,
                Err(error) => {
                    self.error = Some(Error::Head(error));
                    self.client.handle_io_error(now);
                    return self.drop_connection();
                }
            };
            let (len, status) = head;
            match self.client.state() {
                State::Open => {
                    self.opened = true;
                    self.io = Io::Body {
                        start: len,
                        end: filled,
                    };
                    self.deadline = self.read_deadline(now);
                    return;
                }
                State::Connecting if (100..200).contains(&status) => {
                    // An interim response: the final head follows.
                    self.window_mut().copy_within(len..filled, 0);
                    self.io = Io::Head {
                        filled: filled - len,
                    };
                }
                // A redirect, an error response retried later, or a failure.
                State::Connecting | State::Closed => return self.drop_connection(),
            }
        }
    }

    fn drop_connection(&mut self) {
        self.client.abort = false;
        self.io = Io::Idle;
        self.deadline = None;
        self.opened = false;
        self.disconnect = true;
    }

    /// The original URL, from the front of `buf` (checked at [`new`](Session::new)).
    fn origin(&self) -> Url<'_> {
        let url = as_str(self.buf.as_ref().get(..self.url_len).unwrap_or_default());
        Url::parse(url).unwrap_or(PLACEHOLDER)
    }

    /// When the next byte of an open stream is due, from `now`.
    fn read_deadline(&self, now: Instant) -> Option<Instant> {
        self.client.config.read_timeout.map(|t| now + t)
    }

    /// The bytes of the URL, the method, the header lines, the proxies and the body.
    fn template_len(&self) -> usize {
        self.url_len + self.method_len + self.lines_len + self.proxy_len + self.body_len
    }

    fn window(&self) -> &[u8] {
        window(self.buf.as_ref(), self.template_len())
    }

    fn window_mut(&mut self) -> &mut [u8] {
        let start = self.template_len();
        self.buf.as_mut().get_mut(start..).unwrap_or_default()
    }
}

/// Never used: the original URL was parsed once at [`Session::new`] and its bytes are not
/// changed since. Here so that no path can panic.
const PLACEHOLDER: Url<'static> = Url {
    scheme: http::Scheme::Http,
    host: "invalid",
    port: 80,
    authority: "invalid",
    path: "/",
    query: None,
};

/// The original URL (its bytes, from the front of the buffer) and where an attempt goes: the
/// URL itself, or where `location` points from it. The one place a target is resolved.
fn resolve<'a>(url: &'a [u8], location: Option<&'a str>) -> Result<(Url<'a>, Url<'a>), UrlError> {
    let origin = Url::parse(as_str(url))?;
    let target = match location {
        Some(location) => origin.join(location)?,
        None => origin,
    };
    Ok((origin, target))
}

/// The request head for `url`: `method`, and `Content-Length` for a body of `body_len`
/// bytes (none for a `GET` or `HEAD` without one); in absolute form for a forward proxy.
fn head<'a>(
    url: &Url<'a>,
    method: &'a str,
    last_event_id: &'a str,
    lines: &'a [u8],
    body_len: usize,
    via: Option<&Via<'a>>,
    accept_encoding: &'a str,
) -> http::Request<'a> {
    let bodiless = body_len == 0 && matches!(method, "GET" | "HEAD");
    let request = http::Request::new(url.authority, url.path)
        .method(method)
        .accept_encoding(accept_encoding)
        .content_length((!bodiless).then_some(body_len as u64))
        .query(url.query)
        .last_event_id(last_event_id)
        .lines(lines);
    #[cfg(feature = "proxy")]
    if let Some(via) = via.filter(|via| !via.tunnel) {
        return request.via_proxy(via.authorization);
    }
    #[cfg(not(feature = "proxy"))]
    let _ = via;
    request
}

impl Request<'_> {
    /// The bytes a [`Session`] for `url` keeps of this request at the front of its buffer:
    /// the URL, the method, the header lines, the proxies and the body. Give
    /// [`Session::with_request`] a buffer this much longer than the window it should read and
    /// write in.
    ///
    /// # Errors
    ///
    /// As [`Session::with_request`] for an invalid header or proxy.
    pub fn kept_len(&self, url: &str) -> Result<usize, Error> {
        Ok(Kept::of(url, self)?.len)
    }
}

/// What a session keeps of a request, measured and checked.
struct Kept<'a> {
    /// All of it.
    len: usize,
    /// The header lines.
    lines_len: usize,
    /// The proxy parts (see [`proxy_parts`]), the first `proxy_count` of them kept.
    proxy_parts: [&'a str; PROXY_PARTS],
    proxy_count: usize,
}

impl<'a> Kept<'a> {
    fn of(url: &str, request: &Request<'a>) -> Result<Self, Error> {
        let lines_len = HeaderLines(request.headers)
            .encoded_len()
            .map_err(Error::Request)?;
        let proxy_parts = proxy_parts(&request.proxies)?;
        // No bytes at all without a proxy (a `no_proxy` alone changes nothing).
        let proxied = request.proxies.http.is_some() || request.proxies.https.is_some();
        let mut kept = Kept {
            len: 0,
            lines_len,
            proxy_parts,
            proxy_count: if proxied { PROXY_PARTS } else { 0 },
        };
        let parts = [
            url.len(),
            request.method.len(),
            lines_len,
            kept.proxy_len(),
            request.body.len(),
        ];
        kept.len = parts
            .iter()
            .fold(0, |len: usize, part| len.saturating_add(*part));
        Ok(kept)
    }

    fn proxy_parts(&self) -> &[&'a str] {
        self.proxy_parts.get(..self.proxy_count).unwrap_or_default()
    }

    /// The proxy parts, a line each.
    fn proxy_len(&self) -> usize {
        self.proxy_parts().iter().map(|part| part.len() + 1).sum()
    }
}

/// How many proxy parts [`proxy_parts`] gives.
#[cfg(feature = "proxy")]
const PROXY_PARTS: usize = 5;
#[cfg(not(feature = "proxy"))]
const PROXY_PARTS: usize = 0;

/// The parts of `proxies` kept in the buffer, one per line, checked: the URLs parse, and no
/// part holds a control character (a line end least of all). Without the feature `proxy`,
/// a proxy is refused.
#[cfg(not(feature = "proxy"))]
fn proxy_parts<'a>(proxies: &Proxies<'a>) -> Result<[&'a str; PROXY_PARTS], Error> {
    if proxies.http.is_some() || proxies.https.is_some() {
        return Err(Error::Proxy(UrlError::UnsupportedScheme));
    }
    Ok([])
}

#[cfg(feature = "proxy")]
fn proxy_parts<'a>(proxies: &Proxies<'a>) -> Result<[&'a str; PROXY_PARTS], Error> {
    let (http, https) = (proxies.http, proxies.https);
    for proxy in [http, https].into_iter().flatten() {
        let url = Url::parse(proxy.url).map_err(Error::Proxy)?;
        if url.scheme != Scheme::Http {
            return Err(Error::Proxy(UrlError::UnsupportedScheme));
        }
        if !proxy
            .authorization
            .bytes()
            .all(crate::http::syntax::is_field_char)
        {
            return Err(Error::Request(WriteError::InvalidHeaderValue));
        }
    }
    if proxies.no_proxy.bytes().any(|b| b.is_ascii_control()) {
        return Err(Error::Proxy(UrlError::Invalid));
    }
    let split = |proxy: Option<Proxy<'a>>| proxy.map_or(("", ""), |p| (p.url, p.authorization));
    let ((http_url, http_auth), (https_url, https_auth)) = (split(http), split(https));
    Ok([http_url, http_auth, https_url, https_auth, proxies.no_proxy])
}

/// How `target` is reached with the proxies kept in `block` (see [`proxy_parts`]); none
/// without the feature `proxy`.
#[cfg(not(feature = "proxy"))]
fn route<'a>(_: &'a [u8], _: &Url<'_>) -> Option<Via<'a>> {
    None
}

#[cfg(feature = "proxy")]
fn route<'a>(block: &'a [u8], target: &Url<'_>) -> Option<Via<'a>> {
    let mut parts = as_str(block).split('\n');
    let mut next = || parts.next().unwrap_or_default();
    let mut proxy = || {
        let (url, authorization) = (next(), next());
        (!url.is_empty()).then_some(Proxy { url, authorization })
    };
    let (http, https) = (proxy(), proxy());
    let proxies = Proxies {
        http,
        https,
        no_proxy: next(),
    };
    let proxy = proxies.for_url(target.scheme, target.host, target.port)?;
    Some(Via {
        proxy: Url::parse(proxy.url).ok()?,
        tunnel: target.scheme == Scheme::Https,
        authorization: proxy.authorization,
    })
}

fn split(bytes: &mut [u8], at: usize) -> (&[u8], &mut [u8]) {
    let at = at.min(bytes.len());
    let (front, back) = bytes.split_at_mut(at);
    (front, back)
}

/// The part of `buf` after the request template, `start` bytes.
fn window(buf: &[u8], start: usize) -> &[u8] {
    buf.get(start..).unwrap_or_default()
}

fn as_str(bytes: &[u8]) -> &str {
    crate::utf8::text(bytes).unwrap_or_default()
}

/// Reads the response head at the front of `received`, if complete, hands it to `client`, and
/// returns its length and status. The header array lives only in this call.
fn read_response<B: AsRef<[u8]> + AsMut<[u8]>>(
    client: &mut Client<B>,
    now: Instant,
    received: &[u8],
    max_len: usize,
) -> Result<Option<(usize, u16)>, HeadError> {
    let mut headers = [EMPTY_HEADER; MAX_RESPONSE_HEADERS];
    let Some(head) = http::read_response(received, &mut headers, max_len)? else {
        return Ok(None);
    };
    client.handle_response_head(now, &head);
    Ok(Some((head.len, head.status)))
}
