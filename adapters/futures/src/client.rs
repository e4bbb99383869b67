//! A reconnecting client, as a browser's `EventSource`, on a runtime's TCP sockets.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use embedded_io_adapters::futures_03::FromFutures;
use futures_lite::future::or;
use futures_lite::{AsyncRead, AsyncWrite, Stream};
use ssewire::client::Client;
pub use ssewire::client::{Duration, Failure, State};
use ssewire::parse::{Item, Limits};
use ssewire_embedded::{Connect, SourceError, Target, Update as RawUpdate};

use crate::generator::{Generator, Yielder};
use crate::rt::{Runtime, Timer};
use crate::Event;

/// What went wrong on the way; the client goes on (see [`EventSource`]).
pub type ClientError = SourceError<io::Error, io::Error>;

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
}

/// Why a URL was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlError {
    /// Not `http://`: `https://` needs TLS, which is not here yet.
    UnsupportedScheme,
    /// No host, a bad port, user info, or a character that cannot be sent.
    Invalid,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::UnsupportedScheme => "unsupported URL scheme (only http:// is supported)",
            UrlError::Invalid => "invalid URL",
        })
    }
}

impl std::error::Error for UrlError {}

/// An `http://` URL, split into what a request needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Url {
    /// The host, without brackets for an IPv6 literal.
    pub host: String,
    /// The port (80 if none was given).
    pub port: u16,
    /// The `Host` header: the authority as written (`example.com:8080`, `[::1]:8080`).
    pub authority: String,
    /// The path and query, `/` at least; the fragment is dropped.
    pub target: String,
}

impl Url {
    /// Parses an `http://host[:port][/path][?query][#fragment]` URL.
    ///
    /// # Errors
    ///
    /// [`UrlError`] for another scheme or a malformed URL.
    pub fn parse(url: &str) -> Result<Url, UrlError> {
        let url = url.split('#').next().unwrap_or_default();
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::Invalid)?;
        if scheme.is_empty() {
            return Err(UrlError::Invalid);
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(UrlError::UnsupportedScheme);
        }
        Self::from_authority(rest, None)
    }

    /// Splits `authority[/path]`; a missing port is `default_port`, or 80.
    fn from_authority(rest: &str, default_port: Option<u16>) -> Result<Url, UrlError> {
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(end);
        if authority.is_empty() || authority.contains('@') {
            return Err(UrlError::Invalid);
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(UrlError::Invalid)?;
            match after {
                "" => (host, None),
                port => (host, Some(port.strip_prefix(':').ok_or(UrlError::Invalid)?)),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            None | Some("") => default_port.unwrap_or(80),
            Some(port) => port.parse().map_err(|_| UrlError::Invalid)?,
        };
        let target = match target {
            "" => "/".to_owned(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_owned(),
        };
        let sendable = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
        if host.is_empty() || !sendable(authority) || !sendable(&target) {
            return Err(UrlError::Invalid);
        }
        Ok(Url {
            host: host.to_owned(),
            port,
            authority: authority.to_owned(),
            target,
        })
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority, self.target)
    }
}

/// How an [`EventSource`] connects and reconnects.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Config {
    /// The reconnection state machine's settings: delays, backoff, budget, redirects,
    /// response timeout. Default: the core's defaults, with 64 KiB of data per event.
    pub client: ssewire::client::Config,
    /// Extra request headers, as (name, value).
    pub headers: Vec<(String, String)>,
    /// The `Last-Event-ID` of the first request, to resume from an ID saved earlier.
    pub last_event_id: Option<String>,
    /// Time to open a connection. Default: 10 s.
    pub connect_timeout: Duration,
    /// Bytes of the buffer for heads and reads; it bounds the response head. Default: 8192.
    pub buffer: usize,
}

impl Config {
    /// The defaults.
    pub fn new() -> Self {
        let mut client = ssewire::client::Config::new();
        client.limits = Limits {
            data: 64 * 1024,
            ..Limits::DEFAULT
        };
        Config {
            client,
            headers: Vec::new(),
            last_event_id: None,
            connect_timeout: Duration::from_secs(10),
            buffer: 8192,
        }
    }

