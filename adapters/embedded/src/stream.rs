//! One connection's event stream, from start to end: replay after `Last-Event-ID`, then live
//! items, keep-alives when idle, and an end signal of its own.

use core::cell::RefCell;
use core::future::{pending, Future};
use core::pin::pin;

use embassy_futures::select::{select3, Either3};
use embedded_io_async::Write;
use ssewire::client::Duration;
use ssewire::encode::{Comment, EncodeError, Event};
use ssewire::replay::{Cursor, Miss, Replay};
use ssewire::server::Stream;

use crate::error::{write_all, RecordError, SendError};
use crate::{Clock, EventWriter};

/// What an [`EventStream`] writes: the items of a connection's live stream.
///
/// An event is written as it is, with its id or without one, and never recorded for replay
/// by the stream: a producer records the events that have an id, once, with [`record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Item<'a> {
    /// An event, with an id (replayable, if the producer [`record`]ed it) or without one
    /// (live only).
    Event(Event<'a>),
    /// A comment: one comment line per line of the text.
    Comment(&'a str),
    /// A `retry` field alone: the client's reconnection time, in milliseconds.
    Retry(u64),
    /// Whole frames already encoded (such as the frame [`record`] returns), written as they
    /// are: they are not checked.
    Encoded(&'a [u8]),
}

impl Item<'_> {
    /// Writes the item's bytes on the wire into the front of `buf` (an event as
    /// [`Event::encode`] writes it, a comment as [`Comment::encode`], a `retry` value as a
    /// `retry` field alone, encoded frames as given); returns their length.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BufferTooSmall`] if the item does not fit (`buf` is untouched then), or
    /// an event's invalid event type or id.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        match *self {
            Item::Event(event) => event.encode(buf),
            Item::Comment(text) => Comment(text).encode(buf),
            Item::Retry(ms) => Event::empty().retry(ms).encode(buf),
            Item::Encoded(frames) => copy(frames, buf),
        }
    }
}

/// Copies `frames` to the front of `buf`.
fn copy(frames: &[u8], buf: &mut [u8]) -> Result<usize, EncodeError> {
    let dest = buf.get_mut(..frames.len());
    dest.ok_or(EncodeError::BufferTooSmall)?
        .copy_from_slice(frames);
    Ok(frames.len())
}

/// Where a connection's live items come from: a subscription to what the application
/// publishes (an `embassy-sync` channel subscriber, a `Signal`, a sensor read), written by
/// [`EventStream::run`].
///
/// The item may borrow from the source (an event formatted into the source's own buffer): it
/// is encoded and written before `next` is called again. Futures on embedded executors are
/// polled on one thread, so the returned future is not required to be `Send`.
#[allow(async_fn_in_trait)]
pub trait Items {
    /// The next item to write; `None` when the stream is finished ([`End::Finished`]).
    async fn next(&mut self) -> Option<Item<'_>>;
}

impl<T: Items + ?Sized> Items for &mut T {
    async fn next(&mut self) -> Option<Item<'_>> {
        T::next(self).await
    }
}

/// Why an [`EventStream`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum End {
    /// The items ended ([`Items::next`] gave `None`): the stream was finished cleanly (the
    /// last chunk written, when chunked).
    Finished,
    /// The `until` signal of [`EventStream::run`] completed: the stream was finished cleanly.
    Stopped,
    /// A write or flush failed, or accepted no byte: the client is gone. Nothing more was
    /// written.
    ClientGone,
    /// An item (or a replayed frame) could not be encoded: an event type or id with CR or LF,
    /// or too large for the buffer. Nothing of it was written, and the stream was finished
    /// cleanly.
    Invalid,
    /// The client fell behind the replay window while its missed frames were written: the
    /// next one was evicted first. Ended without the last chunk; on reconnecting, the client
    /// resumes from its last event ID.
    Evicted,
}

