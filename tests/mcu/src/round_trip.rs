//! EventWriter → in-memory pipe → EventReader, close-delimited and chunked, with writes and
//! reads of 1 to 7 bytes.

use core::convert::Infallible;

use cortex_m_semihosting::hprintln;
use embedded_io_async::{ErrorType, Read, Write};
use ssewire::encode::{EncodeError, Event};
use ssewire::http::Framing;
use ssewire_embedded::{EventReader, EventWriter, SendError};

use crate::vectors::{comment, event, event_after, msg, msg_after, msg_id, retry, Expected};
use crate::Tally;

/// Bytes written, taken at most `limit` at a time (1 to 7, changing with each write).
struct Sink<'a> {
    buf: &'a mut [u8],
    len: usize,
    writes: usize,
}

impl ErrorType for Sink<'_> {
    type Error = Infallible;
}

impl Write for Sink<'_> {
    async fn write(&mut self, data: &[u8]) -> Result<usize, Infallible> {
        self.writes += 1;
        let n = data
            .len()
            .min(1 + self.writes % 7)
            .min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&data[..n]);
        self.len += n;
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Bytes to read, handed out 1 to 7 at a time (starting at `1 + phase`), then end of stream.
struct Source<'a> {
    data: &'a [u8],
    reads: usize,
}

impl ErrorType for Source<'_> {
    type Error = Infallible;
}

impl Read for Source<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        self.reads += 1;
        let n = self.data.len().min(buf.len()).min(1 + self.reads % 7);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// What the writer is asked to do.
#[derive(Clone, Copy)]
enum Step {
    Send(Event<'static>),
    Comment(&'static str),
    KeepAlive,
    /// An event the writer must refuse, writing nothing.
    Refused(Event<'static>, EncodeError),
}

const LONG: &str = concat!(
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
);

const STEPS: &[Step] = &[
    Step::Send(Event::new("hello")),
    Step::Send(Event::new("a\r\nb\rc").event("update").id("1")),
    Step::Comment("keep\nthis"),
    Step::KeepAlive,
    Step::Refused(Event::new("x").id("2\n"), EncodeError::InvalidId),
    Step::Refused(Event::new("x").event("a\rb"), EncodeError::InvalidEventType),
    Step::Send(Event::new(" spaced ").retry(2500)),
    Step::Send(Event::empty().id("42")),
    Step::Send(Event::new("é€😀 中文").event("日本")),
    Step::Send(Event::new(LONG)),
    Step::Send(Event::new("").id("")),
];

/// The items the reader must give back for [`STEPS`].
const EXPECTED: &[Expected<'static>] = &[
    msg("hello"),
    event("update", "a\nb\nc", "1"),
    comment("keep"),
    comment("this"),
    comment(""),
    retry(2500),
    msg_after(" spaced ", "1"),
    event_after("日本", "é€😀 中文", "42"),
    msg_after(LONG, "42"),
    msg_id("", ""),
];

/// Each framing, with reads and writes of 1 to 7 bytes starting at each of 7 phases; one tally
/// entry each.
pub fn run(tally: &mut Tally) {
    for framing in [Framing::Close, Framing::Chunked] {
        for phase in 0..7 {
            let result = embassy_futures::block_on(round_trip(framing, phase));
            if let Err(what) = result {
                hprintln!("FAIL round trip {:?}, phase {}: {}", framing, phase, what);
            }
            tally.record(result.is_ok());
        }
    }
}

async fn round_trip(framing: Framing, phase: usize) -> Result<(), &'static str> {
    let mut wire = [0u8; 2048];
    let mut frame_buf = [0u8; 512];
    let mut sink = Sink {
        buf: &mut wire,
        len: 0,
        writes: phase,
    };
    let mut writer = EventWriter::new(&mut sink, &mut frame_buf, framing);
    for step in STEPS {
        let result = match step {
            Step::Send(event) => writer.send(event).await,
            Step::Comment(text) => writer.comment(text).await,
            Step::KeepAlive => writer.keep_alive().await,
            Step::Refused(event, error) => match writer.send(event).await {
                Err(SendError::Encode(e)) if e == *error => Ok(()),
                _ => return Err("an invalid event was not refused"),
            },
        };
        result.map_err(|_| "the writer failed")?;
    }
    writer.finish().await.map_err(|_| "finish failed")?;
    let len = sink.len;
    if len == wire.len() {
        return Err("the pipe is full");
    }

    let mut read_buf = [0u8; 16];
    let mut storage = [0u8; 1024];
    let source = Source {
        data: &wire[..len],
        reads: phase,
    };
    let mut reader = EventReader::new(source, &mut read_buf, &mut storage, framing);
    let mut index = 0;
    while let Some(item) = reader.next().await {
        let item = item.map_err(|_| "the reader failed")?;
        let expected = EXPECTED.get(index).ok_or("an extra item")?;
        if Expected::from_item(Ok(item)) != *expected {
            hprintln!("  item {}: expected {:?}", index, expected);
            return Err("an item differs");
        }
        index += 1;
    }
    if index != EXPECTED.len() {
        return Err("items missing");
    }
    if !reader.is_done() || reader.parser().last_event_id() != "" {
        return Err("not done, or the last event ID is not empty");
    }
    Ok(())
}
