//! An author's edits and removals, which never lose what was there.
//!
//! # Items
//! - The Message item itself gains `editedAt` or `removedAt` (its other attributes are the
//!   seed's, and its timestamp, messageId and clientMessageId never change, so order and
//!   idempotent retries are unaffected).
//! - `#conv#<conversationId>` / `version#<timestamp>#<writtenAt>` in UserInfo: `messageBody`,
//!   `writtenAt` — the text an edit replaced, so a message's versions are one Query, oldest
//!   first. They live apart from the Message table, whose partitions hold messages only
//!   (pages, counts and the newest timestamp read it without a filter).
//! - The conversation's two summaries (`conv#…` under each participant) carry the last
//!   message's `lastEditedAt`/`lastRemovedAt` beside its text.
//!
//! # One transaction, on the message as it was read
//! A revision reads the message and the teacher's summary (at once), then writes in one
//! TransactWriteItems: the message, Put whole (the Message table is only ever put, as in
//! the seed) on condition that it is still exactly as read — same `editedAt`, same text,
//! not removed; for an edit, the replaced text's version item, on condition that it is
//! new; and, when the summary showed the message as the conversation's newest, both
//! summaries, on condition that they still do. Of two revisions made on one reading, one
//! commits and the other, reading again, is a conflict. An append racing a revision of
//! the newest message either commits first — the revision's summary condition fails, it
//! reads again and leaves the summaries to the new message — or after it, replacing the
//! summaries' text with its own. So a summary never shows a text or state its message no
//! longer has.

use crate::DynamoStore;
use crate::error::{build_failed, classify};
use crate::item::{
    EDITED_AT, LAST_EDITED_AT, LAST_MESSAGE_AT, LAST_MESSAGE_ID, LAST_MESSAGE_PREVIEW,
    LAST_REMOVED_AT, MESSAGE_BODY, REMOVED_AT, USER_ID, conv_sk, conversation_partition, get_opt_s,
    get_timestamp, message_from_item, message_item, message_key, s, user_info_key,
    version_attributes, version_from_item, version_sk, versions_prefix,
};
use crate::ops::{self, Transacted, transact};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use classchat_core::store::{MessageVersion, Revision, RevisionKind, StoreError};
use classchat_core::{ConversationId, Message, MessageId, Timestamp, UserId};

/// Readings and writes before a revision gives up under contention: each retry follows a
/// newer message arriving or another transaction on the same items, both rare.
const REVISE_ATTEMPTS: u32 = 20;

/// The message at `timestamp` in `conversation`, as stored (a removed one with its text).
pub(crate) async fn get(
    store: &DynamoStore,
    conversation: &ConversationId,
    timestamp: Timestamp,
) -> Result<Option<Message>, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.message)
        .set_key(Some(message_key(conversation, timestamp)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem message", error))?;
    output.item.as_ref().map(message_from_item).transpose()
}

/// The earlier texts of the message, oldest first: one Query.
pub(crate) async fn versions(
    store: &DynamoStore,
    conversation: &ConversationId,
    timestamp: Timestamp,
) -> Result<Vec<MessageVersion>, StoreError> {
    let query = ops::user_info_prefix(
        &store.client,
        &store.tables,
        &conversation_partition(conversation),
        &versions_prefix(timestamp),
    );
    let items = ops::query(query, None, "Query message versions").await?;
    items.iter().map(version_from_item).collect()
}

/// Applies `revision` as the port says (see the module's documentation for how).
pub(crate) async fn revise(
    store: &DynamoStore,
    revision: &Revision,
) -> Result<Option<Message>, StoreError> {
    let conversation = &revision.conversation_id;
    for attempt in 0..REVISE_ATTEMPTS {
        let (stored, last) = tokio::join!(
            get(store, conversation, revision.timestamp),
            last_message(store, conversation)
        );
        let Some(stored) = stored? else {
            return Ok(None);
        };
        if stored.removed_at.is_some() || stored.edited_at != revision.expected_edited_at {
            return Err(changed());
        }
        let (revised, version) = apply(&stored, revision);
        let mut items = vec![put_message(store, &stored, &revised)?];
        if let Some(version) = &version {
            items.push(put_version(store, &stored, version)?);
        }
        let version_at = version.as_ref().map(|_| items.len() - 1);
        let summaries_from = items.len();
        if last? == Some((stored.timestamp, stored.message_id)) {
            for owner in [conversation.member(), conversation.teacher()] {
                items.push(summary_update(store, owner, &revised)?);
            }
        }
        let summaries_to = items.len();
        let outcome = transact(&store.client, items, "TransactWriteItems revise message").await?;
        match outcome {
            Transacted::Committed => return Ok(Some(revised)),
            outcome if version_at.is_some_and(|index| outcome.condition_failed(index)) => {
                // Another edit made on the same reading kept the same text first.
                return Err(changed());
            }
            outcome
                if outcome.condition_failed(0)
                    || (summaries_from..summaries_to).any(|i| outcome.condition_failed(i)) =>
            {
                // The message changed (read again: gone, or a conflict), or a newer one
                // arrived and the summaries moved on to it.
                tracing::debug!(%conversation, timestamp = %revision.timestamp, "revision raced; reading again");
            }
            outcome if outcome.conflicted() => {
                tokio::time::sleep(ops::backoff(attempt)).await;
            }
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "revision cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "message {} in {conversation} kept changing: not revised after {REVISE_ATTEMPTS} attempts",
        revision.timestamp
    )))
}

