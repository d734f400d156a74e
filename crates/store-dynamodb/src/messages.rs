//! Appending a message: one TransactWriteItems that puts the message, the author's
//! clientMessageId dedup item (when there is one) and both participants' conversation
//! summaries — all or nothing — with a condition check that the two may talk: the
//! teacher's `link#` item naming the student or, in a guardian's conversation with a
//! teacher, the guardian's `via#<teacherId>#<childId>` item, which exists exactly while
//! the child is the guardian's and linked to the teacher (see `family`), so one item
//! proves both links and a send never slips through either being removed. A message by
//! the conversation's member (its student or guardian) also checks that the conversation
//! has no pause item (see `pauses`), so a pause set at the same moment is never slipped
//! past either.
//!
//! # Why it is correct when many nodes write at once
//! - The message Put is conditional on its key not existing, so two writers can never
//!   overwrite each other's message at the same timestamp.
//! - Each summary Update is conditional on `lastMessageAt < :ts`. Together with the
//!   message, that makes commits per conversation happen in timestamp order: a writer that
//!   lost a race learns the new newest timestamp, re-reads it and tries again one
//!   microsecond later. So timestamps are unique, strictly increasing in commit order, and
//!   a summary never moves backwards.
//! - The dedup Put is conditional on not existing: of two retries of the same
//!   `(author, clientMessageId)` racing on different nodes, exactly one commits; the other
//!   is cancelled and returns the stored message.
//!
//! Within one process, appends to one conversation also queue on a striped lock that
//! remembers the newest timestamp committed, so the common case (one node, many senders)
//! is a single request per message and never loses a race; the conditions above are what
//! make it correct across nodes. Since the summaries' `lastMessageAt` always equals the
//! conversation's newest timestamp, their condition alone tells whether a proposed
//! timestamp is free — nothing has to be read before writing.

use crate::DynamoStore;
use crate::error::build_failed;
use crate::item::{
    CMID_PREFIX, CONVERSATION_ID, Item, LAST_AUTHOR, LAST_CLIENT_MESSAGE_ID, LAST_EDITED_AT,
    LAST_MESSAGE_AT, LAST_MESSAGE_ID, LAST_MESSAGE_PREVIEW, LAST_READ_AT, LAST_REMOVED_AT, PEER_ID,
    TIMESTAMP, UNREAD_COUNT, USER_ID, cmid_sk, conv_sk, get_s, get_timestamp, link_sk,
    message_from_item, message_item, message_key, n, s, user_info_key, via_sk,
};
use crate::ops::{self, Transacted, transact};
use crate::pages::newest;
use crate::pauses;
use crate::tables::TTL_ATTRIBUTE;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
use classchat_core::message::NewMessage;
use classchat_core::store::{Appended, Link, StoreError};
use classchat_core::{ClientMessageId, ConversationId, Message, Timestamp, UserId};
use std::hash::{DefaultHasher, Hash, Hasher};

/// How long a clientMessageId is remembered on DynamoDB: a retry with it within this time
/// returns the stored message instead of storing a second one (30 days).
pub(crate) const CLIENT_ID_RETENTION_SECS: i64 = 30 * 24 * 3600;
/// Attempts before an append gives up under contention (each lost race is one attempt).
pub(crate) const APPEND_ATTEMPTS: u32 = 200;
/// Number of in-process lock stripes appends queue on.
pub(crate) const STRIPES: usize = 64;

/// Positions of the items in the append transaction (an announcement's copies are
/// appended with the same items, see `announcements`).
pub(crate) const MESSAGE: usize = 0;
pub(crate) const AUTHOR_SUMMARY: usize = 1;
pub(crate) const PEER_SUMMARY: usize = 2;
const DEDUP: usize = 3;

/// In-process queues for appends, one per stripe of conversations. Each remembers the
/// newest timestamp this process committed on the stripe, so a busy conversation's next
/// append can propose a free timestamp without reading first.
pub(crate) struct AppendLocks(Vec<tokio::sync::Mutex<Option<Newest>>>);

/// The newest message this process committed in a conversation.
pub(crate) struct Newest {
    conversation: ConversationId,
    at: Timestamp,
}

impl AppendLocks {
    pub(crate) fn new() -> Self {
        Self(
            (0..STRIPES)
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
        )
    }

    fn stripe(&self, conversation: &ConversationId) -> &tokio::sync::Mutex<Option<Newest>> {
        let mut hasher = DefaultHasher::new();
        conversation.hash(&mut hasher);
        let index = usize::try_from(hasher.finish() % STRIPES as u64).unwrap_or(0);
        &self.0[index]
    }
}

