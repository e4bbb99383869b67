//! A ring of encoded frames indexed by event id, to answer `Last-Event-ID`.
//!
//! A server [`push`](Replay::push)es the bytes of each event it sends (as
//! [`Event::encode`](crate::encode::Event::encode) wrote them) together with the event's id.
//! When a client reconnects with a `Last-Event-ID` header, [`since`](Replay::since) yields every
//! frame pushed after that id, oldest first, or says why it cannot: the id is older than the
//! window ([`Miss::Evicted`]), or it is not known ([`Miss::Unknown`]).
//!
//! # Example
//!
//! ```
//! use ssewire::encode::Event;
//! use ssewire::replay::{storage_len, Miss, Replay};
//!
//! // Up to 8 events in up to 1 KiB of frames and ids.
//! let mut replay = Replay::new([0u8; storage_len(8, 1024)], 8);
//! let mut buf = [0u8; 128];
//! for (id, data) in [("1", "one"), ("2", "two"), ("3", "three"), ("4", "four")] {
//!     let len = Event::new(data).id(id).encode(&mut buf)?;
//!     replay.push(id, &buf[..len])?;
//! }
//!
//! // A client reconnects with `Last-Event-ID: 2`: it missed events 3 and 4.
//! let mut missed = replay.since("2")?;
//! assert_eq!(missed.len(), 2);
//! assert_eq!(missed.next(), Some(&b"id: 3\ndata: three\n\n"[..]));
//! assert_eq!(missed.next(), Some(&b"id: 4\ndata: four\n\n"[..]));
//! assert_eq!(missed.next(), None);
//!
//! // On a miss the server decides: here, a client too far behind is told to start over, and
//! // one with an id this server never issued gets everything it has.
//! let mut sent = Vec::new();
//! match replay.since("x-17") {
//!     Ok(frames) => sent.extend(frames),
//!     Err(Miss::Evicted) => {
//!         let len = Event::new("").event("reset").encode(&mut buf)?;
//!         sent.push(&buf[..len]);
//!     }
//!     Err(_) => sent.extend(replay.frames()),
//! }
//! assert_eq!(sent.len(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Storage
//!
//! One buffer, owned by the caller (`&mut [u8]`, a `Vec<u8>`, or an array: [`ArrayReplay`]),
//! holds everything. Its front is an index of `max_events` slots of [`INDEX_ENTRY_LEN`] bytes
//! (where an event's record starts, the length of its id, the length of its frame); the rest,
//! [`capacity`](Replay::capacity) bytes, holds the records, each the event's id followed by its
//! frame. [`storage_len`] tells the size that gives exactly a number of events and a capacity:
//! 16 events in 2 KiB for a microcontroller, or 10 000 events in 8 MiB for a server, cost the
//! same code. A buffer too short for `max_events` slots gets as many as fit, and frames get
//! what is left. Capacity stops at `u32::MAX` bytes.
//!
//! # Eviction
//!
//! The ring is bounded twice: at most [`max_events`](Replay::max_events) events, and their ids
//! and frames in [`capacity`](Replay::capacity) bytes. A push drops the oldest events until the
//! new one fits under both bounds. Each record is kept in one piece, so every frame is a plain
//! `&[u8]`, written with one call: a record that would run past the end of the storage starts
//! again at its front, and the tail it skips stays unused until the ring comes round to it.
//! That costs less than the size of one record, so frames small next to the capacity waste
//! almost nothing. Put as rules: records are laid end to end on an endless tape, each moved
//! forward to the next multiple of the capacity if it would otherwise straddle one, and the
//! events kept always fit in a stretch of the tape one capacity long.
//!
//! A record larger than the capacity is refused with [`PushError::TooLarge`] and nothing
//! changes. Pushing is O(1) amortized plus the copy: each event is evicted at most once.
//!
//! # Lookup
//!
//! Ids are opaque strings, compared byte for byte (`"07"` is not `"7"`).
//!
//! - [`since`](Replay::since) yields the frames after the newest event whose id equals
//!   `last_event_id`; nothing if that is the newest event.
//! - Duplicate ids: the newest occurrence counts, so a client is never sent an event twice
//!   because an id was reused.
//! - An event pushed with an empty id (it carried no `id` field) can never be resumed from, but
//!   it is still replayed after any earlier id. A client keeps its last event ID across events
//!   without an id, so it may receive such events a second time.
//! - An empty `last_event_id` means the client has seen no id at all: every retained frame.
//!   A browser connecting for the first time sends no `Last-Event-ID`; a server that does not
//!   want to send history to new clients should not call `since` then.
//! - A miss is [`Miss::Evicted`] when `last_event_id` is a decimal number (`0` or digits not
//!   starting with `0`, up to `u64::MAX`) no greater than a decimal id this buffer evicted since
//!   it was created or [cleared](Replay::clear): with increasing numeric ids, the client is
//!   further behind than the window. Every other miss is [`Miss::Unknown`]: an id never pushed
//!   (another server's, or from before a restart), or an opaque id whose age cannot be told.
//!
//! The search goes from the newest event back, comparing lengths first. While every retained id
//! is a decimal number greater than the one before (a counter, a timestamp), a binary search
//! takes its place, and consecutive numbers are found at once.
//!
//! # Guarantees
//!
//! No panic on any input, no allocation, memory fixed by the storage lent.

