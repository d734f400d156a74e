//! What a [`MemoryStore`](super::MemoryStore) holds, and the rules for users, links,
//! contact lists and the audit log (messages and summaries are in `messages`).

use crate::conversation::ConversationId;
use crate::ids::{ClientMessageId, UserId};
use crate::message::Message;
use crate::store::{AuditEntry, Contact, Link, Side, StoreError, UserPatch};
use crate::time::Timestamp;
use crate::user::{Role, User, UserRecord};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Everything a memory store holds. Maps are ordered where the store's answers are, so
/// listings come out in the order the contract states without sorting.
#[derive(Debug, Default)]
pub(super) struct State {
    /// Every user by id (userId order is byte order, as in SQLite).
    pub(super) users: BTreeMap<UserId, UserRecord>,
    /// Every link, in (teacher, student) order.
    pub(super) links: BTreeSet<Link>,
    /// Each conversation's messages by timestamp.
    pub(super) messages: BTreeMap<ConversationId, BTreeMap<Timestamp, Message>>,
    /// Where each (author, clientMessageId) was stored: a retry finds its message here.
    pub(super) client_ids: HashMap<(UserId, ClientMessageId), (ConversationId, Timestamp)>,
    /// Each participant's view of each conversation with at least one message.
    pub(super) summaries: BTreeMap<(UserId, ConversationId), Summary>,
    /// The audit log by entry id (a ULID, so oldest first).
    pub(super) audit: BTreeMap<String, AuditEntry>,
    /// What roster imports keep beside the users and links.
    pub(super) roster: super::roster::RosterTables,
    /// Every guardian link, in (guardian, student) order.
    pub(super) guardians: BTreeSet<crate::store::GuardianLink>,
    /// The school's settings.
    pub(super) settings: crate::settings::SchoolSettings,
    /// Notification preferences of those who set any.
    pub(super) notify_prefs: HashMap<UserId, crate::notify::NotifyPrefs>,
    /// Push subscriptions by endpoint, with their user.
    pub(super) push: BTreeMap<String, (UserId, crate::notify::PushSubscription)>,
    /// Waiting notifications by user and kind.
    pub(super) pending: BTreeMap<(UserId, crate::notify::PendingKind), crate::notify::Pending>,
    /// Background-job leases by name.
    pub(super) leases: HashMap<String, crate::notify::Lease>,
    /// Each (author, clientMessageId) of an announcement: its id and class.
    pub(super) announcements:
        HashMap<(UserId, ClientMessageId), (crate::ids::MessageId, crate::roster::SourcedId)>,
    /// Safeguarding: versions, pauses and reports.
    pub(super) moderation: super::moderation::ModerationTables,
}

/// One participant's view of a conversation: the contact-list line without the peer.
#[derive(Debug, Clone)]
pub(super) struct Summary {
    /// The newest message.
    pub(super) last: Message,
    /// Everything up to here is read; [`Timestamp::MIN`] before the first read.
    pub(super) read: Timestamp,
    /// Messages from the peer after `read`.
    pub(super) unread: u64,
}

impl State {
    pub(super) fn create_user(&mut self, record: &UserRecord) -> Result<(), StoreError> {
        if self.users.contains_key(&record.user.id) {
            return Err(StoreError::Conflict(format!(
                "user {} exists already",
                record.user.id
            )));
        }
        self.users.insert(record.user.id.clone(), record.clone());
        Ok(())
    }

    pub(super) fn update_user(&mut self, id: &UserId, patch: &UserPatch) -> Option<User> {
        let record = self.users.get_mut(id)?;
        if let Some(name) = &patch.display_name {
            record.user.display_name = name.clone();
        }
        if let Some(role) = patch.role {
            record.user.role = role;
        }
        if let Some(hash) = &patch.password_hash {
            record.password_hash = hash.clone();
        }
        if let Some(disabled) = patch.disabled {
            record.user.disabled = disabled;
        }
        if patch.revoke_tokens {
            record.token_version = record.token_version.saturating_add(1);
        }
        Some(record.user.clone())
    }