/// The message as `revision` leaves it, and for an edit the text it replaces.
fn apply(stored: &Message, revision: &Revision) -> (Message, Option<MessageVersion>) {
    match &revision.kind {
        RevisionKind::Edit(body) => (
            Message {
                body: body.clone(),
                edited_at: Some(revision.at),
                ..stored.clone()
            },
            Some(MessageVersion {
                body: stored.body.clone(),
                written_at: stored.edited_at.unwrap_or(stored.timestamp),
            }),
        ),
        RevisionKind::Remove => (
            Message {
                removed_at: Some(revision.at),
                ..stored.clone()
            },
            None,
        ),
    }
}

/// A revision refused because the message is not as the service read it.
fn changed() -> StoreError {
    StoreError::Conflict("the message changed since it was read".into())
}

/// The timestamp and id of the conversation's last message, as the teacher's summary
/// holds them (both summaries always agree on it): `None` before the first message.
async fn last_message(
    store: &DynamoStore,
    conversation: &ConversationId,
) -> Result<Option<(Timestamp, MessageId)>, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(
            conversation.teacher().as_str(),
            conv_sk(conversation),
        )))
        .projection_expression("#at, #mid")
        .expression_attribute_names("#at", LAST_MESSAGE_AT)
        .expression_attribute_names("#mid", LAST_MESSAGE_ID)
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem summary", error))?;
    let Some(item) = output.item else {
        return Ok(None);
    };
    let Some(id) = get_opt_s(&item, LAST_MESSAGE_ID)? else {
        return Ok(None);
    };
    let id = MessageId::parse(id).map_err(|_| crate::error::corrupt(LAST_MESSAGE_ID))?;
    Ok(Some((get_timestamp(&item, LAST_MESSAGE_AT)?, id)))
}

/// The Put of the revised message, on condition that the stored one is still `stored`.
fn put_message(
    store: &DynamoStore,
    stored: &Message,
    revised: &Message,
) -> Result<TransactWriteItem, StoreError> {
    let edited = match stored.edited_at {
        Some(_) => "#edited = :edited",
        None => "attribute_not_exists(#edited)",
    };
    let mut put = Put::builder()
        .table_name(&store.tables.message)
        .set_item(Some(message_item(revised)))
        .condition_expression(format!(
            "#body = :body AND attribute_not_exists(#removed) AND {edited}"
        ))
        .expression_attribute_names("#body", MESSAGE_BODY)
        .expression_attribute_names("#removed", REMOVED_AT)
        .expression_attribute_names("#edited", EDITED_AT)
        .expression_attribute_values(":body", s(stored.body.as_str()));
    if let Some(edited) = stored.edited_at {
        put = put.expression_attribute_values(":edited", s(edited.to_string()));
    }
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(build_failed)?)
        .build())
}

/// The Put of an edited message's earlier text, on condition that it is not kept yet.
fn put_version(
    store: &DynamoStore,
    stored: &Message,
    version: &MessageVersion,
) -> Result<TransactWriteItem, StoreError> {
    let mut item = user_info_key(
        conversation_partition(&stored.conversation_id),
        version_sk(stored.timestamp, version.written_at),
    );
    item.extend(version_attributes(version));
    let put = Put::builder()
        .table_name(&store.tables.user_info)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The Update of `owner`'s summary to show `revised`, on condition that its last
/// message is still that one. Unread counts and read markers stay as they are.
fn summary_update(
    store: &DynamoStore,
    owner: &UserId,
    revised: &Message,
) -> Result<TransactWriteItem, StoreError> {
    let mut set = vec!["#preview = :preview"];
    let mut remove = Vec::new();
    match revised.edited_at {
        Some(_) => set.push("#edited = :edited"),
        None => remove.push("#edited"),
    }
    match revised.removed_at {
        Some(_) => set.push("#removed = :removed"),
        None => remove.push("#removed"),
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    let mut update = Update::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(
            owner.as_str(),
            conv_sk(&revised.conversation_id),
        )))
        .update_expression(expression)
        .condition_expression("#at = :at AND #mid = :mid")
        .expression_attribute_names("#at", LAST_MESSAGE_AT)
        .expression_attribute_names("#mid", LAST_MESSAGE_ID)
        .expression_attribute_names("#preview", LAST_MESSAGE_PREVIEW)
        .expression_attribute_names("#edited", LAST_EDITED_AT)
        .expression_attribute_names("#removed", LAST_REMOVED_AT)
        .expression_attribute_values(":at", s(revised.timestamp.to_string()))
        .expression_attribute_values(":mid", s(revised.message_id.to_string()))
        .expression_attribute_values(":preview", s(revised.body.as_str()));
    if let Some(edited) = revised.edited_at {
        update = update.expression_attribute_values(":edited", s(edited.to_string()));
    }
    if let Some(removed) = revised.removed_at {
        update = update.expression_attribute_values(":removed", s(removed.to_string()));
    }
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(build_failed)?)
        .build())
}
