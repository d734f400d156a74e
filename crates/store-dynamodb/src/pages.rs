//! Reading the Message table: pages backwards and forwards, and its newest timestamp.
//!
//! Every read is a Query on one conversation's partition with a key condition on the
//! sort key — never a filter — so it reads only the items it returns (plus one to learn
//! whether there are more). Reads are strongly consistent: a message acknowledged by
//! any node is visible to the next read on every node.

use crate::DynamoStore;
use crate::item::{CONVERSATION_ID, TIMESTAMP, get_timestamp, message_from_item, s};
use crate::ops;
use classchat_core::store::{MessagePage, PageRequest, StoreError};
use classchat_core::{ConversationId, Timestamp};

/// One page of a conversation, ascending. See [`PageRequest`].
pub(crate) async fn read(
    store: &DynamoStore,
    conversation: &ConversationId,
    page: &PageRequest,
) -> Result<MessagePage, StoreError> {
    // Cursors are exclusive; timestamps are whole microseconds, so "> after" is
    // ">= after + 1µs" and "< before" is "<= before - 1µs", which BETWEEN can express.
    let low = match page.after {
        Some(after) => match Timestamp::from_micros(after.as_micros() + 1) {
            Some(low) => Some(low),
            None => return Ok(empty()),
        },
        None => None,
    };
    let high = match page.before {
        Some(before) => match Timestamp::from_micros(before.as_micros() - 1) {
            Some(high) => Some(high),
            None => return Ok(empty()),
        },
        None => None,
    };
    if let (Some(low), Some(high)) = (low, high)
        && low > high
    {
        return Ok(empty());
    }
    let mut query = store
        .client
        .query()
        .table_name(&store.tables.message)
        .consistent_read(true)
        .expression_attribute_names("#pk", CONVERSATION_ID)
        .expression_attribute_values(":pk", s(conversation.to_string()))
        // Without `after` the page is the newest messages: read backwards from the top.
        .scan_index_forward(page.after.is_some());
    query = match (low, high) {
        (None, None) => query.key_condition_expression("#pk = :pk"),
        (Some(low), None) => query
            .key_condition_expression("#pk = :pk AND #ts >= :low")
            .expression_attribute_names("#ts", TIMESTAMP)
            .expression_attribute_values(":low", s(low.to_string())),
        (None, Some(high)) => query
            .key_condition_expression("#pk = :pk AND #ts <= :high")
            .expression_attribute_names("#ts", TIMESTAMP)
            .expression_attribute_values(":high", s(high.to_string())),
        (Some(low), Some(high)) => query
            .key_condition_expression("#pk = :pk AND #ts BETWEEN :low AND :high")
            .expression_attribute_names("#ts", TIMESTAMP)
            .expression_attribute_values(":low", s(low.to_string()))
            .expression_attribute_values(":high", s(high.to_string())),
    };
    let items = ops::query(query, Some(page.limit + 1), "Query messages").await?;
    let has_more = items.len() > page.limit;
    let mut messages = items
        .iter()
        .take(page.limit)
        .map(message_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    if page.after.is_none() {
        messages.reverse();
    }
    Ok(MessagePage { messages, has_more })
}

/// Whether the conversation has a message.
pub(crate) async fn has_any(
    store: &DynamoStore,
    conversation: &ConversationId,
) -> Result<bool, StoreError> {
    Ok(newest(store, conversation).await?.is_some())
}

/// The timestamp of the conversation's newest message.
pub(crate) async fn newest(
    store: &DynamoStore,
    conversation: &ConversationId,
) -> Result<Option<Timestamp>, StoreError> {
    let query = store
        .client
        .query()
        .table_name(&store.tables.message)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", CONVERSATION_ID)
        .expression_attribute_names("#ts", TIMESTAMP)
        .expression_attribute_values(":pk", s(conversation.to_string()))
        .projection_expression("#ts")
        .scan_index_forward(false);
    let items = ops::query(query, Some(1), "Query newest message").await?;
    items
        .first()
        .map(|item| get_timestamp(item, TIMESTAMP))
        .transpose()
}

fn empty() -> MessagePage {
    MessagePage {
        messages: Vec::new(),
        has_more: false,
    }
}