    /// Adds a request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the `Last-Event-ID` of the first request.
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

/// Where an [`EventSource`] stands, shared with its driving task.
#[derive(Clone, Debug)]
struct Status {
    state: State,
    failure: Option<Failure>,
    last_event_id: String,
}

/// A reconnecting event stream over HTTP, as a browser's `EventSource`, on runtime `R`'s
/// sockets and timers: a [`Stream`] of `Result<Update, ClientError>`.
///
/// It sends `Accept: text/event-stream`, `Cache-Control: no-cache`, `Last-Event-ID` once an
/// event had an ID, and the extra headers; checks the status and content type; follows
/// redirects; reads close-delimited, `Content-Length` or chunked bodies; and reconnects after
/// the reconnection time (the server's `retry` overrides it), backing off with jitter on
/// failures. All of it is the embedded adapter's [`EventSource`](ssewire_embedded::EventSource)
/// driving the core [`Client`].
///
/// - `Ok(Update::Open)` each time a stream opens, `Ok(Update::Event(_))` for each event (with
///   the `retry` value received since the previous event, if any; the client applies it),
///   `Ok(Update::Comment(_))` for comments;
/// - `Err(_)`: something went wrong on the way (connection refused, reset, a malformed
///   head, an event over a limit); the client goes on;
/// - `None` once it stopped for good: [`failure`](EventSource::failure) says why (a `204`,
///   another status, a wrong content type, the retry budget spent), or it was closed.
///
/// Dropping it closes the connection.
pub struct EventSource {
    inner: Generator<Result<Update, ClientError>>,
    status: Arc<Mutex<Status>>,
    url: Url,
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("url", &self.url)
            .field("status", &*self.status())
            .finish_non_exhaustive()
    }
}

impl EventSource {
    /// An event source for `url` on runtime `R`; it connects when first polled.
    ///
    /// # Errors
    ///
    /// [`UrlError`] for a URL that is not `http://host[:port]/path`.
    pub fn new<R: Runtime>(url: &str, config: Config) -> Result<Self, UrlError> {
        Self::with_connector::<R, _>(url, config, Tcp::<R>::new())
    }

    /// An event source for `url` that opens its connections with `connector` (such as TLS
    /// over TCP), timed by runtime `R`.
    ///
    /// # Errors
    ///
    /// [`UrlError`] for a URL that is not `http://host[:port]/path`.
    pub fn with_connector<R: Runtime, C: Connector>(
        url: &str,
        config: Config,
        connector: C,
    ) -> Result<Self, UrlError> {
        let url = Url::parse(url)?;
        let status = Arc::new(Mutex::new(Status {
            state: State::Connecting,
            failure: None,
            last_event_id: config.last_event_id.clone().unwrap_or_default(),
        }));
        let shared = status.clone();
        let target = url.clone();
        let inner = Generator::new(move |out| async move {
            drive::<R, C>(target, config, connector, &shared, &out).await;
        });
        Ok(EventSource { inner, status, url })
    }

    /// The URL connected to (before redirects).
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Where the client stands: connecting (or waiting to reconnect), open, or closed.
    #[must_use]
    pub fn state(&self) -> State {
        self.status().state
    }

    /// Why the client stopped for good, if it failed.
    #[must_use]
    pub fn failure(&self) -> Option<Failure> {
        self.status().failure
    }

    /// The last event ID received (or given in [`Config::last_event_id`]).
    #[must_use]
    pub fn last_event_id(&self) -> String {
        self.status().last_event_id.clone()
    }

