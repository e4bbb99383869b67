//! The `embassy` module on two embassy-net stacks wired back to back in this process: frames
//! move between two `embassy-net-driver-channel` devices, time is embassy-time's `std` driver.
//! No root, no TAP device: nothing leaves the process (the addresses are the documentation
//! range 192.0.2.0/24).
//!
//! Each test runs its stacks, the frame pumps and its body on one thread, under a deadline that
//! fails it instead of hanging. The executor parks the thread until a waker fires, so a
//! missing wake-up shows as a timeout rather than being hidden by busy polling.

use std::future::Future;
use std::pin::pin;
use std::string::{String, ToString};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::vec::Vec;

use embassy_futures::join::join;
use embassy_futures::select::{select3, select4, Either3};
use embassy_net_driver_channel as channel;
use embassy_net_driver_channel::driver::{HardwareAddress, LinkState};
use embedded_io_async::Write;
use ssewire_embedded::client::{Client, Config as ClientConfig, Duration as ClientDuration};
use ssewire_embedded::client::{Failure, State};
use ssewire_embedded::embassy::embassy_net::tcp::{self, TcpSocket};
use ssewire_embedded::embassy::embassy_net::{
    self, IpAddress, IpEndpoint, Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4,
};
use ssewire_embedded::embassy::embassy_sync::blocking_mutex::raw::NoopRawMutex;
use ssewire_embedded::embassy::embassy_sync::blocking_mutex::Mutex;
use ssewire_embedded::embassy::embassy_time::{Duration, Instant, Timer};
use ssewire_embedded::embassy::{close, CloseError, ConnectError, Connector, Socket, Time};
use ssewire_embedded::encode::Event;
use ssewire_embedded::http::{self, Framing, Url, EMPTY_HEADER};
use ssewire_embedded::parse::Item;
use ssewire_embedded::replay::{storage_len, Replay};
use ssewire_embedded::{
    accept, record, AcceptError, Config, Connect, End, EventSource, EventStream, EventWriter,
    Items, Replayed, SourceError, Target,
};

const MTU: usize = 1514;
const SERVER: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const CLIENT: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
const PORT: u16 = 8080;
const URL: &str = "http://192.0.2.1:8080/events";

/// What an event source for [`URL`] asks its connector for: the URL's server, or where a
/// redirect's `Location` goes.
fn target(location: Option<&'static str>) -> Target<'static> {
    let origin = Url::parse(URL).unwrap();
    let url = location.map_or(origin, |location| origin.join(location).unwrap());
    Target::new(url, &origin)
}

/// Wakes the test thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parking between wake-ups.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

/// A stack on a channel device with this address; its runner, and the device's lower end.
/// The memory is leaked: a few tens of KiB per test.
fn stack(
    mac: u8,
    address: Ipv4Address,
    seed: u64,
) -> (
    Stack<'static>,
    embassy_net::Runner<'static, channel::Device<'static, MTU>>,
    channel::Runner<'static, MTU>,
) {
    let state = Box::leak(Box::new(channel::State::<MTU, 4, 4>::new()));
    let hardware = HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, mac]);
    let (lower, device) = channel::new(state, hardware);
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(address, 24),
        gateway: None,
        dns_servers: Default::default(),
    });
    let resources = Box::leak(Box::new(StackResources::<4>::new()));
    let (stack, runner) = embassy_net::new(device, config, resources, seed);
    (stack, runner, lower)
}

/// Moves every frame `from` sends to `to`.
async fn pump(
    mut from: channel::TxRunner<'static, MTU>,
    mut to: channel::RxRunner<'static, MTU>,
) -> ! {
    loop {
        let frame = from.tx_buf().await;
        let slot = to.rx_buf().await;
        let len = frame.len();
        slot[..len].copy_from_slice(frame);
        to.rx_done(len);
        from.tx_done();
    }
}

