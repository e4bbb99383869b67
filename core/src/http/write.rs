//! Writing heads: the response that opens an event stream, error responses, a client's request.

use core::fmt;

use super::syntax::{decimal, is_field_char, is_host_char, is_token};
use crate::counted::{Out, Writes};

/// Why a head could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WriteError {
    /// The request path is empty, or holds a byte other than visible ASCII, or `#`.
    InvalidPath,
    /// The request method is not a token (empty, or holding a space or a control character).
    InvalidMethod,
    /// The host is empty, or holds a byte a host and port cannot hold.
    InvalidHost,
    /// The last event ID holds a control character (CR, LF, NUL and the like, HTAB aside).
    InvalidLastEventId,
    /// The CORS origin is empty, or holds a byte other than visible ASCII, or a comma.
    InvalidOrigin,
    /// CORS credentials with the wildcard origin `*`, which browsers refuse.
    CredentialsWithWildcard,
    /// An extra header name is not a token (empty, or holding a space, a colon, a control
    /// character...).
    InvalidHeaderName,
    /// An extra header value holds a control character (CR, LF, NUL and the like, HTAB aside).
    InvalidHeaderValue,
    /// An extra header is one the writer sets itself, or one that changes the framing.
    ReservedHeader,
    /// A status code that is not a final one (200 to 999): 1xx are interim, below 100 invalid.
    InvalidStatus,
    /// The buffer is too small for the whole head; nothing was written.
    BufferTooSmall,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteError::InvalidPath => "invalid request path",
            WriteError::InvalidMethod => "invalid request method",
            WriteError::InvalidHost => "invalid host",
            WriteError::InvalidLastEventId => "last event id holds a control character",
            WriteError::InvalidOrigin => "invalid cors origin",
            WriteError::CredentialsWithWildcard => "cors credentials with the wildcard origin",
            WriteError::InvalidHeaderName => "invalid header name",
            WriteError::InvalidHeaderValue => "header value holds a control character",
            WriteError::ReservedHeader => "header set by the writer itself",
            WriteError::InvalidStatus => "status is not a final status code",
            WriteError::BufferTooSmall => "buffer too small for the head",
        })
    }
}

impl core::error::Error for WriteError {}

/// How the body of an event stream is delimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Framing {
    /// No length; the stream ends when the server closes the connection (`Connection: close`).
    /// Works with HTTP/1.0 and HTTP/1.1 clients and proxies, and events go out as encoded.
    #[default]
    Close,
    /// `Transfer-Encoding: chunked`: each piece of the stream goes out as a chunk (see
    /// [`ChunkHeader`](super::ChunkHeader)), and [`LAST_CHUNK`](super::LAST_CHUNK) ends it
    /// cleanly, so the client can tell a finished stream from a cut connection and the
    /// connection can be reused. HTTP/1.1 clients only.
    Chunked,
}

/// CORS headers for an event stream opened from a page of another origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cors<'a> {
    /// `Access-Control-Allow-Origin`: the origin allowed (such as the request's `Origin`, once
    /// checked against a list), or `*` for any origin without credentials. With an origin other
    /// than `*`, `Vary: Origin` is written too.
    pub origin: &'a str,
    /// `Access-Control-Allow-Credentials: true`, for an `EventSource` opened with
    /// `withCredentials` (cookies). Not allowed with the origin `*`.
    pub credentials: bool,
}

impl<'a> Cors<'a> {
    /// Allows `origin`, without credentials.
    #[must_use]
    pub const fn new(origin: &'a str) -> Self {
        Cors {
            origin,
            credentials: false,
        }
    }
}

/// The header fields every event stream's `200 OK` head carries, as name and value: the
/// media type, `Cache-Control: no-cache` (no cache holds the stream back) and
/// `X-Accel-Buffering: no` (nginx passes each event on at once). What [`Response`] writes
/// first; for a stream served by another HTTP stack (axum, hyper), the headers to set.
pub const STREAM_HEADERS: [(&str, &str); 3] = [
    ("Content-Type", "text/event-stream"),
    ("Cache-Control", "no-cache"),
    ("X-Accel-Buffering", "no"),
];

