//! The load client, a child process of its own: opens its streams, says `connected` when all
//! are, waits for `go <start>` on stdin (nanoseconds since the UNIX epoch), then counts the
//! events sent in the measurement window, and prints one `result` line.
//!
//! Plain tokio on one thread, a minimal HTTP/1.1 request, and ssewire's core to read the
//! body (`http::ChunkedDecoder`, `parse::Parser`): both servers are read by the same code.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ssewire::http::{ChunkedDecoder, Decoded};
use ssewire::parse::{Item, Parser};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify, Semaphore};

use crate::histogram::Histogram;
use crate::servers::read_payload;
use crate::{now_ns, procfs};

const REQUEST: &[u8] =
    b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";

/// Connections opening at once: more overflow the servers' listen queues, and a dropped SYN
/// costs a second.
const OPENING: usize = 256;

/// Time all streams have to open.
const OPEN_TIMEOUT: Duration = Duration::from_secs(120);

/// Latencies a connection keeps before adding them to the shared histogram.
const BATCH: usize = 64;

/// What every connection of this process shares.
#[derive(Default)]
struct Shared {
    /// The measurement window, sent times from `start` (inclusive) to `end`; both 0 until `go`.
    start: AtomicU64,
    end: AtomicU64,
    connected: AtomicUsize,
    opened: Notify,
    latencies: Mutex<Histogram>,
}

/// What one connection saw of the events sent in the window.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    /// Events with a sequence number above every earlier one.
    distinct: u64,
    /// Events with a sequence number not above an earlier one: sent again, or out of order.
    duplicated: u64,
    last: u64,
    low: u64,
    high: u64,
    /// The server ended the stream before the client stopped reading.
    closed: bool,
}

struct Events {
    parser: Parser<Vec<u8>>,
    seen: Seen,
    latencies: Vec<u64>,
}

impl Events {
    fn feed(&mut self, mut data: &[u8], received: u64, shared: &Shared) {
        let (start, end) = (
            shared.start.load(Ordering::Relaxed),
            shared.end.load(Ordering::Relaxed),
        );
        while let Some(item) = self.parser.feed(&mut data) {
            let Ok(Item::Event(event)) = item else {
                continue;
            };
            let Some((seq, sent)) = read_payload(event.data) else {
                continue;
            };
            if sent < start || sent >= end {
                continue;
            }
            self.latencies.push(received.saturating_sub(sent) / 1000);
            let seen = &mut self.seen;
            if seq > seen.last {
                seen.distinct += 1;
                seen.last = seq;
            } else {
                seen.duplicated += 1;
            }
            seen.low = lowest(seen.low, seq);
            seen.high = seen.high.max(seq);
        }
        if self.latencies.len() >= BATCH {
            self.flush(shared);
        }
    }

    fn flush(&mut self, shared: &Shared) {
        let mut histogram = shared
            .latencies
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.latencies.drain(..).for_each(|v| histogram.record(v));
    }
}

/// The lower of two sequence numbers, 0 standing for none.
fn lowest(a: u64, b: u64) -> u64 {
    match (a, b) {
        (0, n) | (n, 0) => n,
        (a, b) => a.min(b),
    }
}

