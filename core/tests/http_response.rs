//! Reading response heads and content types: named cases, each response also checked at every
//! prefix of its input.

use ssewire::http::{is_event_stream, read_response, Body, HeadError, ResponseHead, EMPTY_HEADER};

type Expected = Result<Option<ResponseHead<'static>>, HeadError>;

/// A `status` head with nothing set but its length and field count.
const fn head(status: u16, len: usize, header_count: usize) -> ResponseHead<'static> {
    ResponseHead {
        status,
        version: 1,
        content_type: None,
        content_length: None,
        body: Body::Close,
        location: None,
        content_encoding: None,
        retry_after: None,
        header_count,
        len,
    }
}

fn read(
    input: &[u8],
    headers: usize,
    max_len: usize,
) -> Result<Option<ResponseHead<'_>>, HeadError> {
    let mut slots = vec![EMPTY_HEADER; headers];
    let result = read_response(input, &mut slots, max_len);
    if let Ok(Some(head)) = result {
        assert!(head.len <= input.len());
        assert!(head.header_count <= headers);
        for field in [head.content_type, head.location].into_iter().flatten() {
            assert!(input.as_ptr_range().contains(&field.as_ptr()) || field.is_empty());
        }
    }
    result
}

fn check_prefixes(name: &str, input: &[u8], headers: usize, max_len: usize) {
    let whole = read(input, headers, max_len);
    for end in 0..input.len() {
        let prefix = read(&input[..end], headers, max_len);
        match (&prefix, &whole) {
            (Ok(None), _) => {}
            (Err(a), Err(b)) if a == b => {}
            (Ok(Some(a)), Ok(Some(b))) if a == b => {}
            _ => panic!("{name}: prefix of {end} bytes gives {prefix:?}, the whole {whole:?}"),
        }
    }
}

const SSE: Option<&str> = Some("text/event-stream");

