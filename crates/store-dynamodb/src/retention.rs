//! Deleting a conversation for retention, in steps a crash can stop anywhere.
//!
//! # One step: one transaction
//! A call reads the conversation's oldest messages at or before `up_to` (one Query of its
//! Message partition, a key condition on the timestamp, one more than it may delete, to
//! learn whether any would be left), then the earlier versions of those messages (one
//! Query of `#conv#<conversationId>` over their `version#<timestamp>#` keys), and deletes,
//! in one TransactWriteItems, as many of the messages as fit in its 100 actions with all
//! that is kept for them: each message (on condition that it is still there), its
//! author's `cmid#<clientMessageId>` dedup item when it has one, the author's
//! `annc#<announcementId>#<conversationId>` item when it is a copy of a class
//! announcement (so that a retry of the announcement makes a new copy, as for a
//! conversation that never had one, rather than finding an item without its message),
//! and its version items.
//! So a message never goes without its versions and dedup item, nor they without it, and
//! a call may delete fewer than `batch` messages (never none while some are left): the
//! caller calls again until `finished`.
//!
//! A dedup item is deleted only while it still names this message (or is already gone:
//! it lapses by TTL after 30 days): after it lapsed, its author may have used the same
//! clientMessageId for a newer message, whose retries it now answers. When its condition
//! fails the step is planned again without it.
//!
//! # Finishing
//! When no message at or before `up_to` is left (in the same call that deleted the last
//! of them, or a later one), the conversation's pause and any version item at or before
//! `up_to` go (unconditionally: nothing else writes them once their messages are gone),
//! then each participant's summary, on condition that its last message is at or before
//! `up_to`: a message that arrived meanwhile keeps its summary (and the pause item of a
//! conversation that goes on is gone, as the port says). Each is a request of its own,
//! so one summary's failed condition stops nothing else; a crash in between leaves them
//! for the next call, which finds no message and finishes again. So does a failure of
//! the last step in the call that deleted the last messages: it answers the messages it
//! deleted, not `finished`, rather than an error that would lose their count.
//!
//! # Appends afterwards
//! Appends propose timestamps from the clock, and the striped lock in `messages` may
//! remember a deleted message's timestamp as the conversation's newest: then the next
//! append is put just after it, still later than every message left, and its key, dedup
//! item and summaries are free (deleted), so it commits as a first message does.

use crate::DynamoStore;
use crate::error::{build_failed, classify};
use crate::item::{
    ANNOUNCEMENT_ID, AUTHOR, CLIENT_MESSAGE_ID, CONVERSATION_ID, LAST_MESSAGE_AT, PAUSE, SK,
    TIMESTAMP, USER_ID, VERSION_PREFIX, cmid_sk, conv_sk, conversation_partition, copy_sk,
    get_opt_s, get_s, get_timestamp, get_user_id, message_key, s, user_info_key, versions_prefix,
};
use crate::ops::{self, MAX_ACTIONS, Transacted, transact};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use classchat_core::store::{Deletion, StoreError};
use classchat_core::{ClientMessageId, ConversationId, MessageId, Timestamp, UserId};
use std::collections::{BTreeMap, HashSet};

/// Plans and transactions before a step gives up: each retry follows another writer
/// deleting the same messages or a dedup item found naming a newer message, both rare.
const DELETE_ATTEMPTS: u32 = 20;

/// A message a step may delete, as its Query projects it.
struct Doomed {
    /// Its sort key.
    timestamp: Timestamp,
    /// Whose dedup item it may have.
    author: UserId,
    /// The key of that dedup item, when it was sent with one.
    client_id: Option<ClientMessageId>,
    /// The announcement it is a copy of, if any: its author's copy item goes with it.
    announcement: Option<MessageId>,
}

/// What one item of a step's transaction deletes, so that a cancellation can be read.
enum Action {
    /// A message (conditioned on being there).
    Message,
    /// A dedup item (conditioned on naming the message, or being gone).
    Dedup(UserId, ClientMessageId),
    /// An announcement's copy item.
    Copy,
    /// An earlier version.
    Version,
}

