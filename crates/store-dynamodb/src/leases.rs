//! Leases of background jobs: one item per job in the `#leases` partition of UserInfo,
//! `#leases` / `<name>`: `holder`, `until` (S, fixed-width, so that string order is time
//! order in a condition).
//!
//! Taking or renewing one is a single conditional PutItem: it is written when there is
//! none, when its holder is the one asking, or when it lapsed before `now`; DynamoDB
//! applies each conditional write to an item alone, so of two nodes asking at once at most
//! one gets it, and a failed condition is the answer (`false`), with nothing changed. The
//! partition takes a renewal every few seconds per node, far below its limits.

use crate::DynamoStore;
use crate::error::classify;
use crate::item::{HOLDER, LEASES_PARTITION, UNTIL, USER_ID, s, user_info_key};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use classchat_core::Timestamp;
use classchat_core::store::StoreError;

/// Takes or renews the lease `name` for `holder` until `until` unless someone else holds
/// it at `now`; whether `holder` holds it now.
pub(crate) async fn try_take(
    store: &DynamoStore,
    name: &str,
    holder: &str,
    now: Timestamp,
    until: Timestamp,
) -> Result<bool, StoreError> {
    let mut item = user_info_key(LEASES_PARTITION, name);
    item.insert(HOLDER.to_owned(), s(holder));
    item.insert(UNTIL.to_owned(), s(until.to_string()));
    let result = store
        .client
        .put_item()
        .table_name(&store.tables.user_info)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk) OR #holder = :holder OR #until < :now")
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_names("#holder", HOLDER)
        .expression_attribute_names("#until", UNTIL)
        .expression_attribute_values(":holder", s(holder))
        .expression_attribute_values(":now", s(now.to_string()))
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(service))
            if matches!(
                service.err(),
                PutItemError::ConditionalCheckFailedException(_)
            ) =>
        {
            Ok(false)
        }
        Err(error) => Err(classify("PutItem lease", error)),
    }
}