#[test]
fn responses() {
    let many = format!("HTTP/1.1 200 OK\r\n{}\r\n", "A: b\r\n".repeat(9));
    let cases: Vec<(&str, &[u8], usize, usize, Expected)> = vec![
        // name, input, header slots, max head length, expected
        (
            "event stream until close",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { content_type: SSE, ..head(200, 52, 1) })),
        ),
        (
            "chunked event stream",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { content_type: SSE, body: Body::Chunked, ..head(200, 80, 2) })),
        ),
        (
            "chunked last of two codings",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { body: Body::Chunked, ..head(200, 53, 1) })),
        ),
        (
            "chunked not last",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            8,
            1024,
            Ok(Some(head(200, 53, 1))),
        ),
        (
            "codings on two lines, empty elements",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTRANSFER-ENCODING: , chunked ,\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { body: Body::Chunked, ..head(200, 76, 2) })),
        ),
        (
            "chunked overrides Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead {
                content_length: Some(10),
                body: Body::Chunked,
                ..head(200, 67, 2)
            })),
        ),
        (
            "Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { content_length: Some(42), body: Body::Length(42), ..head(200, 39, 1) })),
        ),
        (
            "Content-Length repeated, the same",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { content_length: Some(5), body: Body::Length(5), ..head(200, 60, 2) })),
        ),
        (
            "204 has no body",
            b"HTTP/1.1 204 No Content\r\nContent-Type: text/event-stream\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { content_type: SSE, body: Body::Length(0), ..head(204, 60, 1) })),
        ),
        (
            "304 has no body",
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { content_length: Some(10), body: Body::Length(0), ..head(304, 49, 1) })),
        ),
        (
            "103 Early Hints, then the response",
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { body: Body::Length(0), ..head(103, 48, 1) })),
        ),
        (
            "redirect",
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /v2/events?x=1\r\nContent-Length: 0\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead {
                location: Some("/v2/events?x=1"),
                content_length: Some(0),
                body: Body::Length(0),
                ..head(307, 80, 2)
            })),
        ),
        (
            "Retry-After seconds",
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { retry_after: Some(120), ..head(503, 54, 1) })),
        ),
        (
            "Retry-After date",
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n\r\n",
            8,
            1024,
            Ok(Some(head(429, 78, 1))),
        ),
        (
            "Retry-After huge",
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 99999999999999999999999\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { retry_after: Some(u64::MAX), ..head(503, 74, 1) })),
        ),
        (
            "content type with parameters",
            b"HTTP/1.1 200 OK\r\ncontent-type:  Text/Event-Stream; charset=utf-8 \r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead {
                content_type: Some("Text/Event-Stream; charset=utf-8"),
                ..head(200, 69, 1)
            })),
        ),
        (
            "HTTP/1.0 without reason",
            b"HTTP/1.0 200\r\nContent-Type: text/event-stream\r\n\r\n",
            8,
            1024,
            Ok(Some(ResponseHead { version: 0, content_type: SSE, ..head(200, 49, 1) })),
        ),
        (
            "bare LF",
            b"HTTP/1.1 200 OK\nContent-Type: text/event-stream\n\n",
            8,
            1024,
            Ok(Some(ResponseHead { content_type: SSE, ..head(200, 49, 1) })),
        ),
        ("incomplete", b"HTTP/1.1 200 OK\r\nContent-Type: text/ev", 8, 1024, Ok(None)),
        (
            "Content-Length differing",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            8,
            1024,
            Err(HeadError::Framing),
        ),
        (
            "Content-Length list differing",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
            8,
            1024,
            Err(HeadError::Framing),
        ),
        (
            "Content-Length negative",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            8,
            1024,
            Err(HeadError::Framing),
        ),
        (
            "Content-Length empty",
            b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
            8,
            1024,
            Err(HeadError::Framing),
        ),
        (
            "Content-Length over u64",
            b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n",
            8,
            1024,
            Err(HeadError::Framing),
        ),
        (
            "two content types",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Type: text/html\r\n\r\n",
            8,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "two locations",
            b"HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\n\r\n",
            8,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "two Retry-After",
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nRetry-After: 2\r\n\r\n",
            8,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "content type not UTF-8",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/\xFF\r\n\r\n",
            8,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "location not UTF-8",
            b"HTTP/1.1 302 Found\r\nLocation: /caf\xE9\r\n\r\n",
            8,
            1024,
            Err(HeadError::Malformed),
        ),
        ("two-digit status", b"HTTP/1.1 20 OK\r\n\r\n", 8, 1024, Err(HeadError::Malformed)),
        ("HTTP/2", b"HTTP/2 200\r\n\r\n", 8, 1024, Err(HeadError::Malformed)),
        (
            "folded line",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/\r\n event-stream\r\n\r\n",
            8,
            1024,
            Err(HeadError::Malformed),
        ),
        ("too many fields", many.as_bytes(), 8, 1024, Err(HeadError::TooManyHeaders)),
        (
            "too large",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
            8,
            49,
            Err(HeadError::TooLarge),
        ),
    ];
    for (name, input, headers, max_len, expected) in cases {
        assert_eq!(read(input, headers, max_len), expected, "{name}");
        check_prefixes(name, input, headers, max_len);
    }
}

#[test]
fn event_stream_content_types() {
    let cases = [
        ("text/event-stream", true),
        ("TEXT/EVENT-STREAM", true),
        ("text/event-stream;charset=utf-8", true),
        ("text/event-stream ; charset=utf-8", true),
        (" \ttext/event-stream\t ", true),
        ("text/event-stream;", true),
        ("text/event-streams", false),
        ("text/event-stream-x", false),
        ("text/event-stream, text/html", false),
        ("text /event-stream", false),
        ("text/plain", false),
        ("application/octet-stream", false),
        ("event-stream", false),
        ("", false),
        ("text/event-stream\0", false),
    ];
    for (content_type, expected) in cases {
        assert_eq!(is_event_stream(content_type), expected, "{content_type:?}");
    }
    let mut headers = [EMPTY_HEADER; 2];
    let input = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\r\n";
    assert!(read_response(input, &mut headers, 1024)
        .unwrap()
        .unwrap()
        .is_event_stream());
    let input = b"HTTP/1.1 200 OK\r\n\r\n";
    assert!(!read_response(input, &mut headers, 1024)
        .unwrap()
        .unwrap()
        .is_event_stream());
}
