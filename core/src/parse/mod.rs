//! Incremental parsing of `text/event-stream`, exactly as the WHATWG HTML standard interprets it.
//!
//! Two levels:
//!
//! - [`Tokenizer`]: constant memory, yields each line's value as borrowed pieces of the input;
//!   lines of any length need no buffer.
//! - [`Parser`]: on top of the tokenizer, collects events into storage the caller owns and
//!   yields [`Item`]s (events, comments, `retry` values) that borrow from it.
//!
//! # Example
//!
//! ```
//! use ssewire::parse::{Item, Parser};
//!
//! let mut storage = [0u8; 1024];
//! let mut parser = Parser::new(&mut storage[..]);
//! let mut seen = 0;
//! // Chunks arrive split anywhere, here in the middle of a CRLF.
//! for chunk in [&b"event: price-update\r\nid: 7\r\ndata: {\"price\":"[..], b"101}\r", b"\n\r\n"] {
//!     let mut input = chunk;
//!     while let Some(item) = parser.feed(&mut input) {
//!         if let Ok(Item::Event(event)) = item {
//!             assert_eq!(event.event, "price-update");
//!             assert_eq!(event.data, "{\"price\":101}");
//!             assert_eq!(event.id, Some("7"));
//!             assert_eq!(event.last_event_id, "7");
//!             seen += 1;
//!         }
//!     }
//! }
//! assert_eq!(seen, 1);
//! assert_eq!(parser.last_event_id(), "7");
//! ```
//!
//! # Rules
//!
//! - A UTF-8 BOM at the very start of the stream is stripped, once.
//! - CR, LF and CRLF end lines, also when CR and LF arrive in different chunks. A CR ends its
//!   line at once: an event dispatches without waiting for the next byte.
//! - A line starting with `:` is a comment ([`Item::Comment`], one leading space removed);
//!   one longer than [`Limits::comment`] is skipped (see [Limits](#limits)).
//! - `name: value` sets a field; one leading space is removed from the value; a line without a
//!   colon is a field with an empty value; unknown field names are ignored.
//! - `data` lines are joined with LF; `event` sets the type of the next event (default
//!   `message`, reset after each block); `id` sets the last event ID unless it contains NUL,
//!   and it persists across events, even when set by a block without data ([`Event::id`] says
//!   whether the event's own block set it, [`Event::last_event_id`] is the running value);
//!   `retry` with only
//!   ASCII digits is reported as [`Item::Retry`] (saturating at `u64::MAX`).
//! - An empty line dispatches the block as an [`Event`], unless no `data` line was seen.
//! - A block left unterminated when the stream ends is discarded (call [`Parser::reset`]).
//! - Invalid UTF-8 becomes U+FFFD exactly as a UTF-8 decoder with replacement does it, also
//!   when a sequence is split across chunks.
//!
//! # Limits
//!
//! Data, event type, id and comments each have a limit in bytes ([`Limits`]), cut from the
//! storage lent to the parser. Memory never grows, whatever the input.
//!
//! - **Data, event type, id.** A value over its limit is an error, never truncated:
//!   [`feed`](Parser::feed) returns the [`ParseError`] once, the event's data and type are
//!   dropped, and the rest of the block is still read for its `id` and `retry`. Parsing goes on
//!   with the next event.
//! - **Comments.** A comment whose text is longer than [`Limits::comment`] is skipped: no item
//!   and no error. The block around it is not affected: `data` lines before and after it in
//!   the same block still make the event. Its bytes are collected up to the limit and no
//!   further, so a comment of any length costs no more memory. A comment of exactly the limit
//!   is delivered whole.
//!
//! Skipping is the one place where the parser passes over a line without reporting it
//! (comments are otherwise reported, so that keep-alives can be watched). A comment carries no
//! event data, and servers commonly open a stream with a long one, 2 KiB of padding so that
//! proxies which buffer pass the stream on at once: an error would make a valid stream look
//! broken, and a cut-down text would report words the server did not send. Keep-alive comments
//! are short and still arrive; raise [`Limits::comment`] to see longer ones.

mod tokenizer;

use core::{fmt, mem, ops::Range, str};

pub use tokenizer::{LineKind, Token, Tokenizer, BOM};

use crate::utf8;

/// The event type of an event whose block had no `event` field.
pub const DEFAULT_EVENT_TYPE: &str = "message";

