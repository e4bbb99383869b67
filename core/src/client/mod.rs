//! The client side without I/O: what `EventSource` does in a browser, without sockets or
//! clocks.
//!
//! - [`Session`] is the whole client: it writes the request, reads the response head,
//!   follows redirects, decodes the body, parses events, times connecting and the response
//!   head, and reconnects. An adapter moves bytes between a socket and it (see its docs for
//!   the loop). Start here.
//! - [`Client`] is the reconnection machine inside a session, for callers that handle HTTP
//!   themselves: it takes response heads and body bytes, and says when to connect.
//!
//! The rest of this page is [`Client`]'s.
//!
//! The caller owns the I/O and the clock. It feeds the machine with `handle_*` calls and asks it
//! what to do with `poll_*` calls:
//!
//! 1. [`poll_connect`](Client::poll_connect): open a connection — to the original URL or to a
//!    redirect target — and send a request with the given `Last-Event-ID`; then
//!    [`handle_connected`](Client::handle_connected).
//! 2. [`handle_response_head`](Client::handle_response_head) with the status and headers read
//!    back (see [`crate::http`]).
//! 3. [`handle_body`](Client::handle_body) with each body read, in a loop: it yields the
//!    events, comments and `retry` values it completes.
//! 4. When the body ends or the connection fails: [`handle_end_of_body`](Client::handle_end_of_body)
//!    or [`handle_io_error`](Client::handle_io_error). The machine then waits:
//!    [`poll_timeout`](Client::poll_timeout) says until when; call
//!    [`handle_timeout`](Client::handle_timeout) then, and go back to 1.
//! 5. [`poll_failure`](Client::poll_failure) tells why the machine stopped for good, if it did;
//!    [`close`](Client::close) stops it from the caller's side.
//!
//! Time is an [`Instant`] in milliseconds from any origin the caller picks; randomness for the
//! jitter comes from a seed the caller supplies.
//!
//! # Behaviour
//!
//! As the WHATWG standard and browsers do: a `200` response whose content type is
//! `text/event-stream` (parameters allowed) opens the stream; `204` and any other status, or a
//! wrong content type, fail it for good; `301`, `302`, `303`, `307` and `308` are followed to
//! their `Location` (up to [`Config::max_redirects`]; one without a `Location` fails), and a
//! reconnection goes back to the original URL. When the body ends or the connection fails, the
//! client reconnects after the reconnection time ([`Config::initial_delay`] until the server
//! sends `retry`), with `Last-Event-ID` set to the last event ID seen, if not empty.
//!
//! Beyond the standard, set in [`Config`]: the delay doubles with each consecutive failed attempt
//! up to [`Config::max_delay`], plus up to [`Config::jitter_percent`] of random jitter; a stream
//! that opened and delivered a byte of its body is no failure and resets that count (as
//! browsers, which wait the reconnection time after each stream), and so does one that stayed
//! open, silent, for [`Config::healthy_after`]; after
//! [`Config::retry_budget`] consecutive failed attempts the client gives up; and
//! [`Config::retry_server_errors`] retries `5xx` and `429` responses (honouring `Retry-After`)
//! instead of failing.
//!
//! A compressed stream (`Content-Encoding`) is read only in a coding the caller decodes
//! ([`Config::decodes`], sent as `Accept-Encoding`; the decoder goes to
//! [`Session::poll_ready_with`], see [`Decode`]); in any other, the stream fails for good
//! ([`Failure::ContentEncoding`]). HTTP proxies are the [`Session`]'s with the feature
//! `proxy` ([`Proxies`]).
//!
//! # Example
//!
//! A whole life cycle with a fake clock and canned responses:
//!
//! ```
//! use ssewire::client::{Client, Config, Duration, Instant, State};
//! use ssewire::http::{self, EMPTY_HEADER};
//! use ssewire::parse::Item;
//!
//! let mut storage = [0u8; 1024];
//! let mut client = Client::new(&mut storage, Config::new(), 7);
//! let mut now = Instant::from_millis(0);
//!
//! // Connect to the original URL, no Last-Event-ID yet.
//! let connect = client.poll_connect().unwrap();
//! assert_eq!((connect.location, connect.last_event_id), (None, ""));
//! client.handle_connected(now);
//!
//! // What the server sends back: a head, then a chunked body.
//! let received: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
//!     Transfer-Encoding: chunked\r\n\r\n20\r\nretry: 1000\nid: 1\ndata: hello\n\n\r\n";
//! let mut headers = [EMPTY_HEADER; 16];
//! let head = http::read_response(received, &mut headers, http::DEFAULT_MAX_HEAD_LEN)?.unwrap();
//! client.handle_response_head(now, &head);
//! assert_eq!(client.state(), State::Open);
//!
//! let mut body = &received[head.len..];
//! let mut data = None;
//! while let Some(item) = client.handle_body(now, &mut body) {
//!     if let Ok(Item::Event(event)) = item {
//!         data = Some(event.data.len());
//!     }
//! }
//! assert_eq!(data, Some(5));
//!
//! // The server goes away: wait the `retry` time, then reconnect with Last-Event-ID: 1.
//! client.handle_end_of_body(now);
//! let wake = client.poll_timeout().unwrap();
//! assert!(wake >= now + Duration::from_millis(1000));
//! now = wake;
//! client.handle_timeout(now);
//! assert_eq!(client.poll_connect().unwrap().last_event_id, "1");
//! # Ok::<(), ssewire::http::HeadError>(())
//! ```

