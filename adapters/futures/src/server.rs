//! A ready SSE server: accept loop, routing, limits, keep-alive, graceful shutdown.

use core::fmt;
use core::future::Future;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_lite::future::or;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ssewire::encode::Event as Encode;
use ssewire::http::{Cors, ErrorResponse, Framing, PlainResponse, WriteError, EMPTY_HEADER};
pub use ssewire::server::CorsOrigins;
pub use ssewire::server::CorsPolicy;
use ssewire::server::{BodyPart, Handshake, HandshakeError, RequestBody, Stream, MAX_HEADERS};

use crate::hub::{Ended, Hub, TopicError, Topics};
use crate::rt::{millis, Clock, Runtime};
use crate::stream::write;
#[cfg(feature = "tls")]
pub use crate::tls::{ServerTls, TlsError};
use crate::Item;

/// How a [`Server`] runs. Plain data with a `const fn` constructor; every limit has a sane
/// default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[must_use]
pub struct Config {
    /// The listen backlog: connections the kernel queues before they are accepted. std's
    /// default, 128, drops connections under a burst of clients. Default: 1024.
    pub listen_backlog: i32,
    /// Connections whose request head has arrived, open at once; over it a request is
    /// answered as [`over_capacity`](Config::over_capacity) says. Connections still sending
    /// their head are not counted (so slow-loris clients cannot take the places of real
    /// ones): [`max_pending`](Config::max_pending) bounds them. Default: `None`, derived from
    /// the process's limit of open files when the server binds ([`Limits::derive`]), so
    /// that as many streams as the process can hold work out of the box.
    pub max_connections: Option<usize>,
    /// Connections still sending their request head, at once (each for at most
    /// [`head_timeout`](Config::head_timeout)). When one more comes, the one that has been
    /// sending its head the longest is closed, unanswered (there is no request to answer
    /// yet; [`ServerStats::shed`] counts them): a real client sends its head at once, a
    /// slow-loris one holds it, so newcomers always get their turn. Default: `None`, derived
    /// as [`max_connections`](Config::max_connections) is.
    pub max_pending: Option<usize>,
    /// What to answer over capacity. Default: `503` with `Retry-After: 5`.
    pub over_capacity: OverCapacity,
    /// Bytes a request head may take; more is answered `431`. Default: 8192.
    pub max_head: usize,
    /// Header fields a request may have; more is answered `431`. Default: 32.
    pub max_headers: usize,
    /// Time a client has to send its whole request head (against slow-loris clients); past
    /// it the connection is dropped. Default: 10 s.
    pub head_timeout: Duration,
    /// Bytes a request body may take (`Content-Length` or chunked); more is answered `413`.
    /// Default: 64 KiB.
    pub max_body: usize,
    /// Time a client has to send its whole request body once the head arrived; past it the
    /// request is answered `408`. Default: 30 s.
    pub body_timeout: Duration,
    /// Time a write may take; a client that takes no bytes for this long is dropped.
    /// Default: 30 s.
    pub write_timeout: Duration,
    /// A keep-alive comment is sent after this much idle time on a stream (each event
    /// restarts the count); `None` for never. Default: 15 s.
    pub keep_alive: Option<Duration>,
    /// A `retry` value (milliseconds) sent first on each stream, the client's reconnection
    /// time; `None` to leave the client's default. Default: `None`.
    pub retry: Option<u64>,
    /// The stream's body framing for HTTP/1.1 clients (HTTP/1.0 ones get close-delimited).
    /// Default: [`Framing::Chunked`].
    pub framing: Framing,
    /// CORS: which origins' pages may read streams and replies, and the answer to
    /// preflights ([`CorsPolicy`]); off by default (no CORS headers, and a preflight goes to
    /// the router as any `OPTIONS` request).
    pub cors: Option<CorsPolicy<'static>>,
    /// How long [`Server::run`] waits, after [`Shutdown::shutdown`], for connections to end.
    /// Default: 5 s.
    pub shutdown_timeout: Duration,
}

/// The connection limits a [`Server`] runs with: [`Config::max_connections`] and
/// [`Config::max_pending`], or what they are derived to when not set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Connections whose request head arrived, at once.
    pub max_connections: usize,
    /// Connections still sending their head, at once.
    pub max_pending: usize,
}

impl Limits {
    /// File descriptors kept for everything else: the listener, the runtime's, files.
    pub const RESERVED: usize = 64;

    /// The limits `config` sets, the rest derived from `open_files`, the process's limit of
    /// open files (`RLIMIT_NOFILE`'s soft limit; `None` where unknown or unlimited, then
    /// 4096 and 8192): of the descriptors left after [`RESERVED`](Limits::RESERVED),
    /// three quarters for connections whose head arrived and the rest for those still
    /// sending it, each a socket. With 20,000 open files: 14,952 streams and 4,984 pending;
    /// with 1,024: 720 and 240. Raise the limit (`ulimit -n`) for more.
    #[must_use]
    pub fn derive(config: &Config, open_files: Option<u64>) -> Self {
        let budget = open_files
            .and_then(|n| usize::try_from(n).ok())
            .map(|n| n.saturating_sub(Self::RESERVED).max(4));
        let streams = budget.map_or(4096, |n| n / 4 * 3);
        let max_connections = config.max_connections.unwrap_or(streams);
        let pending = budget.map_or(8192, |n| n.saturating_sub(max_connections).max(n / 4));
        Limits {
            max_connections,
            max_pending: config.max_pending.unwrap_or(pending),
        }
    }

    /// The limits `config` sets, the rest derived from this process's limit of open files.
    #[must_use]
    pub fn of(config: &Config) -> Self {
        Self::derive(config, open_files())
    }
}

/// The soft limit of open files of this process, if it has one.
#[cfg(unix)]
fn open_files() -> Option<u64> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    limit.current
}

#[cfg(not(unix))]
fn open_files() -> Option<u64> {
    None
}

/// What a [`Server`] answers when [`Config::max_connections`] are open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OverCapacity {
    /// `503 Service Unavailable` with `Retry-After` (seconds). A browser's `EventSource` gives
    /// up for good on it; other clients come back later.
    Unavailable {
        /// Seconds, in `Retry-After`.
        retry_after: u64,
    },
    /// To a request for a stream: a `200` stream that carries only `retry: ms` and ends, so
    /// browsers back off and come back (other requests get the `503`).
    RetryLater {
        /// The reconnection time sent, in milliseconds.
        retry_ms: u64,
    },
}

impl Config {
    /// The defaults.
    pub const fn new() -> Self {
        Config {
            listen_backlog: 1024,
            max_connections: None,
            max_pending: None,
            over_capacity: OverCapacity::Unavailable { retry_after: 5 },
            max_head: 8192,
            max_headers: 32,
            head_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            keep_alive: Some(Duration::from_secs(15)),
            retry: None,
            framing: Framing::Chunked,
            cors: None,
            shutdown_timeout: Duration::from_secs(5),
            max_body: 64 << 10,
            body_timeout: Duration::from_secs(30),
        }
    }

    /// Sets the bytes a request body may take.
    pub const fn max_body(self, bytes: usize) -> Self {
        Config {
            max_body: bytes,
            ..self
        }
    }

    /// Sets the time a client has to send its request body.
    pub const fn body_timeout(self, timeout: Duration) -> Self {
        Config {
            body_timeout: timeout,
            ..self
        }
    }

