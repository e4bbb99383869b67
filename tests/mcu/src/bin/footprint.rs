//! Flash probe: each `fp-*` feature pulls in one component through a non-inlined wrapper whose
//! inputs and outputs go through `black_box`, so nothing is folded away. Built with no feature
//! it is the baseline (runtime, vector table, the wrappers' plumbing); the difference between a
//! component's build and the baseline is that component's flash cost, with everything it drags
//! in (memchr, core::fmt, panic paths) counted. `footprint.sh` builds each and prints the table.
//!
//! With `fp-mem` the baseline also links the compiler's mem* builtins, which nearly every
//! firmware has anyway; `footprint.sh` reports each row against both baselines.
//!
//! Never run: it only has to link. The panic handler ignores its argument so no formatting
//! code comes with it.

#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    #[cfg(feature = "fp-parser")]
    parser();
    #[cfg(feature = "fp-encoder")]
    encoder();
    #[cfg(feature = "fp-reader")]
    reader();
    #[cfg(feature = "fp-writer")]
    writer();
    #[cfg(feature = "fp-accept")]
    accept();
    #[cfg(feature = "fp-client")]
    client();
    #[cfg(feature = "fp-stream")]
    stream();
    #[cfg(feature = "fp-mem")]
    mem();
    loop {
        black_box(());
    }
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {
        black_box(());
    }
}

/// The compiler's memcpy, memmove, memset and memcmp, which nearly every firmware links anyway:
/// with this feature they are part of the baseline, so a component's row shows its own code.
#[cfg(feature = "fp-mem")]
#[inline(never)]
fn mem() {
    let mut a = [0u8; 64];
    let b = black_box([1u8; 64]);
    let n = black_box(32);
    a[..n].copy_from_slice(&b[..n]);
    a.copy_within(..n, black_box(3));
    a[n..].fill(black_box(7));
    black_box(a[..n] == b[..n]);
    black_box(a);
}

/// Input the optimizer cannot see through.
#[cfg(any(feature = "fp-parser", feature = "fp-reader"))]
static STREAM: &[u8] = b"id: 1\nevent: e\ndata: x\n\n";

/// The parser: feed a chunk, take every item, read the last event ID.
#[cfg(feature = "fp-parser")]
#[inline(never)]
fn parser() {
    let mut storage = [0u8; 512];
    let mut parser = ssewire::parse::Parser::new(&mut storage[..]);
    let mut input = black_box(STREAM);
    while let Some(item) = parser.feed(&mut input) {
        let _ = black_box(item);
    }
    black_box(parser.last_event_id());
}

/// The encoder: an event with every field, into a buffer.
#[cfg(feature = "fp-encoder")]
#[inline(never)]
fn encoder() {
    let mut buf = [0u8; 256];
    let event = ssewire::encode::Event::new(black_box("x"))
        .event(black_box("e"))
        .id(black_box("1"))
        .retry(black_box(10));
    black_box(event.encode(black_box(&mut buf[..])).ok());
}

#[cfg(any(
    feature = "fp-reader",
    feature = "fp-writer",
    feature = "fp-accept",
    feature = "fp-client",
    feature = "fp-stream"
))]
#[path = "../pipe.rs"]
#[allow(dead_code, reason = "each component uses its part of it")]
mod io;

/// EventReader: every item of a chunked body (so the chunked decoder is in).
#[cfg(feature = "fp-reader")]
#[inline(never)]
fn reader() {
    embassy_futures::block_on(async {
        let mut buf = [0u8; 64];
        let mut storage = [0u8; 512];
        let framing = black_box(ssewire::http::Framing::Chunked);
        let pipe = io::Pipe(black_box(STREAM));
        let mut reader = ssewire_embedded::EventReader::new(pipe, &mut buf, &mut storage, framing);
        while let Some(item) = reader.next().await {
            black_box(item.ok());
        }
    });
}

/// EventWriter: an event with every field, chunked (so chunk framing is in), then `finish`.
#[cfg(feature = "fp-writer")]
#[inline(never)]
fn writer() {
    embassy_futures::block_on(async {
        let mut buf = [0u8; 256];
        let framing = black_box(ssewire::http::Framing::Chunked);
        let mut writer = ssewire_embedded::EventWriter::new(io::Pipe(&[]), &mut buf, framing);
        let event = ssewire::encode::Event::new(black_box("x"))
            .event(black_box("e"))
            .id(black_box("1"))
            .retry(black_box(10));
        black_box(writer.send(&event).await.ok());
        black_box(writer.finish().await.ok());
    });
}

/// The server handshake: read a request head, answer it.
#[cfg(feature = "fp-accept")]
#[inline(never)]
fn accept() {
    embassy_futures::block_on(async {
        let mut head = [0u8; 512];
        let mut pipe = io::Pipe(black_box(b"GET /events HTTP/1.1\r\nHost: a\r\n\r\n"));
        let config = ssewire_embedded::Config::new();
        let accepted =
            ssewire_embedded::accept(&mut pipe, &mut head, &config, ssewire_embedded::NoDelay)
                .await;
        black_box(accepted.ok().map(|a| a.framing));
    });
}

/// An event stream: an event recorded in a replay ring, replayed after an id, then live items
/// (what they are is opaque, so every kind is linked) with keep-alives, chunked, to the end.
#[cfg(feature = "fp-stream")]
#[inline(never)]
fn stream() {
    use ssewire_embedded::replay::Replay;
    embassy_futures::block_on(async {
        let mut storage = [0u8; 512];
        let ring = core::cell::RefCell::new(Replay::new(&mut storage[..], 4));
        let mut buf = [0u8; 256];
        let event = ssewire::encode::Event::new(black_box("x"));
        black_box(ssewire_embedded::record(&ring, black_box("2"), event, &mut buf).ok());
        let framing = black_box(ssewire::http::Framing::Chunked);
        let writer = ssewire_embedded::EventWriter::new(io::Pipe(&[]), &mut buf, framing);
        let keep_alive = black_box(Some(ssewire::client::Duration::from_secs(15)));
        let mut stream = ssewire_embedded::EventStream::new(writer, keep_alive, io::Still);
        black_box(stream.replay(&ring, black_box(Some("1"))).await.ok());
        black_box(stream.run(io::Done, core::future::pending::<()>()).await);
    });
}

/// A `200 text/event-stream` response with one event, for the event source.
#[cfg(feature = "fp-client")]
static RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: 1\ndata: x\n\n";

/// The reconnecting client: connect, write the request, read the response head, read the body
/// up to the first event. Everything after (reconnecting, redirects, timeouts) is decided at
/// run time, so it is linked too.
#[cfg(feature = "fp-client")]
#[inline(never)]
fn client() {
    use ssewire_embedded::client::{Client, Config};
    embassy_futures::block_on(async {
        let mut storage = [0u8; 1024];
        let mut buf = [0u8; 512];
        let client = Client::new(&mut storage[..], Config::new(), black_box(1));
        let dial = io::Dial(black_box(RESPONSE));
        let url = black_box("http://a.example/events");
        let source = ssewire_embedded::EventSource::new(client, dial, io::Still, &mut buf, url);
        if let Ok(mut source) = source {
            black_box(source.next().await.map(|item| item.ok()));
        }
    });
}
