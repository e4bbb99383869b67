//! What the example programs share: how a client trusts `https://` servers, a small random
//! number generator, the first line a server prints and the exit status of a bad command
//! line. Each program is in `src/bin/`, its command line parsed with clap; see the README.

#![forbid(unsafe_code)]

pub mod mount;

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use ssewire_futures::client::{self, EventSource, TcpTls, TlsConfig};
use ssewire_futures::rt::Smol;

/// The exit status of a command line that cannot be used: clap's, for the errors it finds
/// (an unknown flag, a bad value), and the programs' own for what they find after it (a URL
/// the client cannot request, a file that cannot be read).
pub const EXIT_USAGE: i32 = 2;

/// A whole number of at least 1, for clap's `value_parser` (`--count`, `--interval-ms`):
/// `invalid value '0' for '--count <N>': must be at least 1`.
///
/// # Errors
///
/// What to print: not a number, or 0.
pub fn positive(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(error) => Err(error.to_string()),
    }
}

/// How a client program trusts `https://` servers: `--cacert PATH` and `--insecure`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFlags {
    /// A PEM file of roots to trust besides Mozilla's.
    pub cacert: Option<String>,
    /// Accept any certificate (curl's `-k`): for a test server only.
    pub insecure: bool,
}

impl TlsFlags {
    /// An event source for `url` on smol, trusting what these flags say.
    ///
    /// # Errors
    ///
    /// A message to print: an unreadable `--cacert`, or a URL the client cannot request.
    pub fn event_source(&self, url: &str, config: client::Config) -> Result<EventSource, String> {
        if self.cacert.is_none() && !self.insecure {
            return EventSource::new::<Smol>(url, config)
                .map_err(|error| format!("{error}: {url}"));
        }
        let mut tls = TlsConfig::new().danger_accept_invalid_certificates(self.insecure);
        if let Some(path) = &self.cacert {
            let pem =
                std::fs::read(path).map_err(|error| format!("cannot read '{path}': {error}"))?;
            tls = tls
                .root_pem(&pem)
                .map_err(|error| format!("{path}: {error}"))?;
        }
        let connector = TcpTls::<Smol>::new(&tls).map_err(|error| error.to_string())?;
        EventSource::with_connector::<Smol, _>(url, config, connector)
            .map_err(|error| format!("{error}: {url}"))
    }
}

/// The line a server prints first on stdout, so that a script can start it on port 0 and read
/// the port: `listening on http://127.0.0.1:8080/`.
#[must_use]
pub fn listening_line(addr: SocketAddr) -> String {
    format!("listening on http://{addr}/")
}

/// Prints [`listening_line`] on stdout (line-buffered: flushed at once).
pub fn print_listening(addr: SocketAddr) {
    println!("{}", listening_line(addr));
}

/// [`print_listening`] for a server that speaks TLS: `listening on https://ADDR/`.
pub fn print_listening_tls(addr: SocketAddr) {
    println!("listening on https://{addr}/");
}

/// A xorshift64* generator: enough randomness for fake prices and job durations.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from `seed` (any value; zero is replaced).
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// A generator seeded from the clock.
    #[must_use]
    pub fn from_time() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Fold the 128 bits into 64; mix so that close seeds give different sequences.
        let seed = (nanos as u64) ^ ((nanos >> 64) as u64);
        Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        // The top 53 bits, as many as an f64 holds exactly.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in `low..high` (`low` if the range is empty).
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            low
        } else {
            low + self.next_u64() % (high - low)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_stays_in_range_and_moves() {
        let mut rng = Rng::new(0);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
            let n = rng.range(10, 20);
            assert!((10..20).contains(&n));
            seen.insert(n);
        }
        assert_eq!(seen.len(), 10);
        assert_eq!(rng.range(5, 5), 5);
    }

    #[test]
    fn positive_numbers() {
        assert_eq!(positive("1"), Ok(1));
        assert_eq!(positive("0"), Err("must be at least 1".to_owned()));
        assert_eq!(
            positive("-1"),
            Err("invalid digit found in string".to_owned())
        );
        assert_eq!(
            positive(""),
            Err("cannot parse integer from empty string".to_owned())
        );
    }

    #[test]
    fn listening_line_is_a_url() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(listening_line(addr), "listening on http://127.0.0.1:8080/");
        let addr: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(listening_line(addr), "listening on http://[::1]:80/");
    }
}
