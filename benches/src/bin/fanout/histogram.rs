//! Latencies in microseconds, kept as a log-linear histogram (under 1% error) so client
//! processes can hand theirs to the driver as a line of text and the driver can merge them.

use std::collections::BTreeMap;

/// Values below this are kept exactly; above, 128 buckets per power of two.
const EXACT: u64 = 256;

/// A histogram of microsecond values.
#[derive(Clone, Debug, Default)]
pub(crate) struct Histogram {
    counts: BTreeMap<u32, u64>,
    max: u64,
}

fn bucket(value: u64) -> u32 {
    if value < EXACT {
        value as u32
    } else {
        let shift = 63 - value.leading_zeros() - 7;
        shift * 128 + (value >> shift) as u32
    }
}

/// The smallest value of `bucket`.
fn low(bucket: u32) -> u64 {
    if u64::from(bucket) < EXACT {
        u64::from(bucket)
    } else {
        let shift = bucket / 128 - 1;
        u64::from(bucket - shift * 128) << shift
    }
}

impl Histogram {
    /// Counts one value.
    pub(crate) fn record(&mut self, value: u64) {
        *self.counts.entry(bucket(value)).or_default() += 1;
        self.max = self.max.max(value);
    }

    /// Adds every value of `other`.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (bucket, count) in &other.counts {
            *self.counts.entry(*bucket).or_default() += count;
        }
        self.max = self.max.max(other.max);
    }

    /// Values counted.
    pub(crate) fn len(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The largest value counted, exactly.
    pub(crate) fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0 to 1), to the low end of its bucket; 0 when empty.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        let rank = (q * self.len() as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (bucket, count) in &self.counts {
            seen += count;
            if seen >= rank {
                return low(*bucket).min(self.max);
            }
        }
        0
    }

    /// As text: `max` then `bucket:count` pairs, separated by commas.
    pub(crate) fn to_text(&self) -> String {
        let mut text = self.max.to_string();
        for (bucket, count) in &self.counts {
            text.push_str(&format!(",{bucket}:{count}"));
        }
        text
    }

    /// Reads what [`to_text`](Histogram::to_text) wrote.
    pub(crate) fn from_text(text: &str) -> Option<Histogram> {
        let mut parts = text.split(',');
        let mut histogram = Histogram {
            max: parts.next()?.parse().ok()?,
            ..Histogram::default()
        };
        for part in parts {
            let (bucket, count) = part.split_once(':')?;
            histogram
                .counts
                .insert(bucket.parse().ok()?, count.parse().ok()?);
        }
        Some(histogram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_within_one_percent() {
        for value in (0..1_000_000).step_by(7) {
            let low = low(bucket(value));
            assert!(
                low <= value && value - low <= value / 128,
                "{value} -> {low}"
            );
        }
        assert_eq!(bucket(255) + 1, bucket(256));
    }

    #[test]
    fn quantiles_and_text_round_trip() {
        let mut histogram = Histogram::default();
        (1..=100).for_each(|v| histogram.record(v));
        let read = Histogram::from_text(&histogram.to_text()).unwrap();
        assert_eq!(
            (read.quantile(0.5), read.quantile(0.99), read.max()),
            (50, 99, 100)
        );
    }
}
