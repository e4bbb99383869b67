//! A subscription as a stream of body chunks, for serving a hub from another HTTP stack.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use ssewire::http::Framing;
use ssewire::replay::Miss;
use ssewire::server::Stream;

use super::{Encoded, Ended, Hub, Subscription, Topics};
use crate::rt::{millis, Clock, Runtime};
use crate::Item;

/// The interval of [`Frames`]' keep-alives unless told otherwise: 15 s, as the server's.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The keep-alive comment, one allocation shared by every [`Frames`].
static KEEP_ALIVE: LazyLock<Encoded> = LazyLock::new(|| {
    let stream = Stream::new(
        Framing::Close,
        None,
        ssewire::client::Instant::from_millis(0),
    );
    stream.keep_alive_bytes().into()
});

/// A subscription as the body of an event stream served by another HTTP stack (axum, hyper,
/// any framework that takes a [`Stream`](futures_lite::Stream) of byte chunks), from
/// [`Hub::frames`]: replay after the request's `Last-Event-ID`, then each publication, and a
/// keep-alive comment when idle, each as a chunk of body bytes ready to send.
///
/// Chunks are the hub's shared frames ([`Encoded`], an `Arc<[u8]>`): encoded once for all
/// subscribers, never copied here. Hand them to the framework without a copy either, with
/// `Bytes::from_owner(frames)` (bytes 1.9). The framework does the HTTP framing (chunked
/// encoding, HTTP/2 frames); set the head's [`STREAM_HEADERS`](ssewire::http::STREAM_HEADERS).
///
/// The stream ends (`None`) when the hub is closed. A subscriber that falls more than the
/// hub's backlog behind gets `Some(Err(Ended::Lagged))`, then `None`: the framework should
/// abort the response, and the client resumes from the replay window when it reconnects.
/// Keep-alives are timed by the runtime `R`'s timer, on any executor (smol's timer runs on a
/// thread of its own when no smol executor drives it, so `Frames<Smol>` works under tokio).
///
/// ```
/// use futures_lite::StreamExt;
/// use ssewire_futures::rt::Smol;
/// use ssewire_futures::{Event, Hub, HubConfig};
///
/// # futures_lite::future::block_on(async {
/// let hub = Hub::new(HubConfig::new());
/// hub.publish(Event::new("one"))?;
/// hub.publish(Event::new("two"))?;
/// // A client that comes back after event 1: the rest of the window, then live events.
/// let mut body = hub.frames::<Smol>(Some("1")).retry(3000);
/// assert_eq!(&*body.next().await.unwrap()?, b"retry: 3000\n\n");
/// assert_eq!(&*body.next().await.unwrap()?, b"id: 2\ndata: two\n\n");
/// hub.publish(Event::new("three"))?;
/// assert_eq!(&*body.next().await.unwrap()?, b"id: 3\ndata: three\n\n");
/// hub.close();
/// assert!(body.next().await.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Frames<R> {
    subscription: Subscription,
    /// The keep-alive schedule: the core's, close-delimited (the framework frames the body).
    stream: Stream,
    clock: Clock,
    /// Sent before anything else: a `retry` field.
    first: Option<Encoded>,
    /// The timer of the next keep-alive; it may fire early (events came since), then it is
    /// set again. In a mutex only to make `Frames` `Sync` (hyper's `BoxBody` asks for it):
    /// it is reached through `&mut self` alone, never locked.
    sleep: Option<Mutex<Pin<Box<dyn Future<Output = ()> + Send>>>>,
    done: bool,
    runtime: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for Frames<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frames")
            .field("subscription", &self.subscription)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A subscription after `last_event_id` (as [`subscribe`](Hub::subscribe)) as a
    /// [`Frames`] stream of body chunks with keep-alives every [`DEFAULT_KEEP_ALIVE`]: the
    /// body of an event stream served by axum, hyper or another framework.
    pub fn frames<R: Runtime>(&self, last_event_id: Option<&str>) -> Frames<R> {
        Frames::of(self.subscribe(last_event_id))
    }

    /// A subscription to `topics` after `last_event_id` (as
    /// [`subscribe_to`](Hub::subscribe_to)) as a [`Frames`] stream, as
    /// [`frames`](Hub::frames).
    pub fn frames_to<R: Runtime>(&self, topics: &Topics, last_event_id: Option<&str>) -> Frames<R> {
        Frames::of(self.subscribe_to(topics, last_event_id))
    }
}

impl<R: Runtime> Frames<R> {
    /// The body of `subscription`, with keep-alives every [`DEFAULT_KEEP_ALIVE`].
    fn of(subscription: Subscription) -> Self {
        let clock = Clock::new();
        Frames {
            subscription,
            stream: Stream::new(
                Framing::Close,
                Some(millis(DEFAULT_KEEP_ALIVE)),
                clock.now(),
            ),
            clock,
            first: None,
            sleep: None,
            done: false,
            runtime: PhantomData,
        }
    }

    /// Sets the keep-alive interval; `None` for no keep-alives.
    pub fn keep_alive(self, interval: Option<Duration>) -> Self {
        Frames {
            stream: Stream::new(Framing::Close, interval.map(millis), self.clock.now()),
            sleep: None,
            ..self
        }
    }

    /// Sends a `retry` field first: the client's reconnection time, in milliseconds.
    pub fn retry(self, milliseconds: u64) -> Self {
        let retry = Item::Retry(milliseconds).encode().unwrap_or_default();
        Frames {
            first: Some(retry.into()),
            ..self
        }
    }

    /// The subscription's [`miss`](Subscription::miss): whether the `Last-Event-ID` was not
    /// in the window.
    #[must_use]
    pub fn miss(&self) -> Option<Miss> {
        self.subscription.miss()
    }

    /// A chunk is sent now: the next keep-alive is due an interval later.
    fn sent(&mut self, chunk: Encoded) -> Poll<Option<Result<Encoded, Ended>>> {
        self.stream.handle_sent(self.clock.now());
        Poll::Ready(Some(Ok(chunk)))
    }
}

impl<R: Runtime> futures_lite::Stream for Frames<R> {
    type Item = Result<Encoded, Ended>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(first) = this.first.take() {
            return this.sent(first);
        }
        match this.subscription.poll_recv(cx) {
            Poll::Ready(Ok(frames)) => return this.sent(frames),
            Poll::Ready(Err(why)) => {
                this.done = true;
                return Poll::Ready((why == Ended::Lagged).then_some(Err(why)));
            }
            Poll::Pending => {}
        }
        // Nothing to send: a keep-alive when one is due, else wait for it.
        while let Some(due) = this.stream.poll_timeout() {
            if this.stream.poll_keep_alive(this.clock.now()).is_some() {
                this.sleep = None;
                return this.sent(KEEP_ALIVE.clone());
            }
            let wait = this.clock.until(due);
            let sleep = this
                .sleep
                .get_or_insert_with(|| Mutex::new(Box::pin(R::sleep(wait))));
            let sleep = sleep.get_mut().unwrap_or_else(PoisonError::into_inner);
            ready!(sleep.as_mut().poll(cx));
            this.sleep = None;
        }
        Poll::Pending
    }
}
