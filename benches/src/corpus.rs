//! The event streams the parsers read, built deterministically, with the [`Digest`] a correct
//! parser reports for each.

use std::fmt::Write as _;

use crate::Digest;

/// The shape of the events in a corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `event: price-update`, an increasing `id`, one ~50-byte JSON `data` line; LF line ends.
    Small,
    /// [`Kind::Small`] with CRLF line ends.
    SmallCrlf,
    /// `event: snapshot`, an `id`, and one `data` line of [`LARGE_DATA`] bytes.
    Large,
    /// `event: batch`, an `id`, and [`MULTI_LINES`] `data` lines of 40 to 60 bytes each.
    MultiLine,
}

/// Bytes of data in each [`Kind::Large`] event.
pub const LARGE_DATA: usize = 64 * 1024;

/// `data` lines in each [`Kind::MultiLine`] event.
pub const MULTI_LINES: usize = 20;

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [Kind::Small, Kind::SmallCrlf, Kind::Large, Kind::MultiLine];

    /// A short name, for command lines.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Small => "small",
            Kind::SmallCrlf => "small-crlf",
            Kind::Large => "large",
            Kind::MultiLine => "multi-line",
        }
    }

    /// The kind named `name` (see [`Kind::name`]).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The event type every event of this corpus has.
    #[must_use]
    pub const fn event_type(self) -> &'static str {
        match self {
            Kind::Small | Kind::SmallCrlf => "price-update",
            Kind::Large => "snapshot",
            Kind::MultiLine => "batch",
        }
    }

    /// A few words describing the events.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Kind::Small => "small events (~50-byte JSON data line, LF)",
            Kind::SmallCrlf => "small events, CRLF line ends",
            Kind::Large => "64 KiB single-line data events",
            Kind::MultiLine => "20-line data events (40-60 bytes a line)",
        }
    }

    fn line_end(self) -> &'static str {
        match self {
            Kind::SmallCrlf => "\r\n",
            _ => "\n",
        }
    }
}

/// A corpus: the bytes of an event stream and what a correct parser reports for them.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// What the events look like.
    pub kind: Kind,
    /// The stream, ending with a complete event.
    pub bytes: Vec<u8>,
    /// What a correct parser reports.
    pub expected: Digest,
    /// CR and LF bytes in the stream (what the memchr2 floor counts).
    pub line_breaks: u64,
    /// Lines in the stream, a CRLF ending one (what the tokenizer floor counts).
    pub lines: u64,
}

impl Corpus {
    /// Events of `kind` until the stream holds at least `min_len` bytes (at least one event).
    ///
    /// The same `kind` always starts with the same events, so a shorter corpus is a prefix of a
    /// longer one.
    #[must_use]
    pub fn build(kind: Kind, min_len: usize) -> Corpus {
        let mut text = String::with_capacity(min_len + LARGE_DATA + 1024);
        let mut expected = Digest::default();
        let mut data = String::new();
        let mut id = String::new();
        let nl = kind.line_end();
        let mut n: u64 = 0;
        while n == 0 || text.len() < min_len {
            data.clear();
            id.clear();
            write!(id, "{n}").unwrap_or_default();
            match kind {
                Kind::Small | Kind::SmallCrlf => small_data(n, &mut data),
                Kind::Large => large_data(n, &mut data),
                Kind::MultiLine => multi_line_data(n, &mut data),
            }
            text.push_str("event: ");
            text.push_str(kind.event_type());
            text.push_str(nl);
            text.push_str("id: ");
            text.push_str(&id);
            text.push_str(nl);
            for line in data.split('\n') {
                text.push_str("data: ");
                text.push_str(line);
                text.push_str(nl);
            }
            text.push_str(nl);
            expected.add(true, data.len(), id.len());
            n += 1;
        }
        let bytes = text.into_bytes();
        let line_breaks = bytes.iter().filter(|&&b| b == b'\r' || b == b'\n').count() as u64;
        let crlf = bytes.windows(2).filter(|pair| pair == b"\r\n").count() as u64;
        Corpus {
            kind,
            bytes,
            expected,
            line_breaks,
            lines: line_breaks - crlf,
        }
    }

    /// The stream's size in MiB.
    #[must_use]
    pub fn mib(&self) -> f64 {
        self.bytes.len() as f64 / (1024.0 * 1024.0)
    }
}

/// The data of small event `n`: a ~50-byte JSON quote, as a price feed sends.
pub fn small_data(n: u64, out: &mut String) {
    let cents = 10_000 + (n * 7919) % 90_000;
    write!(
        out,
        "{{\"symbol\":\"ACME\",\"price\":{}.{:02},\"ts\":{}}}",
        cents / 100,
        cents % 100,
        1_700_000_000 + n
    )
    .unwrap_or_default();
}

/// The data of large event `n`: [`LARGE_DATA`] bytes of printable ASCII on one line.
fn large_data(n: u64, out: &mut String) {
    const ALPHABET: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.:{}[]\"";
    let start = (n as usize) % ALPHABET.len();
    out.extend(
        ALPHABET
            .iter()
            .cycle()
            .skip(start)
            .take(LARGE_DATA)
            .map(|&b| char::from(b)),
    );
}

/// The data of multi-line event `n`: [`MULTI_LINES`] JSON rows of 40 to 60 bytes, LF-joined.
fn multi_line_data(n: u64, out: &mut String) {
    for row in 0..MULTI_LINES as u64 {
        if row > 0 {
            out.push('\n');
        }
        let start = out.len();
        let target = 40 + ((n * 7 + row * 13) % 21) as usize;
        write!(out, "{{\"row\":{row},\"qty\":{},\"note\":\"", n % 1000).unwrap_or_default();
        while out.len() - start < target - 2 {
            out.push('x');
        }
        out.push_str("\"}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_rows_are_40_to_60_bytes() {
        let mut data = String::new();
        for n in 0..50 {
            data.clear();
            multi_line_data(n, &mut data);
            let lines: Vec<&str> = data.split('\n').collect();
            assert_eq!(lines.len(), MULTI_LINES);
            assert!(
                lines.iter().all(|l| (40..=60).contains(&l.len())),
                "{lines:?}"
            );
        }
    }

    #[test]
    fn small_data_is_about_50_bytes() {
        let mut data = String::new();
        small_data(12345, &mut data);
        assert!((45..=55).contains(&data.len()), "{data}");
    }

    #[test]
    fn shorter_corpus_is_a_prefix() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
            let short = Corpus::build(kind, 10_000);
            let long = Corpus::build(kind, 200_000);
            assert!(long.bytes.starts_with(&short.bytes), "{kind:?}");
            assert!(long.expected.events > short.expected.events);
        }
    }
}