/// Runs `body` with a server stack (192.0.2.1) and a client stack (192.0.2.2) wired together;
/// panics if it takes longer than `deadline`.
fn run<F: Future>(
    deadline: Duration,
    body: impl FnOnce(Stack<'static>, Stack<'static>) -> F,
) -> F::Output {
    let (server, mut server_runner, server_lower) = stack(1, SERVER, 1);
    let (client, mut client_runner, client_lower) = stack(2, CLIENT, 2);
    let (server_state, server_rx, server_tx) = server_lower.split();
    let (client_state, client_rx, client_tx) = client_lower.split();
    server_state.set_link_state(LinkState::Up);
    client_state.set_link_state(LinkState::Up);
    let body = body(server, client);
    block_on(async {
        let network = select4(
            server_runner.run(),
            client_runner.run(),
            pump(server_tx, client_rx),
            pump(client_tx, server_rx),
        );
        match select3(body, network, Timer::after(deadline)).await {
            Either3::First(output) => output,
            Either3::Second(_) => unreachable!("the network runs forever"),
            Either3::Third(()) => panic!("test did not finish within {deadline:?}"),
        }
    })
}

/// Reads a request head and returns its `Last-Event-ID`.
async fn read_last_event_id(socket: &mut TcpSocket<'_>) -> Option<String> {
    let mut buf = [0u8; 1024];
    let mut filled = 0;
    loop {
        let n = socket.read(&mut buf[filled..]).await.expect("read request");
        assert!(n > 0, "request cut short");
        filled += n;
        let mut headers = [EMPTY_HEADER; 16];
        if let Some(head) = http::read_request(&buf[..filled], &mut headers, buf.len()).unwrap() {
            return head.last_event_id.map(str::to_string);
        }
    }
}

const EVENTS: [(&str, &str); 6] = [
    ("1", "one"),
    ("2", "two"),
    ("3", "three"),
    ("4", "four"),
    ("5", "five"),
    ("6", "six"),
];

/// Serves four connections in `framing`, and returns the `Last-Event-ID` of each request:
///
/// 1. events 1 to 3, half of event 4, then a graceful close ([`close`]);
/// 2. the events after the `Last-Event-ID` up to 5, then a reset (RST);
/// 3. the events after it (6), the end of the stream ([`EventWriter::finish`]), a close;
/// 4. `204 No Content`: the client stops.
async fn server(stack: Stack<'static>, framing: Framing) -> Vec<Option<String>> {
    let mut seen = Vec::new();
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let config = Config::new().paths(&["/events"]).framing(framing);
    for round in 0..4 {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        socket.accept(PORT).await.expect("accept");
        if round == 3 {
            seen.push(read_last_event_id(&mut socket).await);
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
            close(&mut socket, Duration::from_secs(2)).await.unwrap();
            break;
        }
        let mut head = [0u8; 1024];
        let accepted = accept(&mut socket, &mut head, &config, Time)
            .await
            .expect("accept");
        assert_eq!(accepted.framing, framing);
        let last = accepted.last_event_id.map(str::to_string);
        let from = match &last {
            None => 0,
            Some(id) => EVENTS.iter().position(|(i, _)| i == id).unwrap() + 1,
        };
        seen.push(last);
        let until = [3, 5, 6][round];
        let mut frame = [0u8; 256];
        let mut writer = EventWriter::new(&mut socket, &mut frame, accepted.framing);
        for (id, data) in &EVENTS[from..until] {
            writer
                .send(&Event::new(data).event("tick").id(id))
                .await
                .unwrap();
        }
        match round {
            0 => {
                // Half an event: the client must drop it and resume after event 3.
                writer
                    .send_encoded(b"event: tick\nid: 4\ndata: fo")
                    .await
                    .unwrap();
                writer.flush().await.unwrap();
                close(&mut socket, Duration::from_secs(2)).await.unwrap();
            }
            1 => {
                writer.flush().await.unwrap();
                socket.abort();
                let _ = socket.flush().await;
            }
            _ => {
                writer.finish().await.unwrap();
                close(&mut socket, Duration::from_secs(2)).await.unwrap();
            }
        }
    }
    seen
}

/// What the client received: events as (type, id, data), and the errors reported.
#[derive(Debug, Default)]
struct Received {
    events: Vec<(String, String, String)>,
    errors: Vec<String>,
    /// Comments received (keep-alives among them).
    comments: usize,
}

