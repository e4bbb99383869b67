//! What the loopback tests share: a runtime to block on, and a bound on each test.

#![allow(dead_code, reason = "each test file uses its part")]

use std::future::Future;
use std::time::Duration;

use futures_lite::future::or;
use ssewire_futures::rt::Runtime;

#[cfg(feature = "tls")]
pub(crate) mod tls;

/// A runtime the tests can block on.
pub(crate) trait Rt: Runtime + Sized {
    fn block_on<T>(future: impl Future<Output = T>) -> T;
}

#[cfg(feature = "smol")]
impl Rt for ssewire_futures::rt::Smol {
    fn block_on<T>(future: impl Future<Output = T>) -> T {
        smol::block_on(future)
    }
}

#[cfg(feature = "async-std")]
impl Rt for ssewire_futures::rt::AsyncStd {
    fn block_on<T>(future: impl Future<Output = T>) -> T {
        async_std::task::block_on(future)
    }
}

/// Runs `test` on `R`, failing it if it takes more than 60 s.
pub(crate) fn run<R: Rt>(test: impl Future<Output = ()>) {
    R::block_on(or(test, async {
        R::sleep(Duration::from_secs(60)).await;
        panic!("test timed out");
    }));
}
