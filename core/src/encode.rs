//! Encoding events as `text/event-stream`, safe against field injection.
//!
//! - [`Event`] describes a whole event; [`Event::encoded_len`] is exact and
//!   [`Event::encode`] writes it into a slice, or writes nothing if it does not fit.
//! - [`Frame`] writes an event field by field into a slice, and implements [`core::fmt::Write`]
//!   for the data, so `write!` and serializers can format straight into it.
//! - [`Comment`] writes comment lines (keep-alives).
//!
//! Data containing CR, LF or CRLF is split into several `data:` lines, so a parser gives it
//! back with its line breaks as LF. An event type or id containing CR or LF, or an id
//! containing NUL, is an [`EncodeError`]: never written, never a panic. Leading spaces in values
//! survive (a space always follows the colon before a non-empty value).
//!
//! ```
//! use ssewire::encode::Event;
//!
//! let event = Event::new("line one\nline two").event("update").id("42");
//! let mut buf = [0u8; 128];
//! let len = event.encode(&mut buf)?;
//! assert_eq!(len, event.encoded_len()?);
//! assert_eq!(&buf[..len], b"event: update\nid: 42\ndata: line one\ndata: line two\n\n");
//!
//! // A line break in an id would inject a field: refused.
//! assert_eq!(Event::new("x").id("1\ndata: evil").encode(&mut buf), Err(ssewire::encode::EncodeError::InvalidId));
//! # Ok::<(), ssewire::encode::EncodeError>(())
//! ```

use core::fmt;

use crate::counted::{Cursor, Out, Writes};
use crate::http::syntax::decimal;
use crate::scan::line_end;

/// Why an event could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EncodeError {
    /// The event type contains CR or LF.
    InvalidEventType,
    /// The id contains CR, LF or NUL.
    InvalidId,
    /// The buffer is too small for the whole event; nothing was written.
    BufferTooSmall,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::InvalidEventType => "event type contains a line break",
            EncodeError::InvalidId => "event id contains a line break or NUL",
            EncodeError::BufferTooSmall => "buffer too small for the event",
        })
    }
}

impl core::error::Error for EncodeError {}

/// An event to encode. Build it with [`Event::new`] and the setters; all are `const fn`.
///
/// Fields are written in the order `event`, `id`, `retry`, `data`, then the blank line that
/// dispatches the event. An event without data (from [`Event::empty`]) is not dispatched by
/// a receiver, but its `id` and `retry` still take effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use]
pub struct Event<'a> {
    data: Option<&'a str>,
    event: Option<&'a str>,
    id: Option<&'a str>,
    retry: Option<u64>,
}

impl<'a> Event<'a> {
    /// An event carrying `data` (may be empty, may hold line breaks).
    pub const fn new(data: &'a str) -> Self {
        Event {
            data: Some(data),
            event: None,
            id: None,
            retry: None,
        }
    }

    /// A frame without data: for sending only an `id` or a `retry`.
    pub const fn empty() -> Self {
        Event {
            data: None,
            event: None,
            id: None,
            retry: None,
        }
    }

    /// Sets the event type (`message` when unset). Must not contain CR or LF.
    pub const fn event(self, event: &'a str) -> Self {
        Event {
            event: Some(event),
            ..self
        }
    }

    /// Sets the event id; the empty string resets the receiver's last event ID.
    /// Must not contain CR, LF or NUL.
    pub const fn id(self, id: &'a str) -> Self {
        Event {
            id: Some(id),
            ..self
        }
    }

    /// Sets the receiver's reconnection time, in milliseconds.
    pub const fn retry(self, milliseconds: u64) -> Self {
        Event {
            retry: Some(milliseconds),
            ..self
        }
    }

    /// The exact number of bytes [`encode`](Event::encode) writes.
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidEventType`] or [`EncodeError::InvalidId`] for an event that cannot
    /// be encoded.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        self.check()?;
        Ok(self.counted_len())
    }

    /// Writes the event into the front of `buf` and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BufferTooSmall`] if the event does not fit (then `buf` is untouched), or
    /// an invalid event type or id.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.check()?;
        // Counting first is only needed when the buffer might be too small. On 32-bit targets,
        // microcontrollers mostly, it is always done: 60 bytes less flash on a Cortex-M4.
        let len = if cfg!(target_pointer_width = "64") && buf.len() >= self.max_len() {
            buf.len()
        } else {
            self.counted_len()
        };
        self.write_into(buf, len).ok_or(EncodeError::BufferTooSmall)
    }

    /// At least [`encoded_len`](Event::encoded_len), found without reading the data: every data
    /// byte a line break, each costing a `data: ` prefix and an LF.
    fn max_len(&self) -> usize {
        let data = self
            .data
            .map_or(0, |d| d.len().saturating_mul(8).saturating_add(7));
        let event = self.event.map_or(0, |e| e.len().saturating_add(8));
        let id = self.id.map_or(0, |i| i.len().saturating_add(5));
        let retry = if self.retry.is_some() { 28 } else { 0 };
        data.saturating_add(event)
            .saturating_add(id)
            .saturating_add(retry + 1)
    }

    fn check(&self) -> Result<(), EncodeError> {
        if let Some(event) = self.event {
            check_event_type(event)?;
        }
        if let Some(id) = self.id {
            check_id(id)?;
        }
        Ok(())
    }
}

