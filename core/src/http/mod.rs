//! HTTP/1.1, only what Server-Sent Events need, on [`httparse`].
//!
//! Server side:
//!
//! - [`read_request`] reads a request head as it arrives ([`RequestHead`]: method, path,
//!   `Last-Event-ID`, `Accept`, `Origin`), within limits on its size and number of fields.
//! - [`Response`] writes the `200 OK` head that opens an event stream, with the [`Framing`] of
//!   your choice and optional [`Cors`] headers; [`ErrorResponse`] writes 400, 404, 405, 431 and
//!   503 responses, [`PlainResponse`] any other response with a body. [`ChunkHeader`], [`CHUNK_END`] and [`LAST_CHUNK`] frame a chunked stream.
//!
//! Client side:
//!
//! - [`Url`] parses a URL, and resolves a redirect's `Location` against it ([`Url::join`]).
//! - [`Request`] writes the request head (`Host`, `Accept`, `Last-Event-ID`, your headers).
//! - [`read_response`] reads a response head ([`ResponseHead`]: status, content type, body
//!   framing, `Location`, `Retry-After`); [`is_event_stream`] checks a content type.
//! - [`ChunkedDecoder`] decodes a chunked body incrementally, in constant memory;
//!   [`BodyDecoder`] reads an event-stream body in any framing straight into a parser.
//!
//! Reading a head or a body that has not arrived in full is not an error: the readers say
//! "need more" (`Ok(None)`) and the caller feeds more bytes. Nothing here panics, allocates or
//! does I/O. Writers check every value first, so a CR, LF or NUL in a value can never inject a
//! header or split a response: such a value is a typed error, and on any error nothing is
//! written.
//!
//! The header slice the readers fill is `httparse`'s ([`Header`], [`EMPTY_HEADER`],
//! re-exported here), so `httparse` is part of this module's API.
//!
//! # Answering a request
//!
//! ```
//! use ssewire::http::{self, ErrorResponse, Response, EMPTY_HEADER};
//!
//! /// Answers a request for `/events` from the bytes received so far: the length of the answer
//! /// written into `out`, or `None` to read more bytes first.
//! fn answer(received: &[u8], out: &mut [u8]) -> Option<usize> {
//!     let mut headers = [EMPTY_HEADER; 16];
//!     let written = match http::read_request(received, &mut headers, http::DEFAULT_MAX_HEAD_LEN) {
//!         Ok(None) => return None,
//!         // 431 for a head too large, 400 for a malformed one; then close the connection.
//!         Err(error) => error.response().encode(out),
//!         Ok(Some(head)) if head.path() != "/events" => ErrorResponse::NotFound.encode(out),
//!         Ok(Some(head)) if head.method != "GET" => ErrorResponse::MethodNotAllowed.encode(out),
//!         Ok(Some(head)) => {
//!             if let Some(id) = head.last_event_id {
//!                 // Replay what the client missed after event `id`, right after the head.
//!             }
//!             Response::new().encode(out)
//!         }
//!     };
//!     written.ok()
//! }
//!
//! let mut out = [0u8; 256];
//! assert_eq!(answer(b"GET /events HTTP/1.1\r\nHost: a.example\r\n", &mut out), None);
//!
//! let len = answer(b"GET /events HTTP/1.1\r\nLast-Event-ID: 41\r\n\r\n", &mut out).unwrap();
//! assert_eq!(
//!     &out[..len],
//!     b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
//!       X-Accel-Buffering: no\r\nConnection: close\r\n\r\n"
//! );
//!
//! let len = answer(b"POST /events HTTP/1.1\r\n\r\n", &mut out).unwrap();
//! assert!(out[..len].starts_with(b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"));
//!
//! let len = answer(b"GET /elsewhere HTTP/1.1\r\n\r\n", &mut out).unwrap();
//! assert!(out[..len].starts_with(b"HTTP/1.1 404 Not Found\r\n"));
//!
//! let len = answer(b"GET /events HTTP/1.1\r\nBad Header: x\r\n\r\n", &mut out).unwrap();
//! assert!(out[..len].starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
//! ```
//!
//! # Reading a chunked event stream
//!
//! ```
//! use ssewire::http::{self, Body, ChunkedDecoder, Decoded, EMPTY_HEADER};
//!
//! let received: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\
//!     Transfer-Encoding: chunked\r\n\r\n9\r\ndata: hi\n\r\n1;k=v\r\n\n\r\n0\r\n\r\n";
//! let mut headers = [EMPTY_HEADER; 16];
//! let head = http::read_response(received, &mut headers, http::DEFAULT_MAX_HEAD_LEN)?
//!     .expect("complete head");
//! assert_eq!(head.status, 200);
//! assert!(head.is_event_stream());
//! assert_eq!(head.body, Body::Chunked);
//!
//! let mut decoder = ChunkedDecoder::new();
//! let mut body = &received[head.len..];
//! let mut stream = Vec::new(); // or feed each piece straight to a `parse::Parser`
//! while let Some(Decoded::Data(data)) = decoder.decode(&mut body)? {
//!     stream.extend_from_slice(data);
//! }
//! assert!(decoder.is_done());
//! assert_eq!(stream, b"data: hi\n\n");
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod body;
mod chunked;
mod head;
pub(crate) mod syntax;
mod url;
mod write;

pub use httparse::{Header, EMPTY_HEADER};

pub(crate) use body::Sink;
pub use body::{BodyDecoder, BodyReader, Progress, ReadError};
pub use chunked::{
    ChunkHeader, ChunkedDecoder, ChunkedError, Decoded, CHUNK_END, LAST_CHUNK, MAX_CHUNK_LINE_LEN,
    MAX_TRAILERS_LEN,
};
pub use head::{
    is_event_stream, read_request, read_response, Body, HeadError, RequestHead, ResponseHead,
    DEFAULT_MAX_HEAD_LEN,
};
pub use url::{Scheme, Url, UrlError};
pub(crate) use write::HeaderLines;
pub use write::{
    Cors, ErrorResponse, Framing, PlainResponse, Request, Response, Tunnel, WriteError,
    STREAM_HEADERS,
};
