//! Reading request and response heads, on `httparse`.

use core::{fmt, str};

use httparse::{Header, Status};

use super::syntax::{digits, is_host_char, trim_ows, trim_ows_str};
use super::ErrorResponse;

/// A sensible bound on the size of a head, in bytes: 8 KiB, what many servers allow.
pub const DEFAULT_MAX_HEAD_LEN: usize = 8 * 1024;

/// Why a head could not be read.
///
/// Reading a head that has not arrived in full is not an error: the readers return `Ok(None)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HeadError {
    /// The head is longer than the limit, or not complete when the limit is reached.
    TooLarge,
    /// The head has more header fields than the `headers` slice holds.
    TooManyHeaders,
    /// The head is not valid HTTP/1.x, or a field this module reads is invalid: a value that is
    /// not UTF-8, a repeated single-valued field.
    Malformed,
    /// A request's `Host` is missing (HTTP/1.1), repeated or not a host and port (RFC 9112,
    /// section 3.2).
    Host,
    /// The body's length cannot be told for sure (RFC 9112, section 6): a `Content-Length`
    /// that is not a number, or several that disagree; both `Content-Length` and
    /// `Transfer-Encoding` in a request; a request's `Transfer-Encoding` that does not end in
    /// `chunked`, or in an HTTP/1.0 request at all. Answering such a request is how requests
    /// are smuggled past a proxy.
    Framing,
}

impl HeadError {
    /// The status code a server answers this error with: 431 for a head too large, 400 for a
    /// malformed one.
    #[must_use]
    pub const fn status(self) -> u16 {
        self.response().status()
    }

    /// The error response a server answers this error with.
    #[must_use]
    pub const fn response(self) -> ErrorResponse {
        match self {
            HeadError::TooLarge | HeadError::TooManyHeaders => ErrorResponse::HeadersTooLarge,
            HeadError::Malformed | HeadError::Host | HeadError::Framing => {
                ErrorResponse::BadRequest
            }
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeadError::TooLarge => "head over the size limit",
            HeadError::TooManyHeaders => "too many header fields",
            HeadError::Malformed => "malformed head",
            HeadError::Host => "missing, repeated or invalid host",
            HeadError::Framing => "ambiguous body length",
        })
    }
}

impl core::error::Error for HeadError {}

/// A request head, as a server reads it. Borrows the bytes read.
///
/// Header names are matched case-insensitively. `Last-Event-ID` and `Origin` must not appear
/// more than once, and each of `Last-Event-ID`, `Accept` and `Origin` must be UTF-8, or the head
/// is [`HeadError::Malformed`]: two ids (or origins) are ambiguous, and an id that is not
/// UTF-8 cannot be one a browser sends, nor be looked up; answering as if there were none would
/// silently skip events. Leading and trailing whitespace of every value is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RequestHead<'b> {
    /// The method, such as `GET`; case-sensitive, as HTTP defines it.
    pub method: &'b str,
    /// The request target as sent, query included, such as `/events?topic=a`
    /// ([`path`](RequestHead::path) is without the query, as a URL's path).
    pub target: &'b str,
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (the only versions read).
    ///
    /// An HTTP/1.0 client cannot take a chunked response: answer it with
    /// [`Framing::Close`](super::Framing::Close).
    pub version: u8,
    /// The `Last-Event-ID` value: the id of the last event the client saw. `None` when the field
    /// is absent or empty.
    pub last_event_id: Option<&'b str>,
    /// The first `Accept` value, if any.
    pub accept: Option<&'b str>,
    /// Whether the client takes `text/event-stream`: there is no `Accept` field, or its media
    /// ranges (across all `Accept` fields) rank `text/event-stream`, `text/*` or `*/*` with a
    /// quality above zero, the most specific range deciding.
    pub accepts_event_stream: bool,
    /// The `Origin` value, sent by browsers on cross-origin requests.
    pub origin: Option<&'b str>,
    /// The `Host` value: the authority the client asked for. At most one, or the head is
    /// [`HeadError::Host`]; HTTP/1.1 requires one, which a server's
    /// [`Handshake`](crate::server::Handshake) checks (a head read here may lack it).
    pub host: Option<&'b str>,
    /// How the request's body is delimited: [`Body::Length`] (`Length(0)` for none) or
    /// [`Body::Chunked`]; never [`Body::Close`], which a request cannot use.
    pub body: Body,
    /// How many header fields there are: the front of the `headers` slice passed in holds them.
    pub header_count: usize,
    /// The length of the head in bytes, blank line included: the body or the next request
    /// starts there.
    pub len: usize,
}

