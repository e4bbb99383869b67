//! Writing heads: exact bytes, refused values, nothing written when the buffer is short, and
//! what is written reads back.

use proptest::prelude::*;
use ssewire::http::{
    read_request, read_response, Body, Cors, ErrorResponse, Framing, Request, Response, WriteError,
    EMPTY_HEADER,
};

/// Encodes with `encode`, checking it against `encoded_len` and against every shorter buffer
/// (refused, left untouched).
fn encoded(
    encoded_len: Result<usize, WriteError>,
    encode: impl Fn(&mut [u8]) -> Result<usize, WriteError>,
) -> Result<Vec<u8>, WriteError> {
    let mut buf = vec![0xAA; 1024];
    let result = encode(&mut buf);
    let len = match result {
        Ok(len) => len,
        Err(error) => {
            assert_eq!(encoded_len, Err(error));
            assert!(buf.iter().all(|&b| b == 0xAA), "written on error");
            return Err(error);
        }
    };
    assert_eq!(encoded_len, Ok(len));
    let lengths: Vec<usize> = if cfg!(miri) {
        vec![0, len / 2, len - 1]
    } else {
        (0..len).collect()
    };
    for short in lengths {
        let mut short = vec![0xAA; short];
        assert_eq!(encode(&mut short), Err(WriteError::BufferTooSmall));
        assert!(
            short.iter().all(|&b| b == 0xAA),
            "written into a short buffer"
        );
    }
    Ok(buf[..len].to_vec())
}

fn response(head: Response<'_>) -> Result<Vec<u8>, WriteError> {
    encoded(head.encoded_len(), |buf| head.encode(buf))
}

fn request(head: Request<'_>) -> Result<Vec<u8>, WriteError> {
    encoded(head.encoded_len(), |buf| head.encode(buf))
}

const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n";