use core::{fmt, iter::FusedIterator, str};

/// Bytes of index each event slot takes at the front of the storage.
pub const INDEX_ENTRY_LEN: usize = 12;

/// The most bytes records may take: offsets and lengths are stored as `u32`.
const MAX_CAPACITY: usize = if usize::BITS > u32::BITS {
    u32::MAX as usize
} else {
    usize::MAX
};

/// The storage, in bytes, that gives exactly `max_events` event slots and `capacity` bytes for
/// ids and frames (saturating).
///
/// ```
/// use ssewire::replay::{storage_len, Replay};
///
/// let replay = Replay::new([0u8; storage_len(16, 2048)], 16);
/// assert_eq!((replay.max_events(), replay.capacity()), (16, 2048));
/// ```
#[must_use]
pub const fn storage_len(max_events: usize, capacity: usize) -> usize {
    max_events
        .saturating_mul(INDEX_ENTRY_LEN)
        .saturating_add(capacity)
}

/// Why an event was not pushed. Nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PushError {
    /// The id and the frame together are longer than [`Replay::capacity`], or the storage has
    /// no room for a single event slot ([`Replay::max_events`] is 0).
    TooLarge,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PushError::TooLarge => "frame larger than the replay buffer",
        })
    }
}

impl core::error::Error for PushError {}

/// Why [`Replay::since`] has nothing to resume from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Miss {
    /// No retained event has this id, and nothing tells that it was evicted: it was never
    /// pushed here, or it is an id that is not a decimal number, whose age cannot be told.
    Unknown,
    /// The id is a decimal number no greater than a decimal id already evicted: the client is
    /// further behind than the window, and some events it missed are gone.
    Evicted,
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Miss::Unknown => "unknown event id",
            Miss::Evicted => "event id older than the replay window",
        })
    }
}

impl core::error::Error for Miss {}

/// A ring of encoded frames indexed by event id, in storage `B` owned by the caller.
///
/// `B` is any byte buffer: `&mut [u8]` borrowed from elsewhere, a `Vec<u8>`, or an array the
/// ring owns ([`ArrayReplay`]). All logic is compiled once, whatever `B` is. See the
/// [module docs](self) for the layout, eviction and lookup rules.
#[derive(Clone)]
pub struct Replay<B> {
    state: State,
    buf: B,
}

/// A replay ring that owns `N` bytes of storage.
///
/// ```
/// let mut replay = ssewire::replay::ArrayReplay::<256>::new([0; 256], 4);
/// replay.push("1", b"id: 1\ndata: x\n\n")?;
/// assert_eq!(replay.newest_id(), Some("1"));
/// # Ok::<(), ssewire::replay::PushError>(())
/// ```
pub type ArrayReplay<const N: usize> = Replay<[u8; N]>;

impl<B: AsRef<[u8]> + AsMut<[u8]>> Replay<B> {
    /// An empty ring of at most `max_events` events in `storage`.
    ///
    /// The index takes `max_events` × [`INDEX_ENTRY_LEN`] bytes at the front of `storage`
    /// (fewer slots if it is shorter), and records get the rest. [`storage_len`] gives a size.
    pub fn new(storage: B, max_events: usize) -> Self {
        let layout = Layout::new(storage.as_ref().len(), max_events);
        Replay {
            state: State::new(layout),
            buf: storage,
        }
    }