/// The head of the `200 OK` response that opens an event stream.
///
/// ```text
/// HTTP/1.1 200 OK
/// Content-Type: text/event-stream
/// Cache-Control: no-cache
/// X-Accel-Buffering: no
/// Connection: close                      (or Transfer-Encoding: chunked, see Framing)
/// Access-Control-Allow-Origin: <origin>  (with CORS)
/// Access-Control-Allow-Credentials: true (with CORS credentials)
/// Vary: Origin                           (with CORS, an origin other than *)
/// <extra headers>
/// ```
///
/// Lines end with CRLF, and a blank line ends the head. `X-Accel-Buffering: no` keeps nginx
/// from buffering the stream. Extra headers are checked: a name must be a token, a value must
/// hold no control character (HTAB aside), and the headers written above as well as
/// `Content-Length`, `Transfer-Encoding` and `Connection` are reserved.
///
/// ```
/// use ssewire::http::{Cors, Response};
///
/// let head = Response::new().cors(Cors::new("https://app.example"));
/// let mut buf = [0u8; 256];
/// let len = head.encode(&mut buf)?;
/// assert!(buf[..len].starts_with(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"));
/// # Ok::<(), ssewire::http::WriteError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use]
pub struct Response<'a> {
    framing: Framing,
    cors: Option<Cors<'a>>,
    headers: &'a [(&'a str, &'a str)],
}

/// Headers a [`Response`] does not take as extra headers.
const RESPONSE_RESERVED: &[&str] = &[
    "content-type",
    "cache-control",
    "x-accel-buffering",
    "connection",
    "content-length",
    "transfer-encoding",
    "access-control-allow-origin",
    "access-control-allow-credentials",
];

impl<'a> Response<'a> {
    /// The head with [`Framing::Close`], no CORS and no extra headers.
    pub const fn new() -> Self {
        Response {
            framing: Framing::Close,
            cors: None,
            headers: &[],
        }
    }

    /// Sets the framing.
    pub const fn framing(self, framing: Framing) -> Self {
        Response { framing, ..self }
    }

    /// Adds CORS headers.
    pub const fn cors(self, cors: Cors<'a>) -> Self {
        Response {
            cors: Some(cors),
            ..self
        }
    }

    /// Sets extra headers, as (name, value) pairs, written after the others in this order.
    pub const fn headers(self, headers: &'a [(&'a str, &'a str)]) -> Self {
        Response { headers, ..self }
    }

    /// The exact number of bytes [`encode`](Response::encode) writes.
    ///
    /// # Errors
    ///
    /// The [`WriteError`] `encode` would give, other than [`WriteError::BufferTooSmall`].
    pub fn encoded_len(&self) -> Result<usize, WriteError> {
        self.check()?;
        Ok(self.counted_len())
    }

    /// Writes the head into the front of `buf` and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::BufferTooSmall`] if it does not fit (then `buf` is untouched), or an invalid
    /// CORS origin ([`WriteError::InvalidOrigin`], [`WriteError::CredentialsWithWildcard`]) or
    /// extra header ([`WriteError::InvalidHeaderName`], [`WriteError::InvalidHeaderValue`],
    /// [`WriteError::ReservedHeader`]).
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len()?;
        self.write_into(buf, len).ok_or(WriteError::BufferTooSmall)
    }

    fn check(&self) -> Result<(), WriteError> {
        if let Some(cors) = self.cors {
            let origin = cors.origin.as_bytes();
            if origin.is_empty() || !origin.iter().all(|&b| b.is_ascii_graphic() && b != b',') {
                return Err(WriteError::InvalidOrigin);
            }
            if cors.credentials && origin == b"*" {
                return Err(WriteError::CredentialsWithWildcard);
            }
        }
        check_headers(self.headers, RESPONSE_RESERVED)
    }
}

impl Writes for Response<'_> {
    const COMPACT: bool = false;

    fn write_out<O: Out + ?Sized>(&self, out: &mut O) {
        out.put(b"HTTP/1.1 200 OK\r\n");
        for (name, value) in STREAM_HEADERS {
            field(out, name, value.as_bytes());
        }
        match self.framing {
            Framing::Close => field(out, "Connection", b"close"),
            Framing::Chunked => field(out, "Transfer-Encoding", b"chunked"),
        }
        if let Some(cors) = self.cors {
            field(out, "Access-Control-Allow-Origin", cors.origin.as_bytes());
            if cors.credentials {
                field(out, "Access-Control-Allow-Credentials", b"true");
            }
            if cors.origin != "*" {
                field(out, "Vary", b"Origin");
            }
        }
        for (name, value) in self.headers {
            field(out, name, value.as_bytes());
        }
        out.put(b"\r\n");
    }
}