/// Deletes up to `batch` of the conversation's oldest messages at or before `up_to`, and
/// finishes the conversation once none is left (see the module's documentation).
pub(crate) async fn delete_conversation(
    store: &DynamoStore,
    conversation: &ConversationId,
    up_to: Timestamp,
    batch: usize,
) -> Result<Deletion, StoreError> {
    let want = batch.clamp(1, MAX_ACTIONS);
    // Dedup items found naming a newer message: they stay.
    let mut kept: HashSet<(UserId, ClientMessageId)> = HashSet::new();
    for attempt in 0..DELETE_ATTEMPTS {
        let doomed = oldest(store, conversation, up_to, want + 1).await?;
        let Some(first) = doomed.first() else {
            finish(store, conversation, up_to).await?;
            return Ok(Deletion {
                messages: 0,
                finished: true,
            });
        };
        let candidates = &doomed[..doomed.len().min(want)];
        let last = candidates.last().map_or(first.timestamp, |m| m.timestamp);
        let versions = versions_between(store, conversation, first.timestamp, last).await?;
        let (items, actions, deleted) = plan(store, conversation, candidates, &versions, &kept)?;
        let outcome = transact(&store.client, items, "TransactWriteItems delete messages").await?;
        match outcome {
            Transacted::Committed => {
                let mut finished = deleted == doomed.len();
                if finished && let Err(error) = finish(store, conversation, up_to).await {
                    // The messages are gone whatever happens next: say so, and leave the
                    // last step to the next call (which fails the same way if it must).
                    tracing::warn!(%conversation, %error, "retention: finishing deferred");
                    finished = false;
                }
                return Ok(Deletion {
                    messages: u64::try_from(deleted).unwrap_or(u64::MAX),
                    finished,
                });
            }
            outcome if outcome.any_condition_failed() => {
                for (index, action) in actions.into_iter().enumerate() {
                    if let Action::Dedup(author, client_id) = action
                        && outcome.condition_failed(index)
                    {
                        kept.insert((author, client_id));
                    }
                }
                // A message already gone (another deletion got there first) is simply not
                // read again.
                tracing::debug!(%conversation, "retention step raced; planning again");
            }
            outcome if outcome.conflicted() => {
                tokio::time::sleep(ops::backoff(attempt)).await;
            }
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "retention step cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "conversation {conversation} kept changing: no retention step after {DELETE_ATTEMPTS} \
         attempts"
    )))
}

/// The conversation's oldest `limit` messages at or before `up_to`, as far as a step
/// needs them.
async fn oldest(
    store: &DynamoStore,
    conversation: &ConversationId,
    up_to: Timestamp,
    limit: usize,
) -> Result<Vec<Doomed>, StoreError> {
    let query = store
        .client
        .query()
        .table_name(&store.tables.message)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk AND #ts <= :up_to")
        .projection_expression("#ts, #author, #cmid, #ann")
        .expression_attribute_names("#pk", CONVERSATION_ID)
        .expression_attribute_names("#ts", TIMESTAMP)
        .expression_attribute_names("#author", AUTHOR)
        .expression_attribute_names("#cmid", CLIENT_MESSAGE_ID)
        .expression_attribute_names("#ann", ANNOUNCEMENT_ID)
        .expression_attribute_values(":pk", s(conversation.to_string()))
        .expression_attribute_values(":up_to", s(up_to.to_string()))
        .scan_index_forward(true);
    let items = ops::query(query, Some(limit), "Query messages to delete").await?;
    items
        .iter()
        .map(|item| {
            Ok(Doomed {
                timestamp: get_timestamp(item, TIMESTAMP)?,
                author: get_user_id(item, AUTHOR)?,
                client_id: get_opt_s(item, CLIENT_MESSAGE_ID)?
                    .map(ClientMessageId::parse)
                    .transpose()
                    .map_err(|_| crate::error::corrupt(CLIENT_MESSAGE_ID))?,
                announcement: get_opt_s(item, ANNOUNCEMENT_ID)?
                    .map(MessageId::parse)
                    .transpose()
                    .map_err(|_| crate::error::corrupt(ANNOUNCEMENT_ID))?,
            })
        })
        .collect()
}

