//! `MemoryStore`: the reference [`Store`], in plain data structures behind a mutex.
//!
//! It keeps everything a durable store keeps — users, links, messages, each participant's
//! conversation summary (newest message, read marker, unread count) and the audit log —
//! and answers exactly as the SQLite store does: the same orders, the same paging, the
//! same idempotency by clientMessageId, the same read-marker rules. It passes the
//! conformance suite (`crates/store-conformance/tests/memory`).
//!
//! It exists so that the core's own unit tests (`ChatService`'s rules) and examples run
//! against a real `Store` without SQLite or an emulator, in microseconds. Nothing is
//! persisted: it is for tests and examples, never a deployment.
//!
//! Every method does all its work under one lock, without awaiting, so each is atomic,
//! and a call takes its place in the store's order on its first poll (what
//! [`Store::append_if_linked`] asks of pipelined sends).

mod announcements;
mod family;
mod messages;
mod moderation;
mod push;
mod roster;
mod state;

use crate::conversation::ConversationId;
use crate::ids::UserId;
use crate::message::{Message, NewMessage};
use crate::store::{
    Announced, Appended, AuditEntry, Class, Contact, Deletion, FamilyLink, GuardianLink, Hold,
    HoldTarget, Link, MarkedRead, MessagePage, MessageVersion, NewAnnouncement, NotifyPrefs,
    PageRequest, Pause, Pending, PushSubscription, Report, ReportId, ReportState, ReportStep,
    Revision, RosterChanges, RosterState, SchoolSettings, Side, SourcedId, Store, StoreError,
    UserPatch,
};
use crate::time::Timestamp;
use crate::user::{Role, User, UserRecord};
use async_trait::async_trait;
use state::State;
use std::sync::{Mutex, MutexGuard};

