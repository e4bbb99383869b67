//! This crate's traits on [embassy-net](embassy_net) and [embassy-time](embassy_time)
//! (feature `embassy`).
//!
//! - [`Time`]: the [`Delay`] of [`accept`](crate::accept) and the [`Clock`] of an
//!   [`EventSource`](crate::EventSource), on embassy-time.
//! - [`Socket`], [`Connector`], [`Connection`]: the [`Connect`] of an
//!   [`EventSource`](crate::EventSource), opening TCP connections to a fixed endpoint, one at a
//!   time, on one embassy-net [`TcpSocket`] and its buffers, reused for every reconnection.
//! - [`close`]: ends a TCP connection so that the peer sees the end of the stream.
//! - [`Shared`] for an embassy-sync [`Mutex`] around a `RefCell<Replay<_>>`: a replay ring in
//!   a `static`, for [`EventStream`](crate::EventStream) and [`record`](crate::record).
//!
//! A server needs no adapter: [`TcpSocket`] implements `embedded_io_async::Read` and `Write`,
//! so it goes straight to [`accept`](crate::accept) and
//! [`EventWriter`](crate::EventWriter). Only its end needs care: an embassy-net socket
//! dropped right after [`TcpSocket::close`] is removed from the stack before its FIN is sent,
//! and the client never sees the end of the stream (it waits for its read timeout, or
//! forever). After [`EventWriter::finish`](crate::EventWriter::finish), call [`close`], which
//! closes and then waits for the FIN to be acknowledged.
//!
//! # Why a [`Socket`] and a [`Connector`]
//!
//! [`Connect::Connection`] is a type of its own, not a borrow of the [`Connect`]: the
//! [`EventSource`](crate::EventSource) keeps the connection next to the connector. An
//! embassy-net [`TcpSocket<'d>`](TcpSocket) borrows its buffers for `'d`, and a fresh socket
//! per connection would need fresh buffers each time (a socket never gives its buffers back).
//! So one socket is made once, in a [`Socket`] that lives outside the event source, and the
//! [`Connector`] holds a shared reference to it: each [`Connection`] borrows the socket for as
//! long as it lives (a `RefCell` borrow, checked at run time: no unsafe code), and gives it
//! back when dropped. smoltcp lets a closed socket connect again, so the buffers serve every
//! reconnection and the socket's settings (keep-alive, timeout, Nagle) stay.
//!
//! ```no_run
//! use ssewire_embedded::client::{Client, Config};
//! use ssewire_embedded::embassy::embassy_net::{IpEndpoint, Ipv4Address, Stack};
//! use ssewire_embedded::embassy::{Connector, Socket, Time};
//! use ssewire_embedded::EventSource;
//!
//! async fn follow(stack: Stack<'_>) {
//!     let (mut rx, mut tx) = ([0u8; 1024], [0u8; 256]);
//!     let socket = Socket::new(stack, &mut rx, &mut tx);
//!     let server = IpEndpoint::new(Ipv4Address::new(192, 168, 1, 2).into(), 8080);
//!     let connector = Connector::new(&socket, server);
//!     let (mut storage, mut buf) = ([0u8; 1024], [0u8; 512]);
//!     let client = Client::new(&mut storage[..], Config::new(), 0x5eed);
//!     let url = "http://sensors.local:8080/events";
//!     let Ok(mut source) = EventSource::new(client, connector, Time, &mut buf, url) else {
//!         return; // a URL that cannot be requested, or a buffer too small for it
//!     };
//!     while let Some(item) = source.next().await {
//!         let _ = item; // an event, a comment, a `retry` value, or an error to log
//!     }
//! }
//! ```

use core::cell::{RefCell, RefMut};
use core::fmt;
use core::net::Ipv4Addr;

use embassy_net::tcp::{self, State as TcpState, TcpSocket};
use embassy_net::{IpAddress, IpEndpoint, Stack};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_time::{with_timeout, Duration, Timer};
use embedded_io_async::{ErrorType, Read, Write};
use ssewire::replay::Replay;

