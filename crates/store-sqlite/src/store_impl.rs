//! [`Store`] for [`SqliteStore`]: each method hands its query function (one file per
//! concern) to a pooled reader or to the writer thread, and awaits it. Reads never queue
//! behind writes; every write is one job of the writer's group commit, so one transaction.

use crate::{
    SqliteStore, WRITER_PING_TIMEOUT, announcements, audit, contacts, error, family, holds, leases,
    messages, notify, pauses, pending, reports, retention, revisions, roster, settings, users,
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

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let read = self.readers.run(|connection| {
            connection
                .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
                .map_err(error::classify)
        });
        let write = self.writer.ping(WRITER_PING_TIMEOUT);
        let (read, write) = tokio::join!(read, write);
        read.and(write)
    }

    async fn get_user(&self, id: &UserId) -> Result<Option<UserRecord>, StoreError> {
        let id = id.clone();
        self.readers
            .run(move |connection| users::get(connection, &id))
            .await
    }

    async fn create_user(&self, record: &UserRecord) -> Result<(), StoreError> {
        let record = record.clone();
        self.writer
            .run(move |connection| users::create(connection, &record))
            .await
    }

    async fn update_user(
        &self,
        id: &UserId,
        patch: &UserPatch,
    ) -> Result<Option<User>, StoreError> {
        let (id, patch) = (id.clone(), patch.clone());
        self.writer
            .run(move |connection| users::update(connection, &id, &patch))
            .await
    }

    async fn list_users(
        &self,
        role: Option<Role>,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let after = after.cloned();
        self.readers
            .run(move |connection| users::list(connection, role, after.as_ref(), limit))
            .await
    }

    async fn add_link(&self, link: &Link) -> Result<(), StoreError> {
        let link = link.clone();
        self.writer
            .run(move |connection| users::add_link(connection, &link))
            .await
    }

    async fn remove_link(&self, link: &Link) -> Result<bool, StoreError> {
        let link = link.clone();
        self.writer
            .run(move |connection| users::remove_link(connection, &link))
            .await
    }

    async fn is_linked(&self, link: &Link) -> Result<bool, StoreError> {
        let link = link.clone();
        self.readers
            .run(move |connection| users::is_linked(connection, &link))
            .await
    }

    async fn list_links(&self, user: Option<&UserId>) -> Result<Vec<Link>, StoreError> {
        let user = user.cloned();
        self.readers
            .run(move |connection| users::list_links(connection, user.as_ref()))
            .await
    }

    async fn linked_contacts(&self, user: &UserId, side: Side) -> Result<Vec<Contact>, StoreError> {
        let user = user.clone();
        self.readers
            .run(move |connection| contacts::linked(connection, &user, side))
            .await
    }

    async fn active_conversations(&self, user: &UserId) -> Result<Vec<Contact>, StoreError> {
        let user = user.clone();
        self.readers
            .run(move |connection| contacts::active(connection, &user))
            .await
    }

    async fn conversations_since(
        &self,
        user: &UserId,
        since: Timestamp,
    ) -> Result<Vec<ConversationId>, StoreError> {
        let user = user.clone();
        self.readers
            .run(move |connection| contacts::active_since(connection, &user, since))
            .await
    }

    async fn has_messages(&self, conversation: &ConversationId) -> Result<bool, StoreError> {
        let conversation = conversation.clone();
        self.readers
            .run(move |connection| messages::has_any(connection, &conversation))
            .await
    }

    async fn append_if_linked(&self, message: &NewMessage) -> Result<Option<Appended>, StoreError> {
        let message = message.clone();
        self.writer
            .run(move |connection| {
                if !family::may_append(connection, &message)?
                    || pauses::refuses(connection, &message)?
                {
                    return Ok(None);
                }
                messages::append(connection, &message).map(Some)
            })
            .await
    }

    async fn read_messages(
        &self,
        conversation: &ConversationId,
        page: &PageRequest,
    ) -> Result<MessagePage, StoreError> {
        let (conversation, page) = (conversation.clone(), *page);
        self.readers
            .run(move |connection| messages::read(connection, &conversation, &page))
            .await
    }

    async fn read_marker(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<Option<Timestamp>, StoreError> {
        let (user, conversation) = (user.clone(), conversation.clone());
        self.readers
            .run(move |connection| messages::read_marker(connection, &user, &conversation))
            .await
    }

    async fn unread_count(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<u64, StoreError> {
        let (user, conversation) = (user.clone(), conversation.clone());
        self.readers
            .run(move |connection| messages::unread_count(connection, &user, &conversation))
            .await
    }

    async fn mark_read(
        &self,
        user: &UserId,
        conversation: &ConversationId,
        up_to: Timestamp,
    ) -> Result<Option<MarkedRead>, StoreError> {
        // A marker that would not move is answered from a reader: a client repeating
        // `markRead` never takes the writer's time from the sends queued there.
        let (user, conversation) = (user.clone(), conversation.clone());
        let plan = {
            let (user, conversation) = (user.clone(), conversation.clone());
            self.readers
                .run(move |connection| {
                    messages::plan_mark_read(connection, &user, &conversation, up_to)
                })
                .await?
        };
        if !plan.is_some_and(|plan| plan.moved) {
            return Ok(plan);
        }
        self.writer
            .run(move |connection| messages::mark_read(connection, &user, &conversation, up_to))
            .await
    }

    async fn roster_state(&self) -> Result<RosterState, StoreError> {
        self.readers.run(roster::state).await
    }

    async fn apply_roster(&self, changes: &RosterChanges) -> Result<(), StoreError> {
        let changes = changes.clone();
        self.writer
            .run(move |connection| roster::apply(connection, &changes))
            .await
    }

    async fn class(&self, id: &SourcedId) -> Result<Option<Class>, StoreError> {
        let id = id.clone();
        self.readers
            .run(move |connection| announcements::class(connection, &id))
            .await
    }

    async fn classes(&self) -> Result<Vec<Class>, StoreError> {
        self.readers.run(roster::classes).await
    }

    async fn classes_of(&self, user: &UserId) -> Result<Vec<Class>, StoreError> {
        let user = user.clone();
        self.readers
            .run(move |connection| announcements::classes_of(connection, &user))
            .await
    }

    async fn append_announcement(
        &self,
        announcement: &NewAnnouncement,
    ) -> Result<Announced, StoreError> {
        let announcement = announcement.clone();
        self.writer
            .run(move |connection| announcements::append(connection, &announcement))
            .await
    }

    async fn add_guardian(&self, link: &GuardianLink) -> Result<(), StoreError> {
        let link = link.clone();
        self.writer
            .run(move |connection| family::add(connection, &link))
            .await
    }

    async fn remove_guardian(&self, link: &GuardianLink) -> Result<bool, StoreError> {
        let link = link.clone();
        self.writer
            .run(move |connection| family::remove(connection, &link))
            .await
    }

    async fn list_guardian_links(
        &self,
        user: Option<&UserId>,
    ) -> Result<Vec<GuardianLink>, StoreError> {
        let user = user.cloned();
        self.readers
            .run(move |connection| family::list(connection, user.as_ref()))
            .await
    }

    async fn family_links(&self, user: &UserId) -> Result<Vec<FamilyLink>, StoreError> {
        let user = user.clone();
        self.readers
            .run(move |connection| family::links(connection, &user))
            .await
    }

    async fn family_contacts(&self, user: &UserId) -> Result<Vec<Contact>, StoreError> {
        let user = user.clone();
        self.readers
            .run(move |connection| family::contacts(connection, &user))
            .await
    }

    async fn settings(&self) -> Result<SchoolSettings, StoreError> {
        self.readers.run(settings::get).await
    }

    async fn put_settings(&self, settings: &SchoolSettings) -> Result<(), StoreError> {
        let settings = settings.clone();
        self.writer
            .run(move |connection| settings::put(connection, &settings))
            .await
    }

    async fn notify_prefs(&self, user: &UserId) -> Result<NotifyPrefs, StoreError> {
        let user = user.clone();
        self.readers
            .run(move |connection| notify::prefs(connection, &user))
            .await
    }

    async fn put_notify_prefs(&self, user: &UserId, prefs: &NotifyPrefs) -> Result<(), StoreError> {
        let (user, prefs) = (user.clone(), prefs.clone());
        self.writer
            .run(move |connection| notify::put_prefs(connection, &user, &prefs))
            .await
    }

    async fn push_subscriptions(&self, user: &UserId) -> Result<Vec<PushSubscription>, StoreError> {
        let user = user.clone();
        self.readers
            .run(move |connection| notify::subscriptions(connection, &user))
            .await
    }

    async fn put_push_subscription(
        &self,
        user: &UserId,
        subscription: &PushSubscription,
    ) -> Result<(), StoreError> {
        let (user, subscription) = (user.clone(), subscription.clone());
        self.writer
            .run(move |connection| notify::put_subscription(connection, &user, &subscription))
            .await
    }

    async fn remove_push_subscription(
        &self,
        user: &UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError> {
        let (user, endpoint) = (user.clone(), endpoint.to_owned());
        self.writer
            .run(move |connection| notify::remove_subscription(connection, &user, &endpoint))
            .await
    }

    async fn put_pending(&self, pending: &Pending) -> Result<(), StoreError> {
        let notice = pending.clone();
        self.writer
            .run(move |connection| pending::put(connection, &notice))
            .await
    }

    async fn due_pending(&self, now: Timestamp, limit: usize) -> Result<Vec<Pending>, StoreError> {
        self.readers
            .run(move |connection| pending::due(connection, now, limit))
            .await
    }

    async fn take_pending(&self, pending: &Pending) -> Result<bool, StoreError> {
        let notice = pending.clone();
        self.writer
            .run(move |connection| pending::take(connection, &notice))
            .await
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.writer
            .run(move |connection| leases::try_take(connection, &name, &holder, now, until))
            .await
    }

    async fn message(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Option<Message>, StoreError> {
        let conversation = conversation.clone();
        self.readers
            .run(move |connection| revisions::message(connection, &conversation, timestamp))
            .await
    }

    async fn revise_message(&self, revision: &Revision) -> Result<Option<Message>, StoreError> {
        let revision = revision.clone();
        self.writer
            .run(move |connection| revisions::revise(connection, &revision))
            .await
    }

    async fn message_versions(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Vec<MessageVersion>, StoreError> {
        let conversation = conversation.clone();
        self.readers
            .run(move |connection| revisions::versions(connection, &conversation, timestamp))
            .await
    }

    async fn pause(&self, conversation: &ConversationId) -> Result<Option<Pause>, StoreError> {
        let conversation = conversation.clone();
        self.readers
            .run(move |connection| pauses::get(connection, &conversation))
            .await
    }

    async fn set_pause(
        &self,
        conversation: &ConversationId,
        expected: Option<Timestamp>,
        pause: Option<&Pause>,
    ) -> Result<bool, StoreError> {
        let (conversation, pause) = (conversation.clone(), pause.cloned());
        self.writer
            .run(move |connection| pauses::set(connection, &conversation, expected, pause.as_ref()))
            .await
    }

    async fn put_report(&self, report: &Report) -> Result<Report, StoreError> {
        let report = report.clone();
        self.writer
            .run(move |connection| reports::put(connection, &report))
            .await
    }

    async fn report(&self, id: ReportId) -> Result<Option<Report>, StoreError> {
        self.readers
            .run(move |connection| reports::get(connection, id))
            .await
    }

    async fn list_reports(
        &self,
        state: Option<ReportState>,
        before: Option<ReportId>,
        limit: usize,
    ) -> Result<Vec<Report>, StoreError> {
        self.readers
            .run(move |connection| reports::list(connection, state, before, limit))
            .await
    }

    async fn step_report(
        &self,
        id: ReportId,
        from: ReportState,
        step: &ReportStep,
    ) -> Result<Option<Report>, StoreError> {
        let step = step.clone();
        self.writer
            .run(move |connection| reports::step(connection, id, from, &step))
            .await
    }

    async fn holds(&self) -> Result<Vec<Hold>, StoreError> {
        self.readers.run(holds::list).await
    }

    async fn put_hold(&self, hold: &Hold) -> Result<bool, StoreError> {
        let hold = hold.clone();
        self.writer
            .run(move |connection| holds::put(connection, &hold))
            .await
    }

    async fn remove_hold(&self, target: &HoldTarget) -> Result<bool, StoreError> {
        let target = target.clone();
        self.writer
            .run(move |connection| holds::remove(connection, &target))
            .await
    }

    async fn delete_conversation(
        &self,
        conversation: &ConversationId,
        up_to: Timestamp,
        batch: usize,
    ) -> Result<Deletion, StoreError> {
        let conversation = conversation.clone();
        self.writer
            .run(move |connection| retention::step(connection, &conversation, up_to, batch))
            .await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.writer
            .run(move |connection| audit::append(connection, &entry))
            .await
    }

    async fn list_audit(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let before = before.map(str::to_owned);
        self.readers
            .run(move |connection| audit::list(connection, before.as_deref(), limit))
            .await
    }
}
