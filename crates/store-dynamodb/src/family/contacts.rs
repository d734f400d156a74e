//! The family contact list: a guardian's line for each teacher of their children, a
//! teacher's line for each guardian of their students, with the children who connect
//! them.
//!
//! One Query of the user's `via#` items gives every peer and child; then, at once, one
//! BatchGetItem of the user's summaries of exactly those conversations (a teacher's other
//! conversations are never read) and one of the peers' and children's profiles.

use crate::DynamoStore;
use crate::contacts::{contact, sort_by_peer};
use crate::item::{Item, conv_sk, conversation_of_summary, user_info_key};
use crate::ops;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use classchat_core::store::{Contact, StoreError};
use classchat_core::{ConversationId, User, UserId};
use std::collections::{BTreeMap, HashMap};

pub(crate) async fn family_contacts(
    store: &DynamoStore,
    user: &UserId,
) -> Result<Vec<Contact>, StoreError> {
    let links = super::family_links(store, user).await?;
    // Each peer with their conversation and the children connecting them.
    let mut lines: BTreeMap<&UserId, (ConversationId, Vec<&UserId>)> = BTreeMap::new();
    for link in &links {
        let Some(peer) = link.peer_of(user) else {
            continue;
        };
        lines
            .entry(peer)
            .or_insert_with(|| (link.conversation(), Vec::new()))
            .1
            .push(&link.student);
    }
    // Collected first: a lazy iterator's closure held across the awaits would make the
    // future fail the `Send` the `Store` trait needs.
    let mut people: Vec<&UserId> = Vec::with_capacity(links.len() * 2);
    for (peer, (_, children)) in &lines {
        people.push(peer);
        people.extend(children.iter().copied());
    }
    let summary_keys = lines
        .values()
        .map(|(conversation, _)| user_info_key(user.as_str(), conv_sk(conversation)))
        .collect();
    let (profiles, summaries) = tokio::join!(
        ops::users(&store.client, &store.tables, people),
        ops::batch_get(
            &store.client,
            &store.tables.user_info,
            summary_keys,
            KeysAndAttributes::builder(),
        ),
    );
    let profiles = profiles?;
    let summaries: HashMap<ConversationId, Item> = summaries?
        .into_iter()
        .map(|item| Ok((conversation_of_summary(&item)?, item)))
        .collect::<Result<_, StoreError>>()?;
    let mut contacts = Vec::with_capacity(lines.len());
    for (peer, (conversation, children)) in lines {
        // Someone who does not exist (any more) is left out, and so is a line left
        // without a child who does.
        let Some(profile) = profiles.get(peer) else {
            continue;
        };
        let mut family: Vec<User> = children
            .into_iter()
            .filter_map(|child| profiles.get(child).cloned())
            .collect();
        if family.is_empty() {
            continue;
        }
        family.sort_by(|a, b| {
            (a.display_name.as_str(), &a.id).cmp(&(b.display_name.as_str(), &b.id))
        });
        let summary = summaries.get(&conversation);
        let mut line = contact(profile.clone(), conversation, summary)?;
        line.family = family;
        contacts.push(line);
    }
    sort_by_peer(&mut contacts);
    Ok(contacts)
}