use crate::client::{Clock, Connect, Instant, Origin, Target};
use crate::http::Scheme;
use crate::server::Delay;
use crate::stream::Shared;

/// The crates this module is built on, re-exported so that an application uses the same
/// versions.
pub use {embassy_net, embassy_sync, embassy_time};

/// embassy-time as a [`Delay`] ([`Timer::after_millis`]) and a [`Clock`]
/// ([`embassy_time::Instant::now`] in milliseconds, [`Timer::at`]).
///
/// Needs an embassy-time driver: the HAL's (embassy-stm32 feature `time-driver-any`, …), or
/// embassy-time's `std` feature on a host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Time;

impl Delay for Time {
    async fn delay_ms(&mut self, ms: u32) {
        Timer::after_millis(u64::from(ms)).await;
    }
}

impl Clock for Time {
    fn now(&self) -> Instant {
        Instant::from_millis(embassy_time::Instant::now().as_millis())
    }

    async fn sleep_until(&mut self, at: Instant) {
        Timer::at(embassy_time::Instant::from_millis(at.as_millis())).await;
    }
}

/// A replay ring behind a blocking mutex: it may be a `static`, and with a
/// `CriticalSectionRawMutex` it is shared with tasks of other executors too. Locked, and its
/// `RefCell` borrowed, for each call only.
impl<M: RawMutex, B: AsRef<[u8]> + AsMut<[u8]>> Shared for Mutex<M, RefCell<Replay<B>>> {
    type Storage = B;

    fn with<R>(&self, f: impl FnOnce(&mut Replay<B>) -> R) -> R {
        self.lock(|ring| f(&mut ring.borrow_mut()))
    }
}

/// An embassy-net TCP socket that a [`Connector`] lends to one [`Connection`] at a time.
///
/// It takes one socket slot of the stack's `StackResources` for as long as it lives, and
/// borrows the receive and transmit buffers. The receive buffer bounds how much of a stream
/// the stack holds before the reader takes it (1 KiB or more); the transmit buffer only holds
/// requests (256 bytes is plenty).
pub struct Socket<'d> {
    socket: RefCell<TcpSocket<'d>>,
}

impl fmt::Debug for Socket<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.socket.try_borrow().map(|socket| socket.state());
        f.debug_struct("Socket")
            .field("state", &state.ok())
            .finish()
    }
}

impl<'d> Socket<'d> {
    /// A socket on `stack` with these buffers.
    pub fn new(stack: Stack<'d>, rx_buffer: &'d mut [u8], tx_buffer: &'d mut [u8]) -> Self {
        Socket::from(TcpSocket::new(stack, rx_buffer, tx_buffer))
    }

    /// The socket, to set its keep-alive interval, timeout or Nagle's algorithm: the
    /// settings stay for every connection.
    pub fn get_mut(&mut self) -> &mut TcpSocket<'d> {
        self.socket.get_mut()
    }

    /// Hands back the socket.
    pub fn into_inner(self) -> TcpSocket<'d> {
        self.socket.into_inner()
    }

    /// Ends the last connection so that the server sees it end, as [`close`]: call it after
    /// the [`Connection`] is dropped (after [`EventSource::close`](crate::EventSource::close),
    /// say) and before dropping the socket. Dropping a [`Connection`] only starts closing:
    /// its FIN goes out while the socket stays in the stack, and dropping the socket at once
    /// removes it before that. A socket with no connection left is done at once.
    ///
    /// # Errors
    ///
    /// [`CloseError::Busy`] if a [`Connection`] still has the socket; otherwise as [`close`].
    #[allow(
        clippy::await_holding_refcell_ref,
        reason = "held while closing so that no connection opens meanwhile; others use try_borrow"
    )]
    pub async fn close(&self, timeout: Duration) -> Result<(), CloseError> {
        let mut socket = self.socket.try_borrow_mut().map_err(|_| CloseError::Busy)?;
        if socket.state() == TcpState::Closed && socket.remote_endpoint().is_none() {
            return Ok(());
        }
        close(&mut socket, timeout).await
    }
}

impl<'d> From<TcpSocket<'d>> for Socket<'d> {
    fn from(socket: TcpSocket<'d>) -> Self {
        Socket {
            socket: RefCell::new(socket),
        }
    }
}

