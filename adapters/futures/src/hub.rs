//! Fan-out: publish an event once, every subscriber gets it; a replay window answers
//! `Last-Event-ID`.

use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_lite::StreamExt;
use ssewire::encode::EncodeError;
use ssewire::replay::Miss;

use crate::Event;
use window::Window;

mod frames;
mod topics;
mod window;
pub use frames::{Frames, DEFAULT_KEEP_ALIVE};
pub use topics::{check_name, TopicError, Topics, DEFAULT_MAX_TOPICS, MAX_TOPIC_LEN};

/// Encoded frames, shared by every subscriber they are sent to.
pub type Encoded = Arc<[u8]>;

/// What a [`Hub`] does when a `Last-Event-ID` is not in its replay window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OnMiss {
    /// Replay the whole window: the subscriber gets every event still retained. After a
    /// server restart (ids from an earlier run are unknown) this gives the events of this run;
    /// for an id older than the window it gives the most there is. The default.
    #[default]
    ReplayWindow,
    /// Replay nothing: the subscriber gets only new events.
    Skip,
}

/// How a [`Hub`] keeps and sends events. Plain data with a `const fn` constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
#[non_exhaustive]
pub struct HubConfig {
    /// Events kept for replay. Default: 1024.
    pub replay_events: usize,
    /// Bytes of encoded events (and their ids) kept for replay. Default: 1 MiB.
    pub replay_bytes: usize,
    /// Publications queued for one subscriber and not yet written to it; one more and it is
    /// disconnected as too slow ([`Ended::Lagged`]). It resumes from the replay window when it
    /// reconnects. Default: 256.
    pub backlog: usize,
    /// Bytes of publications queued for one subscriber and not yet written to it; past it the
    /// subscriber is disconnected as with [`backlog`](HubConfig::backlog). Frames are shared,
    /// so this bounds what a slow subscriber keeps alive after the others are done with it
    /// (256 events of 64 KiB would be 16 MiB). One frame larger than this is still queued
    /// when nothing else is. Default: 1 MiB.
    pub backlog_bytes: usize,
    /// What to replay for a `Last-Event-ID` not in the window. Default:
    /// [`OnMiss::ReplayWindow`].
    pub on_miss: OnMiss,
    /// Whether a subscriber without a `Last-Event-ID` gets the whole window first: for a
    /// stream a late viewer should see from its start, such as a job's progress. Default:
    /// `false`, only new events.
    pub replay_to_new: bool,
}

impl HubConfig {
    /// The defaults.
    pub const fn new() -> Self {
        HubConfig {
            replay_events: 1024,
            replay_bytes: 1024 * 1024,
            backlog: 256,
            backlog_bytes: 1024 * 1024,
            on_miss: OnMiss::ReplayWindow,
            replay_to_new: false,
        }
    }

    /// Sets whether subscribers without a `Last-Event-ID` get the window first.
    pub const fn replay_to_new(self, replay_to_new: bool) -> Self {
        HubConfig {
            replay_to_new,
            ..self
        }
    }

    /// Sets the replay window: events and bytes.
    pub const fn replay(self, events: usize, bytes: usize) -> Self {
        HubConfig {
            replay_events: events,
            replay_bytes: bytes,
            ..self
        }
    }

    /// Sets the backlog of one subscriber, in publications.
    pub const fn backlog(self, backlog: usize) -> Self {
        HubConfig { backlog, ..self }
    }

    /// Sets the backlog of one subscriber, in bytes.
    pub const fn backlog_bytes(self, bytes: usize) -> Self {
        HubConfig {
            backlog_bytes: bytes,
            ..self
        }
    }

    /// Sets what to replay for an unknown `Last-Event-ID`.
    pub const fn on_miss(self, on_miss: OnMiss) -> Self {
        HubConfig { on_miss, ..self }
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig::new()
    }
}

/// Why an event was not published. Nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublishError {
    /// The event type or ID is invalid (CR, LF, or NUL in an ID).
    Encode(EncodeError),
    /// The hub is closed.
    Closed,
    /// The topic's name is invalid ([`check_name`]).
    Topic(TopicError),
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::Encode(error) => error.fmt(f),
            PublishError::Topic(error) => error.fmt(f),
            PublishError::Closed => f.write_str("hub closed"),
        }
    }
}

impl std::error::Error for PublishError {}