    /// Appends the frame of an event with id `id` (empty if the event has none), evicting the
    /// oldest events as needed to stay within [`max_events`](Replay::max_events) and
    /// [`capacity`](Replay::capacity).
    ///
    /// `frame` is stored as given: normally the bytes of one whole event from
    /// [`Event::encode`](crate::encode::Event::encode), its `id` field equal to `id`.
    ///
    /// # Errors
    ///
    /// [`PushError::TooLarge`] if `id` and `frame` together are longer than the capacity, or
    /// there is no event slot; nothing changes then.
    pub fn push(&mut self, id: &str, frame: &[u8]) -> Result<(), PushError> {
        self.state.push(self.buf.as_mut(), id.as_bytes(), frame)
    }

    /// The frames pushed after the newest event with id `last_event_id`, oldest first; every
    /// frame if `last_event_id` is empty.
    ///
    /// # Errors
    ///
    /// [`Miss::Evicted`] if the id is a decimal number no greater than one evicted,
    /// [`Miss::Unknown`] for any other id not retained. [`frames`](Replay::frames) still gives
    /// what there is.
    pub fn since(&self, last_event_id: &str) -> Result<Frames<'_>, Miss> {
        let ring = self.state.ring(self.buf.as_ref());
        let front = self.state.since(ring, last_event_id.as_bytes())?;
        Ok(Frames {
            ring,
            front,
            back: self.state.len,
        })
    }

    /// Every retained frame, oldest first.
    pub fn frames(&self) -> Frames<'_> {
        Frames {
            ring: self.state.ring(self.buf.as_ref()),
            front: 0,
            back: self.state.len,
        }
    }

    /// The number of events retained.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state.len
    }

    /// No event is retained.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.state.len == 0
    }

    /// Bytes of ids and frames retained (the index and skipped tails not counted).
    #[must_use]
    pub fn bytes_used(&self) -> usize {
        self.state.used
    }

    /// Bytes available for ids and frames.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.state.layout.capacity
    }

    /// The most events retained at once: the number of index slots.
    #[must_use]
    pub fn max_events(&self) -> usize {
        self.state.layout.slots
    }

    /// The id of the oldest event retained (empty if it had none).
    #[must_use]
    pub fn oldest_id(&self) -> Option<&str> {
        let len = self.state.len;
        (len > 0).then(|| as_str(self.state.ring(self.buf.as_ref()).id(0)))
    }

    /// The id of the newest event retained (empty if it had none).
    #[must_use]
    pub fn newest_id(&self) -> Option<&str> {
        let last = self.state.len.checked_sub(1)?;
        Some(as_str(self.state.ring(self.buf.as_ref()).id(last)))
    }

    /// Drops every event and forgets what was evicted: the ring is as new, except that
    /// [`Cursor`]s taken before are behind it ([`Miss::Evicted`]), as their events are gone.
    pub fn clear(&mut self) {
        let pushed = self.state.pushed;
        self.state = State::new(self.state.layout);
        self.state.pushed = pushed;
    }

    /// A cursor at the first frame pushed after the newest event with id `last_event_id`
    /// (at the oldest retained if `last_event_id` is empty): where to resume a client.
    ///
    /// # Errors
    ///
    /// As [`since`](Replay::since): [`Miss::Evicted`] or [`Miss::Unknown`]; then pick
    /// [`oldest`](Replay::oldest) or [`latest`](Replay::latest).
    pub fn cursor(&self, last_event_id: &str) -> Result<Cursor, Miss> {
        let ring = self.state.ring(self.buf.as_ref());
        let front = self.state.since(ring, last_event_id.as_bytes())?;
        Ok(Cursor {
            next: self.state.oldest_number() + front as u64,
        })
    }

    /// A cursor at the oldest frame retained: the whole window.
    #[must_use]
    pub fn oldest(&self) -> Cursor {
        Cursor {
            next: self.state.oldest_number(),
        }
    }

    /// A cursor at the newest `n` frames retained (all if fewer): `latest(0)` is after the
    /// newest, for a client that gets only events pushed from now on.
    #[must_use]
    pub fn latest(&self, n: usize) -> Cursor {
        Cursor {
            next: self.state.pushed - n.min(self.state.len) as u64,
        }
    }

    /// The frame at `cursor`, and the cursor moved past it; `Ok(None)` if no frame was pushed
    /// there yet (the cursor is after the newest).
    ///
    /// # Errors
    ///
    /// [`Miss::Evicted`] if the frame at the cursor was evicted before it was read (the
    /// reader fell behind by more than the window); the cursor stays. Move it with
    /// [`oldest`](Replay::oldest) to go on with what is retained.
    pub fn next_frame(&self, cursor: &mut Cursor) -> Result<Option<&[u8]>, Miss> {
        let mut frames = self.frames_at(cursor)?;
        let frame = frames.next();
        if frame.is_some() {
            cursor.advance(1);
        }
        Ok(frame)
    }

    /// The frames from `cursor` on, oldest first (advance the cursor by the number taken).
    ///
    /// # Errors
    ///
    /// As [`next_frame`](Replay::next_frame).
    pub fn frames_at(&self, cursor: &Cursor) -> Result<Frames<'_>, Miss> {
        let oldest = self.state.oldest_number();
        let front = cursor.next.checked_sub(oldest).ok_or(Miss::Evicted)?;
        let front = usize::try_from(front).map_or(self.state.len, |f| f.min(self.state.len));
        Ok(Frames {
            ring: self.state.ring(self.buf.as_ref()),
            front,
            back: self.state.len,
        })
    }

    /// Hands back the storage.
    pub fn into_inner(self) -> B {
        self.buf
    }
}