use core::{fmt, ops};

use crate::http::{BodyDecoder, ChunkedError, Progress, ResponseHead};
use crate::parse::{Item, Limits, ParseError, Parser, Ready};

mod decode;
mod proxy;
mod session;

pub use decode::{Coding, Codings, Decode, DecodeError, NoDecoding};
pub use proxy::{
    bypasses, read_tunnel_response, Proxies, Proxy, TunnelError, Via, MAX_TUNNEL_RESPONSE,
};
pub use session::{Error, Origin, Output, Session, Target, Update, MAX_RESPONSE_HEADERS};

/// A point in time, in milliseconds since an origin the caller picks (boot, the epoch, …).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(u64);

impl Instant {
    /// The instant `ms` milliseconds after the origin.
    #[must_use]
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms)
    }

    /// Milliseconds since the origin.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl ops::Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates at the end of time rather than overflow.
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}

/// A span of time in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration(u64);

impl Duration {
    /// No time.
    pub const ZERO: Duration = Duration(0);

    /// `ms` milliseconds.
    #[must_use]
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms)
    }

    /// `s` seconds (saturating).
    #[must_use]
    pub const fn from_secs(s: u64) -> Self {
        Duration(s.saturating_mul(1000))
    }

    /// Whole milliseconds.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

/// The reconnection time browsers start with, until a server sends `retry`.
pub const DEFAULT_RETRY: Duration = Duration::from_millis(3000);

/// How the client reconnects. Plain data: build it in a `const` or `static` with the
/// `const fn` setters (`Config::new().initial_delay(Duration::from_millis(500))`), or set the
/// fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
#[must_use]
pub struct Config {
    /// The reconnection time until the server sends `retry`. Default: [`DEFAULT_RETRY`] (3 s).
    pub initial_delay: Duration,
    /// The longest the delay grows to by backing off. A server's `retry` longer than this is
    /// still honoured. Default: 60 s.
    pub max_delay: Duration,
    /// Random jitter added to each delay, as a percentage of it (0 to 100). Default: 20.
    pub jitter_percent: u8,
    /// A stream open this long resets the count of consecutive failures even if it delivered
    /// nothing (one that delivered a byte of body always does). Default: 10 s.
    pub healthy_after: Duration,
    /// Reconnection attempts in a row, none of them ending in a healthy connection, after
    /// which the client gives up; `None` for never. Default: `None`, as browsers.
    pub retry_budget: Option<u32>,
    /// How long a connection may take to deliver the response head after
    /// [`handle_connected`](Client::handle_connected); then the attempt counts as failed and
    /// [`poll_abort`](Client::poll_abort) asks to drop it. `None` waits forever. Default: 30 s.
    pub response_timeout: Option<Duration>,
    /// How long opening a connection may take, for a [`Session`], which asks for one with
    /// [`poll_connect`](Session::poll_connect); then the attempt counts as failed. `None` waits
    /// as long as the connector does. Default: 10 s.
    pub connect_timeout: Option<Duration>,
    /// How long an open stream may go without a byte of body (an event, a comment, a
    /// keep-alive), for a [`Session`]; then the connection counts as lost and the client
    /// reconnects with the last event ID. A server's keep-alives (every 15 s for ssewire's)
    /// keep a healthy stream inside it. `None` waits forever. Default: `None`, as browsers.
    pub read_timeout: Option<Duration>,
    /// Redirects followed in a row before failing. Default: 10.
    pub max_redirects: u8,
    /// Retry `5xx` and `429` responses (after `Retry-After`, if longer than the delay) instead
    /// of failing, which is what browsers do. Default: `false`.
    pub retry_server_errors: bool,
    /// Bytes reserved in the storage for a redirect's `Location`. Default: 256.
    pub max_location: usize,
    /// Limits for the event parser; its data gets the storage left. Default: [`Limits::DEFAULT`].
    pub limits: Limits,
    /// The content codings the caller decodes, asked for with `Accept-Encoding` (see
    /// [`Session::poll_ready_with`]); a stream in another coding fails
    /// ([`Failure::ContentEncoding`]). Default: [`Codings::NONE`].
    pub decodes: Codings,
}

