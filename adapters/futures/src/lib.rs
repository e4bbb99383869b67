#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// A `tracing` event with feature `tracing`; nothing without.
macro_rules! event {
    ($level:ident, $($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        tracing::$level!($($arg)*);
    }};
}

pub mod client;
mod error;
mod event;
pub mod hub;
#[cfg(feature = "gzip")]
mod inflate;
mod proxy;
pub mod rt;
pub mod server;
mod stream;
#[cfg(feature = "tls")]
mod tls;

pub use client::EventSource;
pub use event::{Event, Item};
pub use hub::{Frames, Hub, HubConfig, HubStats, Subscription, Topics};
pub use stream::{EventStream, EventWriter, ReadConfig};

pub use error::{ReadError, SendError};
/// The core, re-exported: parser, encoder, HTTP heads.
pub use ssewire::{encode, http, parse};
