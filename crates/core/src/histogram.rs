//! A latency histogram with fixed buckets, recorded with relaxed atomics and rendered in the
//! Prometheus text format: how long each stage of a message's path takes, visible on
//! `/metrics` in production and read by `classchat-bench` after a run. Stages record from
//! their own threads without a lock, so measuring costs a few atomic adds.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in microseconds: fine below 10 ms, where the targets are.
const BOUNDS_MICROS: [u64; 20] = [
    50, 100, 250, 500, 750, 1_000, 1_500, 2_000, 3_000, 4_000, 5_000, 7_500, 10_000, 15_000,
    20_000, 30_000, 50_000, 100_000, 250_000, 1_000_000,
];

/// Durations of one stage.
pub struct Histogram {
    /// One count per bucket of [`BOUNDS_MICROS`], then one for longer durations.
    buckets: [AtomicU64; BOUNDS_MICROS.len() + 1],
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// Counts one duration.
    pub fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_MICROS.partition_point(|bound| *bound < micros);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// How many durations were counted.
    pub fn count(&self) -> u64 {
        self.buckets
            .iter()
            .map(|bucket| bucket.load(Ordering::Relaxed))
            .sum()
    }

    /// Appends the histogram as the Prometheus metric `name` (in seconds, cumulative
    /// buckets, `_sum` and `_count`) with its help text.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, bucket) in BOUNDS_MICROS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let seconds = *bound as f64 / 1e6;
            let _ = writeln!(out, "{name}_bucket{{le=\"{seconds}\"}} {cumulative}");
        }
        cumulative += self.buckets[BOUNDS_MICROS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_duration_in_the_first_bucket_that_holds_it() {
        let histogram = Histogram::default();
        for micros in [10, 50, 51, 4_000, 2_000_000] {
            histogram.observe(Duration::from_micros(micros));
        }
        assert_eq!(histogram.count(), 5);
        let mut text = String::new();
        histogram.render(&mut text, "stage_seconds", "A stage.");
        assert!(text.contains("# TYPE stage_seconds histogram\n"));
        assert!(
            text.contains("stage_seconds_bucket{le=\"0.00005\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("stage_seconds_bucket{le=\"0.0001\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("stage_seconds_bucket{le=\"0.004\"} 4\n"),
            "{text}"
        );
        assert!(
            text.contains("stage_seconds_bucket{le=\"1\"} 4\n"),
            "{text}"
        );
        assert!(
            text.contains("stage_seconds_bucket{le=\"+Inf\"} 5\n"),
            "{text}"
        );
        assert!(text.contains("stage_seconds_sum 2.004111\n"), "{text}");
        assert!(text.contains("stage_seconds_count 5\n"), "{text}");
    }
}