/// An event, as the spec's "dispatch the event" step creates it. Borrows the parser's storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Event<'a> {
    /// The event type: the last `event` field of the block, or [`DEFAULT_EVENT_TYPE`].
    pub event: &'a str,
    /// The `data` lines of the block joined with LF.
    pub data: &'a str,
    /// This block's own `id` field, if it had one (the last valid one, when it had several):
    /// what a relay writes again. `None` when the block set no ID: the event then carries the
    /// ID of an earlier block only as [`last_event_id`](Event::last_event_id).
    pub id: Option<&'a str>,
    /// The last event ID (the `lastEventId` a browser reports): set by the most recent `id`
    /// field of this or an earlier block, empty if none. Equal to [`id`](Event::id) when the
    /// block had its own.
    pub last_event_id: &'a str,
}

/// What the parser yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Item<'a> {
    /// A dispatched event.
    Event(Event<'a>),
    /// A comment line's text (after the colon and one space), such as a keep-alive; a comment
    /// over [`Limits::comment`] is skipped, not reported ([Limits](crate::parse#limits)).
    Comment(&'a str),
    /// A valid `retry` field: the reconnection time in milliseconds, to take effect now.
    Retry(u64),
}

/// A value over its limit. The event it belongs to is dropped; parsing goes on.
///
/// A comment over [`Limits::comment`] is no error: it is skipped ([Limits](crate::parse#limits)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ParseError {
    /// The event's data is longer than [`Limits::data`].
    DataTooLong,
    /// The event type is longer than [`Limits::event_type`].
    EventTypeTooLong,
    /// An `id` is longer than [`Limits::id`]; the last event ID stays as it was.
    IdTooLong,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::DataTooLong => "event data over the limit",
            ParseError::EventTypeTooLong => "event type over the limit",
            ParseError::IdTooLong => "event id over the limit",
        })
    }
}

impl core::error::Error for ParseError {}

/// The most each value may hold, in bytes of UTF-8 after invalid bytes are replaced.
///
/// Storage is cut from the parser's buffer in this order: three times `id` (the last event ID,
/// the one a block has set, and the one being read), `comment`, `id` again and `event_type`
/// (where the event's id and type are laid out in front of its data), and `data` gets the rest,
/// up to its limit. A buffer of [`storage_len`](Limits::storage_len)
/// bytes or more gives exactly these limits; in a smaller one the fixed parts take at most half
/// of it, scaled down together. [`Parser::limits`] tells the limits in force.
///
/// # The defaults in common storage sizes
///
/// What [`Limits::DEFAULT`] (which [`Parser::new`] and [`ArrayParser`] use) gives, in bytes, the
/// same on every target. The fixed parts need 704 bytes; from 1408 bytes of storage on they
/// keep their defaults and data takes the rest.
///
/// | storage | data  | event type | id  | comment |
/// | ------: | ----: | ---------: | --: | ------: |
/// | 1 KiB   | 513   | 46         | 93  | 93      |
/// | 4 KiB   | 3392  | 64         | 128 | 128     |
/// | 64 KiB  | 64832 | 64         | 128 | 128     |
///
/// ```
/// use ssewire::parse::{Limits, Parser};
///
/// let fitted = |storage: &mut [u8]| Parser::with_limits(storage, Limits::DEFAULT).limits();
/// let limits = |data, event_type, id, comment| {
///     Limits::new().data(data).event_type(event_type).id(id).comment(comment)
/// };
/// assert_eq!(fitted(&mut [0; 1024]), limits(513, 46, 93, 93));
/// assert_eq!(fitted(&mut [0; 1407]).id, 127);
/// assert_eq!(fitted(&mut [0; 1408]), limits(704, 64, 128, 128));
/// assert_eq!(fitted(&mut [0; 4096]), limits(3392, 64, 128, 128));
/// assert_eq!(fitted(&mut [0; 65536]), limits(64832, 64, 128, 128));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
#[must_use]
pub struct Limits {
    /// Bytes of data in one event (LFs between lines included). Default: all storage left.
    pub data: usize,
    /// Bytes of an event type. Default: 64.
    pub event_type: usize,
    /// Bytes of an event id. Default: 128.
    pub id: usize,
    /// Bytes of one comment's text (after the colon, one leading space removed). Default: 128.
    /// A longer comment is skipped, with no item and no error
    /// ([Limits](crate::parse#limits)); one of exactly this length is delivered whole.
    pub comment: usize,
}

