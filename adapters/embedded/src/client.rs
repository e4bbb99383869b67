//! The client side: [`EventSource`], a reconnecting event stream driving the core
//! [`Client`], and the core client's types it uses.

use core::fmt;

use embassy_futures::select::{select, Either, Select};
use embedded_io_async::{ErrorType, Read, Write};
pub use ssewire::client::{
    Client, Config, Duration, Error, Failure, Instant, Origin, Output, Request, Session, State,
    Target, Update, DEFAULT_RETRY,
};
use ssewire::parse::Item;

/// A way to open connections, supplied by the platform (a TCP socket from embassy-net, with
/// TLS on top if need be).
///
/// Futures on embedded executors are polled on one thread, so the returned future is not
/// required to be `Send`.
#[allow(async_fn_in_trait)]
pub trait Connect {
    /// An open connection.
    type Connection: Read + Write;
    /// Why a connection could not be opened.
    type Error;

    /// Opens a connection to `target.url`'s host and port, in its scheme: the original URL,
    /// or one a redirect named (the core has resolved it; [`Target::origin`] tells a
    /// connector without DNS whether it is the same host).
    ///
    /// # Errors
    ///
    /// Any error opening the connection, or a target it will not go to (another scheme than
    /// it speaks, a host it cannot resolve); the [`EventSource`] reports it and retries later.
    async fn connect(&mut self, target: Target<'_>) -> Result<Self::Connection, Self::Error>;
}

impl<T: Connect + ?Sized> Connect for &mut T {
    type Connection = T::Connection;
    type Error = T::Error;

    async fn connect(&mut self, target: Target<'_>) -> Result<Self::Connection, Self::Error> {
        T::connect(self, target).await
    }
}

/// The time, and a way to wait for it, supplied by the runtime (such as `embassy_time`'s
/// `Instant::now` and `Timer::at`).
#[allow(async_fn_in_trait)]
pub trait Clock {
    /// The time now, in milliseconds from any origin, never going back.
    fn now(&self) -> Instant;

    /// Completes at `at` or later (at once if `at` is past).
    async fn sleep_until(&mut self, at: Instant);
}

impl<T: Clock + ?Sized> Clock for &mut T {
    fn now(&self) -> Instant {
        T::now(self)
    }

    async fn sleep_until(&mut self, at: Instant) {
        T::sleep_until(self, at).await;
    }
}

/// Why a step of an [`EventSource`] went wrong: `C` is the [`Connect::Error`], `E` the
/// connection's I/O error.
///
/// None of these stops the event source, except [`Session`](SourceError::Session) errors the
/// core [`Error`] says stop it: the attempt counts as failed and the source reconnects as the
/// [`Client`] says. They are reported so that they can be logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceError<C, E> {
    /// Opening a connection failed.
    Connect(C),
    /// The connection's read, write or flush failed.
    Io(E),
    /// A write accepted no byte.
    WriteZero,
    /// What the core [`Session`] reports: a timeout, a malformed or cut response, a redirect
    /// target that cannot be requested, an event over a limit, ...
    Session(Error),
}

/// [`Session`](SourceError::Session) displays as the core error; [`Connect`](SourceError::Connect)
/// and [`Io`](SourceError::Io) display as a short phrase and give the error as their
/// [`source`](core::error::Error::source).
impl<C, E> fmt::Display for SourceError<C, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Connect(_) => f.write_str("connecting failed"),
            SourceError::Io(_) => f.write_str("i/o error"),
            SourceError::WriteZero => f.write_str("write accepted no byte"),
            SourceError::Session(error) => error.fmt(f),
        }
    }
}

impl<C, E> core::error::Error for SourceError<C, E>
where
    C: core::error::Error + 'static,
    E: core::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            SourceError::Connect(error) => Some(error),
            SourceError::Io(error) => Some(error),
            // Displayed as the session's error: as a source it would say it twice.
            SourceError::Session(_) | SourceError::WriteZero => None,
        }
    }
}

/// The error type of [`EventSource::next`] for a [`Connect`] `C`.
type ErrorOf<C> =
    SourceError<<C as Connect>::Error, <<C as Connect>::Connection as ErrorType>::Error>;