impl<B: AsRef<[u8]>> fmt::Debug for Replay<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.state.ring(self.buf.as_ref());
        let id = |i: Option<usize>| i.map(|i| as_str(ring.id(i)));
        f.debug_struct("Replay")
            .field("len", &self.state.len)
            .field("max_events", &self.state.layout.slots)
            .field("bytes_used", &self.state.used)
            .field("capacity", &self.state.layout.capacity)
            .field("oldest_id", &id((self.state.len > 0).then_some(0)))
            .field("newest_id", &id(self.state.len.checked_sub(1)))
            .finish_non_exhaustive()
    }
}

/// A place in a [`Replay`]'s sequence of frames that borrows nothing, so it can be kept across
/// an `.await` while the ring is locked only to read a frame (replay, then live events, from
/// the same ring with no lock held while writing).
///
/// From [`Replay::cursor`], [`Replay::oldest`] or [`Replay::latest`]; read with
/// [`Replay::next_frame`]. It counts the ring's pushes, so it stays right while frames are
/// pushed and evicted: a reader that falls behind the window learns it ([`Miss::Evicted`]).
///
/// ```
/// use ssewire::replay::{storage_len, Miss, Replay};
///
/// let mut replay = Replay::new(vec![0u8; storage_len(2, 256)], 2);
/// replay.push("1", b"id: 1\ndata: a\n\n")?;
/// let mut cursor = replay.cursor("1")?; // after event 1: nothing yet
/// assert_eq!(replay.next_frame(&mut cursor), Ok(None));
/// replay.push("2", b"id: 2\ndata: b\n\n")?;
/// assert_eq!(replay.next_frame(&mut cursor), Ok(Some(&b"id: 2\ndata: b\n\n"[..])));
/// for (id, frame) in [("3", b"id: 3\ndata: c\n\n"), ("4", b"id: 4\ndata: d\n\n"), ("5", b"id: 5\ndata: e\n\n")] {
///     replay.push(id, frame)?; // two kept: event 3 is evicted before it was read
/// }
/// assert_eq!(replay.next_frame(&mut cursor), Err(Miss::Evicted));
/// cursor = replay.oldest();
/// assert_eq!(replay.next_frame(&mut cursor), Ok(Some(&b"id: 4\ndata: d\n\n"[..])));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cursor {
    /// The sequence number of the next frame to read.
    next: u64,
}

impl Cursor {
    /// Moves past `n` frames (taken from [`Replay::frames_at`]).
    pub fn advance(&mut self, n: usize) {
        self.next = self.next.saturating_add(n as u64);
    }
}