/// A plain error response: status line, a short text body, `Content-Length`, and
/// `Connection: close` (close the connection once it is sent).
///
/// ```text
/// HTTP/1.1 405 Method Not Allowed
/// Allow: GET                               (405 only)
/// Retry-After: <seconds>                   (503 only)
/// Content-Type: text/plain; charset=utf-8
/// Content-Length: 19
/// Connection: close
///
/// Method Not Allowed
/// ```
///
/// The body is the reason phrase and an LF.
///
/// ```
/// use ssewire::http::ErrorResponse;
///
/// let mut buf = [0u8; 160];
/// let len = ErrorResponse::ServiceUnavailable { retry_after: 5 }.encode(&mut buf)?;
/// assert!(buf[..len].starts_with(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"));
/// # Ok::<(), ssewire::http::WriteError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorResponse {
    /// `400 Bad Request`: a malformed request head.
    BadRequest,
    /// `404 Not Found`: no stream at this path.
    NotFound,
    /// `405 Method Not Allowed`, with `Allow: GET`.
    MethodNotAllowed,
    /// `431 Request Header Fields Too Large`: a request head over the limits.
    HeadersTooLarge,
    /// `408 Request Timeout`: a request body that did not arrive in time.
    RequestTimeout,
    /// `413 Content Too Large`: a request body over the limit.
    ContentTooLarge,
    /// `503 Service Unavailable`, with `Retry-After`: over capacity. A browser's `EventSource`
    /// gives up for good on it; other clients may come back after `retry_after`.
    ServiceUnavailable {
        /// When to try again, in seconds.
        retry_after: u64,
    },
}

impl ErrorResponse {
    /// The status code.
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            ErrorResponse::BadRequest => 400,
            ErrorResponse::NotFound => 404,
            ErrorResponse::MethodNotAllowed => 405,
            ErrorResponse::HeadersTooLarge => 431,
            ErrorResponse::RequestTimeout => 408,
            ErrorResponse::ContentTooLarge => 413,
            ErrorResponse::ServiceUnavailable { .. } => 503,
        }
    }

    /// The reason phrase, such as `Not Found`.
    #[must_use]
    pub const fn reason(self) -> &'static str {
        match self {
            ErrorResponse::BadRequest => "Bad Request",
            ErrorResponse::NotFound => "Not Found",
            ErrorResponse::MethodNotAllowed => "Method Not Allowed",
            ErrorResponse::HeadersTooLarge => "Request Header Fields Too Large",
            ErrorResponse::RequestTimeout => "Request Timeout",
            ErrorResponse::ContentTooLarge => "Content Too Large",
            ErrorResponse::ServiceUnavailable { .. } => "Service Unavailable",
        }
    }

    /// The exact number of bytes [`encode`](ErrorResponse::encode) writes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.counted_len()
    }

    /// Writes the response into the front of `buf` and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::BufferTooSmall`] if it does not fit (then `buf` is untouched).
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.write_into(buf, self.encoded_len())
            .ok_or(WriteError::BufferTooSmall)
    }
}

impl Writes for ErrorResponse {
    const COMPACT: bool = false;

    fn write_out<O: Out + ?Sized>(&self, out: &mut O) {
        let mut digits = [0; 20];
        out.put(b"HTTP/1.1 ");
        out.put(decimal(self.status().into(), &mut digits));
        out.put(b" ");
        out.put(self.reason().as_bytes());
        out.put(b"\r\n");
        match *self {
            ErrorResponse::MethodNotAllowed => field(out, "Allow", b"GET"),
            ErrorResponse::ServiceUnavailable { retry_after } => {
                field(out, "Retry-After", decimal(retry_after, &mut digits));
            }
            _ => {}
        }
        field(out, "Content-Type", b"text/plain; charset=utf-8");
        let body_len = self.reason().len() as u64 + 1;
        field(out, "Content-Length", decimal(body_len, &mut digits));
        field(out, "Connection", b"close");
        out.put(b"\r\n");
        out.put(self.reason().as_bytes());
        out.put(b"\n");
    }
}