impl Limits {
    /// The defaults: data takes all storage left after 64 bytes of event type, 4 × 128 bytes
    /// of id and 128 bytes of comment.
    pub const DEFAULT: Limits = Limits {
        data: usize::MAX,
        event_type: 64,
        id: 128,
        comment: 128,
    };

    /// The defaults, as a `const fn`.
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// Sets the most bytes of data in one event.
    pub const fn data(self, data: usize) -> Self {
        Limits { data, ..self }
    }

    /// Sets the most bytes of an event type.
    pub const fn event_type(self, event_type: usize) -> Self {
        Limits { event_type, ..self }
    }

    /// Sets the most bytes of an event id.
    pub const fn id(self, id: usize) -> Self {
        Limits { id, ..self }
    }

    /// Sets the most bytes of one comment (a longer one is skipped).
    pub const fn comment(self, comment: usize) -> Self {
        Limits { comment, ..self }
    }

    /// The storage these limits need, in bytes (saturating).
    #[must_use]
    pub const fn storage_len(&self) -> usize {
        self.id
            .saturating_mul(4)
            .saturating_add(self.event_type)
            .saturating_add(self.comment)
            .saturating_add(self.data)
    }

    /// These limits cut down to what `len` bytes of storage can hold. If it holds them all
    /// ([`storage_len`](Limits::storage_len)), they stay as they are. Otherwise the fixed parts
    /// (ids, event type, comment) take at most half of it, scaled down together if need be, and
    /// data takes what is left.
    const fn fit(self, len: usize) -> Limits {
        let fixed = self.id as u128 * 4 + self.event_type as u128 + self.comment as u128;
        let budget = (len / 2) as u128;
        let (id, event_type, comment) =
            if fixed > budget && (len as u128) < fixed + self.data as u128 {
                (
                    (self.id as u128 * budget / fixed) as usize,
                    (self.event_type as u128 * budget / fixed) as usize,
                    (self.comment as u128 * budget / fixed) as usize,
                )
            } else {
                (self.id, self.event_type, self.comment)
            };
        let left = len - (id * 4 + event_type + comment);
        Limits {
            data: if self.data < left { self.data } else { left },
            event_type,
            id,
            comment,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// An incremental event-stream parser that collects events into storage `B` owned by the caller.
///
/// `B` is any byte buffer: `&mut [u8]` borrowed from elsewhere, or an array the parser owns
/// ([`ArrayParser`]). All logic is compiled once, whatever `B` is.
///
/// Call [`feed`](Parser::feed) in a loop for each chunk received, until it returns `None`;
/// call [`reset`](Parser::reset) when the connection ends.
#[derive(Clone, Debug)]
pub struct Parser<B> {
    state: State,
    buf: B,
}

/// A parser that owns `N` bytes of storage.
///
/// ```
/// let mut parser = ssewire::parse::ArrayParser::<512>::default();
/// let mut input: &[u8] = b"data: hi\n\n";
/// assert!(matches!(parser.feed(&mut input), Some(Ok(ssewire::parse::Item::Event(_)))));
/// ```
pub type ArrayParser<const N: usize> = Parser<[u8; N]>;

impl<const N: usize> Default for Parser<[u8; N]> {
    fn default() -> Self {
        Parser::new([0; N])
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Parser<B> {
    /// A parser at the start of a stream, with [`Limits::DEFAULT`].
    pub fn new(buf: B) -> Self {
        Self::with_limits(buf, Limits::DEFAULT)
    }

    /// A parser at the start of a stream, with `limits` (cut down to what `buf` holds).
    pub fn with_limits(buf: B, limits: Limits) -> Self {
        let len = buf.as_ref().len();
        Parser {
            state: State::new(limits.fit(len)),
            buf,
        }
    }

    /// Consumes bytes from the front of `input` until an item is complete, and returns it.
    ///
    /// `input` is advanced past what was consumed. `None` means the chunk is used up: feed the
    /// next one. Call it in a loop (`while let Some(item) = parser.feed(&mut input)`), since one
    /// chunk may hold many items. An `Err` reports a value over its limit; parsing goes on.
    pub fn feed(&mut self, input: &mut &[u8]) -> Option<Result<Item<'_>, ParseError>> {
        let ready = self.feed_ready(input)?;
        Some(ready.map(|ready| self.resolve(ready)))
    }

    /// Like [`feed`](Parser::feed), but hands back a [`Ready`] that does not borrow the parser;
    /// [`resolve`](Parser::resolve) turns it into the item.
    ///
    /// For loops that read more input until an item is complete and return it from inside the
    /// loop (an async reader's `next`): returning a borrowed item there is what today's borrow
    /// checker refuses.
    ///
    /// ```
    /// use ssewire::parse::{Item, Parser, Ready};
    ///
    /// fn next_event<'p>(parser: &'p mut Parser<[u8; 256]>, reads: &mut [&[u8]]) -> Option<Item<'p>> {
    ///     let mut ready: Option<Ready> = None;
    ///     for read in reads.iter_mut() {
    ///         if let Some(Ok(r)) = parser.feed_ready(read) {
    ///             ready = Some(r);
    ///             break;
    ///         }
    ///     }
    ///     Some(parser.resolve(ready?))
    /// }
    ///
    /// let mut parser = Parser::new([0; 256]);
    /// let mut reads: [&[u8]; 2] = [b"data: he", b"llo\n\n"];
    /// assert!(matches!(next_event(&mut parser, &mut reads), Some(Item::Event(e)) if e.data == "hello"));
    /// ```
    pub fn feed_ready(&mut self, input: &mut &[u8]) -> Option<Result<Ready, ParseError>> {
        Some(self.state.feed(self.buf.as_mut(), input)?.map(Ready))
    }

    /// The item a [`Ready`] from the last [`feed_ready`](Parser::feed_ready) stands for. A
    /// `Ready` kept across another `feed` or `feed_ready` call gives meaningless (but valid)
    /// text.
    #[must_use]
    pub fn resolve(&self, ready: Ready) -> Item<'_> {
        ready.0.item(self.buf.as_ref())
    }

    /// The last event ID as of the last dispatched block: what to send as `Last-Event-ID`
    /// when reconnecting.
    pub fn last_event_id(&self) -> &str {
        self.state.last_event_id(self.buf.as_ref())
    }

    /// Sets the last event ID, e.g. to resume from an ID saved earlier.
    ///
    /// # Errors
    ///
    /// [`ParseError::IdTooLong`] if `id` is over [`Limits::id`]; nothing changes then.
    pub fn set_last_event_id(&mut self, id: &str) -> Result<(), ParseError> {
        self.state.set_last_event_id(self.buf.as_mut(), id)
    }

    /// Prepares for a new stream (a new connection): the unterminated block is discarded, the
    /// BOM is looked for again, and the last event ID is kept, as browsers do on reconnection.
    pub fn reset(&mut self) {
        self.state.reset();
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.state.limits
    }

    /// Hands back the storage.
    pub fn into_inner(self) -> B {
        self.buf
    }

    /// The storage, for owners that keep more in it than the parser's part.
    pub(crate) fn storage(&self) -> &B {
        &self.buf
    }

    /// The storage, for owners that keep more in it than the parser's part; the parser's part
    /// is not to be changed.
    pub(crate) fn storage_mut(&mut self) -> &mut B {
        &mut self.buf
    }
}

/// An item complete in the parser's storage, from [`Parser::feed_ready`]; see
/// [`Parser::resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ready(Slot);

impl Ready {
    /// The reconnection time, if this is a `retry` item.
    pub(crate) fn retry(&self) -> Option<u64> {
        match self.0 {
            Slot::Retry(ms) => Some(ms),
            _ => None,
        }
    }
}

/// Where a ready item is, as ranges of the storage.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Slot {
    /// The id, the event type and the data, one after the other in `span`: validated as one
    /// string, then split.
    #[cfg(target_pointer_width = "64")]
    Event {
        span: Range<usize>,
        id_len: usize,
        event_len: usize,
        own_id: bool,
    },
    /// The id, the event type and the data, each where it was collected.
    #[cfg(not(target_pointer_width = "64"))]
    Event {
        id: Range<usize>,
        event: Range<usize>,
        data: Range<usize>,
        own_id: bool,
    },
    Comment(Range<usize>),
    Retry(u64),
}

impl Slot {
    /// The slot of an event whose id, type and data are at `id`, `event` and `data`; `own_id`
    /// if its block set the id.
    ///
    /// On 64-bit hosts they are moved one after the other, to where the data starts, so that
    /// one UTF-8 check makes them all strings: 12% faster on small events than three checks.
    /// Into the `id` and event type bytes kept free in front of the data.
    #[cfg(target_pointer_width = "64")]
    fn event(
        buf: &mut [u8],
        id: Range<usize>,
        event: Range<usize>,
        data: Range<usize>,
        own_id: bool,
    ) -> Slot {
        let (id_len, event_len) = (id.len(), event.len());
        let event_start = data.start - event_len;
        buf.copy_within(event, event_start);
        let id_start = event_start - id_len;
        buf.copy_within(id, id_start);
        Slot::Event {
            span: id_start..data.end,
            id_len,
            event_len,
            own_id,
        }
    }

    /// The slot of an event whose id, type and data are at `id`, `event` and `data`; `own_id`
    /// if its block set the id.
    ///
    /// On 32-bit targets, microcontrollers mostly, each stays where it is and is checked on its
    /// own: 144 bytes less flash on a Cortex-M4. (Not on 64-bit hosts: the larger slot alone
    /// costs small events 0.8% more instructions.)
    #[cfg(not(target_pointer_width = "64"))]
    fn event(
        _: &mut [u8],
        id: Range<usize>,
        event: Range<usize>,
        data: Range<usize>,
        own_id: bool,
    ) -> Slot {
        Slot::Event {
            id,
            event,
            data,
            own_id,
        }
    }

    fn item(self, buf: &[u8]) -> Item<'_> {
        let (id, event, data, own_id) = match self {
            #[cfg(target_pointer_width = "64")]
            Slot::Event {
                span,
                id_len,
                event_len,
                own_id,
            } => {
                let joined = text(buf, span);
                let (id, rest) = joined.split_at_checked(id_len).unwrap_or_default();
                let (event, data) = rest.split_at_checked(event_len).unwrap_or_default();
                (id, event, data, own_id)
            }
            #[cfg(not(target_pointer_width = "64"))]
            Slot::Event {
                id,
                event,
                data,
                own_id,
            } => (text(buf, id), text(buf, event), text(buf, data), own_id),
            Slot::Comment(range) => return Item::Comment(text(buf, range)),
            Slot::Retry(ms) => return Item::Retry(ms),
        };
        Item::Event(Event {
            event: if event.is_empty() {
                DEFAULT_EVENT_TYPE
            } else {
                event
            },
            data,
            id: if own_id { Some(id) } else { None },
            last_event_id: id,
        })
    }
}

/// What the `retry` line being read holds so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Retry {
    Empty,
    Digits(u64),
    Invalid,
}

