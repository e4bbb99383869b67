//! Host tests over an in-memory pipe with scripted reads and writes.

use std::fmt;
use std::string::{String, ToString};
use std::vec::Vec;

use embassy_futures::block_on;
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use ssewire::encode::{EncodeError, Event};
use ssewire::http::{ChunkedError, ErrorResponse, Framing, HeadError};
use ssewire::parse::{Item, ParseError, Parser};
use ssewire_embedded::{
    accept, read_request, AcceptError, Accepted, Config, Delay, EventReader, EventWriter, NoDelay,
    ReadError, SendError,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PipeError;

impl fmt::Display for PipeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pipe broken")
    }
}

impl core::error::Error for PipeError {}

impl embedded_io_async::Error for PipeError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::BrokenPipe
    }
}

/// Reads from `input` in the sizes of `sizes` (cycled), collects writes in `output`.
struct Pipe {
    input: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    read_count: usize,
    /// Reading at this position fails.
    fail_at: Option<usize>,
    /// At the end of input, wait forever instead of reporting end of stream.
    hang: bool,
    output: Vec<u8>,
    /// The most bytes one write takes (0: the write accepts nothing).
    write_max: usize,
    flushes: usize,
}

impl Pipe {
    fn new(input: &[u8], sizes: &[usize]) -> Self {
        Pipe {
            input: input.to_vec(),
            pos: 0,
            sizes: sizes.to_vec(),
            read_count: 0,
            fail_at: None,
            hang: false,
            output: Vec::new(),
            write_max: 7,
            flushes: 0,
        }
    }
}

impl ErrorType for Pipe {
    type Error = PipeError;
}

