//! A `Stream` driven by an async block that hands items out one at a time.
//!
//! The adapter's readers and clients lend buffers to the embedded logic and yield items
//! borrowed from them; an async block may hold such borrows across `.await`, a struct may not.
//! So each stream here is an async block that owns its buffers and the borrowing reader, and
//! [`give`](Yielder::give)s each item, converted to an owned value, to the [`Generator`] that
//! polls it.

use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_lite::Stream;

type Slot<T> = Arc<Mutex<Option<T>>>;

fn lock<T>(slot: &Slot<T>) -> MutexGuard<'_, Option<T>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The stream of the items an async block gives.
pub(crate) struct Generator<T> {
    slot: Slot<T>,
    driver: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl<T> Generator<T> {
    /// The stream of what `body` gives to its [`Yielder`]; it ends when `body` returns.
    pub(crate) fn new<F, Fut>(body: F) -> Self
    where
        F: FnOnce(Yielder<T>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let slot = Arc::new(Mutex::new(None));
        let driver = body(Yielder { slot: slot.clone() });
        Generator {
            slot,
            driver: Some(Box::pin(driver)),
        }
    }

    /// Ends the stream now: the async block is dropped, with everything it holds.
    pub(crate) fn stop(&mut self) {
        self.driver = None;
        lock(&self.slot).take();
    }

    /// Whether the stream has ended.
    pub(crate) fn is_stopped(&self) -> bool {
        self.driver.is_none()
    }
}

impl<T> Stream for Generator<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let Some(driver) = self.driver.as_mut() else {
            return Poll::Ready(None);
        };
        // The block runs until it gives an item (and waits, without a waker, for it to be
        // taken: it is taken right here), waits for I/O, or returns.
        let done = driver.as_mut().poll(cx).is_ready();
        if done {
            self.driver = None;
        }
        match lock(&self.slot).take() {
            Some(item) => Poll::Ready(Some(item)),
            None if done => Poll::Ready(None),
            None => Poll::Pending,
        }
    }
}

/// The async block's end of a [`Generator`].
pub(crate) struct Yielder<T> {
    slot: Slot<T>,
}

impl<T> Yielder<T> {
    /// Hands `item` to the stream, and completes once it has been taken.
    pub(crate) async fn give(&self, item: T) {
        *lock(&self.slot) = Some(item);
        // Polled again only by the generator, after it took the item: no waker needed.
        poll_fn(|_| {
            if lock(&self.slot).is_some() {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
    }
}