/// A reconnecting event stream, as `EventSource` in a browser: the loop that drives a core
/// [`Session`] over connections from a [`Connect`], timed by a [`Clock`].
///
/// The session decides everything: the request (`Host`, `Accept`, `Cache-Control`,
/// `Last-Event-ID` once an event had an ID, the extra headers), the response head, redirects,
/// the body's framing, deadlines for connecting and for the response head, and when to
/// reconnect. [`next`](EventSource::next) returns `Option<Result<..>>`:
///
/// - `Some(Ok(item))` for each item: events, comments and `retry` values;
/// - `Some(Err(error))` for what went wrong on the way ([`SourceError`]); the event source
///   goes on;
/// - `None` once the client is [`Closed`](State::Closed): it failed for good
///   ([`failure`](EventSource::failure) says why: a `204`, another status, a wrong content
///   type, …) or was [`close`](EventSource::close)d.
///
/// One buffer, lent by the caller, holds the URL and header lines, then serves for the
/// request head written, the response head read (so it bounds the head's length) and the
/// body reads; 512 bytes or more is sensible. Events are collected in the [`Client`]'s
/// storage. Every wait (connecting, writing, reading, sleeping) races the session's deadline.
///
/// Dropping the future of [`next`](EventSource::next) while it waits is safe; dropping it
/// while connecting, writing or reading the head counts that attempt as failed.
pub struct EventSource<'a, C: Connect, K> {
    session: Session<&'a mut [u8]>,
    connect: C,
    clock: K,
    conn: Option<C::Connection>,
}