/// A fan-out hub: [`publish`](Hub::publish) encodes an event once and queues the same bytes
/// for every [`Subscription`]; the last events are kept in a replay window, so a subscriber
/// that comes back with a `Last-Event-ID` gets exactly the events it missed, in order, then
/// the new ones.
///
/// Topics put several feeds on one stream: [`publish_to`](Hub::publish_to) a named topic,
/// [`subscribe_to`](Hub::subscribe_to) a set of them, resumed together by one
/// `Last-Event-ID` (IDs are one count across topics).
///
/// Cheap to clone: clones share the hub. Publishing never waits: a subscriber whose backlog
/// is full is dropped ([`Ended::Lagged`]) rather than slowing the others down.
///
/// ```
/// use ssewire_futures::{Event, Hub, HubConfig};
///
/// # futures_lite::future::block_on(async {
/// let hub = Hub::new(HubConfig::new());
/// hub.publish(Event::new("one"))?; // gets id 1
/// let mut late = hub.subscribe(Some("1")); // missed nothing after 1
/// hub.publish(Event::new("two").event("news"))?;
/// assert_eq!(&*late.recv().await?, b"event: news\nid: 2\ndata: two\n\n");
/// let mut again = hub.subscribe(None); // new subscribers get only new events
/// hub.close();
/// assert!(again.recv().await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

struct Shared {
    config: HubConfig,
    /// The next id assigned to an event published without one. Held by a publication from
    /// numbering to delivery, so events go out in the order of their ids; it is not the
    /// state's lock, so encoding never holds up a subscription.
    next_id: Mutex<u64>,
    state: Mutex<State>,
}

struct State {
    window: Window,
    subscribers: Vec<Subscriber>,
    closed: bool,
    stats: HubStats,
}

/// A [`Hub`]'s counters at one moment, from [`Hub::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HubStats {
    /// Events published or sent.
    pub events: u64,
    /// Comments sent.
    pub comments: u64,
    /// Subscriptions made.
    pub subscriptions: u64,
    /// Subscribers disconnected for falling a backlog behind.
    pub evictions: u64,
    /// Subscriptions that resumed exactly after their `Last-Event-ID` (a replay hit).
    pub resumed: u64,
    /// Subscriptions whose `Last-Event-ID` was not in the window ([`Subscription::miss`]).
    pub misses: u64,
    /// Subscribers now.
    pub subscribers: usize,
    /// Events in the replay window now.
    pub retained: usize,
}

impl State {
    /// Forgets the subscribers that are gone.
    fn prune(&mut self) {
        self.subscribers
            .retain(|subscriber| !subscriber.queue.is_closed());
    }

    /// Queues `frame` for every subscriber it is `to`; one whose backlog (in publications, or
    /// in bytes: `max_bytes`) is full is disconnected.
    fn deliver(&mut self, frame: &Encoded, to: To<'_>, max_bytes: usize) {
        let mut evicted = 0;
        self.subscribers.retain(|subscriber| {
            let wanted = match to {
                To::Everyone => true,
                To::Topic(topic) => wants(subscriber.topics.as_ref(), topic),
            };
            if !wanted {
                return !subscriber.queue.is_closed();
            }
            let queued = subscriber.queued.load(Ordering::Relaxed);
            let full = queued > 0 && queued.saturating_add(frame.len()) > max_bytes;
            if !full {
                // Counted first: the subscriber may receive it before `try_send` returns.
                subscriber.queued.fetch_add(frame.len(), Ordering::Relaxed);
                match subscriber.queue.try_send(frame.clone()) {
                    Ok(()) => return true,
                    Err(async_channel::TrySendError::Closed(_)) => return false,
                    Err(async_channel::TrySendError::Full(_)) => {}
                }
            }
            evicted += 1;
            subscriber.lagged.store(true, Ordering::Relaxed);
            subscriber.queue.close();
            false
        });
        self.stats.evictions += evicted;
    }
}

/// Who a frame is for.
#[derive(Clone, Copy)]
enum To<'a> {
    /// Every subscriber: a comment.
    Everyone,
    /// The subscribers of this topic, and those without topics; `None` for an event of no
    /// topic, which only those without topics get.
    Topic(Option<&'a str>),
}

/// Whether a subscriber to `topics` (`None`: to everything) gets an event of `topic`.
fn wants(topics: Option<&Topics>, topic: Option<&str>) -> bool {
    match (topics, topic) {
        (None, _) => true,
        (Some(topics), Some(topic)) => topics.contains(topic),
        (Some(_), None) => false,
    }
}

