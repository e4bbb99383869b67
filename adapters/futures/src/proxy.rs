//! HTTP proxies for the client: settings from code or from the environment, credentials from
//! a proxy URL's user info, and the `CONNECT` tunnel a connector opens (every decision is the
//! core's: [`ssewire::client::Proxies`]).

use core::fmt;
use std::io;

use base64::Engine as _;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ssewire::client::{read_tunnel_response, Target, TunnelError, MAX_TUNNEL_RESPONSE};
use ssewire::http::HeadError;

/// The HTTP proxies an [`EventSource`](crate::EventSource) goes through: `http://` URLs
/// through a forward proxy (absolute-form requests), `https://` ones through a `CONNECT`
/// tunnel, except the hosts of the `no_proxy` list (see [`ssewire::client::Proxies::no_proxy`]
/// for its syntax).
///
/// A proxy is `http://host[:port]`, with credentials as user info if it wants them
/// (`http://user:pass@host:3128`, percent-encoded; sent as `Basic`). A proxy given without a
/// scheme is `http://`. TLS to the proxy itself (`https://` proxies) and SOCKS are not
/// supported: [`EventSource::new`](crate::EventSource::new) says so
/// ([`ssewire::client::Error::Proxy`]).
///
/// By default an [`EventSource`](crate::EventSource) takes them from the environment, as curl
/// and reqwest do ([`from_env`](ProxyConfig::from_env)); [`none`](ProxyConfig::none) turns
/// that off.
///
/// ```
/// use ssewire_futures::client::{Config, ProxyConfig};
///
/// let config = Config::new().proxy(
///     ProxyConfig::all("http://user:secret@proxy.internal:3128").no_proxy("localhost, .internal"),
/// );
/// # let _ = config;
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
#[must_use]
pub struct ProxyConfig {
    http: Option<String>,
    https: Option<String>,
    no_proxy: String,
}

/// Credentials stay out of logs.
impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |url: &Option<String>| url.as_deref().map(|url| split_user_info(url).0);
        f.debug_struct("ProxyConfig")
            .field("http", &shown(&self.http))
            .field("https", &shown(&self.https))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl ProxyConfig {
    /// No proxy: every connection goes direct.
    pub fn none() -> Self {
        ProxyConfig::default()
    }

    /// `url` for `http://` and `https://` URLs alike.
    pub fn all(url: impl Into<String>) -> Self {
        let url = url.into();
        ProxyConfig {
            http: Some(url.clone()),
            https: Some(url),
            no_proxy: String::new(),
        }
    }

    /// Sets the proxy for `http://` URLs.
    pub fn http(self, url: impl Into<String>) -> Self {
        ProxyConfig {
            http: Some(url.into()),
            ..self
        }
    }

    /// Sets the proxy for `https://` URLs.
    pub fn https(self, url: impl Into<String>) -> Self {
        ProxyConfig {
            https: Some(url.into()),
            ..self
        }
    }

    /// Sets the hosts reached without a proxy: `localhost, .internal, 10.0.0.0/8, *`.
    pub fn no_proxy(self, list: impl Into<String>) -> Self {
        ProxyConfig {
            no_proxy: list.into(),
            ..self
        }
    }

    /// The hosts reached without a proxy, as set.
    #[must_use]
    pub fn no_proxy_list(&self) -> &str {
        &self.no_proxy
    }

    /// The proxies the environment names, as curl and reqwest read it: `http_proxy` for
    /// `http://` URLs, `https_proxy` for `https://` ones, `all_proxy` for either when its
    /// own is not set, and `no_proxy`; each in lower case first, then upper case. Empty
    /// values are unset. `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set: in a CGI
    /// program it may come from a request's `Proxy` header (httpoxy).
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](ProxyConfig::from_env), with the variables looked up by `var` (for
    /// settings kept elsewhere, and for tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let either = |lower: &str, upper: &str| get(lower).or_else(|| get(upper));
        let all = || either("all_proxy", "ALL_PROXY");
        let cgi = var("REQUEST_METHOD").is_some();
        let http = get("http_proxy")
            .or_else(|| if cgi { None } else { get("HTTP_PROXY") })
            .or_else(all);
        ProxyConfig {
            http,
            https: either("https_proxy", "HTTPS_PROXY").or_else(all),
            no_proxy: either("no_proxy", "NO_PROXY").unwrap_or_default(),
        }
    }

    /// The proxy URLs without their user info, and the `Proxy-Authorization` values from
    /// it, for the core.
    pub(crate) fn resolve(&self) -> Resolved {
        let one = |url: &Option<String>| url.as_deref().map(Resolved::proxy);
        Resolved {
            http: one(&self.http),
            https: one(&self.https),
            no_proxy: self.no_proxy.clone(),
        }
    }
}