impl Writes for Event<'_> {
    const COMPACT: bool = true;

    /// Writes a checked event.
    fn write_out<O: Out + ?Sized>(&self, out: &mut O) {
        if let Some(event) = self.event {
            field(out, b"event", event.as_bytes());
        }
        if let Some(id) = self.id {
            field(out, b"id", id.as_bytes());
        }
        if let Some(retry) = self.retry {
            let mut digits = [0; 20];
            field(out, b"retry", decimal(retry, &mut digits));
        }
        if let Some(data) = self.data {
            lines(out, b"data", data.as_bytes());
        }
        out.put(b"\n");
    }
}

/// A comment: one `:` line per line of text. Receivers ignore it; servers send it to keep an
/// idle connection open.
///
/// ```
/// let mut buf = [0u8; 16];
/// let len = ssewire::encode::Comment("keep-alive").encode(&mut buf)?;
/// assert_eq!(&buf[..len], b": keep-alive\n");
/// # Ok::<(), ssewire::encode::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use]
pub struct Comment<'a>(pub &'a str);

impl Comment<'_> {
    /// The exact number of bytes [`encode`](Comment::encode) writes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.counted_len()
    }

    /// Writes the comment into the front of `buf` and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BufferTooSmall`] if it does not fit (then `buf` is untouched).
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.write_into(buf, self.encoded_len())
            .ok_or(EncodeError::BufferTooSmall)
    }
}

impl Writes for Comment<'_> {
    const COMPACT: bool = true;

    fn write_out<O: Out + ?Sized>(&self, out: &mut O) {
        lines(out, b"", self.0.as_bytes());
    }
}

/// Writes one event into a slice, field by field, with the data formatted in place.
///
/// Data goes in through [`core::fmt::Write`] (or [`Frame::data`]); line breaks in it start new
/// `data:` lines on the fly, also a CRLF split between two writes. A field written after some
/// data ends the current data line, so data written after it starts a new line.
///
/// If the slice fills up, the frame stops writing and [`finish`](Frame::finish) reports
/// [`EncodeError::BufferTooSmall`]: only a length from `finish` marks bytes to send, so no
/// half event goes out.
///
/// ```
/// use core::fmt::Write;
/// use ssewire::encode::Frame;
///
/// let mut buf = [0u8; 128];
/// let mut frame = Frame::new(&mut buf);
/// frame.event("price-update")?;
/// frame.id("7")?;
/// write!(frame, "{{\"symbol\":\"{}\",\"price\":{}}}", "ACME", 101.5).ok();
/// let len = frame.finish()?;
/// assert_eq!(&buf[..len], &b"event: price-update\nid: 7\ndata: {\"symbol\":\"ACME\",\"price\":101.5}\n\n"[..]);
/// # Ok::<(), ssewire::encode::EncodeError>(())
/// ```
#[derive(Debug)]
pub struct Frame<'b> {
    cursor: Cursor<'b>,
    data: DataLine,
}

/// Where the frame's data stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataLine {
    /// No `data:` line open.
    Closed,
    /// `data:` written; `content` once a character (and the space before it) followed.
    Open { content: bool },
    /// The last data ended with CR: a `data:` line is open, and an LF right now is skipped.
    AfterCr,
}

