//! Writing an announcement's copies, several to a TransactWriteItems.
//!
//! Each copy is exactly what `append_if_linked` writes for a message (the items of
//! `messages::transaction`: the message on condition that its key is free, both
//! summaries on condition that they only move forward, and the link's condition check),
//! plus the copy's `annc#` item on condition that it does not exist. One transaction is
//! all or nothing, so when one copy's condition fails, the cancellation reasons (one per
//! item, in order) say which copy and why, and the transaction is built again without
//! that copy's problem:
//! - its `annc#` item exists: another attempt of the announcement stored this copy
//!   first; it is dropped here (and reported as existing);
//! - its link is gone: the copy is skipped, as `append_if_linked` would skip it;
//! - its message or a summary is at or after the timestamp: the conversation has newer
//!   messages; the copy goes right after the newest, as an append would.
//!
//! The transactions of one announcement touch disjoint items (one conversation each, one
//! `annc#` item each), so a few run at once. Copies do not queue on the in-process append
//! locks: holding many stripes at once could deadlock with other announcements, and the
//! conditions above are what make appends correct anyway — a lock's remembered newest
//! timestamp that a copy made stale only costs the next append one lost race.

use crate::DynamoStore;
use crate::item::{CONVERSATION_ID, TIMESTAMP, copy_sk, s, user_info_key};
use crate::messages::{self, APPEND_ATTEMPTS, AUTHOR_SUMMARY, MESSAGE, PEER_SUMMARY};
use crate::ops::{self, Transacted, transact};
use crate::pages::newest;
use crate::users;
use aws_sdk_dynamodb::types::TransactWriteItem;
use classchat_core::message::NewMessage;
use classchat_core::store::StoreError;
use classchat_core::{Message, MessageId, Timestamp, UserId};
use futures::{StreamExt, TryStreamExt};

/// Actions per copy: the four of an append without a clientMessageId, then the copy item.
const ACTIONS_PER_COPY: usize = 5;
/// Position of the link's condition check among a copy's actions.
const LINK: usize = 3;
/// Position of the copy item among a copy's actions.
const COPY: usize = 4;
/// Copies per transaction: as many as DynamoDB's 100 actions hold. A copy's items are at
/// most about 50 kB (a 16 kB body in the message and in both summaries), so 20 copies
/// stay well under a transaction's 4 MB.
pub(crate) const COPIES_PER_TRANSACTION: usize = 100 / ACTIONS_PER_COPY;
/// Transactions of one announcement in flight at once.
const PARALLEL: usize = 4;

/// What writing copies came to.
#[derive(Default)]
pub(super) struct Written {
    /// The copies this call stored, in the order given.
    pub(super) created: Vec<Message>,
    /// Whether another attempt stored some of the copies first.
    pub(super) raced: bool,
}

/// Writes `copies` (each stamped with announcement `id`, in distinct conversations
/// without a copy yet) in transactions of [`COPIES_PER_TRANSACTION`], at most
/// `transactions` of them, a few at once. The first failing transaction ends the write
/// with its error; those committed stay, and the next attempt finds them.
pub(super) async fn write(
    store: &DynamoStore,
    author: &UserId,
    id: MessageId,
    copies: &[NewMessage],
    transactions: usize,
) -> Result<Written, StoreError> {
    // Collected first: a lazy iterator's closure held across the awaits would make the
    // future fail the `Send` the `Store` trait needs.
    let tasks: Vec<_> = copies
        .chunks(COPIES_PER_TRANSACTION)
        .take(transactions)
        .map(|chunk| write_batch(store, author, id, chunk))
        .collect();
    let batches: Vec<Written> = futures::stream::iter(tasks)
        .buffered(PARALLEL)
        .try_collect()
        .await?;
    let mut written = Written::default();
    for batch in batches {
        written.created.extend(batch.created);
        written.raced |= batch.raced;
    }
    Ok(written)
}