/// The parser's state apart from its storage; all the logic, compiled once.
#[derive(Clone, Debug)]
struct State {
    tokenizer: Tokenizer,
    limits: Limits,
    /// Lengths of the three id slots.
    id_len: [usize; 3],
    /// The slot holding the last event ID string, set at each dispatch.
    id_current: usize,
    /// The slot holding the last event ID buffer, set by each valid `id` field.
    id_buffer: usize,
    /// The slot the `id` line being read goes to.
    id_line: usize,
    event_len: usize,
    data_len: usize,
    /// A `data` line was seen in this block (the data buffer is not the empty string).
    has_data: bool,
    /// A valid `id` line was seen in this block.
    own_id: bool,
    /// A run of the data checked so far has a byte that is not ASCII: it may need
    /// replacements.
    non_ascii: bool,
    /// How much of the data was checked for `non_ascii`.
    data_checked: usize,
    comment_len: usize,
    retry: Retry,
    /// The `id` or comment line being read went over its limit: ignored to its end.
    line_over: bool,
    /// A value of this block went over its limit: the block will not dispatch.
    poisoned: bool,
}

impl State {
    const fn new(limits: Limits) -> Self {
        State {
            tokenizer: Tokenizer::new(),
            limits,
            id_len: [0; 3],
            id_current: 0,
            id_buffer: 0,
            id_line: 1,
            event_len: 0,
            data_len: 0,
            has_data: false,
            own_id: false,
            non_ascii: false,
            data_checked: 0,
            comment_len: 0,
            retry: Retry::Empty,
            line_over: false,
            poisoned: false,
        }
    }