    /// Sets the listen backlog.
    pub const fn listen_backlog(self, backlog: i32) -> Self {
        Config {
            listen_backlog: backlog,
            ..self
        }
    }

    /// Sets what to answer over capacity.
    pub const fn over_capacity(self, over_capacity: OverCapacity) -> Self {
        Config {
            over_capacity,
            ..self
        }
    }

    /// Sets the bytes a request head may take.
    pub const fn max_head(self, bytes: usize) -> Self {
        Config {
            max_head: bytes,
            ..self
        }
    }

    /// Sets the header fields a request may have (at most
    /// [`MAX_HEADERS`]; more counts as that).
    pub const fn max_headers(self, fields: usize) -> Self {
        Config {
            max_headers: fields,
            ..self
        }
    }

    /// Sets the time a write may take.
    pub const fn write_timeout(self, timeout: Duration) -> Self {
        Config {
            write_timeout: timeout,
            ..self
        }
    }

    /// Sets how long [`Server::run`] waits for connections to end after a shutdown.
    pub const fn shutdown_timeout(self, timeout: Duration) -> Self {
        Config {
            shutdown_timeout: timeout,
            ..self
        }
    }

    /// Sets the most connections open at once.
    pub const fn max_connections(self, max: usize) -> Self {
        Config {
            max_connections: Some(max),
            ..self
        }
    }

    /// Sets the connections still sending their head, at most.
    pub const fn max_pending(self, max: usize) -> Self {
        Config {
            max_pending: Some(max),
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

    /// Sets the `retry` value sent first on each stream.
    pub const fn retry(self, milliseconds: u64) -> Self {
        Config {
            retry: Some(milliseconds),
            ..self
        }
    }

    /// Adds CORS headers to streams.
    pub const fn cors(self, cors: CorsPolicy<'static>) -> Self {
        Config {
            cors: Some(cors),
            ..self
        }
    }

    /// Sets the time a client has to send its request head.
    pub const fn head_timeout(self, timeout: Duration) -> Self {
        Config {
            head_timeout: timeout,
            ..self
        }
    }

    /// Sets the framing of streams.
    pub const fn framing(self, framing: Framing) -> Self {
        Config { framing, ..self }
    }

    /// The core's handshake and stream settings for this configuration.
    fn handshake(&self) -> ssewire::server::Config<'static> {
        let mut config = ssewire::server::Config::new().framing(self.framing);
        if let Some(policy) = self.cors {
            // Room for the longest origin allowed; each answer names its own.
            config = config.cors(policy.longest());
        }
        config
            .max_headers(self.max_headers)
            .head_timeout(millis(self.head_timeout))
            .keep_alive(self.keep_alive.map(millis))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// A request, as a [`Server`]'s router sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Request {
    /// The method, such as `GET`.
    pub method: String,
    /// The request target, query included, such as `/events?topic=a`.
    pub target: String,
    /// The `Last-Event-ID` sent, if not empty.
    pub last_event_id: Option<String>,
    /// The client's address.
    pub peer: SocketAddr,
    /// Every header field, in the order sent: name, and value with the whitespace around it
    /// removed. See [`header`](Request::header).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The request body, whole (`Content-Length` or chunked, decoded), at most
    /// [`Config::max_body`] bytes; empty for none.
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the first header field called `name` (any case), if it is UTF-8: for
    /// `Authorization`, `Cookie`, `Accept`, `Origin` or a header of your own.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_all(name).next()
    }

    /// The UTF-8 values of every header field called `name` (any case), in order.
    pub fn header_all<'r>(&'r self, name: &str) -> impl Iterator<Item = &'r str> + 'r {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(move |(field, _)| field.eq_ignore_ascii_case(&name))
            .filter_map(|(_, value)| core::str::from_utf8(value).ok())
    }

    /// The path without the query: `/events` for `/events?topic=a`.
    #[must_use]
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query, without `?`, if there is one.
    #[must_use]
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// The topics the request asks for, at most `max`: the comma-separated names of the
    /// query's `topics` parameters (`/events?topics=prices,notes`; a comma may come as
    /// `%2C`, as `URLSearchParams` writes it; `topics=a&topics=b` adds up), or else of a
    /// `Topics` header field (`Topics: prices, notes`, for clients that set headers). For
    /// [`Subscribe::topics`].
    ///
    /// # Errors
    ///
    /// [`TopicError::Missing`] when the request names none, and the errors of
    /// [`Topics::parse`]: answer them with a `400` ([`Reply::text`]), their text says why.
    pub fn topics(&self, max: usize) -> Result<Topics, TopicError> {
        let from_query: Vec<String> = self
            .query()
            .unwrap_or_default()
            .split('&')
            .filter_map(|pair| pair.strip_prefix("topics="))
            .map(|value| {
                percent_encoding::percent_decode_str(value)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let lists: Vec<&str> = if from_query.is_empty() {
            self.header_all("topics").collect()
        } else {
            from_query.iter().map(String::as_str).collect()
        };
        let names = lists
            .into_iter()
            .flat_map(|list| list.split(','))
            .map(|name| {
                if from_query.is_empty() {
                    name.trim()
                } else {
                    name
                }
            });
        Topics::from_names(names, max)
    }
}

/// What a [`Server`] does with a request: the router's answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Route {
    /// An event stream from this hub (a `GET` is required; another method gets `405`).
    Stream(Hub),
    /// As [`Stream`](Route::Stream), with a hook told when this connection's stream ends and
    /// why, and a signal that ends it without closing the hub.
    Subscribe(Subscribe),
    /// An event stream of this connection's own (a `GET` is required): one job's progress,
    /// one answer; it ends when the stream of items does.
    Events(Events),
    /// A plain response.
    Reply(Reply),
    /// `404 Not Found`.
    NotFound,
}

/// The items of one connection's event stream, for [`Route::Events`]: any
/// [`Stream`](futures_lite::Stream) of [`Item`]s (events, comments, `retry` values), written
/// as they come, with the keep-alives of the server's config in the pauses. When the stream
/// ends, the event stream ends cleanly (the last chunk, for a chunked one) and the connection
/// closes; a client then reconnects after its reconnection time, unless it is told otherwise
/// (a `204` for a finished job, or `Hub`'s replay for one that should resume).
///
/// An event that cannot be encoded (an event type or id with CR or LF) ends the stream
/// there, as [`End::Invalid`]: the client never sees half of it.
pub struct Events {
    items: core::pin::Pin<Box<dyn futures_lite::Stream<Item = Item> + Send>>,
    on_end: Option<Box<dyn FnOnce(End) + Send>>,
}

impl Events {
    /// The event stream of `items`.
    pub fn new(items: impl futures_lite::Stream<Item = Item> + Send + 'static) -> Self {
        Events {
            items: Box::pin(items),
            on_end: None,
        }
    }

