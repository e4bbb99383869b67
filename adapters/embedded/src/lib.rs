#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
#[cfg(feature = "embassy")]
pub mod embassy;
mod error;
mod reader;
mod server;
mod stream;
mod writer;

pub use client::{Clock, Connect, EventSource, SourceError, Target, Update};
pub use error::{AcceptError, ReadError, RecordError, SendError};
pub use reader::EventReader;
pub use server::{accept, read_request, Accepted, Config, Delay, Incoming, NoDelay, MAX_HEADERS};
pub use stream::{record, End, EventStream, Item, Items, Replayed, Shared};
pub use writer::{EventWriter, CHUNK_OVERHEAD};

/// The core crate, re-exported: events to send ([`encode::Event`]), items read
/// ([`parse::Item`]), framing and CORS ([`http::Framing`], [`http::Cors`]), the replay ring
/// ([`replay::Replay`]).
pub use ssewire::{encode, http, parse, replay};