/// The sort keys of the version items of the messages from `first` to `last` (both
/// included), by their message's timestamp, oldest first.
async fn versions_between(
    store: &DynamoStore,
    conversation: &ConversationId,
    first: Timestamp,
    last: Timestamp,
) -> Result<BTreeMap<Timestamp, Vec<String>>, StoreError> {
    let items = version_keys(store, conversation, versions_prefix(first), last).await?;
    let mut versions: BTreeMap<Timestamp, Vec<String>> = BTreeMap::new();
    for sk in items {
        versions
            .entry(message_of_version(&sk)?)
            .or_default()
            .push(sk);
    }
    Ok(versions)
}

/// The sort keys of the conversation's version items from `from` up to those of the
/// message at `last`: `version#<last>#…` sorts before `version#<last>$`, and every later
/// message's after it (timestamps have a fixed width).
async fn version_keys(
    store: &DynamoStore,
    conversation: &ConversationId,
    from: String,
    last: Timestamp,
) -> Result<Vec<String>, StoreError> {
    let query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
        .projection_expression("#sk")
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_names("#sk", SK)
        .expression_attribute_values(":pk", s(conversation_partition(conversation)))
        .expression_attribute_values(":from", s(from))
        .expression_attribute_values(":to", s(format!("{VERSION_PREFIX}{last}$")));
    let items = ops::query(query, None, "Query versions to delete").await?;
    items
        .iter()
        .map(|item| get_s(item, SK).map(str::to_owned))
        .collect()
}

/// The timestamp of the message a version's sort key (`version#<timestamp>#<writtenAt>`)
/// belongs to.
fn message_of_version(sk: &str) -> Result<Timestamp, StoreError> {
    sk.strip_prefix(VERSION_PREFIX)
        .and_then(|rest| rest.split('#').next())
        .and_then(|raw| Timestamp::parse(raw).ok())
        .ok_or_else(|| crate::error::corrupt(SK))
}

/// One step's transaction: the oldest of `candidates` that fit in one, each with its dedup
/// item (unless `kept`), its announcement's copy item and its versions; what each item deletes; and how many messages it
/// deletes. A message whose versions alone overflow a transaction is deleted over several
/// steps: its oldest versions first (deleting no message), then the message with the rest.
fn plan(
    store: &DynamoStore,
    conversation: &ConversationId,
    candidates: &[Doomed],
    versions: &BTreeMap<Timestamp, Vec<String>>,
    kept: &HashSet<(UserId, ClientMessageId)>,
) -> Result<(Vec<TransactWriteItem>, Vec<Action>, usize), StoreError> {
    let partition = conversation_partition(conversation);
    let mut items = Vec::new();
    let mut actions = Vec::new();
    let mut deleted = 0;
    for message in candidates {
        let dedup = message
            .client_id
            .as_ref()
            .filter(|id| !kept.contains(&(message.author.clone(), (*id).clone())));
        let its_versions = versions
            .get(&message.timestamp)
            .map_or(&[][..], Vec::as_slice);
        let cost = 1
            + usize::from(dedup.is_some())
            + usize::from(message.announcement.is_some())
            + its_versions.len();
        if items.len() + cost > MAX_ACTIONS {
            if deleted == 0 {
                // Too many versions for one transaction with their message.
                for sk in its_versions.iter().take(MAX_ACTIONS) {
                    items.push(delete_version(store, &partition, sk)?);
                    actions.push(Action::Version);
                }
            }
            break;
        }
        items.push(delete_message(store, conversation, message.timestamp)?);
        actions.push(Action::Message);
        if let Some(client_id) = dedup {
            items.push(delete_dedup(store, conversation, message, client_id)?);
            actions.push(Action::Dedup(message.author.clone(), client_id.clone()));
        }
        if let Some(announcement) = message.announcement {
            items.push(delete_copy(store, conversation, message, announcement)?);
            actions.push(Action::Copy);
        }
        for sk in its_versions {
            items.push(delete_version(store, &partition, sk)?);
            actions.push(Action::Version);
        }
        deleted += 1;
    }
    Ok((items, actions, deleted))
}