    /// Calls `hook` once when this connection's stream ends, with why: for freeing what the
    /// stream held, or counting.
    #[must_use]
    pub fn on_end(self, hook: impl FnOnce(End) + Send + 'static) -> Self {
        Events {
            on_end: Some(Box::new(hook)),
            ..self
        }
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("on_end", &self.on_end.is_some())
            .finish_non_exhaustive()
    }
}

/// One connection's subscription to a [`Hub`], for [`Route::Subscribe`]: replay after the
/// request's `Last-Event-ID`, then live events, as [`Route::Stream`] gives, and also
///
/// - [`on_end`](Subscribe::on_end): a hook told once why the stream ended ([`End`]: the
///   client went, it fell behind and was evicted, the server shut down, the hub closed or
///   the signal fired);
/// - [`until`](Subscribe::until): a future (a logout, a session that expires, a job's end)
///   that ends this connection's stream cleanly when it completes, the hub and its other
///   subscribers going on.
///
/// ```
/// use ssewire_futures::server::{Route, Subscribe};
/// use ssewire_futures::{Hub, HubConfig};
///
/// let hub = Hub::new(HubConfig::new());
/// let (logout, logged_out) = async_channel::bounded::<()>(1);
/// let route = Route::Subscribe(
///     Subscribe::new(hub)
///         .until(async move {
///             let _ = logged_out.recv().await;
///         })
///         .on_end(|why| eprintln!("stream ended: {why:?}")),
/// );
/// # drop((route, logout));
/// ```
pub struct Subscribe {
    hub: Hub,
    topics: Option<Topics>,
    on_end: Option<Box<dyn FnOnce(End) + Send>>,
    until: Option<core::pin::Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Subscribe {
    /// A subscription to `hub`.
    #[must_use]
    pub fn new(hub: Hub) -> Self {
        Subscribe {
            hub,
            topics: None,
            on_end: None,
            until: None,
        }
    }

    /// Subscribes to `topics` only ([`Hub::subscribe_to`]), as [`Request::topics`] reads
    /// them: the events of several topics on one stream.
    #[must_use]
    pub fn topics(self, topics: Topics) -> Self {
        Subscribe {
            topics: Some(topics),
            ..self
        }
    }

    /// Calls `hook` once when this connection's stream ends, with why.
    #[must_use]
    pub fn on_end(self, hook: impl FnOnce(End) + Send + 'static) -> Self {
        Subscribe {
            on_end: Some(Box::new(hook)),
            ..self
        }
    }

    /// Ends this connection's stream cleanly ([`End::Finished`]) when `signal` completes.
    #[must_use]
    pub fn until(self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        Subscribe {
            until: Some(Box::pin(signal)),
            ..self
        }
    }
}

impl Subscribe {
    /// Subscribed before the head goes out: whatever is published once the client has seen
    /// it reaches the client.
    fn source(self, last_event_id: Option<&str>) -> Source {
        Source::Hub {
            subscription: match &self.topics {
                Some(topics) => self.hub.subscribe_to(topics, last_event_id),
                None => self.hub.subscribe(last_event_id),
            },
            on_end: self.on_end,
            until: self.until,
        }
    }
}

impl fmt::Debug for Subscribe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscribe")
            .field("hub", &self.hub)
            .field("topics", &self.topics)
            .field("on_end", &self.on_end.is_some())
            .field("until", &self.until.is_some())
            .finish()
    }
}

/// Why a connection's event stream ended, as [`Events::on_end`] and [`Subscribe::on_end`]
/// report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum End {
    /// The stream of items ended, the hub closed, or a [`Subscribe::until`] signal fired:
    /// the event stream was finished cleanly.
    Finished,
    /// The client went away, or stopped reading for longer than the write timeout.
    ClientGone,
    /// The server was shut down.
    Shutdown,
    /// The client fell behind by more than a hub's backlog and was dropped (a
    /// [`Route::Stream`]); it resumes from the replay window when it reconnects.
    Evicted,
    /// An event could not be encoded (an event type or id with CR or LF); nothing of it was
    /// sent.
    Invalid,
}

/// A plain HTTP response, with a body, for what is not an event stream (a page, a JSON
/// answer). Sent with `Content-Length` and `Connection: close` (`204` and `304`: without type,
/// length or body), written by the core's checked [`PlainResponse`].
///
/// Headers are checked when added ([`header`](Reply::header)): one that is reserved
/// (`Content-Type`, `Content-Length`, `Transfer-Encoding`, `Connection`: the reply sets its own
/// framing) or holds a control byte is refused with a typed error. A status that is not a final
/// one (under 200), or a content type with a control byte, is sent as a `500`
/// ([`check`](Reply::check) says why beforehand).
///
/// The request body, if any, is read before the router is asked ([`Request::body`]); bytes
/// after it (a pipelined request) are read and dropped after the reply, and the connection
/// closes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Reply {
    status: u16,
    content_type: Cow<'static, str>,
    headers: Vec<(String, String)>,
    body: Cow<'static, [u8]>,
}