/// Follows the server's stream until it stops.
async fn client(stack: Stack<'static>) -> (Received, Option<Failure>) {
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 256]);
    let socket = Socket::new(stack, &mut rx, &mut tx);
    let server = IpEndpoint::new(IpAddress::Ipv4(SERVER), PORT);
    let connector = Connector::new(&socket, server);
    let mut config = ClientConfig::new();
    config.initial_delay = ClientDuration::from_millis(50);
    config.max_delay = ClientDuration::from_millis(200);
    config.jitter_percent = 0;
    let (mut storage, mut buf) = ([0u8; 1024], [0u8; 512]);
    let client = Client::new(&mut storage[..], config, 7);
    let mut source = EventSource::new(client, connector, Time, &mut buf, URL).unwrap();
    let mut received = Received::default();
    while let Some(result) = source.next().await {
        match result {
            Ok(Item::Event(event)) => received.events.push((
                event.event.to_string(),
                event.last_event_id.to_string(),
                event.data.to_string(),
            )),
            Ok(Item::Comment(_)) => received.comments += 1,
            Ok(_) => {}
            Err(error) => received.errors.push(format!("{error:?}")),
        }
    }
    assert_eq!(source.state(), State::Closed);
    let failure = source.failure();
    drop(source);
    socket.close(Duration::from_secs(2)).await.unwrap();
    (received, failure)
}

fn reconnects_and_resumes(framing: Framing) {
    let started = std::time::Instant::now();
    let ((received, failure), seen) = run(Duration::from_secs(20), |server_stack, client_stack| {
        join(client(client_stack), server(server_stack, framing))
    });
    let expected: Vec<_> = EVENTS
        .iter()
        .map(|(id, data)| ("tick".to_string(), id.to_string(), data.to_string()))
        .collect();
    assert_eq!(
        received.events, expected,
        "errors on the way: {:?}",
        received.errors
    );
    assert_eq!(
        seen,
        [None, Some("3".into()), Some("5".into()), Some("6".into())]
    );
    assert_eq!(failure, Some(Failure::NoContent));
    // The reset is reported as an I/O error; a chunked body closed before its last chunk (the
    // first connection) as cut short; nothing else went wrong.
    let (cut, rest) = match framing {
        Framing::Chunked => received
            .errors
            .split_first()
            .map_or((None, &[][..]), |(c, r)| (Some(c.as_str()), r)),
        _ => (None, &received.errors[..]),
    };
    if framing == Framing::Chunked {
        assert_eq!(cut, Some("Session(UnexpectedEof)"), "{:?}", received.errors);
    }
    assert!(
        rest.iter().all(|e| e.starts_with("Io(")),
        "{:?}",
        received.errors
    );
    eprintln!(
        "{framing:?}: {:?}, errors {:?}",
        started.elapsed(),
        received.errors
    );
}

#[test]
fn reconnects_with_last_event_id_close_delimited() {
    reconnects_and_resumes(Framing::Close);
}

#[test]
fn reconnects_with_last_event_id_chunked() {
    reconnects_and_resumes(Framing::Chunked);
}

#[test]
fn head_time_limit() {
    run(
        Duration::from_secs(10),
        |server_stack, client_stack| async move {
            let server = async {
                let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
                let mut socket = TcpSocket::new(server_stack, &mut rx, &mut tx);
                socket.accept(PORT).await.expect("accept");
                let config = Config::new().head_timeout(ClientDuration::from_millis(300));
                let mut head = [0u8; 1024];
                let started = Instant::now();
                let result = accept(&mut socket, &mut head, &config, Time).await;
                let waited = started.elapsed();
                assert_eq!(result.err(), Some(AcceptError::Timeout));
                assert!(waited >= Duration::from_millis(300), "{waited:?}");
                assert!(waited < Duration::from_secs(2), "{waited:?}");
                close(&mut socket, Duration::from_secs(2)).await.unwrap();
            };
            let client = async {
                let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
                let mut socket = TcpSocket::new(client_stack, &mut rx, &mut tx);
                socket.connect((SERVER, PORT)).await.expect("connect");
                // Half a head, and then nothing: a slow loris.
                socket
                    .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n")
                    .await
                    .unwrap();
                socket.flush().await.unwrap();
                let mut buf = [0u8; 64];
                // Unanswered: the server only closes.
                assert_eq!(socket.read(&mut buf).await, Ok(0));
                close(&mut socket, Duration::from_secs(2)).await.unwrap();
            };
            join(server, client).await;
        },
    );
}

