//! `ticker`: a live stock ticker on smol, watched from a browser.
//!
//! It shows a [`Hub`] fanning one stream of events out to every browser tab, with IDs the hub
//! assigns, a replay window so that a tab that loses its connection gets exactly what it
//! missed, keep-alive comments, and the server's `retry` telling browsers how soon to come
//! back. Events:
//!
//! - `price-update`, JSON data `{"symbol":"ACME","price":101.25}`: one per symbol per tick,
//!   the prices a random walk;
//! - `message` (the default type, `onmessage`), plain text: a market note every 10th tick.
//!
//! `/` is a page that shows the prices, the connection state, the reconnections, the last
//! event ID and the notes; `/events` is the stream.
//!
//! ```text
//! cargo run -p ssewire-examples --bin ticker -- --addr 127.0.0.1:8080
//! # open http://127.0.0.1:8080/, or:
//! curl -N http://127.0.0.1:8080/events
//! ```
//!
//! The first line on stdout is `listening on http://ADDR/`, so a script can start it with
//! `--addr 127.0.0.1:0` and read the port.

use std::process::exit;
use std::time::Duration;

use ssewire_examples::args::{self, Arg, Args, Command, UsageError, EXIT_USAGE};
use ssewire_examples::{print_listening, print_listening_tls, Rng};
use ssewire_futures::rt::Smol;
use ssewire_futures::server::{self, Reply, Request, Route, Server};
use ssewire_futures::{Event, Hub, HubConfig};

const HELP: &str = "\
ticker: a live stock ticker over Server-Sent Events (smol)

Usage: ticker [OPTIONS]

Serves a page at / and the event stream at /events: `price-update` events with JSON data
{\"symbol\":…,\"price\":…} every tick for each symbol, and a plain `message` every 10th tick.
Prints `listening on http://ADDR/` on stdout first (`https://` with --tls-cert).

Options:
      --addr ADDR           address to listen on [default: 127.0.0.1:8080]; port 0 picks one
      --interval-ms MS      time between ticks [default: 1000]
      --retry-ms MS         reconnection time sent to clients (`retry:`) [default: 2000]
      --keep-alive-ms MS    keep-alive comment after this idle time; 0 for none [default: 15000]
      --tls-cert PATH       serve over HTTPS with this certificate chain (PEM), and
      --tls-key PATH        its private key (PEM); both or neither
  -h, --help                print this help

Exit status: 0 never (it runs until killed), 1 if it cannot listen, 2 for a bad command line.
";

/// The symbols and their opening prices.
const SYMBOLS: [(&str, f64); 4] = [
    ("ACME", 101.0),
    ("GLOBEX", 54.0),
    ("INITECH", 12.5),
    ("UMBRELLA", 230.0),
];

/// A market note (a plain `message`) every this many ticks.
const NOTE_EVERY: u64 = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Options {
    addr: String,
    interval: Duration,
    retry_ms: u64,
    keep_alive: Option<Duration>,
    tls: Option<(String, String)>,
}

fn parse(mut args: Args) -> Result<Command<Options>, UsageError> {
    let mut options = Options {
        addr: "127.0.0.1:8080".to_owned(),
        interval: Duration::from_millis(1000),
        retry_ms: 2000,
        keep_alive: Some(Duration::from_secs(15)),
        tls: None,
    };
    let (mut cert, mut key) = (None, None);
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Long("help") | Arg::Short('h') => return Ok(Command::Help),
            Arg::Long("addr") => options.addr = args.value("--addr")?,
            Arg::Long("interval-ms") => {
                options.interval =
                    Duration::from_millis(args::millis(&mut args, "--interval-ms", 1)?);
            }
            Arg::Long("retry-ms") => options.retry_ms = args::millis(&mut args, "--retry-ms", 0)?,
            Arg::Long("keep-alive-ms") => {
                let ms = args::millis(&mut args, "--keep-alive-ms", 0)?;
                options.keep_alive = (ms > 0).then(|| Duration::from_millis(ms));
            }
            Arg::Long("tls-cert") => cert = Some(args.value("--tls-cert")?),
            Arg::Long("tls-key") => key = Some(args.value("--tls-key")?),
            other => return Err(other.unexpected()),
        }
    }
    options.tls = match (cert, key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => {
            return Err(UsageError(
                "--tls-cert and --tls-key go together".to_owned(),
            ))
        }
    };
    Ok(Command::Run(options))
}

fn main() {
    let options = args::parse_or_exit("ticker", HELP, parse);
    // The replay window: the last 1024 events, far more than a tab misses while it reconnects.
    let hub = Hub::new(HubConfig::new());
    let config = server::Config::new()
        .retry(options.retry_ms)
        .keep_alive(options.keep_alive);
    let events = hub.clone();
    let router = move |request: &Request| match request.path() {
        "/" => Route::Reply(Reply::html(include_str!("../../static/ticker.html"))),
        "/events" => Route::Stream(events.clone()),
        _ => Route::NotFound,
    };
    let mut server = match Server::<Smol>::bind(options.addr.as_str(), config, router) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("ticker: cannot listen on {}: {error}", options.addr);
            exit(1);
        }
    };
    match &options.tls {
        Some((cert, key)) => {
            let tls = read_tls(cert, key).unwrap_or_else(|error| {
                eprintln!("ticker: {error}");
                exit(EXIT_USAGE);
            });
            server = server.tls(&tls);
            print_listening_tls(server.local_addr());
        }
        None => print_listening(server.local_addr()),
    }
    smol::spawn(tick(hub, options.interval)).detach();
    if let Err(error) = smol::block_on(server.run()) {
        eprintln!("ticker: {error}");
        exit(1);
    }
}