struct Subscriber {
    queue: async_channel::Sender<Encoded>,
    lagged: Arc<AtomicBool>,
    /// Bytes queued and not received yet.
    queued: Arc<AtomicUsize>,
    /// The topics it gets; `None` for every event.
    topics: Option<Topics>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Hub")
            .field("config", &self.shared.config)
            .field("subscribers", &state.subscribers.len())
            .field("retained", &state.window.len())
            .field("closed", &state.closed)
            .finish()
    }
}

impl Hub {
    /// A hub with no subscribers and an empty replay window.
    #[must_use]
    pub fn new(config: HubConfig) -> Self {
        Hub {
            shared: Arc::new(Shared {
                config,
                next_id: Mutex::new(1),
                state: Mutex::new(State {
                    window: Window::new(config.replay_events, config.replay_bytes),
                    subscribers: Vec::new(),
                    closed: false,
                    stats: HubStats::default(),
                }),
            }),
        }
    }

    /// Publishes `event` to every subscriber and keeps it for replay; returns its ID.
    ///
    /// An event without an ID gets the next number of the hub's count (1, 2, …); one with an
    /// ID keeps it (a decimal ID moves the count past it). The event is encoded once. A
    /// subscriber whose backlog is full is disconnected. An event larger than the replay
    /// window is sent but not kept. To send an event without an ID, or to relay received
    /// events as they came, use [`send`](Hub::send).
    ///
    /// # Errors
    ///
    /// [`PublishError::Encode`] for an invalid event type or ID,
    /// [`PublishError::Closed`] after [`close`](Hub::close). Nothing is sent then.
    pub fn publish(&self, event: Event) -> Result<String, PublishError> {
        let id = self.fan_out(None, event, true)?;
        Ok(id.unwrap_or_default())
    }

    /// Publishes `event` to the subscribers of `topic` (and those without topics), as
    /// [`publish`](Hub::publish): numbered in the hub's one count of IDs, shared by every
    /// topic, and kept for replay. The topic is the event's type on the wire (`event:
    /// prices`): an event type set on `event` is replaced.
    ///
    /// # Errors
    ///
    /// [`PublishError::Topic`] for an invalid topic name, and those of
    /// [`publish`](Hub::publish). Nothing is sent then.
    pub fn publish_to(&self, topic: &str, event: Event) -> Result<String, PublishError> {
        let id = self.fan_out(Some(topic), event, true)?;
        Ok(id.unwrap_or_default())
    }

    /// Publishes `event` to every subscriber exactly as it is: the hub numbers nothing.
    /// Returns its ID, if it has one.
    ///
    /// An event with an ID is kept for replay as with [`publish`](Hub::publish). An event
    /// without one is written with no `id:` line and is live only: it is not kept in the
    /// replay window, so a client that reconnects never gets it again (nor twice: a browser's
    /// `Last-Event-ID` cannot point past it). This is the way to relay events received from
    /// another stream ([`Event::id`] is the `id` field of their own block, if any), and to
    /// send events that need no replay.
    ///
    /// # Errors
    ///
    /// As [`publish`](Hub::publish).
    pub fn send(&self, event: Event) -> Result<Option<String>, PublishError> {
        self.fan_out(None, event, false)
    }

    /// Sends `event` to the subscribers of `topic` (and those without topics) exactly as it
    /// is, as [`send`](Hub::send) does, with the topic as its event type.
    ///
    /// # Errors
    ///
    /// As [`publish_to`](Hub::publish_to).
    pub fn send_to(&self, topic: &str, event: Event) -> Result<Option<String>, PublishError> {
        self.fan_out(Some(topic), event, false)
    }

    /// Sends a comment to every subscriber (each line of `text` a comment line): a note for
    /// those watching the raw stream, or a keep-alive of your own. Live only, like an event
    /// without an ID: not kept for replay. Browsers show no comment to scripts.
    ///
    /// # Errors
    ///
    /// [`PublishError::Closed`] after [`close`](Hub::close).
    pub fn comment(&self, text: &str) -> Result<(), PublishError> {
        let bytes = crate::event::encode_comment(text).map_err(PublishError::Encode)?;
        let mut state = self.state();
        if state.closed {
            return Err(PublishError::Closed);
        }
        let max_bytes = self.shared.config.backlog_bytes;
        state.deliver(&bytes.into(), To::Everyone, max_bytes);
        state.stats.comments += 1;
        Ok(())
    }