/// The time a [`Connector`] gives a connection to open, by default: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest a [`Connector`] waits for the RST that ends what is left of a previous
/// connection.
const RESET_TIMEOUT: Duration = Duration::from_millis(500);

/// A [`Connect`] that opens TCP connections to one endpoint, on a [`Socket`].
///
/// [`connect`](Connect::connect) first ends what is left of the previous connection (a
/// connection still closing is aborted, and the RST given up to 500 ms to go out), then
/// connects within the [`connect_timeout`](Connector::connect_timeout).
///
/// The endpoint serves the host of the [`EventSource`](crate::EventSource)'s URL. Redirects,
/// resolved by the core against that URL, are followed without DNS:
///
/// - to the URL's host and port (host ASCII case ignored): the endpoint; to another port of
///   that host: the endpoint's address on that port;
/// - to an IPv4 literal (`http://192.168.1.7:8080/events`): there;
/// - anything else (another host name, an IPv6 literal, a scheme other than `http` such as
///   `https`) is refused with [`ConnectError::Redirect`].
#[derive(Debug)]
pub struct Connector<'a, 'd> {
    socket: &'a Socket<'d>,
    endpoint: IpEndpoint,
    connect_timeout: Duration,
}

impl<'a, 'd> Connector<'a, 'd> {
    /// A connector to `endpoint` (the address of the URL's host) on `socket`.
    pub fn new(socket: &'a Socket<'d>, endpoint: IpEndpoint) -> Self {
        Connector {
            socket,
            endpoint,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// The time to open a connection; past it,
    /// [`ConnectError::Timeout`]. Default: [`DEFAULT_CONNECT_TIMEOUT`].
    #[must_use]
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        Connector {
            connect_timeout: timeout,
            ..self
        }
    }
}

/// The endpoint to connect to for `target`, from a connector to `endpoint` serving the
/// original URL's host; see [`Connector`].
fn resolve(target: &Target<'_>, endpoint: IpEndpoint) -> Result<IpEndpoint, ConnectError> {
    let url = target.url;
    if url.scheme != Scheme::Http {
        return Err(ConnectError::Redirect);
    }
    if let Some(via) = target.proxy() {
        // A forward proxy (a tunnel is for https://, refused above), at an address: no DNS.
        return match via.proxy.host.parse::<Ipv4Addr>() {
            Ok(addr) if !via.tunnel => Ok(IpEndpoint::new(IpAddress::Ipv4(addr), via.proxy.port)),
            _ => Err(ConnectError::Proxy),
        };
    }
    match target.origin {
        // The endpoint is where the URL's host and port are (its own port may differ: a NAT).
        Origin::Same => Ok(endpoint),
        Origin::SameHost => Ok(IpEndpoint::new(endpoint.addr, url.port)),
        Origin::Other => match url.host.parse::<Ipv4Addr>() {
            Ok(addr) => Ok(IpEndpoint::new(IpAddress::Ipv4(addr), url.port)),
            Err(_) => Err(ConnectError::Redirect),
        },
    }
}

impl<'a, 'd> Connect for Connector<'a, 'd> {
    type Connection = Connection<'a, 'd>;
    type Error = ConnectError;

    #[allow(
        clippy::await_holding_refcell_ref,
        reason = "the borrow is the lease of the socket to the connection; others use try_borrow"
    )]
    async fn connect(&mut self, target: Target<'_>) -> Result<Connection<'a, 'd>, ConnectError> {
        let endpoint = resolve(&target, self.endpoint)?;
        let socket = self.socket.socket.try_borrow_mut();
        let mut socket = socket.map_err(|_| ConnectError::Busy)?;
        if !matches!(socket.state(), TcpState::Closed | TcpState::TimeWait)
            || socket.remote_endpoint().is_some()
        {
            // What is left of the previous connection: reset it, and give the RST a moment to
            // go out before the socket forgets the connection (it never goes out to a peer
            // whose address did not resolve).
            socket.abort();
            let _ = with_timeout(RESET_TIMEOUT, socket.flush()).await;
        }
        let opened = with_timeout(self.connect_timeout, socket.connect(endpoint)).await;
        match opened {
            Ok(Ok(())) => Ok(Connection { socket }),
            Ok(Err(error)) => {
                socket.abort();
                Err(ConnectError::Tcp(error))
            }
            Err(_) => {
                socket.abort();
                Err(ConnectError::Timeout)
            }
        }
    }
}

