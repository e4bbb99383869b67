//! Markdown tables of results.

use std::fmt::Write as _;

/// One implementation's result in a section.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The implementation, e.g. `sse-stream 0.3`.
    pub name: String,
    /// Throughput in MiB (2^20 bytes) of input (parsers) or output (encoders) per second.
    pub mib_per_s: f64,
    /// Events per second.
    pub events_per_s: f64,
    /// Heap allocations per event, in the timed runs.
    pub allocs_per_event: f64,
    /// Said after the name: a wrong result, a shortened corpus.
    pub note: Option<String>,
}

/// A Markdown table of `rows`, with a last column comparing the first row (ssewire) with each
/// other row in events per second.
#[must_use]
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| implementation | MiB/s | events/s | allocs/event | ssewire vs row |\n");
    out.push_str("| --- | ---: | ---: | ---: | --- |\n");
    let reference = rows.first();
    for (i, row) in rows.iter().enumerate() {
        let name = match &row.note {
            Some(note) => format!("{} ({note})", row.name),
            None => row.name.clone(),
        };
        let ratio = match reference {
            Some(ssewire) if i > 0 => format!(
                "ssewire / {} = {:.2}x",
                row.name,
                ssewire.events_per_s / row.events_per_s
            ),
            _ => "—".to_string(),
        };
        writeln!(
            out,
            "| {name} | {:.1} | {} | {:.2} | {ratio} |",
            row.mib_per_s,
            thousands(row.events_per_s.round() as u64),
            row.allocs_per_event
        )
        .unwrap_or_default();
    }
    out
}

/// `n` with commas between groups of three digits.
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| std::str::from_utf8(group).unwrap_or_default())
        .collect();
    groups.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }

    #[test]
    fn table_compares_first_row_with_the_others() {
        let row = |name: &str, events_per_s| Row {
            name: name.to_string(),
            mib_per_s: 1.0,
            events_per_s,
            allocs_per_event: 0.0,
            note: None,
        };
        let table = table(&[row("ssewire", 4000.0), row("peer", 1000.0)]);
        assert!(
            table.contains("| ssewire | 1.0 | 4,000 | 0.00 | — |"),
            "{table}"
        );
        assert!(table.contains("ssewire / peer = 4.00x"), "{table}");
    }
}
