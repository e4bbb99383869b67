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

use clap::Parser;
use serde::Serialize;
use ssewire_examples::{positive, print_listening, print_listening_tls, Rng, EXIT_USAGE};
use ssewire_futures::rt::Smol;
use ssewire_futures::server::{self, Reply, Request, Route, Server};
use ssewire_futures::{Event, Hub, HubConfig};

/// ticker: a live stock ticker over Server-Sent Events (smol)
///
/// Serves a page at / and the event stream at /events: `price-update` events with JSON data
/// {"symbol":…,"price":…} every tick for each symbol, and a plain `message` every 10th tick.
/// Prints `listening on http://ADDR/` on stdout first (`https://` with --tls-cert).
#[derive(Clone, Debug, PartialEq, Eq, Parser)]
#[command(
    verbatim_doc_comment,
    args_override_self = true,
    after_help = "Exit status: 0 never (it runs until killed), 1 if it cannot listen, 2 for a bad command line."
)]
struct Options {
    /// Address to listen on; port 0 picks one
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Time between ticks, in milliseconds
    #[arg(long = "interval-ms", value_name = "MS", default_value_t = 1000,
          value_parser = positive)]
    interval_ms: u64,
    /// Reconnection time sent to clients (`retry:`), in milliseconds
    #[arg(long = "retry-ms", value_name = "MS", default_value_t = 2000)]
    retry_ms: u64,
    /// Keep-alive comment after this idle time, in milliseconds; 0 for none
    #[arg(long = "keep-alive-ms", value_name = "MS", default_value_t = 15_000)]
    keep_alive_ms: u64,
    /// Serve over HTTPS with this certificate chain (PEM), and --tls-key
    #[arg(long = "tls-cert", value_name = "PATH", requires = "tls_key")]
    tls_cert: Option<String>,
    /// The private key (PEM) of --tls-cert; both or neither
    #[arg(long = "tls-key", value_name = "PATH", requires = "tls_cert")]
    tls_key: Option<String>,
}

impl Options {
    fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    fn keep_alive(&self) -> Option<Duration> {
        (self.keep_alive_ms > 0).then(|| Duration::from_millis(self.keep_alive_ms))
    }

    /// The certificate and key files, if both were given (clap requires each with the other).
    fn tls(&self) -> Option<(&str, &str)> {
        self.tls_cert.as_deref().zip(self.tls_key.as_deref())
    }
}

/// The data of a `price-update`.
#[derive(Serialize)]
struct Price<'a> {
    symbol: &'a str,
    /// In cents' precision.
    price: f64,
}

/// The symbols and their opening prices.
const SYMBOLS: [(&str, f64); 4] = [
    ("ACME", 101.0),
    ("GLOBEX", 54.0),
    ("INITECH", 12.5),
    ("UMBRELLA", 230.0),
];

/// A market note (a plain `message`) every this many ticks.
const NOTE_EVERY: u64 = 10;

fn main() {
    let options = Options::parse();
    // The replay window: the last 1024 events, far more than a tab misses while it reconnects.
    let hub = Hub::new(HubConfig::new());
    let config = server::Config::new()
        .retry(options.retry_ms)
        .keep_alive(options.keep_alive());
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
    match options.tls() {
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
    smol::spawn(tick(hub, options.interval())).detach();
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
            let data = Price {
                symbol,
                price: (*price * 100.0).round() / 100.0,
            };
            // The hub gives the event the next ID: 1, 2, 3, …
            let published = Event::json_data(&data)
                .map_err(|error| error.to_string())
                .and_then(|event| {
                    let event = event.event("price-update");
                    hub.publish(event).map_err(|error| error.to_string())
                });
            if let Err(error) = published {
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
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    fn parse_all(args: &[&str]) -> Result<Options, clap::Error> {
        Options::try_parse_from(["ticker"].iter().chain(args))
    }

    #[test]
    fn defaults_and_flags() {
        Options::command().debug_assert();
        let defaults = parse_all(&[]).unwrap();
        assert_eq!(defaults.addr, "127.0.0.1:8080");
        assert_eq!(defaults.interval(), Duration::from_secs(1));
        assert_eq!(defaults.retry_ms, 2000);
        assert_eq!(defaults.keep_alive(), Some(Duration::from_secs(15)));
        let options = parse_all(&[
            "--addr=0.0.0.0:0",
            "--interval-ms",
            "50",
            "--retry-ms",
            "0",
            "--keep-alive-ms",
            "0",
        ])
        .unwrap();
        assert_eq!(options.addr, "0.0.0.0:0");
        assert_eq!(options.interval(), Duration::from_millis(50));
        assert_eq!(options.retry_ms, 0);
        assert_eq!(options.keep_alive(), None);
        assert_eq!(options.tls(), None);
        let tls = parse_all(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap();
        assert_eq!(tls.tls(), Some(("c.pem", "k.pem")));
        // The last of a repeated flag counts, as before clap.
        assert_eq!(
            parse_all(&["--addr", "a", "--addr", "b"]).unwrap().addr,
            "b"
        );
        let help = parse_all(&["--addr", "x", "-h"]).unwrap_err();
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn bad_flags() {
        let error = |args: &[&str]| parse_all(args).unwrap_err();
        for (args, kind) in [
            (&["--interval-ms", "0"][..], ErrorKind::ValueValidation),
            (&["--tls-cert", "c.pem"], ErrorKind::MissingRequiredArgument),
            (&["--tls-key", "k.pem"], ErrorKind::MissingRequiredArgument),
            (&["--retry-ms", "-5"], ErrorKind::UnknownArgument),
            (&["--retry-ms", "x"], ErrorKind::ValueValidation),
            (&["--port", "1"], ErrorKind::UnknownArgument),
            (&["--addr"], ErrorKind::InvalidValue),
            (&["extra"], ErrorKind::UnknownArgument),
        ] {
            let error = error(args);
            assert_eq!(error.kind(), kind, "{args:?}: {error}");
            assert_eq!(error.exit_code(), EXIT_USAGE, "{args:?}");
        }
    }

    #[test]
    fn prices_are_json_with_cents() {
        let event = Event::json_data(&Price {
            symbol: "ACME",
            price: 101.25,
        })
        .unwrap();
        assert_eq!(event.data, r#"{"symbol":"ACME","price":101.25}"#);
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