/// Appends `new`, only while the conversation's link item exists — in a family
/// conversation, the guardian's family-link item through `new.via` — and, when its author
/// is the conversation's member, while the conversation has no pause item (`None`
/// otherwise, nothing written). The common case is one request: the transaction,
/// at the proposed timestamp (or just after the newest this process knows of), with the
/// link as a condition check in it. Only when a condition fails does it read — the dedup
/// item's message, or the conversation's newest timestamp to retry just after it.
pub(crate) async fn append_checked(
    store: &DynamoStore,
    new: &NewMessage,
) -> Result<Option<Appended>, StoreError> {
    let conversation = &new.conversation_id;
    let mut known = store.append_locks.stripe(conversation).lock().await;
    let mut newest_hint = known
        .as_ref()
        .filter(|newest| newest.conversation == *conversation)
        .map(|newest| newest.at);
    for attempt in 0..APPEND_ATTEMPTS {
        let message = new.stored_after(newest_hint);
        let timestamp = message.timestamp;
        let (mut items, link_check) = transaction(store, &message, new.via.as_ref())?;
        // The member (student or guardian) writes only while the conversation is not
        // paused, checked in the same write; the teacher's sends pay nothing for it.
        let pause_check = match new.author == *conversation.member() {
            true => {
                items.push(pauses::unpaused_check(store, conversation)?);
                Some(items.len() - 1)
            }
            false => None,
        };
        let outcome = transact(&store.client, items, "TransactWriteItems append message").await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                // It may have committed anyway: forget what we knew rather than guess.
                *known = None;
                return Err(error);
            }
        };
        match outcome {
            Transacted::Committed => {
                *known = Some(Newest {
                    conversation: conversation.clone(),
                    at: timestamp,
                });
                return Ok(Some(Appended::Created(message)));
            }
            outcome
                if outcome.condition_failed(link_check)
                    || pause_check.is_some_and(|index| outcome.condition_failed(index)) =>
            {
                return Ok(None);
            }
            outcome if outcome.condition_failed(DEDUP) => {
                // The author already stored this clientMessageId (a retry), maybe on
                // another node just now: answer with that message.
                let client_id = new.client_message_id.as_ref().ok_or_else(|| {
                    StoreError::Internal("dedup condition failed without a client id".into())
                })?;
                return match existing(store, &new.author, client_id).await? {
                    Some(existing) => Ok(Some(Appended::Existing(existing))),
                    None => Err(StoreError::Internal(
                        "dedup item vanished after blocking an append".into(),
                    )),
                };
            }
            outcome
                if outcome.condition_failed(MESSAGE)
                    || outcome.condition_failed(AUTHOR_SUMMARY)
                    || outcome.condition_failed(PEER_SUMMARY) =>
            {
                // A message at or after this timestamp exists (another node's, or a
                // proposal from the past): go right after the newest one.
                tracing::debug!(%conversation, %timestamp, "append lost a race; retrying later");
                newest_hint = newest(store, conversation).await?;
            }
            outcome if outcome.conflicted() => {
                tokio::time::sleep(ops::backoff(attempt)).await;
                newest_hint = newest(store, conversation).await?;
            }
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "append cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "conversation {conversation} is too busy: no free timestamp after {APPEND_ATTEMPTS} attempts"
    )))
}

/// The message `author` stored with `client_id`, if any.
async fn existing(
    store: &DynamoStore,
    author: &UserId,
    client_id: &ClientMessageId,
) -> Result<Option<Message>, StoreError> {
    let dedup = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(author.as_str(), cmid_sk(client_id))))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| crate::error::classify("GetItem dedup", error))?;
    let Some(dedup) = dedup.item else {
        return Ok(None);
    };
    let conversation = ConversationId::parse_canonical(get_s(&dedup, CONVERSATION_ID)?)
        .map_err(|_| crate::error::corrupt(CMID_PREFIX))?;
    let timestamp = get_timestamp(&dedup, TIMESTAMP)?;
    pointed_at(store, &conversation, timestamp, "dedup item")
        .await
        .map(Some)
}