impl<C: Connect, K> fmt::Debug for EventSource<'_, C, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("session", &self.session)
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a, C: Connect, K: Clock> EventSource<'a, C, K> {
    /// An event source for `url` (such as `http://192.168.1.2:8080/events?topic=a`; see
    /// [`Url`](ssewire::http::Url)), which `connect` opens connections to. Nothing happens
    /// until [`next`](EventSource::next).
    ///
    /// # Errors
    ///
    /// [`Error::Url`] for a URL that cannot be requested; [`Error::Request`] for a `buf` too
    /// small for it.
    pub fn new(
        client: Client<&'a mut [u8]>,
        connect: C,
        clock: K,
        buf: &'a mut [u8],
        url: &str,
    ) -> Result<Self, Error> {
        Self::with_headers(client, connect, clock, buf, url, &[])
    }

    /// As [`new`](EventSource::new), sending these extra headers with each request, as
    /// (name, value) pairs (see [`Request::headers`](ssewire::http::Request::headers)).
    ///
    /// # Errors
    ///
    /// As [`new`](EventSource::new), and [`Error::Request`] for an invalid header.
    pub fn with_headers(
        client: Client<&'a mut [u8]>,
        connect: C,
        clock: K,
        buf: &'a mut [u8],
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Self, Error> {
        let request = Request::new().headers(headers);
        Self::with_request(client, connect, clock, buf, url, request)
    }

    /// As [`new`](EventSource::new), sending `request` (a method, extra headers, a body) on
    /// the first connection and on every reconnection. The URL, the method, the header lines
    /// and the body are kept at the front of `buf`.
    ///
    /// # Errors
    ///
    /// As [`new`](EventSource::new), and [`Error::Request`] for an invalid method or header,
    /// or a `buf` too small for all that and a request head.
    pub fn with_request(
        client: Client<&'a mut [u8]>,
        connect: C,
        clock: K,
        buf: &'a mut [u8],
        url: &str,
        request: Request<'_>,
    ) -> Result<Self, Error> {
        Ok(EventSource {
            session: Session::with_request(client, buf, url, request)?,
            connect,
            clock,
            conn: None,
        })
    }

    /// Where the client stands.
    #[must_use]
    pub fn state(&self) -> State {
        self.session.state()
    }

    /// Why the client stopped for good, if it failed.
    #[must_use]
    pub fn failure(&self) -> Option<Failure> {
        self.session.client().poll_failure()
    }

    /// The client, for its [`last_event_id`](Client::last_event_id) and
    /// [`reconnection_time`](Client::reconnection_time).
    #[must_use]
    pub fn client(&self) -> &Client<&'a mut [u8]> {
        self.session.client()
    }

    /// Drops the connection and connects again at the next [`next`](EventSource::next),
    /// without waiting: the last event ID, the server's `retry` and the backoff stay (see
    /// [`Client::restart`]). Does nothing once closed or failed.
    pub fn restart(&mut self) {
        self.session.restart(self.clock.now());
        self.conn = None;
    }

    /// Stops for good and drops the connection: [`next`](EventSource::next) returns `None`.
    pub fn close(&mut self) {
        self.session.close();
        self.conn = None;
    }

    /// The next item; see [`EventSource`] for what each result means.
    pub async fn next(&mut self) -> Option<Result<Item<'_>, ErrorOf<C>>> {
        match self.advance(false).await? {
            Ok(Output::Item(ready)) => Some(Ok(self.session.client().resolve(ready))),
            // Not reported when not asked for.
            Ok(Output::Open) => None,
            Err(error) => Some(Err(error)),
        }
    }

    /// As [`next`](EventSource::next), and also [`Update::Open`] each time a stream opens,
    /// before its first item: for applications that show the connection state.
    pub async fn next_update(&mut self) -> Option<Result<Update<'_>, ErrorOf<C>>> {
        let output = self.advance(true).await?;
        Some(output.map(|output| self.session.resolve(output)))
    }

    /// Moves bytes until the session has something to report (a stream opened only if
    /// `report_open`), or is closed.
    async fn advance(&mut self, report_open: bool) -> Option<Result<Output, ErrorOf<C>>> {
        loop {
            if self.conn.is_none() && self.session.has_connection() {
                // A connection lost with a future dropped halfway.
                self.session.handle_io_error(self.clock.now());
            }
            if self.session.poll_disconnect() {
                self.conn = None;
            }
            match self.session.poll_ready(self.clock.now()) {
                Some(Ok(Output::Open)) if !report_open => continue,
                Some(output) => return Some(output.map_err(SourceError::Session)),
                None => {}
            }
            if self.session.state() == State::Closed {
                self.conn = None;
                return None;
            }
            if let Some(error) = self.step().await {
                self.conn = None;
                self.session.handle_io_error(self.clock.now());
                return Some(Err(error));
            }
        }
    }

    /// Does the one thing the session asks for next, racing its deadline: connect, send,
    /// read or wait. An error means the connection failed.
    async fn step(&mut self) -> Option<ErrorOf<C>> {
        let asked = self.session.poll_connect(self.clock.now()).is_some();
        let has_conn = self.conn.is_some();
        // What to do, decided before any borrow is taken: each arm below keeps only its own
        // future across its await, so the future of `next` stays small.
        let work = if asked {
            Work::Connect
        } else if self.session.has_update() || self.session.state() == State::Closed {
            // The attempt failed before connecting (a redirect target that cannot be
            // requested): report it before anything else.
            return None;
        } else if has_conn && self.session.poll_transmit().is_some() {
            Work::Transmit
        } else if has_conn && self.session.poll_flush() {
            Work::Flush
        } else if has_conn && self.session.poll_read().is_some() {
            Work::Read
        } else {
            Work::Wait
        };
        let deadline = self.session.poll_timeout();
        let EventSource {
            session,
            connect,
            clock,
            conn,
        } = self;
        // Past this, the deadline (or the wait) is over.
        match work {
            Work::Connect => {
                let target = session.connecting()?;
                match race(clock, deadline, connect.connect(target)).await {
                    Either::First(Ok(opened)) => {
                        *conn = Some(opened);
                        session.handle_connected(clock.now());
                        return None;
                    }
                    Either::First(Err(error)) => return Some(SourceError::Connect(error)),
                    Either::Second(()) => {}
                }
            }
            // One write at a time, as much as the connection takes: the session keeps the
            // rest (no write-all loop nested in this future).
            Work::Transmit => {
                let (bytes, io) = (session.poll_transmit()?, conn.as_mut()?);
                match race(clock, deadline, io.write(bytes)).await {
                    Either::First(Ok(0)) => return Some(SourceError::WriteZero),
                    Either::First(Ok(n)) => {
                        session.handle_transmitted(n);
                        return None;
                    }
                    Either::First(Err(error)) => return Some(SourceError::Io(error)),
                    Either::Second(()) => {}
                }
            }
            Work::Flush => match race(clock, deadline, conn.as_mut()?.flush()).await {
                Either::First(Ok(())) => {
                    session.handle_flushed();
                    return None;
                }
                Either::First(Err(error)) => return Some(SourceError::Io(error)),
                Either::Second(()) => {}
            },
            Work::Read => {
                let (window, io) = (session.poll_read()?, conn.as_mut()?);
                match race(clock, deadline, io.read(window)).await {
                    Either::First(Ok(n)) => {
                        session.handle_received(clock.now(), n);
                        return None;
                    }
                    Either::First(Err(error)) => return Some(SourceError::Io(error)),
                    Either::Second(()) => {}
                }
            }
            Work::Wait => match deadline {
                Some(at) => clock.sleep_until(at).await,
                // Nothing to do and nothing to wait for: the connection is gone.
                None => session.handle_io_error(clock.now()),
            },
        }
        session.handle_timeout(clock.now());
        None
    }
}

/// What [`EventSource::step`] does next.
#[derive(Clone, Copy)]
enum Work {
    Connect,
    Transmit,
    /// The request, written whole, to push out before reading.
    Flush,
    Read,
    Wait,
}

/// No deadline, for [`race`].
const NEVER: Instant = Instant::from_millis(u64::MAX);

/// `future` raced against `deadline`: [`Either::Second`] once it passed. A plain `fn`
/// returning the `select` itself: an `async` wrapper would hold the `select` twice in its
/// state (captured, and awaited), doubling the future of `next`.
fn race<'c, K: Clock, F: core::future::Future + 'c>(
    clock: &'c mut K,
    deadline: Option<Instant>,
    future: F,
) -> Select<F, impl core::future::Future<Output = ()> + 'c> {
    // The deadline as a plain instant, the end of time for none: half the bytes of an
    // `Option` in the future of `next`.
    let at = deadline.unwrap_or(NEVER);
    select(future, async move {
        if at == NEVER {
            core::future::pending().await
        } else {
            clock.sleep_until(at).await;
        }
    })
}
