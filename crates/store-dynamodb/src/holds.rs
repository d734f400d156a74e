//! Legal holds: one item per held target, `#holds` / [`HoldTarget::key`] (`by`, `at`,
//! `reason`?).
//!
//! The target is the sort key, so "held at most once" is DynamoDB's own uniqueness:
//! setting a hold is one PutItem on condition that the item does not exist (of two admins
//! holding the same target at once, one is told `false` and the first hold stays as it
//! was), lifting one is one DeleteItem that returns the item it deleted, if any. Listing
//! them is one strongly consistent Query of the partition, put in [`HoldTarget`] order in
//! memory: the stored keys sort conversations (`conversation:…`) before users
//! (`user:…`), and holds are few (a school's open legal cases), so sorting them costs
//! nothing and keeps the stored form the one the audit log names.

use crate::DynamoStore;
use crate::error::classify;
use crate::item::{HOLDS_PARTITION, USER_ID, hold_attributes, hold_from_item, s, user_info_key};
use crate::ops;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use classchat_core::store::{Hold, HoldTarget, StoreError};

/// Every hold, users first, then conversations (the order of [`HoldTarget`]).
pub(crate) async fn list(store: &DynamoStore) -> Result<Vec<Hold>, StoreError> {
    let query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_values(":pk", s(HOLDS_PARTITION));
    let items = ops::query(query, None, "Query holds").await?;
    let mut holds = items
        .iter()
        .map(hold_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    holds.sort_by(|a, b| a.target.cmp(&b.target));
    Ok(holds)
}

/// Keeps `hold` unless its target is held already (`false`, nothing changed).
pub(crate) async fn put(store: &DynamoStore, hold: &Hold) -> Result<bool, StoreError> {
    let mut item = user_info_key(HOLDS_PARTITION, hold.target.key());
    item.extend(hold_attributes(hold));
    let put = store
        .client
        .put_item()
        .table_name(&store.tables.user_info)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .send()
        .await;
    match put {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(service))
            if matches!(
                service.err(),
                PutItemError::ConditionalCheckFailedException(_)
            ) =>
        {
            Ok(false)
        }
        Err(error) => Err(classify("PutItem hold", error)),
    }
}

/// Lifts the hold on `target`; whether there was one (the item the delete returns).
pub(crate) async fn remove(store: &DynamoStore, target: &HoldTarget) -> Result<bool, StoreError> {
    let output = store
        .client
        .delete_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(HOLDS_PARTITION, target.key())))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .map_err(|error| classify("DeleteItem hold", error))?;
    Ok(output.attributes.is_some_and(|old| !old.is_empty()))
}
