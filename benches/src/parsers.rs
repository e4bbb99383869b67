//! Each parser, fed a corpus in chunks of a fixed size, consuming every event and touching its
//! data, type and id.
//!
//! The peers are `Stream`s (or codecs behind `FramedRead`/`AsyncBufRead`): each reads the
//! chunks from [`futures::stream::iter`] over slices of the corpus, through the adapter that
//! crate's users would write, driven by [`futures::executor::block_on`]. ssewire is sans-IO and
//! is fed the same slices directly.

use std::{io, pin::pin};

use futures::{executor::block_on, stream, Stream, StreamExt, TryStreamExt};
use ssewire::parse::{Item, Limits, Parser, Token, Tokenizer};

use crate::{corpus::Corpus, Digest};

/// A parser under test: reads `input` in `chunk`-byte pieces, with `event_type` the type the
/// corpus gives every event.
pub type ParseFn = fn(input: &[u8], chunk: usize, event_type: &str) -> Digest;

/// The parsers compared, by name; ssewire first.
pub const PARSERS: &[(&str, ParseFn)] = &[
    ("ssewire", ssewire),
    ("sse-stream 0.3", sse_stream),
    ("eventsource-stream 0.2", eventsource_stream),
    ("sse-codec 0.3", sse_codec),
    ("async-sse 5", async_sse),
];

/// The ssewire parser's storage: enough for 128 KiB of data plus the fixed parts.
pub const SSEWIRE_STORAGE: usize = 200_000;

/// ssewire's limits here: data up to 128 KiB, the rest as by default.
pub const SSEWIRE_LIMITS: Limits = Limits::DEFAULT.data(128 * 1024);

thread_local! {
    /// ssewire's storage, allocated once per thread, outside any timed region.
    static STORAGE: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; SSEWIRE_STORAGE]);
}

/// Allocates ssewire's storage now, so that no timed run does it.
pub fn prepare() {
    STORAGE.with(|storage| storage.borrow_mut().len());
}

/// ssewire's [`Parser`] over borrowed storage, fed each chunk until it is used up.
#[must_use]
pub fn ssewire(input: &[u8], chunk: usize, event_type: &str) -> Digest {
    STORAGE.with(|storage| {
        let mut storage = storage.borrow_mut();
        let mut parser = Parser::with_limits(&mut storage[..], SSEWIRE_LIMITS);
        let mut digest = Digest::default();
        for piece in input.chunks(chunk) {
            let mut piece = piece;
            while let Some(item) = parser.feed(&mut piece) {
                match item {
                    Ok(Item::Event(event)) => {
                        digest.add(
                            event.event == event_type,
                            event.data.len(),
                            event.last_event_id.len(),
                        );
                    }
                    Ok(Item::Comment(_) | Item::Retry(_)) => {}
                    Err(_) => digest.errors += 1,
                }
            }
        }
        digest
    })
}

/// The corpus as a stream of `io::Result<&[u8]>` chunks, as an HTTP client hands them out.
fn chunks(input: &[u8], chunk: usize) -> impl Stream<Item = io::Result<&[u8]>> + Unpin {
    stream::iter(input.chunks(chunk).map(Ok))
}

/// `sse_stream::SseByteStream::new(byte_stream)`, a `Stream` of `Result<Sse, Error>`.
#[must_use]
pub fn sse_stream(input: &[u8], chunk: usize, event_type: &str) -> Digest {
    block_on(async {
        let mut events = pin!(sse_stream::SseByteStream::new(chunks(input, chunk)));
        let mut digest = Digest::default();
        while let Some(item) = events.next().await {
            match item {
                Ok(sse) => {
                    // Blocks without data are returned too; a browser would not dispatch them.
                    if let Some(data) = &sse.data {
                        let typed = sse.event.as_deref().unwrap_or("message") == event_type;
                        digest.add(typed, data.len(), sse.id.as_ref().map_or(0, String::len));
                    }
                }
                Err(_) => digest.errors += 1,
            }
        }
        digest
    })
}

/// `byte_stream.eventsource()` (trait `eventsource_stream::Eventsource`), a `Stream` of
/// `Result<Event, EventStreamError<_>>`.
#[must_use]
pub fn eventsource_stream(input: &[u8], chunk: usize, event_type: &str) -> Digest {
    use eventsource_stream::Eventsource as _;
    block_on(async {
        let mut events = pin!(chunks(input, chunk).eventsource());
        let mut digest = Digest::default();
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => {
                    digest.add(event.event == event_type, event.data.len(), event.id.len());
                }
                Err(_) => digest.errors += 1,
            }
        }
        digest
    })
}