/// The frames to replay, oldest first, each the bytes of one event as pushed.
///
/// From [`Replay::since`] or [`Replay::frames`]. Knows its length; runs from either end.
#[derive(Clone)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Frames<'a> {
    ring: Ring<'a>,
    /// The next event from the front, counted from the oldest retained.
    front: usize,
    /// One past the next event from the back.
    back: usize,
}

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        let frame = self.ring.frame(self.front);
        self.front += 1;
        Some(frame)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.back.saturating_sub(self.front);
        (len, Some(len))
    }

    fn nth(&mut self, n: usize) -> Option<&'a [u8]> {
        self.front = self.front.saturating_add(n).min(self.back);
        self.next()
    }

    fn count(self) -> usize {
        self.len()
    }

    fn last(mut self) -> Option<&'a [u8]> {
        self.next_back()
    }
}

impl DoubleEndedIterator for Frames<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        Some(self.ring.frame(self.back))
    }
}

impl ExactSizeIterator for Frames<'_> {}

impl FusedIterator for Frames<'_> {}

impl fmt::Debug for Frames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frames")
            .field("remaining", &self.len())
            .finish_non_exhaustive()
    }
}

/// How the storage is cut: index slots first, then records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    /// Index slots: the most events retained.
    slots: usize,
    /// Bytes for records, right after the index.
    capacity: usize,
}

impl Layout {
    const fn new(len: usize, max_events: usize) -> Self {
        let fit = len / INDEX_ENTRY_LEN;
        let slots = if max_events < fit { max_events } else { fit };
        let rest = len - slots * INDEX_ENTRY_LEN;
        Layout {
            slots,
            capacity: if rest < MAX_CAPACITY {
                rest
            } else {
                MAX_CAPACITY
            },
        }
    }

    const fn index_len(&self) -> usize {
        self.slots * INDEX_ENTRY_LEN
    }
}

/// One index slot: where an event's record is in the record area, and its two parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    start: usize,
    id_len: usize,
    frame_len: usize,
}

impl Entry {
    fn len(&self) -> usize {
        self.id_len.saturating_add(self.frame_len)
    }

    fn read(bytes: &[u8]) -> Entry {
        let word = |at: usize| {
            let mut word = [0; 4];
            if let Some(src) = bytes.get(at..at + 4) {
                word.copy_from_slice(src);
            }
            usize::try_from(u32::from_le_bytes(word)).unwrap_or(usize::MAX)
        };
        Entry {
            start: word(0),
            id_len: word(4),
            frame_len: word(8),
        }
    }

    fn write(&self, bytes: &mut [u8]) {
        for (dest, value) in
            bytes
                .chunks_exact_mut(4)
                .zip([self.start, self.id_len, self.frame_len])
        {
            // Every value is at most the capacity, which fits in a `u32`.
            dest.copy_from_slice(&u32::try_from(value).unwrap_or(u32::MAX).to_le_bytes());
        }
    }
}

/// A read-only view of the retained events, numbered from the oldest.
#[derive(Clone, Copy)]
struct Ring<'a> {
    index: &'a [u8],
    data: &'a [u8],
    slots: usize,
    /// The slot of the oldest event.
    first: usize,
}

impl<'a> Ring<'a> {
    /// The index entry of event `i` (`i` below the number retained).
    fn entry(&self, i: usize) -> Entry {
        let mut slot = self.first.saturating_add(i);
        if slot >= self.slots {
            slot -= self.slots;
        }
        let at = slot * INDEX_ENTRY_LEN;
        Entry::read(self.index.get(at..at + INDEX_ENTRY_LEN).unwrap_or_default())
    }

    fn id(&self, i: usize) -> &'a [u8] {
        let entry = self.entry(i);
        let end = entry.start.saturating_add(entry.id_len);
        self.data.get(entry.start..end).unwrap_or_default()
    }

    fn frame(&self, i: usize) -> &'a [u8] {
        let entry = self.entry(i);
        let start = entry.start.saturating_add(entry.id_len);
        let end = start.saturating_add(entry.frame_len);
        self.data.get(start..end).unwrap_or_default()
    }
}

