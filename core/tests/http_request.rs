//! Reading request heads: named cases, each also checked at every prefix of its input.

use ssewire::http::{
    read_request, Body, HeadError, RequestHead, DEFAULT_MAX_HEAD_LEN, EMPTY_HEADER,
};

type Expected = Result<Option<RequestHead<'static>>, HeadError>;

/// The head of `GET /events HTTP/1.1` with nothing set, `len` bytes and `header_count` fields.
const fn get(len: usize, header_count: usize) -> RequestHead<'static> {
    RequestHead {
        method: "GET",
        target: "/events",
        version: 1,
        last_event_id: None,
        accept: None,
        accepts_event_stream: true,
        origin: None,
        host: None,
        body: Body::Length(0),
        header_count,
        len,
    }
}

fn read(
    input: &[u8],
    headers: usize,
    max_len: usize,
) -> Result<Option<RequestHead<'_>>, HeadError> {
    let mut slots = vec![EMPTY_HEADER; headers];
    let result = read_request(input, &mut slots, max_len);
    if let Ok(Some(head)) = result {
        // The fields borrow the input and the count matches the slots filled.
        assert!(head.len <= input.len());
        assert!(head.header_count <= headers);
        for field in [
            Some(head.method),
            Some(head.target),
            head.last_event_id,
            head.accept,
            head.origin,
        ]
        .into_iter()
        .flatten()
        {
            let range = input.as_ptr_range();
            assert!(range.contains(&field.as_ptr()) || field.is_empty());
        }
    }
    result
}

/// The outcome at every prefix of `input` is "need more" or, once decided, the outcome of the
/// whole.
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