/// `sse_codec::decode_stream(async_read)`, a `FramedRead` yielding `Result<Event, Error>`, over
/// the chunk stream turned into an `AsyncRead` by `TryStreamExt::into_async_read`.
#[must_use]
pub fn sse_codec(input: &[u8], chunk: usize, event_type: &str) -> Digest {
    block_on(async {
        let mut events = pin!(sse_codec::decode_stream(
            chunks(input, chunk).into_async_read()
        ));
        let mut digest = Digest::default();
        while let Some(item) = events.next().await {
            match item {
                Ok(sse_codec::Event::Message { id, event, data }) => {
                    digest.add(
                        event == event_type,
                        data.len(),
                        id.as_ref().map_or(0, String::len),
                    );
                }
                Ok(sse_codec::Event::Retry { .. }) => {}
                Err(_) => digest.errors += 1,
            }
        }
        digest
    })
}

/// `async_sse::decode(async_buf_read)`, a `Stream` of `http_types::Result<Event>`, over the
/// chunk stream turned into an `AsyncBufRead` by `TryStreamExt::into_async_read`.
#[must_use]
pub fn async_sse(input: &[u8], chunk: usize, event_type: &str) -> Digest {
    block_on(async {
        let mut events = pin!(async_sse::decode(chunks(input, chunk).into_async_read()));
        let mut digest = Digest::default();
        while let Some(item) = events.next().await {
            match item {
                Ok(async_sse::Event::Message(message)) => {
                    digest.add(
                        message.name() == event_type,
                        message.data().len(),
                        message.id().as_ref().map_or(0, String::len),
                    );
                }
                Ok(async_sse::Event::Retry(_)) => {}
                Err(_) => digest.errors += 1,
            }
        }
        digest
    })
}

/// A reference row, measured beside the parsers on the same chunks: part of the work a parser
/// does, alone. It returns a count, which must equal `expected` of the corpus.
pub struct Floor {
    /// The row's name.
    pub name: &'static str,
    /// What it counts, for the table's note.
    pub counts: &'static str,
    /// Runs it over the input in chunks of the given size.
    pub run: fn(input: &[u8], chunk: usize) -> u64,
    /// The count it must return for a corpus.
    pub expected: fn(corpus: &Corpus) -> u64,
}

/// The floors, measured after the parsers.
pub const FLOORS: &[Floor] = &[
    Floor {
        name: "ssewire tokenizer alone",
        counts: "the lines its Tokenizer ends (no event assembled, nothing copied or checked)",
        run: tokenizer_floor,
        expected: |corpus| corpus.lines,
    },
    Floor {
        name: "memchr2 line-scan floor",
        counts: "CR and LF bytes",
        run: memchr2_floor,
        expected: |corpus| corpus.line_breaks,
    },
];

/// ssewire's `Tokenizer` alone over the same chunks: the values are borrowed pieces of the
/// input, so this is the line scan and the field state machine without the event assembly
/// (copying into storage, the UTF-8 check, dispatch). Returns the number of lines.
#[must_use]
pub fn tokenizer_floor(input: &[u8], chunk: usize) -> u64 {
    let mut tokenizer = Tokenizer::new();
    let mut lines = 0;
    for piece in input.chunks(chunk) {
        let mut piece = piece;
        while let Some(token) = tokenizer.feed(&mut piece) {
            if matches!(token, Token::BlankLine | Token::Value { last: true, .. }) {
                lines += 1;
            }
        }
    }
    lines
}

/// The floor: `memchr::memchr2` finding every CR and LF in the same chunks; returns the count.
#[must_use]
pub fn memchr2_floor(input: &[u8], chunk: usize) -> u64 {
    let mut line_breaks = 0;
    for piece in input.chunks(chunk) {
        let mut rest = piece;
        while let Some(at) = memchr::memchr2(b'\r', b'\n', rest) {
            line_breaks += 1;
            rest = &rest[at + 1..];
        }
    }
    line_breaks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Corpus, Kind};

    #[test]
    fn ssewire_and_floor_are_exact_on_every_corpus_and_chunking() {
        for kind in Kind::ALL {
            let corpus = Corpus::build(kind, 300_000);
            for chunk in [1, 7, 64, 8192] {
                let digest = ssewire(&corpus.bytes, chunk, kind.event_type());
                assert_eq!(digest, corpus.expected, "{kind:?} in {chunk}-byte chunks");
                for floor in FLOORS {
                    let count = (floor.run)(&corpus.bytes, chunk);
                    assert_eq!(count, (floor.expected)(&corpus), "{}", floor.name);
                }
            }
        }
    }

    #[test]
    fn every_peer_reads_lf_events_in_one_chunk() {
        let corpus = Corpus::build(Kind::Small, 20_000);
        for (name, parse) in PARSERS {
            let digest = parse(&corpus.bytes, corpus.bytes.len(), Kind::Small.event_type());
            assert_eq!(digest, corpus.expected, "{name}");
        }
    }
}