    /// Encodes `event` of `topic` once (numbered first if `number` and it has no ID), keeps
    /// it for replay if it has an ID, and queues it for every subscriber it is for.
    fn fan_out(
        &self,
        topic: Option<&str>,
        mut event: Event,
        number: bool,
    ) -> Result<Option<String>, PublishError> {
        if let Some(topic) = topic {
            check_name(topic).map_err(PublishError::Topic)?;
            topic.clone_into(&mut event.event);
        }
        // Numbered, encoded and delivered in one turn, under the publications' own lock:
        // the state's is taken only to keep and queue the frame.
        let mut next_id = lock(&self.shared.next_id);
        if number && event.id.is_none() {
            event.id = Some(next_id.to_string());
        }
        let frame: Encoded = event.encode().map_err(PublishError::Encode)?.into();
        let mut state = self.state();
        if state.closed {
            return Err(PublishError::Closed);
        }
        if let Some(id) = &event.id {
            if let Ok(n) = id.parse::<u64>() {
                *next_id = (*next_id).max(n.saturating_add(1));
            }
            state.window.push(id, &frame, topic);
        }
        state.deliver(&frame, To::Topic(topic), self.shared.config.backlog_bytes);
        state.stats.events += 1;
        Ok(event.id)
    }

    /// A subscription to the events published from now on, after the events retained since
    /// `last_event_id` (the `Last-Event-ID` of a reconnecting client; `None` or empty for a
    /// new one, which gets no history, or the whole window with
    /// [`HubConfig::replay_to_new`]). An id not in the window is answered as
    /// [`HubConfig::on_miss`] says, and [`Subscription::miss`] tells it.
    ///
    /// Subscribing and publishing are ordered: no event is both replayed and sent, and none
    /// falls between the two. After [`close`](Hub::close) the subscription is ended at once.
    #[must_use]
    pub fn subscribe(&self, last_event_id: Option<&str>) -> Subscription {
        self.join(None, last_event_id)
    }

    /// A subscription to the events of `topics` only, as [`subscribe`](Hub::subscribe) gives
    /// every event: replay after `last_event_id` of the events of these topics, then those
    /// published to them, interleaved in the order published, and every comment. The IDs
    /// are the hub's one count, so one `Last-Event-ID` resumes every topic at once: the
    /// subscriber gets exactly the events of its topics it missed, none twice, none of
    /// other topics. An ID not in the window is answered by [`HubConfig::on_miss`], still
    /// only with events of these topics.
    ///
    /// A topic is its name: there are no unknown topics. One nobody has published to yet
    /// is an empty subscription, which gets its events once they come. Events published
    /// without a topic ([`publish`](Hub::publish), [`send`](Hub::send)) are not for it.
    #[must_use]
    pub fn subscribe_to(&self, topics: &Topics, last_event_id: Option<&str>) -> Subscription {
        self.join(Some(topics.clone()), last_event_id)
    }

    /// A subscription to `topics` (`None`: everything) after `last_event_id`.
    fn join(&self, topics: Option<Topics>, last_event_id: Option<&str>) -> Subscription {
        let mut state = self.state();
        state.prune();
        let config = &self.shared.config;
        let (queue, receiver) = async_channel::bounded(config.backlog.max(1));
        let mut miss = None;
        // Shared frames, a reference count each: the copy into one write happens in the
        // subscriber's own task (`poll_recv`), outside the lock.
        let catch_up = match last_event_id.filter(|id| !id.is_empty()) {
            None if config.replay_to_new => state.window.since(None, topics.as_ref()),
            None => Ok(VecDeque::new()),
            Some(id) => state.window.since(Some(id), topics.as_ref()),
        };
        let catch_up = match catch_up {
            Ok(frames) => {
                state.stats.resumed += u64::from(last_event_id.is_some_and(|id| !id.is_empty()));
                frames
            }
            Err(why) => {
                state.stats.misses += 1;
                miss = Some(why);
                match config.on_miss {
                    OnMiss::ReplayWindow => state
                        .window
                        .since(None, topics.as_ref())
                        .unwrap_or_default(),
                    OnMiss::Skip => VecDeque::new(),
                }
            }
        };
        state.stats.subscriptions += 1;
        let lagged = Arc::new(AtomicBool::new(false));
        let queued = Arc::new(AtomicUsize::new(0));
        if state.closed {
            queue.close();
        } else {
            state.subscribers.push(Subscriber {
                queue,
                lagged: lagged.clone(),
                queued: queued.clone(),
                topics,
            });
        }
        Subscription {
            catch_up,
            receiver: Box::pin(receiver),
            lagged,
            queued,
            miss,
        }
    }

