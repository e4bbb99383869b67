//! HTTP proxies: which URLs go through one, and how ([`Proxies`], [`Via`]).
//!
//! An `http://` URL behind a proxy is requested from the proxy in absolute form
//! (`GET http://host/path HTTP/1.1`, with `Proxy-Authorization`); an `https://` one through a
//! `CONNECT` tunnel ([`Tunnel`](crate::http::Tunnel)), inside which TLS and the request go as
//! they would directly. The session writes the request; the connector opens the tunnel and
//! reads the proxy's answer with [`read_tunnel_response`].

use core::fmt;
use core::net::IpAddr;

use crate::http::{self, HeadError, Scheme, Url, EMPTY_HEADER};

/// The proxies a [`Session`](super::Session) goes through, as curl and reqwest take them from
/// `http_proxy`, `https_proxy` and `no_proxy` (reading the environment is the adapter's).
///
/// ```
/// use ssewire::client::{Proxies, Proxy};
///
/// let proxies = Proxies::new()
///     .http(Proxy::new("http://proxy.internal:3128"))
///     .https(Proxy::new("http://proxy.internal:3128").authorization("Basic dTpw"))
///     .no_proxy("localhost, .internal, 10.0.0.0/8");
/// # let _ = proxies;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
#[must_use]
pub struct Proxies<'a> {
    /// The proxy for `http://` URLs. Default: none.
    pub http: Option<Proxy<'a>>,
    /// The proxy for `https://` URLs, through a `CONNECT` tunnel. Default: none.
    pub https: Option<Proxy<'a>>,
    /// The hosts reached without a proxy, in the `no_proxy` syntax: a comma-separated list of
    /// host names (each matches itself and its subdomains; a leading `.` or `*.` is the
    /// same), IP addresses, CIDR blocks (`10.0.0.0/8`, `fd00::/8`), any of them with a `:port`
    /// to match that port only, or `*` for every host. ASCII case is ignored. Default: empty.
    pub no_proxy: &'a str,
}

impl<'a> Proxies<'a> {
    /// No proxy.
    pub const fn new() -> Self {
        Proxies {
            http: None,
            https: None,
            no_proxy: "",
        }
    }

    /// Sets the proxy for `http://` URLs.
    pub const fn http(self, proxy: Proxy<'a>) -> Self {
        Proxies {
            http: Some(proxy),
            ..self
        }
    }

    /// Sets the proxy for `https://` URLs.
    pub const fn https(self, proxy: Proxy<'a>) -> Self {
        Proxies {
            https: Some(proxy),
            ..self
        }
    }

    /// Sets the hosts reached without a proxy.
    pub const fn no_proxy(self, no_proxy: &'a str) -> Self {
        Proxies { no_proxy, ..self }
    }

    /// The proxy for a URL in `scheme` on `host` and `port`, if it goes through one.
    #[must_use]
    pub fn for_url(&self, scheme: Scheme, host: &str, port: u16) -> Option<Proxy<'a>> {
        let proxy = match scheme {
            Scheme::Http => self.http,
            Scheme::Https => self.https,
        }?;
        (!bypasses(self.no_proxy, host, port)).then_some(proxy)
    }
}

/// An HTTP proxy: its URL and the credentials it asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use]
pub struct Proxy<'a> {
    /// `http://host[:port]` (the port defaults to 80); no user info (the adapter turns it
    /// into the [`authorization`](Proxy::authorization)). Only plain HTTP to the proxy.
    pub url: &'a str,
    /// The `Proxy-Authorization` value sent to the proxy, such as `Basic dXNlcjpwYXNz`; empty
    /// for none.
    pub authorization: &'a str,
}

impl<'a> Proxy<'a> {
    /// The proxy at `url`, without credentials.
    pub const fn new(url: &'a str) -> Self {
        Proxy {
            url,
            authorization: "",
        }
    }

    /// Sets the `Proxy-Authorization` value.
    pub const fn authorization(self, authorization: &'a str) -> Self {
        Proxy {
            authorization,
            ..self
        }
    }
}

