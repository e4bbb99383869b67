//! The two servers, each run in a child process of its own: ssewire's `Server` and `Hub` on
//! smol, with their defaults, and the baseline, what a tokio user writes without a library.
//! Both publish the same events at the same rate and print `listening <addr>` once they
//! accept connections; they run until the driver kills them.

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ssewire_futures::rt::Smol;
use ssewire_futures::server::{self, Request, Route, Server};
use ssewire_futures::{Event, Hub, HubConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

use crate::now_ns;

/// Streams a server admits: more than a process's 20,000 file descriptors allow.
const MAX_CONNECTIONS: usize = 1 << 20;

/// Publications a baseline connection may fall behind before it skips (the hub's default
/// backlog, so both servers buffer alike).
const BASELINE_BACKLOG: usize = 256;

/// The data of event `seq`: its number and send time (nanoseconds since the UNIX epoch),
/// padded to 60 bytes, as a small JSON-ish update would be.
pub(crate) fn payload(seq: u64) -> String {
    format!("{seq:012} {:019} {:x<27}", now_ns(), "")
}

/// The number and send time a [`payload`] carries.
pub(crate) fn read_payload(data: &str) -> Option<(u64, u64)> {
    let mut fields = data.split(' ');
    let seq = fields.next()?.parse().ok()?;
    let sent = fields.next()?.parse().ok()?;
    Some((seq, sent))
}

/// Calls `publish` with 1, 2, 3, … at `rate` per second, on a fixed schedule (a late tick is
/// caught up at once, not skipped), sleeping with `sleep_until`.
async fn publish_at<S, F>(rate: f64, sleep_until: impl Fn(Instant) -> S, mut publish: F)
where
    S: Future<Output = ()>,
    F: FnMut(u64),
{
    let start = Instant::now();
    for seq in 1.. {
        sleep_until(start + Duration::from_secs_f64(seq as f64 / rate)).await;
        publish(seq);
    }
}

fn announce(addr: SocketAddr) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "listening {addr}");
    let _ = out.flush();
}

/// ssewire: `Server::<Smol>` routing every request to `Route::Stream(hub)`, a `Hub` with its
/// defaults; only `max_connections` is raised, for 10,000 streams.
pub(crate) fn run_ssewire(rate: f64) -> io::Result<()> {
    let hub = Hub::new(HubConfig::new());
    let config = server::Config::new().max_connections(MAX_CONNECTIONS);
    let streams = hub.clone();
    let server = Server::<Smol>::bind("127.0.0.1:0", config, move |_: &Request| {
        Route::Stream(streams.clone())
    })?;
    announce(server.local_addr());
    smol::spawn(publish_at(
        rate,
        |at| async move {
            smol::Timer::at(at).await;
        },
        move |seq| {
            // The hub numbers the events 1, 2, …: the id is `seq`.
            let _ = hub.publish(Event::new(payload(seq)));
        },
    ))
    .detach();
    smol::block_on(server.run())
}

/// The baseline: tokio's default runtime, one `broadcast` channel of frames, one task per
/// connection that reads the request head, writes a `200` head and then each frame as one
/// chunk in one `write_all`. A receiver that lags skips what it missed (the client counts it
/// lost). No `TCP_NODELAY`, as a plain user leaves it.
pub(crate) fn run_baseline(rate: f64) -> io::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        announce(listener.local_addr()?);
        let (frames, _) = broadcast::channel::<Arc<str>>(BASELINE_BACKLOG);
        let publisher = frames.clone();
        tokio::spawn(publish_at(
            rate,
            |at| tokio::time::sleep_until(at.into()),
            move |seq| {
                let frame = format!("id: {seq}\ndata: {}\n\n", payload(seq));
                let _ = publisher.send(frame.into());
            },
        ));
        loop {
            match listener.accept().await {
                Ok((socket, _)) => {
                    let frames = frames.clone();
                    tokio::spawn(async move {
                        let _ = serve_baseline(socket, frames).await;
                    });
                }
                // Out of file descriptors: wait and accept again.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
}

async fn serve_baseline(
    mut socket: TcpStream,
    frames: broadcast::Sender<Arc<str>>,
) -> io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await?;
        if n == 0 || head.len() > 8192 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let mut frames = frames.subscribe();
    socket
        .write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
        )
        .await?;
    let mut chunk = Vec::with_capacity(256);
    loop {
        match frames.recv().await {
            Ok(frame) => {
                chunk.clear();
                write!(chunk, "{:x}\r\n{frame}\r\n", frame.len())?;
                socket.write_all(&chunk).await?;
            }
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        }
    }
}