impl Config {
    /// The defaults.
    pub const fn new() -> Self {
        Config {
            initial_delay: DEFAULT_RETRY,
            max_delay: Duration::from_secs(60),
            jitter_percent: 20,
            healthy_after: Duration::from_secs(10),
            retry_budget: None,
            response_timeout: Some(Duration::from_secs(30)),
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: None,
            max_redirects: 10,
            retry_server_errors: false,
            max_location: 256,
            limits: Limits::DEFAULT,
            decodes: Codings::NONE,
        }
    }

    /// Sets the reconnection time until the server sends `retry`.
    pub const fn initial_delay(self, initial_delay: Duration) -> Self {
        Config {
            initial_delay,
            ..self
        }
    }

    /// Sets the longest the delay grows to by backing off.
    pub const fn max_delay(self, max_delay: Duration) -> Self {
        Config { max_delay, ..self }
    }

    /// Sets the random jitter, as a percentage of each delay (0 to 100; more counts as 100).
    pub const fn jitter_percent(self, jitter_percent: u8) -> Self {
        Config {
            jitter_percent,
            ..self
        }
    }

    /// Sets how long a silent stream must stay open to reset the count of failures.
    pub const fn healthy_after(self, healthy_after: Duration) -> Self {
        Config {
            healthy_after,
            ..self
        }
    }

    /// Sets the failed attempts in a row after which the client gives up (`None`: never).
    pub const fn retry_budget(self, retry_budget: Option<u32>) -> Self {
        Config {
            retry_budget,
            ..self
        }
    }

    /// Sets the time for the response head (`None`: forever).
    pub const fn response_timeout(self, response_timeout: Option<Duration>) -> Self {
        Config {
            response_timeout,
            ..self
        }
    }

    /// Sets the time to open a connection (`None`: as long as the connector takes).
    pub const fn connect_timeout(self, connect_timeout: Option<Duration>) -> Self {
        Config {
            connect_timeout,
            ..self
        }
    }

    /// Sets the longest an open stream may go without a byte of body (`None`: forever).
    pub const fn read_timeout(self, read_timeout: Option<Duration>) -> Self {
        Config {
            read_timeout,
            ..self
        }
    }

    /// Sets the redirects followed in a row before failing.
    pub const fn max_redirects(self, max_redirects: u8) -> Self {
        Config {
            max_redirects,
            ..self
        }
    }

    /// Sets whether `5xx` and `429` responses are retried instead of failing.
    pub const fn retry_server_errors(self, retry_server_errors: bool) -> Self {
        Config {
            retry_server_errors,
            ..self
        }
    }

    /// Sets the bytes reserved in the storage for a redirect's `Location`.
    pub const fn max_location(self, max_location: usize) -> Self {
        Config {
            max_location,
            ..self
        }
    }

    /// Sets the limits of the event parser.
    pub const fn limits(self, limits: Limits) -> Self {
        Config { limits, ..self }
    }

    /// Sets the content codings the caller decodes.
    pub const fn decodes(self, decodes: Codings) -> Self {
        Config { decodes, ..self }
    }

    /// The storage, in bytes, that gives a [`Client`] exactly these settings: the
    /// [`max_location`](Config::max_location) and the parser's
    /// [`storage_len`](Limits::storage_len) (saturating: with the default, unlimited data, it
    /// is `usize::MAX`; set [`Limits::data`] first).
    #[must_use]
    pub const fn storage_len(&self) -> usize {
        self.max_location.saturating_add(self.limits.storage_len())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

/// What a [`Session`] asks for besides the URL: the method, extra headers and a body, sent
/// the same on the first request and on every reconnection (LLM streaming APIs `POST` a JSON
/// body; feature-flag feeds use `REPORT`). Plain data with `const fn` setters.
///
/// ```
/// use ssewire::client::Request;
///
/// let request = Request::new()
///     .method("POST")
///     .headers(&[("Content-Type", "application/json")])
///     .body(br#"{"stream":true}"#);
/// assert_eq!(request.method, "POST");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
#[must_use]
pub struct Request<'a> {
    /// The method, a token (`GET`, `POST`, `REPORT`, ...; case matters). Default: `GET`.
    pub method: &'a str,
    /// Extra headers, as (name, value) pairs, checked as
    /// [`http::Request::headers`](crate::http::Request::headers) says: no control characters,
    /// and none of the headers the session writes itself (`Host`, `Accept`, `Cache-Control`,
    /// `Last-Event-ID`, `Content-Length`, `Transfer-Encoding`). Default: none.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, sent after the head with its `Content-Length`. A request other than `GET`
    /// or `HEAD` always says its length (`Content-Length: 0` for none). Default: empty.
    pub body: &'a [u8],
    /// The HTTP proxies to go through. Default: none.
    pub proxies: Proxies<'a>,
}

impl<'a> Request<'a> {
    /// A `GET` without extra headers or a body.
    pub const fn new() -> Self {
        Request {
            method: "GET",
            headers: &[],
            body: &[],
            proxies: Proxies::new(),
        }
    }