/// How a [`Target`](super::Target) is reached through a proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Via<'a> {
    /// The proxy: connect to its host and port, in plain TCP.
    pub proxy: Url<'a>,
    /// `true` for a `CONNECT` tunnel (an `https://` target): write
    /// [`Target::tunnel_request`](super::Target::tunnel_request), read the answer with
    /// [`read_tunnel_response`], then speak TLS to the target through it. `false` for a
    /// forward proxy: the session's request is already in absolute form.
    pub tunnel: bool,
    /// The `Proxy-Authorization` value, empty for none.
    pub authorization: &'a str,
}

/// Why a proxy did not open a tunnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TunnelError {
    /// The proxy answered this status, not `2xx`: `407` asks for credentials (or refused
    /// them), `403` refuses the target, `502` and `504` could not reach it.
    Status(u16),
    /// The proxy's answer is malformed or too long.
    Head(HeadError),
}

impl fmt::Display for TunnelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TunnelError::Status(407) => f.write_str("proxy asks for authentication"),
            TunnelError::Status(status) => write!(f, "proxy refused the tunnel: status {status}"),
            TunnelError::Head(error) => write!(f, "proxy's answer: {error}"),
        }
    }
}

impl core::error::Error for TunnelError {}

/// The most bytes a proxy's answer to `CONNECT` may take.
pub const MAX_TUNNEL_RESPONSE: usize = 4096;

/// Reads a proxy's answer to `CONNECT` from the bytes `received` so far: `Ok(Some(len))` once
/// a `2xx` head of `len` bytes arrived (the tunnel is open; bytes after it are the target's),
/// `Ok(None)` to read more.
///
/// # Errors
///
/// [`TunnelError::Status`] for any other final status, [`TunnelError::Head`] for a malformed
/// head or one over [`MAX_TUNNEL_RESPONSE`].
pub fn read_tunnel_response(mut received: &[u8]) -> Result<Option<usize>, TunnelError> {
    let mut consumed = 0;
    loop {
        let mut headers = [EMPTY_HEADER; 32];
        let head = http::read_response(received, &mut headers, MAX_TUNNEL_RESPONSE)
            .map_err(TunnelError::Head)?;
        let Some(head) = head else {
            return Ok(None);
        };
        consumed += head.len;
        match head.status {
            200..=299 => return Ok(Some(consumed)),
            // Interim heads come before the answer.
            100..=199 => received = received.get(head.len..).unwrap_or_default(),
            status => return Err(TunnelError::Status(status)),
        }
    }
}

/// Whether `host` and `port` are in the `no_proxy` list (see [`Proxies::no_proxy`]).
#[must_use]
pub fn bypasses(no_proxy: &str, host: &str, port: u16) -> bool {
    let host = unbracket(host);
    let ip = host.parse::<IpAddr>().ok();
    no_proxy.split(',').any(|entry| {
        let entry = entry.trim();
        if entry == "*" {
            return true;
        }
        let (entry, entry_port) = split_port(entry);
        if entry.is_empty() || entry_port.is_some_and(|p| p != port) {
            return false;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            return match (ip, net.parse::<IpAddr>(), bits.parse::<u8>()) {
                (Some(ip), Ok(net), Ok(bits)) => in_block(ip, net, bits),
                _ => false,
            };
        }
        if let (Some(ip), Ok(entry)) = (ip, entry.parse::<IpAddr>()) {
            return ip == entry;
        }
        let domain = entry
            .strip_prefix("*.")
            .or_else(|| entry.strip_prefix('.'))
            .unwrap_or(entry);
        let Some(split) = host.len().checked_sub(domain.len()) else {
            return false;
        };
        let (front, tail) = (host.get(..split), host.get(split..));
        tail.is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
            && front.is_some_and(|front| front.is_empty() || front.ends_with('.'))
    })
}

/// `entry` and its port: `host:port`, `[v6]:port`, or a bare IPv6 address (no port).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, port)) => (host, port.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok().or(Some(0))),
        _ => (entry, None),
    }
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Whether `ip` is in the block of `net` with `bits` leading bits.
fn in_block(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => (
            u128::from(ip.to_bits()) << 96,
            u128::from(net.to_bits()) << 96,
            32,
        ),
        (IpAddr::V6(ip), IpAddr::V6(net)) => (ip.to_bits(), net.to_bits(), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
    ip & mask == net & mask
}