impl<'b> RequestHead<'b> {
    /// The path without the query: `/events` for `/events?topic=a`.
    #[must_use]
    pub fn path(&self) -> &'b str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// A response head, as a client reads it. Borrows the bytes read.
///
/// `Content-Type`, `Location` and `Retry-After` must not appear more than once, and
/// `Content-Type` and `Location` must be UTF-8, or the head is [`HeadError::Malformed`].
///
/// A 1xx status (such as `103 Early Hints`) is an interim response: the final one follows
/// right after [`len`](ResponseHead::len) bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResponseHead<'b> {
    /// The status code, three digits.
    pub status: u16,
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    /// The `Content-Type` value; see [`is_event_stream`](ResponseHead::is_event_stream).
    pub content_type: Option<&'b str>,
    /// The `Content-Length` value. Repeated (on several lines or as a list), it must be the same
    /// number each time, or the head is malformed.
    pub content_length: Option<u64>,
    /// How the body is delimited.
    pub body: Body,
    /// The `Location` value, where a redirection points (possibly relative).
    pub location: Option<&'b str>,
    /// The `Content-Encoding` value (such as `gzip`): the codings applied to the body, in
    /// order. `identity` is no coding (see [`is_encoded`](ResponseHead::is_encoded)).
    pub content_encoding: Option<&'b str>,
    /// The `Retry-After` value in seconds (saturating), as a 503 or 429 may carry it; `None` when
    /// absent or not a number of seconds (an HTTP date is not read).
    pub retry_after: Option<u64>,
    /// How many header fields there are: the front of the `headers` slice passed in holds them.
    pub header_count: usize,
    /// The length of the head in bytes, blank line included: the body starts there.
    pub len: usize,
}

impl ResponseHead<'_> {
    /// Whether the content type is `text/event-stream` (see [`is_event_stream`]).
    #[must_use]
    pub fn is_event_stream(&self) -> bool {
        self.content_type.is_some_and(is_event_stream)
    }

    /// Whether the body is encoded ([`content_encoding`](ResponseHead::content_encoding) is
    /// there and not `identity`): compressed bytes, not events.
    #[must_use]
    pub fn is_encoded(&self) -> bool {
        // One coding, or `identity`: a list of codings is taken for an encoded body.
        self.content_encoding
            .is_some_and(|coding| !coding.trim_ascii().eq_ignore_ascii_case("identity"))
    }
}

/// How a response body is delimited (RFC 9112, section 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Body {
    /// `Transfer-Encoding` with `chunked` as its last coding: decode with
    /// [`ChunkedDecoder`](super::ChunkedDecoder). It overrides any `Content-Length`.
    Chunked,
    /// This many bytes, from `Content-Length`; also `Length(0)` for a 1xx, 204 or 304 status,
    /// which never has a body.
    Length(u64),
    /// Everything until the server closes the connection: no length, or a `Transfer-Encoding`
    /// whose last coding is not `chunked`.
    Close,
}