/// The message at `timestamp` in `conversation` that an item of `kind` (a dedup item, an
/// announcement's copy item) points at. Both were written by one transaction, so the
/// message is there: its absence is corruption.
pub(crate) async fn pointed_at(
    store: &DynamoStore,
    conversation: &ConversationId,
    timestamp: Timestamp,
    kind: &'static str,
) -> Result<Message, StoreError> {
    let message = store
        .client
        .get_item()
        .table_name(&store.tables.message)
        .set_key(Some(message_key(conversation, timestamp)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| crate::error::classify("GetItem message", error))?;
    match message.item {
        Some(item) => message_from_item(&item),
        None => Err(crate::error::corrupt(&format!(
            "{kind} without its message"
        ))),
    }
}

/// The items of the append transaction, at the positions of the constants above, and the
/// position of the link's condition check (last): what appending `message` writes, for a
/// single message or for one copy of an announcement. `via` is the child of a family
/// conversation ([`NewMessage::via`]), whose family link is checked instead of a link.
pub(crate) fn transaction(
    store: &DynamoStore,
    message: &Message,
    via: Option<&UserId>,
) -> Result<(Vec<TransactWriteItem>, usize), StoreError> {
    let put_message = Put::builder()
        .table_name(&store.tables.message)
        .set_item(Some(message_item(message)))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", CONVERSATION_ID)
        .build()
        .map_err(build_failed)?;
    let peer = message.conversation_id.peer_of(&message.author);
    let mut items = vec![
        TransactWriteItem::builder().put(put_message).build(),
        summary_update(store, message, &message.author, peer, 0)?,
        summary_update(store, message, peer, &message.author, 1)?,
    ];
    if let Some(client_id) = &message.client_message_id {
        let mut dedup: Item = user_info_key(message.author.as_str(), cmid_sk(client_id));
        dedup.insert(
            CONVERSATION_ID.to_owned(),
            s(message.conversation_id.to_string()),
        );
        dedup.insert(TIMESTAMP.to_owned(), s(message.timestamp.to_string()));
        // Retries come within minutes; the item goes after CLIENT_ID_RETENTION (the
        // message itself stays), so dedup items do not pile up for ever.
        let expires = message.timestamp.as_micros() / 1_000_000 + CLIENT_ID_RETENTION_SECS;
        dedup.insert(TTL_ATTRIBUTE.to_owned(), n(expires));
        let put_dedup = Put::builder()
            .table_name(&store.tables.user_info)
            .set_item(Some(dedup))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", USER_ID)
            .build()
            .map_err(build_failed)?;
        items.push(TransactWriteItem::builder().put(put_dedup).build());
    }
    let conversation = &message.conversation_id;
    // A family conversation's one item proving both links: the guardian's family link to
    // the teacher through the child (see `family`); otherwise the teacher's link item.
    let key = match via {
        Some(child) => user_info_key(
            conversation.member().as_str(),
            via_sk(conversation.teacher(), child),
        ),
        None => {
            let link = Link::of(conversation);
            user_info_key(link.teacher.as_str(), link_sk(&link.student))
        }
    };
    let check = ConditionCheck::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(key))
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .build()
        .map_err(build_failed)?;
    let position = items.len();
    items.push(TransactWriteItem::builder().condition_check(check).build());
    Ok((items, position))
}

/// The update of `owner`'s summary of the conversation for `message`: the last message
/// moves forward (only forward: the condition), the unread count grows by `unread`, and a
/// new summary starts with its read marker at the beginning of time.
fn summary_update(
    store: &DynamoStore,
    message: &Message,
    owner: &UserId,
    peer: &UserId,
    unread: u64,
) -> Result<TransactWriteItem, StoreError> {
    let set = "SET #peer = :peer, #at = :at, #preview = :preview, #author = :author, \
               #mid = :mid, #read = if_not_exists(#read, :min), \
               #unread = if_not_exists(#unread, :zero) + :unread";
    // A new last message is neither edited nor removed: what the summary kept of the
    // previous one's revisions goes.
    let expression = match &message.client_message_id {
        Some(_) => format!("{set}, #cmid = :cmid REMOVE #edited, #removed"),
        None => format!("{set} REMOVE #cmid, #edited, #removed"),
    };
    let mut update = Update::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(
            owner.as_str(),
            conv_sk(&message.conversation_id),
        )))
        .update_expression(expression)
        .condition_expression("attribute_not_exists(#at) OR #at < :at")
        .expression_attribute_names("#peer", PEER_ID)
        .expression_attribute_names("#at", LAST_MESSAGE_AT)
        .expression_attribute_names("#preview", LAST_MESSAGE_PREVIEW)
        .expression_attribute_names("#author", LAST_AUTHOR)
        .expression_attribute_names("#mid", LAST_MESSAGE_ID)
        .expression_attribute_names("#cmid", LAST_CLIENT_MESSAGE_ID)
        .expression_attribute_names("#read", LAST_READ_AT)
        .expression_attribute_names("#unread", UNREAD_COUNT)
        .expression_attribute_names("#edited", LAST_EDITED_AT)
        .expression_attribute_names("#removed", LAST_REMOVED_AT)
        .expression_attribute_values(":peer", s(peer.as_str()))
        .expression_attribute_values(":at", s(message.timestamp.to_string()))
        .expression_attribute_values(":preview", s(message.body.as_str()))
        .expression_attribute_values(":author", s(message.author.as_str()))
        .expression_attribute_values(":mid", s(message.message_id.to_string()))
        .expression_attribute_values(":min", s(Timestamp::MIN.to_string()))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":unread", n(unread));
    if let Some(client_id) = &message.client_message_id {
        update = update.expression_attribute_values(":cmid", s(client_id.as_str()));
    }
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(build_failed)?)
        .build())
}