/// A [`ProxyConfig`] as the core takes it: each proxy's URL and authorization.
pub(crate) struct Resolved {
    http: Option<(String, String)>,
    https: Option<(String, String)>,
    no_proxy: String,
}

impl Resolved {
    /// `url` with a scheme, without user info, and the `Basic` credentials of that.
    fn proxy(url: &str) -> (String, String) {
        let url = url.trim();
        let url = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let (bare, user_info) = split_user_info(&url);
        let authorization = user_info.map_or_else(String::new, |info| {
            let (user, password) = info.split_once(':').unwrap_or((info, ""));
            let decode =
                |part: &str| percent_encoding::percent_decode_str(part).collect::<Vec<u8>>();
            let mut credentials = decode(user);
            credentials.push(b':');
            credentials.extend(decode(password));
            let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
            format!("Basic {encoded}")
        });
        (bare, authorization)
    }

    /// The core's view, borrowing these strings.
    pub(crate) fn proxies(&self) -> ssewire::client::Proxies<'_> {
        fn one(proxy: &Option<(String, String)>) -> Option<ssewire::client::Proxy<'_>> {
            proxy.as_ref().map(|(url, authorization)| {
                ssewire::client::Proxy::new(url).authorization(authorization)
            })
        }
        let mut proxies = ssewire::client::Proxies::new().no_proxy(&self.no_proxy);
        proxies.http = one(&self.http);
        proxies.https = one(&self.https);
        proxies
    }
}

/// `url` without the user info of its authority, and that user info.
fn split_user_info(url: &str) -> (String, Option<&str>) {
    let start = url.find("://").map_or(0, |at| at + 3);
    let rest = url.get(start..).unwrap_or_default();
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_len).unwrap_or_default();
    match authority.rfind('@') {
        Some(at) => {
            let bare = format!("{}{}", &url[..start], &rest[at + 1..]);
            (bare, authority.get(..at))
        }
        None => (url.to_owned(), None),
    }
}

/// What went wrong with a proxy, as [`ClientError::Proxy`](crate::client::ClientError::Proxy)
/// tells it.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProxyError {
    /// Connecting to the proxy failed (refused, unreachable, a name that does not resolve).
    Connect(io::Error),
    /// The proxy refused the tunnel (`407` for credentials, `403`, `502`, ...) or answered
    /// with a malformed head; see [`TunnelError`].
    Tunnel(TunnelError),
    /// The proxy closed the connection, or failed to be read or written, before the tunnel
    /// was open.
    Io(io::Error),
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyError::Connect(_) => f.write_str("connecting to the proxy failed"),
            ProxyError::Tunnel(error) => error.fmt(f),
            ProxyError::Io(_) => f.write_str("proxy connection failed before the tunnel opened"),
        }
    }
}

impl std::error::Error for ProxyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProxyError::Connect(error) | ProxyError::Io(error) => Some(error),
            ProxyError::Tunnel(_) => None,
        }
    }
}

impl ProxyError {
    /// As an [`io::Error`], the way a [`Connector`](crate::client::Connector) returns it;
    /// the client takes it out again.
    fn into_io(self) -> io::Error {
        let kind = match &self {
            ProxyError::Connect(error) | ProxyError::Io(error) => error.kind(),
            ProxyError::Tunnel(TunnelError::Status(_)) => io::ErrorKind::ConnectionRefused,
            ProxyError::Tunnel(_) => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, self)
    }

