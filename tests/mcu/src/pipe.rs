//! A connection with trivial I/O futures, for the size probes (`bin/footprint.rs`,
//! `bin/sizes.rs`): it reads from a static slice and writes into `black_box`, so that nothing
//! is folded away. For the client, a [`Connect`] that opens such a connection and a [`Clock`]
//! that stands still; for an event stream, [`Items`] that end at once.

use core::convert::Infallible;
use core::hint::black_box;

use embedded_io_async::{ErrorType, Read, Write};
use ssewire_embedded::client::Instant;
use ssewire_embedded::{Clock, Connect, Item, Items, Target};

/// A connection that reads from a static slice and writes into `black_box`.
pub struct Pipe(pub &'static [u8]);

impl ErrorType for Pipe {
    type Error = Infallible;
}

impl Read for Pipe {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(black_box(n))
    }
}

impl Write for Pipe {
    async fn write(&mut self, data: &[u8]) -> Result<usize, Infallible> {
        Ok(black_box(data).len())
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Opens a [`Pipe`] over the same response at every connect.
pub struct Dial(pub &'static [u8]);

impl Connect for Dial {
    type Connection = Pipe;
    type Error = Infallible;

    async fn connect(&mut self, target: Target<'_>) -> Result<Pipe, Infallible> {
        black_box(target);
        Ok(Pipe(black_box(self.0)))
    }
}

/// A clock that always says 0 and never waits.
pub struct Still;

impl Clock for Still {
    fn now(&self) -> Instant {
        black_box(Instant::from_millis(0))
    }

    async fn sleep_until(&mut self, at: Instant) {
        black_box(at);
    }
}

/// Live items that end at once.
pub struct Done;

impl Items for Done {
    async fn next(&mut self) -> Option<Item<'_>> {
        black_box(None)
    }
}
