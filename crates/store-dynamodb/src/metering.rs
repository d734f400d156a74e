//! What the store costs in DynamoDB: requests per operation (GetItem, Query,
//! TransactWriteItems, …) and the read and write capacity units they consume, counted by
//! an SDK interceptor on the store's client.
//!
//! ```no_run
//! # use classchat_store_dynamodb::DynamoStore;
//! use classchat_store_dynamodb::metering::{MeterError, RequestMeter};
//! # async fn demo(store: DynamoStore) -> Result<(), MeterError> {
//! let meter = RequestMeter::new();
//! let store = store.with_meter(&meter);
//! // … use the store …
//! meter.settle().await?; // size what the requests did not show
//! println!("{}", meter.snapshot());
//! # Ok(()) }
//! ```
//!
//! # Capacity: modelled, not reported
//! Capacity is computed from item sizes by AWS's published rules (see `model`), not read
//! from `ConsumedCapacity`: asking DynamoDB for it would enlarge every response, and the
//! emulator the tests run on answers a constant per operation (1 for any Query, 0.5 for a
//! strongly consistent GetItem or any UpdateItem) and nothing for TransactWriteItems, so
//! its figures mean nothing. The model gives the same, exact figures on the emulator as on
//! AWS, for the sizes the items have. What a request does not show — the item an
//! UpdateItem or a ConditionCheck touches, the items a `COUNT`, projected or filtered
//! read goes through — [`RequestMeter::settle`] sizes by reading those items again
//! (without counting them), as they are then: call it once the measured calls are done.
//! Known limits: a write is charged by the item's size afterwards (a write that shrinks an
//! item costs, on AWS, by the larger size before), a DeleteItem as one unit, and failed
//! requests (a condition that failed) as nothing.
//!
//! # Why always compiled
//! It costs nothing unless installed ([`DynamoStore::with_meter`]): no request is changed,
//! and the interceptor only reads requests and responses. Benchmarks use it without the
//! `test-support` helpers, and a `/metrics` endpoint can install it on a serving store to
//! export request counts per operation.

mod model;
mod settle;

use crate::DynamoStore;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use model::{Charge, Deferred, Plan};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Counts the DynamoDB requests of every client it is installed on, by operation, with
/// the capacity they consume; cheap to clone (clones share one count).
#[derive(Clone, Default)]
pub struct RequestMeter {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    tally: Mutex<Tally>,
    /// An unmetered client, for [`RequestMeter::settle`]'s reads.
    sizing: Mutex<Option<Client>>,
}

#[derive(Default)]
struct Tally {
    operations: BTreeMap<String, Counts>,
    deferred: Vec<Deferred>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    requests: u64,
    read_halves: u64,
    write_units: u64,
}

/// What the metered clients did since the meter was made or last reset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Per DynamoDB operation (`GetItem`, `Query`, …), in name order.
    pub operations: BTreeMap<String, OperationUsage>,
    /// Requests whose capacity is not counted yet, until [`RequestMeter::settle`].
    pub unsettled: usize,
}

/// One DynamoDB operation's share of a [`Usage`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OperationUsage {
    /// Requests sent, each attempt of a retried call included.
    pub requests: u64,
    /// Read capacity units (on-demand: read request units); a multiple of 0.5.
    pub read_units: f64,
    /// Write capacity units (on-demand: write request units).
    pub write_units: u64,
}

/// Why [`RequestMeter::settle`] could not size what it had to.
#[derive(Debug, thiserror::Error)]
pub enum MeterError {
    /// The meter was never installed on a client, so it has nothing to read with.
    #[error("the request meter is not installed on any client")]
    NotInstalled,
    /// Reading an item or a query again failed.
    #[error("sizing a metered request: {0}")]
    Sizing(String),
}

impl RequestMeter {
    /// A meter with nothing counted, installed nowhere yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of `client` whose requests this meter counts (`client` itself stays
    /// unmetered, and is what [`Self::settle`] reads with).
    pub fn install(&self, client: &Client) -> Client {
        *lock(&self.shared.sizing) = Some(client.clone());
        let config = client
            .config()
            .to_builder()
            .interceptor(Interceptor {
                meter: self.clone(),
            })
            .build();
        Client::from_conf(config)
    }