/// The head of a plain response with a body of `content_length` bytes: what a server answers
/// besides event streams (a page, a JSON document, a redirect). Sent with `Connection: close`.
///
/// ```text
/// HTTP/1.1 <status> <reason>
/// Content-Type: <type>          (not for 204 and 304, which have no body)
/// Content-Length: <length>      (not for 204 and 304)
/// Connection: close
/// <extra headers>
/// ```
///
/// Checked as the other writers are: the content type and extra header values hold no
/// control character (HTAB aside), names are tokens, and `Content-Type`, `Content-Length`,
/// `Transfer-Encoding` and `Connection` are reserved, so no header can give the response a
/// second, conflicting framing.
///
/// ```
/// use ssewire::http::{PlainResponse, WriteError};
///
/// let head = PlainResponse::new(201, "application/json", 9).headers(&[("Location", "/jobs/7")]);
/// let mut buf = [0u8; 256];
/// let len = head.encode(&mut buf)?;
/// assert_eq!(
///     &buf[..len],
///     b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\
///       Connection: close\r\nLocation: /jobs/7\r\n\r\n"
/// );
/// let smuggled = PlainResponse::new(200, "text/plain", 2).headers(&[("Transfer-Encoding", "chunked")]);
/// assert_eq!(smuggled.encode(&mut buf), Err(WriteError::ReservedHeader));
/// # Ok::<(), WriteError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use]
pub struct PlainResponse<'a> {
    status: u16,
    content_type: &'a str,
    content_length: u64,
    headers: &'a [(&'a str, &'a str)],
}

/// Headers a [`PlainResponse`] does not take as extra headers.
const PLAIN_RESERVED: &[&str] = &[
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
];

impl<'a> PlainResponse<'a> {
    /// A response with this status, for a body of this type and length.
    pub const fn new(status: u16, content_type: &'a str, content_length: u64) -> Self {
        PlainResponse {
            status,
            content_type,
            content_length,
            headers: &[],
        }
    }

    /// Sets extra headers, as (name, value) pairs, written after the others in this order.
    pub const fn headers(self, headers: &'a [(&'a str, &'a str)]) -> Self {
        PlainResponse { headers, ..self }
    }

    /// Whether the response has a body: not for `204` and `304` (RFC 9110), which are sent
    /// without type, length or body.
    #[must_use]
    pub const fn has_body(&self) -> bool {
        !matches!(self.status, 204 | 304)
    }

    /// The exact number of bytes [`encode`](PlainResponse::encode) writes.
    ///
    /// # Errors
    ///
    /// The [`WriteError`] `encode` would give, other than [`WriteError::BufferTooSmall`].
    pub fn encoded_len(&self) -> Result<usize, WriteError> {
        self.check()?;
        Ok(self.counted_len())
    }

    /// Writes the head into the front of `buf` and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::BufferTooSmall`] if it does not fit (then `buf` is untouched),
    /// [`WriteError::InvalidStatus`], [`WriteError::InvalidHeaderValue`] for a content type
    /// with a control character, or an invalid extra header
    /// ([`WriteError::InvalidHeaderName`], [`WriteError::InvalidHeaderValue`],
    /// [`WriteError::ReservedHeader`]).
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len()?;
        self.write_into(buf, len).ok_or(WriteError::BufferTooSmall)
    }

    fn check(&self) -> Result<(), WriteError> {
        if !(200..=999).contains(&self.status) {
            return Err(WriteError::InvalidStatus);
        }
        if !self.content_type.bytes().all(is_field_char) {
            return Err(WriteError::InvalidHeaderValue);
        }
        check_headers(self.headers, PLAIN_RESERVED)
    }
}

impl Writes for PlainResponse<'_> {
    const COMPACT: bool = false;

    fn write_out<O: Out + ?Sized>(&self, out: &mut O) {
        let mut digits = [0; 20];
        out.put(b"HTTP/1.1 ");
        out.put(decimal(self.status.into(), &mut digits));
        out.put(b" ");
        out.put(reason(self.status).as_bytes());
        out.put(b"\r\n");
        if self.has_body() {
            field(out, "Content-Type", self.content_type.as_bytes());
            field(
                out,
                "Content-Length",
                decimal(self.content_length, &mut digits),
            );
        }
        field(out, "Connection", b"close");
        for (name, value) in self.headers {
            field(out, name, value.as_bytes());
        }
        out.put(b"\r\n");
    }
}

