//! A reconnecting client, as a browser's `EventSource`, on a runtime's TCP sockets: the loop
//! that drives the core's [`Session`] from [`Stream::poll_next`].

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::Arc;

pub use crate::error::ClientError;
pub use crate::proxy::{ProxyConfig, ProxyError};
use crate::rt::Runtime;
#[cfg(feature = "tls")]
pub use crate::tls::{CertificateProblem, MaybeTls, TcpTls, TlsConfig, TlsError};
use crate::Event;
use futures_lite::{AsyncRead, AsyncWrite, Stream};
use ssewire::client::{Client, Output, Session};
pub use ssewire::client::{Error, Failure, State, Target, TunnelError};
pub use ssewire::http::{Scheme, Url, UrlError};
use ssewire::parse::{Item, Limits};

/// What an [`EventSource`] yields besides errors.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Update {
    /// A stream opened (a browser's `open` event); its events follow.
    Open,
    /// An event.
    Event(Event),
    /// A comment (such as a keep-alive), without its colon and one leading space.
    Comment(String),
    /// A valid `retry` field: the reconnection time in milliseconds, which the client now
    /// waits before reconnecting.
    Retry(u64),
    /// The stream or the attempt ended (after the error that ended it, if any) and the
    /// client reconnects after this wait: the reconnection time, or more when backing off
    /// after failures (a browser's `error` event).
    Reconnecting(std::time::Duration),
}

/// The parser limits of this crate's readers by default: 16 MiB of data in one event (a
/// single JSON document of several MiB fits), and the core's defaults for the rest (an event
/// type of 64 bytes, ids of 128, comments of 128).
///
/// The storage for it is allocated zeroed when a stream starts, and the operating system
/// gives memory to its pages only as they are first written: a stream's memory grows with the
/// largest event it received, up to this bound, and no further.
pub const DEFAULT_LIMITS: Limits = Limits::DEFAULT.data(16 << 20);

/// How an [`EventSource`] connects and reconnects: a flat builder of `const fn` setters over
/// the core client's settings (see [`ssewire::client::Config`] for each), plus what this
/// crate adds. Times are [`std::time::Duration`]s (kept to the millisecond).
///
/// ```
/// use std::time::Duration;
/// use ssewire_futures::client::Config;
///
/// let config = Config::new()
///     .initial_delay(Duration::from_millis(500))
///     .retry_budget(Some(10))
///     .read_timeout(Some(Duration::from_secs(60)))
///     .method("POST")
///     .header("Authorization", "Bearer abc")
///     .header("Content-Type", "application/json")
///     .body(r#"{"stream":true}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Config {
    core: ssewire::client::Config,
    method: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    last_event_id: Option<String>,
    /// `None`: from the environment, when the source is made.
    proxy: Option<ProxyConfig>,
    buffer: usize,
}

/// Milliseconds of a [`std::time::Duration`], saturating.
const fn millis(duration: std::time::Duration) -> ssewire::client::Duration {
    let ms = duration.as_millis();
    ssewire::client::Duration::from_millis(if ms > u64::MAX as u128 {
        u64::MAX
    } else {
        ms as u64
    })
}

const fn millis_opt(duration: Option<std::time::Duration>) -> Option<ssewire::client::Duration> {
    match duration {
        Some(duration) => Some(millis(duration)),
        None => None,
    }
}

impl Config {
    /// The defaults: the core's, with [`DEFAULT_LIMITS`], an 8 KiB buffer, and `gzip` and
    /// `deflate` streams decoded (feature `gzip`).
    pub const fn new() -> Self {
        let mut core = ssewire::client::Config::new();
        core.limits = DEFAULT_LIMITS;
        #[cfg(feature = "gzip")]
        {
            core.decodes = ssewire::client::Codings::GZIP_DEFLATE;
        }
        Config {
            core,
            method: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            last_event_id: None,
            proxy: None,
            buffer: 8192,
        }
    }