/// Whether a `Content-Type` value is `text/event-stream`.
///
/// The media type is compared case-insensitively; whitespace around it and parameters after it
/// (`; charset=utf-8`) are allowed. `text/event-streams` or `text/event-stream-x` is not it.
///
/// ```
/// use ssewire::http::is_event_stream;
///
/// assert!(is_event_stream("text/event-stream"));
/// assert!(is_event_stream(" Text/Event-Stream ; charset=utf-8"));
/// assert!(!is_event_stream("text/event-streams"));
/// assert!(!is_event_stream("text/plain"));
/// ```
#[must_use]
pub fn is_event_stream(content_type: &str) -> bool {
    // Byte loops, not `split(';')` and `trim_matches`, whose searchers cost a Cortex-M4
    // about 500 bytes of flash.
    let bytes = content_type.as_bytes();
    let end = bytes.iter().position(|&b| b == b';').unwrap_or(bytes.len());
    let media_type = bytes.get(..end).unwrap_or_default();
    trim_ows(media_type).eq_ignore_ascii_case(b"text/event-stream")
}

/// Reads a request head from the front of `buf`, the bytes received so far.
///
/// Returns `Ok(None)` while the head is incomplete: read more bytes, append them, and call
/// again with the whole buffer. `headers` bounds the number of header fields (a slice of
/// [`EMPTY_HEADER`](super::EMPTY_HEADER)s); `max_len` bounds the head's length in bytes
/// (for example [`DEFAULT_MAX_HEAD_LEN`]). Bytes after the head are not looked at.
///
/// Each call parses the head from its start, so a head arriving a byte at a time costs time
/// quadratic in its length: `max_len` bounds that too.
///
/// HTTP/1.0 and HTTP/1.1 are read; empty lines before the request line are skipped; bare LF
/// line ends are accepted; obsolete line folding is malformed.
///
/// # Errors
///
/// [`HeadError::TooLarge`] once the head is longer than `max_len`, complete or not;
/// [`HeadError::TooManyHeaders`] if it has more fields than `headers` holds;
/// [`HeadError::Malformed`] for anything else wrong (see [`RequestHead`]).
/// [`HeadError::status`] tells the status code to answer with.
pub fn read_request<'b>(
    buf: &'b [u8],
    headers: &mut [Header<'b>],
    max_len: usize,
) -> Result<Option<RequestHead<'b>>, HeadError> {
    let mut request = httparse::Request::new(headers);
    let Some(len) = parse(buf, max_len, |bytes| request.parse(bytes))? else {
        return Ok(None);
    };
    let (Some(method), Some(path), Some(version)) = (request.method, request.path, request.version)
    else {
        return Err(HeadError::Malformed);
    };
    let mut last_event_id = None;
    let mut accept = None;
    let mut accept_rank = None;
    let mut origin = None;
    let mut host = None;
    let mut lengths = Lengths::default();
    for header in request.headers.iter() {
        let name = header.name;
        if lengths.read(name, header.value)? {
            continue;
        }
        if name.eq_ignore_ascii_case("host") {
            let value = header.value;
            let valid = value.iter().all(|&b| is_host_char(b));
            if host.is_some() || !valid {
                return Err(HeadError::Host);
            }
            host = Some(utf8(value).map_err(|_| HeadError::Host)?);
        } else if name.eq_ignore_ascii_case("last-event-id") {
            once(&mut last_event_id, header.value)?;
        } else if name.eq_ignore_ascii_case("origin") {
            once(&mut origin, header.value)?;
        } else if name.eq_ignore_ascii_case("accept") {
            let value = utf8(header.value)?;
            accept.get_or_insert(value);
            rank_accept(value, &mut accept_rank);
        }
    }
    // RFC 9112, sections 6.1 and 6.3: no guessing at a request's length.
    let body = match lengths {
        Lengths {
            transfer_encoding: false,
            content_length,
            ..
        } => Body::Length(content_length.unwrap_or(0)),
        Lengths {
            content_length: Some(_),
            ..
        } => return Err(HeadError::Framing),
        _ if version == 0 || !lengths.chunked() => return Err(HeadError::Framing),
        _ => Body::Chunked,
    };
    Ok(Some(RequestHead {
        method,
        target: path,
        version,
        last_event_id: last_event_id.filter(|id: &&str| !id.is_empty()),
        accept,
        accepts_event_stream: accept.is_none() || accept_rank.is_some_and(|(_, ok)| ok),
        origin,
        host,
        body,
        header_count: request.headers.len(),
        len,
    }))
}

