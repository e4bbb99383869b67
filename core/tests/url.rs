//! The one URL parser's rules, in one table: what every client and connector accepts, and
//! how a redirect's `Location` resolves.

use ssewire::http::{Scheme, Url, UrlError};

/// What a URL parses to, as `(scheme, host, port, authority, path, query)`.
type Parts = (
    Scheme,
    &'static str,
    u16,
    &'static str,
    &'static str,
    Option<&'static str>,
);

fn parts(url: Url<'_>) -> (Scheme, String, u16, String, String, Option<String>) {
    (
        url.scheme,
        url.host.to_owned(),
        url.port,
        url.authority.to_owned(),
        url.path.to_owned(),
        url.query.map(str::to_owned),
    )
}

fn owned(p: Parts) -> (Scheme, String, u16, String, String, Option<String>) {
    (
        p.0,
        p.1.to_owned(),
        p.2,
        p.3.to_owned(),
        p.4.to_owned(),
        p.5.map(str::to_owned),
    )
}

use Scheme::{Http, Https};

const ACCEPTED: &[(&str, Parts)] = &[
    (
        "http://a.example/events",
        (Http, "a.example", 80, "a.example", "/events", None),
    ),
    (
        "HTTP://a.example:8080",
        (Http, "a.example", 8080, "a.example:8080", "/", None),
    ),
    (
        "https://a.example",
        (Https, "a.example", 443, "a.example", "/", None),
    ),
    (
        "HtTpS://a.example:8443/s",
        (Https, "a.example", 8443, "a.example:8443", "/s", None),
    ),
    // An empty port is the scheme's default (RFC 3986 allows it).
    (
        "http://a.example:/x",
        (Http, "a.example", 80, "a.example:", "/x", None),
    ),
    (
        "https://a.example:/x",
        (Https, "a.example", 443, "a.example:", "/x", None),
    ),
    // No path: `/`, also before a query; the fragment is never sent.
    (
        "http://a.example?x=1#frag",
        (Http, "a.example", 80, "a.example", "/", Some("x=1")),
    ),
    (
        "http://a.example/p?#f",
        (Http, "a.example", 80, "a.example", "/p", Some("")),
    ),
    (
        "http://a.example#f",
        (Http, "a.example", 80, "a.example", "/", None),
    ),
    (
        "http://a.example/a/b?c=d&e=%20",
        (
            Http,
            "a.example",
            80,
            "a.example",
            "/a/b",
            Some("c=d&e=%20"),
        ),
    ),
    // IP literals: IPv6 in brackets (the host is given without them).
    (
        "http://[::1]:9/s?q",
        (Http, "::1", 9, "[::1]:9", "/s", Some("q")),
    ),
    ("http://[::1]/", (Http, "::1", 80, "[::1]", "/", None)),
    (
        "http://[2001:db8::1.2.3.4]:65535/",
        (
            Http,
            "2001:db8::1.2.3.4",
            65535,
            "[2001:db8::1.2.3.4]:65535",
            "/",
            None,
        ),
    ),
    (
        "http://127.0.0.1:8080/x",
        (Http, "127.0.0.1", 8080, "127.0.0.1:8080", "/x", None),
    ),
    // Names keep their case and percent-encoding as written.
    (
        "http://Sensors.LOCAL/x",
        (Http, "Sensors.LOCAL", 80, "Sensors.LOCAL", "/x", None),
    ),
    (
        "http://a%2Db.example/",
        (Http, "a%2Db.example", 80, "a%2Db.example", "/", None),
    ),
    (
        "http://port.example:1/",
        (Http, "port.example", 1, "port.example:1", "/", None),
    ),
];

const REFUSED: &[(&str, UrlError)] = &[
    ("ftp://a.example/", UrlError::UnsupportedScheme),
    ("ws://a.example/", UrlError::UnsupportedScheme),
    ("a.example/events", UrlError::Invalid),
    ("://a.example", UrlError::Invalid),
    ("1http://a.example", UrlError::Invalid),
    ("http:/a.example", UrlError::Invalid),
    ("http://", UrlError::Invalid),
    ("http:///path", UrlError::Invalid),
    ("http://?q", UrlError::Invalid),
    ("http://:80/", UrlError::Invalid),
    // User info is refused, not sent.
    ("http://user@a.example/", UrlError::Invalid),
    ("http://user:pass@a.example/", UrlError::Invalid),
    // Ports: digits only, 1 to 65535.
    ("http://a.example:0/", UrlError::Invalid),
    ("http://a.example:65536/", UrlError::Invalid),
    ("http://a.example:99999/", UrlError::Invalid),
    ("http://a.example:+80/", UrlError::Invalid),
    ("http://a.example:port/", UrlError::Invalid),
    ("http://a.example:080000/", UrlError::Invalid),
    ("http://a.example:80:80/", UrlError::Invalid),
    // IPv6 literals: closed, hex digits, colons and dots only.
    ("http://[::1/", UrlError::Invalid),
    ("http://[::1]x/", UrlError::Invalid),
    ("http://[]/", UrlError::Invalid),
    ("http://[fe80::1%25eth0]/", UrlError::Invalid),
    ("http://a]b/", UrlError::Invalid),
    // Nothing that cannot be sent: spaces, control bytes, non-ASCII.
    ("http://a.example/with space", UrlError::Invalid),
    ("http://a.example/\r\nX: injected", UrlError::Invalid),
    ("http://a.example/?q=\t", UrlError::Invalid),
    ("http://a example/", UrlError::Invalid),
    ("http://ä.example/", UrlError::Invalid),
    ("http://a.example/ü", UrlError::Invalid),
];

