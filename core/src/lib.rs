#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

#[cfg(test)]
extern crate std;

pub mod client;
mod counted;
pub mod encode;
pub mod http;
pub mod parse;
pub mod replay;
mod scan;
pub mod server;
mod utf8;
