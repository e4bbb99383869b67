#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
mod error;
mod reader;
mod server;
mod writer;

pub use client::{Clock, Connect, EventSource, SourceError};
pub use error::Error;
pub use reader::EventReader;
pub use server::{accept, Accepted, Config, Delay, NoDelay, MAX_HEADERS};
pub use writer::{EventWriter, CHUNK_OVERHEAD};

/// The core crate, re-exported: events to send ([`encode::Event`]), items read
/// ([`parse::Item`]), framing and CORS ([`http::Framing`], [`http::Cors`]).
pub use ssewire::{encode, http, parse};