impl<'b> Frame<'b> {
    /// A frame writing into the front of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Frame {
            cursor: Cursor::new(buf),
            data: DataLine::Closed,
        }
    }

    /// Writes an `event` field.
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidEventType`] if `event` contains CR or LF (nothing is written).
    pub fn event(&mut self, event: &str) -> Result<(), EncodeError> {
        check_event_type(event)?;
        self.close_data();
        field(&mut self.cursor, b"event", event.as_bytes());
        Ok(())
    }

    /// Writes an `id` field.
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidId`] if `id` contains CR, LF or NUL (nothing is written).
    pub fn id(&mut self, id: &str) -> Result<(), EncodeError> {
        check_id(id)?;
        self.close_data();
        field(&mut self.cursor, b"id", id.as_bytes());
        Ok(())
    }

    /// Writes a `retry` field, in milliseconds.
    pub fn retry(&mut self, milliseconds: u64) {
        self.close_data();
        let mut digits = [0; 20];
        field(
            &mut self.cursor,
            b"retry",
            decimal(milliseconds, &mut digits),
        );
    }

    /// Writes comment lines.
    pub fn comment(&mut self, text: &str) {
        self.close_data();
        lines(&mut self.cursor, b"", text.as_bytes());
    }

    /// Appends `text` to the data; an empty `text` still opens a data line, so the event is
    /// dispatched with empty data.
    pub fn data(&mut self, text: &str) {
        let mut text = text.as_bytes();
        match self.data {
            DataLine::Closed => {
                self.cursor.put(b"data:");
                self.data = DataLine::Open { content: false };
            }
            DataLine::AfterCr if text.is_empty() => return,
            DataLine::AfterCr => {
                // The CR ended the last write and already opened the next line; an LF here
                // completes a CRLF.
                text = text.strip_prefix(b"\n").unwrap_or(text);
                self.data = DataLine::Open { content: false };
            }
            DataLine::Open { .. } => {}
        }
        loop {
            let end = line_end(text);
            let content = &text[..end.unwrap_or(text.len())];
            if !content.is_empty() {
                if self.data == (DataLine::Open { content: false }) {
                    self.cursor.put(b" ");
                }
                self.cursor.put(content);
                self.data = DataLine::Open { content: true };
            }
            let Some(end) = end else { return };
            self.cursor.put(b"\ndata:");
            self.data = DataLine::Open { content: false };
            text = match (text[end], text.get(end + 1)) {
                (b'\r', Some(b'\n')) => &text[end + 2..],
                (b'\r', None) => {
                    self.data = DataLine::AfterCr;
                    return;
                }
                _ => &text[end + 1..],
            };
        }
    }

    /// Ends the event and returns its length in bytes.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BufferTooSmall`] if the slice filled up: the frame is not to be sent.
    pub fn finish(mut self) -> Result<usize, EncodeError> {
        self.close_data();
        self.cursor.put(b"\n");
        self.cursor.written().ok_or(EncodeError::BufferTooSmall)
    }

    fn close_data(&mut self) {
        if self.data != DataLine::Closed {
            self.cursor.put(b"\n");
            self.data = DataLine::Closed;
        }
    }
}

impl fmt::Write for Frame<'_> {
    /// Appends to the data, like [`Frame::data`]; fails once the slice is full.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.data(s);
        if self.cursor.written().is_none() {
            return Err(fmt::Error);
        }
        Ok(())
    }
}

fn check_event_type(event: &str) -> Result<(), EncodeError> {
    match line_end(event.as_bytes()) {
        Some(_) => Err(EncodeError::InvalidEventType),
        None => Ok(()),
    }
}

fn check_id(id: &str) -> Result<(), EncodeError> {
    // Ids are short: a plain loop beats a call into a vector search.
    if id.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(EncodeError::InvalidId);
    }
    Ok(())
}

/// `name: value\n`, or `name:\n` for an empty value.
fn field<O: Out + ?Sized>(out: &mut O, name: &[u8], value: &[u8]) {
    out.put(name);
    if value.is_empty() {
        out.put(b":\n");
    } else {
        out.put(b": ");
        out.put(value);
        out.put(b"\n");
    }
}

/// One `name` field per line of `text`, lines ending at CR, LF or CRLF.
fn lines<O: Out + ?Sized>(out: &mut O, name: &[u8], mut text: &[u8]) {
    loop {
        match line_end(text) {
            None => return field(out, name, text),
            Some(end) => {
                let (line, rest) = text.split_at(end);
                field(out, name, line);
                text = match rest {
                    [b'\r', b'\n', rest @ ..] | [_, rest @ ..] => rest,
                    [] => rest,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 8 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn max_len_bounds_encoded_len(
            data in prop::option::of("[\r\na ]{0,40}"),
            event in prop::option::of("[a ]{0,8}"),
            id in prop::option::of("[1 ]{0,8}"),
            retry in prop::option::of(any::<u64>()),
        ) {
            let event = Event { data: data.as_deref(), event: event.as_deref(), id: id.as_deref(), retry };
            prop_assert!(event.max_len() >= event.encoded_len().unwrap());
        }
    }

    #[test]
    fn max_len_bounds_worst_cases() {
        for data in ["", "\r", "\n\n\n", "\r\n\r\n", "x\ry\rz\r", " "] {
            let event = Event::new(data).event("e").id("i").retry(u64::MAX);
            assert!(event.max_len() >= event.encoded_len().unwrap(), "{data:?}");
        }
    }
}
