//! Fan-out benchmark: ssewire's `Server` and `Hub` next to a plain tokio server (one
//! `broadcast` channel, a task per connection), each in a child process of its own, loaded by
//! client processes over loopback. See README.md, "Fan-out".
//!
//! ```text
//! fanout [--scenario smoke|1k|10k|burst|saturation] [--runs N] [--streams N] [--rate EVENTS/S]
//!        [--window-secs S] [--grace-secs S] [--streams-per-client N] [--check]
//! ```
//!
//! The subcommands `server-ssewire`, `server-baseline` and `client` are the child processes
//! the driver starts; they are not meant to be run by hand.

use std::collections::BTreeMap;
use std::io;
use std::process::exit;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod client;
mod driver;
mod histogram;
mod procfs;
mod report;
mod servers;

use driver::{Kind, Load, Measured};

const HELP: &str = "\
fanout: ssewire's server next to a plain tokio one, fanning events out to many streams

usage: fanout [--scenario NAME] [--runs N] [--streams N] [--rate EVENTS/S]
              [--window-secs S] [--grace-secs S] [--streams-per-client N] [--check]

scenarios (streams x events/s, window, runs):
  smoke       50 x 20/s, 2 s, 1 run (the default)
  1k          1,000 x 1/s, 20 s, 3 runs
  10k         10,000 x 1/s, 20 s, 3 runs
  burst       1,000 x 100/s, 10 s, 3 runs
  saturation  1,000 streams, the rate doubled from 100/s (5 s a step) until an event is lost
              or p99 passes 1 s, 3 runs: the highest events x streams per second with no loss

--streams-per-client N  streams one client process opens (at most and by default 18,000:
                        `ulimit -n` is 20,000); fewer spread the client over more processes
--check  exit 1 unless every run delivered every event once and measured latencies
";

/// Nanoseconds since the UNIX epoch: the send time events carry, and the clock every process
/// of a run shares.
fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The flags of a command line: `--name value` pairs and `--check`.
struct Flags {
    values: BTreeMap<String, String>,
    check: bool,
}

impl Flags {
    fn parse(args: &[String], known: &[&str]) -> io::Result<Flags> {
        let mut flags = Flags {
            values: BTreeMap::new(),
            check: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--check" => flags.check = true,
                "-h" | "--help" => {
                    print!("{HELP}");
                    exit(0);
                }
                name if known.contains(&name) => {
                    let value = args
                        .next()
                        .ok_or_else(|| usage(format!("{name} needs a value")))?;
                    flags.values.insert(name.to_owned(), value.clone());
                }
                other => return Err(usage(format!("unexpected `{other}`"))),
            }
        }
        Ok(flags)
    }

    fn get<T: FromStr>(&self, name: &str) -> io::Result<Option<T>> {
        self.values
            .get(name)
            .map(|value| {
                value
                    .parse()
                    .map_err(|_| usage(format!("{name}: cannot read `{value}`")))
            })
            .transpose()
    }

    fn secs(&self, name: &str) -> io::Result<Option<Duration>> {
        Ok(self.get::<f64>(name)?.map(Duration::from_secs_f64))
    }
}

