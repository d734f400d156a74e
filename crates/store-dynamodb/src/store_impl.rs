//! The [`Store`] port over DynamoDB: each method hands its work to the module that owns
//! that part of the layout (see the crate's `# Layout`), so this file is the one map from
//! the port to the modules; only `ping`, which touches every table, is written here.

use crate::tables::CONNECTIONS_BY_USER;
use crate::{
    DynamoStore, announcements, audit, classes, contacts, error, family, holds, item, leases,
    messages, notify, pages, pauses, pending, read_marker, reports, retention, revisions, roster,
    settings, users,
};
use async_trait::async_trait;
use classchat_core::message::NewMessage;
use classchat_core::store::{
    Announced, Appended, AuditEntry, Class, Contact, Deletion, FamilyLink, GuardianLink, Hold,
    HoldTarget, Link, MarkedRead, MessagePage, MessageVersion, NewAnnouncement, NotifyPrefs,
    PageRequest, Pause, Pending, PushSubscription, Report, ReportId, ReportState, ReportStep,
    Revision, RosterChanges, RosterState, SchoolSettings, Side, SourcedId, Store, StoreError,
    UserPatch,
};
use classchat_core::user::UserRecord;
use classchat_core::{ConversationId, Message, Role, Timestamp, User, UserId};
use std::collections::HashMap;

#[async_trait]
impl Store for DynamoStore {
    async fn ping(&self) -> Result<(), StoreError> {
        // Each table with the cheapest request that proves it is there and readable, all
        // three at once so readiness costs one round trip: a consistent point read of a
        // key that never exists in Message and UserInfo, and in Connections a Query of the
        // `userId-index` for a user that never exists — the one read of Connections every
        // node's role is granted (the serverless HTTP function may only Query the index),
        // and it proves the index is there too.
        let message = self
            .client
            .get_item()
            .table_name(&self.tables.message)
            .set_key(Some(HashMap::from([
                (item::CONVERSATION_ID.to_owned(), item::s(item::PING_KEY)),
                (item::TIMESTAMP.to_owned(), item::s(item::PING_KEY)),
            ])))
            .consistent_read(true)
            .send();
        let user_info = self
            .client
            .get_item()
            .table_name(&self.tables.user_info)
            .set_key(Some(item::user_info_key(item::PING_KEY, item::PING_KEY)))
            .consistent_read(true)
            .send();
        let connections = self
            .client
            .query()
            .table_name(&self.tables.connections)
            .index_name(CONNECTIONS_BY_USER)
            .key_condition_expression("#u = :u")
            .expression_attribute_names("#u", item::USER_ID)
            .expression_attribute_values(":u", item::s(item::PING_KEY))
            .limit(1)
            .send();
        let (message, user_info, connections) = tokio::join!(message, user_info, connections);
        message.map_err(|error| error::classify("GetItem ping Message", error))?;
        user_info.map_err(|error| error::classify("GetItem ping UserInfo", error))?;
        connections.map_err(|error| error::classify("Query ping Connections", error))?;
        Ok(())
    }

    async fn get_user(&self, id: &UserId) -> Result<Option<UserRecord>, StoreError> {
        users::get(self, id).await
    }

    async fn create_user(&self, record: &UserRecord) -> Result<(), StoreError> {
        users::create(self, record).await
    }

    async fn update_user(
        &self,
        id: &UserId,
        patch: &UserPatch,
    ) -> Result<Option<User>, StoreError> {
        users::update(self, id, patch).await
    }

    async fn list_users(
        &self,
        role: Option<Role>,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        users::list(self, role, after, limit).await
    }

    async fn add_link(&self, link: &Link) -> Result<(), StoreError> {
        users::add_link(self, link).await
    }

    async fn remove_link(&self, link: &Link) -> Result<bool, StoreError> {
        users::remove_link(self, link).await
    }

    async fn is_linked(&self, link: &Link) -> Result<bool, StoreError> {
        users::is_linked(self, link).await
    }

    async fn list_links(&self, user: Option<&UserId>) -> Result<Vec<Link>, StoreError> {
        users::list_links(self, user).await
    }

    async fn linked_contacts(&self, user: &UserId, side: Side) -> Result<Vec<Contact>, StoreError> {
        contacts::linked(self, user, side).await
    }

    async fn active_conversations(&self, user: &UserId) -> Result<Vec<Contact>, StoreError> {
        contacts::active(self, user).await
    }

    async fn conversations_since(
        &self,
        user: &UserId,
        since: Timestamp,
    ) -> Result<Vec<ConversationId>, StoreError> {
        contacts::since(self, user, since).await
    }

    async fn has_messages(&self, conversation: &ConversationId) -> Result<bool, StoreError> {
        pages::has_any(self, conversation).await
    }

    async fn append_if_linked(&self, message: &NewMessage) -> Result<Option<Appended>, StoreError> {
        messages::append_checked(self, message).await
    }

    async fn read_messages(
        &self,
        conversation: &ConversationId,
        page: &PageRequest,
    ) -> Result<MessagePage, StoreError> {
        pages::read(self, conversation, page).await
    }

