//! The driver: for each run it starts a server and its load clients as child processes (this
//! same program, with a subcommand), takes the server's CPU and memory from `/proc` around
//! the measurement window, and gathers what the clients saw.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use crate::histogram::Histogram;
use crate::{now_ns, procfs};

/// Streams one client process opens at most: each takes a file descriptor, and `ulimit -n`
/// is 20,000 per process.
pub(crate) const STREAMS_PER_CLIENT: usize = 18_000;

/// Time between the clients' `connected` and the window's start, for the servers to settle.
const SETTLE: Duration = Duration::from_millis(500);

/// The two servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Ssewire,
    Baseline,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Ssewire => "ssewire",
            Kind::Baseline => "baseline",
        }
    }

    /// Run `run`'s order: ssewire first in even runs, the baseline first in odd ones.
    pub(crate) fn order(run: usize) -> [Kind; 2] {
        if run.is_multiple_of(2) {
            [Kind::Ssewire, Kind::Baseline]
        } else {
            [Kind::Baseline, Kind::Ssewire]
        }
    }
}

/// One run's load: streams, events per second, measurement window, and the time after it for
/// the window's last events to arrive.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Load {
    pub(crate) streams: usize,
    pub(crate) rate: f64,
    pub(crate) window: Duration,
    pub(crate) grace: Duration,
    /// Streams per client process, at most [`STREAMS_PER_CLIENT`]: fewer spread the load
    /// over more processes.
    pub(crate) per_client: usize,
}

/// What one run of one server measured.
#[derive(Clone, Debug)]
pub(crate) struct Measured {
    pub(crate) kind: Kind,
    pub(crate) latencies: Histogram,
    /// Events the streams should have carried (events in the window × streams) and did not.
    pub(crate) lost: u64,
    pub(crate) duplicated: u64,
    /// Streams the server ended before the run's end.
    pub(crate) closed: u64,
    /// Percent of one core, over the window.
    pub(crate) server_cpu: f64,
    pub(crate) client_cpu: f64,
    /// KiB, before any client connected.
    pub(crate) idle_rss: u64,
    /// KiB per stream: (RSS at the window's end − idle RSS) / streams.
    pub(crate) rss_per_stream: f64,
}

impl Measured {
    /// Every event delivered once, and latencies measured.
    pub(crate) fn clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.closed == 0
            && self.latencies.len() > 0
            && self.latencies.max() > 0
    }
}

fn broken(what: String) -> io::Error {
    io::Error::other(what)
}

/// A child process of this program, with its stdout read line by line.
struct Process {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Process {
    fn spawn(args: &[String]) -> io::Result<Process> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let stdin = child.stdin.take();
        Ok(Process {
            child,
            stdin,
            stdout,
        })
    }

    /// The rest of the first line that starts with `prefix`.
    fn expect(&mut self, prefix: &str) -> io::Result<String> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line)? == 0 {
                return Err(broken(format!(
                    "{} ended before saying `{prefix}`",
                    self.child.id()
                )));
            }
            if let Some(rest) = line.trim_end().strip_prefix(prefix) {
                return Ok(rest.trim().to_owned());
            }
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a client's `result` line says.
#[derive(Default)]
struct ClientResult {
    streams: u64,
    distinct: u64,
    duplicated: u64,
    low: u64,
    high: u64,
    closed: u64,
    cpu: f64,
    latencies: Histogram,
}

fn parse_result(line: &str) -> io::Result<ClientResult> {
    let mut result = ClientResult::default();
    for field in line.split_whitespace() {
        let (key, value) = field.split_once('=').unwrap_or((field, ""));
        let bad = || broken(format!("client result: bad `{field}`"));
        let number = || value.parse::<u64>().map_err(|_| bad());
        match key {
            "streams" => result.streams = number()?,
            "distinct" => result.distinct = number()?,
            "duplicated" => result.duplicated = number()?,
            "low" => result.low = number()?,
            "high" => result.high = number()?,
            "closed" => result.closed = number()?,
            "cpu" => result.cpu = value.parse().map_err(|_| bad())?,
            "latencies" => result.latencies = Histogram::from_text(value).ok_or_else(bad)?,
            _ => {}
        }
    }
    Ok(result)
}

fn sleep_until_ns(at: u64) {
    std::thread::sleep(Duration::from_nanos(at.saturating_sub(now_ns())));
}

/// Runs `kind` under `load` once.
pub(crate) fn run(kind: Kind, load: Load) -> io::Result<Measured> {
    let mut server = Process::spawn(&[
        format!("server-{}", kind.name()),
        "--rate".into(),
        load.rate.to_string(),
    ])?;
    let addr = server.expect("listening")?;
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.pid();
    let idle_rss = procfs::rss_kib(&pid);

    let mut clients = Vec::new();
    let mut left = load.streams;
    let per_client = load.per_client.clamp(1, STREAMS_PER_CLIENT);
    let parts = load.streams.div_ceil(per_client).max(1);
    for part in 0..parts {
        let streams = left / (parts - part);
        left -= streams;
        clients.push(Process::spawn(&[
            "client".into(),
            "--addr".into(),
            addr.clone(),
            "--streams".into(),
            streams.to_string(),
            "--window-secs".into(),
            load.window.as_secs_f64().to_string(),
            "--grace-secs".into(),
            load.grace.as_secs_f64().to_string(),
        ])?);
    }
    for client in &mut clients {
        client.expect("connected")?;
    }
    let start = now_ns() + SETTLE.as_nanos() as u64;
    for client in &mut clients {
        let stdin = client.stdin.as_mut().expect("piped");
        writeln!(stdin, "go {start}")?;
        stdin.flush()?;
    }
    sleep_until_ns(start);
    let cpu = procfs::cpu_seconds(&pid);
    sleep_until_ns(start + load.window.as_nanos() as u64);
    let server_cpu = procfs::cpu_seconds(&pid) - cpu;
    let end_rss = procfs::rss_kib(&pid);

    let mut results = Vec::new();
    for client in &mut clients {
        results.push(parse_result(&client.expect("result")?)?);
    }
    drop(server);

    let low = results.iter().map(|r| r.low).filter(|&l| l > 0).min();
    let high = results.iter().map(|r| r.high).max().unwrap_or(0);
    // Events published in the window: the range every client saw, or, if none saw any, what
    // the rate says.
    let published = match low {
        Some(low) => high - low + 1,
        None => (load.rate * load.window.as_secs_f64()).round() as u64,
    };
    let mut latencies = Histogram::default();
    results.iter().for_each(|r| latencies.merge(&r.latencies));
    let sum = |field: fn(&ClientResult) -> u64| results.iter().map(field).sum::<u64>();
    let window = load.window.as_secs_f64();
    Ok(Measured {
        kind,
        latencies,
        lost: (sum(|r| r.streams) * published).saturating_sub(sum(|r| r.distinct)),
        duplicated: sum(|r| r.duplicated),
        closed: sum(|r| r.closed),
        server_cpu: 100.0 * server_cpu / window,
        client_cpu: 100.0 * results.iter().map(|r| r.cpu).sum::<f64>() / window,
        idle_rss,
        rss_per_stream: end_rss.saturating_sub(idle_rss) as f64 / load.streams.max(1) as f64,
    })
}
