//! Host-side integration tests of ssewire, across crates: adapters over loopback, interop with
//! other implementations, browsers. Not published.
//!
//! For now it holds the root README's snippets as doctests, so the README stays true.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct RootReadme;