impl<E> From<SendError<E>> for End {
    fn from(error: SendError<E>) -> Self {
        match error {
            SendError::Encode(_) => End::Invalid,
            _ => End::ClientGone,
        }
    }
}

/// What [`EventStream::replay`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Replayed {
    /// This many frames retained after the client's `Last-Event-ID` were written: 0 when it is
    /// up to date, or sent none.
    Sent(usize),
    /// The `Last-Event-ID` is not in the window ([`Miss::Evicted`]: older than it;
    /// [`Miss::Unknown`]: never seen). Nothing was written: the server decides, such as
    /// everything retained ([`EventStream::replay_from`] the ring's
    /// [`oldest`](Replay::oldest)), or an event that tells the client to start over.
    Miss(Miss),
}

/// A replay ring shared by a producer that [`record`]s into it and the connections that
/// [replay](EventStream::replay) it, each borrowing it only for a moment, between two awaits.
///
/// Implemented for `RefCell<Replay<_>>`, for tasks of one executor (a local of the task that
/// `join`s them, or a `&'static` one from `static_cell`), and, with the `embassy` feature, for
/// an `embassy_sync::blocking_mutex::Mutex<_, RefCell<Replay<_>>>`, which may be a `static`
/// and shared with tasks of other executors (a `CriticalSectionRawMutex`).
pub trait Shared {
    /// The ring's storage.
    type Storage: AsRef<[u8]> + AsMut<[u8]>;

    /// Calls `f` with the ring, borrowed for the call only.
    ///
    /// # Panics
    ///
    /// A `RefCell` borrowed at the time panics: never the case when no borrow is held across
    /// an await, as here.
    fn with<R>(&self, f: impl FnOnce(&mut Replay<Self::Storage>) -> R) -> R;
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Shared for RefCell<Replay<B>> {
    type Storage = B;

    fn with<R>(&self, f: impl FnOnce(&mut Replay<B>) -> R) -> R {
        f(&mut self.borrow_mut())
    }
}

/// One connection's event stream, after the `200` head ([`accept`](crate::accept)): frames
/// from a replay ring after the client's `Last-Event-ID` ([`replay`](EventStream::replay)),
/// then live [`Items`] until they end or an end signal of this connection's completes
/// ([`run`](EventStream::run)), with a keep-alive comment whenever the stream is idle for the
/// keep-alive interval. The keep-alive schedule is the core's [`Stream`], timed by the
/// [`Clock`]; every frame is encoded whole into the [`EventWriter`]'s buffer and written with
/// one write, then flushed.
///
/// # Sharing a replay ring
///
/// The ring is [`Shared`] among the connections and the producer that [`record`]s into it:
/// each borrow is taken and let go between two awaits, never across one, so the producer can
/// record while frames are written. The ring's [`Cursor`] keeps the place across the writes.
///
/// A client misses nothing and gets nothing twice when the producer records an event and
/// publishes it to the connections' sources in one step (no await between), and a
/// connection subscribes to its source right after [`replay`](EventStream::replay) returns,
/// before any await: replay ends at the newest frame recorded, and the subscription starts
/// from there.
///
/// A client that stops reading holds a write until the network stack gives up on the
/// connection (embassy-net: `TcpSocket::set_timeout`); a client that closes is noticed at the
/// next write, at the latest the next keep-alive.
#[derive(Debug)]
pub struct EventStream<'b, W, C> {
    writer: EventWriter<'b, W>,
    /// The keep-alive schedule, in the writer's framing.
    schedule: Stream,
    clock: C,
}

impl<'b, W: Write, C: Clock> EventStream<'b, W, C> {
    /// The stream written by `writer`, with a keep-alive after `keep_alive` without a byte
    /// sent ([`Config::keep_alive`](crate::Config::keep_alive); `None`: never), timed by
    /// `clock` from now.
    pub fn new(writer: EventWriter<'b, W>, keep_alive: Option<Duration>, clock: C) -> Self {
        let schedule = Stream::new(writer.framing(), keep_alive, clock.now());
        EventStream {
            writer,
            schedule,
            clock,
        }
    }