/// Why a [`Connector`] could not open a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectError {
    /// The socket is still lent to a [`Connection`] not dropped yet.
    Busy,
    /// A redirect target the connector does not follow: see [`Connector`].
    Redirect,
    /// A proxy the connector cannot reach: one named by a host name (there is no DNS here;
    /// give its IPv4 address) (feature `proxy`).
    Proxy,
    /// The connection did not open within the
    /// [`connect_timeout`](Connector::connect_timeout).
    Timeout,
    /// embassy-net could not open the connection: refused (RST), no route, …
    Tcp(tcp::ConnectError),
}

/// [`Tcp`](ConnectError::Tcp) displays as a short phrase and gives the embassy-net error as its
/// [`source`](core::error::Error::source).
impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectError::Busy => "socket still in use",
            ConnectError::Redirect => "redirect target not followed",
            ConnectError::Proxy => "proxy not reachable without dns",
            ConnectError::Timeout => "connection not opened in time",
            ConnectError::Tcp(_) => "tcp connection failed",
        })
    }
}

impl core::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ConnectError::Tcp(error) => Some(error),
            _ => None,
        }
    }
}

/// A connection opened by a [`Connector`]: its [`Socket`], borrowed until dropped.
///
/// Dropping it starts closing the connection gracefully ([`TcpSocket::close`]): the socket
/// stays in the stack, so its FIN goes out as the stack runs, and the next
/// [`connect`](Connect::connect) aborts whatever has not finished closing by then. To be sure
/// the server saw the end (before dropping the [`Socket`]), [`close`](Connection::close) it,
/// or call [`Socket::close`] after dropping it.
pub struct Connection<'a, 'd> {
    socket: RefMut<'a, TcpSocket<'d>>,
}

impl fmt::Debug for Connection<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("state", &self.socket.state())
            .field("remote", &self.socket.remote_endpoint())
            .finish()
    }
}

impl<'d> Connection<'_, 'd> {
    /// The socket, for its state and endpoints.
    pub fn socket(&mut self) -> &mut TcpSocket<'d> {
        &mut self.socket
    }

    /// Ends the connection so that the server sees it end, and gives the socket back: see
    /// [`close`].
    ///
    /// # Errors
    ///
    /// As [`close`].
    pub async fn close(mut self, timeout: Duration) -> Result<(), CloseError> {
        close(&mut self.socket, timeout).await
    }
}

impl Drop for Connection<'_, '_> {
    fn drop(&mut self) {
        self.socket.close();
    }
}

impl ErrorType for Connection<'_, '_> {
    type Error = tcp::Error;
}

impl Read for Connection<'_, '_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, tcp::Error> {
        self.socket.read(buf).await
    }
}

impl Write for Connection<'_, '_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, tcp::Error> {
        self.socket.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), tcp::Error> {
        self.socket.flush().await
    }
}

/// Why [`close`] did not end a connection gracefully.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseError {
    /// The peer did not acknowledge the end of the stream in time; the connection was
    /// aborted (a RST is sent if the socket is not dropped at once).
    Timeout,
    /// The connection was reset.
    Reset,
    /// [`Socket::close`]: a [`Connection`] still has the socket.
    Busy,
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseError::Timeout => "end of stream not acknowledged in time",
            CloseError::Reset => "connection reset",
            CloseError::Busy => "socket still in use",
        })
    }
}

impl core::error::Error for CloseError {}

