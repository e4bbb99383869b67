//! Checks the behaviour claims of the root README's comparison table on concrete inputs.
//!
//! ```text
//! cargo run --release -p ssewire-bench --bin claims                     # the tables, the evidence
//! cargo run --release -p ssewire-bench --bin claims -- --check README.md benches/README.md
//! ```
//!
//! Every parser (ssewire and the four peers) is fed the same small inputs, in the chunks given,
//! through the API its users call, the same way `src/parsers.rs` drives it; every encoder
//! (ssewire, sse-stream, sse-codec, async-sse, as in `src/encoders.rs`) is given the same
//! events, and its output is read back with ssewire's parser. What came out is compared with
//! what the WHATWG HTML standard ("Server-sent events", "Interpreting an event stream")
//! prescribes. The program prints two Markdown tables, one column per crate: the root README's
//! comparison (one row per claim, each standing for rows of the full table: [`CLAIMS`]), and
//! the full table (one row per behaviour: `yes`, or `no` with a short note); then the evidence:
//! what was fed, what the standard expects, and what each crate returned.
//!
//! With `--check FILE...` it runs ssewire's checks alone (a few seconds) and compares
//! ssewire's column of each of these tables found in each file with what it got; it prints
//! every difference and fails if there is one, or if a file holds neither table. Peers'
//! columns are not compared: they are from the last full run. Ratios of the linear-time check
//! (`2.1×`) vary from run to run and are not compared either.
//!
//! How peers' results are compared:
//!
//! - An event is its type, data and id. A peer's `None` id reads as `""` (no last event ID),
//!   a `None` type as `message`. sse-stream returns every block, also blocks without `data`;
//!   like a browser, only blocks with data count as events (their `retry` still counts).
//! - `retry` is whatever the peer's API reports: ssewire's `Item::Retry(ms)`, sse-stream's
//!   `Sse::retry` (ms), eventsource-stream's `Event::retry` (`Duration`), sse-codec's
//!   `Event::Retry { retry }` (ms), async-sse's `Event::Retry(Duration)`.
//! - Every call runs under `catch_unwind`; a panic is reported as such.
//! - The linear-time check stops feeding a parser after 20 s (the input stream ends there).
//!
//! On Linux with glibc the program runs itself again with `GLIBC_TUNABLES` set (see
//! [`MALLOC_TUNABLES`]) unless that variable is set already: otherwise glibc hands the
//! parsers' freed multi-MiB buffers back to the kernel depending on their size, and the page
//! faults made linear parsers look 3 to 6 times slower on 8 MiB than on 4 MiB.

use std::{
    cell::Cell,
    fmt::Write as _,
    io,
    panic::{self, AssertUnwindSafe},
    pin::pin,
    process::ExitCode,
    time::{Duration, Instant},
};

use futures::{
    executor::block_on, future, stream, AsyncReadExt as _, Stream, StreamExt as _,
    TryStreamExt as _,
};
use ssewire::parse::{Item, Limits, Parser};

/// The longest a parser may take on one input of the linear-time check.
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// Column headers, in order: ssewire, then the peers with their exact versions (`Cargo.lock`).
const CRATES: [&str; 5] = [
    "ssewire",
    "sse-stream 0.3.0",
    "eventsource-stream 0.2.3",
    "sse-codec 0.3.3",
    "async-sse 5.1.0",
];

/// glibc malloc settings for the whole run: blocks up to 32 MiB (the most glibc allows) come
/// from the heap rather than `mmap`, and the heap is never trimmed, so every parser's large
/// buffers stay mapped from one run to the next, at every size.
const MALLOC_TUNABLES: &str =
    "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296";

fn main() -> ExitCode {
    if let Some(code) = rerun_with_malloc_tunables() {
        return code;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        None => {
            print_all();
            ExitCode::SUCCESS
        }
        Some((flag, files)) if flag == "--check" && !files.is_empty() => check(files),
        _ => {
            eprintln!("usage: claims [--check FILE...]");
            ExitCode::FAILURE
        }
    }
}

/// Runs every check on the first `crates` of [`CRATES`] (1: ssewire alone); gives the full
/// table and the evidence.
fn run_checks(crates: usize) -> (Table, String) {
    let mut table = Table::new(crates);
    let mut evidence = String::new();

    table.section("Parsers");
    for check in PARSE_CHECKS {
        run_parse_check(check, &mut table, &mut evidence);
    }
    run_linear_check(&mut table, &mut evidence);

    table.section("Encoders");
    for check in ENCODE_CHECKS {
        run_encode_check(check, &mut table, &mut evidence);
    }
    (table, evidence)
}

/// Every crate: the README's table, the full table, the evidence.
fn print_all() {
    let (table, evidence) = run_checks(CRATES.len());
    println!("Root README, \"Compared with other Rust SSE crates\":");
    println!();
    print!("{}", table.summary_markdown());
    println!();
    println!("Full table:");
    println!();
    print!("{}", table.markdown());
    println!();
    println!(
        "`yes`: as the WHATWG HTML standard prescribes. `—`: eventsource-stream has no encoder."
    );
    println!();
    println!("### Evidence");
    print!("{evidence}");
}

/// Runs this program again with `GLIBC_TUNABLES=`[`MALLOC_TUNABLES`] and returns its exit code,
/// unless `GLIBC_TUNABLES` is set already (or the program cannot be started again).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn rerun_with_malloc_tunables() -> Option<ExitCode> {
    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return None;
    }
    let status = std::process::Command::new(std::env::current_exe().ok()?)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", MALLOC_TUNABLES)
        .status()
        .ok()?;
    Some(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Not glibc: nothing to set.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn rerun_with_malloc_tunables() -> Option<ExitCode> {
    None
}

// ---------------------------------------------------------------------------------------------
// What the parsers report
// ---------------------------------------------------------------------------------------------

/// One dispatched event: type, data, last event ID.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ev {
    event: String,
    data: String,
    id: String,
}

impl Ev {
    fn new(event: &str, data: &str, id: &str) -> Self {
        Ev {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.to_owned(),
        }
    }
}

/// Everything a parser reported for one input.
#[derive(Debug, Default)]
struct Outcome {
    events: Vec<Ev>,
    /// Reconnection times reported, as the API states them.
    retries: Vec<Duration>,
    /// Errors the parser returned, in its own words.
    errors: Vec<String>,
    /// The panic message, if it panicked.
    panic: Option<String>,
    /// The run hit its deadline and the input stream was cut short.
    timed_out: bool,
}

