//! What several test files share.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::vec::Vec;

use ssewire_embedded::client::Instant;
use ssewire_embedded::Clock;

/// Virtual time: sleeping jumps to the instant slept until, and is recorded.
#[derive(Clone, Default)]
pub(crate) struct VirtualClock {
    /// The time now, in milliseconds.
    pub(crate) now: Rc<Cell<u64>>,
    /// The instants slept until, in order.
    pub(crate) sleeps: Rc<RefCell<Vec<u64>>>,
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.now.get())
    }

    async fn sleep_until(&mut self, at: Instant) {
        self.sleeps.borrow_mut().push(at.as_millis());
        self.now.set(self.now.get().max(at.as_millis()));
    }
}