    /// Stops for good and closes the connection: the stream ends.
    pub fn close(&mut self) {
        self.inner.stop();
        self.status().state = State::Closed;
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Stream for EventSource {
    type Item = Result<Update, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// Runs the embedded event source, handing each update, owned, to `give`.
async fn drive<R: Runtime, C: Connector>(
    url: Url,
    config: Config,
    connector: C,
    status: &Mutex<Status>,
    out: &Yielder<Result<Update, ClientError>>,
) {
    let mut storage = vec![0; config.client.storage_len()];
    let mut buf = vec![0; config.buffer.max(256)];
    let mut client = Client::new(&mut storage, config.client, seed());
    let set = |status: &Mutex<Status>, client: &Client<'_>| {
        let mut status = status.lock().unwrap_or_else(PoisonError::into_inner);
        status.state = client.state();
        status.failure = client.poll_failure();
        client.last_event_id().clone_into(&mut status.last_event_id);
    };
    if let Some(id) = &config.last_event_id {
        if let Err(error) = client.set_last_event_id(id) {
            out.give(Err(SourceError::Parse(error))).await;
        }
    }
    let headers: Vec<(&str, &str)> = config
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let connect = Connecting::<R, C> {
        connector,
        url: url.clone(),
        timeout: config.connect_timeout,
        runtime: core::marker::PhantomData,
    };
    let mut source = ssewire_embedded::EventSource::new(
        client,
        connect,
        Timer::<R>::new(),
        &mut buf,
        &url.authority,
        &url.target,
    )
    .headers(&headers);
    // A `retry` value goes with the event that follows it.
    let mut retry = None;
    while let Some(update) = source.next_update().await {
        let update = match update {
            Ok(RawUpdate::Open) => Ok(Update::Open),
            Ok(RawUpdate::Item(Item::Event(event))) => {
                Ok(Update::Event(Event::from_parsed(&event, retry.take())))
            }
            Ok(RawUpdate::Item(Item::Comment(text))) => Ok(Update::Comment(text.to_owned())),
            Ok(RawUpdate::Item(Item::Retry(ms))) => {
                retry = Some(ms);
                continue;
            }
            Ok(_) => continue,
            Err(error) => Err(error),
        };
        set(status, source.client());
        out.give(update).await;
    }
    set(status, source.client());
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
pub trait Connector: Send + 'static {
    /// An open connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Opens a connection to `url`'s host and port: the original URL, or a redirect target.
    fn connect(&mut self, url: &Url) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

/// Plain TCP connections on runtime `R`, the host name resolved by the runtime.
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

    fn connect(&mut self, url: &Url) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        R::connect(&url.host, url.port)
    }
}

/// The embedded [`Connect`] over a [`Connector`], with a time limit on runtime `R`: to the
/// original URL, or to a redirect's.
struct Connecting<R, C> {
    connector: C,
    url: Url,
    timeout: Duration,
    runtime: core::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime, C: Connector> Connect for Connecting<R, C> {
    type Connection = FromFutures<C::Stream>;
    type Error = io::Error;

    async fn connect(&mut self, target: Target<'_>) -> io::Result<Self::Connection> {
        let redirect;
        let url = match target {
            Target::Origin => &self.url,
            Target::Redirect { scheme, authority }
                if scheme.map_or(true, |scheme| scheme.eq_ignore_ascii_case("http")) =>
            {
                redirect = Url::from_authority(authority, None)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                &redirect
            }
            Target::Redirect { .. } => {
                let error = UrlError::UnsupportedScheme;
                return Err(io::Error::new(io::ErrorKind::Unsupported, error));
            }
        };
        let timeout = std::time::Duration::from_millis(self.timeout.as_millis());
        let stream = or(self.connector.connect(url), async {
            R::sleep(timeout).await;
            Err(io::ErrorKind::TimedOut.into())
        })
        .await?;
        Ok(FromFutures::new(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::{Url, UrlError};

    fn url(host: &str, port: u16, authority: &str, target: &str) -> Url {
        Url {
            host: host.to_owned(),
            port,
            authority: authority.to_owned(),
            target: target.to_owned(),
        }
    }

    #[test]
    fn parses_http_urls() {
        let parse = |s| Url::parse(s);
        assert_eq!(
            parse("http://a.example/events"),
            Ok(url("a.example", 80, "a.example", "/events"))
        );
        assert_eq!(
            parse("HTTP://a.example:8080"),
            Ok(url("a.example", 8080, "a.example:8080", "/"))
        );
        assert_eq!(
            parse("http://a.example?x=1#frag"),
            Ok(url("a.example", 80, "a.example", "/?x=1"))
        );
        assert_eq!(
            parse("http://[::1]:9/s?q"),
            Ok(url("::1", 9, "[::1]:9", "/s?q"))
        );
        assert_eq!(parse("http://[::1]/"), Ok(url("::1", 80, "[::1]", "/")));
        assert_eq!(
            parse("http://127.0.0.1:/x"),
            Ok(url("127.0.0.1", 80, "127.0.0.1:", "/x"))
        );
        assert_eq!(
            parse("http://a.example/events").unwrap().to_string(),
            "http://a.example/events"
        );
    }

    #[test]
    fn refuses_what_it_cannot_request() {
        let parse = |s| Url::parse(s);
        assert_eq!(
            parse("https://a.example/"),
            Err(UrlError::UnsupportedScheme)
        );
        assert_eq!(parse("ftp://a.example/"), Err(UrlError::UnsupportedScheme));
        for bad in [
            "a.example/events",
            "://a.example",
            "http://",
            "http:///path",
            "http://user@a.example/",
            "http://a.example:99999/",
            "http://a.example:port/",
            "http://[::1/",
            "http://[::1]x/",
            "http://a.example/with space",
            "http://a.example/\r\nX: injected",
            "http://:80/",
        ] {
            assert_eq!(parse(bad), Err(UrlError::Invalid), "{bad}");
        }
    }
}