    fn id_slot(&self, slot: usize) -> Range<usize> {
        slot * self.limits.id..(slot + 1) * self.limits.id
    }

    fn comment_region(&self) -> Range<usize> {
        let start = 3 * self.limits.id;
        start..start + self.limits.comment
    }

    /// Where the event type is collected. At dispatch it moves to end where the data starts, with
    /// the id copied in front of it, into the `id` bytes kept free before this region.
    fn event_region(&self) -> Range<usize> {
        let start = self.comment_region().end + self.limits.id;
        start..start + self.limits.event_type
    }

    fn data_region(&self) -> Range<usize> {
        let start = self.event_region().end;
        start..start + self.limits.data
    }

    fn last_event_id<'b>(&self, buf: &'b [u8]) -> &'b str {
        let start = self.id_slot(self.id_current).start;
        text(buf, start..start + self.id_len[self.id_current])
    }

    fn set_last_event_id(&mut self, buf: &mut [u8], id: &str) -> Result<(), ParseError> {
        if id.len() > self.limits.id {
            return Err(ParseError::IdTooLong);
        }
        let slot = self.id_current;
        buf[self.id_slot(slot)][..id.len()].copy_from_slice(id.as_bytes());
        self.id_len[slot] = id.len();
        self.id_buffer = slot;
        Ok(())
    }

    fn reset(&mut self) {
        *self = State {
            id_len: self.id_len,
            id_current: self.id_current,
            id_buffer: self.id_current,
            ..State::new(self.limits)
        };
    }

    /// Drops the block's data and type (no more is collected; the dispatch clears them); the
    /// rest of the block is still read.
    fn poison(&mut self, error: ParseError) -> Option<Result<Slot, ParseError>> {
        self.poisoned = true;
        Some(Err(error))
    }

    fn feed(&mut self, buf: &mut [u8], input: &mut &[u8]) -> Option<Result<Slot, ParseError>> {
        loop {
            let Token::Value {
                kind,
                bytes,
                first,
                last,
            } = self.tokenizer.feed(input)?
            else {
                match self.dispatch(buf) {
                    Some(item) => return Some(item),
                    None => continue,
                }
            };
            match kind {
                LineKind::Data => {
                    if self.poisoned {
                        continue;
                    }
                    let region = &mut buf[self.data_region()];
                    let mut ok = true;
                    if first {
                        if self.has_data {
                            ok = append(region, &mut self.data_len, b"\n");
                        }
                        self.has_data = true;
                    }
                    if !(ok && append(region, &mut self.data_len, bytes)) {
                        return self.poison(ParseError::DataTooLong);
                    }
                    // Checked for ASCII in runs of a few KiB, while they are in cache: one check
                    // of many short lines costs less than one each, and long data is not read
                    // again from farther away at the end.
                    let unchecked = self.data_checked..self.data_len;
                    if ASCII_RUN.is_some_and(|run| unchecked.len() >= run) {
                        self.non_ascii |= !region[unchecked].is_ascii();
                        self.data_checked = self.data_len;
                    }
                }
                LineKind::Event => {
                    if self.poisoned {
                        continue;
                    }
                    if first {
                        self.event_len = 0;
                    }
                    let region = &mut buf[self.event_region()];
                    if !append(region, &mut self.event_len, bytes) {
                        return self.poison(ParseError::EventTypeTooLong);
                    }
                }
                LineKind::Id => {
                    if first {
                        self.id_line = (0..3)
                            .find(|&s| s != self.id_current && s != self.id_buffer)
                            .unwrap_or(0);
                        self.id_len[self.id_line] = 0;
                        self.line_over = false;
                    }
                    if self.line_over {
                        continue;
                    }
                    let slot = self.id_line;
                    let region = &mut buf[self.id_slot(slot)];
                    if !append(region, &mut self.id_len[slot], bytes) {
                        self.line_over = true;
                        return self.poison(ParseError::IdTooLong);
                    }
                    if last {
                        let value = &region[..self.id_len[slot]];
                        // Ids are short: one loop settles the common case, printable ASCII.
                        if !(ASCII_FIRST && value.iter().all(|&b| b != 0 && b.is_ascii())) {
                            #[allow(
                                clippy::manual_contains,
                                reason = "`contains` searches with memchr: 150 bytes of flash"
                            )]
                            let nul = value.iter().any(|&b| b == 0);
                            if nul {
                                continue;
                            }
                            let Some(len) = utf8::replace_invalid(region, self.id_len[slot]) else {
                                return self.poison(ParseError::IdTooLong);
                            };
                            self.id_len[slot] = len;
                        }
                        self.id_buffer = slot;
                        self.own_id = true;
                    }
                }
                LineKind::Retry => {
                    if first {
                        self.retry = Retry::Empty;
                    }
                    for &b in bytes {
                        self.retry = match (self.retry, b) {
                            (Retry::Empty, b'0'..=b'9') => Retry::Digits(u64::from(b - b'0')),
                            (Retry::Digits(n), b'0'..=b'9') => Retry::Digits(
                                n.saturating_mul(10).saturating_add(u64::from(b - b'0')),
                            ),
                            _ => Retry::Invalid,
                        };
                    }
                    if last {
                        if let Retry::Digits(ms) = mem::replace(&mut self.retry, Retry::Empty) {
                            return Some(Ok(Slot::Retry(ms)));
                        }
                    }
                }
                LineKind::Comment => {
                    if first {
                        self.comment_len = 0;
                        self.line_over = false;
                    }
                    if self.line_over {
                        continue;
                    }
                    // Over the limit, raw or once decoded: skipped to the end of the line,
                    // no item (module docs, "Limits"). Nothing past the limit is stored.
                    let range = self.comment_region();
                    self.line_over = !append(&mut buf[range.clone()], &mut self.comment_len, bytes);
                    if last && !self.line_over {
                        if let Some(len) =
                            utf8::replace_invalid(&mut buf[range.clone()], self.comment_len)
                        {
                            return Some(Ok(Slot::Comment(range.start..range.start + len)));
                        }
                    }
                }
            }
        }
    }

    /// The spec's "dispatch the event" at an empty line.
    fn dispatch(&mut self, buf: &mut [u8]) -> Option<Result<Slot, ParseError>> {
        self.id_current = self.id_buffer;
        let has_data = mem::take(&mut self.has_data);
        let own_id = mem::take(&mut self.own_id);
        let non_ascii = mem::take(&mut self.non_ascii);
        let data_checked = mem::take(&mut self.data_checked);
        let mut data_len = mem::take(&mut self.data_len);
        let mut event_len = mem::take(&mut self.event_len);
        if mem::take(&mut self.poisoned) || !has_data {
            return None;
        }
        let (data, event) = (self.data_region(), self.event_region());
        // The event type, always short, is checked for ASCII here.
        let ascii = |from: usize, to: usize| buf[from..to].is_ascii();
        if !ASCII_FIRST
            || non_ascii
            || !ascii(data.start + data_checked, data.start + data_len)
            || !ascii(event.start, event.start + event_len)
        {
            let Some(len) = utf8::replace_invalid(&mut buf[data.clone()], data_len) else {
                return Some(Err(ParseError::DataTooLong));
            };
            data_len = len;
            let Some(len) = utf8::replace_invalid(&mut buf[event.clone()], event_len) else {
                return Some(Err(ParseError::EventTypeTooLong));
            };
            event_len = len;
        }
        let id = self.id_slot(self.id_current);
        Some(Ok(Slot::event(
            buf,
            id.start..id.start + self.id_len[self.id_current],
            event.start..event.start + event_len,
            data.start..data.start + data_len,
            own_id,
        )))
    }
}

