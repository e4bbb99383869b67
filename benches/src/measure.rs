//! Timing: one warm-up run, then timed runs until both a minimum count and a minimum time are
//! reached; the median is reported. Allocations are counted apart, in another process (see
//! [`count_allocations`]), so that counting does not slow the timed runs.

use std::{
    fmt::Debug,
    hint::black_box,
    time::{Duration, Instant},
};

/// How many times to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settings {
    /// Timed runs at least.
    pub min_runs: usize,
    /// Timed runs at most.
    pub max_runs: usize,
    /// Keep running (up to `max_runs`) until the timed runs add up to this.
    pub min_time: Duration,
}

impl Settings {
    /// At least 5 timed runs and 1 s, at most 30 runs.
    pub const DEFAULT: Settings = Settings {
        min_runs: 5,
        max_runs: 30,
        min_time: Duration::from_secs(1),
    };

    /// One timed run: for a smoke test.
    pub const ONCE: Settings = Settings {
        min_runs: 1,
        max_runs: 1,
        min_time: Duration::ZERO,
    };
}

impl Default for Settings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The result of [`measure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sample {
    /// The median time of one run.
    pub median: Duration,
    /// Timed runs made.
    pub runs: usize,
}

/// Runs `run` once to warm up, then timed as `settings` say.
///
/// Returns what the warm-up run returned, and the sample.
///
/// # Panics
///
/// If a timed run returns something else than the warm-up run did.
pub fn measure<T: PartialEq + Debug>(
    mut run: impl FnMut() -> T,
    settings: Settings,
) -> (T, Sample) {
    let first = black_box(run());
    let mut times = Vec::with_capacity(settings.max_runs);
    let mut total = Duration::ZERO;
    while times.len() < settings.min_runs
        || (total < settings.min_time && times.len() < settings.max_runs)
    {
        let start = Instant::now();
        let out = black_box(run());
        let elapsed = start.elapsed();
        assert_eq!(
            out, first,
            "a run returned something else than the warm-up run"
        );
        times.push(elapsed);
        total += elapsed;
    }
    times.sort_unstable();
    let sample = Sample {
        median: median(&times),
        runs: times.len(),
    };
    (first, sample)
}

/// Runs `run` once to warm up, then once more between two readings of `allocations` (a
/// counter of heap allocations made so far); returns the allocations of that second run.
pub fn count_allocations<T>(mut run: impl FnMut() -> T, allocations: &dyn Fn() -> u64) -> u64 {
    black_box(run());
    let before = allocations();
    black_box(run());
    allocations() - before
}

/// The median of sorted `times` (the mean of the middle two for an even count).
fn median(times: &[Duration]) -> Duration {
    let mid = times.len() / 2;
    if times.len() % 2 == 1 {
        times[mid]
    } else {
        (times[mid - 1] + times[mid]) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(1), ms(2), ms(9)]), ms(2));
        assert_eq!(median(&[ms(1), ms(2), ms(4), ms(9)]), ms(3));
    }

    #[test]
    fn runs_at_least_min_runs() {
        let settings = Settings {
            min_runs: 5,
            max_runs: 5,
            min_time: Duration::ZERO,
        };
        let mut calls = 0;
        let (out, sample) = measure(
            || {
                calls += 1;
                7
            },
            settings,
        );
        assert_eq!((out, sample.runs, calls), (7, 5, 6));
    }

    #[test]
    fn counts_the_second_run_only() {
        let counter = std::cell::Cell::new(0u64);
        let mut cost = 10;
        let allocations = count_allocations(
            || {
                counter.set(counter.get() + cost);
                cost = 2;
            },
            &|| counter.get(),
        );
        assert_eq!(allocations, 2);
    }
}