    /// Sets the method.
    pub const fn method(self, method: &'a str) -> Self {
        Request { method, ..self }
    }

    /// Sets the extra headers.
    pub const fn headers(self, headers: &'a [(&'a str, &'a str)]) -> Self {
        Request { headers, ..self }
    }

    /// Sets the body.
    pub const fn body(self, body: &'a [u8]) -> Self {
        Request { body, ..self }
    }

    /// Sets the proxies.
    pub const fn proxies(self, proxies: Proxies<'a>) -> Self {
        Request { proxies, ..self }
    }
}

impl Default for Request<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Why the client stopped for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Failure {
    /// The server answered `204 No Content`: it wants the client to stop.
    NoContent,
    /// The server answered with this status, which is not `200` (nor a redirect).
    Status(u16),
    /// The response is not `text/event-stream`.
    ContentType,
    /// The stream is compressed (`Content-Encoding`) in a coding the caller does not decode
    /// ([`Config::decodes`]): a stream the server should not have sent, since
    /// `Accept-Encoding` asked only for those (or, with none, sent no `Accept-Encoding`).
    ContentEncoding,
    /// A redirect without a `Location` (or one longer than [`Config::max_location`]).
    BadRedirect,
    /// More than [`Config::max_redirects`] redirects in a row.
    TooManyRedirects,
    /// A redirect from `https://` to `http://`, which browsers block: the stream would leave
    /// TLS.
    InsecureRedirect,
    /// [`Config::retry_budget`] consecutive attempts failed.
    RetryBudgetExhausted,
    /// A proxy answered `407`: it wants credentials, or refused the ones given, which will
    /// not change by retrying.
    ProxyAuthentication,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoContent => f.write_str("server answered 204 no content"),
            Failure::Status(status) => write!(f, "server answered status {status}"),
            Failure::ContentType => f.write_str("response is not text/event-stream"),
            Failure::ContentEncoding => f.write_str("response body is encoded (compressed)"),
            Failure::BadRedirect => f.write_str("redirect without a usable location"),
            Failure::TooManyRedirects => f.write_str("too many redirects"),
            Failure::InsecureRedirect => f.write_str("redirect from https to http refused"),
            Failure::RetryBudgetExhausted => f.write_str("retry budget exhausted"),
            Failure::ProxyAuthentication => f.write_str("proxy authentication required"),
        }
    }
}

impl core::error::Error for Failure {}

/// Where the client stands, as `EventSource.readyState` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// Connecting or waiting to reconnect.
    Connecting,
    /// The stream is open: body bytes are events.
    Open,
    /// Stopped for good: failed ([`Client::poll_failure`]) or closed.
    Closed,
}

/// A connection to open, from [`Client::poll_connect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Connect<'a> {
    /// A redirect target to connect to instead of the original URL: the `Location` given,
    /// made absolute against the previous redirect's target if it followed one, so that a
    /// relative target left is relative to the original URL.
    pub location: Option<&'a str>,
    /// The value of the `Last-Event-ID` header; send none if empty.
    pub last_event_id: &'a str,
}

/// What the client is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A connection is to be opened; `poll_connect` has not said so yet.
    Connect,
    /// Connecting, then waiting for the response head until `deadline`, once connected.
    Request { deadline: Option<Instant> },
    /// The stream is open since `since`; `delivered` once a byte of its body arrived.
    Open { since: Instant, delivered: bool },
    /// Waiting until `until` to reconnect.
    Wait { until: Instant },
    /// Stopped.
    Closed,
}

/// The reconnecting client state machine. See the [module docs](self) for the call order.
///
/// It owns an event [`Parser`] over the storage `B` it is given (`&mut [u8]` lent by the
/// caller, or a `Vec<u8>` or array it owns), minus [`Config::max_location`] bytes in front for a
/// redirect target; the last event ID lives there.
#[derive(Debug)]
pub struct Client<B> {
    config: Config,
    /// The parser, over the storage after the first `split` bytes, which hold the location.
    parser: Parser<Tail<B>>,
    /// Length of the redirect target in `location`, if connecting to one.
    location_len: Option<usize>,
    phase: Phase,
    body: BodyDecoder,
    failure: Option<Failure>,
    /// The connection in use is to be dropped.
    abort: bool,
    /// A wait to reconnect began that [`poll_wait`](Client::poll_wait) did not report yet.
    wait_begun: bool,
    /// Why the body of the last connection broke, until taken.
    pub(crate) fault: Option<Fault>,
    /// The open stream's content coding, if compressed.
    coding: Option<Compressed>,
    /// The reconnection time: `initial_delay` until the server sends `retry`.
    retry: Duration,
    /// Attempts in a row that did not end in a healthy connection.
    failures: u32,
    redirects: u8,
    rng: u64,
}