    pub(super) fn list_users(
        &self,
        role: Option<Role>,
        after: Option<&UserId>,
        limit: usize,
    ) -> Vec<User> {
        let after = after.map_or("", UserId::as_str);
        self.users
            .values()
            .map(|record| &record.user)
            .filter(|user| user.id.as_str() > after)
            .filter(|user| role.is_none_or(|role| user.role == role))
            .take(limit)
            .cloned()
            .collect()
    }

    pub(super) fn add_link(&mut self, link: &Link) -> Result<(), StoreError> {
        if self.links.insert(link.clone()) {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!(
                "{} and {} are already linked",
                link.teacher, link.student
            )))
        }
    }

    pub(super) fn list_links(&self, user: Option<&UserId>) -> Vec<Link> {
        self.links
            .iter()
            .filter(|link| user.is_none_or(|user| &link.teacher == user || &link.student == user))
            .cloned()
            .collect()
    }

    /// The contact-list line of `user` for `peer`, or `None` when the peer does not exist
    /// (a contact list joins links and summaries with the peers' profiles).
    pub(super) fn contact(
        &self,
        user: &UserId,
        peer: &UserId,
        conversation: ConversationId,
    ) -> Option<Contact> {
        let peer = self.users.get(peer)?.user.clone();
        let summary = self.summaries.get(&(user.clone(), conversation.clone()));
        Some(Contact {
            peer,
            last_message: summary.map(|summary| summary.last.clone()),
            unread_count: summary.map_or(0, |summary| summary.unread),
            conversation_id: conversation,
            family: Vec::new(),
        })
    }

    pub(super) fn linked_contacts(&self, user: &UserId, side: Side) -> Vec<Contact> {
        let mut contacts: Vec<Contact> = self
            .links
            .iter()
            .filter_map(|link| link.peer_on(user, side))
            .filter_map(|peer| self.contact(user, peer, side.conversation(user, peer)))
            .collect();
        contacts.sort_by(|a, b| {
            (a.peer.display_name.as_str(), &a.peer.id)
                .cmp(&(b.peer.display_name.as_str(), &b.peer.id))
        });
        contacts
    }

    /// The summaries of `user`, with their conversations.
    fn summaries_of<'a>(
        &'a self,
        user: &'a UserId,
    ) -> impl Iterator<Item = (&'a ConversationId, &'a Summary)> + 'a {
        self.summaries
            .iter()
            .filter(move |((owner, _), _)| owner == user)
            .map(|((_, conversation), summary)| (conversation, summary))
    }

    pub(super) fn active_conversations(&self, user: &UserId) -> Vec<Contact> {
        let mut active: Vec<(Timestamp, Contact)> = self
            .summaries_of(user)
            .filter_map(|(conversation, summary)| {
                let peer = conversation.peer_of(user);
                let contact = self.contact(user, peer, conversation.clone())?;
                Some((summary.last.timestamp, contact))
            })
            .collect();
        // Newest activity first; equal instants in conversation order, so the answer is
        // the same every time.
        active.sort_by(|(a_at, a), (b_at, b)| {
            b_at.cmp(a_at)
                .then_with(|| a.conversation_id.cmp(&b.conversation_id))
        });
        active.into_iter().map(|(_, contact)| contact).collect()
    }

    pub(super) fn conversations_since(
        &self,
        user: &UserId,
        since: Timestamp,
    ) -> Vec<ConversationId> {
        self.summaries_of(user)
            .filter(|(_, summary)| summary.last.timestamp > since)
            .map(|(conversation, _)| conversation.clone())
            .collect()
    }

    pub(super) fn append_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        if self.audit.contains_key(&entry.id) {
            return Err(StoreError::Conflict(format!(
                "audit entry {} exists already",
                entry.id
            )));
        }
        self.audit.insert(entry.id.clone(), entry.clone());
        Ok(())
    }

    pub(super) fn list_audit(&self, before: Option<&str>, limit: usize) -> Vec<AuditEntry> {
        self.audit
            .values()
            .rev()
            .filter(|entry| before.is_none_or(|before| entry.id.as_str() < before))
            .take(limit)
            .cloned()
            .collect()
    }
}