#[test]
fn responses() {
    let cases: &[(&str, Response<'_>, Result<String, WriteError>)] = &[
        ("default", Response::new(), Ok(format!("{SSE_HEAD}Connection: close\r\n\r\n"))),
        (
            "chunked",
            Response::new().framing(Framing::Chunked),
            Ok(format!("{SSE_HEAD}Transfer-Encoding: chunked\r\n\r\n")),
        ),
        (
            "CORS for one origin",
            Response::new().cors(Cors::new("https://app.example")),
            Ok(format!(
                "{SSE_HEAD}Connection: close\r\nAccess-Control-Allow-Origin: https://app.example\r\nVary: Origin\r\n\r\n"
            )),
        ),
        (
            "CORS with credentials",
            Response::new().cors(Cors { origin: "https://app.example:8443", credentials: true }),
            Ok(format!(
                "{SSE_HEAD}Connection: close\r\nAccess-Control-Allow-Origin: https://app.example:8443\r\n\
                 Access-Control-Allow-Credentials: true\r\nVary: Origin\r\n\r\n"
            )),
        ),
        (
            "CORS for any origin",
            Response::new().cors(Cors::new("*")),
            Ok(format!("{SSE_HEAD}Connection: close\r\nAccess-Control-Allow-Origin: *\r\n\r\n")),
        ),
        (
            "extra headers",
            Response::new()
                .framing(Framing::Chunked)
                .headers(&[("Set-Cookie", "a=b; Path=/"), ("X-Empty", ""), ("X-Tab", "a\tb é")]),
            Ok(format!(
                "{SSE_HEAD}Transfer-Encoding: chunked\r\nSet-Cookie: a=b; Path=/\r\nX-Empty:\r\nX-Tab: a\tb é\r\n\r\n"
            )),
        ),
        ("CORS origin with CRLF", Response::new().cors(Cors::new("https://a\r\nX: y")), Err(WriteError::InvalidOrigin)),
        ("CORS origin with a space", Response::new().cors(Cors::new("https://a b")), Err(WriteError::InvalidOrigin)),
        ("CORS origin list", Response::new().cors(Cors::new("https://a,https://b")), Err(WriteError::InvalidOrigin)),
        ("CORS origin empty", Response::new().cors(Cors::new("")), Err(WriteError::InvalidOrigin)),
        (
            "credentials with any origin",
            Response::new().cors(Cors { origin: "*", credentials: true }),
            Err(WriteError::CredentialsWithWildcard),
        ),
        ("header name with a space", Response::new().headers(&[("X Y", "1")]), Err(WriteError::InvalidHeaderName)),
        ("header name with a colon", Response::new().headers(&[("X:", "1")]), Err(WriteError::InvalidHeaderName)),
        ("header name empty", Response::new().headers(&[("", "1")]), Err(WriteError::InvalidHeaderName)),
        ("header name with CRLF", Response::new().headers(&[("X\r\nY", "1")]), Err(WriteError::InvalidHeaderName)),
        ("header value with LF", Response::new().headers(&[("X", "1\nY: 2")]), Err(WriteError::InvalidHeaderValue)),
        ("header value with CR", Response::new().headers(&[("X", "1\r")]), Err(WriteError::InvalidHeaderValue)),
        ("header value with NUL", Response::new().headers(&[("X", "\0")]), Err(WriteError::InvalidHeaderValue)),
        ("header value with DEL", Response::new().headers(&[("X", "\x7F")]), Err(WriteError::InvalidHeaderValue)),
        ("Content-Length", Response::new().headers(&[("content-length", "5")]), Err(WriteError::ReservedHeader)),
        ("Transfer-Encoding", Response::new().headers(&[("Transfer-Encoding", "chunked")]), Err(WriteError::ReservedHeader)),
        ("Content-Type", Response::new().headers(&[("CONTENT-TYPE", "text/html")]), Err(WriteError::ReservedHeader)),
        ("Connection", Response::new().headers(&[("Connection", "keep-alive")]), Err(WriteError::ReservedHeader)),
    ];
    for (name, head, expected) in cases {
        let expected = expected
            .as_ref()
            .map(|s| s.as_bytes().to_vec())
            .map_err(|e| *e);
        let actual = response(*head);
        assert_eq!(
            actual,
            expected,
            "{name}: {:?}",
            actual.as_ref().map(|b| String::from_utf8_lossy(b))
        );
    }
    assert_eq!(Response::default(), Response::new());
}

#[test]
fn responses_read_back() {
    for (framing, body) in [
        (Framing::Close, Body::Close),
        (Framing::Chunked, Body::Chunked),
    ] {
        let bytes = response(Response::new().framing(framing).cors(Cors::new("*"))).unwrap();
        let mut headers = [EMPTY_HEADER; 8];
        let head = read_response(&bytes, &mut headers, 1024).unwrap().unwrap();
        assert_eq!((head.status, head.body, head.len), (200, body, bytes.len()));
        assert!(head.is_event_stream());
    }
}

#[test]
fn error_responses() {
    let tail = |body: &str| {
        format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}\n",
            body.len() + 1
        )
    };
    let cases = [
        (
            ErrorResponse::BadRequest,
            400,
            format!("HTTP/1.1 400 Bad Request\r\n{}", tail("Bad Request")),
        ),
        (
            ErrorResponse::NotFound,
            404,
            format!("HTTP/1.1 404 Not Found\r\n{}", tail("Not Found")),
        ),
        (
            ErrorResponse::MethodNotAllowed,
            405,
            format!(
                "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n{}",
                tail("Method Not Allowed")
            ),
        ),
        (
            ErrorResponse::HeadersTooLarge,
            431,
            format!(
                "HTTP/1.1 431 Request Header Fields Too Large\r\n{}",
                tail("Request Header Fields Too Large")
            ),
        ),
        (
            ErrorResponse::ServiceUnavailable { retry_after: 30 },
            503,
            format!(
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\n{}",
                tail("Service Unavailable")
            ),
        ),
        (
            ErrorResponse::ServiceUnavailable { retry_after: 0 },
            503,
            format!(
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\n{}",
                tail("Service Unavailable")
            ),
        ),
        (
            ErrorResponse::ServiceUnavailable {
                retry_after: u64::MAX,
            },
            503,
            format!(
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 18446744073709551615\r\n{}",
                tail("Service Unavailable")
            ),
        ),
    ];
    // Spelled out once, to not only trust `tail`.
    assert_eq!(
        cases[1].2,
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\nConnection: close\r\n\r\nNot Found\n"
    );
    for (response, status, expected) in cases {
        let bytes = encoded(Ok(response.encoded_len()), |buf| response.encode(buf)).unwrap();
        assert_eq!(String::from_utf8(bytes.clone()).unwrap(), expected);
        assert_eq!(response.status(), status);
        // Reads back: status, length of the body, Retry-After.
        let mut headers = [EMPTY_HEADER; 8];
        let head = read_response(&bytes, &mut headers, 1024).unwrap().unwrap();
        assert_eq!(head.status, status);
        assert_eq!(head.body, Body::Length((bytes.len() - head.len) as u64));
        if let ErrorResponse::ServiceUnavailable { retry_after } = response {
            assert_eq!(head.retry_after, Some(retry_after));
        }
    }
}

