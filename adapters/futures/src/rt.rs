//! What a runtime supplies: sockets, timers and a way to spawn tasks. `Smol` and
//! `AsyncStd` are the two implementations; everything else in this crate is written once
//! over [`Runtime`].

use core::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};

/// A runtime: its TCP sockets, its timer and its spawner. Implemented by the zero-sized
/// `Smol` (feature `smol`) and `AsyncStd` (feature `async-std`); implement it to run on another
/// futures-io runtime.
pub trait Runtime: Send + Sync + 'static {
    /// A connected TCP socket.
    type TcpStream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// A listening TCP socket.
    type TcpListener: Send + Sync + 'static;

    /// Completes after `duration`.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static;

    /// Resolves `host` (a name, or an IP address literal without brackets) with the runtime's
    /// resolver and connects to the first address that accepts, on `port`.
    fn connect(host: &str, port: u16) -> impl Future<Output = io::Result<Self::TcpStream>> + Send;

    /// Takes over a bound and listening standard socket (nonblocking from now on).
    ///
    /// # Errors
    ///
    /// The runtime could not register the socket.
    fn listener(listener: std::net::TcpListener) -> io::Result<Self::TcpListener>;

    /// Accepts the next connection.
    fn accept(
        listener: &Self::TcpListener,
    ) -> impl Future<Output = io::Result<(Self::TcpStream, SocketAddr)>> + Send + '_;

    /// Runs `future` to completion in the background.
    fn spawn(future: impl Future<Output = ()> + Send + 'static);

    /// Shuts down the sending half of `stream`: the peer reads the end of the stream, while
    /// this side can still read. (`AsyncWrite::close` does not do it on every runtime.)
    ///
    /// # Errors
    ///
    /// The socket's `shutdown` failed (the connection is gone, say).
    fn shutdown_write(stream: &Self::TcpStream) -> io::Result<()>;

    /// Turns Nagle's algorithm off on `stream` (`TCP_NODELAY`): an event goes out at once,
    /// not when the previous one is acknowledged. The server sets it on every connection it
    /// accepts.
    ///
    /// # Errors
    ///
    /// The socket's `setsockopt` failed.
    fn set_nodelay(stream: &Self::TcpStream) -> io::Result<()>;
}

/// The [smol](https://docs.rs/smol) runtime: `smol::net` sockets, `smol::Timer`, and tasks on
/// smol's global executor.
#[cfg(feature = "smol")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Smol;

#[cfg(feature = "smol")]
impl Runtime for Smol {
    type TcpStream = smol::net::TcpStream;
    type TcpListener = smol::net::TcpListener;

    async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }

    fn connect(host: &str, port: u16) -> impl Future<Output = io::Result<Self::TcpStream>> + Send {
        let host = host.to_owned();
        async move { smol::net::TcpStream::connect((host.as_str(), port)).await }
    }

    fn listener(listener: std::net::TcpListener) -> io::Result<Self::TcpListener> {
        smol::net::TcpListener::try_from(listener)
    }

    fn accept(
        listener: &Self::TcpListener,
    ) -> impl Future<Output = io::Result<(Self::TcpStream, SocketAddr)>> + Send + '_ {
        listener.accept()
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        smol::spawn(future).detach();
    }

    fn shutdown_write(stream: &Self::TcpStream) -> io::Result<()> {
        stream.shutdown(std::net::Shutdown::Write)
    }

    fn set_nodelay(stream: &Self::TcpStream) -> io::Result<()> {
        stream.set_nodelay(true)
    }
}

/// The [async-std](https://docs.rs/async-std) runtime: `async_std::net` sockets,
/// `async_std::task::sleep`, and `async_std::task::spawn`.
///
/// async-std is discontinued upstream (RUSTSEC-2025-0052); prefer `Smol` for new code.
#[cfg(feature = "async-std")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AsyncStd;

#[cfg(feature = "async-std")]
impl Runtime for AsyncStd {
    type TcpStream = async_std::net::TcpStream;
    type TcpListener = async_std::net::TcpListener;

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        async_std::task::sleep(duration)
    }

    fn connect(host: &str, port: u16) -> impl Future<Output = io::Result<Self::TcpStream>> + Send {
        let host = host.to_owned();
        async move { async_std::net::TcpStream::connect((host.as_str(), port)).await }
    }

    fn listener(listener: std::net::TcpListener) -> io::Result<Self::TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(async_std::net::TcpListener::from(listener))
    }

    fn accept(
        listener: &Self::TcpListener,
    ) -> impl Future<Output = io::Result<(Self::TcpStream, SocketAddr)>> + Send + '_ {
        listener.accept()
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        drop(async_std::task::spawn(future));
    }

    fn shutdown_write(stream: &Self::TcpStream) -> io::Result<()> {
        stream.shutdown(std::net::Shutdown::Write)
    }

    fn set_nodelay(stream: &Self::TcpStream) -> io::Result<()> {
        stream.set_nodelay(true)
    }
}

/// The time of a stream as the core counts it: milliseconds since it started.
#[derive(Clone, Copy)]
pub(crate) struct Clock(std::time::Instant);

impl Clock {
    pub(crate) fn new() -> Self {
        Clock(std::time::Instant::now())
    }

    pub(crate) fn now(&self) -> ssewire::client::Instant {
        let ms = u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX);
        ssewire::client::Instant::from_millis(ms)
    }

    /// The time from now until `at` (none if past).
    pub(crate) fn until(&self, at: ssewire::client::Instant) -> Duration {
        Duration::from_millis(at.saturating_duration_since(self.now()).as_millis())
    }
}

/// `duration` in the core's milliseconds (saturating).
pub(crate) fn millis(duration: Duration) -> ssewire::client::Duration {
    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    ssewire::client::Duration::from_millis(ms)
}