/// The reason phrase of the usual status codes (RFC 9110); empty for the rest, which the
/// status line allows.
const fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// A client's request head for an event stream.
///
/// ```text
/// <method> <path> HTTP/1.1    (GET unless set)
/// Host: <host>
/// Accept: text/event-stream
/// Cache-Control: no-cache
/// Last-Event-ID: <id>         (only when not empty)
/// Content-Length: <length>    (only when set, for a body after the head)
/// <extra headers>
/// ```
///
/// Lines end with CRLF, and a blank line ends the head. Everything is checked before a byte is
/// written, so nothing can inject a line: the method must be a token, the path visible ASCII
/// without `#`
/// (percent-encode the rest), the host a host name or IP literal with an optional port, the
/// last event ID free of control characters (HTAB aside), extra header names tokens and their
/// values free of control characters. The headers written above as well as `Content-Length`
/// and `Transfer-Encoding` are reserved.
///
/// A server removes whitespace around a header value, so it reads a last event ID such as
/// `" 7 "` as `"7"`.
///
/// ```
/// use ssewire::http::Request;
///
/// let request = Request::new("example.com", "/events")
///     .last_event_id("41")
///     .headers(&[("Authorization", "Bearer abc")]);
/// let mut buf = [0u8; 256];
/// let len = request.encode(&mut buf)?;
/// assert_eq!(
///     &buf[..len],
///     b"GET /events HTTP/1.1\r\nHost: example.com\r\nAccept: text/event-stream\r\n\
///       Cache-Control: no-cache\r\nLast-Event-ID: 41\r\nAuthorization: Bearer abc\r\n\r\n"
/// );
/// # Ok::<(), ssewire::http::WriteError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use]
pub struct Request<'a> {
    method: &'a str,
    content_length: Option<u64>,
    accept_encoding: &'a str,
    host: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    last_event_id: &'a str,
    headers: &'a [(&'a str, &'a str)],
    /// Header lines checked and encoded already ([`HeaderLines`]), written after `headers`.
    lines: &'a [u8],
    /// `http://` and the host before the path: a request to a forward proxy.
    #[cfg(feature = "proxy")]
    absolute: bool,
    #[cfg(feature = "proxy")]
    proxy_authorization: &'a str,
}

/// Headers a [`Request`] does not take as extra headers.
const REQUEST_RESERVED: &[&str] = &[
    "host",
    "accept",
    "cache-control",
    "last-event-id",
    "content-length",
    "transfer-encoding",
    "proxy-authorization",
    "accept-encoding",
];

impl<'a> Request<'a> {
    /// A `GET` request for `path` (such as `/events?topic=a`) on `host` (such as
    /// `example.com` or `[::1]:8080`), without a body, a last event ID or extra headers.
    pub const fn new(host: &'a str, path: &'a str) -> Self {
        Request {
            method: "GET",
            content_length: None,
            accept_encoding: "",
            host,
            path,
            query: None,
            last_event_id: "",
            headers: &[],
            lines: &[],
            #[cfg(feature = "proxy")]
            absolute: false,
            #[cfg(feature = "proxy")]
            proxy_authorization: "",
        }
    }

    /// Writes the target in absolute form (`GET http://host/path HTTP/1.1`), as a request to
    /// a forward proxy must be, with a `Proxy-Authorization` header unless `authorization` is
    /// empty (such as `Basic dXNlcjpwYXNz`). Default: the origin form (`GET /path HTTP/1.1`).
    /// Feature `proxy`.
    #[cfg(feature = "proxy")]
    pub const fn via_proxy(self, authorization: &'a str) -> Self {
        Request {
            absolute: true,
            proxy_authorization: authorization,
            ..self
        }
    }

    /// Sets the method (a token: `POST`, `REPORT`, ...; case matters). Default: `GET`.
    pub const fn method(self, method: &'a str) -> Self {
        Request { method, ..self }
    }

    /// Sets the `Content-Length` of a body that follows the head (written by the caller, as
    /// it is). `None`, the default, writes none.
    pub const fn content_length(self, len: Option<u64>) -> Self {
        Request {
            content_length: len,
            ..self
        }
    }

    /// Sets the `Accept-Encoding` value, such as `gzip, deflate`: the content codings the
    /// client decodes. The empty string, the default, writes none.
    pub const fn accept_encoding(self, codings: &'a str) -> Self {
        Request {
            accept_encoding: codings,
            ..self
        }
    }

    /// Sets a query, written after the path and a `?` (such as [`Url::query`](super::Url)).
    pub const fn query(self, query: Option<&'a str>) -> Self {
        Request { query, ..self }
    }

