#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[allow(
    clippy::unnecessary_map_or,
    reason = "`is_none_or` (Rust 1.82) is within reach since the MSRV became 1.85; the client takes it up in its rewrite"
)]
pub mod client;
mod event;
mod generator;
pub mod hub;
pub mod rt;
pub mod server;
mod stream;

pub use client::EventSource;
pub use event::Event;
pub use hub::{Hub, HubConfig, Subscription};
pub use stream::{EventSink, EventStream, ReadConfig};

/// The core, re-exported: parser, encoder, HTTP heads.
pub use ssewire::{encode, http, parse};
/// The error of the streams, sinks and connections of this crate: `Error<std::io::Error>`.
pub use ssewire_embedded::Error;