impl Reply {
    /// A response with this status, content type and body.
    pub fn new(
        status: u16,
        content_type: impl Into<Cow<'static, str>>,
        body: impl Into<Cow<'static, [u8]>>,
    ) -> Self {
        Reply {
            status,
            content_type: content_type.into(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// `204 No Content`: what tells a browser's `EventSource` to stop reconnecting.
    pub fn no_content() -> Self {
        Self::new(204, "", &b""[..])
    }

    /// `200` with an HTML page.
    pub fn html(body: impl Into<Cow<'static, str>>) -> Self {
        Self::new(200, "text/html; charset=utf-8", cow_bytes(body.into()))
    }

    /// `200` with JSON.
    pub fn json(body: impl Into<Cow<'static, str>>) -> Self {
        Self::new(200, "application/json", cow_bytes(body.into()))
    }

    /// A plain-text response with this status.
    pub fn text(status: u16, body: impl Into<Cow<'static, str>>) -> Self {
        Self::new(status, "text/plain; charset=utf-8", cow_bytes(body.into()))
    }

    /// Adds a header field.
    ///
    /// # Errors
    ///
    /// [`WriteError::InvalidHeaderName`] for a name that is not a token,
    /// [`WriteError::InvalidHeaderValue`] for a value with a control byte (CR, LF, NUL, ...),
    /// [`WriteError::ReservedHeader`] for `Content-Type`, `Content-Length`,
    /// `Transfer-Encoding` or `Connection`. The reply is dropped then.
    pub fn header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, WriteError> {
        let (name, value) = (name.into(), value.into());
        let one = [(name.as_str(), value.as_str())];
        PlainResponse::new(200, "", 0).headers(&one).encoded_len()?;
        self.headers.push((name, value));
        Ok(self)
    }

    /// The status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the reply can be sent as it is.
    ///
    /// # Errors
    ///
    /// [`WriteError::InvalidStatus`] for a status under 200 or over 999,
    /// [`WriteError::InvalidHeaderValue`] for a content type with a control byte: the reply
    /// is sent as a `500` then.
    pub fn check(&self) -> Result<(), WriteError> {
        self.with_head(|head| head.encoded_len().map(drop))
    }

    /// The bytes on the wire: head and body; a `500` if the reply cannot be sent as it is.
    fn encode(&self) -> Vec<u8> {
        let encoded = self.with_head(|head| {
            let mut bytes = vec![0; head.encoded_len()?];
            head.encode(&mut bytes)?;
            if head.has_body() {
                bytes.extend_from_slice(&self.body);
            }
            Ok(bytes)
        });
        encoded.unwrap_or_else(|_| Reply::text(500, "invalid response\n").encode())
    }

    /// Calls `f` with the core's head of this reply.
    fn with_head<T>(
        &self,
        f: impl FnOnce(PlainResponse<'_>) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let length = u64::try_from(self.body.len()).unwrap_or(u64::MAX);
        f(PlainResponse::new(self.status, &self.content_type, length).headers(&headers))
    }
}

fn cow_bytes(text: Cow<'static, str>) -> Cow<'static, [u8]> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    }
}

/// Stops a [`Server`]: cheap to clone, usable from any task or thread.
#[derive(Clone, Debug)]
pub struct Shutdown {
    signal: async_channel::Sender<()>,
}

impl Shutdown {
    /// Stops accepting connections and ends every stream cleanly (the last chunk, when
    /// chunked, then the connection is closed); [`Server::run`] returns once all connections
    /// are closed, or after [`Config::shutdown_timeout`].
    pub fn shutdown(&self) {
        self.signal.close();
    }

    /// Whether [`shutdown`](Shutdown::shutdown) was called.
    #[must_use]
    pub fn is_shutdown(&self) -> bool {
        self.signal.is_closed()
    }
}

/// A future this module keeps.
type BoxFuture<T> = core::pin::Pin<Box<dyn Future<Output = T> + Send>>;

/// The router: picks a [`Route`] for each request, at once or after awaiting something.
type Router = dyn Fn(Request) -> BoxFuture<Route> + Send + Sync;

/// What the connection tasks share.
struct Context {
    config: Config,
    limits: Limits,
    handshake: ssewire::server::Config<'static>,
    /// The request head buffer's length: [`Config::max_head`] and room for the `200` head.
    head_len: usize,
    router: Box<Router>,
    /// Connections open.
    open: AtomicUsize,
    /// Connections whose request head arrived: what [`Config::max_connections`] bounds.
    admitted: AtomicUsize,
    /// Connections still sending their head, oldest first, each with the sender that sheds
    /// it when dropped ([`Config::max_pending`]).
    pending: Mutex<BTreeMap<u64, async_channel::Sender<()>>>,
    next_pending: AtomicU64,
    stop: async_channel::Receiver<()>,
    counters: Counters,
}

/// The statuses [`ServerStats::answered`] counts one by one; others count together.
const STATUSES: [u16; 12] = [200, 204, 400, 401, 403, 404, 405, 408, 413, 429, 431, 503];

/// Why streams ended, in [`ServerStats::ended`]'s order.
const ENDS: [End; 5] = [
    End::Finished,
    End::ClientGone,
    End::Shutdown,
    End::Evicted,
    End::Invalid,
];

/// What a server counts as it goes; read with [`Stats::snapshot`].
#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    shed: AtomicU64,
    streams: AtomicU64,
    streams_open: AtomicU64,
    /// Per status of [`STATUSES`], then the others.
    answered: [AtomicU64; STATUSES.len() + 1],
    ended: [AtomicU64; ENDS.len()],
    frames: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    fn answered(&self, status: u16) {
        event!(debug, status, "answered");
        let at = STATUSES
            .iter()
            .position(|&s| s == status)
            .unwrap_or(STATUSES.len());
        self.answered[at].fetch_add(1, Ordering::Relaxed);
    }

    fn wrote(&self, bytes: usize) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    fn ended(&self, why: End) {
        match why {
            End::Evicted => event!(warn, "stream ended: the client fell behind and was evicted"),
            End::Invalid => event!(warn, "stream ended: an event could not be encoded"),
            _ => event!(debug, ?why, "stream ended"),
        }
        if let Some(at) = ENDS.iter().position(|&e| e == why) {
            self.ended[at].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A handle on a [`Server`]'s counters, which stays usable while [`Server::run`] owns the
/// server: see [`Server::stats`].
#[derive(Clone)]
pub struct Stats {
    context: Arc<Context>,
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

impl Stats {
    /// The counters now. Each is read on its own (relaxed): a snapshot taken while
    /// connections come and go may be off by the ones in flight.
    #[must_use]
    pub fn snapshot(&self) -> ServerStats {
        let counters = &self.context.counters;
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        ServerStats {
            accepted: load(&counters.accepted),
            shed: load(&counters.shed),
            open: self.context.open.load(Ordering::Relaxed),
            streams: load(&counters.streams),
            streams_open: load(&counters.streams_open),
            answered: counters.answered.each_ref().map(load),
            ended: counters.ended.each_ref().map(load),
            frames_written: load(&counters.frames),
            bytes_written: load(&counters.bytes),
        }
    }
}

/// A [`Server`]'s counters at one moment, from [`Stats::snapshot`]: for a metrics endpoint,
/// a log line, a test.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ServerStats {
    /// Connections accepted (or given to [`Server::serve_connection`]).
    pub accepted: u64,
    /// Connections closed at once, unanswered, because [`Config::max_pending`] connections
    /// were still sending their heads.
    pub shed: u64,
    /// Connections open now.
    pub open: usize,
    /// Event streams opened.
    pub streams: u64,
    /// Event streams open now.
    pub streams_open: u64,
    answered: [u64; STATUSES.len() + 1],
    ended: [u64; ENDS.len()],
    /// Frames written to streams: publications, items, keep-alives and the `retry` sent
    /// first.
    pub frames_written: u64,
    /// Bytes written to streams, framing included (heads and replies not counted).
    pub bytes_written: u64,
}

impl ServerStats {
    /// Requests answered with `status` without a stream: replies, error responses (`400`,
    /// `404`, `405`, `408`, `413`, `431`, `503`) and preflights (`204`, `403`). Statuses
    /// other than 200, 204, 400, 401, 403, 404, 405, 408, 413, 429, 431 and 503 count
    /// together, under any of them.
    #[must_use]
    pub fn answered(&self, status: u16) -> u64 {
        let at = STATUSES
            .iter()
            .position(|&s| s == status)
            .unwrap_or(STATUSES.len());
        self.answered[at]
    }

    /// Streams that ended for `why` ([`End::Evicted`]: subscribers too slow for their hub's
    /// backlog).
    #[must_use]
    pub fn ended(&self, why: End) -> u64 {
        ENDS.iter()
            .position(|&e| e == why)
            .map_or(0, |at| self.ended[at])
    }
}

/// An SSE server on runtime `R`: it accepts connections, reads each request head within a
/// time limit, asks the router what to do with it, and streams a [`Hub`]'s events, with
/// keep-alives, to each subscriber until the hub closes, the client goes, or the server shuts
/// down.
///
/// Each connection is a task of its own; a slow client never holds up another (see
/// [`HubConfig::backlog`](crate::HubConfig::backlog)). Requests over the limits are answered
/// `400` (malformed head), `405` (a stream asked with a method other than `GET`), `404`
/// ([`Route::NotFound`]), `431` (head too large) and `503` (over capacity).
pub struct Server<R: Runtime> {
    listener: R::TcpListener,
    local_addr: SocketAddr,
    context: Arc<Context>,
    signal: async_channel::Sender<()>,
    /// TLS for every connection accepted, if set.
    #[cfg(feature = "tls")]
    tls: Option<futures_rustls::TlsAcceptor>,
}

impl<R: Runtime> fmt::Debug for Server<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("config", &self.context.config)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Server<R> {
    /// A server listening on `addr` (port 0 picks a free port: see
    /// [`local_addr`](Server::local_addr)) with the listen backlog of `config`, routing
    /// requests with `router`.
    ///
    /// # Errors
    ///
    /// The address does not resolve, or the socket cannot be bound or registered.
    pub fn bind<F>(addr: impl ToSocketAddrs, config: Config, router: F) -> io::Result<Self>
    where
        F: Fn(&Request) -> Route + Send + Sync + 'static,
    {
        let router = move |request: Request| -> BoxFuture<Route> {
            Box::pin(core::future::ready(router(&request)))
        };
        Self::bind_boxed(addr, config, Box::new(router))
    }

    /// As [`bind`](Server::bind), with a router that may await (a session or token lookup, a
    /// database): it gets each request, body included, and its future answers the route.
    /// The connection waits for it; nothing times it out (the router bounds its own waits).
    ///
    /// ```no_run
    /// use ssewire_futures::rt::Smol;
    /// use ssewire_futures::server::{Config, Reply, Request, Route, Server};
    /// use ssewire_futures::{Hub, HubConfig};
    ///
    /// # async fn valid(_token: Option<&str>) -> bool { true }
    /// let hub = Hub::new(HubConfig::new());
    /// let server = Server::<Smol>::bind_async("127.0.0.1:8080", Config::new(), move |request: Request| {
    ///     let hub = hub.clone();
    ///     async move {
    ///         let token = request.header("Authorization").and_then(|v| v.strip_prefix("Bearer "));
    ///         if valid(token).await {
    ///             Route::Stream(hub)
    ///         } else {
    ///             Route::Reply(Reply::text(401, "a bearer token, please\n"))
    ///         }
    ///     }
    /// })?;
    /// # let _ = server;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`bind`](Server::bind).
    pub fn bind_async<F, Fut>(
        addr: impl ToSocketAddrs,
        config: Config,
        router: F,
    ) -> io::Result<Self>
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Route> + Send + 'static,
    {
        let router = move |request: Request| -> BoxFuture<Route> { Box::pin(router(request)) };
        Self::bind_boxed(addr, config, Box::new(router))
    }

    fn bind_boxed(
        addr: impl ToSocketAddrs,
        config: Config,
        router: Box<Router>,
    ) -> io::Result<Self> {
        let handshake = config.handshake();
        let head_len = handshake
            .head_buffer_len(config.max_head)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        let addr = addr.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "address resolves to nothing")
        })?;
        let listener = listen(addr, config.listen_backlog)?;
        let local_addr = listener.local_addr()?;
        let (signal, stop) = async_channel::bounded(1);
        Ok(Server {
            listener: R::listener(listener)?,
            local_addr,
            context: Arc::new(Context {
                limits: Limits::of(&config),
                config,
                handshake,
                head_len,
                router,
                open: AtomicUsize::new(0),
                admitted: AtomicUsize::new(0),
                pending: Mutex::new(BTreeMap::new()),
                next_pending: AtomicU64::new(0),
                stop,
                counters: Counters::default(),
            }),
            signal,
            #[cfg(feature = "tls")]
            tls: None,
        })
    }

    /// The address listened on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The connection limits it runs with: the config's, or derived from the process's
    /// limit of open files ([`Limits::derive`]).
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.context.limits
    }

    /// Speaks TLS on every connection it accepts (`https://`, feature `tls`): the handshake
    /// must end within [`Config::head_timeout`], as the request head must; then each
    /// connection is served as a plain one is.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(self, tls: &crate::tls::ServerTls) -> Self {
        Server {
            tls: Some(tls.acceptor()),
            ..self
        }
    }