/// A parser under test: reads `chunks` one after the other, ending the input early once
/// `deadline` has passed.
type ParseFn = fn(chunks: &[&[u8]], deadline: Instant) -> Outcome;

/// The parsers, in the order of [`CRATES`].
const PARSERS: [ParseFn; 5] = [
    parse_ssewire,
    parse_sse_stream,
    parse_eventsource_stream,
    parse_sse_codec,
    parse_async_sse,
];

/// `Parser::with_limits(storage, limits).feed(&mut chunk)` until `None`, for each chunk; the data
/// limit is the whole input, so the linear-time check's 8 MiB line fits.
fn parse_ssewire(chunks: &[&[u8]], deadline: Instant) -> Outcome {
    let total: usize = chunks.iter().map(|chunk| chunk.len()).sum();
    let limits = Limits::DEFAULT.data(total);
    let mut parser = Parser::with_limits(vec![0; limits.storage_len()], limits);
    let mut outcome = Outcome::default();
    for chunk in chunks {
        if Instant::now() >= deadline {
            outcome.timed_out = true;
            break;
        }
        let mut input = *chunk;
        while let Some(item) = parser.feed(&mut input) {
            match item {
                Ok(Item::Event(event)) => {
                    outcome
                        .events
                        .push(Ev::new(event.event, event.data, event.last_event_id));
                }
                Ok(Item::Retry(ms)) => outcome.retries.push(Duration::from_millis(ms)),
                Ok(Item::Comment(_)) => {}
                Err(error) => outcome.errors.push(error.to_string()),
            }
        }
    }
    outcome
}

/// The chunks as a stream of `io::Result<&[u8]>`, as an HTTP client hands them out; it ends
/// early, setting `timed_out`, once `deadline` has passed.
fn byte_stream<'a>(
    chunks: &'a [&'a [u8]],
    deadline: Instant,
    timed_out: &'a Cell<bool>,
) -> impl Stream<Item = io::Result<&'a [u8]>> + Unpin + 'a {
    let in_time = move |_: &&[u8]| {
        let in_time = Instant::now() < deadline;
        timed_out.set(!in_time);
        in_time
    };
    stream::iter(chunks.iter().copied().take_while(in_time).map(Ok))
}

/// `sse_stream::SseByteStream::new(byte_stream)`.
fn parse_sse_stream(chunks: &[&[u8]], deadline: Instant) -> Outcome {
    let timed_out = Cell::new(false);
    let mut outcome = Outcome::default();
    block_on(async {
        let mut blocks = pin!(sse_stream::SseByteStream::new(byte_stream(
            chunks, deadline, &timed_out
        )));
        while let Some(block) = blocks.next().await {
            match block {
                Ok(sse) => {
                    if let Some(retry) = sse.retry {
                        outcome.retries.push(Duration::from_millis(retry));
                    }
                    // A block without data is not an event (a browser dispatches nothing).
                    if let Some(data) = &sse.data {
                        outcome.events.push(Ev::new(
                            sse.event.as_deref().unwrap_or("message"),
                            data,
                            sse.id.as_deref().unwrap_or(""),
                        ));
                    }
                }
                Err(error) => outcome.errors.push(error.to_string()),
            }
        }
    });
    outcome.timed_out = timed_out.get();
    outcome
}

/// `byte_stream.eventsource()` (trait `eventsource_stream::Eventsource`).
fn parse_eventsource_stream(chunks: &[&[u8]], deadline: Instant) -> Outcome {
    use eventsource_stream::Eventsource as _;
    let timed_out = Cell::new(false);
    let mut outcome = Outcome::default();
    block_on(async {
        let mut events = pin!(byte_stream(chunks, deadline, &timed_out).eventsource());
        while let Some(event) = events.next().await {
            match event {
                Ok(event) => {
                    outcome.retries.extend(event.retry);
                    outcome
                        .events
                        .push(Ev::new(&event.event, &event.data, &event.id));
                }
                Err(error) => outcome.errors.push(error.to_string()),
            }
        }
    });
    outcome.timed_out = timed_out.get();
    outcome
}

/// `sse_codec::decode_stream(byte_stream.into_async_read())`.
fn parse_sse_codec(chunks: &[&[u8]], deadline: Instant) -> Outcome {
    let timed_out = Cell::new(false);
    let mut outcome = Outcome::default();
    block_on(async {
        let mut events = pin!(sse_codec::decode_stream(
            byte_stream(chunks, deadline, &timed_out).into_async_read()
        ));
        while let Some(event) = events.next().await {
            match event {
                Ok(sse_codec::Event::Message { id, event, data }) => {
                    outcome
                        .events
                        .push(Ev::new(&event, &data, id.as_deref().unwrap_or("")));
                }
                Ok(sse_codec::Event::Retry { retry }) => {
                    outcome.retries.push(Duration::from_millis(retry));
                }
                Err(error) => outcome.errors.push(error.to_string()),
            }
        }
    });
    outcome.timed_out = timed_out.get();
    outcome
}

/// `async_sse::decode(byte_stream.into_async_read())`.
fn parse_async_sse(chunks: &[&[u8]], deadline: Instant) -> Outcome {
    let timed_out = Cell::new(false);
    let mut outcome = Outcome::default();
    block_on(async {
        let mut events = pin!(async_sse::decode(
            byte_stream(chunks, deadline, &timed_out).into_async_read()
        ));
        while let Some(event) = events.next().await {
            match event {
                Ok(async_sse::Event::Message(message)) => {
                    outcome.events.push(Ev::new(
                        message.name(),
                        &String::from_utf8_lossy(message.data()),
                        message.id().as_deref().unwrap_or(""),
                    ));
                }
                Ok(async_sse::Event::Retry(retry)) => outcome.retries.push(retry),
                Err(error) => outcome.errors.push(error.to_string()),
            }
        }
    });
    outcome.timed_out = timed_out.get();
    outcome
}