async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let mut tries = 0;
    loop {
        match TcpStream::connect(addr).await {
            Ok(socket) => return Ok(socket),
            Err(error) if tries == 20 => return Err(error),
            Err(_) => tries += 1,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn broken(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

async fn stream(
    addr: SocketAddr,
    shared: Arc<Shared>,
    opening: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) -> io::Result<Seen> {
    let permit = opening.acquire_owned().await;
    let mut socket = connect(addr).await?;
    socket.write_all(REQUEST).await?;
    let mut buf = vec![0; 16 << 10];
    let mut filled = 0;
    let body_start = loop {
        let n = socket.read(&mut buf[filled..]).await?;
        if n == 0 || filled + n == buf.len() {
            return Err(broken("no complete response head"));
        }
        filled += n;
        if let Some(at) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..body_start]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return Err(broken("not a 200 response"));
    }
    let mut chunked = head
        .contains("transfer-encoding: chunked")
        .then(ChunkedDecoder::new);
    drop(permit);
    shared.connected.fetch_add(1, Ordering::Relaxed);
    shared.opened.notify_one();

    let mut events = Events {
        parser: Parser::new(vec![0; 1024]),
        seen: Seen::default(),
        latencies: Vec::with_capacity(BATCH),
    };
    let mut feed = |mut input: &[u8], events: &mut Events| {
        let received = now_ns();
        match &mut chunked {
            None => events.feed(input, received, &shared),
            Some(decoder) => {
                while let Ok(Some(Decoded::Data(data))) = decoder.decode(&mut input) {
                    events.feed(data, received, &shared);
                }
            }
        }
    };
    feed(&buf[body_start..filled], &mut events);
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            read = socket.read(&mut buf) => match read {
                Ok(0) | Err(_) => {
                    events.seen.closed = true;
                    break;
                }
                Ok(n) => feed(&buf[..n], &mut events),
            },
        }
    }
    events.flush(&shared);
    Ok(events.seen)
}

/// Sleeps until `at` (nanoseconds since the UNIX epoch).
async fn sleep_until_ns(at: u64) {
    tokio::time::sleep(Duration::from_nanos(at.saturating_sub(now_ns()))).await;
}

/// The client's process: `streams` connections to `addr`, a window of `window`, then `grace`
/// for the window's last events to arrive.
pub(crate) fn run(
    addr: SocketAddr,
    streams: usize,
    window: Duration,
    grace: Duration,
) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let shared = Arc::new(Shared::default());
        let opening = Arc::new(Semaphore::new(OPENING));
        let (stop, stopped) = watch::channel(false);
        let tasks: Vec<_> = (0..streams)
            .map(|_| {
                tokio::spawn(stream(
                    addr,
                    shared.clone(),
                    opening.clone(),
                    stopped.clone(),
                ))
            })
            .collect();
        let opened_by = tokio::time::Instant::now() + OPEN_TIMEOUT;
        while shared.connected.load(Ordering::Relaxed) < streams {
            let _ = tokio::time::timeout(Duration::from_millis(100), shared.opened.notified()).await;
            if tasks.iter().any(|task| task.is_finished()) {
                return Err(broken("a stream failed to open"));
            }
            if tokio::time::Instant::now() > opened_by {
                return Err(broken("streams still opening after two minutes"));
            }
        }
        println!("connected");

        let mut line = String::new();
        BufReader::new(tokio::io::stdin())
            .read_line(&mut line)
            .await?;
        let start: u64 = line
            .trim()
            .strip_prefix("go ")
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| broken("expected `go <start>` on stdin"))?;
        let end = start + window.as_nanos() as u64;
        shared.start.store(start, Ordering::Relaxed);
        shared.end.store(end, Ordering::Relaxed);
        sleep_until_ns(start).await;
        let cpu = procfs::cpu_seconds("self");
        sleep_until_ns(end).await;
        let cpu = procfs::cpu_seconds("self") - cpu;
        tokio::time::sleep(grace).await;
        let _ = stop.send(true);

        let mut total = Seen::default();
        let mut closed = 0;
        for task in tasks {
            let seen = task.await.map_err(io::Error::other)??;
            total.distinct += seen.distinct;
            total.duplicated += seen.duplicated;
            total.low = lowest(total.low, seen.low);
            total.high = total.high.max(seen.high);
            closed += usize::from(seen.closed);
        }
        let latencies = shared
            .latencies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .to_text();
        println!(
            "result streams={streams} distinct={} duplicated={} low={} high={} closed={closed} cpu={cpu:.3} latencies={latencies}",
            total.distinct, total.duplicated, total.low, total.high
        );
        Ok(())
    })
}