    /// The proxy error inside an error a connector returned, if it is one.
    pub(crate) fn take(error: io::Error) -> Result<ProxyError, io::Error> {
        if !error
            .get_ref()
            .is_some_and(|inner| inner.is::<ProxyError>())
        {
            return Err(error);
        }
        let kind = error.kind();
        match error
            .into_inner()
            .map(|inner| inner.downcast::<ProxyError>())
        {
            Some(Ok(proxy)) => Ok(*proxy),
            _ => Err(io::Error::from(kind)),
        }
    }
}

/// Connects a [`Connector`](crate::client::Connector)'s TCP for `target`: to its proxy, if
/// it goes through one, and through the tunnel, if it asks for one (the stream then leads to
/// the target's server); to its server otherwise. A proxy that fails is a [`ProxyError`]
/// inside the [`io::Error`].
pub(crate) async fn connect<S, F>(
    target: &TargetInfo,
    tcp: impl FnOnce(String, u16) -> F,
) -> io::Result<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: core::future::Future<Output = io::Result<S>>,
{
    let (host, port) = target.address.clone();
    let Some(tunnel) = &target.tunnel else {
        let stream = tcp(host, port).await;
        return match target.proxied {
            true => stream.map_err(|error| ProxyError::Connect(error).into_io()),
            false => stream,
        };
    };
    let mut stream = tcp(host, port)
        .await
        .map_err(|error| ProxyError::Connect(error).into_io())?;
    open_tunnel(&mut stream, tunnel)
        .await
        .map_err(ProxyError::into_io)?;
    Ok(stream)
}

/// Writes the `CONNECT` request and reads the proxy's answer, not a byte further.
async fn open_tunnel<S>(stream: &mut S, request: &[u8]) -> Result<(), ProxyError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream.write_all(request).await.map_err(ProxyError::Io)?;
    stream.flush().await.map_err(ProxyError::Io)?;
    let mut answer = Vec::with_capacity(256);
    let mut byte = [0];
    // A byte at a time: what follows the answer is the target's (TLS) and is not to be
    // read here. The head is parsed again only at line ends.
    loop {
        if stream.read(&mut byte).await.map_err(ProxyError::Io)? == 0 {
            return Err(ProxyError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        answer.push(byte[0]);
        if byte[0] != b'\n' && answer.len() < MAX_TUNNEL_RESPONSE {
            continue;
        }
        match read_tunnel_response(&answer) {
            Ok(Some(_)) => return Ok(()),
            Ok(None) if answer.len() < MAX_TUNNEL_RESPONSE => {}
            Ok(None) => return Err(ProxyError::Tunnel(TunnelError::Head(HeadError::TooLarge))),
            Err(error) => return Err(ProxyError::Tunnel(error)),
        }
    }
}

/// What a connector needs of a [`Target`], owned (its future outlives the call).
pub(crate) struct TargetInfo {
    /// Where to open TCP to.
    pub(crate) address: (String, u16),
    /// Whether that is a proxy.
    pub(crate) proxied: bool,
    /// The `CONNECT` request, for a tunnel.
    pub(crate) tunnel: Option<Vec<u8>>,
}

impl TargetInfo {
    /// The owned parts of `target`.
    pub(crate) fn of(target: &Target<'_>) -> io::Result<Self> {
        let (host, port) = target.address();
        let mut request = vec![0; 512 + target.url.host.len()];
        let tunnel = match target.tunnel_request(&mut request) {
            Some(Ok(len)) => {
                request.truncate(len);
                Some(request)
            }
            Some(Err(error)) => return Err(io::Error::new(io::ErrorKind::InvalidInput, error)),
            None => None,
        };
        Ok(TargetInfo {
            address: (host.to_owned(), port),
            proxied: target.via.is_some(),
            tunnel,
        })
    }
}
