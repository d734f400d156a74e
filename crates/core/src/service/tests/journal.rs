//! The store the service tests run on: the in-memory reference store, with a journal of
//! every call made to it (in order) and a switch that makes the audit log unavailable.
//! The journal is how a test sees that an audit entry was written *before* what it
//! records, and the switch that nothing audited happens without one.

use crate::conversation::ConversationId;
use crate::ids::UserId;
use crate::memory::MemoryStore;
use crate::message::NewMessage;
use crate::store::{
    Appended, AuditEntry, Contact, FamilyLink, GuardianLink, Link, MarkedRead, MessagePage,
    NotifyPrefs, PageRequest, Pending, PushSubscription, SchoolSettings, Side, Store, StoreError,
    UserPatch,
};
use crate::time::Timestamp;
use crate::user::{Role, User, UserRecord};
use async_trait::async_trait;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A [`MemoryStore`] that writes down each call's name.
#[derive(Default)]
pub(crate) struct Journal {
    inner: MemoryStore,
    calls: Mutex<Vec<&'static str>>,
    audit_down: AtomicBool,
}

impl Journal {
    fn note(&self, call: &'static str) {
        self.calls.lock().unwrap().push(call);
    }

    /// The calls so far, oldest first, and forgets them.
    pub(crate) fn take_calls(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    /// From now on `append_audit` fails as if the store were unreachable.
    pub(crate) fn break_audit(&self) {
        self.audit_down.store(true, Ordering::SeqCst);
    }

    /// The timestamps of a conversation's messages (its newest 200), oldest first:
    /// enough to tell that a refused request wrote nothing.
    pub(crate) async fn read_messages_of(&self, conversation: &str) -> Vec<String> {
        let conversation = ConversationId::parse_canonical(conversation).unwrap();
        let page = crate::store::PageRequest {
            before: None,
            after: None,
            limit: 200,
        };
        let page = self
            .inner
            .read_messages(&conversation, &page)
            .await
            .unwrap();
        page.messages
            .iter()
            .map(|message| message.timestamp.to_string())
            .collect()
    }

    /// The audit log, newest first.
    pub(crate) async fn audit_log(&self) -> Vec<AuditEntry> {
        self.inner.list_audit(None, 1000).await.unwrap()
    }
}

#[async_trait]
impl Store for Journal {
    async fn ping(&self) -> Result<(), StoreError> {
        self.note("ping");
        self.inner.ping().await
    }
    async fn get_user(&self, id: &UserId) -> Result<Option<UserRecord>, StoreError> {
        self.note("get_user");
        self.inner.get_user(id).await
    }
    async fn create_user(&self, record: &UserRecord) -> Result<(), StoreError> {
        self.note("create_user");
        self.inner.create_user(record).await
    }
    async fn update_user(
        &self,
        id: &UserId,
        patch: &UserPatch,
    ) -> Result<Option<User>, StoreError> {
        self.note("update_user");
        self.inner.update_user(id, patch).await
    }
    async fn list_users(
        &self,
        role: Option<Role>,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        self.note("list_users");
        self.inner.list_users(role, after, limit).await
    }
    async fn add_link(&self, link: &Link) -> Result<(), StoreError> {
        self.note("add_link");
        self.inner.add_link(link).await
    }
    async fn roster_state(&self) -> Result<crate::store::RosterState, StoreError> {
        self.note("roster_state");
        self.inner.roster_state().await
    }
    async fn class(
        &self,
        id: &crate::store::SourcedId,
    ) -> Result<Option<crate::store::Class>, StoreError> {
        self.note("class");
        self.inner.class(id).await
    }
    async fn classes(&self) -> Result<Vec<crate::store::Class>, StoreError> {
        self.note("classes");
        self.inner.classes().await
    }
    async fn classes_of(&self, user: &UserId) -> Result<Vec<crate::store::Class>, StoreError> {
        self.note("classes_of");
        self.inner.classes_of(user).await
    }
    async fn append_announcement(
        &self,
        announcement: &crate::store::NewAnnouncement,
    ) -> Result<crate::store::Announced, StoreError> {
        self.note("append_announcement");
        self.inner.append_announcement(announcement).await
    }
    async fn apply_roster(&self, changes: &crate::store::RosterChanges) -> Result<(), StoreError> {
        self.note("apply_roster");
        self.inner.apply_roster(changes).await
    }
    async fn remove_link(&self, link: &Link) -> Result<bool, StoreError> {
        self.note("remove_link");
        self.inner.remove_link(link).await
    }
    async fn is_linked(&self, link: &Link) -> Result<bool, StoreError> {
        self.note("is_linked");
        self.inner.is_linked(link).await
    }
    async fn list_links(&self, user: Option<&UserId>) -> Result<Vec<Link>, StoreError> {
        self.note("list_links");
        self.inner.list_links(user).await
    }
    async fn linked_contacts(&self, user: &UserId, side: Side) -> Result<Vec<Contact>, StoreError> {
        self.note("linked_contacts");
        self.inner.linked_contacts(user, side).await
    }
    async fn active_conversations(&self, user: &UserId) -> Result<Vec<Contact>, StoreError> {
        self.note("active_conversations");
        self.inner.active_conversations(user).await
    }
    async fn conversations_since(
        &self,
        user: &UserId,
        since: Timestamp,
    ) -> Result<Vec<ConversationId>, StoreError> {
        self.note("conversations_since");
        self.inner.conversations_since(user, since).await
    }
    async fn has_messages(&self, conversation: &ConversationId) -> Result<bool, StoreError> {
        self.note("has_messages");
        self.inner.has_messages(conversation).await
    }
    async fn append_if_linked(&self, message: &NewMessage) -> Result<Option<Appended>, StoreError> {
        self.note("append_if_linked");
        self.inner.append_if_linked(message).await
    }
    async fn read_messages(
        &self,
        conversation: &ConversationId,
        page: &PageRequest,
    ) -> Result<MessagePage, StoreError> {
        self.note("read_messages");
        self.inner.read_messages(conversation, page).await
    }
    async fn read_marker(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<Option<Timestamp>, StoreError> {
        self.note("read_marker");
        self.inner.read_marker(user, conversation).await
    }
    async fn unread_count(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<u64, StoreError> {
        self.note("unread_count");
        self.inner.unread_count(user, conversation).await
    }
    async fn mark_read(
        &self,
        user: &UserId,
        conversation: &ConversationId,
        up_to: Timestamp,
    ) -> Result<Option<MarkedRead>, StoreError> {
        self.note("mark_read");
        self.inner.mark_read(user, conversation, up_to).await
    }
    async fn add_guardian(&self, link: &GuardianLink) -> Result<(), StoreError> {
        self.note("add_guardian");
        self.inner.add_guardian(link).await
    }
    async fn remove_guardian(&self, link: &GuardianLink) -> Result<bool, StoreError> {
        self.note("remove_guardian");
        self.inner.remove_guardian(link).await
    }
    async fn list_guardian_links(
        &self,
        user: Option<&UserId>,
    ) -> Result<Vec<GuardianLink>, StoreError> {
        self.note("list_guardian_links");
        self.inner.list_guardian_links(user).await
    }
    async fn family_links(&self, user: &UserId) -> Result<Vec<FamilyLink>, StoreError> {
        self.note("family_links");
        self.inner.family_links(user).await
    }
    async fn family_contacts(&self, user: &UserId) -> Result<Vec<Contact>, StoreError> {
        self.note("family_contacts");
        self.inner.family_contacts(user).await
    }
    async fn settings(&self) -> Result<SchoolSettings, StoreError> {
        self.note("settings");
        self.inner.settings().await
    }
    async fn put_settings(&self, settings: &SchoolSettings) -> Result<(), StoreError> {
        self.note("put_settings");
        self.inner.put_settings(settings).await
    }
    async fn notify_prefs(&self, user: &UserId) -> Result<NotifyPrefs, StoreError> {
        self.note("notify_prefs");
        self.inner.notify_prefs(user).await
    }
    async fn put_notify_prefs(&self, user: &UserId, prefs: &NotifyPrefs) -> Result<(), StoreError> {
        self.note("put_notify_prefs");
        self.inner.put_notify_prefs(user, prefs).await
    }
    async fn push_subscriptions(&self, user: &UserId) -> Result<Vec<PushSubscription>, StoreError> {
        self.note("push_subscriptions");
        self.inner.push_subscriptions(user).await
    }
    async fn put_push_subscription(
        &self,
        user: &UserId,
        subscription: &PushSubscription,
    ) -> Result<(), StoreError> {
        self.note("put_push_subscription");
        self.inner.put_push_subscription(user, subscription).await
    }
    async fn remove_push_subscription(
        &self,
        user: &UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError> {
        self.note("remove_push_subscription");
        self.inner.remove_push_subscription(user, endpoint).await
    }
    async fn put_pending(&self, pending: &Pending) -> Result<(), StoreError> {
        self.note("put_pending");
        self.inner.put_pending(pending).await
    }
    async fn due_pending(&self, now: Timestamp, limit: usize) -> Result<Vec<Pending>, StoreError> {
        self.note("due_pending");
        self.inner.due_pending(now, limit).await
    }
    async fn take_pending(&self, pending: &Pending) -> Result<bool, StoreError> {
        self.note("take_pending");
        self.inner.take_pending(pending).await
    }
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        self.note("try_lease");
        self.inner.try_lease(name, holder, now, until).await
    }
    async fn message(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Option<crate::message::Message>, StoreError> {
        self.note("message");
        self.inner.message(conversation, timestamp).await
    }
    async fn revise_message(
        &self,
        revision: &crate::store::Revision,
    ) -> Result<Option<crate::message::Message>, StoreError> {
        self.note("revise_message");
        self.inner.revise_message(revision).await
    }
    async fn message_versions(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Vec<crate::store::MessageVersion>, StoreError> {
        self.note("message_versions");
        self.inner.message_versions(conversation, timestamp).await
    }
    async fn pause(
        &self,
        conversation: &ConversationId,
    ) -> Result<Option<crate::store::Pause>, StoreError> {
        self.note("pause");
        self.inner.pause(conversation).await
    }
    async fn set_pause(
        &self,
        conversation: &ConversationId,
        expected: Option<Timestamp>,
        pause: Option<&crate::store::Pause>,
    ) -> Result<bool, StoreError> {
        self.note("set_pause");
        self.inner.set_pause(conversation, expected, pause).await
    }
    async fn put_report(
        &self,
        report: &crate::store::Report,
    ) -> Result<crate::store::Report, StoreError> {
        self.note("put_report");
        self.inner.put_report(report).await
    }
    async fn report(
        &self,
        id: crate::store::ReportId,
    ) -> Result<Option<crate::store::Report>, StoreError> {
        self.note("report");
        self.inner.report(id).await
    }
    async fn list_reports(
        &self,
        state: Option<crate::store::ReportState>,
        before: Option<crate::store::ReportId>,
        limit: usize,
    ) -> Result<Vec<crate::store::Report>, StoreError> {
        self.note("list_reports");
        self.inner.list_reports(state, before, limit).await
    }
    async fn step_report(
        &self,
        id: crate::store::ReportId,
        from: crate::store::ReportState,
        step: &crate::store::ReportStep,
    ) -> Result<Option<crate::store::Report>, StoreError> {
        self.note("step_report");
        self.inner.step_report(id, from, step).await
    }
    async fn holds(&self) -> Result<Vec<crate::store::Hold>, StoreError> {
        self.note("holds");
        self.inner.holds().await
    }
    async fn put_hold(&self, hold: &crate::store::Hold) -> Result<bool, StoreError> {
        self.note("put_hold");
        self.inner.put_hold(hold).await
    }
    async fn remove_hold(&self, target: &crate::store::HoldTarget) -> Result<bool, StoreError> {
        self.note("remove_hold");
        self.inner.remove_hold(target).await
    }
    async fn delete_conversation(
        &self,
        conversation: &ConversationId,
        up_to: Timestamp,
        batch: usize,
    ) -> Result<crate::store::Deletion, StoreError> {
        self.note("delete_conversation");
        self.inner
            .delete_conversation(conversation, up_to, batch)
            .await
    }
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.note("append_audit");
        if self.audit_down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "the audit log is down for the test".into(),
            ));
        }
        self.inner.append_audit(entry).await
    }
    async fn list_audit(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.note("list_audit");
        self.inner.list_audit(before, limit).await
    }
}