    /// The hub's counters: events and comments sent, subscriptions, evictions, replay hits
    /// and misses, and its size now.
    #[must_use]
    pub fn stats(&self) -> HubStats {
        let mut state = self.state();
        state.prune();
        HubStats {
            subscribers: state.subscribers.len(),
            retained: state.window.len(),
            ..state.stats.clone()
        }
    }

    /// Subscribers now.
    #[must_use]
    pub fn subscribers(&self) -> usize {
        let mut state = self.state();
        state.prune();
        state.subscribers.len()
    }

    /// The ID of the newest event retained for replay.
    #[must_use]
    pub fn newest_id(&self) -> Option<String> {
        self.state().window.newest_id().map(str::to_owned)
    }

    /// Ends every subscription (each gets what it has queued, then [`Ended::Closed`]) and
    /// refuses new publications: the server's streams end cleanly.
    pub fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        for subscriber in state.subscribers.drain(..) {
            subscriber.queue.close();
        }
    }

    /// Whether [`close`](Hub::close) was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state().closed
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }
}

/// `mutex` locked; a panic elsewhere while it was held leaves nothing half done here.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why a [`Subscription`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ended {
    /// The hub was closed.
    Closed,
    /// The subscriber fell more than [`HubConfig::backlog`] publications behind and was
    /// dropped. Its client resumes from the replay window when it reconnects.
    Lagged,
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ended::Closed => "hub closed",
            Ended::Lagged => "subscriber too slow",
        })
    }
}

impl std::error::Error for Ended {}

/// The most bytes of replayed events [`Subscription::recv`] joins into one chunk: few writes
/// for a long replay, and little memory for each of many subscribers replaying at once.
pub const CATCH_UP_CHUNK: usize = 64 * 1024;

/// The next chunk of `frames`: as many whole frames as fit in [`CATCH_UP_CHUNK`] bytes, at
/// least one; a lone frame as it is, without a copy.
fn next_chunk(frames: &mut VecDeque<Encoded>) -> Option<Encoded> {
    let first = frames.pop_front()?;
    let mut len = first.len();
    let more = frames
        .iter()
        .take_while(|frame| {
            len = len.saturating_add(frame.len());
            len <= CATCH_UP_CHUNK
        })
        .count();
    if more == 0 {
        return Some(first);
    }
    let mut chunk = Vec::with_capacity(len.min(CATCH_UP_CHUNK));
    chunk.extend_from_slice(&first);
    for frame in frames.drain(..more) {
        chunk.extend_from_slice(&frame);
    }
    Some(chunk.into())
}

/// One subscriber's view of a [`Hub`]: the events it missed, then each one published.
#[derive(Debug)]
pub struct Subscription {
    /// The replayed frames not handed out yet.
    catch_up: VecDeque<Encoded>,
    /// Pinned: the receiver holds a listener that must not move once polled.
    receiver: Pin<Box<async_channel::Receiver<Encoded>>>,
    lagged: Arc<AtomicBool>,
    /// Bytes queued for it, less what it received: its backlog in bytes.
    queued: Arc<AtomicUsize>,
    miss: Option<Miss>,
}

impl Subscription {
    /// The next frames to write: first the replayed events, joined into chunks of up to
    /// [`CATCH_UP_CHUNK`] bytes (a larger event alone), then one publication at a time.
    ///
    /// # Errors
    ///
    /// [`Ended`] once the subscription is over; a lagging subscriber gets it at once, without
    /// the rest of its backlog.
    pub async fn recv(&mut self) -> Result<Encoded, Ended> {
        core::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Subscription::recv) as a poll: for a [`Stream`](futures_lite::Stream) or a
    /// future written by hand.
    ///
    /// # Errors
    ///
    /// As [`recv`](Subscription::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Encoded, Ended>> {
        if let Some(frames) = next_chunk(&mut self.catch_up) {
            return Poll::Ready(Ok(frames));
        }
        // A lagging subscriber's queue is closed: this returns at once, and its backlog is
        // not sent.
        let frames = ready!(self.receiver.as_mut().poll_next(cx));
        if self.lagged.load(Ordering::Relaxed) {
            return Poll::Ready(Err(Ended::Lagged));
        }
        let frames = frames.ok_or(Ended::Closed)?;
        self.queued.fetch_sub(frames.len(), Ordering::Relaxed);
        Poll::Ready(Ok(frames))
    }

    /// Why the `Last-Event-ID` could not be resumed from exactly, if it could not: an ID older
    /// than the window ([`Miss::Evicted`]) or not known ([`Miss::Unknown`]).
    #[must_use]
    pub fn miss(&self) -> Option<Miss> {
        self.miss
    }
}
