//! Building blocks of the `wire` benchmark, which measures ssewire next to other SSE crates.
//!
//! - [`corpus`]: the event streams fed to every parser, with what a correct parser must report.
//! - [`parsers`]: one function per parser, each consuming a corpus in fixed-size chunks through
//!   that crate's own API and returning a [`Digest`] of what it saw.
//! - [`encoders`]: one function per encoder, each writing the same events into one buffer.
//! - [`measure`]: warm-up, repeated timed runs, median, heap allocations.
//! - [`report`]: Markdown tables.
//!
//! The benchmark itself (`benches/wire.rs`) times the runs and prints the tables; the
//! `count-allocs` program (`src/bin/count-allocs.rs`) counts allocations under a counting
//! allocator, in its own process. See `README.md` for how to run it and for results.

pub mod corpus;
pub mod encoders;
pub mod measure;
pub mod parsers;
pub mod report;

/// What a parser reported over a whole corpus: enough to tell a correct parse from a wrong one
/// without storing the events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Digest {
    /// Events dispatched (blocks with data).
    pub events: u64,
    /// Bytes of data, summed over the events (LFs joining lines included).
    pub data_bytes: u64,
    /// Bytes of the events' ids, summed.
    pub id_bytes: u64,
    /// Events whose type was the one the corpus sets.
    pub typed: u64,
    /// Errors the parser reported.
    pub errors: u64,
}

impl Digest {
    /// Counts one event: whether its type is the expected one, its data and id lengths.
    pub fn add(&mut self, typed: bool, data_len: usize, id_len: usize) {
        self.events += 1;
        self.data_bytes += data_len as u64;
        self.id_bytes += id_len as u64;
        self.typed += u64::from(typed);
    }

    /// How `self` differs from `expected`, in a few words; `None` if it does not.
    #[must_use]
    pub fn mismatch(&self, expected: &Digest) -> Option<String> {
        if self == expected {
            return None;
        }
        let mut parts = Vec::new();
        if self.events != expected.events {
            parts.push(format!(
                "{} events, expected {}",
                report::thousands(self.events),
                report::thousands(expected.events)
            ));
        }
        if self.typed != self.events {
            parts.push(format!(
                "{} with the wrong event type",
                report::thousands(self.events - self.typed.min(self.events))
            ));
        }
        if self.data_bytes != expected.data_bytes {
            parts.push(format!(
                "{} data bytes, expected {}",
                report::thousands(self.data_bytes),
                report::thousands(expected.data_bytes)
            ));
        }
        if self.id_bytes != expected.id_bytes {
            parts.push(format!(
                "{} id bytes, expected {}",
                report::thousands(self.id_bytes),
                report::thousands(expected.id_bytes)
            ));
        }
        if self.errors != 0 {
            parts.push(format!("{} errors", report::thousands(self.errors)));
        }
        Some(parts.join("; "))
    }
}