    /// Serves one connection accepted elsewhere (a TLS stream handshaken already, a Unix
    /// socket, an in-memory pipe) as the listener loop serves its own: the same router,
    /// limits, connection count and keep-alives; its stream ends at a shutdown too. `peer` is
    /// what [`Request::peer`] says. [`run`](Server::run) does not wait for these connections
    /// when it shuts down. After a plain reply the connection's own `close` is all that ends
    /// the server's writing: a transport whose `close` does not half-close it (a plain TCP
    /// stream on some runtimes) is held until the client closes, at most two seconds.
    pub fn serve_connection(
        &self,
        io: impl Connection + 'static,
        peer: SocketAddr,
    ) -> impl Future<Output = ()> + Send + 'static {
        let context = self.context.clone();
        async move { serve::<R, _>(io, peer, &context, |_| Ok(())).await }
    }

    /// A handle that shuts the server down.
    #[must_use]
    pub fn shutdown_handle(&self) -> Shutdown {
        Shutdown {
            signal: self.signal.clone(),
        }
    }

    /// The server's counters: connections, streams, answers by status, why streams ended,
    /// what was written. The handle stays good after [`run`](Server::run) takes the server.
    #[must_use]
    pub fn stats(&self) -> Stats {
        Stats {
            context: self.context.clone(),
        }
    }

    /// Connections open now.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.context.open.load(Ordering::Relaxed)
    }

    /// Accepts and serves connections until [`Shutdown::shutdown`]; then stops accepting,
    /// ends every stream, and returns when all connections are closed or after
    /// [`Config::shutdown_timeout`].
    ///
    /// # Errors
    ///
    /// None yet: a failed `accept` (such as too many open files) is waited out and retried.
    /// The `Result` leaves room for fatal listener errors.
    pub async fn run(self) -> io::Result<()> {
        #[cfg(feature = "tls")]
        let tls = self.tls.clone();
        let Server {
            listener,
            context,
            signal,
            ..
        } = self;
        // Held to the end: with every sender dropped the stop signal would fire.
        let _signal = signal;
        // Every connection task holds a sender; all dropped: all connections closed.
        let (alive, all_closed) = async_channel::bounded::<()>(1);
        loop {
            let stop = context.stop.clone();
            let accepted = or(async { Some(R::accept(&listener).await) }, async move {
                let _ = stop.recv().await;
                None
            })
            .await;
            match accepted {
                None => break,
                Some(Ok((stream, peer))) => {
                    // Each frame is one write: nothing to gain from waiting for an ACK.
                    let _ = R::set_nodelay(&stream);
                    let context = context.clone();
                    let alive = alive.clone();
                    #[cfg(feature = "tls")]
                    let tls = tls.clone();
                    R::spawn(async move {
                        #[cfg(feature = "tls")]
                        if let Some(tls) = tls {
                            let timeout = context.config.head_timeout;
                            let handshake = with_timeout::<R, _>(timeout, tls.accept(stream));
                            if let Ok(stream) = handshake.await {
                                let tcp = |tls: &mut futures_rustls::server::TlsStream<_>| {
                                    R::shutdown_write(tls.get_mut().0)
                                };
                                serve::<R, _>(stream, peer, &context, tcp).await;
                            }
                            drop(alive);
                            return;
                        }
                        serve::<R, _>(stream, peer, &context, |tcp| R::shutdown_write(tcp)).await;
                        drop(alive);
                    });
                }
                // Out of file descriptors or a connection reset before it was accepted: wait
                // a little rather than spin.
                Some(Err(_error)) => {
                    event!(warn, error = %_error, "accept failed");
                    R::sleep(Duration::from_millis(10)).await;
                }
            }
        }
        drop(listener);
        drop(alive);
        or(
            async {
                let _ = all_closed.recv().await;
            },
            R::sleep(context.config.shutdown_timeout),
        )
        .await;
        Ok(())
    }
}

/// A listening socket on `addr` with this backlog.
fn listen(addr: SocketAddr, backlog: i32) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};

    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // A restarted server can bind while old connections linger in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Counts a connection open while it lives.
