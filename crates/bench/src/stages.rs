//! The server's own stage histograms, read from `/metrics` before and after a run: where a
//! message's time went inside classchat (the SQLite writer's queue, batch and commit; the
//! wait between a commit and a recipient's writer), next to the latency clients measured.

use crate::report::Report;
use std::collections::BTreeMap;

/// Every histogram of one or more servers: name → (upper bound in seconds, cumulative count).
#[derive(Default)]
pub struct Stages(BTreeMap<String, Vec<(f64, u64)>>);

/// The histograms the report shows, with the short name it gives each.
const SHOWN: &[(&str, &str)] = &[
    ("classchat_sqlite_queued_seconds", "stage_sqlite_queued"),
    ("classchat_sqlite_batch_seconds", "stage_sqlite_batch"),
    ("classchat_sqlite_commit_seconds", "stage_sqlite_commit"),
    ("classchat_sqlite_write_seconds", "stage_sqlite_write"),
    ("classchat_live_queued_seconds", "stage_live_queued"),
    (
        "classchat_live_since_arrival_seconds",
        "stage_since_arrival",
    ),
];

impl Stages {
    /// The histograms of every server at `bases` (`http://127.0.0.1:<port>`), summed.
    pub async fn read(http: &reqwest::Client, bases: &[&str]) -> anyhow::Result<Self> {
        let mut stages = Self::default();
        for base in bases {
            let text = http
                .get(format!("{base}/metrics"))
                .send()
                .await?
                .error_for_status()?
                .text()
                .await?;
            stages.add(&text);
        }
        Ok(stages)
    }

    fn add(&mut self, text: &str) {
        for line in text.lines() {
            let Some((name, rest)) = line.split_once("_bucket{le=\"") else {
                continue;
            };
            let Some((bound, count)) = rest.split_once("\"} ") else {
                continue;
            };
            let bound = if bound == "+Inf" {
                f64::INFINITY
            } else {
                bound.parse().unwrap_or(f64::NAN)
            };
            let count: u64 = count.trim().parse().unwrap_or(0);
            let buckets = self.0.entry(name.to_owned()).or_default();
            match buckets.iter_mut().find(|(le, _)| *le == bound) {
                Some((_, total)) => *total += count,
                None => buckets.push((bound, count)),
            }
        }
    }

    /// Adds, for each stage seen during the run (`self` minus `before`), its count and its
    /// p50 and p99 in microseconds, interpolated within the bucket that holds them.
    pub fn report_since(&self, before: &Stages, report: &mut Report) {
        for (metric, short) in SHOWN {
            let Some(after) = self.0.get(*metric) else {
                continue;
            };
            let earlier = before.0.get(*metric);
            let buckets: Vec<(f64, u64)> = after
                .iter()
                .map(|(le, count)| {
                    let was = earlier
                        .and_then(|b| b.iter().find(|(l, _)| l == le))
                        .map_or(0, |(_, c)| *c);
                    (*le, count.saturating_sub(was))
                })
                .collect();
            let total = buckets.last().map_or(0, |(_, count)| *count);
            if total == 0 {
                continue;
            }
            report.add(&format!("{short}_count"), total, "");
            for (name, q) in [("p50", 0.5), ("p99", 0.99), ("p999", 0.999)] {
                report.add(
                    &format!("{short}_{name}_us"),
                    quantile(&buckets, total, q).round(),
                    "µs",
                );
            }
        }
    }
}

/// The `q` quantile of cumulative buckets, in microseconds, linear within its bucket (the
/// last finite bound when it falls in `+Inf`).
fn quantile(buckets: &[(f64, u64)], total: u64, q: f64) -> f64 {
    let rank = q * total as f64;
    let (mut lower, mut below) = (0.0, 0u64);
    for (le, cumulative) in buckets {
        if *cumulative as f64 >= rank {
            if le.is_infinite() {
                return lower * 1e6;
            }
            let within = (*cumulative - below).max(1) as f64;
            return (lower + (le - lower) * (rank - below as f64) / within) * 1e6;
        }
        (lower, below) = (*le, *cumulative);
    }
    lower * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_within_the_bucket() {
        let mut stages = Stages::default();
        stages.add(
            "x_seconds_bucket{le=\"0.001\"} 50\nx_seconds_bucket{le=\"0.002\"} 100\nx_seconds_bucket{le=\"+Inf\"} 100\n",
        );
        let buckets = &stages.0["x_seconds"];
        assert_eq!(quantile(buckets, 100, 0.5), 1000.0);
        assert!((quantile(buckets, 100, 0.99) - 1980.0).abs() < 1e-6);
    }
}