#[test]
fn connector_errors_and_reuse() {
    run(
        Duration::from_secs(10),
        |server_stack, client_stack| async move {
            let server = async {
                let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
                for _ in 0..2 {
                    let mut socket = TcpSocket::new(server_stack, &mut rx, &mut tx);
                    socket.accept(PORT).await.expect("accept");
                    let mut buf = [0u8; 8];
                    // Until the client ends the connection.
                    while socket.read(&mut buf).await.unwrap_or(0) > 0 {}
                    close(&mut socket, Duration::from_secs(2)).await.unwrap();
                }
            };
            let client = async {
                let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
                let socket = Socket::new(client_stack, &mut rx, &mut tx);
                let endpoint = |addr, port| IpEndpoint::new(IpAddress::Ipv4(addr), port);

                // Nobody listens on port 9: the server's stack answers RST.
                let mut refused = Connector::new(&socket, endpoint(SERVER, 9));
                let error = refused.connect(target(None)).await.err();
                assert_eq!(
                    error,
                    Some(ConnectError::Tcp(tcp::ConnectError::ConnectionReset))
                );

                // Nobody has this address: no ARP answer, the SYN never leaves.
                let nobody = Ipv4Address::new(192, 0, 2, 99);
                let mut silent = Connector::new(&socket, endpoint(nobody, PORT))
                    .connect_timeout(Duration::from_millis(300));
                let started = Instant::now();
                assert_eq!(
                    silent.connect(target(None)).await.err(),
                    Some(ConnectError::Timeout)
                );
                assert!(started.elapsed() >= Duration::from_millis(300));

                let mut connector = Connector::new(&socket, endpoint(SERVER, PORT));
                let other = connector
                    .connect(target(Some("http://other.example/")))
                    .await;
                assert_eq!(other.err(), Some(ConnectError::Redirect));

                let mut first = connector.connect(target(None)).await.expect("connect");
                assert_eq!(
                    connector.connect(target(None)).await.err(),
                    Some(ConnectError::Busy)
                );
                first.write_all(b"x").await.unwrap();
                first.flush().await.unwrap();
                // Only starts closing: the server sees the end and closes too.
                drop(first);
                assert_eq!(socket.close(Duration::from_secs(2)).await, Ok(()));

                // The same socket and buffers, again, through a redirect to the same server.
                let mut second = connector
                    .connect(target(Some("http://192.0.2.1:8080/moved")))
                    .await
                    .expect("reconnect");
                let remote = second.socket().remote_endpoint();
                assert_eq!(remote, Some(endpoint(SERVER, PORT)));
                assert_eq!(
                    socket.close(Duration::from_secs(2)).await,
                    Err(CloseError::Busy)
                );
                assert_eq!(second.close(Duration::from_secs(2)).await, Ok(()));
                // Nothing left to close.
                assert_eq!(socket.close(Duration::from_secs(2)).await, Ok(()));
            };
            join(server, client).await;
        },
    );
}

/// `SourceError` carries the connector's error: a connection refused is reported and retried.
#[test]
fn event_source_reports_refused_connections() {
    run(
        Duration::from_secs(10),
        |_server_stack, client_stack| async move {
            let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
            let socket = Socket::new(client_stack, &mut rx, &mut tx);
            let connector = Connector::new(&socket, IpEndpoint::new(IpAddress::Ipv4(SERVER), PORT));
            let mut config = ClientConfig::new();
            config.initial_delay = ClientDuration::from_millis(20);
            config.jitter_percent = 0;
            config.retry_budget = Some(2);
            let (mut storage, mut buf) = ([0u8; 512], [0u8; 512]);
            let client = Client::new(&mut storage[..], config, 7);
            let mut source = EventSource::new(client, connector, Time, &mut buf, URL).unwrap();
            let mut errors = Vec::new();
            while let Some(result) = source.next().await {
                errors.push(result.err());
            }
            let refused =
                SourceError::Connect(ConnectError::Tcp(tcp::ConnectError::ConnectionReset));
            assert!(!errors.is_empty());
            assert!(errors.iter().all(|e| *e == Some(refused)), "{errors:?}");
            assert_eq!(source.failure(), Some(Failure::RetryBudgetExhausted));
        },
    );
}

/// A shared replay ring, as a firmware keeps one in a `static`.
type Ring = Mutex<NoopRawMutex, std::cell::RefCell<Replay<Vec<u8>>>>;

/// Live items, each after a wait in milliseconds; those with an id are recorded in the ring
/// as they are published, as a producer would.
struct Timed<'r> {
    steps: std::collections::VecDeque<(u64, &'static str, Option<&'static str>)>,
    current: Option<(&'static str, Option<&'static str>)>,
    ring: &'r Ring,
}