/// The ring's state apart from its storage; all the logic, compiled once.
///
/// Record positions are offsets on an endless tape: the record area holds the tape modulo the
/// capacity. Positions are renumbered whenever the oldest record moves a full lap on, so the
/// oldest one's position is below the capacity and none exceeds three capacities.
#[derive(Clone, Debug)]
struct State {
    layout: Layout,
    /// The slot of the oldest event.
    first: usize,
    /// Events retained.
    len: usize,
    /// Where the oldest record starts on the tape (when `len > 0`).
    tail: u64,
    /// Where the newest record ends on the tape (when `len > 0`).
    head: u64,
    /// Bytes of ids and frames retained.
    used: usize,
    /// How many of the latest pushes in a row had decimal ids, each greater than the one
    /// before: the retained ids are in increasing numeric order when this is at least `len`.
    run: usize,
    /// The newest id as a number, when `run > 0`.
    newest: u64,
    /// The greatest decimal id evicted since the start or the last clear.
    evicted_max: Option<u64>,
    /// Events pushed since the start (clearing does not reset it): the oldest retained is
    /// number `pushed - len` of the sequence [`Cursor`]s count in.
    pushed: u64,
}

impl State {
    const fn new(layout: Layout) -> Self {
        State {
            layout,
            first: 0,
            len: 0,
            tail: 0,
            head: 0,
            used: 0,
            run: 0,
            newest: 0,
            evicted_max: None,
            pushed: 0,
        }
    }

    /// The sequence number of the oldest event retained (of the next one pushed, if none).
    fn oldest_number(&self) -> u64 {
        self.pushed - self.len as u64
    }

    fn ring<'a>(&self, buf: &'a [u8]) -> Ring<'a> {
        let (index, rest) = buf
            .split_at_checked(self.layout.index_len())
            .unwrap_or_default();
        Ring {
            index,
            data: rest.get(..self.layout.capacity).unwrap_or_default(),
            slots: self.layout.slots,
            first: self.first,
        }
    }

    /// Where tape position `position` is in the record area.
    fn offset(&self, position: u64) -> usize {
        let capacity = self.layout.capacity as u64;
        // Below the capacity, which is a `usize`.
        position.checked_rem(capacity).unwrap_or(0) as usize
    }

    /// Where a record of `size` bytes goes after the newest: right after it, or at the next
    /// lap if it would straddle the end of the record area.
    fn next_start(&self, size: u64) -> u64 {
        let capacity = self.layout.capacity as u64;
        let offset = self.offset(self.head) as u64;
        if offset + size > capacity {
            self.head - offset + capacity
        } else {
            self.head
        }
    }

    fn push(&mut self, buf: &mut [u8], id: &[u8], frame: &[u8]) -> Result<(), PushError> {
        let Layout { slots, capacity } = self.layout;
        let size = match id.len().checked_add(frame.len()) {
            Some(size) if size <= capacity && slots > 0 => size,
            _ => return Err(PushError::TooLarge),
        };
        let start = loop {
            if self.len == 0 {
                self.tail = 0;
                break 0;
            }
            let start = self.next_start(size as u64);
            if self.len < slots && start + size as u64 <= self.tail + capacity as u64 {
                break start;
            }
            self.evict(buf);
        };
        let offset = self.offset(start);
        let (index, data) = buf
            .split_at_mut_checked(self.layout.index_len())
            .unwrap_or_default();
        let id_end = offset + id.len();
        if let Some(dest) = data.get_mut(offset..id_end) {
            dest.copy_from_slice(id);
        }
        if let Some(dest) = data.get_mut(id_end..offset + size) {
            dest.copy_from_slice(frame);
        }
        let mut slot = self.first + self.len;
        if slot >= slots {
            slot -= slots;
        }
        let at = slot * INDEX_ENTRY_LEN;
        if let Some(dest) = index.get_mut(at..at + INDEX_ENTRY_LEN) {
            Entry {
                start: offset,
                id_len: id.len(),
                frame_len: frame.len(),
            }
            .write(dest);
        }
        self.len += 1;
        self.pushed += 1;
        self.head = start + size as u64;
        self.used += size;
        match decimal(id) {
            Some(n) => {
                self.run = if self.run > 0 && n > self.newest {
                    self.run.saturating_add(1)
                } else {
                    1
                };
                self.newest = n;
            }
            None => self.run = 0,
        }
        Ok(())
    }

    /// Drops the oldest event (`len > 0`).
    fn evict(&mut self, buf: &[u8]) {
        let ring = self.ring(buf);
        let oldest = ring.entry(0);
        if let Some(n) = decimal(ring.id(0)) {
            self.evicted_max = Some(self.evicted_max.map_or(n, |max| max.max(n)));
        }
        self.first += 1;
        if self.first >= self.layout.slots {
            self.first = 0;
        }
        self.len -= 1;
        self.used = self.used.saturating_sub(oldest.len());
        if self.len > 0 {
            // The next record starts where the oldest ended, or at the next lap.
            let end = self.tail + oldest.len() as u64;
            let offset = self.offset(end);
            self.tail = if self.ring(buf).entry(0).start == offset {
                end
            } else {
                end - offset as u64 + self.layout.capacity as u64
            };
            let laps = self.tail - self.offset(self.tail) as u64;
            self.tail -= laps;
            self.head -= laps;
        }
    }

    /// The number of retained events `id` has been followed by, counted from the oldest: the
    /// index of the first frame to replay.
    fn since(&self, ring: Ring<'_>, id: &[u8]) -> Result<usize, Miss> {
        if id.is_empty() {
            return Ok(0);
        }
        let found = if self.run >= self.len {
            self.find_number(ring, id)
        } else {
            (0..self.len).rev().find(|&i| ring.id(i) == id)
        };
        match found {
            Some(i) => Ok(i + 1),
            None => Err(match decimal(id) {
                Some(n) if self.evicted_max.is_some_and(|max| n <= max) => Miss::Evicted,
                _ => Miss::Unknown,
            }),
        }
    }

    /// Finds `id` among retained ids that are decimal numbers in increasing order.
    fn find_number(&self, ring: Ring<'_>, id: &[u8]) -> Option<usize> {
        let n = decimal(id)?;
        if self.len == 0 {
            return None;
        }
        let key = |i: usize| decimal(ring.id(i)).unwrap_or(u64::MAX);
        // Consecutive ids: the distance from the oldest is the place.
        let guess = n
            .checked_sub(key(0))
            .and_then(|d| usize::try_from(d).ok())
            .filter(|&i| i < self.len);
        if let Some(i) = guess {
            if key(i) == n {
                return Some(i);
            }
        }
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let mid = low + (high - low) / 2;
            if key(mid) < n {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        (low < self.len && key(low) == n).then_some(low)
    }
}

