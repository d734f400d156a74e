//! Result output: one human line and one JSON line per scenario run.

use crate::Common;
use hdrhistogram::Histogram;
use serde_json::{Map, Value, json};
use std::io::Write;

/// The figures of one run, printed by [`Report::emit`].
pub struct Report {
    scenario: &'static str,
    target: String,
    fields: Map<String, Value>,
    human: Vec<String>,
}

impl Report {
    /// A report of `scenario` against `target`.
    pub fn new(scenario: &'static str, target: &str) -> Self {
        Self {
            scenario,
            target: target.to_string(),
            fields: Map::new(),
            human: Vec::new(),
        }
    }

    /// Adds a figure; `unit` only shows in the human line.
    pub fn add(&mut self, key: &str, value: impl Into<Value>, unit: &str) -> &mut Self {
        let value = value.into();
        let shown = match &value {
            Value::Number(n) if n.is_f64() => format!("{:.1}", n.as_f64().unwrap_or_default()),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.human.push(format!("{key}={shown}{unit}"));
        self.fields.insert(key.to_string(), value);
        self
    }

    /// Adds p50/p95/p99/max (and count) of a microsecond histogram as `<prefix>_p50_us` …
    pub fn latency(&mut self, prefix: &str, histogram: &Histogram<u64>) -> &mut Self {
        for (name, q) in [("p50", 0.50), ("p95", 0.95), ("p99", 0.99)] {
            self.add(
                &format!("{prefix}_{name}_us"),
                histogram.value_at_quantile(q),
                "µs",
            );
        }
        self.add(&format!("{prefix}_max_us"), histogram.max(), "µs");
        self.add(&format!("{prefix}_count"), histogram.len(), "")
    }

    /// Prints both lines (and appends the JSON to `--json-out`).
    pub fn emit(&self, common: &Common) -> anyhow::Result<()> {
        println!(
            "{} {}: {}",
            self.scenario,
            self.target,
            self.human.join(" ")
        );
        let mut object = Map::new();
        object.insert("scenario".into(), json!(self.scenario));
        object.insert("target".into(), json!(self.target));
        object.insert("loadavg".into(), json!(loadavg()));
        object.extend(self.fields.clone());
        let line = Value::Object(object).to_string();
        println!("{line}");
        if let Some(path) = &common.json_out {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            writeln!(file, "{line}")?;
        }
        Ok(())
    }
}

/// The 1-minute load average, from /proc/loadavg.
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(-1.0)
}

/// A microsecond histogram from 1 µs to 60 s, 3 significant digits.
pub fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}
