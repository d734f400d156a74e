//! What the link steps and the guardian-link steps of an import share: the roster's
//! records of what it derives (`#roster#links`, `#roster#guardians`, each with `byHand`),
//! and running a chunk's plan again from a fresh read when an administrator's change got
//! in between.

use super::steps::{ATTEMPTS, NOT_EXISTS, committed};
use crate::DynamoStore;
use crate::error::build_failed;
use crate::item::{BY_HAND, Item, USER_ID};
use crate::ops::{self, Transacted, transact};
use crate::users;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem};
use classchat_core::store::StoreError;

/// Creates a roster record, `item` (its key and the ids it names), with `byHand`; fails
/// its condition when there is one already (another import, racing this one).
pub(super) fn put(
    store: &DynamoStore,
    mut item: Item,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    item.insert(BY_HAND.to_owned(), AttributeValue::Bool(by_hand));
    users::put(store, item, Some(NOT_EXISTS), &[])
}

/// Deletes the roster record at `key`, only while its `byHand` is as read (so a link
/// removed and added again by hand meanwhile is not taken for the roster's).
pub(super) fn delete(
    store: &DynamoStore,
    key: Item,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(key))
        .condition_expression("#byHand = :byHand")
        .expression_attribute_names("#byHand", BY_HAND)
        .expression_attribute_values(":byHand", AttributeValue::Bool(by_hand))
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// Requires that the item at `key` still exists: a link or guardian link added by hand,
/// recorded as the roster's too without writing its items.
pub(super) fn exists(store: &DynamoStore, key: Item) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(key))
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// Writes the transactions `plan` makes from what it reads, one after another; when an
/// admin changed a link or a family in between (a condition failed, or a transaction
/// conflicted), reads and plans again — what committed is part of the new reading — up
/// to [`ATTEMPTS`] times with backoff.
pub(super) async fn retried<F, Fut>(
    store: &DynamoStore,
    operation: &str,
    mut plan: F,
) -> Result<(), StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Vec<TransactWriteItem>>, StoreError>>,
{
    'attempts: for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(ops::backoff(attempt)).await;
        }
        for items in plan().await? {
            match transact(&store.client, items, operation).await? {
                Transacted::Committed => {}
                outcome if outcome.conflicted() || outcome.any_condition_failed() => {
                    continue 'attempts;
                }
                outcome => return committed(outcome, operation),
            }
        }
        return Ok(());
    }
    Err(StoreError::Unavailable(format!(
        "{operation}: links changed concurrently with the roster import; import again"
    )))
}