    /// What was counted so far.
    pub fn snapshot(&self) -> Usage {
        let tally = self.tally();
        Usage {
            operations: tally
                .operations
                .iter()
                .map(|(name, counts)| {
                    let usage = OperationUsage {
                        requests: counts.requests,
                        read_units: counts.read_halves as f64 / 2.0,
                        write_units: counts.write_units,
                    };
                    (name.clone(), usage)
                })
                .collect(),
            unsettled: tally.deferred.len(),
        }
    }

    /// Forgets everything counted, sized or not: the next snapshot starts from zero.
    pub fn reset(&self) {
        *self.tally() = Tally::default();
    }

    /// Counts the capacity of the requests that did not show their sizes, by reading the
    /// items they touched as they are now (those reads are not counted). Call it once the
    /// measured calls are done and before their items change again.
    ///
    /// # Errors
    /// [`MeterError::NotInstalled`], or [`MeterError::Sizing`] when a read fails; what was
    /// not sized yet stays to be settled.
    pub async fn settle(&self) -> Result<(), MeterError> {
        let client = lock(&self.shared.sizing)
            .clone()
            .ok_or(MeterError::NotInstalled)?;
        let deferred = std::mem::take(&mut self.tally().deferred);
        for (index, item) in deferred.iter().enumerate() {
            match settle::charge(&client, item).await {
                Ok(charge) => self.add(charge),
                Err(error) => {
                    self.tally().deferred.extend_from_slice(&deferred[index..]);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    fn count(&self, operation: &str) {
        let mut tally = self.tally();
        tally
            .operations
            .entry(operation.to_owned())
            .or_default()
            .requests += 1;
    }

    fn add(&self, charge: Charge) {
        let mut tally = self.tally();
        let counts = tally.operations.entry(charge.op.to_owned()).or_default();
        counts.read_halves += charge.read_halves;
        counts.write_units += charge.write_units;
        tally.deferred.extend(charge.deferred);
    }

    fn tally(&self) -> MutexGuard<'_, Tally> {
        lock(&self.shared.tally)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding it leaves plain counters: still usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for RequestMeter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMeter")
            .field("usage", &self.snapshot())
            .finish()
    }
}

impl Usage {
    /// Requests of every operation.
    pub fn requests(&self) -> u64 {
        self.operations.values().map(|usage| usage.requests).sum()
    }

    /// Read capacity units of every operation.
    pub fn read_units(&self) -> f64 {
        self.operations.values().map(|usage| usage.read_units).sum()
    }

    /// Write capacity units of every operation.
    pub fn write_units(&self) -> u64 {
        self.operations
            .values()
            .map(|usage| usage.write_units)
            .sum()
    }

    /// The requests as `Operation×n`, in name order (`GetItem×1 Query×2`): a short,
    /// stable description to compare and print.
    pub fn requests_by_operation(&self) -> String {
        let parts: Vec<String> = self
            .operations
            .iter()
            .filter(|(_, usage)| usage.requests > 0)
            .map(|(name, usage)| format!("{name}×{}", usage.requests))
            .collect();
        parts.join(" ")
    }
}

impl fmt::Display for Usage {
    /// `3 requests (GetItem×1 Query×2), 2.5 RCU, 0 WCU`, and how many are unsettled.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests ({}), {} RCU, {} WCU",
            self.requests(),
            self.requests_by_operation(),
            self.read_units(),
            self.write_units()
        )?;
        if self.unsettled > 0 {
            write!(f, ", {} unsettled", self.unsettled)?;
        }
        Ok(())
    }
}

impl DynamoStore {
    /// This store with its requests counted by `meter` (see [`RequestMeter::install`]).
    pub fn with_meter(self, meter: &RequestMeter) -> Self {
        Self {
            client: meter.install(&self.client),
            ..self
        }
    }
}

/// The interceptor [`RequestMeter::install`] registers.
#[derive(Debug)]
struct Interceptor {
    meter: RequestMeter,
}

/// The header naming a request's operation (`DynamoDB_20120810.GetItem`).
const TARGET: &str = "x-amz-target";

impl Intercept for Interceptor {
    fn name(&self) -> &'static str {
        "classchat RequestMeter"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(plan) = Plan::of(context) {
            cfg.interceptor_state().store_put(plan);
        }
        Ok(())
    }

    /// Once per attempt: a retried call is several requests.
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context.request().headers().get(TARGET).unwrap_or("unknown");
        let operation = target.rsplit_once('.').map_or(target, |(_, name)| name);
        self.meter.count(operation);
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(charge) = cfg.load::<Plan>().and_then(|plan| plan.charge(context)) {
            self.meter.add(charge);
        }
        Ok(())
    }
}