/// Why the body of a connection broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Its chunked framing.
    Framing(ChunkedError),
    /// Its compressed bytes.
    Corrupt,
}

/// A compressed stream's coding, and whether its decoder was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compressed {
    Fresh(Coding),
    Started(Coding),
}

/// Storage after its first `start` bytes: the parser's part of a client's storage.
#[derive(Clone, Debug)]
struct Tail<B> {
    storage: B,
    start: usize,
}

impl<B: AsRef<[u8]>> AsRef<[u8]> for Tail<B> {
    fn as_ref(&self) -> &[u8] {
        self.storage.as_ref().get(self.start..).unwrap_or_default()
    }
}

impl<B: AsMut<[u8]>> AsMut<[u8]> for Tail<B> {
    fn as_mut(&mut self) -> &mut [u8] {
        self.storage
            .as_mut()
            .get_mut(self.start..)
            .unwrap_or_default()
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Client<B> {
    /// A client about to connect, with `storage` for the redirect target and the parser (see
    /// [`Config::storage_len`]). `seed` seeds the jitter; give each client a different one.
    pub fn new(storage: B, config: Config, seed: u64) -> Self {
        let start = config.max_location.min(storage.as_ref().len());
        Client {
            config,
            parser: Parser::with_limits(Tail { storage, start }, config.limits),
            location_len: None,
            phase: Phase::Connect,
            body: BodyDecoder::new(crate::http::Body::Close),
            failure: None,
            abort: false,
            wait_begun: false,
            fault: None,
            coding: None,
            retry: config.initial_delay,
            failures: 0,
            redirects: 0,
            rng: mix(seed),
        }
    }

    /// Where the client stands.
    #[must_use]
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Open { .. } => State::Open,
            Phase::Closed => State::Closed,
            Phase::Connect | Phase::Request { .. } | Phase::Wait { .. } => State::Connecting,
        }
    }

    /// The last event ID, sent as `Last-Event-ID` on reconnection.
    #[must_use]
    pub fn last_event_id(&self) -> &str {
        self.parser.last_event_id()
    }

    /// Sets the last event ID, to resume from an ID saved earlier: it is sent as
    /// `Last-Event-ID` with the next request.
    ///
    /// # Errors
    ///
    /// [`ParseError::IdTooLong`] if `id` is over the
    /// [`Limits::id`] of [`Config::limits`]; nothing changes then.
    pub fn set_last_event_id(&mut self, id: &str) -> Result<(), crate::parse::ParseError> {
        self.parser.set_last_event_id(id)
    }

    /// The reconnection time now in force (before backoff and jitter).
    #[must_use]
    pub fn reconnection_time(&self) -> Duration {
        self.retry
    }

