//! Read markers: `read_marker` reads a user's `lastReadAt` and `unread_count` their
//! `unreadCount`; `mark_read` moves the marker forward and recounts their unread messages.
//!
//! A marker that would not move costs one consistent GetItem and writes nothing. Otherwise
//! the recount is a Query with `Select = COUNT` over the messages after the marker,
//! filtered to the peer's (`author <> me`), following `LastEvaluatedKey`. The write is
//! conditional on the summary being exactly as read (same `lastMessageAt` and
//! `lastReadAt`): if a message arrived or another device moved the marker in between, the
//! count may be stale, so it starts over — and finds, if that other device got there
//! first, that there is nothing left to move.

use crate::DynamoStore;
use crate::error::classify;
use crate::item::{
    AUTHOR, CONVERSATION_ID, Item, LAST_MESSAGE_AT, LAST_READ_AT, TIMESTAMP, UNREAD_COUNT, conv_sk,
    get_timestamp, get_u64, n, s, user_info_key,
};
use crate::ops;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::Select;
use classchat_core::store::{MarkedRead, StoreError};
use classchat_core::{ConversationId, Timestamp, UserId};

/// Attempts before giving up when messages keep arriving during the recount.
const MARK_ATTEMPTS: u32 = 20;

/// `user`'s `lastReadAt` in the conversation; `None` without a summary or before a read.
pub(crate) async fn read_marker(
    store: &DynamoStore,
    user: &UserId,
    conversation: &ConversationId,
) -> Result<Option<Timestamp>, StoreError> {
    let Some(summary) = summary_attribute(store, user, conversation, LAST_READ_AT).await? else {
        return Ok(None);
    };
    let read = get_timestamp(&summary, LAST_READ_AT)?;
    Ok((read > Timestamp::MIN).then_some(read))
}

/// `user`'s `unreadCount` in the conversation; 0 without a summary.
pub(crate) async fn unread_count(
    store: &DynamoStore,
    user: &UserId,
    conversation: &ConversationId,
) -> Result<u64, StoreError> {
    match summary_attribute(store, user, conversation, UNREAD_COUNT).await? {
        Some(summary) => get_u64(&summary, UNREAD_COUNT),
        None => Ok(0),
    }
}

/// One attribute of `user`'s summary of the conversation (a consistent read of the
/// `conv#` item, projected); `None` without a summary.
async fn summary_attribute(
    store: &DynamoStore,
    user: &UserId,
    conversation: &ConversationId,
    attribute: &str,
) -> Result<Option<Item>, StoreError> {
    let summary = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(user.as_str(), conv_sk(conversation))))
        .projection_expression("#attribute")
        .expression_attribute_names("#attribute", attribute)
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem conversation summary", error))?;
    Ok(summary.item)
}

pub(crate) async fn mark_read(
    store: &DynamoStore,
    user: &UserId,
    conversation: &ConversationId,
    up_to: Timestamp,
) -> Result<Option<MarkedRead>, StoreError> {
    let key = user_info_key(user.as_str(), conv_sk(conversation));
    for attempt in 0..MARK_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(ops::backoff(attempt)).await;
        }
        let summary = store
            .client
            .get_item()
            .table_name(&store.tables.user_info)
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| classify("GetItem summary", error))?;
        // No summary: the conversation has no message yet, so there is nothing to mark.
        let Some(summary) = summary.item else {
            return Ok(None);
        };
        let last = get_timestamp(&summary, LAST_MESSAGE_AT)?;
        let read = get_timestamp(&summary, LAST_READ_AT)?;
        let marker = read.max(up_to.min(last));
        if marker <= read {
            return Ok(Some(MarkedRead {
                marker: read,
                moved: false,
            }));
        }
        let unread = count_unread(store, user, conversation, marker).await?;
        let result = store
            .client
            .update_item()
            .table_name(&store.tables.user_info)
            .set_key(Some(key.clone()))
            .update_expression("SET #read = :marker, #unread = :unread")
            .condition_expression("#at = :last AND #read = :read")
            .expression_attribute_names("#read", LAST_READ_AT)
            .expression_attribute_names("#unread", UNREAD_COUNT)
            .expression_attribute_names("#at", LAST_MESSAGE_AT)
            .expression_attribute_values(":marker", s(marker.to_string()))
            .expression_attribute_values(":unread", n(unread))
            .expression_attribute_values(":last", s(last.to_string()))
            .expression_attribute_values(":read", s(read.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => {
                return Ok(Some(MarkedRead {
                    marker,
                    moved: true,
                }));
            }
            // Something changed since we counted, or an append's transaction holds the
            // summary right now: count again.
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err(),
                    UpdateItemError::ConditionalCheckFailedException(_)
                        | UpdateItemError::TransactionConflictException(_)
                ) =>
            {
                continue;
            }
            Err(error) => return Err(classify("UpdateItem read marker", error)),
        }
    }
    Err(StoreError::Unavailable(format!(
        "conversation {conversation} keeps changing; retry marking it read"
    )))
}

/// Messages in `conversation` after `marker` that `user` did not write.
async fn count_unread(
    store: &DynamoStore,
    user: &UserId,
    conversation: &ConversationId,
    marker: Timestamp,
) -> Result<u64, StoreError> {
    let query = store
        .client
        .query()
        .table_name(&store.tables.message)
        .consistent_read(true)
        .select(Select::Count)
        .key_condition_expression("#pk = :pk AND #ts > :marker")
        .filter_expression("#author <> :me")
        .expression_attribute_names("#pk", CONVERSATION_ID)
        .expression_attribute_names("#ts", TIMESTAMP)
        .expression_attribute_names("#author", AUTHOR)
        .expression_attribute_values(":pk", s(conversation.to_string()))
        .expression_attribute_values(":marker", s(marker.to_string()))
        .expression_attribute_values(":me", s(user.as_str()));
    ops::count(query, "Query unread count").await
}