    /// Writes the frames `replay` retains after `last_event_id`, oldest first, including
    /// those recorded while they are written. A client without a `Last-Event-ID`
    /// ([`Accepted::last_event_id`](crate::Accepted::last_event_id) `None`) is sent nothing.
    ///
    /// # Errors
    ///
    /// The stream is over: [`End::ClientGone`], [`End::Evicted`], or [`End::Invalid`] for a
    /// frame larger than the writer's buffer (finished cleanly then).
    ///
    /// # Panics
    ///
    /// As [`Shared::with`].
    pub async fn replay<S: Shared + ?Sized>(
        &mut self,
        replay: &S,
        last_event_id: Option<&str>,
    ) -> Result<Replayed, End> {
        let Some(id) = last_event_id else {
            return Ok(Replayed::Sent(0));
        };
        let cursor = replay.with(|ring| ring.cursor(id));
        match cursor {
            Ok(cursor) => self.replay_from(replay, cursor).await.map(Replayed::Sent),
            Err(miss) => Ok(Replayed::Miss(miss)),
        }
    }

    /// Writes the frames of `replay` from `cursor` on, oldest first, up to the newest one
    /// recorded (including those recorded while they are written), then flushes; returns how
    /// many. Each frame is copied into the writer's buffer (it needs the largest frame
    /// recorded, plus [`CHUNK_OVERHEAD`](crate::CHUNK_OVERHEAD) when chunked) and written from
    /// there, with the ring let go.
    ///
    /// # Errors
    ///
    /// As [`replay`](EventStream::replay).
    ///
    /// # Panics
    ///
    /// As [`replay`](EventStream::replay).
    pub async fn replay_from<S: Shared + ?Sized>(
        &mut self,
        replay: &S,
        mut cursor: Cursor,
    ) -> Result<usize, End> {
        let mut sent = 0;
        loop {
            // The ring is borrowed only to copy the frame into the buffer.
            let (writer, at) = (&mut self.writer, &mut cursor);
            let next = replay.with(move |ring| match ring.next_frame(at) {
                Ok(Some(frame)) => match writer.encode(|buf| copy(frame, buf)) {
                    Ok(framed) => Ok(Some(framed)),
                    Err(_) => Err(End::Invalid),
                },
                Ok(None) => Ok(None),
                Err(_) => Err(End::Evicted),
            });
            let (io, frame) = match next {
                Ok(Some(framed)) => framed,
                Ok(None) => break,
                // Without the last chunk: the client resumes from what it has.
                Err(End::Evicted) => return Err(End::Evicted),
                Err(why) => return Err(self.finish(why).await),
            };
            write_all(io, frame)
                .await
                .map_err(|error| End::from(SendError::from(error)))?;
            self.schedule.handle_sent(self.clock.now());
            sent += 1;
        }
        if sent > 0 {
            self.writer.flush().await?;
        }
        Ok(sent)
    }

    /// Writes `item`, then flushes.
    ///
    /// # Errors
    ///
    /// As [`EventWriter::send`]: after [`SendError::Encode`] nothing was written and the
    /// stream can go on.
    pub async fn send(&mut self, item: Item<'_>) -> Result<(), SendError<W::Error>> {
        let framed = self.writer.encode(|buf| item.encode(buf));
        let (io, frame) = framed.map_err(SendError::Encode)?;
        flushed(io, frame).await?;
        self.schedule.handle_sent(self.clock.now());
        Ok(())
    }