impl Items for Timed<'_> {
    async fn next(&mut self) -> Option<ssewire_embedded::Item<'_>> {
        let (wait, data, id) = self.steps.pop_front()?;
        Timer::after_millis(wait).await;
        if let Some(id) = id {
            record(self.ring, id, Event::new(data), &mut [0u8; 64]).unwrap();
        }
        self.current = Some((data, id));
        let (data, id) = self.current?;
        let event = Event::new(data);
        Some(ssewire_embedded::Item::Event(
            id.map_or(event, |id| event.id(id)),
        ))
    }
}

/// Serves three connections with [`EventStream`] in chunked framing, keep-alives every 50 ms:
///
/// 1. no replay (no `Last-Event-ID`), event 4 and an id-less event live, then idle until its
///    end signal (300 ms) stops it;
/// 2. event 5 was recorded meanwhile: replayed after `Last-Event-ID: 4`, then 6 live, then
///    the items end;
/// 3. `204 No Content`: the client stops.
async fn stream_server(stack: Stack<'static>, ring: &Ring) -> Vec<(Option<String>, Replayed, End)> {
    let mut seen = Vec::new();
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let config = Config::new()
        .paths(&["/events"])
        .framing(Framing::Chunked)
        .keep_alive(Some(ClientDuration::from_millis(50)));
    for round in 0..3 {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        socket.accept(PORT).await.expect("accept");
        if round == 2 {
            read_last_event_id(&mut socket).await;
            let no_content = b"HTTP/1.1 204 No Content\r\n\r\n";
            socket.write_all(no_content).await.unwrap();
            close(&mut socket, Duration::from_secs(2)).await.unwrap();
            break;
        }
        let mut head = [0u8; 1024];
        let accepted = accept(&mut socket, &mut head, &config, Time).await.unwrap();
        let last = accepted.last_event_id.map(str::to_string);
        let mut frame = [0u8; 256];
        let writer = EventWriter::new(&mut socket, &mut frame, accepted.framing);
        let mut stream = EventStream::new(writer, config.keep_alive, Time);
        let replayed = stream.replay(ring, accepted.last_event_id).await.unwrap();
        let (steps, until) = match round {
            0 => (
                vec![
                    (0, "four", Some("4")),
                    (0, "status", None),
                    (60_000, "late", None),
                ],
                300,
            ),
            _ => (vec![(0, "six", Some("6"))], 60_000),
        };
        let items = Timed {
            steps: steps.into(),
            current: None,
            ring,
        };
        let end = stream.run(items, Timer::after_millis(until)).await;
        if round == 0 {
            // Published while no client was connected: kept for the next one.
            record(ring, "5", Event::new("five"), &mut [0u8; 64]).unwrap();
        }
        close(&mut socket, Duration::from_secs(2)).await.unwrap();
        seen.push((last, replayed, end));
    }
    seen
}

#[test]
fn event_stream_replays_goes_live_keeps_alive_and_stops_on_its_signal() {
    let ring = Replay::new(vec![0u8; storage_len(8, 1024)], 8);
    let ring: Ring = Mutex::new(std::cell::RefCell::new(ring));
    for (id, data) in &EVENTS[..3] {
        record(&ring, id, Event::new(data), &mut [0u8; 64]).unwrap();
    }
    let ((received, failure), seen) = run(Duration::from_secs(20), |server_stack, client_stack| {
        join(client(client_stack), stream_server(server_stack, &ring))
    });
    let events: Vec<_> = received
        .events
        .iter()
        .map(|(_, id, data)| (id.as_str(), data.as_str()))
        .collect();
    // The id-less event is live only: the client keeps event 4's id, and gets 5 by replay.
    let expected = [("4", "four"), ("4", "status"), ("5", "five"), ("6", "six")];
    assert_eq!(events, expected, "errors: {:?}", received.errors);
    assert_eq!(
        seen,
        [
            (None, Replayed::Sent(0), End::Stopped),
            (Some("4".into()), Replayed::Sent(1), End::Finished),
        ]
    );
    assert_eq!(failure, Some(Failure::NoContent));
    // Ended cleanly each time (the last chunk): no body cut short.
    assert!(
        received.errors.iter().all(|e| e.starts_with("Io(")),
        "{:?}",
        received.errors
    );
    // Idle for about 250 ms with a keep-alive due every 50 ms.
    assert!(received.comments >= 1, "{}", received.comments);
    let newest = ring.lock(|ring| ring.borrow().newest_id().map(str::to_string));
    assert_eq!(newest.as_deref(), Some("6"));
}