/// Writes one transaction's worth of copies, building it again as the module docs say
/// until it commits or no copy is left to write.
async fn write_batch(
    store: &DynamoStore,
    author: &UserId,
    id: MessageId,
    copies: &[NewMessage],
) -> Result<Written, StoreError> {
    let operation = "TransactWriteItems announcement copies";
    let mut written = Written::default();
    // Each copy still to write, with the newest timestamp of its conversation if known.
    let mut pending: Vec<(&NewMessage, Option<Timestamp>)> =
        copies.iter().map(|copy| (copy, None)).collect();
    for attempt in 0..APPEND_ATTEMPTS {
        if pending.is_empty() {
            return Ok(written);
        }
        let messages: Vec<Message> = pending
            .iter()
            .map(|(copy, newest)| copy.stored_after(*newest))
            .collect();
        let mut items = Vec::with_capacity(messages.len() * ACTIONS_PER_COPY);
        for ((copy, _), message) in pending.iter().zip(&messages) {
            items.extend(append_items(store, message, copy.via.as_ref())?);
            items.push(copy_put(store, author, id, message)?);
        }
        let outcome = match transact(&store.client, items, operation).await? {
            Transacted::Committed => {
                written.created.extend(messages);
                return Ok(written);
            }
            outcome => outcome,
        };
        let mut understood = outcome.conflicted();
        let mut next = Vec::with_capacity(pending.len());
        for (index, (copy, known)) in pending.into_iter().enumerate() {
            let failed =
                |position: usize| outcome.condition_failed(index * ACTIONS_PER_COPY + position);
            if failed(COPY) {
                written.raced = true;
            } else if failed(LINK) {
                // Skipped, as `append_if_linked` answers `None`.
            } else if failed(MESSAGE) || failed(AUTHOR_SUMMARY) || failed(PEER_SUMMARY) {
                let conversation = &copy.conversation_id;
                tracing::debug!(%conversation, "announcement copy lost a race; retrying later");
                next.push((copy, newest(store, conversation).await?));
            } else {
                next.push((copy, known));
                continue;
            }
            understood = true;
        }
        if !understood {
            return Err(StoreError::Internal(format!(
                "announcement copies cancelled: {:?}",
                reasons(&outcome)
            )));
        }
        if outcome.conflicted() {
            tokio::time::sleep(ops::backoff(attempt)).await;
        }
        pending = next;
    }
    if pending.is_empty() {
        return Ok(written);
    }
    Err(StoreError::Unavailable(
        "announcement copies kept colliding with other writes; announce again".into(),
    ))
}

/// The append transaction's items for one copy, checked to be at the positions this
/// module counts on (a copy has no clientMessageId, so no dedup item).
fn append_items(
    store: &DynamoStore,
    message: &Message,
    via: Option<&UserId>,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let (items, link) = messages::transaction(store, message, via)?;
    if items.len() != LINK + 1 || link != LINK {
        return Err(StoreError::Internal(
            "an announcement copy's append has an unexpected shape".into(),
        ));
    }
    Ok(items)
}

/// Creates the item recording the copy of announcement `id` in the message's
/// conversation, failing its condition when there is one already.
fn copy_put(
    store: &DynamoStore,
    author: &UserId,
    id: MessageId,
    message: &Message,
) -> Result<TransactWriteItem, StoreError> {
    let mut item = user_info_key(author.as_str(), copy_sk(id, &message.conversation_id));
    item.insert(
        CONVERSATION_ID.to_owned(),
        s(message.conversation_id.to_string()),
    );
    item.insert(TIMESTAMP.to_owned(), s(message.timestamp.to_string()));
    users::put(store, item, Some("attribute_not_exists(#pk)"), &[])
}

/// The cancellation reasons, for an error message.
fn reasons(outcome: &Transacted) -> Vec<Option<String>> {
    match outcome {
        Transacted::Committed => Vec::new(),
        Transacted::Cancelled(reasons) => reasons.clone(),
    }
}