/// The server's TLS identity from the PEM files at `cert` and `key`.
fn read_tls(cert: &str, key: &str) -> Result<server::ServerTls, String> {
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("cannot read '{path}': {e}"));
    server::ServerTls::from_pem(&read(cert)?, &read(key)?).map_err(|e| format!("{cert}: {e}"))
}

/// Publishes the prices every `interval`, and a note every [`NOTE_EVERY`] ticks.
async fn tick(hub: Hub, interval: Duration) {
    let mut rng = Rng::from_time();
    let mut prices: Vec<f64> = SYMBOLS.iter().map(|(_, open)| *open).collect();
    for n in 1u64.. {
        smol::Timer::after(interval).await;
        for ((symbol, _), price) in SYMBOLS.iter().zip(&mut prices) {
            // A random walk: up or down by at most 1 %, never below a cent.
            *price = (*price * (1.0 + (rng.next_f64() - 0.5) * 0.02)).max(0.01);
            let data = format!(r#"{{"symbol":"{symbol}","price":{price:.2}}}"#);
            // The hub gives the event the next ID: 1, 2, 3, …
            if let Err(error) = hub.publish(Event::new(data).event("price-update")) {
                eprintln!("ticker: {error}");
            }
        }
        if n % NOTE_EVERY == 0 {
            let note = market_note(n, &prices);
            if let Err(error) = hub.publish(Event::new(note)) {
                eprintln!("ticker: {error}");
            }
        }
    }
}

/// A note on the market: which symbol moved most since the open.
fn market_note(tick: u64, prices: &[f64]) -> String {
    let change = |i: usize| (prices[i] / SYMBOLS[i].1 - 1.0) * 100.0;
    let best = (0..prices.len())
        .max_by(|&a, &b| change(a).abs().total_cmp(&change(b).abs()))
        .unwrap_or(0);
    format!(
        "tick {tick}: {} moved most since the open ({:+.2} %)",
        SYMBOLS[best].0,
        change(best)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(args: &[&str]) -> Result<Command<Options>, UsageError> {
        parse(Args::new(args.iter().copied()))
    }

    #[test]
    fn defaults_and_flags() {
        let Command::Run(defaults) = parse_all(&[]).unwrap() else {
            panic!("no options")
        };
        assert_eq!(defaults.addr, "127.0.0.1:8080");
        assert_eq!(defaults.interval, Duration::from_secs(1));
        assert_eq!(defaults.retry_ms, 2000);
        assert_eq!(defaults.keep_alive, Some(Duration::from_secs(15)));
        let Command::Run(options) = parse_all(&[
            "--addr=0.0.0.0:0",
            "--interval-ms",
            "50",
            "--retry-ms",
            "0",
            "--keep-alive-ms",
            "0",
        ])
        .unwrap() else {
            panic!("no options")
        };
        assert_eq!(options.addr, "0.0.0.0:0");
        assert_eq!(options.interval, Duration::from_millis(50));
        assert_eq!(options.retry_ms, 0);
        assert_eq!(options.keep_alive, None);
        assert_eq!(options.tls, None);
        let tls = parse_all(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]);
        let Ok(Command::Run(tls)) = tls else {
            panic!("{tls:?}")
        };
        assert_eq!(tls.tls, Some(("c.pem".to_owned(), "k.pem".to_owned())));
        assert_eq!(parse_all(&["--addr", "x", "-h"]), Ok(Command::Help));
    }

    #[test]
    fn bad_flags() {
        let error = |args: &[&str]| parse_all(args).unwrap_err().0;
        assert_eq!(
            error(&["--interval-ms", "0"]),
            "--interval-ms must be at least 1"
        );
        assert_eq!(
            error(&["--tls-cert", "c.pem"]),
            "--tls-cert and --tls-key go together"
        );
        assert_eq!(
            error(&["--retry-ms", "-5"]),
            "invalid value '-5' for --retry-ms: invalid digit found in string"
        );
        assert_eq!(error(&["--port", "1"]), "unknown flag --port");
        assert_eq!(error(&["--addr"]), "flag --addr needs a value");
        assert_eq!(error(&["extra"]), "unexpected argument 'extra'");
    }

    #[test]
    fn note_names_the_biggest_mover() {
        let prices = [101.0, 54.0 * 1.1, 12.5, 230.0 * 0.95];
        assert_eq!(
            market_note(10, &prices),
            "tick 10: GLOBEX moved most since the open (+10.00 %)"
        );
    }
}