    /// A connection to open now, once per attempt; `None` if there is none to open.
    #[must_use]
    pub fn poll_connect(&mut self) -> Option<Connect<'_>> {
        if self.phase != Phase::Connect {
            return None;
        }
        self.phase = Phase::Request { deadline: None };
        Some(self.connect())
    }

    /// The connection the current attempt is for.
    fn connect(&self) -> Connect<'_> {
        let location = self.location_len.map(|len| {
            let bytes = self.parser.storage().storage.as_ref().get(..len);
            crate::utf8::text(bytes.unwrap_or_default()).unwrap_or_default()
        });
        Connect {
            location,
            last_event_id: self.parser.last_event_id(),
        }
    }

    /// When [`handle_timeout`](Client::handle_timeout) is due: the end of the wait before a
    /// reconnection, or the deadline for the response head.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Wait { until } => Some(until),
            Phase::Request { deadline } => deadline,
            _ => None,
        }
    }

    /// How long the client waits before its next attempt: `Some` once each time a stream or
    /// an attempt ended and a wait began (a browser's `error` event, `readyState` back to
    /// connecting), `None` otherwise. For showing the reconnection time and the backoff;
    /// [`poll_timeout`](Client::poll_timeout) is what times the wait.
    #[must_use]
    pub fn poll_wait(&mut self, now: Instant) -> Option<Duration> {
        match self.phase {
            Phase::Wait { until } if core::mem::take(&mut self.wait_begun) => {
                Some(until.saturating_duration_since(now))
            }
            _ => None,
        }
    }

    /// Whether to drop the connection in use: `true` once after the client gave up on it (the
    /// response head came too late, the body ended by its framing or the framing broke, a
    /// retried error response). The client already waits to reconnect.
    #[must_use]
    pub fn poll_abort(&mut self) -> bool {
        core::mem::take(&mut self.abort)
    }

    /// Why the client stopped for good, if it failed.
    #[must_use]
    pub fn poll_failure(&self) -> Option<Failure> {
        self.failure
    }

    /// The connection asked for by [`poll_connect`](Client::poll_connect) is open and the
    /// request is on its way: the [`Config::response_timeout`] starts.
    pub fn handle_connected(&mut self, now: Instant) {
        if let Phase::Request { deadline: None } = self.phase {
            self.phase = Phase::Request {
                deadline: self.config.response_timeout.map(|t| now + t),
            };
        }
    }

    /// The response head arrived (read with [`crate::http::read_response`]).
    ///
    /// Interim `1xx` heads are skipped: pass the next head too.
    pub fn handle_response_head(&mut self, now: Instant, head: &ResponseHead<'_>) {
        if !matches!(self.phase, Phase::Request { .. }) {
            return;
        }
        match head.status {
            100 | 102 | 103 => {}
            200 if head.is_event_stream() && head.is_encoded() => {
                // One coding the caller decodes, or none of this.
                let coding = head
                    .content_encoding
                    .and_then(|c| Coding::from_name(c.trim_ascii().as_bytes()));
                match coding.filter(|&coding| self.config.decodes.contains(coding)) {
                    Some(coding) => {
                        self.open(now, head);
                        self.coding = Some(Compressed::Fresh(coding));
                    }
                    None => self.fail(Failure::ContentEncoding),
                }
            }
            200 if head.is_event_stream() => self.open(now, head),
            200 => self.fail(Failure::ContentType),
            204 => self.fail(Failure::NoContent),
            407 => self.fail(Failure::ProxyAuthentication),
            301 | 302 | 303 | 307 | 308 => self.redirect(head.location),
            429 | 500..=599 if self.config.retry_server_errors => {
                let at_least = Duration::from_secs(head.retry_after.unwrap_or(0));
                self.abort = true;
                self.reconnect(now, at_least, true);
            }
            status => self.fail(Failure::Status(status)),
        }
    }

    /// Feeds the bytes of the body as they arrive (chunked framing included: the client
    /// decodes what the head announced) and returns the next item they complete, advancing
    /// `body` past what was consumed; `None` once `body` is used up. Call it in a loop, like
    /// [`Parser::feed`]. A `retry` field takes effect at once.
    ///
    /// When the body ends by its framing (the last chunk, or `Content-Length` bytes), or its
    /// chunked framing is broken, the client is done with the connection: it waits to
    /// reconnect, and [`poll_abort`](Client::poll_abort) asks to drop the connection. Bytes
    /// that arrive while the stream is not open are dropped.
    pub fn handle_body(
        &mut self,
        now: Instant,
        body: &mut &[u8],
    ) -> Option<Result<Item<'_>, ParseError>> {
        let ready = self.handle_body_ready(now, body)?;
        Some(ready.map(|ready| self.resolve(ready)))
    }

    /// Like [`handle_body`](Client::handle_body), but hands back a [`Ready`] that does not
    /// borrow the client, for loops that return the item from inside; see
    /// [`Parser::feed_ready`].
    pub fn handle_body_ready(
        &mut self,
        now: Instant,
        body: &mut &[u8],
    ) -> Option<Result<Ready, ParseError>> {
        self.handle_body_ready_with(now, body, &mut NoDecoding)
    }

    /// [`handle_body_ready`](Client::handle_body_ready) for a stream that may be compressed:
    /// a body in a [`Coding`] goes through `decoder` ([`content_coding`](Client::content_coding)
    /// says which), started afresh for each stream. Corrupt input ends the connection as a
    /// broken framing does. Call it with an empty `body` too while the decoder holds output.
    pub fn handle_body_ready_with<D: Decode>(
        &mut self,
        now: Instant,
        body: &mut &[u8],
        decoder: &mut D,
    ) -> Option<Result<Ready, ParseError>> {
        let Phase::Open { delivered, .. } = &mut self.phase else {
            *body = &[];
            return None;
        };
        *delivered |= !body.is_empty();
        let progress = match self.coding {
            Some(compressed) if D::ACTIVE => {
                if let Compressed::Fresh(coding) = compressed {
                    decoder.start(coding);
                    self.coding = Some(Compressed::Started(coding));
                }
                let mut sink = decode::Decoding {
                    decoder,
                    parser: &mut self.parser,
                    failed: false,
                };
                // What was decoded already goes first: the framing may have ended after it.
                let progress = match sink.drain() {
                    Some(ready) => Progress::Item(ready),
                    None => self.body.feed_into(&mut sink, body),
                };
                if sink.failed {
                    self.fault = Some(Fault::Corrupt);
                    Progress::End
                } else {
                    progress
                }
            }
            // Compressed, and no decoder to read it with: not events.
            Some(_) => {
                self.fault = Some(Fault::Corrupt);
                Progress::End
            }
            None => self.body.feed_ready(&mut self.parser, body),
        };
        match progress {
            Progress::Item(ready) => {
                if let Ok(ms) = ready.as_ref().map(Ready::retry) {
                    self.retry = ms.map_or(self.retry, Duration::from_millis);
                }
                Some(ready)
            }
            Progress::NeedMore => None,
            ended @ (Progress::End | Progress::Malformed(_)) => {
                if let Progress::Malformed(error) = ended {
                    self.fault = Some(Fault::Framing(error));
                }
                // Done with this connection: what is left of `body` is not the stream's.
                *body = &[];
                self.abort = true;
                self.connection_lost(now);
                None
            }
        }
    }

    /// The content coding of the open stream, if it is compressed (see
    /// [`Config::decodes`]).
    #[must_use]
    pub fn content_coding(&self) -> Option<Coding> {
        match self.phase {
            Phase::Open { .. } => match self.coding? {
                Compressed::Fresh(coding) | Compressed::Started(coding) => Some(coding),
            },
            _ => None,
        }
    }

    /// The item a [`Ready`] from the last [`handle_body_ready`](Client::handle_body_ready)
    /// stands for.
    #[must_use]
    pub fn resolve(&self, ready: Ready) -> Item<'_> {
        self.parser.resolve(ready)
    }

    /// Whether the open stream's body marks its own end (chunked, or `Content-Length`): then
    /// the connection closing while the stream is [`Open`](State::Open) cut the body short,
    /// which a caller may want to report before [`handle_end_of_body`](Client::handle_end_of_body).
    /// A close-delimited body ends when the connection does.
    #[must_use]
    pub fn is_body_delimited(&self) -> bool {
        matches!(self.phase, Phase::Open { .. }) && self.body.is_delimited()
    }

    /// The body ended: the server closed the stream. Reconnects after the reconnection time.
    pub fn handle_end_of_body(&mut self, now: Instant) {
        self.connection_lost(now);
    }

    /// Connecting, sending or receiving failed. Reconnects after the reconnection time.
    pub fn handle_io_error(&mut self, now: Instant) {
        self.connection_lost(now);
    }

    /// Time passed. At [`poll_timeout`](Client::poll_timeout) or later, a waiting client asks
    /// to connect again, and a client still waiting for a response head gives up on it.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Wait { until } if now >= until => self.phase = Phase::Connect,
            Phase::Request {
                deadline: Some(deadline),
            } if now >= deadline => {
                self.abort = true;
                self.connection_lost(now);
            }
            _ => {}
        }
    }

    /// Drops the attempt or stream in progress and connects again now, without waiting: the
    /// last event ID and the server's `retry` stay, and the next
    /// [`poll_connect`](Client::poll_connect) asks for the original URL. A restart is not a
    /// failure: the count of failures stays as it is, except that a stream ended this way
    /// that was healthy (it delivered a byte, or stayed open
    /// [`healthy_after`](Config::healthy_after)) resets it, as its end would have. Nothing
    /// happens once the client is [`Closed`](State::Closed).
    pub fn restart(&mut self, now: Instant) {
        match self.phase {
            Phase::Closed => return,
            Phase::Open { since, delivered } if self.healthy(now, since, delivered) => {
                self.failures = 0;
            }
            _ => {}
        }
        self.parser.reset();
        self.location_len = None;
        self.redirects = 0;
        self.abort = false;
        self.fault = None;
        self.wait_begun = false;
        self.phase = Phase::Connect;
    }

    /// Stops the client for good, whatever it was doing.
    pub fn close(&mut self) {
        self.phase = Phase::Closed;
    }

    fn connection_lost(&mut self, now: Instant) {
        match self.phase {
            Phase::Open { since, delivered } => {
                // As browsers: a stream that opened and delivered its body is a success, and
                // the next wait is the reconnection time itself; one that opened and stayed
                // silent counts as a failure unless it stayed open `healthy_after`.
                let success = self.healthy(now, since, delivered);
                if success {
                    self.failures = 0;
                }
                self.reconnect(now, Duration::ZERO, !success);
            }
            Phase::Request { .. } => self.reconnect(now, Duration::ZERO, true),
            Phase::Connect | Phase::Wait { .. } | Phase::Closed => {}
        }
    }

    /// Whether a stream open since `since` was healthy at `now`.
    fn healthy(&self, now: Instant, since: Instant, delivered: bool) -> bool {
        delivered || now.saturating_duration_since(since) >= self.config.healthy_after
    }

    /// Schedules a reconnection to the original URL, waiting at least `at_least`; the attempt
    /// that ended counts as failed if `failed`, for the backoff and the budget.
    fn reconnect(&mut self, now: Instant, at_least: Duration, failed: bool) {
        self.parser.reset();
        self.location_len = None;
        self.redirects = 0;
        if self
            .config
            .retry_budget
            .is_some_and(|budget| self.failures >= budget)
        {
            return self.fail(Failure::RetryBudgetExhausted);
        }
        let delay = self.delay().max(at_least);
        if failed {
            self.failures = self.failures.saturating_add(1);
        }
        self.phase = Phase::Wait { until: now + delay };
        self.wait_begun = true;
    }

    /// The wait before the next attempt: the reconnection time doubled for each consecutive
    /// failure, capped, plus jitter.
    fn delay(&mut self) -> Duration {
        let base = self.retry.as_millis();
        let cap = self.config.max_delay.as_millis().max(base);
        let backed_off = base
            .checked_shl(self.failures)
            .filter(|d| d >> self.failures == base)
            .map_or(cap, |d| d.min(cap));
        let jitter_span =
            backed_off.saturating_mul(u64::from(self.config.jitter_percent.min(100))) / 100;
        let jitter = if jitter_span == 0 {
            0
        } else {
            self.random() % (jitter_span + 1)
        };
        Duration::from_millis(backed_off.saturating_add(jitter))
    }

    /// The stream of `head` opened.
    fn open(&mut self, now: Instant, head: &ResponseHead<'_>) {
        self.phase = Phase::Open {
            since: now,
            delivered: false,
        };
        self.body = BodyDecoder::new(head.body);
        self.coding = None;
        self.redirects = 0;
        self.parser.reset();
    }

    fn redirect(&mut self, location: Option<&str>) {
        let room = self.parser.storage().start;
        let Some(location) = location.filter(|l| !l.is_empty()) else {
            return self.fail(Failure::BadRedirect);
        };
        if self.redirects >= self.config.max_redirects {
            return self.fail(Failure::TooManyRedirects);
        }
        self.redirects += 1;
        // The new target goes after the previous one, resolved against it (a relative
        // `Location` is relative to the URL that sent it, not to the original), then to
        // the front.
        let previous = self.location_len.unwrap_or(0);
        let storage = self.parser.storage_mut().storage.as_mut();
        let storage = storage.get_mut(..room).unwrap_or_default();
        let (before, free) = storage.split_at_mut(previous.min(storage.len()));
        let Some(len) = rebase(before, location.as_bytes(), free) else {
            return self.fail(Failure::BadRedirect);
        };
        storage.copy_within(previous..previous + len, 0);
        self.location_len = Some(len);
        self.phase = Phase::Connect;
    }

    pub(crate) fn fail(&mut self, failure: Failure) {
        self.failure = Some(failure);
        self.phase = Phase::Closed;
    }

    /// xorshift64*: plenty for jitter.
    fn random(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Writes into `out` the redirect target `location` as seen from the previous one,
/// `previous` (empty for the original URL, against which the session resolves it): an
/// absolute or scheme-relative `previous` lends its scheme (and authority, and path) to a
/// `location` that lacks them. Returns the length, `None` if `out` is too small.
fn rebase(previous: &[u8], location: &[u8], out: &mut [u8]) -> Option<usize> {
    let end_of = |bytes: &[u8], stop: &[u8]| {
        bytes
            .iter()
            .position(|b| stop.contains(b))
            .unwrap_or(bytes.len())
    };
    // `previous` splits as scheme `:` | `//authority` | path | `?query`.
    let colon = end_of(previous, b":/?#");
    let scheme_end = if previous.get(colon) == Some(&b':') {
        colon + 1
    } else {
        0
    };
    let after_scheme = previous.get(scheme_end..).unwrap_or_default();
    let authority_end = if after_scheme.starts_with(b"//") {
        scheme_end + 2 + end_of(after_scheme.get(2..).unwrap_or_default(), b"/?#")
    } else {
        scheme_end
    };
    let path_end = authority_end + end_of(previous.get(authority_end..).unwrap_or_default(), b"?#");
    let keep = match location {
        [b'/', b'/', ..] => scheme_end,
        [b'/', ..] => authority_end,
        [b'?', ..] => path_end,
        [b'#', ..] => path_end + end_of(previous.get(path_end..).unwrap_or_default(), b"#"),
        _ => 0,
    };
    copy(out, &[previous.get(..keep)?, location])
}

/// `parts` one after the other at the front of `out`: their length, `None` if too long.
fn copy(out: &mut [u8], parts: &[&[u8]]) -> Option<usize> {
    let mut len = 0;
    for part in parts {
        out.get_mut(len..len + part.len())?.copy_from_slice(part);
        len += part.len();
    }
    Some(len)
}

/// splitmix64's finalizer: spreads nearby seeds apart; never zero, which xorshift cannot leave.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)).max(1)
}
