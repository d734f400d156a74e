//! Contact lists, answered from one user's own partition of UserInfo — never a Scan.
//!
//! `linked_contacts` (get_teachers / get_students) is one Query over the user's `conv#…`
//! and `link#…` items (they sort next to each other: `conv#` < `link#`), then one
//! BatchGetItem for the peers' profiles. `active_conversations` (get_chats) is one Query
//! over `conv#…` plus the same batch, sorted newest activity first in memory: a user has
//! at most a few hundred conversations, so that is cheaper than keeping an index on
//! `lastMessageAt` up to date on every message.

use crate::DynamoStore;
use crate::item::{
    CONV_PREFIX, Item, LAST_MESSAGE_AT, LINK_PREFIX, PEER_ID, SK, UNREAD_COUNT, USER_ID,
    conversation_of_summary, get_s, get_u64, get_user_id, last_message_from_summary, s,
};
use crate::ops;
use crate::users::link_from_item;
use classchat_core::store::{Contact, Side, StoreError};
use classchat_core::{ConversationId, Timestamp, User, UserId};
use std::collections::HashMap;

/// One conversation summary as stored under its owner.
struct Summary {
    conversation: ConversationId,
    peer: UserId,
    item: Item,
}

impl Summary {
    fn parse(item: Item) -> Result<Self, StoreError> {
        Ok(Self {
            conversation: conversation_of_summary(&item)?,
            peer: get_user_id(&item, PEER_ID)?,
            item,
        })
    }
}

pub(crate) async fn linked(
    store: &DynamoStore,
    user: &UserId,
    side: Side,
) -> Result<Vec<Contact>, StoreError> {
    // `conv#` … `link#` and nothing else: '$' sorts right after '#'.
    let query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_names("#sk", SK)
        .expression_attribute_values(":pk", s(user.as_str()))
        .expression_attribute_values(":from", s(CONV_PREFIX))
        .expression_attribute_values(":to", s("link$"));
    let mut summaries = HashMap::new();
    let mut peers = Vec::new();
    for item in ops::query(query, None, "Query contacts").await? {
        let sk = get_s(&item, SK)?;
        if sk.starts_with(LINK_PREFIX) {
            let link = link_from_item(&item)?;
            // A student's peers are the teachers of their links, and the other way round.
            peers.extend(link.peer_on(user, side).cloned());
        } else if sk.starts_with(CONV_PREFIX) {
            let summary = Summary::parse(item)?;
            summaries.insert(summary.conversation.clone(), summary);
        }
    }
    let profiles = ops::users(&store.client, &store.tables, &peers).await?;
    let mut contacts = Vec::with_capacity(peers.len());
    for peer in peers {
        // A link to a user that does not exist (any more) lists nobody.
        let Some(profile) = profiles.get(&peer) else {
            continue;
        };
        let conversation = side.conversation(user, &peer);
        let summary = summaries.get(&conversation).map(|summary| &summary.item);
        contacts.push(contact(profile.clone(), conversation, summary)?);
    }
    sort_by_peer(&mut contacts);
    Ok(contacts)
}

/// The contact-list line for `peer` in `conversation`, with its state from `summary`,
/// the user's summary item of it (none before the first message); `family` left empty.
pub(crate) fn contact(
    peer: User,
    conversation: ConversationId,
    summary: Option<&Item>,
) -> Result<Contact, StoreError> {
    Ok(Contact {
        peer,
        last_message: summary
            .map(|summary| last_message_from_summary(&conversation, summary))
            .transpose()?,
        unread_count: summary
            .map(|summary| get_u64(summary, UNREAD_COUNT))
            .transpose()?
            .unwrap_or(0),
        conversation_id: conversation,
        family: Vec::new(),
    })
}

/// Sorts contact-list lines as the port lists them: peer display name, then userId.
pub(crate) fn sort_by_peer(contacts: &mut [Contact]) {
    contacts.sort_by(|a, b| {
        (a.peer.display_name.as_str(), &a.peer.id).cmp(&(b.peer.display_name.as_str(), &b.peer.id))
    });
}

pub(crate) async fn active(store: &DynamoStore, user: &UserId) -> Result<Vec<Contact>, StoreError> {
    let summaries = summaries(store, user, None).await?;
    let profiles = ops::users(
        &store.client,
        &store.tables,
        summaries.iter().map(|summary| &summary.peer),
    )
    .await?;
    let mut contacts = Vec::with_capacity(summaries.len());
    for summary in summaries {
        let Some(profile) = profiles.get(&summary.peer) else {
            continue;
        };
        contacts.push(contact(
            profile.clone(),
            summary.conversation,
            Some(&summary.item),
        )?);
    }
    // Newest activity first; the fixed-width timestamps compare as strings.
    contacts.sort_by(|a, b| {
        let at = |contact: &Contact| contact.last_message.as_ref().map(|m| m.timestamp);
        at(b).cmp(&at(a))
    });
    Ok(contacts)
}

pub(crate) async fn since(
    store: &DynamoStore,
    user: &UserId,
    since: Timestamp,
) -> Result<Vec<ConversationId>, StoreError> {
    Ok(summaries(store, user, Some(since))
        .await?
        .into_iter()
        .map(|summary| summary.conversation)
        .collect())
}

/// The user's conversation summaries, optionally only those with a message after `since`.
async fn summaries(
    store: &DynamoStore,
    user: &UserId,
    since: Option<Timestamp>,
) -> Result<Vec<Summary>, StoreError> {
    let mut query = ops::user_info_prefix(&store.client, &store.tables, user.as_str(), CONV_PREFIX);
    if let Some(since) = since {
        query = query
            .filter_expression("#at > :since")
            .expression_attribute_names("#at", LAST_MESSAGE_AT)
            .expression_attribute_values(":since", s(since.to_string()));
    }
    ops::query(query, None, "Query conversations")
        .await?
        .into_iter()
        .map(Summary::parse)
        .collect()
}
