//! The `wire` benchmark: ssewire's parser and encoder next to sse-stream, eventsource-stream,
//! sse-codec and async-sse, and two floors (ssewire's tokenizer alone, a memchr2 line scan), in
//! one run.
//!
//! `cargo bench -p ssewire-bench` runs it; `SSEWIRE_BENCH_MIB=4` shrinks the corpora for a
//! quick run; `SSEWIRE_BENCH_ROW_SECS` (default 20) bounds the time of one table row: a parser
//! too slow to read the whole corpus that often reads a prefix of it instead, and the table
//! says so. Run without `--bench` (as `cargo test --benches` does), it makes one quick pass
//! over small corpora instead. See `benches/README.md`.
//!
//! Timed runs use the system allocator as it is. Heap allocations are counted by the
//! `count-allocs` program of this package, which runs the same code under a counting allocator,
//! so that the counter's atomic adds do not slow the timed runs of the crates that allocate.

use std::{
    collections::HashMap,
    hint::black_box,
    process::Command,
    time::{Duration, Instant},
};

use ssewire_bench::{
    corpus::{Corpus, Kind},
    encoders::{self, ENCODERS},
    measure::{measure, Sample, Settings},
    parsers::{self, PARSERS},
    report::{self, Row},
    Digest,
};

/// Heap allocations of one run, as the `count-allocs` program counts them.
fn allocations(args: &[String]) -> u64 {
    let program = env!("CARGO_BIN_EXE_count-allocs");
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.trim().parse() {
        Ok(n) if output.status.success() => n,
        _ => panic!(
            "count-allocs {args:?} failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// The corpora size unless `SSEWIRE_BENCH_MIB` says otherwise.
const DEFAULT_MIB: f64 = 32.0;
/// The corpora size of a smoke run (without `--bench`) unless `SSEWIRE_BENCH_MIB` says otherwise.
const SMOKE_MIB: f64 = 0.25;
/// The most one row may take, in seconds, unless `SSEWIRE_BENCH_ROW_SECS` says otherwise.
const DEFAULT_ROW_SECS: f64 = 20.0;
/// The prefix a parser first reads to estimate its speed.
const PROBE_BYTES: usize = 1 << 20;

/// One parse section: a corpus read in chunks of one size.
struct Case {
    kind: Kind,
    chunk: usize,
}

const CASES: [Case; 5] = [
    Case {
        kind: Kind::Small,
        chunk: 8 * 1024,
    },
    Case {
        kind: Kind::Large,
        chunk: 8 * 1024,
    },
    Case {
        kind: Kind::MultiLine,
        chunk: 8 * 1024,
    },
    Case {
        kind: Kind::SmallCrlf,
        chunk: 8 * 1024,
    },
    Case {
        kind: Kind::Small,
        chunk: 64,
    },
];

/// What the summary needs from a section.
struct Outcome {
    title: String,
    ssewire: Row,
    fastest_peer: Row,
}

fn env_f64(name: &str, default: f64) -> f64 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
        Err(_) => default,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then a quick smoke run.
    let smoke = !std::env::args().any(|arg| arg == "--bench");
    let mib = env_f64(
        "SSEWIRE_BENCH_MIB",
        if smoke { SMOKE_MIB } else { DEFAULT_MIB },
    );
    let row_budget = Duration::from_secs_f64(env_f64("SSEWIRE_BENCH_ROW_SECS", DEFAULT_ROW_SECS));
    let corpus_len = (mib * 1024.0 * 1024.0) as usize;
    let settings = if smoke {
        Settings::ONCE
    } else {
        Settings::DEFAULT
    };

    println!("# ssewire wire benchmark\n");
    if smoke {
        println!("Smoke run (no `--bench` argument): one timed run per row.\n");
    }
    println!(
        "Corpora of {mib} MiB. Per row: one warm-up run, then at least {} timed runs and {:?} \
         (at most {} runs); the median is reported. A row that would take over {row_budget:?} \
         reads a prefix of the corpus instead. allocs/event: `alloc` and `realloc` calls in one \
         run (after a warm-up), counted in a separate process.\n",
        settings.min_runs, settings.min_time, settings.max_runs
    );

    parsers::prepare();
    let mut corpora: HashMap<Kind, Corpus> = HashMap::new();
    let mut outcomes = Vec::new();
    for case in &CASES {
        let corpus = corpora
            .entry(case.kind)
            .or_insert_with(|| Corpus::build(case.kind, corpus_len));
        outcomes.push(parse_section(corpus, case.chunk, row_budget, settings));
    }
    let small = &corpora[&Kind::Small];
    let (small_events, small_len) = (small.expected.events, small.bytes.len());
    drop(corpora);
    let encode = encode_section(small_events, small_len, settings);
    summary(&outcomes, &encode);
}

/// Measures every parser and the floors on `corpus` in `chunk`-byte pieces; prints the table.
fn parse_section(
    corpus: &Corpus,
    chunk: usize,
    row_budget: Duration,
    settings: Settings,
) -> Outcome {
    let kind = corpus.kind;
    let title = format!("{}, {} chunks", kind.describe(), chunk_name(chunk));
    println!(
        "## Parse: {title}\n\n{:.1} MiB, {} events.\n",
        corpus.mib(),
        report::thousands(corpus.expected.events)
    );
    let probe = Corpus::build(kind, PROBE_BYTES.min(corpus.bytes.len()));
    let count_args = |len: usize, index: usize| {
        ["parse", kind.name()]
            .map(String::from)
            .into_iter()
            .chain([chunk, len, index].map(|n| n.to_string()))
            .collect::<Vec<_>>()
    };
    let mut rows = Vec::new();
    let mut runs = Vec::new();
    for (index, &(name, parse)) in PARSERS.iter().enumerate() {
        let run = |c: &Corpus| parse(&c.bytes, chunk, kind.event_type());
        // Estimate the time of a whole-corpus run from the probe; read a prefix if too slow.
        let start = Instant::now();
        black_box(run(&probe));
        let per_byte = start.elapsed().as_secs_f64() / probe.bytes.len() as f64;
        let runs_needed = (settings.min_runs + 1) as f64;
        let affordable = (row_budget.as_secs_f64() / runs_needed / per_byte) as usize;
        let prefix;
        let input = if affordable < corpus.bytes.len() {
            prefix = Corpus::build(kind, affordable.max(PROBE_BYTES).min(corpus.bytes.len()));
            &prefix
        } else {
            corpus
        };
        let (digest, sample) = measure(|| run(input), settings);
        let mut notes = Vec::new();
        if let Some(wrong) = digest.mismatch(&input.expected) {
            notes.push(format!("wrong: {wrong}"));
        }
        if input.bytes.len() < corpus.bytes.len() {
            notes.push(format!("on a {:.1} MiB prefix", input.mib()));
        }
        let allocs = allocations(&count_args(input.bytes.len(), index));
        rows.push(row(name, input, sample, allocs, notes));
        runs.push(format!("{name} {}", sample.runs));
    }
    let mut counted = Vec::new();
    for (index, floor) in parsers::FLOORS.iter().enumerate() {
        let (count, sample) = measure(|| (floor.run)(&corpus.bytes, chunk), settings);
        let expected = (floor.expected)(corpus);
        let mut notes = Vec::new();
        if count != expected {
            notes.push(format!("wrong: counted {count}, expected {expected}"));
        }
        let allocs = allocations(&count_args(corpus.bytes.len(), PARSERS.len() + index));
        rows.push(row(floor.name, corpus, sample, allocs, notes));
        runs.push(format!("{} {}", floor.name, sample.runs));
        counted.push(format!("{} counts {}", floor.name, floor.counts));
    }
    println!("{}", report::table(&rows));
    println!(
        "The last rows are floors, not parsers: {}; their events/s is the corpus's events over \
         that time. Timed runs per row: {}.\n",
        counted.join("; "),
        runs.join(", ")
    );
    let fastest_peer = fastest(&rows[1..PARSERS.len()]);
    Outcome {
        title,
        ssewire: rows[0].clone(),
        fastest_peer,
    }
}

/// Measures every encoder on `count` small events; prints the table.
fn encode_section(count: u64, corpus_len: usize, settings: Settings) -> Outcome {
    let title = "small events (type, id, ~50-byte JSON data)".to_string();
    println!(
        "## Encode: {title}\n\n{} events, written one after the other into one buffer; \
         MiB/s counts each encoder's own output.\n",
        report::thousands(count)
    );
    let inputs = encoders::inputs(count);
    let mut expected = Digest::default();
    for input in &inputs {
        expected.add(true, input.data.len(), input.id.len());
    }
    let mut out = vec![0u8; corpus_len * 2];
    let mut rows = Vec::new();
    let mut runs = Vec::new();
    for (index, &(name, encode)) in ENCODERS.iter().enumerate() {
        let (len, sample) = measure(|| encode(&inputs, &mut out), settings);
        // Whatever was written must parse back into the same events.
        let digest = parsers::ssewire(&out[..len], 8 * 1024, encoders::EVENT_TYPE);
        let notes = match digest.mismatch(&expected) {
            Some(wrong) => vec![format!("wrong: {wrong}")],
            None => Vec::new(),
        };
        let allocs = allocations(&["encode".to_string(), count.to_string(), index.to_string()]);
        let seconds = sample.median.as_secs_f64();
        rows.push(Row {
            name: name.to_string(),
            mib_per_s: len as f64 / (1024.0 * 1024.0) / seconds,
            events_per_s: count as f64 / seconds,
            allocs_per_event: allocs as f64 / count as f64,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        });
        runs.push(format!("{name} {}", sample.runs));
    }
    println!("{}", report::table(&rows));
    println!("Timed runs per row: {}.\n", runs.join(", "));
    let fastest_peer = fastest(&rows[1..]);
    Outcome {
        title,
        ssewire: rows[0].clone(),
        fastest_peer,
    }
}

/// A parse row: `input` read in the median time of `sample`, with `allocs` allocations a run.
fn row(name: &str, input: &Corpus, sample: Sample, allocs: u64, notes: Vec<String>) -> Row {
    let seconds = sample.median.as_secs_f64();
    let events = input.expected.events as f64;
    Row {
        name: name.to_string(),
        mib_per_s: input.mib() / seconds,
        events_per_s: events / seconds,
        allocs_per_event: allocs as f64 / events,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// The row with the most events per second.
fn fastest(rows: &[Row]) -> Row {
    rows.iter()
        .max_by(|a, b| a.events_per_s.total_cmp(&b.events_per_s))
        .expect("at least one peer")
        .clone()
}

fn chunk_name(chunk: usize) -> String {
    if chunk >= 1024 {
        format!("{} KiB", chunk / 1024)
    } else {
        format!("{chunk}-byte")
    }
}

/// Prints the targets as ratios against the fastest peer, with pass or miss.
fn summary(parse: &[Outcome], encode: &Outcome) {
    println!("## Summary: targets against the fastest peer\n");
    println!("| target | ssewire events/s | fastest peer | ssewire / fastest peer | result |");
    println!("| --- | ---: | --- | ---: | --- |");
    let targets: [(&str, Option<&Outcome>, Option<f64>); 6] = [
        ("parse small events ≥ 3x", parse.first(), Some(3.0)),
        ("parse CRLF events ≥ 3x", parse.get(3), Some(3.0)),
        ("parse 20-line events ≥ 2x", parse.get(2), Some(2.0)),
        ("parse 64 KiB events ≥ 1.2x", parse.get(1), Some(1.2)),
        ("parse small events in 64-byte chunks", parse.get(4), None),
        (
            "encode small events ≥ 3x (events/s)",
            Some(encode),
            Some(3.0),
        ),
    ];
    for (target, outcome, goal) in targets {
        let Some(outcome) = outcome else { continue };
        let ratio = outcome.ssewire.events_per_s / outcome.fastest_peer.events_per_s;
        let result = match goal {
            Some(goal) if ratio >= goal => "pass",
            Some(_) => "miss",
            None => "(no target)",
        };
        let peer = match &outcome.fastest_peer.note {
            Some(note) if note.contains("wrong") => {
                format!("{} (wrong results)", outcome.fastest_peer.name)
            }
            _ => outcome.fastest_peer.name.clone(),
        };
        println!(
            "| {target} | {} | {peer} | {ratio:.2}x | {result} |",
            report::thousands(outcome.ssewire.events_per_s.round() as u64)
        );
    }
    let parse_allocs = parse
        .iter()
        .map(|o| o.ssewire.allocs_per_event)
        .fold(0.0, f64::max);
    for (target, allocs) in [
        ("ssewire parse: 0 allocations per event", parse_allocs),
        (
            "ssewire encode: 0 allocations per event",
            encode.ssewire.allocs_per_event,
        ),
    ] {
        let result = if allocs == 0.0 { "pass" } else { "miss" };
        println!("| {target} | {allocs} allocs/event (worst section) | | | {result} |");
    }
    println!();
    let line: Vec<String> = parse
        .iter()
        .chain([encode])
        .map(|o| {
            format!(
                "{} {:.2}x",
                o.title,
                o.ssewire.events_per_s / o.fastest_peer.events_per_s
            )
        })
        .collect();
    println!("ssewire / fastest peer: {}.", line.join("; "));
}