struct OpenGuard<'a>(&'a AtomicUsize);

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection still sending its request head, in [`Context::pending`] until its head
/// arrives or it ends.
struct Pending<'a> {
    context: &'a Context,
    id: u64,
    /// Closed when the connection is shed.
    shed: async_channel::Receiver<()>,
}

impl<'a> Pending<'a> {
    /// Counts a new connection in; over [`Config::max_pending`], the oldest is shed.
    fn join(context: &'a Context) -> Self {
        let id = context.next_pending.fetch_add(1, Ordering::Relaxed);
        let (sender, shed) = async_channel::bounded(1);
        let mut pending = context
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pending.insert(id, sender);
        if pending.len() > context.limits.max_pending {
            // Counted first: whoever sees the connection close sees it counted.
            context.counters.shed.fetch_add(1, Ordering::Relaxed);
            // Dropped: the oldest connection's head read ends.
            drop(pending.pop_first());
            event!(debug, "shed the connection longest sending its head");
        }
        Pending { context, id, shed }
    }

    /// Completes when this connection is shed.
    async fn shed(&self) {
        let _ = self.shed.recv().await;
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        let pending = &self.context.pending;
        let mut pending = pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.remove(&self.id);
    }
}

/// A connection a server can serve: any byte stream (TCP, TLS over it, a Unix socket).
pub trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// Serves one connection to its end.
///
/// `half_close` shuts down the writing half of the connection's transport after the answer
/// (the FIN that tells a client the reply is whole while the server still reads); the
/// stream's own `close` is called first (TLS sends its close_notify there).
async fn serve<R: Runtime, C: Connection>(
    mut stream: C,
    peer: SocketAddr,
    context: &Context,
    half_close: impl FnOnce(&mut C) -> io::Result<()>,
) {
    context.open.fetch_add(1, Ordering::Relaxed);
    let _guard = OpenGuard(&context.open);
    let counters = &context.counters;
    counters.accepted.fetch_add(1, Ordering::Relaxed);
    let pending = Pending::join(context);
    // Counted toward `max_connections` from its head on, as long as the connection lives.
    let mut admitted = None;
    let answered = answer::<R>(&mut stream, peer, pending, &mut admitted, context);
    #[cfg(feature = "tracing")]
    let answered =
        tracing::Instrument::instrument(answered, tracing::debug_span!("connection", %peer));
    match answered.await {
        Answered::Stream(source, events, clock) => {
            event!(debug, %peer, "stream opened");
            counters.streams.fetch_add(1, Ordering::Relaxed);
            counters.streams_open.fetch_add(1, Ordering::Relaxed);
            stream_events::<R>(&mut stream, events, clock, source, context).await;
            counters.streams_open.fetch_sub(1, Ordering::Relaxed);
            let _ = stream.close().await;
        }
        Answered::Replied => linger::<R, _>(&mut stream, half_close).await,
        Answered::Dropped => {}
    }
}

/// What became of a connection's request.
enum Answered {
    /// An event stream to serve, framed and timed by the core, on the connection's clock.
    Stream(Source, Stream, Clock),
    /// A response was sent (a reply, an error): the client may still be sending a body.
    Replied,
    /// Nothing was answered (no complete head in time), or the connection failed.
    Dropped,
}

/// How long, and how many bytes, [`linger`] reads at most before giving up on the client.
const LINGER: (Duration, usize) = (Duration::from_secs(2), 8 << 20);

/// Closes a connection that was answered without an event stream (a reply, an error), where
/// the client may still be sending: a request body the server
/// does not read. Closing with unread bytes resets the connection, and the client can lose the
/// reply it has not read yet; so writing is shut down first, and what comes in is read and
/// dropped until the client closes, or [`LINGER`] is spent.
async fn linger<R: Runtime, C: Connection>(
    stream: &mut C,
    half_close: impl FnOnce(&mut C) -> io::Result<()>,
) {
    if stream.flush().await.is_err() || stream.close().await.is_err() || half_close(stream).is_err()
    {
        return;
    }
    let (time, most) = LINGER;
    let mut buf = vec![0; 8192];
    let _ = with_timeout::<R, _>(time, async {
        let mut read = 0;
        while read < most {
            match stream.read(&mut buf).await? {
                0 => break,
                n => read += n,
            }
        }
        io::Result::Ok(())
    })
    .await;
}

/// Reads the request and answers it: the core's [`Handshake`] reads the head and writes the
/// answers, this loop moves the bytes.
async fn answer<'c, R: Runtime>(
    io: &mut impl Connection,
    peer: SocketAddr,
    pending: Pending<'c>,
    admitted: &mut Option<OpenGuard<'c>>,
    context: &'c Context,
) -> Answered {
    let config = &context.config;
    let clock = Clock::new();
    let buf = vec![0; context.head_len];
    let Ok(mut handshake) = Handshake::new(buf, &context.handshake, clock.now()) else {
        return Answered::Dropped;
    };
    // The whole head within its time limit (against slow-loris clients).
    let read = with_timeout::<R, _>(config.head_timeout, async {
        loop {
            match handshake.poll_request() {
                Some(Ok(_)) => return io::Result::Ok(None),
                Some(Err(error)) => return Ok(Some(error)),
                None => {}
            }
            let Some(window) = handshake.poll_read() else {
                return Ok(Some(HandshakeError::UnexpectedEof));
            };
            let n = io.read(window).await?;
            handshake.handle_received(clock.now(), n);
        }
    });
    // Shed for a newcomer: dropped as a timed-out head is.
    let read = or(read, async {
        pending.shed().await;
        Err(())
    })
    .await;
    drop(pending);
    match read {
        Ok(None) => {}
        // Malformed, or too large: the 400 or 431 it calls for is queued.
        Ok(Some(HandshakeError::Head(error))) => {
            context.counters.answered(error.response().status());
            return replied(send::<R>(io, &mut handshake, config).await);
        }
        // Timed out, cut, failed: nothing to answer.
        Ok(Some(_)) | Err(()) => return Answered::Dropped,
    }
    let open = context.admitted.fetch_add(1, Ordering::Relaxed) + 1;
    *admitted = Some(OpenGuard(&context.admitted));
    let mut fields = [EMPTY_HEADER; MAX_HEADERS];
    let Some(head) = handshake.request_fields(&mut fields) else {
        return Answered::Dropped;
    };
    let headers = fields.iter().take(head.header_count);
    let mut request = Request {
        method: head.method.to_owned(),
        target: head.target.to_owned(),
        last_event_id: head.last_event_id.map(str::to_owned),
        peer,
        headers: headers
            .map(|field| (field.name.to_owned(), field.value.to_vec()))
            .collect(),
        body: Vec::new(),
    };
    let framing = head.body;
    let origin = request.header("Origin").map(str::to_owned);
    let allowed = config
        .cors
        .zip(origin.as_deref())
        .and_then(|(policy, origin)| policy.allow(origin));
    if let Some(policy) = config.cors {
        if request.method == "OPTIONS" && request.header("Access-Control-Request-Method").is_some()
        {
            let mut answer = vec![0; 1024];
            let Ok(len) = policy.preflight(origin.as_deref(), &mut answer) else {
                return Answered::Dropped;
            };
            let allowed = policy
                .allow(origin.as_deref().unwrap_or_default())
                .is_some();
            context.counters.answered(if allowed { 204 } else { 403 });
            let answer = [&answer[..len]];
            let written = write(io, &answer);
            return replied(with_timeout::<R, _>(config.write_timeout, written).await);
        }
    }
    let streams = Streams {
        context,
        clock: &clock,
        cors: allowed,
    };
    if open > context.limits.max_connections {
        return over_capacity::<R>(io, handshake, &request, &streams).await;
    }
    let prefix = handshake.after_head().to_vec();
    request.body = match read_body::<R>(io, prefix, framing, config).await {
        Ok(body) => body,
        Err(Some(response)) => {
            if handshake.reject(response).is_err() {
                return Answered::Dropped;
            }
            context.counters.answered(response.status());
            return replied(send::<R>(io, &mut handshake, config).await);
        }
        Err(None) => return Answered::Dropped,
    };
    let last_event_id = request.last_event_id.clone();
    event!(debug, method = %request.method, target = %request.target, "request");
    match (context.router)(request).await {
        Route::NotFound => {
            if handshake.reject(ErrorResponse::NotFound).is_err() {
                return Answered::Dropped;
            }
            context.counters.answered(404);
            replied(send::<R>(io, &mut handshake, config).await)
        }
        Route::Reply(mut reply) => {
            if let Some(cors) = &allowed {
                let (headers, n) = CorsPolicy::headers(cors);
                for (name, value) in &headers[..n] {
                    reply
                        .headers
                        .push(((*name).to_owned(), (*value).to_owned()));
                }
            }
            context.counters.answered(reply.status());
            let bytes = reply.encode();
            replied(with_timeout::<R, _>(config.write_timeout, write(io, &[&bytes])).await)
        }
        Route::Stream(hub) => {
            let source = || Subscribe::new(hub).source(last_event_id.as_deref());
            open_stream::<R>(io, handshake, source, &streams).await
        }
        Route::Subscribe(subscribe) => {
            let source = || subscribe.source(last_event_id.as_deref());
            open_stream::<R>(io, handshake, source, &streams).await
        }
        Route::Events(events) => {
            open_stream::<R>(io, handshake, || Source::Items(events), &streams).await
        }
    }
}

