//! Markdown tables: a row per run, then the medians with their spread and the ratios
//! ssewire / baseline.

use std::fmt::Write;

use crate::driver::{Kind, Load, Measured};

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// The columns of a run's row, after `run` and `server`.
const COLUMNS: &str =
    "| run | server | p50 ms | p99 ms | max ms | events | lost | duplicated | closed \
                       | server CPU % | client CPU % | idle RSS MiB | RSS per stream KiB |";

/// One run's row.
pub(crate) fn row(run: usize, m: &Measured) -> String {
    let l = &m.latencies;
    format!(
        "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.2} |",
        run + 1,
        m.kind.name(),
        ms(l.quantile(0.5)),
        ms(l.quantile(0.99)),
        ms(l.max()),
        l.len(),
        m.lost,
        m.duplicated,
        m.closed,
        m.server_cpu,
        m.client_cpu,
        m.idle_rss as f64 / 1024.0,
        m.rss_per_stream,
    )
}

/// The median of `values` and their spread: `median (min–max)`, or the value alone for one.
struct Spread {
    median: f64,
    min: f64,
    max: f64,
    count: usize,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Spread {
        values.sort_by(f64::total_cmp);
        let count = values.len();
        let median = match count {
            0 => 0.0,
            n if !n.is_multiple_of(2) => values[n / 2],
            n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        };
        Spread {
            median,
            min: values.first().copied().unwrap_or(0.0),
            max: values.last().copied().unwrap_or(0.0),
            count,
        }
    }

    fn show(&self, digits: usize) -> String {
        if self.count > 1 {
            format!(
                "{:.digits$} ({:.digits$}–{:.digits$})",
                self.median, self.min, self.max
            )
        } else {
            format!("{:.digits$}", self.median)
        }
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

fn title(name: &str, load: Load, runs: usize) -> String {
    format!(
        "\n### Fan-out `{name}`: {} streams, {} events/s, {} s window, {runs} run{}\n\n",
        load.streams,
        load.rate,
        load.window.as_secs_f64(),
        if runs == 1 { "" } else { "s" },
    )
}

/// The table of a scenario at a fixed load: per-run rows, then medians and ratios.
pub(crate) fn fixed(name: &str, load: Load, results: &[(usize, Measured)]) -> String {
    let runs = results.iter().map(|(run, _)| run + 1).max().unwrap_or(0);
    let mut out = title(name, load, runs);
    let columns = COLUMNS.matches('|').count() - 1;
    let _ = writeln!(out, "{COLUMNS}\n|{}", " --- |".repeat(columns));
    for (run, m) in results {
        let _ = writeln!(out, "{}", row(*run, m));
    }
    let _ = writeln!(
        out,
        "\nMedians (min–max):\n\n| server | p50 ms | p99 ms | server CPU % | RSS per stream KiB | lost | duplicated |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let spreads = |kind: Kind| {
        let of = |value: fn(&Measured) -> f64| {
            Spread::of(
                results
                    .iter()
                    .filter(|(_, m)| m.kind == kind)
                    .map(|(_, m)| value(m))
                    .collect(),
            )
        };
        [
            of(|m| ms(m.latencies.quantile(0.5))),
            of(|m| ms(m.latencies.quantile(0.99))),
            of(|m| m.server_cpu),
            of(|m| m.rss_per_stream),
            of(|m| m.lost as f64),
            of(|m| m.duplicated as f64),
        ]
    };
    let [ssewire, baseline] = [Kind::Ssewire, Kind::Baseline].map(spreads);
    for (kind, s) in [(Kind::Ssewire, &ssewire), (Kind::Baseline, &baseline)] {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            kind.name(),
            s[0].show(2),
            s[1].show(2),
            s[2].show(1),
            s[3].show(2),
            s[4].show(0),
            s[5].show(0),
        );
    }
    let r = |i: usize| ratio(ssewire[i].median, baseline[i].median);
    let _ = writeln!(
        out,
        "| ssewire / baseline | {} | {} | {} | {} | | |",
        r(0),
        r(1),
        r(2),
        r(3)
    );
    out
}

/// The saturation table: per run and server, the highest rate with no loss, then medians.
pub(crate) fn saturation(name: &str, load: Load, results: &[(usize, Kind, f64, String)]) -> String {
    let runs = results.iter().map(|(run, ..)| run + 1).max().unwrap_or(0);
    let mut out = title(name, load, runs);
    let _ = writeln!(
        out,
        "The rate doubles from {} events/s until a step loses an event or its p99 passes 1 s.\n\n\
         | run | server | highest rate with no loss, events/s | events × streams per second | the step that failed |\n\
         | --- | --- | ---: | ---: | --- |",
        load.rate
    );
    for (run, kind, best, stop) in results {
        let _ = writeln!(
            out,
            "| {} | {} | {best} | {} | {stop} |",
            run + 1,
            kind.name(),
            best * load.streams as f64
        );
    }
    let median = |kind: Kind| {
        Spread::of(
            results
                .iter()
                .filter(|(_, k, ..)| *k == kind)
                .map(|(_, _, best, _)| best * load.streams as f64)
                .collect(),
        )
    };
    let (ssewire, baseline) = (median(Kind::Ssewire), median(Kind::Baseline));
    let _ = writeln!(
        out,
        "\nMedians (min–max), events × streams per second: ssewire {}, baseline {}; \
         ssewire / baseline {}",
        ssewire.show(0),
        baseline.show(0),
        ratio(ssewire.median, baseline.median)
    );
    out
}
