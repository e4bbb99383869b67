//! What the loopback tests share: a runtime to block on, and a bound on each test.

#![allow(dead_code, reason = "each test file uses its part")]

use std::future::Future;
use std::time::Duration;

use futures_lite::future::or;
use futures_lite::{AsyncRead, AsyncReadExt};
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

/// Reads a head from `io` a byte at a time, so that nothing after it is read: the bytes up to
/// and with the blank line, or those read before the connection ended (`Err`).
pub(crate) async fn read_head(io: &mut (impl AsyncRead + Unpin)) -> Result<Vec<u8>, Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        if io.read_exact(&mut byte).await.is_err() {
            return Err(head);
        }
        head.push(byte[0]);
    }
    Ok(head)
}