/// The Delete of the message at `timestamp`, on condition that it is there.
fn delete_message(
    store: &DynamoStore,
    conversation: &ConversationId,
    timestamp: Timestamp,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.tables.message)
        .set_key(Some(message_key(conversation, timestamp)))
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", CONVERSATION_ID)
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// The Delete of `message`'s dedup item, on condition that it names this message or is
/// gone already.
fn delete_dedup(
    store: &DynamoStore,
    conversation: &ConversationId,
    message: &Doomed,
    client_id: &ClientMessageId,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(
            message.author.as_str(),
            cmid_sk(client_id),
        )))
        .condition_expression("attribute_not_exists(#pk) OR (#conv = :conv AND #ts = :ts)")
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_names("#conv", CONVERSATION_ID)
        .expression_attribute_names("#ts", TIMESTAMP)
        .expression_attribute_values(":conv", s(conversation.to_string()))
        .expression_attribute_values(":ts", s(message.timestamp.to_string()))
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// The Delete of the author's item recording `message` as announcement `announcement`'s
/// copy in the conversation: one copy per announcement and conversation, so it names this
/// message, and no condition is needed.
fn delete_copy(
    store: &DynamoStore,
    conversation: &ConversationId,
    message: &Doomed,
    announcement: MessageId,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(
            message.author.as_str(),
            copy_sk(announcement, conversation),
        )))
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// The Delete of a version item (versions never change, so no condition).
fn delete_version(
    store: &DynamoStore,
    partition: &str,
    sk: &str,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(partition, sk)))
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// The last step, once no message at or before `up_to` is left: the pause, any version
/// left at or before `up_to`, then each summary whose last message is at or before it.
async fn finish(
    store: &DynamoStore,
    conversation: &ConversationId,
    up_to: Timestamp,
) -> Result<(), StoreError> {
    let partition = conversation_partition(conversation);
    let mut doomed = version_keys(store, conversation, VERSION_PREFIX.to_owned(), up_to).await?;
    doomed.push(PAUSE.to_owned());
    for sk in doomed {
        store
            .client
            .delete_item()
            .table_name(&store.tables.user_info)
            .set_key(Some(user_info_key(partition.as_str(), sk)))
            .send()
            .await
            .map_err(|error| classify("DeleteItem conversation item", error))?;
    }
    for owner in [conversation.member(), conversation.teacher()] {
        let deleted = store
            .client
            .delete_item()
            .table_name(&store.tables.user_info)
            .set_key(Some(user_info_key(owner.as_str(), conv_sk(conversation))))
            .condition_expression("#at <= :up_to")
            .expression_attribute_names("#at", LAST_MESSAGE_AT)
            .expression_attribute_values(":up_to", s(up_to.to_string()))
            .send()
            .await;
        match deleted {
            Ok(_) => {}
            // A newer message keeps the summary (or there is none).
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err(),
                    DeleteItemError::ConditionalCheckFailedException(_)
                ) => {}
            Err(error) => return Err(classify("DeleteItem conversation summary", error)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::version_sk;

    #[test]
    fn a_version_names_its_message() {
        let message = Timestamp::parse("2026-11-24T14:01:02.123456Z").unwrap();
        let written = Timestamp::parse("2026-11-24T14:05:00.000001Z").unwrap();
        assert_eq!(
            message_of_version(&version_sk(message, written)).unwrap(),
            message
        );
        assert!(message_of_version("pause").is_err());
    }

    #[test]
    fn the_range_of_versions_ends_after_the_last_messages_own() {
        let last = Timestamp::parse("2026-11-24T14:01:02.123456Z").unwrap();
        let end = format!("{VERSION_PREFIX}{last}$");
        let later = last.next();
        let written = Timestamp::parse("9999-12-31T23:59:59.999999Z").unwrap();
        assert!(version_sk(last, written) < end);
        assert!(version_sk(later, Timestamp::MIN) > end);
        assert!(versions_prefix(last) < end);
    }
}
