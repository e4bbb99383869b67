//! URLs and redirect targets: the one parser every client and connector uses.

use core::fmt;

use super::syntax::is_host_char;

/// The scheme of a [`Url`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Scheme {
    /// `http://`, port 80 by default.
    Http,
    /// `https://`, port 443 by default: TLS, which the connector supplies.
    Https,
}

impl Scheme {
    /// The port of a URL of this scheme that names none.
    #[must_use]
    pub const fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// `http` or `https`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Why a URL, or a redirect target, was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum UrlError {
    /// A scheme other than `http` and `https`.
    UnsupportedScheme,
    /// No scheme, no host, user info (`user@host`), a port that is not a number from 1 to
    /// 65535, or a byte that cannot be sent in a request (a space, a control character,
    /// anything but visible ASCII).
    Invalid,
    /// A redirect target relative to the current path (`other`, `../x`), which
    /// [`Url::join`] does not resolve: only absolute URLs, `//host/path`, `/path` and `?query`.
    Relative,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::UnsupportedScheme => "unsupported url scheme",
            UrlError::Invalid => "invalid url",
            UrlError::Relative => "relative redirect target",
        })
    }
}

impl core::error::Error for UrlError {}

/// An `http://` or `https://` URL, split into what a connection and a request need. Borrows
/// the text it was parsed from.
///
/// The rules (one table test in `core/tests/url.rs` holds them all):
///
/// - the scheme is `http` or `https`, ASCII case ignored;
/// - the authority is `host`, `host:port` or `[IPv6]:port`; an empty port (`host:`) is the
///   scheme's default, as RFC 3986 allows; user info is refused;
/// - the host is a name or an IP literal of the bytes RFC 3986 allows (percent-encoded bytes
///   are kept as written); the path and query are visible ASCII: no spaces or control bytes;
/// - the path is `/` if there is none (`http://host?q` asks for `/?q`); the fragment is
///   dropped, as it is never sent.
///
/// ```
/// use ssewire::http::{Scheme, Url};
///
/// let url = Url::parse("https://[::1]:8443/events?topic=a#top")?;
/// assert_eq!(url.scheme, Scheme::Https);
/// assert_eq!((url.host, url.port), ("::1", 8443));
/// assert_eq!(url.authority, "[::1]:8443"); // the Host header
/// assert_eq!((url.path, url.query), ("/events", Some("topic=a")));
///
/// let redirected = url.join("//other.example/moved")?;
/// assert_eq!((redirected.scheme, redirected.host, redirected.port), (Scheme::Https, "other.example", 443));
/// # Ok::<(), ssewire::http::UrlError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Url<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// The host to connect to: a name or an IP address literal, without the brackets of an
    /// IPv6 literal.
    pub host: &'a str,
    /// The port: the one given, or the scheme's default.
    pub port: u16,
    /// The authority as written (`example.com:8080`, `[::1]:8080`): the `Host` header.
    pub authority: &'a str,
    /// The path, `/` at least.
    pub path: &'a str,
    /// The query, without its `?`, if there is one.
    pub query: Option<&'a str>,
}

impl<'a> Url<'a> {
    /// Parses an absolute URL: `scheme://authority[/path][?query][#fragment]`.
    ///
    /// # Errors
    ///
    /// [`UrlError::UnsupportedScheme`] for a scheme other than `http` or `https`,
    /// [`UrlError::Invalid`] for anything else that is not such a URL.
    pub fn parse(url: &'a str) -> Result<Self, UrlError> {
        let colon = find(url, |b| b == b':').ok_or(UrlError::Invalid)?;
        let (scheme, rest) = split_at(url, colon);
        let rest = rest.strip_prefix("://").ok_or(UrlError::Invalid)?;
        let scheme = if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else if is_scheme(scheme) {
            return Err(UrlError::UnsupportedScheme);
        } else {
            return Err(UrlError::Invalid);
        };
        Self::after_scheme(scheme, rest)
    }