#[test]
fn requests() {
    let tail = "Accept: text/event-stream\r\nCache-Control: no-cache\r\n";
    let cases: &[(&str, Request<'_>, Result<String, WriteError>)] = &[
        (
            "minimal",
            Request::new("example.com", "/events"),
            Ok(format!("GET /events HTTP/1.1\r\nHost: example.com\r\n{tail}\r\n")),
        ),
        (
            "last event id",
            Request::new("example.com:8080", "/events?topic=a%20b").last_event_id("41"),
            Ok(format!(
                "GET /events?topic=a%20b HTTP/1.1\r\nHost: example.com:8080\r\n{tail}Last-Event-ID: 41\r\n\r\n"
            )),
        ),
        (
            "empty last event id",
            Request::new("example.com", "/").last_event_id(""),
            Ok(format!("GET / HTTP/1.1\r\nHost: example.com\r\n{tail}\r\n")),
        ),
        (
            "UTF-8 last event id",
            Request::new("[::1]:80", "/e").last_event_id("é 😀"),
            Ok(format!("GET /e HTTP/1.1\r\nHost: [::1]:80\r\n{tail}Last-Event-ID: é 😀\r\n\r\n")),
        ),
        (
            "extra headers",
            Request::new("127.0.0.1", "/events")
                .headers(&[("Authorization", "Bearer x.y"), ("Cookie", "a=1; b=2"), ("X-Empty", "")]),
            Ok(format!(
                "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n{tail}Authorization: Bearer x.y\r\nCookie: a=1; b=2\r\nX-Empty:\r\n\r\n"
            )),
        ),
        (
            "absolute form",
            Request::new("example.com", "http://example.com/events"),
            Ok(format!("GET http://example.com/events HTTP/1.1\r\nHost: example.com\r\n{tail}\r\n")),
        ),
        ("path with a space", Request::new("a", "/a b"), Err(WriteError::InvalidPath)),
        ("path with CRLF", Request::new("a", "/a\r\nX: y"), Err(WriteError::InvalidPath)),
        ("path with a fragment", Request::new("a", "/a#top"), Err(WriteError::InvalidPath)),
        ("path not ASCII", Request::new("a", "/café"), Err(WriteError::InvalidPath)),
        ("path empty", Request::new("a", ""), Err(WriteError::InvalidPath)),
        ("host empty", Request::new("", "/"), Err(WriteError::InvalidHost)),
        ("host with a path", Request::new("a/b", "/"), Err(WriteError::InvalidHost)),
        ("host with a space", Request::new("a b", "/"), Err(WriteError::InvalidHost)),
        ("host with CRLF", Request::new("a\r\nX: y", "/"), Err(WriteError::InvalidHost)),
        ("host with userinfo", Request::new("u@a", "/"), Err(WriteError::InvalidHost)),
        ("id with LF", Request::new("a", "/").last_event_id("1\nX: y"), Err(WriteError::InvalidLastEventId)),
        ("id with CR", Request::new("a", "/").last_event_id("1\r"), Err(WriteError::InvalidLastEventId)),
        ("id with NUL", Request::new("a", "/").last_event_id("1\0"), Err(WriteError::InvalidLastEventId)),
        ("id with a control", Request::new("a", "/").last_event_id("\x01"), Err(WriteError::InvalidLastEventId)),
        ("header name with a colon", Request::new("a", "/").headers(&[("A:B", "c")]), Err(WriteError::InvalidHeaderName)),
        ("header value with CRLF", Request::new("a", "/").headers(&[("A", "b\r\nC: d")]), Err(WriteError::InvalidHeaderValue)),
        ("Host again", Request::new("a", "/").headers(&[("host", "b")]), Err(WriteError::ReservedHeader)),
        ("Last-Event-ID again", Request::new("a", "/").headers(&[("Last-Event-Id", "1")]), Err(WriteError::ReservedHeader)),
        ("Content-Length", Request::new("a", "/").headers(&[("Content-Length", "1")]), Err(WriteError::ReservedHeader)),
    ];
    for (name, head, expected) in cases {
        let expected = expected
            .as_ref()
            .map(|s| s.as_bytes().to_vec())
            .map_err(|e| *e);
        let actual = request(*head);
        assert_eq!(
            actual,
            expected,
            "{name}: {:?}",
            actual.as_ref().map(|b| String::from_utf8_lossy(b))
        );
    }
}

#[test]
fn errors_display() {
    assert_eq!(
        WriteError::BufferTooSmall.to_string(),
        "buffer too small for the head"
    );
    assert_eq!(
        WriteError::InvalidHeaderValue.to_string(),
        "header value holds a control character"
    );
}

/// Text with line breaks, NUL, controls, whitespace and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                "a", "7", " ", "\t", "\r", "\n", "\r\n", "\0", "\x01", "\x7F", "é", ":", "X: y",
            ][..],
        ),
        0..8,
    )
    .prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 1024 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever a request writer accepts reads back as one head with exactly its fields, the
    /// last event ID as sent (bar surrounding whitespace); whatever it refuses holds a control.
    #[test]
    fn requests_cannot_inject(id in text(), value in text(), path in text()) {
        let path = format!("/{path}");
        let extra = [("X-Value", value.as_str())];
        let head = Request::new("example.com", &path).last_event_id(&id).headers(&extra);
        let controls = |s: &str| s.bytes().any(|b| b != b'\t' && (b < 0x20 || b == 0x7F));
        match request(head) {
            Ok(bytes) => {
                let mut headers = [EMPTY_HEADER; 8];
                let read = read_request(&bytes, &mut headers, 4096).unwrap().unwrap();
                prop_assert_eq!(read.len, bytes.len());
                prop_assert_eq!(read.target, path.as_str());
                prop_assert_eq!(read.header_count, 4 + usize::from(!id.is_empty()));
                let id = id.trim_matches([' ', '\t']);
                prop_assert_eq!(read.last_event_id, (!id.is_empty()).then_some(id));
                let fields = &headers[..read.header_count];
                prop_assert_eq!(fields.last().unwrap().value, value.trim_matches([' ', '\t']).as_bytes());
            }
            Err(WriteError::InvalidPath) => prop_assert!(path.bytes().any(|b| !b.is_ascii_graphic())),
            Err(WriteError::InvalidLastEventId) => prop_assert!(controls(&id)),
            Err(WriteError::InvalidHeaderValue) => prop_assert!(controls(&value)),
            Err(error) => prop_assert!(false, "{error}"),
        }
    }

    /// The same for extra response headers and the CORS origin.
    #[test]
    fn responses_cannot_inject(value in text(), origin in text()) {
        let extra = [("X-Value", value.as_str())];
        let head = Response::new().cors(Cors::new(&origin)).headers(&extra);
        match response(head) {
            Ok(bytes) => {
                let mut headers = [EMPTY_HEADER; 16];
                let read = read_response(&bytes, &mut headers, 4096).unwrap().unwrap();
                prop_assert_eq!(read.len, bytes.len());
                let fields = &headers[..read.header_count];
                let find = |name: &str| fields.iter().find(|h| h.name == name).map(|h| h.value);
                prop_assert_eq!(find("Access-Control-Allow-Origin"), Some(origin.as_bytes()));
                prop_assert_eq!(find("X-Value"), Some(value.trim_matches([' ', '\t']).as_bytes()));
            }
            Err(WriteError::InvalidOrigin) => {
                prop_assert!(origin.is_empty() || origin.bytes().any(|b| !b.is_ascii_graphic()));
            }
            Err(WriteError::InvalidHeaderValue) => {
                prop_assert!(value.bytes().any(|b| b != b'\t' && (b < 0x20 || b == 0x7F)));
            }
            Err(error) => prop_assert!(false, "{error}"),
        }
    }
}

