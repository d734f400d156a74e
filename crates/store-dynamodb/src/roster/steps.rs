//! How an import's steps write: in transactions within DynamoDB's limits, a few at once,
//! tried again while they only collide with other writes.

use crate::DynamoStore;
use crate::ops::{self, Transacted, transact};
use aws_sdk_dynamodb::types::TransactWriteItem;
use classchat_core::store::StoreError;
use futures::{StreamExt, TryStreamExt};
use std::future::Future;

pub(super) use crate::ops::MAX_ACTIONS;
/// Bytes of items in one transaction: DynamoDB allows 4 MB, and
/// [`item_size`](crate::item::item_size) is an estimate, so a quarter stays spare.
const MAX_TRANSACTION_BYTES: usize = 3_000_000;
/// Transactions of one step in flight at once: a district's import is thousands of
/// transactions, too slow one after another, and the items of a step never overlap. Not
/// more, because every link also lands in the one `#links` partition, whose writes
/// DynamoDB throttles past about 500 transactional items a second.
const PARALLEL: usize = 4;
/// Tries of one transaction that collided with other writes or was throttled (or, for
/// links, whose reads went stale) before reporting the store busy: one to two seconds of
/// backing off in all.
pub(super) const ATTEMPTS: u32 = 12;
/// The condition of a Put that creates an item.
pub(super) const NOT_EXISTS: &str = "attribute_not_exists(#pk)";

/// Runs `tasks` at most [`PARALLEL`] at a time. The first error ends the step; the
/// tasks still running are dropped, and whatever they committed `state` reports. The
/// tasks are collected first: a lazy iterator's closure held across the awaits would
/// make the future fail the `Send` the `Store` trait needs.
pub(super) async fn in_parallel<F>(tasks: impl Iterator<Item = F>) -> Result<(), StoreError>
where
    F: Future<Output = Result<(), StoreError>>,
{
    let tasks: Vec<F> = tasks.collect();
    futures::stream::iter(tasks)
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await
}

/// Writes single-item `actions` (each with its size) in as few transactions as the
/// limits allow, a few at once; each action can be repeated without harm.
pub(super) async fn write_all(
    store: &DynamoStore,
    actions: Vec<(TransactWriteItem, usize)>,
    operation: &str,
) -> Result<(), StoreError> {
    in_parallel(batches(actions).into_iter().map(|items| async move {
        committed(transact_retrying(store, items, operation).await?, operation)
    }))
    .await
}

/// Groups `actions` in order into transactions of at most [`MAX_ACTIONS`] actions and
/// [`MAX_TRANSACTION_BYTES`] bytes (or one action alone, whatever its size).
fn batches(actions: Vec<(TransactWriteItem, usize)>) -> Vec<Vec<TransactWriteItem>> {
    let mut batches = Vec::new();
    let mut current: Vec<TransactWriteItem> = Vec::new();
    let mut bytes = 0;
    for (action, size) in actions {
        if !current.is_empty()
            && (current.len() == MAX_ACTIONS || bytes + size > MAX_TRANSACTION_BYTES)
        {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(action);
        bytes += size;
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Runs a transaction whose items need no fresh read, again while it only collided with
/// other writes (a cancelled transaction wrote nothing, so trying again is safe).
pub(super) async fn transact_retrying(
    store: &DynamoStore,
    items: Vec<TransactWriteItem>,
    operation: &str,
) -> Result<Transacted, StoreError> {
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(ops::backoff(attempt)).await;
        }
        let outcome = transact(&store.client, items.clone(), operation).await?;
        if !outcome.conflicted() {
            return Ok(outcome);
        }
    }
    Err(StoreError::Unavailable(format!(
        "{operation} kept colliding with other writes; retry"
    )))
}

/// Success for a committed transaction; a cancellation nobody expected is a bug.
pub(super) fn committed(outcome: Transacted, operation: &str) -> Result<(), StoreError> {
    match outcome {
        Transacted::Committed => Ok(()),
        Transacted::Cancelled(reasons) => Err(StoreError::Internal(format!(
            "{operation} cancelled: {reasons:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action() -> TransactWriteItem {
        TransactWriteItem::builder().build()
    }

    fn sizes(batches: &[Vec<TransactWriteItem>]) -> Vec<usize> {
        batches.iter().map(Vec::len).collect()
    }

    #[test]
    fn batches_stop_at_one_hundred_actions() {
        let actions = (0..250).map(|_| (action(), 10)).collect();
        assert_eq!(sizes(&batches(actions)), [100, 100, 50]);
        assert!(batches(Vec::new()).is_empty());
    }

    #[test]
    fn batches_of_large_classes_stay_under_the_size_limit() {
        let actions = (0..25).map(|_| (action(), 300_000)).collect();
        assert_eq!(sizes(&batches(actions)), [10, 10, 5]);
        // An action over the limit by itself still gets a transaction (DynamoDB judges).
        let actions = vec![(action(), 5_000_000), (action(), 1)];
        assert_eq!(sizes(&batches(actions)), [1, 1]);
    }
}