fn usage(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

/// A scenario's defaults: its load and how many runs.
fn scenario(name: &str) -> io::Result<(Load, usize)> {
    let load = |streams, rate, window| Load {
        streams,
        rate,
        window: Duration::from_secs(window),
        grace: Duration::from_secs(2),
        per_client: driver::STREAMS_PER_CLIENT,
    };
    Ok(match name {
        "smoke" => (
            Load {
                grace: Duration::from_secs(1),
                ..load(50, 20.0, 2)
            },
            1,
        ),
        "1k" => (load(1_000, 1.0, 20), 3),
        "10k" => (load(10_000, 1.0, 20), 3),
        "burst" => (load(1_000, 100.0, 10), 3),
        "saturation" => (load(1_000, 100.0, 5), 3),
        other => return Err(usage(format!("no scenario `{other}`"))),
    })
}

/// Steps of the saturation ladder at most: the rate doubles each step.
const SATURATION_STEPS: usize = 12;

/// A saturation step fails when p99 passes this, in microseconds.
const SATURATION_P99: u64 = 1_000_000;

fn drive(args: &[String]) -> io::Result<()> {
    let flags = Flags::parse(
        args,
        &[
            "--scenario",
            "--runs",
            "--streams",
            "--rate",
            "--window-secs",
            "--grace-secs",
            "--streams-per-client",
        ],
    )?;
    let name = flags.get::<String>("--scenario")?.unwrap_or("smoke".into());
    let (mut load, runs) = scenario(&name)?;
    let runs = flags.get("--runs")?.unwrap_or(runs).max(1);
    load.streams = flags.get("--streams")?.unwrap_or(load.streams).max(1);
    load.rate = flags.get("--rate")?.unwrap_or(load.rate);
    load.window = flags.secs("--window-secs")?.unwrap_or(load.window);
    load.grace = flags.secs("--grace-secs")?.unwrap_or(load.grace);
    load.per_client = flags
        .get("--streams-per-client")?
        .unwrap_or(load.per_client);

    if name == "saturation" {
        let mut results = Vec::new();
        for run in 0..runs {
            for kind in Kind::order(run) {
                let (best, stop) = saturate(kind, load)?;
                eprintln!(
                    "run {}: {}: {best} events/s per stream; {stop}",
                    run + 1,
                    kind.name()
                );
                results.push((run, kind, best, stop));
            }
        }
        print!("{}", report::saturation(&name, load, &results));
        return Ok(());
    }

    let mut results = Vec::new();
    for run in 0..runs {
        for kind in Kind::order(run) {
            let measured = driver::run(kind, load)?;
            eprintln!("{}", report::row(run, &measured));
            results.push((run, measured));
        }
    }
    print!("{}", report::fixed(&name, load, &results));
    if flags.check && !results.iter().all(|(_, m)| m.clean()) {
        return Err(io::Error::other(
            "check: an event was lost, duplicated or not timed",
        ));
    }
    Ok(())
}

/// Doubles the rate from `load.rate` until a step loses an event (or p99 passes a second);
/// returns the highest rate with none lost, 0 if the first step failed, and why the ladder
/// stopped.
fn saturate(kind: Kind, load: Load) -> io::Result<(f64, String)> {
    let mut best = 0.0;
    let mut rate = load.rate;
    for _ in 0..SATURATION_STEPS {
        let measured: Measured = driver::run(kind, Load { rate, ..load })?;
        let p99 = measured.latencies.quantile(0.99);
        if !measured.clean() || p99 > SATURATION_P99 {
            let stop = format!(
                "at {rate}/s: lost {}, duplicated {}, closed {}, p99 {:.1} ms",
                measured.lost,
                measured.duplicated,
                measured.closed,
                p99 as f64 / 1000.0
            );
            return Ok((best, stop));
        }
        best = rate;
        rate *= 2.0;
    }
    Ok((best, format!("the ladder's top, {best}/s, passed")))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some(server @ ("server-ssewire" | "server-baseline")) => Flags::parse(rest, &["--rate"])
            .and_then(|flags| {
                let rate = flags.get("--rate")?.unwrap_or(1.0);
                if server == "server-ssewire" {
                    servers::run_ssewire(rate)
                } else {
                    servers::run_baseline(rate)
                }
            }),
        Some("client") => Flags::parse(
            rest,
            &["--addr", "--streams", "--window-secs", "--grace-secs"],
        )
        .and_then(|flags| {
            let addr = flags
                .get("--addr")?
                .ok_or_else(|| usage("--addr is needed".into()))?;
            client::run(
                addr,
                flags.get("--streams")?.unwrap_or(1),
                flags
                    .secs("--window-secs")?
                    .unwrap_or(Duration::from_secs(1)),
                flags
                    .secs("--grace-secs")?
                    .unwrap_or(Duration::from_secs(1)),
            )
        }),
        _ => drive(&args),
    };
    if let Err(error) = result {
        eprintln!("fanout: {error}");
        exit(1);
    }
}