    /// The reconnection time until the server sends `retry`. Default: 3 s.
    pub const fn initial_delay(mut self, delay: std::time::Duration) -> Self {
        self.core.initial_delay = millis(delay);
        self
    }

    /// The longest the delay grows to by backing off. Default: 60 s.
    pub const fn max_delay(mut self, delay: std::time::Duration) -> Self {
        self.core.max_delay = millis(delay);
        self
    }

    /// Random jitter added to each delay, as a percentage of it (0 to 100). Default: 20.
    pub const fn jitter_percent(mut self, percent: u8) -> Self {
        self.core.jitter_percent = percent;
        self
    }

    /// A silent connection open this long resets the count of failures (one that delivered a
    /// byte of its body always does). Default: 10 s.
    pub const fn healthy_after(mut self, time: std::time::Duration) -> Self {
        self.core.healthy_after = millis(time);
        self
    }

    /// Failed attempts in a row after which the client gives up; `None` for never. Default:
    /// `None`.
    pub const fn retry_budget(mut self, attempts: Option<u32>) -> Self {
        self.core.retry_budget = attempts;
        self
    }

    /// Time for the response head once connected; `None` waits forever. Default: 30 s.
    pub const fn response_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.core.response_timeout = millis_opt(timeout);
        self
    }

    /// Time to open a connection; `None` waits as long as the connector does. Default: 10 s.
    pub const fn connect_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.core.connect_timeout = millis_opt(timeout);
        self
    }

    /// How long an open stream may go without a byte (an event, a comment, a keep-alive);
    /// then the connection counts as lost
    /// ([`ReadTimeout`](ssewire::client::Error::ReadTimeout)) and the client reconnects with
    /// the last event ID. Set it above the server's keep-alive interval (15 s for ssewire's
    /// server). `None` waits forever. Default: `None`, as browsers.
    pub const fn read_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.core.read_timeout = millis_opt(timeout);
        self
    }

    /// Redirects followed in a row before failing. Default: 10.
    pub const fn max_redirects(mut self, redirects: u8) -> Self {
        self.core.max_redirects = redirects;
        self
    }

    /// Retry `5xx` and `429` responses (honouring `Retry-After`) instead of failing. Default:
    /// `false`, as browsers.
    pub const fn retry_server_errors(mut self, retry: bool) -> Self {
        self.core.retry_server_errors = retry;
        self
    }

    /// The parser limits. Default: [`DEFAULT_LIMITS`].
    pub const fn limits(mut self, limits: Limits) -> Self {
        self.core.limits = limits;
        self
    }

    /// Whether to ask for compressed streams (`Accept-Encoding: gzip, deflate`) and decode
    /// them as they arrive (feature `gzip`; about 75 KiB per compressed stream, made when one
    /// opens). Without, a server that compresses anyway fails the source
    /// ([`Failure::ContentEncoding`]). Default: `true` with the feature.
    pub const fn compression(mut self, compression: bool) -> Self {
        self.core.decodes = if compression && cfg!(feature = "gzip") {
            ssewire::client::Codings::GZIP_DEFLATE
        } else {
            ssewire::client::Codings::NONE
        };
        self
    }

    /// Bytes of the buffer for the request and response heads and for reads; it bounds the
    /// response head. At least 256 are used; the URL, the method, the headers and the body
    /// get room of their own on top. Default: 8192.
    pub const fn buffer(mut self, bytes: usize) -> Self {
        self.buffer = bytes;
        self
    }

    /// The request method, a token (`POST`, `REPORT`, ...; case matters), sent on every
    /// connection. Default: `GET`.
    pub fn method(self, method: impl Into<String>) -> Self {
        Config {
            method: method.into(),
            ..self
        }
    }

    /// A request body, sent with its `Content-Length` on the first request and on every
    /// reconnection (set its `Content-Type` with [`header`](Config::header)). A method other
    /// than `GET` or `HEAD` always says its length, `0` for none. Default: none.
    pub fn body(self, body: impl Into<Vec<u8>>) -> Self {
        Config {
            body: body.into(),
            ..self
        }
    }

    /// Adds a request header, sent with every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The HTTP proxies to go through. Default: [`ProxyConfig::from_env`], read when the
    /// source is made; [`ProxyConfig::none`] for none.
    pub fn proxy(self, proxy: ProxyConfig) -> Self {
        Config {
            proxy: Some(proxy),
            ..self
        }
    }

    /// Sets the `Last-Event-ID` of the first request, to resume from an ID saved earlier.
    pub fn last_event_id(self, id: impl Into<String>) -> Self {
        Config {
            last_event_id: Some(id.into()),
            ..self
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// A future this module keeps across polls.
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A connection, whatever the [`Connector`] gave.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// A [`Connector`] behind a pointer: one [`EventSource`] type for every connector.
trait Dial: Send + Sync {
    fn dial(&self, target: &Target<'_>) -> BoxFuture<io::Result<Box<dyn Connection>>>;
}

impl<C: Connector> Dial for C {
    fn dial(&self, target: &Target<'_>) -> BoxFuture<io::Result<Box<dyn Connection>>> {
        let connecting = self.connect(target);
        Box::pin(async move { Ok(Box::new(connecting.await?) as Box<dyn Connection>) })
    }
}

/// Where the connection stands.
enum Link {
    None,
    Connecting(BoxFuture<io::Result<Box<dyn Connection>>>),
    Open(Box<dyn Connection>),
}

/// A reconnecting event stream over HTTP, as a browser's `EventSource`, on runtime `R`'s
/// sockets and timers: a [`Stream`] of `Result<Update, ClientError>`.
///
/// Every protocol decision is the core [`Session`]'s: the request (`Accept:
/// text/event-stream`, `Cache-Control: no-cache`, `Last-Event-ID` once an event had an ID,
/// the extra headers), the status and content type, redirects, close-delimited,
/// `Content-Length` or chunked bodies, deadlines for connecting and for the response head,
/// and reconnecting after the reconnection time (the server's `retry` overrides it),
/// backing off with jitter on failures. [`poll_next`](Stream::poll_next) moves the bytes.
///
/// - `Ok(Update::Open)` each time a stream opens, `Ok(Update::Event(_))` for each event,
///   `Ok(Update::Comment(_))` for comments and `Ok(Update::Retry(_))` for each `retry` value
///   (which the client applies), in the order they came; `Ok(Update::Reconnecting(_))` when
///   a stream or an attempt ended, with the wait before the next;
/// - `Err(_)`: something went wrong on the way (connection refused, reset, a malformed
///   head, an event over a limit); the client goes on;
/// - `None` once it stopped for good: [`failure`](EventSource::failure) says why (a `204`,
///   another status, a wrong content type, the retry budget spent), or it was closed.
///
/// Dropping it closes the connection.
pub struct EventSource {
    session: Session<Vec<u8>>,
    dial: Arc<dyn Dial>,
    sleep: fn(std::time::Duration) -> BoxFuture<()>,
    origin: std::time::Instant,
    link: Link,
    /// The wait in progress, and the deadline it is for.
    timer: Option<(ssewire::client::Instant, BoxFuture<()>)>,
    /// For compressed streams, made when the first opens.
    #[cfg(feature = "gzip")]
    inflate: Option<Box<crate::inflate::Inflate>>,
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("url", &self.url())
            .field("state", &self.state())
            .field("last_event_id", &self.last_event_id())
            .finish_non_exhaustive()
    }
}

impl EventSource {
    /// An event source for `url` on runtime `R`'s TCP sockets, with TLS for `https://`
    /// (feature `tls`, on by default: Mozilla's roots, see [`TlsConfig`]); it connects when
    /// first polled.
    ///
    /// # Errors
    ///
    /// [`Error::Url`] for a URL that is not `http://` or `https://host[:port]/path`
    /// (`https://` is [`UrlError::UnsupportedScheme`] without the `tls` feature),
    /// [`Error::Request`] for an invalid method or header or a buffer too small,
    /// [`Error::Parse`] for a [`last_event_id`](Config::last_event_id) over the id limit.
    pub fn new<R: Runtime>(url: &str, config: Config) -> Result<Self, Error> {
        #[cfg(feature = "tls")]
        if let Ok(connector) = TcpTls::<R>::with_defaults() {
            return Self::with_connector::<R, _>(url, config, connector);
        }
        if Url::parse(url).map_err(Error::Url)?.scheme != Scheme::Http {
            return Err(Error::Url(UrlError::UnsupportedScheme));
        }
        Self::with_connector::<R, _>(url, config, Tcp::<R>::new())
    }

    /// An event source for `url` that opens its connections with `connector` (such as TLS
    /// over TCP), timed by runtime `R`.
    ///
    /// # Errors
    ///
    /// As [`new`](EventSource::new), except that any scheme [`Url`] parses is taken.
    pub fn with_connector<R: Runtime, C: Connector>(
        url: &str,
        config: Config,
        connector: C,
    ) -> Result<Self, Error> {
        let storage = vec![0; config.core.storage_len()];
        let mut client = Client::new(storage, config.core, seed());
        if let Some(id) = &config.last_event_id {
            client.set_last_event_id(id).map_err(Error::Parse)?;
        }
        let headers: Vec<(&str, &str)> = config
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let method = if config.method.is_empty() {
            "GET"
        } else {
            config.method.as_str()
        };
        let proxies = match &config.proxy {
            Some(proxy) => proxy.resolve(),
            None => ProxyConfig::from_env().resolve(),
        };
        let request = ssewire::client::Request::new()
            .method(method)
            .headers(&headers)
            .body(&config.body)
            .proxies(proxies.proxies());
        // Room for what the session keeps in front of its window.
        let buf = vec![0; config.buffer.max(256) + request.kept_len(url)?];
        Ok(EventSource {
            session: Session::with_request(client, buf, url, request)?,
            dial: Arc::new(connector),
            sleep: sleep::<R>,
            origin: std::time::Instant::now(),
            link: Link::None,
            timer: None,
            #[cfg(feature = "gzip")]
            inflate: None,
        })
    }

    /// The URL connected to (before redirects).
    #[must_use]
    pub fn url(&self) -> Url<'_> {
        self.session.url()
    }

    /// Where the client stands: connecting (or waiting to reconnect), open, or closed.
    #[must_use]
    pub fn state(&self) -> State {
        self.session.state()
    }

    /// Why the client stopped for good, if it failed.
    #[must_use]
    pub fn failure(&self) -> Option<Failure> {
        self.session.client().poll_failure()
    }

    /// The last event ID received (or given in [`Config::last_event_id`]).
    #[must_use]
    pub fn last_event_id(&self) -> &str {
        self.session.client().last_event_id()
    }

    /// Drops the connection and reconnects now, without waiting: the last event ID, the
    /// server's `retry` and the backoff stay (a restart is not a failure; see
    /// [`ssewire::client::Client::restart`]). The stream goes on with an
    /// [`Update::Open`] when the new connection opens. Does nothing after
    /// [`close`](EventSource::close) or a failure.
    pub fn restart(&mut self) {
        self.session.restart(self.now());
        self.link = Link::None;
        self.timer = None;
    }

    /// Stops for good and closes the connection: the stream ends.
    pub fn close(&mut self) {
        self.session.close();
        self.link = Link::None;
        self.timer = None;
    }

    /// The session's clock: milliseconds since this source was made.
    fn now(&self) -> ssewire::client::Instant {
        let ms = self.origin.elapsed().as_millis();
        ssewire::client::Instant::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    /// Polls the wait for the session's deadline; `true` once it passed (handled).
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(at) = self.session.poll_timeout() else {
            self.timer = None;
            return false;
        };
        let now = self.now();
        if now < at {
            let timer = match &mut self.timer {
                Some((deadline, timer)) if *deadline == at => timer,
                _ => {
                    let wait = std::time::Duration::from_millis(
                        at.saturating_duration_since(now).as_millis(),
                    );
                    &mut self.timer.insert((at, (self.sleep)(wait))).1
                }
            };
            if timer.as_mut().poll(cx).is_pending() {
                return false;
            }
        }
        self.timer = None;
        self.session.handle_timeout(self.now());
        true
    }

    /// The session's next output, compressed streams decoded.
    fn poll_ready(&mut self, now: ssewire::client::Instant) -> Option<Result<Output, Error>> {
        #[cfg(feature = "gzip")]
        if self.session.client().content_coding().is_some() || self.inflate.is_some() {
            let inflate = self.inflate.get_or_insert_with(Box::default);
            return self.session.poll_ready_with(now, &mut **inflate);
        }
        self.session.poll_ready(now)
    }

    /// The connection failed: reported, and the session reconnects as it says.
    fn failed(&mut self, error: ClientError) -> Poll<Option<Result<Update, ClientError>>> {
        event!(warn, %error, url = %self.session.url().authority, "connection failed");
        self.link = Link::None;
        match &error {
            ClientError::Proxy(ProxyError::Tunnel(refused)) => {
                self.session.handle_tunnel_error(self.now(), *refused);
            }
            _ => self.session.handle_io_error(self.now()),
        }
        Poll::Ready(Some(Err(error)))
    }
}

impl Stream for EventSource {
    type Item = Result<Update, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.session.poll_disconnect() {
                this.link = Link::None;
            }
            let now = this.now();
            match this.poll_ready(now) {
                Some(Ok(Output::Open)) => {
                    event!(debug, url = %this.session.url().authority, "stream open");
                    return Poll::Ready(Some(Ok(Update::Open)));
                }
                Some(Ok(Output::Item(ready))) => {
                    let update = match this.session.client().resolve(ready) {
                        Item::Event(event) => Update::Event(Event::from_parsed(&event)),
                        Item::Comment(text) => Update::Comment(text.to_owned()),
                        Item::Retry(ms) => Update::Retry(ms),
                    };
                    return Poll::Ready(Some(Ok(update)));
                }
                Some(Err(error)) => {
                    event!(warn, %error, "stream error");
                    return Poll::Ready(Some(Err(ClientError::Session(error))));
                }
                None => {}
            }
            if let Some(wait) = this.session.poll_wait(now) {
                let wait = std::time::Duration::from_millis(wait.as_millis());
                event!(debug, ?wait, "reconnecting");
                return Poll::Ready(Some(Ok(Update::Reconnecting(wait))));
            }
            if this.session.state() == State::Closed {
                this.link = Link::None;
                return Poll::Ready(None);
            }
            if this.poll_timer(cx) {
                continue;
            }
            match &mut this.link {
                Link::None => {
                    if let Some(target) = this.session.poll_connect(now) {
                        event!(
                            debug,
                            host = target.url.host,
                            port = target.url.port,
                            "connecting"
                        );
                        this.link = Link::Connecting(this.dial.dial(&target));
                    } else if this.session.has_connection() {
                        // The session counts on a connection this loop does not have.
                        this.session.handle_io_error(now);
                    } else if this.session.has_update() || this.session.state() == State::Closed {
                        // The attempt failed before connecting (a redirect target that cannot
                        // be requested): report it.
                    } else {
                        // Waiting to reconnect: the timer is set.
                        return Poll::Pending;
                    }
                }
                Link::Connecting(connecting) => match connecting.as_mut().poll(cx) {
                    Poll::Ready(Ok(io)) => {
                        this.link = Link::Open(io);
                        this.session.handle_connected(this.now());
                    }
                    Poll::Ready(Err(error)) => return this.failed(ClientError::connect(error)),
                    Poll::Pending => return Poll::Pending,
                },
                Link::Open(io) => {
                    if let Some(bytes) = this.session.poll_transmit() {
                        match Pin::new(io).poll_write(cx, bytes) {
                            Poll::Ready(Ok(0)) => {
                                let zero = io::Error::from(io::ErrorKind::WriteZero);
                                return this.failed(ClientError::Io(zero));
                            }
                            Poll::Ready(Ok(n)) => this.session.handle_transmitted(n),
                            Poll::Ready(Err(error)) => return this.failed(ClientError::Io(error)),
                            Poll::Pending => return Poll::Pending,
                        }
                    } else if this.session.poll_flush() {
                        match Pin::new(io).poll_flush(cx) {
                            Poll::Ready(Ok(())) => this.session.handle_flushed(),
                            Poll::Ready(Err(error)) => return this.failed(ClientError::Io(error)),
                            Poll::Pending => return Poll::Pending,
                        }
                    } else if let Some(window) = this.session.poll_read() {
                        match Pin::new(io).poll_read(cx, window) {
                            Poll::Ready(Ok(n)) => this.session.handle_received(this.now(), n),
                            Poll::Ready(Err(error)) => return this.failed(ClientError::Io(error)),
                            Poll::Pending => return Poll::Pending,
                        }
                    } else {
                        // The session holds no connection: drop it.
                        this.link = Link::None;
                    }
                }
            }
        }
    }
}