/// Whether values are checked for ASCII, the common case and the cheapest to tell, before the
/// UTF-8 decoder sees them. On 64-bit hosts only: 32-bit targets, microcontrollers mostly,
/// hand every value to the decoder, for 320 bytes less flash on a Cortex-M4 (480 with the runs
/// of [`ASCII_RUN`]).
const ASCII_FIRST: bool = cfg!(target_pointer_width = "64");

/// How many bytes of data are checked for ASCII at once, with [`ASCII_FIRST`] (measured against
/// a check of each piece: 20-line events 5% faster, others unchanged).
const ASCII_RUN: Option<usize> = if ASCII_FIRST { Some(4096) } else { None };

/// Appends `bytes` to `region[..*len]`; `false` (and nothing written) if they do not fit.
fn append(region: &mut [u8], len: &mut usize, bytes: &[u8]) -> bool {
    match region.get_mut(*len..*len + bytes.len()) {
        Some(dest) => {
            dest.copy_from_slice(bytes);
            *len += bytes.len();
            true
        }
        None => false,
    }
}

/// The text at `range` of the storage, which the parser already made valid UTF-8 (checked again:
/// no `unsafe` here).
///
/// Not inlined on 32-bit targets: one copy of the bounds check and the call, 56 bytes less flash
/// on a Cortex-M4.
#[cfg_attr(not(target_pointer_width = "64"), inline(never))]
fn text(buf: &[u8], range: Range<usize>) -> &str {
    buf.get(range).and_then(utf8::text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_of_storage_len_gives_exact_limits() {
        for limits in [
            Limits {
                data: 16,
                event_type: 8,
                id: 8,
                comment: 8,
            },
            Limits {
                data: 0,
                event_type: 100,
                id: 100,
                comment: 100,
            },
            Limits {
                data: 1,
                event_type: 0,
                id: 0,
                comment: 0,
            },
        ] {
            assert_eq!(limits.fit(limits.storage_len()), limits);
            assert_eq!(limits.fit(limits.storage_len() + 100), limits);
        }
    }

    #[test]
    fn default_limits_in_small_storage_leave_half_to_data() {
        let limits = Limits::DEFAULT.fit(512);
        assert!(
            limits.id * 4 + limits.event_type + limits.comment <= 256,
            "{limits:?}"
        );
        assert_eq!(
            limits.id * 4 + limits.event_type + limits.comment + limits.data,
            512
        );
        assert!(limits.id > 0 && limits.event_type > 0 && limits.comment > 0);
    }

    #[test]
    fn data_takes_what_is_left_up_to_its_limit() {
        let limits = Limits::DEFAULT.fit(10_000);
        assert_eq!(
            limits,
            Limits {
                data: 10_000 - 4 * 128 - 64 - 128,
                ..Limits::DEFAULT
            }
        );
        assert_eq!(
            Limits {
                data: 100,
                ..Limits::DEFAULT
            }
            .fit(10_000)
            .data,
            100
        );
    }

    #[test]
    fn long_values_come_back_whole() {
        // Past the length where another UTF-8 validator takes over, and past the runs checked
        // for ASCII while the data comes in: multi-byte characters at every offset, invalid
        // bytes (replaced) first or last, the whole event in one chunk or in many.
        // Miri interprets slowly: the lengths around the switch only.
        let lens: &[usize] = if cfg!(miri) {
            &[255, 256, 257]
        } else {
            &[200, 255, 256, 257, 300, 1000, 5000, 9000]
        };
        for &len in lens {
            for offset in 0..4 {
                for invalid_first in [false, true] {
                    let mut raw = std::vec![b'a'; offset];
                    if invalid_first {
                        raw.push(0xC3);
                    }
                    while raw.len() < len {
                        raw.extend_from_slice("é€😀x".as_bytes());
                    }
                    if !invalid_first {
                        raw.extend_from_slice(b"\xFF\xC3\xBC");
                    }
                    check_long_value(&raw);
                }
            }
        }
    }

    /// `raw` as data, with `raw` or an ASCII word as event type, fed whole and in 700-byte
    /// chunks.
    fn check_long_value(raw: &[u8]) {
        let expected = std::string::String::from_utf8_lossy(raw).into_owned();
        for event_type in [raw, b"e"] {
            let mut input = std::vec::Vec::from(&b"event: "[..]);
            input.extend_from_slice(event_type);
            input.extend_from_slice(b"\ndata: ");
            input.extend_from_slice(raw);
            input.extend_from_slice(b"\n\n");
            let limits = Limits {
                event_type: 20_000,
                ..Limits::DEFAULT
            };
            let expected_type = std::string::String::from_utf8_lossy(event_type);
            for chunk_len in [input.len(), 700] {
                let mut parser = Parser::with_limits(std::vec![0u8; 60_000], limits);
                let mut events = 0;
                for chunk in input.chunks(chunk_len) {
                    let mut chunk = chunk;
                    while let Some(item) = parser.feed(&mut chunk) {
                        let Ok(Item::Event(event)) = item else {
                            panic!("{item:?}");
                        };
                        assert_eq!(event.data, expected);
                        assert_eq!(event.event, expected_type);
                        events += 1;
                    }
                }
                assert_eq!(events, 1, "{} bytes in {chunk_len}", raw.len());
            }
        }
    }

    #[test]
    fn tiny_storage_does_not_panic() {
        for len in 0..16 {
            let mut parser = Parser::new(std::vec![0u8; len]);
            let mut input: &[u8] = b"id: 1\nevent: e\n: c\ndata: x\n\ndata:\n\n";
            while parser.feed(&mut input).is_some() {}
            assert!(input.is_empty());
        }
    }
}