/// Reads the request body that `framing` announces, the bytes read with the head first:
/// the body, or the error response to answer (`None`: the client went away).
async fn read_body<R: Runtime>(
    io: &mut impl Connection,
    prefix: Vec<u8>,
    framing: ssewire::http::Body,
    config: &Config,
) -> Result<Vec<u8>, Option<ErrorResponse>> {
    let mut body = RequestBody::new(framing, config.max_body).map_err(Some)?;
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let read = async {
        let mut whole = Vec::new();
        let mut input = prefix;
        let mut at = 0;
        loop {
            let mut rest = input.get(at..).unwrap_or_default();
            let before = rest.len();
            let part = body.feed(&mut rest).map_err(Some)?;
            at += before - rest.len();
            match part {
                Some(BodyPart::Data(data)) => whole.extend_from_slice(data),
                Some(BodyPart::End) => return Ok(whole),
                None => {
                    input.resize(8192, 0);
                    match io.read(&mut input).await {
                        Ok(0) | Err(_) => return Err(None),
                        Ok(n) => input.truncate(n),
                    }
                    at = 0;
                }
            }
        }
    };
    let timed = with_timeout::<R, _>(config.body_timeout, async { io::Result::Ok(read.await) });
    timed
        .await
        .unwrap_or(Err(Some(ErrorResponse::RequestTimeout)))
}

/// How a request's stream is opened: the shared settings, the connection's clock, and the
/// CORS headers its origin gets.
struct Streams<'a> {
    context: &'a Context,
    clock: &'a Clock,
    cors: Option<Cors<'a>>,
}

impl Streams<'_> {
    /// The core's settings for this request's `200` head.
    fn handshake(&self) -> ssewire::server::Config<'_> {
        let mut config = self.context.handshake;
        config.cors = self.cors;
        config
    }
}

/// Opens the event stream of the source `open` makes: the `200` head (or the `405` for a
/// method other than `GET`, and no source made: a hub is not subscribed to for it). The
/// source is made before the head goes out: what is published once the client has seen the
/// head reaches it.
async fn open_stream<R: Runtime>(
    io: &mut impl Connection,
    mut handshake: Handshake<Vec<u8>>,
    open: impl FnOnce() -> Source,
    streams: &Streams<'_>,
) -> Answered {
    let config = &streams.context.config;
    match handshake.open(&streams.handshake(), streams.clock.now()) {
        Ok(events) => {
            let source = open();
            match send::<R>(io, &mut handshake, config).await {
                Ok(()) => Answered::Stream(source, events, *streams.clock),
                Err(()) => {
                    source.end(End::ClientGone);
                    Answered::Dropped
                }
            }
        }
        // Another method than GET: the 405 is queued.
        Err(HandshakeError::Rejected(response)) => {
            streams.context.counters.answered(response.status());
            replied(send::<R>(io, &mut handshake, config).await)
        }
        Err(_) => Answered::Dropped,
    }
}

/// Sends what the handshake has to send, within the write timeout.
async fn send<R: Runtime>(
    io: &mut impl Connection,
    handshake: &mut Handshake<Vec<u8>>,
    config: &Config,
) -> Result<(), ()> {
    let answer = handshake.poll_transmit().unwrap_or_default();
    let len = answer.len();
    with_timeout::<R, _>(config.write_timeout, write(io, &[answer])).await?;
    handshake.handle_transmitted(len);
    Ok(())
}

/// What a written answer makes of the connection.
fn replied(written: Result<(), ()>) -> Answered {
    match written {
        Ok(()) => Answered::Replied,
        Err(()) => Answered::Dropped,
    }
}

/// Answers a request that came over capacity.
async fn over_capacity<R: Runtime>(
    io: &mut impl Connection,
    mut handshake: Handshake<Vec<u8>>,
    request: &Request,
    streams: &Streams<'_>,
) -> Answered {
    let config = &streams.context.config;
    let unavailable = match config.over_capacity {
        OverCapacity::RetryLater { retry_ms } if request.method == "GET" => {
            let Ok(events) = handshake.open(&streams.handshake(), streams.clock.now()) else {
                return replied(send::<R>(io, &mut handshake, config).await);
            };
            if send::<R>(io, &mut handshake, config).await.is_err() {
                return Answered::Dropped;
            }
            // A stream that only says when to come back, and ends.
            let mut buf = [0; 64];
            let retry = events.encode(&mut buf, |buf| Encode::empty().retry(retry_ms).encode(buf));
            let end = events.finish();
            let written = with_timeout::<R, _>(config.write_timeout, async {
                write(io, &[retry.unwrap_or_default(), end]).await
            });
            return replied(written.await);
        }
        OverCapacity::RetryLater { .. } => ErrorResponse::ServiceUnavailable { retry_after: 5 },
        OverCapacity::Unavailable { retry_after } => {
            ErrorResponse::ServiceUnavailable { retry_after }
        }
    };
    streams.context.counters.answered(unavailable.status());
    if handshake.reject(unavailable).is_err() {
        return Answered::Dropped;
    }
    replied(send::<R>(io, &mut handshake, config).await)
}

/// Writes the subscription's frames, and keep-alives when idle, until it ends.
/// Where a connection's event stream comes from.
enum Source {
    /// A hub's subscription: shared frames.
    Hub {
        subscription: crate::hub::Subscription,
        on_end: Option<Box<dyn FnOnce(End) + Send>>,
        until: Option<core::pin::Pin<Box<dyn Future<Output = ()> + Send>>>,
    },
    /// The connection's own items, encoded here.
    Items(Events),
}