#[test]
fn plain_responses() {
    use ssewire::http::PlainResponse;
    let mut buf = [0u8; 512];
    let cases: &[(PlainResponse<'_>, Result<&str, WriteError>)] = &[
        (
            PlainResponse::new(200, "text/html; charset=utf-8", 12),
            Ok("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"),
        ),
        (
            PlainResponse::new(204, "", 0),
            Ok("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"),
        ),
        (
            PlainResponse::new(307, "text/plain", 0).headers(&[("Location", "/x"), ("Retry-After", "")]),
            Ok("HTTP/1.1 307 Temporary Redirect\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\nLocation: /x\r\nRetry-After:\r\n\r\n"),
        ),
        (
            PlainResponse::new(299, "a/b", 1),
            Ok("HTTP/1.1 299 \r\nContent-Type: a/b\r\nContent-Length: 1\r\nConnection: close\r\n\r\n"),
        ),
        (PlainResponse::new(100, "a/b", 1), Err(WriteError::InvalidStatus)),
        (PlainResponse::new(1000, "a/b", 1), Err(WriteError::InvalidStatus)),
        (PlainResponse::new(200, "a/b\nX: y", 1), Err(WriteError::InvalidHeaderValue)),
        (
            PlainResponse::new(200, "a/b", 1).headers(&[("content-LENGTH", "2")]),
            Err(WriteError::ReservedHeader),
        ),
        (
            PlainResponse::new(200, "a/b", 1).headers(&[("X", "\r")]),
            Err(WriteError::InvalidHeaderValue),
        ),
    ];
    for (response, expected) in cases {
        let got = response
            .encode(&mut buf)
            .map(|len| String::from_utf8(buf[..len].to_vec()).unwrap());
        assert_eq!(got, expected.map(str::to_owned), "{response:?}");
        if let Ok(text) = expected {
            assert_eq!(response.encoded_len(), Ok(text.len()));
            // Nothing written into a buffer one byte short.
            let mut short = vec![0xAA; text.len() - 1];
            assert_eq!(response.encode(&mut short), Err(WriteError::BufferTooSmall));
            assert!(short.iter().all(|&b| b == 0xAA));
        }
    }
}