/// Reads a response head from the front of `buf`, the bytes received so far.
///
/// Works as [`read_request`] does: `Ok(None)` while incomplete, the same limits and errors.
///
/// # Errors
///
/// [`HeadError::TooLarge`], [`HeadError::TooManyHeaders`], or [`HeadError::Malformed`] (see
/// [`ResponseHead`]).
pub fn read_response<'b>(
    buf: &'b [u8],
    headers: &mut [Header<'b>],
    max_len: usize,
) -> Result<Option<ResponseHead<'b>>, HeadError> {
    let mut response = httparse::Response::new(headers);
    let Some(len) = parse(buf, max_len, |bytes| response.parse(bytes))? else {
        return Ok(None);
    };
    let (Some(status), Some(version)) = (response.code, response.version) else {
        return Err(HeadError::Malformed);
    };
    let mut content_type = None;
    let mut location = None;
    let mut content_encoding = None;
    let mut retry_after = None;
    let mut lengths = Lengths::default();
    for header in response.headers.iter() {
        let name = header.name;
        if lengths.read(name, header.value)? {
            continue;
        }
        if name.eq_ignore_ascii_case("content-type") {
            once(&mut content_type, header.value)?;
        } else if name.eq_ignore_ascii_case("location") {
            once(&mut location, header.value)?;
        } else if name.eq_ignore_ascii_case("content-encoding") {
            once(&mut content_encoding, header.value)?;
        } else if name.eq_ignore_ascii_case("retry-after") {
            if retry_after.is_some() {
                return Err(HeadError::Malformed);
            }
            retry_after = Some(digits(header.value, true));
        }
    }
    let content_length = lengths.content_length;
    let body = if status < 200 || status == 204 || status == 304 {
        Body::Length(0)
    } else if lengths.transfer_encoding {
        if lengths.chunked() {
            Body::Chunked
        } else {
            Body::Close
        }
    } else {
        content_length.map_or(Body::Close, Body::Length)
    };
    Ok(Some(ResponseHead {
        status,
        version,
        content_type,
        content_length,
        body,
        location,
        content_encoding,
        retry_after: retry_after.flatten(),
        header_count: response.headers.len(),
        len,
    }))
}

/// What a head's `Content-Length` and `Transfer-Encoding` fields say, read field by field: the
/// one reading of the framing fields for requests and responses.
#[derive(Default)]
struct Lengths<'b> {
    /// The length, if given; every `Content-Length` (and each item of a list) must agree.
    content_length: Option<u64>,
    /// There is a `Transfer-Encoding` field.
    transfer_encoding: bool,
    /// The last coding listed, parameters and all.
    last_coding: &'b [u8],
}