/// What a [`Source`] gives next.
enum Frames {
    Shared(crate::hub::Encoded),
    Owned(Vec<u8>),
}

impl Frames {
    fn bytes(&self) -> &[u8] {
        match self {
            Frames::Shared(frames) => frames,
            Frames::Owned(frames) => frames,
        }
    }
}

impl Source {
    /// The next frames, or why there are none: [`End::Finished`] (the hub closed, the items
    /// ended), [`End::Evicted`] or [`End::Invalid`].
    async fn next(&mut self) -> Result<Frames, End> {
        match self {
            Source::Hub {
                subscription,
                until,
                ..
            } => {
                let received = async {
                    match subscription.recv().await {
                        Ok(frames) => Ok(Frames::Shared(frames)),
                        Err(Ended::Closed) => Err(End::Finished),
                        Err(_) => Err(End::Evicted),
                    }
                };
                let Some(until) = until else {
                    return received.await;
                };
                or(received, async {
                    until.as_mut().await;
                    Err(End::Finished)
                })
                .await
            }
            Source::Items(events) => {
                let Some(item) = futures_lite::StreamExt::next(&mut events.items).await else {
                    return Err(End::Finished);
                };
                item.encode().map(Frames::Owned).map_err(|_| End::Invalid)
            }
        }
    }

    /// The stream ended for `why`: the hook is told.
    fn end(self, why: End) {
        let hook = match self {
            Source::Hub { on_end, .. } | Source::Items(Events { on_end, .. }) => on_end,
        };
        if let Some(hook) = hook {
            hook(why);
        }
    }
}

async fn stream_events<R: Runtime>(
    io: &mut impl Connection,
    mut stream: Stream,
    clock: Clock,
    mut source: Source,
    context: &Context,
) {
    let why = pump::<R>(io, &mut stream, &clock, &mut source, context).await;
    context.counters.ended(why);
    source.end(why);
}

/// Writes the event stream until its source, the client or the server ends it; why.
async fn pump<R: Runtime>(
    io: &mut impl Connection,
    stream: &mut Stream,
    clock: &Clock,
    source: &mut Source,
    context: &Context,
) -> End {
    let config = &context.config;
    if let Some(ms) = config.retry {
        let mut buf = [0; 64];
        let retry = stream.encode(&mut buf, |buf| Encode::empty().retry(ms).encode(buf));
        let retry = retry.unwrap_or_default();
        let sent = with_timeout::<R, _>(config.write_timeout, async { write(io, &[retry]).await });
        if sent.await.is_err() {
            return End::ClientGone;
        }
        context.counters.wrote(retry.len());
        stream.handle_sent(clock.now());
    }
    enum Next {
        Frames(Result<Frames, End>),
        Idle,
        Stop,
    }
    // The keep-alive schedule is the core's: due an interval after the last byte sent.
    loop {
        let stop = context.stop.clone();
        let idle = stream.poll_timeout().map(|due| clock.until(due));
        let next = or(
            async { Next::Frames(source.next().await) },
            or(
                async move {
                    let _ = stop.recv().await;
                    Next::Stop
                },
                async move {
                    match idle {
                        Some(wait) => R::sleep(wait).await,
                        None => core::future::pending().await,
                    }
                    Next::Idle
                },
            ),
        )
        .await;
        let pieces = match next {
            Next::Frames(Ok(frames)) => {
                let frames = frames.bytes();
                let (header, trailer) = stream.around(frames.len());
                let header = header.as_ref().map_or(&[][..], |h| h.as_bytes());
                let len = header.len() + frames.len() + trailer.len();
                with_timeout::<R, _>(config.write_timeout, write(io, &[header, frames, trailer]))
                    .await
                    .map(|()| len)
            }
            Next::Idle => match stream.poll_keep_alive(clock.now()) {
                Some(keep_alive) => {
                    with_timeout::<R, _>(config.write_timeout, write(io, &[keep_alive]))
                        .await
                        .map(|()| keep_alive.len())
                }
                // Woken a little early: wait again.
                None => continue,
            },
            Next::Frames(Err(why @ (End::Finished | End::Invalid))) => {
                return finish::<R>(io, stream, config, why).await;
            }
            Next::Stop => return finish::<R>(io, stream, config, End::Shutdown).await,
            // Evicted: dropped without the last chunk; the client resumes from the replay
            // window.
            Next::Frames(Err(why)) => return why,
        };
        let Ok(len) = pieces else {
            return End::ClientGone;
        };
        context.counters.wrote(len);
        stream.handle_sent(clock.now());
    }
}

/// Ends the event stream cleanly (the last chunk, for a chunked one); returns `why`.
async fn finish<R: Runtime>(
    io: &mut impl Connection,
    stream: &Stream,
    config: &Config,
    why: End,
) -> End {
    let end = stream.finish();
    let _ = with_timeout::<R, _>(config.write_timeout, write(io, &[end])).await;
    why
}

/// `future`, or a timeout error after `timeout`.
async fn with_timeout<R: Runtime, T>(
    timeout: Duration,
    future: impl Future<Output = Result<T, impl fmt::Debug>>,
) -> Result<T, ()> {
    or(async { future.await.map_err(drop) }, async {
        R::sleep(timeout).await;
        Err(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            target: target.into(),
            last_event_id: None,
            peer: ([127, 0, 0, 1], 1).into(),
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.as_bytes().to_vec()))
                .collect(),
            body: Vec::new(),
        }
    }

    /// A target, header fields, and the topics or error expected.
    type Case<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        Result<&'a [&'a str], TopicError>,
    );

    #[test]
    fn topics_come_from_the_query_or_else_a_header() {
        let table: &[Case<'_>] = &[
            ("/e?topics=a,b", &[], Ok(&["a", "b"])),
            ("/e?topics=a%2Cb", &[], Ok(&["a", "b"])),
            ("/e?topics=a%2cb", &[], Ok(&["a", "b"])),
            ("/e?x=1&topics=a&topics=b", &[], Ok(&["a", "b"])),
            ("/e?topics=a", &[("Topics", "b")], Ok(&["a"])),
            ("/e", &[("Topics", "a, b")], Ok(&["a", "b"])),
            ("/e", &[("topics", "a"), ("Topics", "b")], Ok(&["a", "b"])),
            ("/e", &[], Err(TopicError::Missing)),
            ("/e?mytopics=a", &[], Err(TopicError::Missing)),
            ("/e?topics=", &[], Err(TopicError::Empty)),
            ("/e?topics=a+b", &[], Err(TopicError::Invalid)),
            ("/e?topics=a%0Aid:%202", &[], Err(TopicError::Invalid)),
            ("/e?topics=a,b,c,d", &[], Err(TopicError::TooMany)),
            ("/e", &[("Topics", "a,b,c,d")], Err(TopicError::TooMany)),
        ];
        for (target, headers, expected) in table {
            let got = request(target, headers).topics(3);
            let got = got.as_ref().map(|t| t.iter().collect::<Vec<_>>());
            let expected = expected.map(<[&str]>::to_vec);
            assert_eq!(got.map_err(|e| *e), expected, "{target} {headers:?}");
        }
    }
}
