//! Pauses: one item per paused conversation, `#conv#<conversationId>` / `pause` (`by`,
//! `byRole`, `at`, `reason`?), absent while the conversation is not paused.
//!
//! Setting or lifting one is a single conditional PutItem or DeleteItem on the pause the
//! service read — none (`attribute_not_exists`) or the one made at `at` — so of two
//! teachers or admins acting on one reading, one wins and the other is told (`false`).
//! A member's send carries [`unpaused_check`] in its own transaction (see `messages`):
//! a pause committed before the send is never slipped past, one committed after it
//! applies to the next send.

use crate::DynamoStore;
use crate::error::{build_failed, classify};
use crate::item::{
    AT, PAUSE, USER_ID, conversation_partition, pause_attributes, pause_from_item, s, user_info_key,
};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use classchat_core::store::{Pause, StoreError};
use classchat_core::{ConversationId, Timestamp};

/// The conversation's pause, read consistently.
pub(crate) async fn get(
    store: &DynamoStore,
    conversation: &ConversationId,
) -> Result<Option<Pause>, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(pause_key(conversation)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem pause", error))?;
    output.item.as_ref().map(pause_from_item).transpose()
}

/// Pauses (`Some`) or resumes (`None`) the conversation if its pause is the one made at
/// `expected` (none when `None`); whether it was written.
pub(crate) async fn set(
    store: &DynamoStore,
    conversation: &ConversationId,
    expected: Option<Timestamp>,
    pause: Option<&Pause>,
) -> Result<bool, StoreError> {
    let condition = match expected {
        None => "attribute_not_exists(#pk)",
        Some(_) => "#at = :expected",
    };
    let expected = expected.map(|at| s(at.to_string()));
    match pause {
        Some(pause) => {
            let mut item = pause_key(conversation);
            item.extend(pause_attributes(pause));
            let mut put = store
                .client
                .put_item()
                .table_name(&store.tables.user_info)
                .set_item(Some(item))
                .condition_expression(condition);
            put = match expected {
                None => put.expression_attribute_names("#pk", USER_ID),
                Some(expected) => put
                    .expression_attribute_names("#at", AT)
                    .expression_attribute_values(":expected", expected),
            };
            match put.send().await {
                Ok(_) => Ok(true),
                Err(SdkError::ServiceError(service))
                    if matches!(
                        service.err(),
                        PutItemError::ConditionalCheckFailedException(_)
                    ) =>
                {
                    Ok(false)
                }
                Err(error) => Err(classify("PutItem pause", error)),
            }
        }
        None => {
            // Resuming a conversation that is not paused, expecting no pause, deletes
            // nothing and succeeds, as the port says: the pause is as expected.
            let mut delete = store
                .client
                .delete_item()
                .table_name(&store.tables.user_info)
                .set_key(Some(pause_key(conversation)))
                .condition_expression(condition);
            delete = match expected {
                None => delete.expression_attribute_names("#pk", USER_ID),
                Some(expected) => delete
                    .expression_attribute_names("#at", AT)
                    .expression_attribute_values(":expected", expected),
            };
            match delete.send().await {
                Ok(_) => Ok(true),
                Err(SdkError::ServiceError(service))
                    if matches!(
                        service.err(),
                        DeleteItemError::ConditionalCheckFailedException(_)
                    ) =>
                {
                    Ok(false)
                }
                Err(error) => Err(classify("DeleteItem pause", error)),
            }
        }
    }
}

/// The condition check a member's append carries: the conversation has no pause.
pub(crate) fn unpaused_check(
    store: &DynamoStore,
    conversation: &ConversationId,
) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(pause_key(conversation)))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// The key of the conversation's pause item.
fn pause_key(conversation: &ConversationId) -> crate::item::Item {
    user_info_key(conversation_partition(conversation), PAUSE)
}
