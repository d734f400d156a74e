//! Checked-in cost tables: what an operation costs in DynamoDB requests and capacity,
//! measured with a [`RequestMeter`] and compared with a table in the test. The store's
//! own tests and the Lambda functions' tests keep one table each, so a change that adds a
//! request to an operation fails where the operation is, naming the line that moved.

use crate::metering::{RequestMeter, Usage};
use std::future::Future;

/// One line of a cost table: an operation and what it costs.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// What was done, as the table (and BENCHMARKS.md) names it.
    pub operation: &'static str,
    /// Requests by DynamoDB operation, as [`Usage::requests_by_operation`] writes them.
    pub requests: &'static str,
    /// Read capacity units.
    pub rcu: f64,
    /// Write capacity units.
    pub wcu: u64,
}

/// A table line, short enough to keep a table one line per operation.
pub const fn cost(operation: &'static str, requests: &'static str, rcu: f64, wcu: u64) -> Cost {
    Cost {
        operation,
        requests,
        rcu,
        wcu,
    }
}

/// What `call` cost: counted from zero, sized once it is done.
///
/// # Panics
/// When the meter cannot size what the requests touched.
pub async fn measure<T>(meter: &RequestMeter, call: impl Future<Output = T>) -> (T, Usage) {
    meter.reset();
    let output = call.await;
    if let Err(error) = meter.settle().await {
        panic!("cannot size the measured requests: {error}");
    }
    let usage = meter.snapshot();
    assert_eq!(usage.unsettled, 0, "everything sized");
    (output, usage)
}

/// Prints `measured` as a Markdown table and checks it against `expected`, naming every
/// line that differs (and printing the table to paste).
///
/// # Panics
/// When any line differs from `expected`, or the tables are not the same length.
pub fn check(title: &str, measured: &[(&'static str, Usage)], expected: &[Cost]) {
    println!("\n{title}\n");
    println!("| operation | requests | by type | RCU | WCU |");
    println!("|---|---:|---|---:|---:|");
    let mut differing = Vec::new();
    let mut table = Vec::new();
    for (index, (operation, usage)) in measured.iter().enumerate() {
        let by_type = usage.requests_by_operation();
        let (rcu, wcu) = (usage.read_units(), usage.write_units());
        println!(
            "| {operation} | {} | {by_type} | {rcu} | {wcu} |",
            usage.requests()
        );
        table.push(format!(
            "    cost({operation:?}, {by_type:?}, {rcu:?}, {wcu}),"
        ));
        let same = expected.get(index).is_some_and(|cost| {
            (cost.operation, cost.requests, cost.rcu, cost.wcu)
                == (*operation, by_type.as_str(), rcu, wcu)
        });
        if !same {
            differing.push(format!(
                "  expected {:?}\n  measured {operation}: {by_type}, {rcu} RCU, {wcu} WCU",
                expected.get(index)
            ));
        }
    }
    assert!(
        differing.is_empty() && measured.len() == expected.len(),
        "{title}: the cost of an operation changed:\n{}\nthe table now:\n{}",
        differing.join("\n"),
        table.join("\n")
    );
}
