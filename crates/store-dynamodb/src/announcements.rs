//! Class announcements: a record of the teacher's clientMessageId, then one copy per
//! student conversation, each appended as `append_if_linked` appends a message.
//!
//! # Items (in UserInfo, under the author)
//! - `ann#<clientMessageId>`: `announcementId`, `classId` — the record that the author
//!   made an announcement with this clientMessageId, created conditionally, so of two
//!   attempts racing one creates it and both then use its id and class (an attempt for
//!   another class than the record's stores nothing).
//! - `annc#<announcementId>#<conversationId>`: `conversationId`, `timestamp` — one per
//!   copy, written in the copy's own transaction (see `copies`) on condition that it does
//!   not exist, so no conversation ever gets a second copy of one announcement.
//!
//! Neither expires (unlike a message's `cmid#` item): a record outliving its copy items,
//! or the other way round, would let a retry store every copy twice, and TTL deletes items
//! days late in no set order. They are small, one per copy, next to messages kept for ever.
//!
//! # Steps
//! An announcement to a class of hundreds is more than one transaction can carry, so it
//! is written in steps, each atomic: the record, then the copies a few transactions at
//! once. Every step can be repeated: the record is read back when it exists, the copies
//! made so far are read from their `annc#` items (one Query), and only conversations
//! without a copy get one. So a call that failed midway, made again with the same
//! clientMessageId, completes the announcement without duplicating any copy.

mod copies;

#[cfg(feature = "test-support")]
pub(crate) use copies::COPIES_PER_TRANSACTION;

use crate::DynamoStore;
use crate::error::{classify, corrupt};
use crate::item::{
    ANNOUNCEMENT_ID, CLASS_ID, CONVERSATION_ID, TIMESTAMP, USER_ID, announcement_sk, copies_prefix,
    get_s, get_timestamp, s, user_info_key,
};
use crate::ops;
use classchat_core::message::NewMessage;
use classchat_core::roster::SourcedId;
use classchat_core::store::{Announced, NewAnnouncement, StoreError};
use classchat_core::{ConversationId, Message, MessageId, UserId};
use futures::{StreamExt, TryStreamExt};
use std::collections::HashSet;

/// Messages read at once when reading the copies made so far.
const PARALLEL_READS: usize = 16;

/// Stores `announcement` as the port says: every step, every copy.
pub(crate) async fn append(
    store: &DynamoStore,
    announcement: &NewAnnouncement,
) -> Result<Announced, StoreError> {
    append_in_part(store, announcement, usize::MAX).await
}

/// [`append`], writing at most `transactions` transactions of copies: all of them in
/// production; fewer only in tests, to leave an announcement as a failure midway would.
pub(crate) async fn append_in_part(
    store: &DynamoStore,
    announcement: &NewAnnouncement,
    transactions: usize,
) -> Result<Announced, StoreError> {
    let author = &announcement.author;
    let (id, class_id, fresh) = claim(store, announcement).await?;
    // A record just created has no copies yet (one another attempt writes meanwhile makes
    // a copy of ours fail its condition, and is read then): the common case costs no read.
    let mut existing = match fresh {
        true => Vec::new(),
        false => copies_made(store, author, id).await?,
    };
    if class_id != announcement.class_id {
        // The clientMessageId was used for another class: the service refuses this
        // attempt, so nothing of it is stored.
        return Ok(Announced {
            id,
            class_id,
            created: Vec::new(),
            existing,
        });
    }
    let covered: HashSet<&ConversationId> = existing
        .iter()
        .map(|message| &message.conversation_id)
        .collect();
    // One copy per conversation, the first given; each stamped with the recorded id (the
    // request's, or on a retry the first attempt's). A copy has no clientMessageId of its
    // own: the announcement's, recorded above, is what makes a retry idempotent.
    let mut wanted: Vec<NewMessage> = Vec::new();
    let mut seen = HashSet::new();
    for new in &announcement.messages {
        if covered.contains(&new.conversation_id) || !seen.insert(&new.conversation_id) {
            continue;
        }
        wanted.push(NewMessage {
            announcement_id: Some(id),
            client_message_id: None,
            ..new.clone()
        });
    }
    let written = copies::write(store, author, id, &wanted, transactions).await?;
    if written.raced {
        // Another attempt of the same announcement wrote some of these copies first: they
        // are not this call's, so they are reported among the existing ones.
        let created: HashSet<&ConversationId> = written
            .created
            .iter()
            .map(|message| &message.conversation_id)
            .collect();
        existing = copies_made(store, author, id).await?;
        existing.retain(|message| !created.contains(&message.conversation_id));
    }
    Ok(Announced {
        id,
        class_id,
        created: written.created,
        existing,
    })
}

/// Creates the record of the author's clientMessageId with this announcement's id and
/// class, or reads the one an earlier attempt created: the id and class to use, and
/// whether this call created the record.
async fn claim(
    store: &DynamoStore,
    announcement: &NewAnnouncement,
) -> Result<(MessageId, SourcedId, bool), StoreError> {
    let key = user_info_key(
        announcement.author.as_str(),
        announcement_sk(&announcement.client_message_id),
    );
    let mut record = key.clone();
    record.insert(ANNOUNCEMENT_ID.to_owned(), s(announcement.id.to_string()));
    record.insert(CLASS_ID.to_owned(), s(announcement.class_id.as_str()));
    let created = store
        .client
        .put_item()
        .table_name(&store.tables.user_info)
        .set_item(Some(record))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .send()
        .await;
    match created {
        Ok(_) => return Ok((announcement.id, announcement.class_id.clone(), true)),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|error| error.is_conditional_check_failed_exception()) => {}
        Err(error) => return Err(classify("PutItem announcement record", error)),
    }
    // A retry (or a Put whose answer was lost and that the SDK sent again): the record
    // is there, and records are never deleted.
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem announcement record", error))?;
    let record = output
        .item
        .ok_or_else(|| corrupt("announcement record vanished after blocking a Put"))?;
    let id =
        MessageId::parse(get_s(&record, ANNOUNCEMENT_ID)?).map_err(|_| corrupt(ANNOUNCEMENT_ID))?;
    let class_id = SourcedId::parse(get_s(&record, CLASS_ID)?).ok_or_else(|| corrupt(CLASS_ID))?;
    Ok((id, class_id, false))
}

/// Every copy of announcement `id` stored so far, in conversation order: its copy items
/// (one Query under the author), then each copy's message.
async fn copies_made(
    store: &DynamoStore,
    author: &UserId,
    id: MessageId,
) -> Result<Vec<Message>, StoreError> {
    let query = ops::user_info_prefix(
        &store.client,
        &store.tables,
        author.as_str(),
        &copies_prefix(id),
    );
    let items = ops::query(query, None, "Query announcement copies").await?;
    let mut reads = Vec::with_capacity(items.len());
    for item in &items {
        let conversation = ConversationId::parse_canonical(get_s(item, CONVERSATION_ID)?)
            .map_err(|_| corrupt(CONVERSATION_ID))?;
        let timestamp = get_timestamp(item, TIMESTAMP)?;
        reads.push(async move {
            crate::messages::pointed_at(store, &conversation, timestamp, "announcement copy item")
                .await
        });
    }
    let mut messages: Vec<Message> = futures::stream::iter(reads)
        .buffered(PARALLEL_READS)
        .try_collect()
        .await?;
    messages
        .sort_by(|a, b| (&a.conversation_id, a.timestamp).cmp(&(&b.conversation_id, b.timestamp)));
    Ok(messages)
}