    /// The URL a redirect's `Location` names, relative to this one: an absolute URL, a
    /// scheme-relative `//host/path` (this URL's scheme), an absolute path `/path?query` or a
    /// query `?query` (this URL's server).
    ///
    /// # Errors
    ///
    /// [`UrlError::Relative`] for a path relative to this one's (`other`, `../x`), which is
    /// not resolved; the errors of [`parse`](Url::parse) for a bad URL.
    pub fn join(&self, location: &'a str) -> Result<Url<'a>, UrlError> {
        if let Some(rest) = location.strip_prefix("//") {
            return Self::after_scheme(self.scheme, rest);
        }
        let first = location.as_bytes().first().copied();
        if matches!(first, Some(b'/' | b'?' | b'#')) {
            let (path, query) = path_and_query(location)?;
            let path = if first == Some(b'/') { path } else { self.path };
            let query = if first == Some(b'#') {
                self.query
            } else {
                query
            };
            return Ok(Url {
                path,
                query,
                ..*self
            });
        }
        match find(location, |b| b == b':') {
            Some(colon) if is_scheme(location.get(..colon).unwrap_or_default()) => {
                Self::parse(location)
            }
            _ => Err(UrlError::Relative),
        }
    }

    /// What follows `scheme://`.
    fn after_scheme(scheme: Scheme, rest: &'a str) -> Result<Self, UrlError> {
        let end = find(rest, |b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
        let (authority, target) = split_at(rest, end);
        let (host, port) = split_authority(authority)?;
        let port = match port {
            None | Some("") => scheme.default_port(),
            Some(port) => parse_port(port)?,
        };
        let (path, query) = path_and_query(target)?;
        Ok(Url {
            scheme,
            host,
            port,
            authority,
            path,
            query,
        })
    }
}

/// Shows the URL as it is requested: without a fragment, with `/` for an empty path.
impl fmt::Display for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority,
            self.path
        )?;
        match self.query {
            Some(query) => write!(f, "?{query}"),
            None => Ok(()),
        }
    }
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// The host and the port text (`None` without a colon) of an authority.
fn split_authority(authority: &str) -> Result<(&str, Option<&str>), UrlError> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let close = find(v6, |b| b == b']').ok_or(UrlError::Invalid)?;
        let (host, after) = split_at(v6, close);
        let after = after.get(1..).unwrap_or_default();
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !valid {
            return Err(UrlError::Invalid);
        }
        match after {
            "" => (host, None),
            port => (host, Some(port.strip_prefix(':').ok_or(UrlError::Invalid)?)),
        }
    } else {
        let (host, port) = match find(authority, |b| b == b':') {
            Some(colon) => {
                let (host, port) = split_at(authority, colon);
                (host, Some(port.get(1..).unwrap_or_default()))
            }
            None => (authority, None),
        };
        // `@` (user info), `[`, `]` and `:` are not part of a name.
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| is_host_char(b) && !matches!(b, b'[' | b']' | b':'));
        if !valid {
            return Err(UrlError::Invalid);
        }
        (host, port)
    };
    Ok((host, port))
}

/// A port from 1 to 65535, in decimal digits only.
fn parse_port(port: &str) -> Result<u16, UrlError> {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::Invalid);
    }
    let n = port.bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    match u16::try_from(n) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UrlError::Invalid),
    }
}

/// The path (`/` if empty) and query of what follows the authority, without the fragment.
fn path_and_query(target: &str) -> Result<(&str, Option<&str>), UrlError> {
    let end = find(target, |b| b == b'#').unwrap_or(target.len());
    let target = target.get(..end).unwrap_or_default();
    if !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(UrlError::Invalid);
    }
    let (path, query) = match find(target, |b| b == b'?') {
        Some(mark) => {
            let (path, query) = split_at(target, mark);
            (path, query.get(1..))
        }
        None => (target, None),
    };
    Ok((if path.is_empty() { "/" } else { path }, query))
}

/// The first byte of `s` that `matches`: byte loops, not `str` patterns, whose searchers
/// cost a microcontroller a kilobyte of flash.
fn find(s: &str, matches: impl Fn(u8) -> bool) -> Option<usize> {
    s.bytes().position(matches)
}

/// `s` split at `at`, an ASCII byte [`find`] found. Checked, not `str::split_at`, whose panic
/// path (for a cut inside a character, which cannot happen here) costs a Cortex-M4 262 bytes
/// of flash.
fn split_at(s: &str, at: usize) -> (&str, &str) {
    s.split_at_checked(at).unwrap_or((s, ""))
}