/// `id` as a number if it is one written the usual way: `0`, or ASCII digits not starting with
/// `0`, up to `u64::MAX`. Only then do numeric and byte equality agree.
fn decimal(id: &[u8]) -> Option<u64> {
    match id {
        [] | [b'0', _, ..] => None,
        _ => id.iter().try_fold(0u64, |n, &b| {
            if b.is_ascii_digit() {
                n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            } else {
                None
            }
        }),
    }
}

/// An id, pushed as a `&str`.
fn as_str(bytes: &[u8]) -> &str {
    crate::utf8::text(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::{
        string::{String, ToString},
        vec,
        vec::Vec,
    };

    /// Checks the layout against what the state claims: records inside the record area, none
    /// overlapping, in tape order, byte count and tape span consistent.
    fn check<B: AsRef<[u8]> + AsMut<[u8]>>(replay: &Replay<B>) {
        let state = &replay.state;
        let ring = state.ring(replay.buf.as_ref());
        let capacity = state.layout.capacity as u64;
        assert!(state.len <= state.layout.slots);
        assert!(state.first < state.layout.slots.max(1));
        if state.len == 0 {
            assert_eq!(state.used, 0);
            return;
        }
        assert!(state.tail < capacity.max(1), "{state:?}");
        assert!(state.head <= state.tail + capacity, "{state:?}");
        let mut position = state.tail;
        let mut used = 0;
        for i in 0..state.len {
            let entry = ring.entry(i);
            assert!(entry.start + entry.len() <= state.layout.capacity);
            if i > 0 {
                // Right after the previous record, or at the next lap.
                if state.offset(position) != entry.start {
                    position = position - state.offset(position) as u64 + capacity;
                }
            }
            assert_eq!(state.offset(position), entry.start, "event {i}: {state:?}");
            position += entry.len() as u64;
            used += entry.len();
        }
        assert_eq!(position, state.head, "{state:?}");
        assert_eq!(used, state.used);
    }

    #[test]
    fn decimal_takes_only_the_usual_spelling() {
        assert_eq!(decimal(b"0"), Some(0));
        assert_eq!(decimal(b"42"), Some(42));
        assert_eq!(decimal(b"18446744073709551615"), Some(u64::MAX));
        for id in [
            &b""[..],
            b"00",
            b"07",
            b"+1",
            b"-1",
            b" 1",
            b"1 ",
            b"1a",
            b"18446744073709551616",
            "١".as_bytes(),
        ] {
            assert_eq!(decimal(id), None, "{id:?}");
        }
    }

    #[test]
    fn layout_gives_the_index_first_and_frames_the_rest() {
        assert_eq!(
            Layout::new(storage_len(16, 2048), 16),
            Layout {
                slots: 16,
                capacity: 2048
            }
        );
        assert_eq!(
            Layout::new(100, 1000),
            Layout {
                slots: 8,
                capacity: 4
            }
        );
        assert_eq!(
            Layout::new(11, 1),
            Layout {
                slots: 0,
                capacity: 11
            }
        );
        assert_eq!(
            Layout::new(0, 0),
            Layout {
                slots: 0,
                capacity: 0
            }
        );
    }

    #[test]
    fn entries_round_trip() {
        let entry = Entry {
            start: 7,
            id_len: 0x0102_0304,
            frame_len: MAX_CAPACITY,
        };
        let mut bytes = [0; INDEX_ENTRY_LEN];
        entry.write(&mut bytes);
        assert_eq!(Entry::read(&bytes), entry);
    }

    #[test]
    fn positions_stay_small_over_many_laps() {
        let mut replay = Replay::new(vec![0u8; storage_len(3, 10)], 3);
        for i in 0..1000u32 {
            let frame = [b'x'; 7];
            let len = (i % 4) as usize + (i % 3) as usize;
            replay.push("", &frame[..len]).unwrap();
            check(&replay);
            assert!(replay.state.head < 3 * 10);
        }
    }

    #[test]
    fn zero_capacity_holds_only_empty_records() {
        let mut replay = Replay::new(vec![0u8; storage_len(2, 0)], 2);
        assert_eq!(replay.push("1", b""), Err(PushError::TooLarge));
        replay.push("", b"").unwrap();
        replay.push("", b"").unwrap();
        replay.push("", b"").unwrap();
        check(&replay);
        assert_eq!(replay.len(), 2);
        assert_eq!(replay.frames().collect::<Vec<_>>(), [b"", b""]);
    }

    #[test]
    fn numeric_windows_use_the_binary_search() {
        let mut replay = Replay::new(vec![0u8; storage_len(8, 256)], 8);
        for id in [3u64, 5, 6, 10, 11, 20] {
            replay
                .push(&id.to_string(), id.to_string().as_bytes())
                .unwrap();
        }
        assert!(replay.state.run >= replay.state.len);
        let ring = replay.state.ring(replay.buf.as_ref());
        for (i, id) in ["3", "5", "6", "10", "11", "20"].iter().enumerate() {
            assert_eq!(replay.state.find_number(ring, id.as_bytes()), Some(i));
        }
        for id in ["0", "4", "7", "12", "21", "05", "x"] {
            assert_eq!(replay.state.find_number(ring, id.as_bytes()), None);
        }
        replay.push("x", b"x").unwrap();
        assert!(replay.state.run < replay.state.len);
    }

    /// Bytes that say which push they came from, of length `len`.
    fn frame(n: usize, len: usize) -> Vec<u8> {
        let tag = n.to_string();
        tag.bytes()
            .chain(core::iter::repeat(b'.'))
            .take(len)
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 8 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn layout_invariants_hold(
            len in 0usize..160,
            max_events in 0usize..8,
            pushes in prop::collection::vec((0usize..4, 0usize..40), 0..40),
        ) {
            let mut replay = Replay::new(vec![0u8; len], max_events);
            for (n, &(id, size)) in pushes.iter().enumerate() {
                let id = ["", "1", "a", "22"][id];
                let frame = frame(n, size.saturating_sub(id.len()));
                let before = (replay.len(), replay.bytes_used(), replay.newest_id().map(String::from));
                match replay.push(id, &frame) {
                    Ok(()) => {
                        prop_assert_eq!(replay.newest_id(), Some(id));
                        prop_assert_eq!(replay.frames().next_back(), Some(&frame[..]));
                    }
                    Err(PushError::TooLarge) => {
                        prop_assert_eq!(
                            (replay.len(), replay.bytes_used(), replay.newest_id().map(String::from)),
                            before
                        );
                    }
                }
                check(&replay);
            }
        }
    }
}