#[test]
fn requests() {
    let many_headers = format!("GET /events HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(17));
    let big = format!("GET /events HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(100));
    let cases: Vec<(&str, &[u8], usize, usize, Expected)> = vec![
        // name, input, header slots, max head length, expected
        (
            "minimal",
            b"GET /events HTTP/1.1\r\n\r\n",
            16,
            1024,
            Ok(Some(get(24, 0))),
        ),
        (
            "HTTP/1.0",
            b"GET /events HTTP/1.0\r\n\r\n",
            16,
            1024,
            Ok(Some(RequestHead {
                version: 0,
                ..get(24, 0)
            })),
        ),
        (
            "browser",
            b"GET /events HTTP/1.1\r\nHost: a.example\r\nAccept: text/event-stream\r\n\
              Cache-Control: no-cache\r\nLast-Event-ID: 41\r\nOrigin: https://b.example\r\n\r\n",
            16,
            1024,
            Ok(Some(RequestHead {
                last_event_id: Some("41"),
                accept: Some("text/event-stream"),
                origin: Some("https://b.example"),
                host: Some("a.example"),
                ..get(139, 5)
            })),
        ),
        (
            "names in any case",
            b"GET /events HTTP/1.1\r\nlast-event-id: 7\r\nORIGIN: null\r\naCCEPT: */*\r\n\r\n",
            16,
            1024,
            Ok(Some(RequestHead {
                last_event_id: Some("7"),
                accept: Some("*/*"),
                origin: Some("null"),
                ..get(69, 3)
            })),
        ),
        (
            "whitespace around values",
            b"GET /events HTTP/1.1\r\nLast-Event-ID: \t 7 a \t\r\n\r\n",
            16,
            1024,
            Ok(Some(RequestHead {
                last_event_id: Some("7 a"),
                ..get(48, 1)
            })),
        ),
        (
            "empty Last-Event-ID",
            b"GET /events HTTP/1.1\r\nLast-Event-ID:\r\n\r\n",
            16,
            1024,
            Ok(Some(get(40, 1))),
        ),
        (
            "UTF-8 Last-Event-ID",
            "GET /events HTTP/1.1\r\nLast-Event-ID: é😀\r\n\r\n".as_bytes(),
            16,
            1024,
            Ok(Some(RequestHead {
                last_event_id: Some("é😀"),
                ..get(47, 1)
            })),
        ),
        (
            "Accept without event streams",
            b"GET /events HTTP/1.1\r\nAccept: text/html\r\n\r\n",
            16,
            1024,
            Ok(Some(RequestHead {
                accept: Some("text/html"),
                accepts_event_stream: false,
                ..get(43, 1)
            })),
        ),
        (
            "Accept on two lines",
            b"GET /events HTTP/1.1\r\nAccept: text/html\r\nAccept: text/event-stream\r\n\r\n",
            16,
            1024,
            Ok(Some(RequestHead {
                accept: Some("text/html"),
                ..get(70, 2)
            })),
        ),
        (
            "Accept refusing event streams",
            b"GET /events HTTP/1.1\r\nAccept: text/event-stream;q=0, */*\r\n\r\n",
            16,
            1024,
            Ok(Some(RequestHead {
                accept: Some("text/event-stream;q=0, */*"),
                accepts_event_stream: false,
                ..get(60, 1)
            })),
        ),
        (
            "path with a query, other method",
            b"POST /events?topic=a&x=%20 HTTP/1.1\r\n\r\n",
            16,
            1024,
            Ok(Some(RequestHead {
                method: "POST",
                target: "/events?topic=a&x=%20",
                ..get(39, 0)
            })),
        ),
        (
            "bare LF line ends",
            b"GET /events HTTP/1.1\nLast-Event-ID: 3\n\n",
            16,
            1024,
            Ok(Some(RequestHead {
                last_event_id: Some("3"),
                ..get(39, 1)
            })),
        ),
        (
            "empty line before the request line",
            b"\r\nGET /events HTTP/1.1\r\n\r\n",
            16,
            1024,
            Ok(Some(get(26, 0))),
        ),
        (
            "body after the head",
            b"GET /events HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody",
            16,
            1024,
            Ok(Some(RequestHead {
                body: Body::Length(4),
                ..get(43, 1)
            })),
        ),
        (
            "other field not UTF-8",
            b"GET /events HTTP/1.1\r\nX-Name: caf\xE9\r\n\r\n",
            16,
            1024,
            Ok(Some(get(38, 1))),
        ),
        (
            "as many fields as slots",
            b"GET /events HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n",
            2,
            1024,
            Ok(Some(get(36, 2))),
        ),
        (
            "exactly the size limit",
            b"GET /events HTTP/1.1\r\n\r\n",
            16,
            24,
            Ok(Some(get(24, 0))),
        ),
        (
            "incomplete",
            b"GET /events HTTP/1.1\r\nHost: a\r\n",
            16,
            1024,
            Ok(None),
        ),
        ("nothing yet", b"", 16, 1024, Ok(None)),
        (
            "two Last-Event-IDs",
            b"GET /events HTTP/1.1\r\nLast-Event-ID: 1\r\nlast-event-id: 1\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "two Origins",
            b"GET /events HTTP/1.1\r\nOrigin: https://a\r\nOrigin: https://b\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "Last-Event-ID not UTF-8",
            b"GET /events HTTP/1.1\r\nLast-Event-ID: \xFF\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "Origin not UTF-8",
            b"GET /events HTTP/1.1\r\nOrigin: https://\xC3\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "Accept not UTF-8",
            b"GET /events HTTP/1.1\r\nAccept: text/\xFF\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "HTTP/2.0",
            b"GET /events HTTP/2.0\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "no path",
            b"GET HTTP/1.1\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "space before the colon",
            b"GET /events HTTP/1.1\r\nHost : a\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "folded line",
            b"GET /events HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "NUL in a value",
            b"GET /events HTTP/1.1\r\nX: a\0b\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "CR without LF",
            b"GET /events HTTP/1.1\rX: a\r\n\r\n",
            16,
            1024,
            Err(HeadError::Malformed),
        ),
        (
            "too many fields",
            many_headers.as_bytes(),
            16,
            1024,
            Err(HeadError::TooManyHeaders),
        ),
        (
            "no slots",
            b"GET /events HTTP/1.1\r\nA: 1\r\n\r\n",
            0,
            1024,
            Err(HeadError::TooManyHeaders),
        ),
        (
            "complete but too large",
            big.as_bytes(),
            16,
            100,
            Err(HeadError::TooLarge),
        ),
        (
            "incomplete at the limit",
            b"GET /events HTTP/1.1\r\nHost: a",
            16,
            29,
            Err(HeadError::TooLarge),
        ),
        (
            "one byte over the limit",
            b"GET /events HTTP/1.1\r\n\r\n",
            16,
            23,
            Err(HeadError::TooLarge),
        ),
    ];
    for (name, input, headers, max_len, expected) in cases {
        assert_eq!(read(input, headers, max_len), expected, "{name}");
        check_prefixes(name, input, headers, max_len);
    }
}

#[test]
fn status_codes() {
    assert_eq!(HeadError::TooLarge.status(), 431);
    assert_eq!(HeadError::TooManyHeaders.status(), 431);
    assert_eq!(HeadError::Malformed.status(), 400);
    assert_eq!(HeadError::Malformed.to_string(), "malformed head");
}

#[test]
fn default_limit_reads_a_large_head() {
    let cookie = "c".repeat(DEFAULT_MAX_HEAD_LEN - 100);
    let input = format!("GET /events HTTP/1.1\r\nCookie: {cookie}\r\n\r\n");
    let head = read(input.as_bytes(), 4, DEFAULT_MAX_HEAD_LEN)
        .unwrap()
        .unwrap();
    assert_eq!(head.len, input.len());
    let input = format!("GET /events HTTP/1.1\r\nCookie: {cookie}{cookie}\r\n\r\n");
    assert_eq!(
        read(input.as_bytes(), 4, DEFAULT_MAX_HEAD_LEN),
        Err(HeadError::TooLarge)
    );
}

#[test]
fn other_fields_are_in_the_slots() {
    let input = b"GET /events HTTP/1.1\r\nHost: a.example\r\nAuthorization: Bearer x\r\n\r\n";
    let mut headers = [EMPTY_HEADER; 4];
    let head = read_request(input, &mut headers, 1024).unwrap().unwrap();
    let fields = &headers[..head.header_count];
    assert_eq!(fields[1].name, "Authorization");
    assert_eq!(fields[1].value, b"Bearer x");
}

/// RFC 9112: what frames a request's body, and the `Host` it may have once. Each of these is
/// what request smuggling is made of when a server guesses.
#[test]
fn framing_and_host_by_rfc_9112() {
    let head = |input: &'static [u8]| {
        let mut slots = [EMPTY_HEADER; 16];
        read_request(input, &mut slots, 1024).map(|head| head.map(|h| (h.host, h.body)))
    };
    let ok = |host, body| Ok(Some((host, body)));
    type Framing = Result<Option<(Option<&'static str>, Body)>, HeadError>;
    let cases: [(&[u8], Framing); 16] = [
        (b"GET / HTTP/1.1\r\nHost: a:8080\r\n\r\n", ok(Some("a:8080"), Body::Length(0))),
        (b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", ok(Some("[::1]:80"), Body::Length(0))),
        // Empty: allowed, for a target without an authority.
        (b"GET / HTTP/1.1\r\nHost:\r\n\r\n", ok(Some(""), Body::Length(0))),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", Err(HeadError::Host)),
        (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Err(HeadError::Host)),
        (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", Err(HeadError::Host)),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
            ok(Some("a"), Body::Length(5)),
        ),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", ok(Some("a"), Body::Length(5))),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            Err(HeadError::Framing),
        ),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", Err(HeadError::Framing)),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", Err(HeadError::Framing)),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            ok(Some("a"), Body::Chunked),
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            Err(HeadError::Framing),
        ),
        // Not ending in chunked: the length cannot be told.
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", Err(HeadError::Framing)),
        // HTTP/1.0 has no transfer codings.
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", Err(HeadError::Framing)),
        // Host is the server's to require (server::Handshake): read here without one.
        (b"GET / HTTP/1.1\r\n\r\n", ok(None, Body::Length(0))),
    ];
    for (input, expected) in cases {
        assert_eq!(head(input), expected, "{}", String::from_utf8_lossy(input));
        assert_eq!(expected.err().map(HeadError::status).unwrap_or(400), 400);
    }
}