/// Ends a connection so that the peer sees the end of the stream: closes the socket's write
/// half ([`TcpSocket::close`]: a FIN after the data still queued), then waits, at most
/// `timeout`, until the peer has acknowledged the data and the FIN ([`TcpSocket::flush`]).
///
/// Call it after [`EventWriter::finish`](crate::EventWriter::finish) (which writes the last
/// chunk and flushes, but cannot close a generic connection) and before dropping or reusing
/// the socket: a socket dropped right after `close` leaves the stack before the FIN is sent.
///
/// # Errors
///
/// [`CloseError::Timeout`] if the peer did not acknowledge in time (a dead or stalled client):
/// the socket is aborted then. [`CloseError::Reset`] if the connection was reset.
pub async fn close(socket: &mut TcpSocket<'_>, timeout: Duration) -> Result<(), CloseError> {
    socket.close();
    match with_timeout(timeout, socket.flush()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(tcp::Error::ConnectionReset)) => Err(CloseError::Reset),
        Err(_) => {
            socket.abort();
            Err(CloseError::Timeout)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Url;

    /// A forward proxy at an address is where the connection goes; one by name cannot be.
    #[cfg(feature = "proxy")]
    #[test]
    fn resolve_a_proxy() {
        let own = IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::new(192, 0, 2, 1)), 8080);
        let url = Url::parse("http://sensors.local:8080/events").unwrap();
        let via = |proxy| {
            let mut target = Target::new(url, &url);
            target.via = Some(ssewire::client::Via {
                proxy: Url::parse(proxy).unwrap(),
                tunnel: false,
                authorization: "",
            });
            resolve(&target, own)
        };
        let at = IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::new(10, 0, 0, 3)), 3128);
        assert_eq!(via("http://10.0.0.3:3128"), Ok(at));
        assert_eq!(via("http://proxy.local:3128"), Err(ConnectError::Proxy));
    }

    #[test]
    fn resolve_redirect_target() {
        let own = IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::new(192, 0, 2, 1)), 8080);
        let at =
            |a, b, c, d, port| IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::new(a, b, c, d)), port);
        // Through the core's resolution of `Location`, as the session makes connections.
        let to = |location: Option<&str>, url: &str| {
            let origin = Url::parse(url).unwrap();
            let url = match location {
                Some(location) => origin.join(location).map_err(|_| ConnectError::Redirect)?,
                None => origin,
            };
            resolve(&Target::new(url, &origin), own)
        };
        let r = |location| to(location, "http://Sensors.local:8080/events");
        assert_eq!(r(None), Ok(own));
        assert_eq!(r(Some("/other?x=1")), Ok(own));
        // Not resolved by the core: the session never asks to connect for it.
        assert_eq!(r(Some("relative")), Err(ConnectError::Redirect));
        assert_eq!(r(Some("http://sensors.LOCAL:8080/s")), Ok(own));
        assert_eq!(r(Some("//sensors.local:8080")), Ok(own));
        assert_eq!(r(Some("HTTP://sensors.local/s")), Ok(at(192, 0, 2, 1, 80)));
        assert_eq!(
            r(Some("http://sensors.local:9000?q")),
            Ok(at(192, 0, 2, 1, 9000))
        );
        assert_eq!(r(Some("http://192.0.2.7/s#f")), Ok(at(192, 0, 2, 7, 80)));
        assert_eq!(r(Some("http://192.0.2.7:81")), Ok(at(192, 0, 2, 7, 81)));
        assert_eq!(
            r(Some("http://other.example/s")),
            Err(ConnectError::Redirect)
        );
        assert_eq!(
            r(Some("https://sensors.local:8080/s")),
            Err(ConnectError::Redirect)
        );
        assert_eq!(
            r(Some("http://[2001:db8::1]/s")),
            Err(ConnectError::Redirect)
        );
        assert_eq!(
            r(Some("http://192.0.2.7:99999/")),
            Err(ConnectError::Redirect)
        );
        // From a URL with an IP literal, only IP literals.
        let ip = "http://192.0.2.1:8080/events";
        assert_eq!(
            to(Some("http://sensors.local/"), ip),
            Err(ConnectError::Redirect)
        );
        assert_eq!(to(Some("http://192.0.2.7/"), ip), Ok(at(192, 0, 2, 7, 80)));
        assert_eq!(to(Some("/moved"), ip), Ok(own));
    }
}