/// The reference [`Store`], held in memory: for tests and examples (see the module docs).
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// Everything stored. One lock: every method is one critical section.
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state, even after a panic elsewhere: no method leaves it half-changed, since
    /// each checks everything before it writes.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn get_user(&self, id: &UserId) -> Result<Option<UserRecord>, StoreError> {
        Ok(self.state().users.get(id).cloned())
    }

    async fn create_user(&self, record: &UserRecord) -> Result<(), StoreError> {
        self.state().create_user(record)
    }

    async fn update_user(
        &self,
        id: &UserId,
        patch: &UserPatch,
    ) -> Result<Option<User>, StoreError> {
        Ok(self.state().update_user(id, patch))
    }

    async fn list_users(
        &self,
        role: Option<Role>,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        Ok(self.state().list_users(role, after, limit))
    }

    async fn add_link(&self, link: &Link) -> Result<(), StoreError> {
        self.state().add_link(link)
    }

    async fn remove_link(&self, link: &Link) -> Result<bool, StoreError> {
        let mut state = self.state();
        state.roster.links.remove(link);
        state.roster.by_hand.remove(link);
        Ok(state.links.remove(link))
    }

    async fn is_linked(&self, link: &Link) -> Result<bool, StoreError> {
        Ok(self.state().links.contains(link))
    }

    async fn list_links(&self, user: Option<&UserId>) -> Result<Vec<Link>, StoreError> {
        Ok(self.state().list_links(user))
    }

    async fn linked_contacts(&self, user: &UserId, side: Side) -> Result<Vec<Contact>, StoreError> {
        Ok(self.state().linked_contacts(user, side))
    }

    async fn active_conversations(&self, user: &UserId) -> Result<Vec<Contact>, StoreError> {
        Ok(self.state().active_conversations(user))
    }

    async fn conversations_since(
        &self,
        user: &UserId,
        since: Timestamp,
    ) -> Result<Vec<ConversationId>, StoreError> {
        Ok(self.state().conversations_since(user, since))
    }

    async fn has_messages(&self, conversation: &ConversationId) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .messages
            .get(conversation)
            .is_some_and(|messages| !messages.is_empty()))
    }

    async fn append_if_linked(&self, message: &NewMessage) -> Result<Option<Appended>, StoreError> {
        let mut state = self.state();
        let conversation = &message.conversation_id;
        let linked = match &message.via {
            Some(child) => state.family_holds(conversation.member(), conversation.teacher(), child),
            None => state.links.contains(&Link::of(conversation)),
        };
        let paused = message.author == *conversation.member()
            && state.moderation.pauses.contains_key(conversation);
        if !linked || paused {
            return Ok(None);
        }
        Ok(Some(state.append(message)))
    }

    async fn read_messages(
        &self,
        conversation: &ConversationId,
        page: &PageRequest,
    ) -> Result<MessagePage, StoreError> {
        Ok(self.state().read(conversation, page))
    }

    async fn read_marker(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.state().read_marker(user, conversation))
    }

    async fn unread_count(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<u64, StoreError> {
        Ok(self.state().unread_count(user, conversation))
    }

    async fn mark_read(
        &self,
        user: &UserId,
        conversation: &ConversationId,
        up_to: Timestamp,
    ) -> Result<Option<MarkedRead>, StoreError> {
        Ok(self.state().mark_read(user, conversation, up_to))
    }

    async fn roster_state(&self) -> Result<RosterState, StoreError> {
        Ok(self.state().roster_state())
    }

    async fn apply_roster(&self, changes: &RosterChanges) -> Result<(), StoreError> {
        self.state().apply_roster(changes)
    }

    async fn class(&self, id: &SourcedId) -> Result<Option<Class>, StoreError> {
        Ok(self.state().class(id))
    }

    async fn classes(&self) -> Result<Vec<Class>, StoreError> {
        Ok(self.state().roster.classes.values().cloned().collect())
    }

    async fn classes_of(&self, user: &UserId) -> Result<Vec<Class>, StoreError> {
        Ok(self.state().classes_of(user))
    }

    async fn append_announcement(
        &self,
        announcement: &NewAnnouncement,
    ) -> Result<Announced, StoreError> {
        Ok(self.state().append_announcement(announcement))
    }

    async fn add_guardian(&self, link: &GuardianLink) -> Result<(), StoreError> {
        self.state().add_guardian(link)
    }

    async fn remove_guardian(&self, link: &GuardianLink) -> Result<bool, StoreError> {
        let mut state = self.state();
        state.roster.guardians.remove(link);
        state.roster.guardians_by_hand.remove(link);
        Ok(state.guardians.remove(link))
    }

    async fn list_guardian_links(
        &self,
        user: Option<&UserId>,
    ) -> Result<Vec<GuardianLink>, StoreError> {
        Ok(self.state().list_guardian_links(user))
    }

    async fn family_links(&self, user: &UserId) -> Result<Vec<FamilyLink>, StoreError> {
        Ok(self.state().family_links(user))
    }

    async fn family_contacts(&self, user: &UserId) -> Result<Vec<Contact>, StoreError> {
        Ok(self.state().family_contacts(user))
    }

    async fn settings(&self) -> Result<SchoolSettings, StoreError> {
        Ok(self.state().settings.clone())
    }

    async fn put_settings(&self, settings: &SchoolSettings) -> Result<(), StoreError> {
        self.state().settings = settings.clone();
        Ok(())
    }

    async fn notify_prefs(&self, user: &UserId) -> Result<NotifyPrefs, StoreError> {
        Ok(self
            .state()
            .notify_prefs
            .get(user)
            .cloned()
            .unwrap_or_default())
    }

    async fn put_notify_prefs(&self, user: &UserId, prefs: &NotifyPrefs) -> Result<(), StoreError> {
        self.state()
            .notify_prefs
            .insert(user.clone(), prefs.clone());
        Ok(())
    }

    async fn push_subscriptions(&self, user: &UserId) -> Result<Vec<PushSubscription>, StoreError> {
        Ok(self.state().push_subscriptions(user))
    }

    async fn put_push_subscription(
        &self,
        user: &UserId,
        subscription: &PushSubscription,
    ) -> Result<(), StoreError> {
        self.state().put_push_subscription(user, subscription);
        Ok(())
    }

    async fn remove_push_subscription(
        &self,
        user: &UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        let theirs = state
            .push
            .get(endpoint)
            .is_some_and(|(owner, _)| owner == user);
        if theirs {
            state.push.remove(endpoint);
        }
        Ok(theirs)
    }

    async fn put_pending(&self, pending: &Pending) -> Result<(), StoreError> {
        self.state().put_pending(pending);
        Ok(())
    }

    async fn due_pending(&self, now: Timestamp, limit: usize) -> Result<Vec<Pending>, StoreError> {
        Ok(self.state().due_pending(now, limit))
    }

    async fn take_pending(&self, pending: &Pending) -> Result<bool, StoreError> {
        Ok(self.state().take_pending(pending))
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(self.state().try_lease(name, holder, now, until))
    }

    async fn message(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Option<Message>, StoreError> {
        Ok(self.message_at(conversation, timestamp))
    }

    async fn revise_message(&self, revision: &Revision) -> Result<Option<Message>, StoreError> {
        self.revise(revision)
    }

    async fn message_versions(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Vec<MessageVersion>, StoreError> {
        Ok(self.versions(conversation, timestamp))
    }

    async fn pause(&self, conversation: &ConversationId) -> Result<Option<Pause>, StoreError> {
        Ok(self.pause_of(conversation))
    }

    async fn set_pause(
        &self,
        conversation: &ConversationId,
        expected: Option<Timestamp>,
        pause: Option<&Pause>,
    ) -> Result<bool, StoreError> {
        Ok(self.change_pause(conversation, expected, pause))
    }

    async fn put_report(&self, report: &Report) -> Result<Report, StoreError> {
        Ok(self.file_report(report))
    }

    async fn report(&self, id: ReportId) -> Result<Option<Report>, StoreError> {
        Ok(self.report_by_id(id))
    }

    async fn list_reports(
        &self,
        state: Option<ReportState>,
        before: Option<ReportId>,
        limit: usize,
    ) -> Result<Vec<Report>, StoreError> {
        Ok(self.reports(state, before, limit))
    }

    async fn step_report(
        &self,
        id: ReportId,
        from: ReportState,
        step: &ReportStep,
    ) -> Result<Option<Report>, StoreError> {
        self.move_report(id, from, step)
    }

    async fn holds(&self) -> Result<Vec<Hold>, StoreError> {
        Ok(self.all_holds())
    }

    async fn put_hold(&self, hold: &Hold) -> Result<bool, StoreError> {
        Ok(self.add_hold(hold))
    }

    async fn remove_hold(&self, target: &HoldTarget) -> Result<bool, StoreError> {
        Ok(self.lift_hold(target))
    }

    async fn delete_conversation(
        &self,
        conversation: &ConversationId,
        up_to: Timestamp,
        batch: usize,
    ) -> Result<Deletion, StoreError> {
        Ok(self.retire(conversation, up_to, batch))
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.state().append_audit(entry)
    }

    async fn list_audit(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self.state().list_audit(before, limit))
    }
}