impl<'b> Lengths<'b> {
    /// Reads the field if it is one of the two: `Ok(true)`; `Ok(false)` for another field.
    fn read(&mut self, name: &str, value: &'b [u8]) -> Result<bool, HeadError> {
        if name.eq_ignore_ascii_case("content-length") {
            for item in value.split(|&b| b == b',') {
                let n = digits(trim_ows(item), false).ok_or(HeadError::Framing)?;
                if *self.content_length.get_or_insert(n) != n {
                    return Err(HeadError::Framing);
                }
            }
            Ok(true)
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.transfer_encoding = true;
            // Empty list elements do not count.
            let last = value
                .split(|&b| b == b',')
                .map(trim_ows)
                .rfind(|c| !c.is_empty());
            if let Some(coding) = last {
                self.last_coding = coding;
            }
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Whether the last coding is `chunked`.
    fn chunked(&self) -> bool {
        let coding = self.last_coding.split(|&b| b == b';').next();
        trim_ows(coding.unwrap_or_default()).eq_ignore_ascii_case(b"chunked")
    }
}

/// Runs `parse` on at most `max_len` bytes of `buf`: the length of the complete head, `None`
/// for more bytes needed, or the error.
fn parse<'b>(
    buf: &'b [u8],
    max_len: usize,
    parse: impl FnOnce(&'b [u8]) -> httparse::Result<usize>,
) -> Result<Option<usize>, HeadError> {
    let limited = buf.get(..max_len).unwrap_or(buf);
    match parse(limited) {
        Ok(Status::Complete(len)) => Ok(Some(len)),
        // The head does not end within `max_len` bytes.
        Ok(Status::Partial) if buf.len() >= max_len => Err(HeadError::TooLarge),
        Ok(Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(HeadError::TooManyHeaders),
        Err(_) => Err(HeadError::Malformed),
    }
}

fn utf8(value: &[u8]) -> Result<&str, HeadError> {
    crate::utf8::text(value).ok_or(HeadError::Malformed)
}

/// Sets a single-valued field, which must be UTF-8, seen for the first time.
fn once<'b>(slot: &mut Option<&'b str>, value: &'b [u8]) -> Result<(), HeadError> {
    if slot.is_some() {
        return Err(HeadError::Malformed);
    }
    *slot = Some(utf8(value)?);
    Ok(())
}

/// Folds the media ranges of one `Accept` value into `best`: the specificity of the most
/// specific range matching `text/event-stream` (3 exact, 2 `text/*`, 1 `*/*`), and whether a
/// range of that specificity has a quality above zero.
fn rank_accept(value: &str, best: &mut Option<(u8, bool)>) {
    for range in value.split(',') {
        let mut parts = range.split(';');
        let media = trim_ows_str(parts.next().unwrap_or_default());
        let specificity = if media.eq_ignore_ascii_case("text/event-stream") {
            3
        } else if media.eq_ignore_ascii_case("text/*") {
            2
        } else if media == "*/*" {
            1
        } else {
            continue;
        };
        let mut acceptable = true;
        for param in parts {
            if let Some((name, q)) = param.split_once('=') {
                if trim_ows_str(name).eq_ignore_ascii_case("q") {
                    acceptable = !is_zero_quality(trim_ows_str(q));
                }
            }
        }
        match best {
            Some((s, _)) if *s > specificity => {}
            Some((s, ok)) if *s == specificity => *ok |= acceptable,
            _ => *best = Some((specificity, acceptable)),
        }
    }
}

/// `0`, `0.`, `0.0`, `0.00`, `0.000`: a quality of zero, "not acceptable".
fn is_zero_quality(q: &str) -> bool {
    match q.strip_prefix('0') {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('.')
            .is_some_and(|zeros| zeros.len() <= 3 && zeros.bytes().all(|b| b == b'0')),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(values: &[&str]) -> bool {
        let mut best = None;
        for value in values {
            rank_accept(value, &mut best);
        }
        best.is_some_and(|(_, ok)| ok)
    }

    #[test]
    fn accept_ranking() {
        assert!(accepts(&["text/event-stream"]));
        assert!(accepts(&["TEXT/Event-Stream;charset=utf-8"]));
        assert!(accepts(&["text/html", "text/event-stream"]));
        assert!(accepts(&["*/*"]));
        assert!(accepts(&["text/*;q=0.5"]));
        assert!(accepts(&["*/*;q=0, text/event-stream"]));
        assert!(!accepts(&["text/event-stream;q=0, */*"]));
        assert!(!accepts(&["text/event-stream; q=0.000"]));
        assert!(accepts(&["text/event-stream; q=0.001"]));
        assert!(!accepts(&["text/html"]));
        assert!(!accepts(&[""]));
        assert!(!accepts(&["text/event-streams"]));
        assert!(!accepts(&["*/*;q=0"]));
    }

    #[test]
    fn zero_quality() {
        for q in ["0", "0.", "0.0", "0.000"] {
            assert!(is_zero_quality(q), "{q}");
        }
        for q in ["1", "0.5", "0.0000", "00", "", "x"] {
            assert!(!is_zero_quality(q), "{q}");
        }
    }
}