impl Read for Pipe {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, PipeError> {
        if self.fail_at == Some(self.pos) {
            return Err(PipeError);
        }
        if self.pos == self.input.len() && self.hang {
            core::future::pending::<()>().await;
        }
        let size = self.sizes[self.read_count % self.sizes.len()];
        self.read_count += 1;
        let mut end = self.input.len().min(self.pos.saturating_add(size));
        if let Some(fail) = self.fail_at.filter(|&f| f > self.pos) {
            end = end.min(fail);
        }
        let n = (end - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Pipe {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, PipeError> {
        let n = buf.len().min(self.write_max);
        self.output.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), PipeError> {
        self.flushes += 1;
        Ok(())
    }
}

/// An item with owned text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owned {
    Event(String, String, String),
    Comment(String),
    Retry(u64),
    ParseError(ParseError),
}

fn own(item: Item<'_>) -> Owned {
    match item {
        Item::Event(e) => Owned::Event(
            e.event.to_string(),
            e.data.to_string(),
            e.last_event_id.to_string(),
        ),
        Item::Comment(c) => Owned::Comment(c.to_string()),
        Item::Retry(ms) => Owned::Retry(ms),
    }
}

fn ev(event: &str, data: &str, id: &str) -> Owned {
    Owned::Event(event.to_string(), data.to_string(), id.to_string())
}

/// Reads everything: the items, and the error that ended the stream, if any.
fn read_all(
    pipe: &mut Pipe,
    framing: Framing,
    buf_len: usize,
) -> (Vec<Owned>, Option<ReadError<PipeError>>) {
    block_on(async {
        let mut buf = vec![0u8; buf_len];
        let mut storage = [0u8; 1024];
        let mut reader = EventReader::new(pipe, &mut buf, &mut storage, framing);
        let mut items = Vec::new();
        let mut end = None;
        while let Some(item) = reader.next().await {
            match item {
                Ok(item) => items.push(own(item)),
                Err(ReadError::Parse(e)) => items.push(Owned::ParseError(e)),
                Err(e) => end = Some(e),
            }
        }
        assert!(reader.is_done());
        assert!(reader.next().await.is_none());
        (items, end)
    })
}

/// Writes the test stream and returns the bytes written.
fn write_stream(framing: Framing) -> Vec<u8> {
    let mut pipe = Pipe::new(b"", &[1]);
    block_on(async {
        let mut buf = [0u8; 256];
        let mut writer = EventWriter::new(&mut pipe, &mut buf, framing);
        writer.send(&Event::new("hello")).await.unwrap();
        writer
            .send(&Event::new("line1\nline2\r\nline3\r").event("multi").id("7"))
            .await
            .unwrap();
        writer.comment("keep\nthis").await.unwrap();
        writer.keep_alive().await.unwrap();
        writer.send(&Event::empty().retry(2500)).await.unwrap();
        writer
            .send(&Event::new("  spaced ").event("s"))
            .await
            .unwrap();
        writer.send(&Event::new("").id("")).await.unwrap();
        writer
            .send_encoded(b"event: pre\ndata: encoded\n\n")
            .await
            .unwrap();
        writer.send_encoded(b"").await.unwrap();
        for i in 0..40 {
            let data = "x".repeat(i * 3);
            let id = i.to_string();
            writer.send(&Event::new(&data).id(&id)).await.unwrap();
        }
        writer.finish().await.unwrap();
    });
    assert_eq!(pipe.flushes, 1);
    pipe.output
}

fn expected_stream() -> Vec<Owned> {
    let mut items = vec![
        ev("message", "hello", ""),
        ev("multi", "line1\nline2\nline3\n", "7"),
        Owned::Comment("keep".to_string()),
        Owned::Comment("this".to_string()),
        Owned::Comment(String::new()),
        Owned::Retry(2500),
        ev("s", "  spaced ", "7"),
        ev("message", "", ""),
        ev("pre", "encoded", ""),
    ];
    for i in 0..40 {
        items.push(ev("message", &"x".repeat(i * 3), &i.to_string()));
    }
    items
}

#[test]
fn round_trip_close_every_read_size() {
    let bytes = write_stream(Framing::Close);
    assert!(bytes.starts_with(b"data: hello\n\nevent: multi\nid: 7\n"));
    for size in 1..=17 {
        for buf_len in [1, 5, 64] {
            let mut pipe = Pipe::new(&bytes, &[size]);
            let (items, end) = read_all(&mut pipe, Framing::Close, buf_len);
            assert_eq!(
                items,
                expected_stream(),
                "read size {size}, buffer {buf_len}"
            );
            assert_eq!(end, None);
        }
    }
}

#[test]
fn round_trip_chunked_every_read_size() {
    let bytes = write_stream(Framing::Chunked);
    assert!(bytes.starts_with(b"d\r\ndata: hello\n\n\r\n"));
    assert!(bytes.ends_with(b"\r\n0\r\n\r\n"));
    for size in 1..=17 {
        for buf_len in [1, 5, 64] {
            let mut pipe = Pipe::new(&bytes, &[size, size + 3]);
            let (items, end) = read_all(&mut pipe, Framing::Chunked, buf_len);
            assert_eq!(
                items,
                expected_stream(),
                "read size {size}, buffer {buf_len}"
            );
            assert_eq!(end, None);
        }
    }
}

/// A chunked body whose chunks cut lines, a CRLF and an event anywhere, with extensions and
/// trailers, an unterminated block at its end, and bytes after it.
const CHUNKED: &[u8] =
    b"4\r\ndata\r\n6;a=b\r\n: one\r\r\n3\r\n\nev\r\n11 ; x=\"q\"\r\nent: e\nid: 9\nretr\r\n\
    c\r\ny: 5\ndata: 2\r\n2\r\n\n\r\r\n5\r\ndata:\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1\r\n";

/// Where the last chunk starts in [`CHUNKED`].
fn last_chunk() -> usize {
    CHUNKED.windows(3).position(|w| w == b"\n0\r").unwrap() + 1
}

fn chunked_expected() -> Vec<Owned> {
    // The parser reports `retry` when its line ends, before the block dispatches.
    vec![Owned::Retry(5), ev("e", "one\n2", "9")]
}

#[test]
fn chunked_body_split_everywhere() {
    for split in 1..=CHUNKED.len() {
        for buf_len in [1, 7, 256] {
            let mut pipe = Pipe::new(CHUNKED, &[split, usize::MAX]);
            let (items, end) = read_all(&mut pipe, Framing::Chunked, buf_len);
            assert_eq!(
                items,
                chunked_expected(),
                "split at {split}, buffer {buf_len}"
            );
            assert_eq!(end, None);
        }
    }
}

#[test]
fn chunked_body_cut_short_is_unexpected_eof() {
    for cut in [last_chunk(), CHUNKED.len() - 20] {
        let body = &CHUNKED[..cut];
        let (items, end) = read_all(&mut Pipe::new(body, &[3]), Framing::Chunked, 16);
        assert_eq!(items, chunked_expected());
        assert_eq!(end, Some(ReadError::UnexpectedEof));
    }
}

#[test]
fn malformed_chunked_body_is_an_error() {
    let (items, end) = read_all(
        &mut Pipe::new(b"6\r\ndata:\n\r\n0x\r\n", &[2]),
        Framing::Chunked,
        16,
    );
    assert!(items.is_empty());
    assert_eq!(end, Some(ReadError::Chunked(ChunkedError::MalformedSize)));
}

#[test]
fn close_delimited_end_discards_the_unterminated_block() {
    let (items, end) = read_all(
        &mut Pipe::new(b"data: a\n\ndata: cut", &[4]),
        Framing::Close,
        8,
    );
    assert_eq!(items, vec![ev("message", "a", "")]);
    assert_eq!(end, None);
}

#[test]
fn io_error_mid_stream() {
    let bytes = write_stream(Framing::Close);
    for size in [1, 4, 17] {
        let mut pipe = Pipe::new(&bytes, &[size]);
        pipe.fail_at = Some(40);
        let (items, end) = read_all(&mut pipe, Framing::Close, 32);
        assert_eq!(items, expected_stream()[..1], "read size {size}");
        assert_eq!(end, Some(ReadError::Io(PipeError)));
    }
}

#[test]
fn event_over_the_parser_limit_is_skipped() {
    let input = format!("data: {}\n\ndata: ok\n\n", "y".repeat(2000));
    let (items, end) = read_all(&mut Pipe::new(input.as_bytes(), &[13]), Framing::Close, 32);
    assert_eq!(
        items,
        vec![
            Owned::ParseError(ParseError::DataTooLong),
            ev("message", "ok", "")
        ]
    );
    assert_eq!(end, None);
}

#[test]
fn reader_with_parser_and_received_bytes() {
    block_on(async {
        let mut buf = [0u8; 16];
        buf[..9].copy_from_slice(b"data: a\n\n");
        let mut storage = [0u8; 512];
        let mut parser = Parser::new(&mut storage[..]);
        parser.set_last_event_id("41").unwrap();
        let pipe = Pipe::new(b"id: 42\ndata: b\n\n", &[5]);
        let mut reader =
            EventReader::with_parser(pipe, &mut buf, parser, Framing::Close).with_received(9);
        let first = reader.next().await.unwrap().map(own);
        assert_eq!(first, Ok(ev("message", "a", "41")));
        let second = reader.next().await.unwrap().map(own);
        assert_eq!(second, Ok(ev("message", "b", "42")));
        assert!(reader.next().await.is_none());
        let (_, parser) = reader.into_inner();
        assert_eq!(parser.last_event_id(), "42");
    });
}

#[test]
fn too_small_write_buffer_writes_nothing() {
    let mut pipe = Pipe::new(b"", &[1]);
    block_on(async {
        let event = Event::new("0123456789");
        let fits = event.encoded_len().unwrap();
        for framing in [Framing::Close, Framing::Chunked] {
            let extra = if framing == Framing::Chunked {
                ssewire_embedded::CHUNK_OVERHEAD
            } else {
                0
            };
            let mut small = vec![0u8; fits + extra - 1];
            let mut writer = EventWriter::new(&mut pipe, &mut small, framing);
            let too_small = Err(SendError::Encode(EncodeError::BufferTooSmall));
            assert_eq!(writer.send(&event).await, too_small);
            assert_eq!(writer.comment(&"c".repeat(100)).await, too_small);
            assert_eq!(
                writer.send(&Event::new("x").id("a\nb")).await,
                Err(SendError::Encode(EncodeError::InvalidId))
            );
            assert_eq!(writer.framing(), framing);
        }
        assert!(pipe.output.is_empty());
        // Exactly enough room: the event goes out.
        let mut exact = vec![0u8; fits + ssewire_embedded::CHUNK_OVERHEAD];
        let mut writer = EventWriter::new(&mut pipe, &mut exact, Framing::Chunked);
        writer.send(&event).await.unwrap();
    });
    assert_eq!(pipe.output, b"12\r\ndata: 0123456789\n\n\r\n");
}

#[test]
fn write_of_zero_bytes_is_an_error() {
    let mut pipe = Pipe::new(b"", &[1]);
    pipe.write_max = 0;
    let mut buf = [0u8; 64];
    let mut writer = EventWriter::new(&mut pipe, &mut buf, Framing::Close);
    assert_eq!(block_on(writer.keep_alive()), Err(SendError::WriteZero));
}

/// A delay that is over at once.
struct Immediate;

impl Delay for Immediate {
    async fn delay_ms(&mut self, _ms: u32) {}
}

const OK_CLOSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
    X-Accel-Buffering: no\r\nConnection: close\r\n\r\n";

/// What `accept` handed back, owned.
type AcceptResult = Result<(String, Option<String>, Framing), AcceptError<PipeError>>;

fn run_accept(
    request: &[u8],
    sizes: &[usize],
    config: &Config<'_>,
    buf_len: usize,
) -> (AcceptResult, Vec<u8>) {
    let mut pipe = Pipe::new(request, sizes);
    let mut head = vec![0u8; buf_len];
    let result = block_on(accept(&mut pipe, &mut head, config, NoDelay)).map(
        |Accepted {
             target,
             last_event_id,
             framing,
             ..
         }| {
            (
                target.to_string(),
                last_event_id.map(str::to_string),
                framing,
            )
        },
    );
    (result, pipe.output)
}

fn error_response(response: ErrorResponse) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let len = response.encode(&mut buf).unwrap();
    buf[..len].to_vec()
}

#[test]
fn accept_writes_the_200_head() {
    let config = Config::new().paths(&["/events", "/other"]);
    let request = b"GET /events?topic=a HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 41\r\n\r\n";
    for sizes in [&[usize::MAX][..], &[1], &[3, 7]] {
        let (result, output) = run_accept(request, sizes, &config, 1024);
        assert_eq!(
            result,
            Ok((
                "/events?topic=a".to_string(),
                Some("41".to_string()),
                Framing::Close
            ))
        );
        assert_eq!(output, OK_CLOSE);
    }
}

#[test]
fn accept_chunked_and_cors() {
    let config = Config::new()
        .framing(Framing::Chunked)
        .cors(ssewire::http::Cors::new("*"));
    let (result, output) = run_accept(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &[1], &config, 512);
    assert_eq!(result, Ok(("/".to_string(), None, Framing::Chunked)));
    assert_eq!(
        output,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
          X-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\nAccess-Control-Allow-Origin: *\r\n\r\n"
    );
    // An HTTP/1.0 client cannot take chunks.
    let (result, output) = run_accept(b"GET / HTTP/1.0\r\n\r\n", &[2], &config, 512);
    assert_eq!(result, Ok(("/".to_string(), None, Framing::Close)));
    assert!(output.ends_with(b"Connection: close\r\nAccess-Control-Allow-Origin: *\r\n\r\n"));
}

#[test]
fn accept_rejects() {
    let config = Config::new().paths(&["/events"]);
    let cases: [(&[u8], AcceptError<PipeError>, ErrorResponse); 8] = [
        (
            b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n",
            AcceptError::Rejected(ErrorResponse::NotFound),
            ErrorResponse::NotFound,
        ),
        (
            b"GET /events/x HTTP/1.1\r\nHost: a\r\n\r\n",
            AcceptError::Rejected(ErrorResponse::NotFound),
            ErrorResponse::NotFound,
        ),
        (
            b"POST /events HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            AcceptError::Rejected(ErrorResponse::MethodNotAllowed),
            ErrorResponse::MethodNotAllowed,
        ),
        (
            b"GET /events HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
            AcceptError::Head(HeadError::Malformed),
            ErrorResponse::BadRequest,
        ),
        (
            b"GET /events HTTP/1.1\r\nHost: a\r\nLast-Event-ID: 1\r\nLast-Event-ID: 2\r\n\r\n",
            AcceptError::Head(HeadError::Malformed),
            ErrorResponse::BadRequest,
        ),
        // RFC 9112: HTTP/1.1 needs one Host; a body's length must be certain.
        (
            b"GET /events HTTP/1.1\r\n\r\n",
            AcceptError::Head(HeadError::Host),
            ErrorResponse::BadRequest,
        ),
        (
            b"GET /events HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
            AcceptError::Head(HeadError::Host),
            ErrorResponse::BadRequest,
        ),
        (
            b"GET /events HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            AcceptError::Head(HeadError::Framing),
            ErrorResponse::BadRequest,
        ),
    ];
    for (request, error, response) in cases {
        for sizes in [&[usize::MAX][..], &[1]] {
            let (result, output) = run_accept(request, sizes, &config, 1024);
            assert_eq!(result, Err(error));
            assert_eq!(output, error_response(response));
        }
    }
}

#[test]
fn accept_oversized_head_is_431() {
    let mut request = b"GET /events HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
    request.extend(std::iter::repeat(b'a').take(2000));
    request.extend_from_slice(b"\r\n\r\n");
    for sizes in [&[usize::MAX][..], &[1], &[5]] {
        let (result, output) = run_accept(&request, sizes, &Config::new(), 512);
        assert_eq!(result, Err(AcceptError::Head(HeadError::TooLarge)));
        assert_eq!(output, error_response(ErrorResponse::HeadersTooLarge));
    }
    // Too many header fields.
    let mut request = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..40 {
        request.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let (result, output) = run_accept(&request, &[64], &Config::new(), 2048);
    assert_eq!(result, Err(AcceptError::Head(HeadError::TooManyHeaders)));
    assert_eq!(output, error_response(ErrorResponse::HeadersTooLarge));
}

#[test]
fn accept_eof_timeout_and_small_buffer() {
    let config = Config::new();
    let (result, output) = run_accept(b"GET / HTTP/1.1\r\nHost: a\r\n", &[4], &config, 512);
    assert_eq!(result, Err(AcceptError::UnexpectedEof));
    assert!(output.is_empty());

    let mut pipe = Pipe::new(b"GET / HTTP/1.1\r\nHost: a\r\n", &[4]);
    pipe.hang = true;
    let mut head = [0u8; 512];
    let result = block_on(accept(&mut pipe, &mut head, &config, Immediate));
    assert_eq!(result, Err(AcceptError::Timeout));
    assert!(pipe.output.is_empty());

    let (result, output) = run_accept(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &[4], &config, 100);
    assert_eq!(
        result,
        Err(AcceptError::Response(
            ssewire::http::WriteError::BufferTooSmall
        ))
    );
    assert!(output.is_empty());
}

#[test]
fn error_display_and_source() {
    use core::error::Error as _;
    let io: AcceptError<PipeError> = AcceptError::Io(PipeError);
    assert_eq!(io.to_string(), "i/o error");
    assert_eq!(io.source().unwrap().to_string(), "pipe broken");
    let head: AcceptError<PipeError> = AcceptError::Head(HeadError::Malformed);
    assert_eq!(head.to_string(), "malformed head");
    assert!(head.source().is_none());
    let rejected: AcceptError<PipeError> = AcceptError::Rejected(ErrorResponse::NotFound);
    assert_eq!(rejected.to_string(), "request answered with 404");
}

#[test]
fn futures_are_small() {
    // Every buffer is lent by the caller: the futures hold references and indices only.
    let mut pipe = Pipe::new(b"", &[1]);
    let mut buf = [0u8; 64];
    let mut storage = [0u8; 256];
    let mut head = [0u8; 512];
    let accept = accept(&mut pipe, &mut head, &Config::DEFAULT, NoDelay);
    let accept_size = core::mem::size_of_val(&accept);
    drop(accept);
    let mut writer = EventWriter::new(&mut pipe, &mut buf, Framing::Chunked);
    let event = Event::new("x");
    let send = writer.send(&event);
    let send_size = core::mem::size_of_val(&send);
    drop(send);
    let mut reader = EventReader::new(&mut pipe, &mut buf, &mut storage, Framing::Chunked);
    let next = reader.next();
    let next_size = core::mem::size_of_val(&next);
    drop(next);
    println!("accept {accept_size}, send {send_size}, next {next_size}");
    for size in [accept_size, send_size, next_size] {
        assert!(size <= 512, "{accept_size} {send_size} {next_size}");
    }
}

#[test]
fn read_request_leaves_the_answer_to_the_caller() {
    let config = Config::new().framing(Framing::Chunked);
    let request =
        b"POST /jobs?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nLast-Event-ID: 9\r\n\
        authorization: Bearer t\r\n\r\n";
    // The head, as read, then a rejection of the caller's choosing.
    for sizes in [&[usize::MAX][..], &[1]] {
        let mut pipe = Pipe::new(request, sizes);
        let mut head = vec![0u8; config.head_buffer_len(200).unwrap()];
        block_on(async {
            let incoming = read_request(&mut pipe, &mut head, &config, NoDelay)
                .await
                .unwrap();
            assert_eq!(
                (incoming.method, incoming.target, incoming.path()),
                ("POST", "/jobs?x=1", "/jobs")
            );
            assert_eq!((incoming.version, incoming.last_event_id), (1, Some("9")));
            // Every header, for a check of the caller's own.
            assert_eq!(incoming.header("Authorization"), Some("Bearer t"));
            assert_eq!(incoming.header("host"), Some("a"));
            assert_eq!(incoming.header("Cookie"), None);
            incoming
                .reject(&mut pipe, ErrorResponse::NotFound)
                .await
                .unwrap();
        });
        assert_eq!(pipe.output, error_response(ErrorResponse::NotFound));
    }
    // Opening a stream needs GET.
    let mut pipe = Pipe::new(request, &[usize::MAX]);
    let mut head = vec![0u8; 512];
    let result = block_on(async {
        let incoming = read_request(&mut pipe, &mut head, &config, NoDelay).await?;
        incoming
            .open(&mut pipe, &config)
            .await
            .map(|accepted| accepted.framing)
    });
    assert_eq!(
        result,
        Err(AcceptError::Rejected(ErrorResponse::MethodNotAllowed))
    );
    assert_eq!(pipe.output, error_response(ErrorResponse::MethodNotAllowed));
    // A GET opens it, in the configured framing.
    let mut pipe = Pipe::new(b"GET /s HTTP/1.1\r\nHost: a\r\n\r\n", &[3]);
    let mut head = vec![0u8; 512];
    let result = block_on(async {
        let incoming = read_request(&mut pipe, &mut head, &config, NoDelay).await?;
        incoming
            .open(&mut pipe, &config)
            .await
            .map(|accepted| accepted.framing)
    });
    assert_eq!(result, Ok(Framing::Chunked));
    assert!(pipe.output.ends_with(b"Transfer-Encoding: chunked\r\n\r\n"));
}

#[test]
fn head_buffer_len_admits_heads_of_that_length() {
    let config = Config::new();
    let request = b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
    let len = config.head_buffer_len(request.len()).unwrap();
    let (result, _) = run_accept(request, &[usize::MAX], &config, len);
    assert!(result.is_ok(), "{result:?}");
    let (result, _) = run_accept(request, &[usize::MAX], &config, len - 1);
    assert_eq!(result, Err(AcceptError::Head(HeadError::TooLarge)));
}