/// Runs `parse` on `chunks` under `catch_unwind`, with the linear-time check's deadline.
fn run_parser(parse: ParseFn, chunks: &[&[u8]]) -> Outcome {
    let deadline = Instant::now() + RUN_LIMIT;
    guarded(|| parse(chunks, deadline)).unwrap_or_else(|panic| Outcome {
        panic: Some(panic),
        ..Outcome::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Parser checks
// ---------------------------------------------------------------------------------------------

/// What a check compares.
#[derive(Clone, Copy)]
enum Compare {
    /// The events dispatched.
    Events(&'static [(&'static str, &'static str, &'static str)]),
    /// The reconnection times reported, in milliseconds.
    Retries(&'static [u64]),
}

/// One input fed to every parser.
struct ParseCheck {
    /// The table row; `None` for a probe shown only in the evidence.
    row: Option<&'static str>,
    /// What the probe is about, for the evidence.
    title: &'static str,
    chunks: &'static [&'static [u8]],
    /// What the standard prescribes.
    expected: Compare,
}

const PARSE_CHECKS: &[ParseCheck] = &[
    ParseCheck {
        row: Some("CRLF split between two reads: one event `a\\nb`"),
        title: "CRLF split between two reads",
        chunks: &[b"data: a\r", b"\ndata: b\r\n\r\n"],
        expected: Compare::Events(&[("message", "a\nb", "")]),
    },
    ParseCheck {
        row: Some("CR-only line ends: one event `a\\nb`"),
        title: "CR-only line ends, stream ending right after the last CR",
        chunks: &[b"data: a\rdata: b\r\r"],
        expected: Compare::Events(&[("message", "a\nb", "")]),
    },
    ParseCheck {
        row: None,
        title: "CR-only line ends, followed by another event",
        chunks: &[b"data: a\rdata: b\r\rdata: c\r\r"],
        expected: Compare::Events(&[("message", "a\nb", ""), ("message", "c", "")]),
    },
    ParseCheck {
        row: Some("`retry: 1000` (with the space): 1000 ms"),
        title: "`retry: 1000`, with the space",
        chunks: &[b"retry: 1000\ndata: x\n\n"],
        expected: Compare::Retries(&[1000]),
    },
    ParseCheck {
        row: Some("`retry:1000` (no space): 1000 ms"),
        title: "`retry:1000`, without a space",
        chunks: &[b"retry:1000\ndata: x\n\n"],
        expected: Compare::Retries(&[1000]),
    },
    ParseCheck {
        row: Some("event type reset after dispatch"),
        title: "event type reset after dispatch",
        chunks: &[b"event: a\ndata: 1\n\ndata: 2\n\n"],
        expected: Compare::Events(&[("a", "1", ""), ("message", "2", "")]),
    },
    ParseCheck {
        row: Some("id persists across events (lastEventId)"),
        title: "id persists across events",
        chunks: &[b"id: 7\ndata: 1\n\ndata: 2\n\n"],
        expected: Compare::Events(&[("message", "1", "7"), ("message", "2", "7")]),
    },
    ParseCheck {
        row: Some("`id` containing NUL ignored"),
        title: "`id` containing NUL ignored (the earlier id of the block stays)",
        chunks: &[b"id: 1\nid: 2\x00z\ndata: a\n\n"],
        expected: Compare::Events(&[("message", "a", "1")]),
    },
    ParseCheck {
        row: Some("leading BOM stripped"),
        title: "leading UTF-8 BOM stripped",
        chunks: &[b"\xEF\xBB\xBFdata: a\n\n"],
        expected: Compare::Events(&[("message", "a", "")]),
    },
    ParseCheck {
        row: Some("only one leading space removed from values"),
        title: "only one leading space removed from values",
        chunks: &[b"event:  t\nid:  5\ndata:  a\n\n"],
        expected: Compare::Events(&[(" t", " a", " 5")]),
    },
    ParseCheck {
        row: Some("field without colon (`data`): an empty data line"),
        title: "field without colon: `data` alone is an empty data line",
        chunks: &[b"data\n\n"],
        expected: Compare::Events(&[("message", "", "")]),
    },
    ParseCheck {
        row: Some("only the final LF removed from data"),
        title: "only the final LF removed from data (`data: a` then an empty `data:` line)",
        chunks: &[b"data: a\ndata:\n\n"],
        expected: Compare::Events(&[("message", "a\n", "")]),
    },
    ParseCheck {
        row: Some("unterminated last block discarded at end of stream"),
        title: "unterminated last block discarded at end of stream",
        chunks: &[b"data: a\n\ndata: b\n"],
        expected: Compare::Events(&[("message", "a", "")]),
    },
];

/// Feeds `check` to the table's parsers, adds its row and its evidence.
fn run_parse_check(check: &ParseCheck, table: &mut Table, evidence: &mut String) {
    let _ = writeln!(
        evidence,
        "\n**{}.** Fed {}.",
        check.title,
        show_chunks(check.chunks)
    );
    let _ = match check.expected {
        Compare::Events(events) => writeln!(
            evidence,
            "Standard: {}.\n",
            show_events(&expected_events(events))
        ),
        Compare::Retries(retries) => writeln!(evidence, "Standard: {}.\n", show_ms(retries)),
    };
    let mut cells = Vec::new();
    for (name, parse) in CRATES.iter().zip(PARSERS).take(table.crates) {
        let outcome = run_parser(parse, check.chunks);
        let cell = judge(check.expected, &outcome);
        let _ = writeln!(evidence, "- {name}: {}", show_outcome(&outcome));
        cells.push(cell);
    }
    if let Some(row) = check.row {
        table.row(row, cells);
    }
}

fn expected_events(events: &[(&str, &str, &str)]) -> Vec<Ev> {
    events
        .iter()
        .map(|&(event, data, id)| Ev::new(event, data, id))
        .collect()
}

/// `yes`, or `no (what differs)`; in short, which fields of an event differ.
fn judge(expected: Compare, outcome: &Outcome) -> Verdict {
    if outcome.panic.is_some() {
        return Verdict::new("no (panics)");
    }
    match expected {
        Compare::Events(events) => {
            let expected = expected_events(events);
            if outcome.events == expected {
                return Verdict::new("yes");
            }
            if outcome.events.len() != expected.len() {
                return Verdict::new(format!("no ({})", count(outcome.events.len(), "event")));
            }
            let (index, (got, want)) = outcome
                .events
                .iter()
                .zip(&expected)
                .enumerate()
                .find(|(_, (got, want))| got != want)
                .expect("some event differs");
            let (mut diffs, mut fields) = (Vec::new(), Vec::new());
            if got.event != want.event {
                diffs.push(format!("type `{:?}`", got.event));
                fields.push("type");
            }
            if got.data != want.data {
                diffs.push(format!("data `{:?}`", got.data));
                fields.push("data");
            }
            if got.id != want.id {
                diffs.push(format!("id `{:?}`", got.id));
                fields.push("id");
            }
            let which = if expected.len() > 1 {
                format!("event {}: ", index + 1)
            } else {
                String::new()
            };
            Verdict::with_short(
                format!("no ({which}{})", diffs.join(", ")),
                format!("no (wrong {})", fields.join(", ")),
            )
        }
        Compare::Retries(retries) => {
            let expected: Vec<Duration> =
                retries.iter().copied().map(Duration::from_millis).collect();
            if outcome.retries == expected {
                Verdict::new("yes")
            } else if outcome.retries.is_empty() {
                Verdict::new("no (ignored)")
            } else {
                let shown: Vec<String> = outcome.retries.iter().map(|r| short(*r)).collect();
                Verdict::new(format!("no ({})", shown.join(", ")))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Linear time
// ---------------------------------------------------------------------------------------------

/// The sizes of the one data line, and the chunk size, of the linear-time check; the half
/// size is the fallback for a parser too slow for the large one.
const HALF_LINE: usize = 2 << 20;
const SMALL_LINE: usize = 4 << 20;
const LARGE_LINE: usize = 8 << 20;
const LINEAR_CHUNK: usize = 1024;
/// Timed parses per size, at least; the fastest counts.
const LINEAR_RUNS: usize = 3;
/// Fast parsers are timed again and again until this long has passed (at most
/// [`MAX_PARSES`] times), so that the fastest parse is one that nothing else on the machine
/// slowed down: other programs, page faults and the allocator only ever add time.
const RUN_TARGET: Duration = Duration::from_millis(600);
const MAX_PARSES: usize = 1000;

/// The timed parses of one parser on one size.
struct Timing {
    /// The time of each parse, in the order run.
    runs: Vec<Duration>,
    /// A parse hit [`RUN_LIMIT`] (and the remaining runs were skipped).
    timed_out: bool,
    /// What was wrong with the output of the warm-up parse, if anything.
    wrong: Option<String>,
}

impl Timing {
    fn fastest(&self) -> Duration {
        self.runs.iter().copied().min().unwrap_or(Duration::MAX)
    }

    fn median(&self) -> Duration {
        let mut runs = self.runs.clone();
        runs.sort();
        runs[runs.len() / 2]
    }
}

/// `data: ` + `len` × `x` + a blank line.
fn one_long_event(len: usize) -> Vec<u8> {
    let mut input = Vec::with_capacity(len + 8);
    input.extend_from_slice(b"data: ");
    input.resize(6 + len, b'x');
    input.extend_from_slice(b"\n\n");
    input
}

/// One warm-up parse of one event of a `len`-byte data line in [`LINEAR_CHUNK`]-byte chunks
/// (which also checks the output), then timed parses: at least [`LINEAR_RUNS`], and more
/// until [`RUN_TARGET`] has passed; stops at the first parse that hits the time limit.
fn time_runs(parse: ParseFn, len: usize) -> Timing {
    let input = one_long_event(len);
    let chunks: Vec<&[u8]> = input.chunks(LINEAR_CHUNK).collect();
    let mut timing = Timing {
        runs: Vec::new(),
        timed_out: false,
        wrong: None,
    };
    let outcome = run_parser(parse, &chunks);
    if outcome.timed_out {
        timing.timed_out = true;
        return timing;
    }
    let right = outcome.panic.is_none()
        && outcome.events.len() == 1
        && outcome.events[0].data.len() == len
        && outcome.events[0].data.bytes().all(|byte| byte == b'x');
    if !right {
        timing.wrong = Some(show_outcome(&outcome));
    }
    let started = Instant::now();
    while timing.runs.len() < LINEAR_RUNS
        || (started.elapsed() < RUN_TARGET && timing.runs.len() < MAX_PARSES)
    {
        let start = Instant::now();
        if run_parser(parse, &chunks).timed_out {
            timing.timed_out = true;
            return timing;
        }
        timing.runs.push(start.elapsed());
    }
    timing
}

/// Times every parser on a 4 MiB and an 8 MiB data line; `yes` if the ratio is under 3. A
/// parser whose 8 MiB parse hits the time limit, with too fast a 4 MiB parse to tell from that
/// alone, is timed on 2 MiB too, and the 4 MiB / 2 MiB ratio counts.
fn run_linear_check(table: &mut Table, evidence: &mut String) {
    let _ = writeln!(
        evidence,
        "\n**Linear time.** Fed one event, `data: `, one line of N × `x`, then `\\n\\n`, in \
         {LINEAR_CHUNK}-byte chunks, N = 4 MiB and 8 MiB. Per N: one warm-up parse (its output \
         checked), then timed parses, at least {LINEAR_RUNS} and more until {} ms have passed; the \
         fastest counts (what else runs on the machine only ever adds time). A parse over {} s is \
         stopped; if that happens at 8 MiB and does not settle the question, 2 MiB and 4 MiB are \
         compared instead. Linear: ratio ≈ 2; quadratic: ≈ 4. `yes` if under 3. \
         `GLIBC_TUNABLES`: {}.\n",
        RUN_TARGET.as_millis(),
        RUN_LIMIT.as_secs(),
        std::env::var("GLIBC_TUNABLES").map_or_else(|_| "not set".to_owned(), |t| format!("`{t}`"))
    );
    let limit = RUN_LIMIT.as_secs();
    let mut cells = Vec::new();
    for (name, parse) in CRATES.iter().zip(PARSERS).take(table.crates) {
        let small = time_runs(parse, SMALL_LINE);
        let mut line = format!("- {name}: 4 MiB: {}", show_timing(&small));
        let cell = if small.timed_out {
            Verdict::new(format!("no (>{limit} s for 4 MiB)"))
        } else {
            let large = time_runs(parse, LARGE_LINE);
            let _ = write!(line, "; 8 MiB: {}", show_timing(&large));
            if let Some(wrong) = &large.wrong {
                let _ = write!(line, " (wrong output: {wrong})");
            }
            if !large.timed_out {
                let ratio = large.fastest().as_secs_f64() / small.fastest().as_secs_f64();
                let _ = write!(line, "; ratio {ratio:.2}");
                verdict(ratio, &format!("{ratio:.1}×"))
            } else {
                // Only a lower bound on the 8 MiB / 4 MiB ratio is known.
                let bound = RUN_LIMIT.as_secs_f64() / small.fastest().as_secs_f64();
                let _ = write!(line, "; 8 MiB / 4 MiB ratio > {bound:.1}");
                if bound >= 3.0 {
                    Verdict::new(format!("no (ratio > {bound:.1})"))
                } else {
                    let half = time_runs(parse, HALF_LINE);
                    let _ = write!(line, "; 2 MiB: {}", show_timing(&half));
                    if half.timed_out {
                        Verdict::new(format!("unknown (8 MiB > {limit} s, ratio > {bound:.1})"))
                    } else {
                        let ratio = small.fastest().as_secs_f64() / half.fastest().as_secs_f64();
                        let _ = write!(line, "; 4 MiB / 2 MiB ratio {ratio:.2}");
                        verdict(
                            ratio,
                            &format!("8 MiB > {limit} s; 4 MiB / 2 MiB: {ratio:.1}×"),
                        )
                    }
                }
            }
        };
        if let Some(wrong) = &small.wrong {
            let _ = write!(line, "; wrong output at 4 MiB: {wrong}");
        }
        let _ = writeln!(evidence, "{line}");
        cells.push(cell);
    }
    table.row(
        "linear time: 8 MiB vs 4 MiB data line, 1 KiB chunks (time ratio < 3)",
        cells,
    );
}

/// `yes (note)` if `ratio` is under 3, else `no (note)`; in short `yes`, or `no (ratio×)`.
fn verdict(ratio: f64, note: &str) -> Verdict {
    if ratio < 3.0 {
        Verdict::with_short(format!("yes ({note})"), "yes")
    } else {
        Verdict::with_short(format!("no ({note})"), format!("no ({ratio:.1}×)"))
    }
}

fn show_timing(timing: &Timing) -> String {
    let mut text = match timing.runs.as_slice() {
        [] => String::new(),
        [_, _, _] => {
            let runs: Vec<String> = timing.runs.iter().map(|run| show_time(*run)).collect();
            format!(
                "{} (fastest {})",
                runs.join(", "),
                show_time(timing.fastest())
            )
        }
        runs => format!(
            "fastest {} of {} parses (median {})",
            show_time(timing.fastest()),
            runs.len(),
            show_time(timing.median())
        ),
    };
    if timing.timed_out {
        if !text.is_empty() {
            text.push_str(", then ");
        }
        let _ = write!(text, "a run over {} s, stopped", RUN_LIMIT.as_secs());
    }
    text
}

fn show_time(time: Duration) -> String {
    if time < Duration::from_secs(1) {
        format!("{:.2} ms", time.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", time.as_secs_f64())
    }
}

// ---------------------------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------------------------

/// An event to encode; `None` fields are left out.
#[derive(Clone, Copy, Debug, Default)]
struct EncodeInput {
    event: Option<&'static str>,
    id: Option<&'static str>,
    data: Option<&'static str>,
    retry_ms: Option<u64>,
}

/// An encoder under test: the bytes written, or the error it returned (its `Debug` form).
type EncodeFn = fn(&EncodeInput) -> Result<Vec<u8>, String>;

/// The encoders, in the order of [`CRATES`]; eventsource-stream has none.
const ENCODERS: [Option<EncodeFn>; 5] = [
    Some(encode_ssewire),
    Some(encode_sse_stream),
    None,
    Some(encode_sse_codec),
    Some(encode_async_sse),
];

/// `ssewire::encode::Event::new(data)` (or `Event::empty()`), `.event(..)`, `.id(..)`,
/// `.retry(ms)`, then `encode` into a buffer of `encoded_len()` bytes.
fn encode_ssewire(input: &EncodeInput) -> Result<Vec<u8>, String> {
    let mut event = match input.data {
        Some(data) => ssewire::encode::Event::new(data),
        None => ssewire::encode::Event::empty(),
    };
    if let Some(event_type) = input.event {
        event = event.event(event_type);
    }
    if let Some(id) = input.id {
        event = event.id(id);
    }
    if let Some(ms) = input.retry_ms {
        event = event.retry(ms);
    }
    let len = event.encoded_len().map_err(|error| format!("{error:?}"))?;
    let mut buf = vec![0; len];
    let len = event
        .encode(&mut buf)
        .map_err(|error| format!("{error:?}"))?;
    buf.truncate(len);
    Ok(buf)
}

/// `sse_stream::Sse::default()`, `.event(..)`, `.id(..)`, `.data(..)`,
/// `.retry_duration(Duration::from_millis(ms))`, then `.encode()`.
fn encode_sse_stream(input: &EncodeInput) -> Result<Vec<u8>, String> {
    let mut sse = sse_stream::Sse::default();
    if let Some(event_type) = input.event {
        sse = sse.event(event_type);
    }
    if let Some(id) = input.id {
        sse = sse.id(id);
    }
    if let Some(data) = input.data {
        sse = sse.data(data);
    }
    if let Some(ms) = input.retry_ms {
        sse = sse.retry_duration(Duration::from_millis(ms));
    }
    sse.encode()
        .map(|bytes| bytes.to_vec())
        .map_err(|error| format!("{error:?}"))
}

/// `futures_codec::Encoder::encode(&mut SSECodec, event, &mut BytesMut)`, the codec
/// `sse_codec::encode_stream` runs, with `Event::message(type, data, id)` (type `message` when
/// none is set: the codec leaves that out) and `Event::retry(ms)`.
fn encode_sse_codec(input: &EncodeInput) -> Result<Vec<u8>, String> {
    use futures_codec::Encoder as _;
    let mut codec = sse_codec::SSECodec::default();
    let mut buffer = futures_codec::BytesMut::new();
    if let Some(data) = input.data {
        let event = sse_codec::Event::message(input.event.unwrap_or("message"), data, input.id);
        codec
            .encode(event, &mut buffer)
            .map_err(|error| format!("{error:?}"))?;
    }
    if let Some(ms) = input.retry_ms {
        codec
            .encode(sse_codec::Event::retry(ms), &mut buffer)
            .map_err(|error| format!("{error:?}"))?;
    }
    Ok(buffer.to_vec())
}

/// `async_sse::encode()`: `Sender::send(type, data, id)` or
/// `Sender::send_retry(Duration::from_millis(ms), id)` on one side, the `Encoder` read to its
/// end (`AsyncRead`) on the other, both polled by one `block_on`.
fn encode_async_sse(input: &EncodeInput) -> Result<Vec<u8>, String> {
    let (sender, mut encoder) = async_sse::encode();
    let input = *input;
    let send = async move {
        if let Some(data) = input.data {
            sender.send(input.event, data, input.id).await?;
        }
        if let Some(ms) = input.retry_ms {
            sender
                .send_retry(Duration::from_millis(ms), input.id)
                .await?;
        }
        io::Result::Ok(())
        // `sender` is dropped here: the encoder's stream ends.
    };
    let receive = async {
        let mut out = Vec::new();
        encoder.read_to_end(&mut out).await.map(|_| out)
    };
    let (sent, received) = block_on(future::join(send, receive));
    sent.map_err(|error| format!("{error:?}"))?;
    received.map_err(|error| format!("{error:?}"))
}

/// What an encoder check wants.
#[derive(Clone, Copy)]
enum Want {
    /// An error, since the event cannot be written without changing its meaning.
    Refused,
    /// The bytes, read back by ssewire, give one event with this data.
    Data(&'static str),
    /// The bytes, read back by ssewire, give this reconnection time in milliseconds.
    Retry(u64),
}

/// One event given to every encoder.
struct EncodeCheck {
    row: &'static str,
    title: &'static str,
    input: EncodeInput,
    want: Want,
}

const ENCODE_CHECKS: &[EncodeCheck] = &[
    EncodeCheck {
        row: "id containing LF refused with an error",
        title: "id containing LF: `\"1\\nevent: evil\"`, data `x`",
        input: EncodeInput {
            event: None,
            id: Some("1\nevent: evil"),
            data: Some("x"),
            retry_ms: None,
        },
        want: Want::Refused,
    },
    EncodeCheck {
        row: "event type containing LF refused with an error",
        title: "event type containing LF: `\"update\\nid: evil\"`, data `x`",
        input: EncodeInput {
            event: Some("update\nid: evil"),
            id: None,
            data: Some("x"),
            retry_ms: None,
        },
        want: Want::Refused,
    },
    EncodeCheck {
        row: "data with CRLF, CR, LF round-trips (`a\\nb\\nc\\nd`)",
        title: "data with CRLF, CR and LF: `\"a\\r\\nb\\rc\\nd\"`; should read back as `\"a\\nb\\nc\\nd\"`",
        input: EncodeInput {
            event: None,
            id: None,
            data: Some("a\r\nb\rc\nd"),
            retry_ms: None,
        },
        want: Want::Data("a\nb\nc\nd"),
    },
    EncodeCheck {
        row: "data ending in LF round-trips",
        title: "data ending in LF: `\"a\\n\"`",
        input: EncodeInput {
            event: None,
            id: None,
            data: Some("a\n"),
            retry_ms: None,
        },
        want: Want::Data("a\n"),
    },
    EncodeCheck {
        row: "empty data round-trips (event dispatched)",
        title: "empty data: `\"\"`",
        input: EncodeInput {
            event: None,
            id: None,
            data: Some(""),
            retry_ms: None,
        },
        want: Want::Data(""),
    },
    EncodeCheck {
        row: "retry written in milliseconds (1500 ms)",
        title: "retry of 1500 ms (`retry(1500)`, or `Duration::from_millis(1500)` where the API takes a `Duration`), no data",
        input: EncodeInput {
            event: None,
            id: None,
            data: None,
            retry_ms: Some(1500),
        },
        want: Want::Retry(1500),
    },
];

/// Gives `check` to the table's encoders, adds its row and its evidence.
fn run_encode_check(check: &EncodeCheck, table: &mut Table, evidence: &mut String) {
    let _ = writeln!(evidence, "\n**Encoder: {}.**\n", check.title);
    let mut cells = Vec::new();
    for (name, encode) in CRATES.iter().zip(ENCODERS).take(table.crates) {
        let Some(encode) = encode else {
            cells.push(Verdict::new("—"));
            continue;
        };
        let result = guarded(|| encode(&check.input));
        let (cell, shown) = match result {
            Err(panic) => (Verdict::new("no (panics)"), format!("panicked: {panic:?}")),
            Ok(Err(error)) => {
                let cell = match check.want {
                    Want::Refused => Verdict::new("yes"),
                    _ => Verdict::new(format!("no (refused: {error})")),
                };
                (cell, format!("refused: `{error}`"))
            }
            Ok(Ok(bytes)) => {
                let read_back = run_parser(parse_ssewire, &[&bytes]);
                let cell = judge_encoded(check.want, &bytes, &read_back);
                let shown = format!(
                    "wrote `{:?}`; read back by ssewire: {}",
                    String::from_utf8_lossy(&bytes),
                    show_outcome(&read_back)
                );
                (cell, shown)
            }
        };
        let _ = writeln!(evidence, "- {name}: {shown}");
        cells.push(cell);
    }
    table.row(check.row, cells);
}

/// `yes`, or `no (what the written bytes mean)`, for bytes an encoder wrote; in short, a
/// written event that should have been refused is `no (injectable)` if fields were injected.
fn judge_encoded(want: Want, bytes: &[u8], read_back: &Outcome) -> Verdict {
    match want {
        Want::Refused => {
            let mut injected = Vec::new();
            for event in &read_back.events {
                if event.event != "message" {
                    injected.push(format!("type `{:?}`", event.event));
                }
                if !event.id.is_empty() {
                    injected.push(format!("id `{:?}`", event.id));
                }
            }
            let short = if injected.is_empty() {
                "no (written)"
            } else {
                "no (injectable)"
            };
            Verdict::with_short(
                format!("no (written: reads back as {})", injected.join(", ")),
                short,
            )
        }
        Want::Data(data) => Verdict::new(match read_back.events.as_slice() {
            [event] if event.data == data => "yes".to_owned(),
            [event] => format!("no (reads back `{:?}`)", event.data),
            events => format!("no ({})", count(events.len(), "event")),
        }),
        Want::Retry(ms) => Verdict::new(if read_back.retries == [Duration::from_millis(ms)] {
            "yes".to_owned()
        } else {
            let written = String::from_utf8_lossy(bytes);
            let line = written
                .lines()
                .find(|line| line.starts_with("retry"))
                .unwrap_or("no retry line");
            format!("no (writes `{line}`)")
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// One crate's result on one row: the full table's cell, and its short form for the README's.
#[derive(Clone, Debug)]
struct Verdict {
    cell: String,
    short: String,
}

impl Verdict {
    /// A cell that is its own short form, except that a `yes (note)` is `yes` in short.
    fn new(cell: impl Into<String>) -> Self {
        let cell = cell.into();
        let short = if cell.starts_with("yes") {
            "yes".to_owned()
        } else {
            cell.clone()
        };
        Verdict { cell, short }
    }

    fn with_short(cell: impl Into<String>, short: impl Into<String>) -> Self {
        Verdict {
            cell: cell.into(),
            short: short.into(),
        }
    }
}

/// The root README's comparison table ("Compared with other Rust SSE crates"): each claim, and
/// the rows of the full table it stands for. A crate's cell is `yes` if it passes every one of
/// those rows, `—` if none applies to it, and otherwise its first failing row's short form.
const CLAIMS: &[(&str, &[&str])] = &[
    (
        "CRLF split between two reads",
        &["CRLF split between two reads: one event `a\\nb`"],
    ),
    (
        "CR-only line ends",
        &["CR-only line ends: one event `a\\nb`"],
    ),
    (
        "`retry: 1000` (with its space)",
        &["`retry: 1000` (with the space): 1000 ms"],
    ),
    (
        "id persists across events (`lastEventId`)",
        &["id persists across events (lastEventId)"],
    ),
    ("leading BOM", &["leading BOM stripped"]),
    (
        "linear time on long lines (twice the line: N× the time)",
        &["linear time: 8 MiB vs 4 MiB data line, 1 KiB chunks (time ratio < 3)"],
    ),
    (
        "encoder refuses LF in id and event type",
        &[
            "id containing LF refused with an error",
            "event type containing LF refused with an error",
        ],
    ),
    (
        "encoded data with CR, LF, CRLF round-trips",
        &["data with CRLF, CR, LF round-trips (`a\\nb\\nc\\nd`)"],
    ),
    (
        "`retry` written in milliseconds",
        &["retry written in milliseconds (1500 ms)"],
    ),
];

/// The results: a row per behaviour, a column for each of the first `crates` of [`CRATES`].
struct Table {
    crates: usize,
    rows: Vec<(String, Vec<Verdict>)>,
}

impl Table {
    fn new(crates: usize) -> Self {
        Table {
            crates,
            rows: Vec::new(),
        }
    }

    /// A row naming a group of behaviours, with empty cells.
    fn section(&mut self, name: &str) {
        self.rows
            .push((format!("**{name}**"), vec![Verdict::new(""); self.crates]));
    }

    fn row(&mut self, behaviour: &str, cells: Vec<Verdict>) {
        self.rows.push((behaviour.to_owned(), cells));
    }

    /// The full table, as Markdown.
    fn markdown(&self) -> String {
        let crates = &CRATES[..self.crates];
        let mut out = format!("| behaviour | {} |\n", crates.join(" | "));
        let _ = writeln!(out, "| --- |{}", " --- |".repeat(crates.len()));
        for (behaviour, cells) in &self.rows {
            let cells: Vec<&str> = cells.iter().map(|cell| cell.cell.as_str()).collect();
            let _ = writeln!(out, "| {behaviour} | {} |", cells.join(" | "));
        }
        out
    }

    /// The README's table ([`CLAIMS`]): a row per claim, a cell per crate.
    fn summary(&self) -> Vec<(&'static str, Vec<String>)> {
        CLAIMS
            .iter()
            .map(|&(claim, behaviours)| {
                let rows: Vec<&[Verdict]> = behaviours
                    .iter()
                    .map(|behaviour| {
                        let row = self.rows.iter().find(|(name, _)| name == behaviour);
                        let (_, cells) = row.unwrap_or_else(|| {
                            panic!("CLAIMS names `{behaviour}`, which no check produces")
                        });
                        cells.as_slice()
                    })
                    .collect();
                let cells = (0..self.crates)
                    .map(|krate| {
                        let shorts: Vec<&str> =
                            rows.iter().map(|row| row[krate].short.as_str()).collect();
                        if shorts.iter().all(|short| *short == "—") {
                            "—".to_owned()
                        } else if let Some(no) = shorts.iter().find(|short| **short != "yes") {
                            (*no).to_owned()
                        } else {
                            "yes".to_owned()
                        }
                    })
                    .collect();
                (claim, cells)
            })
            .collect()
    }

    /// The README's table, as Markdown: the peers named by the versions they are compatible
    /// with (`sse-stream 0.3`, `async-sse 5`).
    fn summary_markdown(&self) -> String {
        let crates: Vec<String> = CRATES[..self.crates]
            .iter()
            .map(|name| compatible(name))
            .collect();
        let mut out = format!("| | {} |\n", crates.join(" | "));
        let _ = writeln!(out, "| --- |{}", " :---: |".repeat(crates.len()));
        for (claim, cells) in self.summary() {
            let _ = writeln!(out, "| {claim} | {} |", cells.join(" | "));
        }
        out
    }
}

/// `name 0.3.0` → `name 0.3`, `name 5.1.0` → `name 5`: the versions a semver range `0.3` or
/// `5` takes.
fn compatible(name: &str) -> String {
    let Some((krate, version)) = name.split_once(' ') else {
        return name.to_owned();
    };
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("{krate} 0.{minor}"),
        (Some(major), _) => format!("{krate} {major}"),
        _ => name.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// --check
// ---------------------------------------------------------------------------------------------

/// Runs ssewire's checks and compares its column of the README's table and of the full table,
/// wherever either is found in `files`, with what they gave. Prints every difference.
fn check(files: &[String]) -> ExitCode {
    let started = Instant::now();
    let (table, evidence) = run_checks(1);
    // The one measurement among the checks, to see how far it is from its bound.
    for line in evidence
        .lines()
        .filter(|line| line.starts_with("- ssewire: 4 MiB"))
    {
        println!("linear time {}", line.trim_start_matches("- "));
    }
    let summary: Vec<(String, String)> = table
        .summary()
        .into_iter()
        .map(|(claim, cells)| (claim.to_owned(), cells[0].clone()))
        .collect();
    let full: Vec<(String, String)> = table
        .rows
        .iter()
        .map(|(behaviour, cells)| (behaviour.clone(), steady(&cells[0].cell)))
        .collect();
    let mut differences = 0;
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(error) => {
                eprintln!("{file}: {error}");
                return ExitCode::FAILURE;
            }
        };
        let tables = find_tables(&text);
        if tables.is_empty() {
            eprintln!(
                "{file}: neither table of this program (a header `| | ssewire |` or \
                 `| behaviour | ssewire |`)"
            );
            differences += 1;
        }
        for found in tables {
            let (name, expected) = if found.full {
                ("full table", &full)
            } else {
                ("README table", &summary)
            };
            let found_diffs = compare(file, &found, expected);
            if found_diffs == 0 {
                println!(
                    "{file}:{}: {name}: ssewire's column as the program gives it ({} rows)",
                    found.header_line,
                    expected.len()
                );
            }
            differences += found_diffs;
        }
    }
    println!("claims --check: {:.1} s", started.elapsed().as_secs_f64());
    if differences == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{differences} difference(s): put in what the program gives (cargo run --release -p \
             ssewire-bench --bin claims prints both tables), or fix what changed"
        );
        ExitCode::FAILURE
    }
}

/// A table of this program found in a Markdown file.
struct FoundTable {
    /// The full table (header `| behaviour | ssewire | ...`), or else the README's (`| | ssewire
    /// | ...`).
    full: bool,
    /// The line number of its header, from 1.
    header_line: usize,
    /// Each row's line number, first cell and ssewire's cell.
    rows: Vec<(usize, String, String)>,
}

/// The cells of a Markdown table row, trimmed; `None` if the line is not one.
fn cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

/// Every table whose header is `| | ssewire | ...` or `| behaviour | ssewire | ...`.
fn find_tables(text: &str) -> Vec<FoundTable> {
    let lines: Vec<&str> = text.lines().collect();
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let header = cells(lines[i]).filter(|cells| {
            cells.len() > 1
                && cells[1] == "ssewire"
                && (cells[0].is_empty() || cells[0] == "behaviour")
        });
        let Some(header) = header else {
            i += 1;
            continue;
        };
        let mut found = FoundTable {
            full: header[0] == "behaviour",
            header_line: i + 1,
            rows: Vec::new(),
        };
        // The header, then the alignment row, then the rows up to the first line that is not one.
        i += 2;
        while let Some(row) = lines.get(i).and_then(|line| cells(line)) {
            let ssewire = row.get(1).copied().unwrap_or_default();
            found
                .rows
                .push((i + 1, row[0].to_owned(), ssewire.to_owned()));
            i += 1;
        }
        tables.push(found);
    }
    tables
}

/// Compares ssewire's cells of `found` with `expected` (behaviour, cell); prints and counts
/// each row that differs, is missing, or is not one of the program's.
fn compare(file: &str, found: &FoundTable, expected: &[(String, String)]) -> usize {
    let mut differences = 0;
    for (behaviour, cell) in expected {
        match found.rows.iter().find(|(_, name, _)| name == behaviour) {
            None => {
                eprintln!(
                    "{file}:{}: row missing: `{behaviour}` (ssewire: `{cell}`)",
                    found.header_line
                );
                differences += 1;
            }
            Some((line, _, got)) => {
                let got = if found.full { steady(got) } else { got.clone() };
                if got != *cell {
                    eprintln!(
                        "{file}:{line}: `{behaviour}`: the file says `{got}`, the program `{cell}`"
                    );
                    differences += 1;
                }
            }
        }
    }
    for (line, name, _) in &found.rows {
        if !expected.iter().any(|(behaviour, _)| behaviour == name) {
            eprintln!("{file}:{line}: `{name}`: a row the program does not produce");
            differences += 1;
        }
    }
    differences
}

/// A full-table cell without the ratios that vary from run to run: `yes (2.1×)` → `yes (…×)`.
fn steady(cell: &str) -> String {
    let mut out = String::new();
    let mut number = String::new();
    for c in cell.chars() {
        if c.is_ascii_digit() || (c == '.' && !number.is_empty()) {
            number.push(c);
            continue;
        }
        if c == '×' {
            out.push('…');
        } else {
            out.push_str(&number);
        }
        number.clear();
        out.push(c);
    }
    out.push_str(&number);
    out
}

/// Runs `f`, turning a panic into its message, without the default hook printing it.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(hook);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|message| (*message).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string payload)".to_owned())
    })
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn show_chunks(chunks: &[&[u8]]) -> String {
    let shown: Vec<String> = chunks
        .iter()
        .map(|chunk| format!("`{:?}`", String::from_utf8_lossy(chunk)))
        .collect();
    if chunks.len() == 1 {
        format!("in one chunk: {}", shown[0])
    } else {
        format!("in {} chunks: {}", chunks.len(), shown.join(", "))
    }
}

/// A value for the evidence: quoted and escaped, long ones by their length only.
fn show_text(text: &str) -> String {
    if text.len() > 40 {
        format!("<{} bytes>", text.len())
    } else {
        format!("{text:?}")
    }
}

fn show_events(events: &[Ev]) -> String {
    let shown: Vec<String> = events
        .iter()
        .map(|event| {
            format!(
                "(type {}, data {}, id {})",
                show_text(&event.event),
                show_text(&event.data),
                show_text(&event.id)
            )
        })
        .collect();
    if events.is_empty() {
        return "0 events".to_owned();
    }
    format!("{}: `{}`", count(events.len(), "event"), shown.join(" "))
}

fn show_ms(retries: &[u64]) -> String {
    let shown: Vec<String> = retries.iter().map(|ms| format!("{ms} ms")).collect();
    format!("retry {}", shown.join(", "))
}

fn show_durations(retries: &[Duration]) -> String {
    let shown: Vec<String> = retries
        .iter()
        .map(|retry| {
            let ms = retry.as_millis();
            if ms >= 1_000_000 && ms % 1000 == 0 {
                format!("{ms} ms = {} s", ms / 1000)
            } else {
                format!("{ms} ms")
            }
        })
        .collect();
    format!("retry {}", shown.join(", "))
}

/// A reconnection time in a table cell: `N ms`, or `N s` from 1000 s up.
fn short(retry: Duration) -> String {
    if retry >= Duration::from_secs(1000) && retry.subsec_nanos() == 0 {
        format!("{} s", retry.as_secs())
    } else {
        format!("{} ms", retry.as_millis())
    }
}

fn show_outcome(outcome: &Outcome) -> String {
    if let Some(panic) = &outcome.panic {
        return format!("panicked: {panic:?}");
    }
    let mut parts = vec![show_events(&outcome.events)];
    if !outcome.retries.is_empty() {
        parts.push(show_durations(&outcome.retries));
    }
    if !outcome.errors.is_empty() {
        parts.push(format!("errors: {:?}", outcome.errors));
    }
    if outcome.timed_out {
        parts.push(format!("stopped after {} s", RUN_LIMIT.as_secs()));
    }
    parts.join("; ")
}