    async fn read_marker(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<Option<Timestamp>, StoreError> {
        read_marker::read_marker(self, user, conversation).await
    }

    async fn unread_count(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<u64, StoreError> {
        read_marker::unread_count(self, user, conversation).await
    }

    async fn mark_read(
        &self,
        user: &UserId,
        conversation: &ConversationId,
        up_to: Timestamp,
    ) -> Result<Option<MarkedRead>, StoreError> {
        read_marker::mark_read(self, user, conversation, up_to).await
    }

    async fn roster_state(&self) -> Result<RosterState, StoreError> {
        roster::state(self).await
    }

    async fn apply_roster(&self, changes: &RosterChanges) -> Result<(), StoreError> {
        roster::apply(self, changes).await
    }

    async fn class(&self, id: &SourcedId) -> Result<Option<Class>, StoreError> {
        classes::get(self, id).await
    }

    async fn classes(&self) -> Result<Vec<Class>, StoreError> {
        roster::classes(self).await
    }

    async fn classes_of(&self, user: &UserId) -> Result<Vec<Class>, StoreError> {
        classes::of(self, user).await
    }

    async fn append_announcement(
        &self,
        announcement: &NewAnnouncement,
    ) -> Result<Announced, StoreError> {
        announcements::append(self, announcement).await
    }

    async fn add_guardian(&self, link: &GuardianLink) -> Result<(), StoreError> {
        family::add_guardian(self, link).await
    }

    async fn remove_guardian(&self, link: &GuardianLink) -> Result<bool, StoreError> {
        family::remove_guardian(self, link).await
    }

    async fn list_guardian_links(
        &self,
        user: Option<&UserId>,
    ) -> Result<Vec<GuardianLink>, StoreError> {
        family::list_guardian_links(self, user).await
    }

    async fn family_links(&self, user: &UserId) -> Result<Vec<FamilyLink>, StoreError> {
        family::family_links(self, user).await
    }

    async fn family_contacts(&self, user: &UserId) -> Result<Vec<Contact>, StoreError> {
        family::family_contacts(self, user).await
    }

    async fn settings(&self) -> Result<SchoolSettings, StoreError> {
        settings::get(self).await
    }

    async fn put_settings(&self, settings: &SchoolSettings) -> Result<(), StoreError> {
        settings::put(self, settings).await
    }

    async fn notify_prefs(&self, user: &UserId) -> Result<NotifyPrefs, StoreError> {
        notify::prefs(self, user).await
    }

    async fn put_notify_prefs(&self, user: &UserId, prefs: &NotifyPrefs) -> Result<(), StoreError> {
        notify::put_prefs(self, user, prefs).await
    }

    async fn push_subscriptions(&self, user: &UserId) -> Result<Vec<PushSubscription>, StoreError> {
        notify::subscriptions(self, user).await
    }

    async fn put_push_subscription(
        &self,
        user: &UserId,
        subscription: &PushSubscription,
    ) -> Result<(), StoreError> {
        notify::put_subscription(self, user, subscription).await
    }

    async fn remove_push_subscription(
        &self,
        user: &UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError> {
        notify::remove_subscription(self, user, endpoint).await
    }

    async fn put_pending(&self, pending: &Pending) -> Result<(), StoreError> {
        pending::put(self, pending).await
    }

    async fn due_pending(&self, now: Timestamp, limit: usize) -> Result<Vec<Pending>, StoreError> {
        pending::due(self, now, limit).await
    }

    async fn take_pending(&self, pending: &Pending) -> Result<bool, StoreError> {
        pending::take(self, pending).await
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        leases::try_take(self, name, holder, now, until).await
    }

    async fn message(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Option<Message>, StoreError> {
        revisions::get(self, conversation, timestamp).await
    }

    async fn revise_message(&self, revision: &Revision) -> Result<Option<Message>, StoreError> {
        revisions::revise(self, revision).await
    }

    async fn message_versions(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Vec<MessageVersion>, StoreError> {
        revisions::versions(self, conversation, timestamp).await
    }

    async fn pause(&self, conversation: &ConversationId) -> Result<Option<Pause>, StoreError> {
        pauses::get(self, conversation).await
    }

    async fn set_pause(
        &self,
        conversation: &ConversationId,
        expected: Option<Timestamp>,
        pause: Option<&Pause>,
    ) -> Result<bool, StoreError> {
        pauses::set(self, conversation, expected, pause).await
    }

    async fn put_report(&self, report: &Report) -> Result<Report, StoreError> {
        reports::put(self, report).await
    }

    async fn report(&self, id: ReportId) -> Result<Option<Report>, StoreError> {
        reports::get(self, id).await
    }

    async fn list_reports(
        &self,
        state: Option<ReportState>,
        before: Option<ReportId>,
        limit: usize,
    ) -> Result<Vec<Report>, StoreError> {
        reports::list(self, state, before, limit).await
    }

    async fn step_report(
        &self,
        id: ReportId,
        from: ReportState,
        step: &ReportStep,
    ) -> Result<Option<Report>, StoreError> {
        reports::step(self, id, from, step).await
    }

    async fn holds(&self) -> Result<Vec<Hold>, StoreError> {
        holds::list(self).await
    }

    async fn put_hold(&self, hold: &Hold) -> Result<bool, StoreError> {
        holds::put(self, hold).await
    }

    async fn remove_hold(&self, target: &HoldTarget) -> Result<bool, StoreError> {
        holds::remove(self, target).await
    }

    async fn delete_conversation(
        &self,
        conversation: &ConversationId,
        up_to: Timestamp,
        batch: usize,
    ) -> Result<Deletion, StoreError> {
        retention::delete_conversation(self, conversation, up_to, batch).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        audit::append(self, entry).await
    }

    async fn list_audit(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        audit::list(self, before, limit).await
    }
}
