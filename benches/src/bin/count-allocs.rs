//! Counts the heap allocations of one implementation's run, for the `wire` benchmark.
//!
//! The benchmark times its runs in its own process, without this counting allocator, and asks
//! this program for the allocation counts:
//!
//! ```text
//! count-allocs parse KIND CHUNK LEN INDEX   # parser INDEX of PARSERS (or of FLOORS, after them)
//! count-allocs encode COUNT INDEX           # encoder INDEX of ENCODERS
//! ```
//!
//! It runs the implementation once to warm up, once more counting, and prints the count:
//! `alloc`, `alloc_zeroed` and `realloc` calls.

use std::{alloc::System, process::ExitCode};

use ssewire_bench::{
    corpus::{Corpus, Kind},
    encoders::{self, ENCODERS},
    measure::count_allocations,
    parsers::{self, PARSERS},
};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap allocations so far.
fn allocations() -> u64 {
    let stats = GLOBAL.stats();
    (stats.allocations + stats.reallocations) as u64
}

fn number(arg: &str) -> Option<usize> {
    arg.parse().ok()
}

fn count(args: &[&str]) -> Option<u64> {
    match *args {
        ["parse", kind, chunk, len, index] => {
            let kind = Kind::from_name(kind)?;
            let (chunk, len, index) = (number(chunk)?, number(len)?, number(index)?);
            let corpus = Corpus::build(kind, len);
            parsers::prepare();
            if let Some(floor) = index.checked_sub(PARSERS.len()) {
                let floor = parsers::FLOORS.get(floor)?;
                return Some(count_allocations(
                    || (floor.run)(&corpus.bytes, chunk),
                    &allocations,
                ));
            }
            let (_, parse) = PARSERS.get(index)?;
            Some(count_allocations(
                || parse(&corpus.bytes, chunk, kind.event_type()),
                &allocations,
            ))
        }
        ["encode", events, index] => {
            let (events, index) = (number(events)?, number(index)?);
            let (_, encode) = ENCODERS.get(index)?;
            let inputs = encoders::inputs(events as u64);
            let mut out = vec![0; events * 256];
            Some(count_allocations(
                || encode(&inputs, &mut out),
                &allocations,
            ))
        }
        _ => None,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match count(&args) {
        Some(n) => {
            println!("{n}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("usage: count-allocs parse KIND CHUNK LEN INDEX | encode COUNT INDEX");
            ExitCode::FAILURE
        }
    }
}