    /// Header lines that [`HeaderLines`] checked and encoded, written after the others.
    pub(crate) const fn lines(self, lines: &'a [u8]) -> Self {
        Request { lines, ..self }
    }

    /// Sets the last event ID to send; the empty string sends none.
    pub const fn last_event_id(self, id: &'a str) -> Self {
        Request {
            last_event_id: id,
            ..self
        }
    }

    /// Sets extra headers, as (name, value) pairs, written after the others in this order.
    pub const fn headers(self, headers: &'a [(&'a str, &'a str)]) -> Self {
        Request { headers, ..self }
    }

    /// The exact number of bytes [`encode`](Request::encode) writes.
    ///
    /// # Errors
    ///
    /// The [`WriteError`] `encode` would give, other than [`WriteError::BufferTooSmall`].
    pub fn encoded_len(&self) -> Result<usize, WriteError> {
        self.check()?;
        Ok(self.counted_len())
    }

    /// Writes the head into the front of `buf` and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::BufferTooSmall`] if it does not fit (then `buf` is untouched), or what is
    /// invalid: [`WriteError::InvalidMethod`], [`WriteError::InvalidPath`], [`WriteError::InvalidHost`],
    /// [`WriteError::InvalidLastEventId`], [`WriteError::InvalidHeaderName`],
    /// [`WriteError::InvalidHeaderValue`], [`WriteError::ReservedHeader`].
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len()?;
        self.write_into(buf, len).ok_or(WriteError::BufferTooSmall)
    }

    fn check(&self) -> Result<(), WriteError> {
        if !is_token(self.method.as_bytes()) {
            return Err(WriteError::InvalidMethod);
        }
        let sendable = |s: &[u8]| s.iter().all(|&b| b.is_ascii_graphic() && b != b'#');
        let path = self.path.as_bytes();
        let query = self.query.unwrap_or_default().as_bytes();
        if path.is_empty() || !sendable(path) || !sendable(query) {
            return Err(WriteError::InvalidPath);
        }
        let host = self.host.as_bytes();
        if host.is_empty() || !host.iter().all(|&b| is_host_char(b)) {
            return Err(WriteError::InvalidHost);
        }
        if !self.last_event_id.bytes().all(is_field_char) {
            return Err(WriteError::InvalidLastEventId);
        }
        if !self.accept_encoding.bytes().all(is_field_char) {
            return Err(WriteError::InvalidHeaderValue);
        }
        #[cfg(feature = "proxy")]
        if !self.proxy_authorization.bytes().all(is_field_char) {
            return Err(WriteError::InvalidHeaderValue);
        }
        check_headers(self.headers, REQUEST_RESERVED)
    }
}

impl Writes for Request<'_> {
    const COMPACT: bool = false;

    fn write_out<O: Out + ?Sized>(&self, out: &mut O) {
        out.put(self.method.as_bytes());
        out.put(b" ");
        #[cfg(feature = "proxy")]
        if self.absolute {
            out.put(b"http://");
            out.put(self.host.as_bytes());
        }
        out.put(self.path.as_bytes());
        if let Some(query) = self.query {
            out.put(b"?");
            out.put(query.as_bytes());
        }
        out.put(b" HTTP/1.1\r\n");
        field(out, "Host", self.host.as_bytes());
        field(out, "Accept", b"text/event-stream");
        field(out, "Cache-Control", b"no-cache");
        if !self.last_event_id.is_empty() {
            field(out, "Last-Event-ID", self.last_event_id.as_bytes());
        }
        if let Some(len) = self.content_length {
            field(out, "Content-Length", decimal(len, &mut [0; 20]));
        }
        if !self.accept_encoding.is_empty() {
            field(out, "Accept-Encoding", self.accept_encoding.as_bytes());
        }
        #[cfg(feature = "proxy")]
        if !self.proxy_authorization.is_empty() {
            field(
                out,
                "Proxy-Authorization",
                self.proxy_authorization.as_bytes(),
            );
        }
        for (name, value) in self.headers {
            field(out, name, value.as_bytes());
        }
        out.put(self.lines);
        out.put(b"\r\n");
    }
}