#[test]
fn parse_table() {
    for &(url, expected) in ACCEPTED {
        let parsed = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(parts(parsed), owned(expected), "{url}");
    }
    for &(url, error) in REFUSED {
        assert_eq!(Url::parse(url), Err(error), "{url}");
    }
}

#[test]
fn display_is_what_is_requested() {
    for (url, shown) in [
        ("HTTP://a.example:8080", "http://a.example:8080/"),
        ("http://a.example?x=1#frag", "http://a.example/?x=1"),
        ("https://[::1]:9/s?q", "https://[::1]:9/s?q"),
    ] {
        assert_eq!(Url::parse(url).unwrap().to_string(), shown);
    }
}

/// `(base, Location, resolved)`; `Err` for what is refused.
const JOINED: &[(&str, &str, Result<&str, UrlError>)] = &[
    // Absolute URLs, any scheme the parser takes.
    (
        "http://a.example/events",
        "http://b.example:8080/s?x=1",
        Ok("http://b.example:8080/s?x=1"),
    ),
    (
        "http://a.example/events",
        "HTTPS://b.example",
        Ok("https://b.example/"),
    ),
    (
        "https://a.example/events",
        "http://b.example/",
        Ok("http://b.example/"),
    ),
    (
        "http://a.example/events",
        "http://[::1]:9?q",
        Ok("http://[::1]:9/?q"),
    ),
    // Scheme-relative: the base's scheme, another server.
    (
        "http://a.example/events",
        "//b.example/s?q",
        Ok("http://b.example/s?q"),
    ),
    (
        "https://a.example/events",
        "//b.example",
        Ok("https://b.example/"),
    ),
    // Absolute path and query: the base's server.
    (
        "http://a.example:8080/events?t=1",
        "/other?x=1",
        Ok("http://a.example:8080/other?x=1"),
    ),
    (
        "http://a.example/events",
        "/other#frag",
        Ok("http://a.example/other"),
    ),
    (
        "http://a.example/events?t=1",
        "?t=2",
        Ok("http://a.example/events?t=2"),
    ),
    (
        "http://a.example/events?t=1",
        "#frag",
        Ok("http://a.example/events?t=1"),
    ),
    // Not resolved: relative to the base's path.
    (
        "http://a.example/a/events",
        "relative",
        Err(UrlError::Relative),
    ),
    ("http://a.example/a/events", "../x", Err(UrlError::Relative)),
    ("http://a.example/a/events", "", Err(UrlError::Relative)),
    (
        "http://a.example/events",
        "bad scheme://b.example/",
        Err(UrlError::Relative),
    ),
    // Refused as URLs.
    (
        "http://a.example/events",
        "ftp://b.example/",
        Err(UrlError::UnsupportedScheme),
    ),
    (
        "http://a.example/events",
        "http://user@b.example/",
        Err(UrlError::Invalid),
    ),
    (
        "http://a.example/events",
        "//b.example:0/",
        Err(UrlError::Invalid),
    ),
    (
        "http://a.example/events",
        "/with space",
        Err(UrlError::Invalid),
    ),
    ("http://a.example/events", "?\u{0}", Err(UrlError::Invalid)),
];

#[test]
fn join_table() {
    for &(base, location, expected) in JOINED {
        let base_url = Url::parse(base).unwrap();
        let joined = base_url.join(location).map(|url| url.to_string());
        assert_eq!(joined, expected.map(str::to_owned), "{base} + {location:?}");
    }
}

#[test]
fn never_panics_on_any_prefix() {
    for &(url, _) in ACCEPTED {
        for end in 0..=url.len() {
            if let Some(prefix) = url.get(..end) {
                let _ = Url::parse(prefix);
                let base = Url::parse("http://a.example/x").unwrap();
                let _ = base.join(prefix);
            }
        }
    }
}