    /// Writes `items` as they come, and a keep-alive whenever the stream has been idle for
    /// the interval, until the items end, `until` completes, an item cannot be encoded, or the
    /// client is gone; then ends the stream (the last chunk, when chunked, except when the
    /// client is gone) and says why. `until` ends this connection's stream alone: pass each
    /// connection a signal of its own (`core::future::pending()` for none).
    ///
    /// Write nothing after it; close the connection (embassy-net:
    /// [`embassy::close`](crate#feature-embassy)).
    pub async fn run<I: Items, U: Future>(&mut self, mut items: I, until: U) -> End {
        let mut until = pin!(until);
        loop {
            let framed = {
                // Kept across keep-alives: `next` is never cancelled, so a source need not be
                // cancel-safe.
                let mut next = pin!(items.next());
                let next = loop {
                    let due = self.schedule.poll_timeout();
                    let clock = &mut self.clock;
                    let idle = async move {
                        match due {
                            Some(at) => clock.sleep_until(at).await,
                            None => pending().await,
                        }
                    };
                    match select3(next.as_mut(), until.as_mut(), idle).await {
                        Either3::First(Some(item)) => break Ok(item),
                        Either3::First(None) => break Err(End::Finished),
                        Either3::Second(_) => break Err(End::Stopped),
                        Either3::Third(()) => {
                            if let Err(error) = self.keep_alive().await {
                                return error.into();
                            }
                        }
                    }
                };
                // Encoded before anything is awaited: the item is not kept in the future.
                next.and_then(|item| {
                    let framed = self.writer.encode(|buf| item.encode(buf));
                    framed.map_err(|_| End::Invalid)
                })
            };
            let (io, frame) = match framed {
                Ok(framed) => framed,
                Err(why) => return self.finish(why).await,
            };
            if let Err(error) = flushed(io, frame).await {
                return error.into();
            }
            self.schedule.handle_sent(self.clock.now());
        }
    }

    /// Writes a keep-alive if one is due (none if woken a little early), then flushes.
    async fn keep_alive(&mut self) -> Result<(), SendError<W::Error>> {
        let now = self.clock.now();
        let Some(keep_alive) = self.schedule.poll_keep_alive(now) else {
            return Ok(());
        };
        flushed(self.writer.get_mut(), keep_alive).await?;
        self.schedule.handle_sent(self.clock.now());
        Ok(())
    }

    /// The writer, to write through it directly (that does not reset the keep-alive
    /// schedule) or reach the connection.
    pub fn writer(&mut self) -> &mut EventWriter<'b, W> {
        &mut self.writer
    }

    /// Hands back the writer.
    pub fn into_inner(self) -> EventWriter<'b, W> {
        self.writer
    }

    /// Ends the stream cleanly (a client gone by then changes nothing); returns `why`.
    async fn finish(&mut self, why: End) -> End {
        let _ = self.writer.finish().await;
        why
    }
}

/// Writes all of `bytes`, then flushes.
async fn flushed<W: Write>(io: &mut W, bytes: &[u8]) -> Result<(), SendError<W::Error>> {
    write_all(io, bytes).await?;
    io.flush().await.map_err(SendError::Io)
}

/// Records `event` with id `id` in `replay`, for clients that reconnect after an earlier id:
/// sets the event's id to `id`, encodes it into `buf` and pushes the frame (evicting the
/// oldest as needed). Returns the frame, to write as [`Item::Encoded`] if it suits.
///
/// The producer calls it once per event, then publishes the event (or the frame) to the
/// connections; an event without an id is published only, never recorded. The ring is
/// borrowed only during the call.
///
/// # Errors
///
/// [`RecordError::Encode`] if the event cannot be encoded (invalid type or id, or too large
/// for `buf`), [`RecordError::Push`] if it is larger than the ring: nothing is recorded then.
///
/// # Panics
///
/// As [`Shared::with`].
pub fn record<'f, S: Shared + ?Sized>(
    replay: &S,
    id: &str,
    event: Event<'_>,
    buf: &'f mut [u8],
) -> Result<&'f [u8], RecordError> {
    let len = event.id(id).encode(buf).map_err(RecordError::Encode)?;
    let frame = buf.get(..len).unwrap_or_default();
    replay
        .with(|ring| ring.push(id, frame))
        .map_err(RecordError::Push)?;
    Ok(frame)
}