/// The `CONNECT` request that asks an HTTP proxy for a tunnel to `host:port` (RFC 9110
/// §9.3.6), for an `https://` URL behind a proxy; the request for the URL goes through the
/// tunnel once the proxy answered `2xx`.
///
/// ```
/// use ssewire::http::Tunnel;
///
/// let mut buf = [0u8; 128];
/// let len = Tunnel::new("::1", 8443).authorization("Basic dTpw").encode(&mut buf)?;
/// assert_eq!(
///     &buf[..len],
///     b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\nProxy-Authorization: Basic dTpw\r\n\r\n"
/// );
/// # Ok::<(), ssewire::http::WriteError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use]
pub struct Tunnel<'a> {
    host: &'a str,
    port: u16,
    authorization: &'a str,
}

impl<'a> Tunnel<'a> {
    /// A tunnel to `host` (a name or an IP address; an IPv6 address without brackets) and
    /// `port`.
    pub const fn new(host: &'a str, port: u16) -> Self {
        Tunnel {
            host,
            port,
            authorization: "",
        }
    }

    /// Sets the `Proxy-Authorization` value (such as `Basic dXNlcjpwYXNz`); empty for none,
    /// the default.
    pub const fn authorization(self, authorization: &'a str) -> Self {
        Tunnel {
            authorization,
            ..self
        }
    }

    /// Writes the request into the front of `buf` and returns its length.
    ///
    /// # Errors
    ///
    /// [`WriteError::InvalidHost`], [`WriteError::InvalidHeaderValue`] for an authorization
    /// with a control character, [`WriteError::BufferTooSmall`].
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let host = self.host.as_bytes();
        if host.is_empty()
            || !host
                .iter()
                .all(|&b| is_host_char(b) && b != b'[' && b != b']')
        {
            return Err(WriteError::InvalidHost);
        }
        if !self.authorization.bytes().all(is_field_char) {
            return Err(WriteError::InvalidHeaderValue);
        }
        let len = self.counted_len();
        self.write_into(buf, len).ok_or(WriteError::BufferTooSmall)
    }

    fn authority<O: Out + ?Sized>(&self, out: &mut O) {
        let ipv6 = self.host.contains(':');
        if ipv6 {
            out.put(b"[");
        }
        out.put(self.host.as_bytes());
        out.put(if ipv6 { b"]:" } else { b":" });
        out.put(decimal(u64::from(self.port), &mut [0; 20]));
    }
}

impl Writes for Tunnel<'_> {
    const COMPACT: bool = false;

    fn write_out<O: Out + ?Sized>(&self, out: &mut O) {
        out.put(b"CONNECT ");
        self.authority(out);
        out.put(b" HTTP/1.1\r\nHost: ");
        self.authority(out);
        out.put(b"\r\n");
        if !self.authorization.is_empty() {
            field(out, "Proxy-Authorization", self.authorization.as_bytes());
        }
        out.put(b"\r\n");
    }
}

/// A client's extra request headers, checked as [`Request`] checks them and encoded once as
/// `Name: value` lines, to be written with every request ([`Request::lines`]).
pub(crate) struct HeaderLines<'a>(pub(crate) &'a [(&'a str, &'a str)]);

impl HeaderLines<'_> {
    /// The exact length of the lines.
    pub(crate) fn encoded_len(&self) -> Result<usize, WriteError> {
        check_headers(self.0, REQUEST_RESERVED)?;
        Ok(self.counted_len())
    }

    /// Writes the lines into the front of `buf`.
    pub(crate) fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len()?;
        self.write_into(buf, len).ok_or(WriteError::BufferTooSmall)
    }
}

impl Writes for HeaderLines<'_> {
    const COMPACT: bool = false;

    fn write_out<O: Out + ?Sized>(&self, out: &mut O) {
        for (name, value) in self.0 {
            field(out, name, value.as_bytes());
        }
    }
}

fn check_headers(headers: &[(&str, &str)], reserved: &[&str]) -> Result<(), WriteError> {
    for (name, value) in headers {
        if !is_token(name.as_bytes()) {
            return Err(WriteError::InvalidHeaderName);
        }
        if reserved.iter().any(|r| name.eq_ignore_ascii_case(r)) {
            return Err(WriteError::ReservedHeader);
        }
        if !value.bytes().all(is_field_char) {
            return Err(WriteError::InvalidHeaderValue);
        }
    }
    Ok(())
}

/// `Name: value` and CRLF, or `Name:` and CRLF for an empty value.
fn field<O: Out + ?Sized>(out: &mut O, name: &str, value: &[u8]) {
    out.put(name.as_bytes());
    if value.is_empty() {
        out.put(b":\r\n");
    } else {
        out.put(b": ");
        out.put(value);
        out.put(b"\r\n");
    }
}