/// Runtime `R`'s timer, as the boxed future an [`EventSource`] keeps.
fn sleep<R: Runtime>(duration: std::time::Duration) -> BoxFuture<()> {
    Box::pin(R::sleep(duration))
}

/// A seed for the reconnection jitter, different for each client.
fn seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// A way to open connections for an [`EventSource`]: plain TCP on a runtime ([`Tcp`]), or
/// anything else that gives a byte stream (TLS over TCP, a Unix socket, an in-memory pipe).
///
/// The future owns what it needs (it outlives the call): copy the host out of the target.
pub trait Connector: Send + Sync + 'static {
    /// An open connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Opens a connection to `target.url`'s host and port, in its scheme: the original URL,
    /// or a redirect's target (resolved by the core). Through a proxy
    /// ([`Target::via`]), the connection goes to [`Target::address`], and, for a tunnel,
    /// through the `CONNECT` exchange of [`Target::tunnel_request`] first; the connectors
    /// here do it all.
    fn connect(
        &self,
        target: &Target<'_>,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send + 'static;
}

/// Plain TCP connections on runtime `R`, the host name resolved by the runtime, through the
/// proxy a target names; `https` targets are refused ([`io::ErrorKind::Unsupported`]).
pub struct Tcp<R> {
    runtime: core::marker::PhantomData<fn() -> R>,
}

impl<R> Tcp<R> {
    /// TCP on runtime `R`.
    #[must_use]
    pub fn new() -> Self {
        Tcp {
            runtime: core::marker::PhantomData,
        }
    }
}

impl<R> Default for Tcp<R> {
    fn default() -> Self {
        Tcp::new()
    }
}

impl<R> fmt::Debug for Tcp<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tcp")
    }
}

impl<R: Runtime> Connector for Tcp<R> {
    type Stream = R::TcpStream;

    fn connect(
        &self,
        target: &Target<'_>,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send + 'static {
        let tls = target.is_tls();
        let info = crate::proxy::TargetInfo::of(target);
        async move {
            if tls {
                let error = UrlError::UnsupportedScheme;
                return Err(io::Error::new(io::ErrorKind::Unsupported, error));
            }
            let info = info?;
            crate::proxy::connect(
                &info,
                |host, port| async move { R::connect(&host, port).await },
            )
            .await
        }
    }
}
