//! The Amazon DynamoDB implementation of classchat's [`Store`]: the distributed store that
//! lets any number of classchat nodes (or Lambda handlers) share one school.
//!
//! # Tables (names carry a configurable prefix: `cc_` → `cc_Message`)
//!
//! **`Message`** — partition key `conversationId` (S), sort key `timestamp` (S, the
//! fixed-width RFC 3339 form, so string order is time order). Attributes `author`,
//! `messageBody`, `messageId` and, when the client sent one, `clientMessageId` — all S,
//! as in the seed's table — and, on a copy of a class announcement, `announcementId` (S).
//!
//! **`UserInfo`** — partition key `userId` (S), sort key `sk` (S):
//!
//! | `userId` | `sk` | attributes | what for |
//! |---|---|---|---|
//! | user | `profile` | displayName, role, passwordHash, disabled (BOOL), version (N), tokenVersion (N) | the account; `version` makes updates optimistic; `tokenVersion` voids older tokens (absent: 0) |
//! | user | `link#<peerId>` | teacherId, studentId | enrollments, under **both** participants |
//! | guardian | `ward#<studentId>` | guardianId, studentId | the guardian's side of a guardian link |
//! | student | `wardship` | guardians (SS, absent: none), familyVersion (N) | the student's side of their guardian links, and the version every change of their family links bumps, so that such changes are serialised per student (see `family`) |
//! | guardian, teacher | `via#<peerId>#<childId>` | guardianId, teacherId, studentId | a family link, under both ends: `family_links` in one Query, and the one item a guardian's send checks |
//! | user | `conv#<conversationId>` | peerId, lastMessageAt, lastMessagePreview (the whole body), lastAuthor, lastMessageId, lastClientMessageId?, lastReadAt, unreadCount (N) | the contact list without touching messages |
//! | author | `cmid#<clientMessageId>` | conversationId, timestamp, ttl | idempotent retries (30 days, then TTL) |
//! | member | `cls#<sourcedId>` | — | the classes the user teaches or takes (`classes_of`); written with the class items by roster imports. 4 + 1,020 bytes: the longest sourcedId still fits a sort key |
//! | author | `ann#<clientMessageId>` | announcementId, classId | the author made this announcement (idempotent retries; kept, like its copies' items) |
//! | author | `annc#<announcementId>#<conversationId>` | conversationId, timestamp | one copy of an announcement: a retry never stores a second |
//! | user | `notify` | push, emailDigest (BOOL), hours (S, absent: none) | the user's notification preferences (no item: the defaults) |
//! | user | `push#<hex SHA-256 of the endpoint>` | endpoint, p256dh, auth, created (S) | one push subscription of the user's (at most ten) |
//! | user | `pushes` | version (N) | bumped by every registration for the user, on condition that it is unchanged, so racing ones cannot exceed the limit |
//! | `#push#<hex SHA-256 of the endpoint>` | `owner` | ownerId, endpoint | whose the endpoint is: one user at a time; moving it conditions on this (a partition per endpoint, since registrations come at user rate) |
//! | user | `pending#<kind>` | due, since (S) | the user's pending notification of that kind (one at most: a second merges into it); every change of it and of its listing item conditions on this |
//! | `#pending` | `<due>#<userId>#<kind>` | recipientId, kind, due, since | the same notification listed by due time: those due by a time are one Query (`sk <= "<now>~"`), in the order they are sent; written only with the pointer above, in one transaction. One partition, not shards: see `pending` |
//! | `#leases` | job name | holder, until (S) | who runs a background job, until when; taken or renewed by one conditional PutItem |
//! | `#users` | userId | displayName, role, disabled | `list_users` in id order |
//! | `#users#<role>` | userId | displayName, role, disabled | `list_users` of one role |
//! | `#links` | `<teacherId>+<studentId>` | teacherId, studentId | every link, sorted |
//! | `#guardians` | `<guardianId>+<studentId>` | guardianId, studentId | every guardian link, sorted; decides whether one exists |
//! | `#school` | `settings` | guardianOversight, pushPreview, digestText (BOOL; the last two absent: off), quietHours (S, absent: none) | the school's settings (no item: the defaults) |
//! | `#audit` | entry id (ULID) | at, actor, action, target | the audit log, newest first |
//! | `#roster#accounts` | sourcedId | accountId | the account a roster import created for that person (its profile and listing items are ordinary) |
//! | `#roster#classes` | sourcedId | title, teachers, students (lists of userIds) | a class from the roster, replaced whole |
//! | `#roster#links` | `<teacherId>+<studentId>` | teacherId, studentId, byHand (BOOL) | a link the roster derives (its items are the ordinary three); `byHand`: also added by hand, so it stays when the roster drops it |
//! | `#roster#guardians` | `<guardianId>+<studentId>` | guardianId, studentId, byHand (BOOL) | a guardian link the roster derives (its items are the ordinary ones), kept as `#roster#links` is |
//!
//! `#` cannot occur in a userId, so the fixed partitions never collide with a user. No
//! route ever Scans: get_teachers/get_students are one Query over the user's `conv#`…`link#`
//! range, get_chats one Query over `conv#` (sorted by `lastMessageAt` in memory), reads
//! are Queries on one conversation, the roster's state four Queries (one per `#roster#…`
//! partition) and batch reads of the accounts' profiles, a user's classes one Query over
//! `cls#` and a batch read of the classes, an announcement's copies one Query over
//! `annc#<announcementId>#`, a user's guardian links one Query over `ward` (the `ward#`
//! items as guardian and the `wardship` item as student), every guardian link one Query of
//! `#guardians`, a user's family links one Query over `via#`, the family contact list
//! that Query plus batch reads of the summaries of those conversations and of the
//! people's profiles, the settings one GetItem, a user's notification preferences one
//! GetItem and their push subscriptions one Query over `push#`, the pending
//! notifications due by a time one Query of `#pending`. The user-partition
//! prefixes `ann#`, `annc#` and `cls#` all sort before `conv#`, and `ward#`, `wardship`,
//! `via#`, `notify`, `pending#`, `push#` and `pushes` after `link$`, so no Query of another
//! prefix or range ever reads them. The fixed partitions
//! take only admin-rate writes (user, link and guardian changes, audit entries), far
//! below a partition's limits, but for a roster import's burst: it writes a few
//! transactions at a time and retries those throttled, and an import cut short converges
//! when run again; `#pending` takes a write when a user's notification is created,
//! brought forward or taken (not for every message it covers), and `#leases` a renewal
//! every few seconds per node. No GSI on
//! UserInfo: every listing above is strongly consistent, which a GSI could not be.
//!
//! **`Connections`** — partition key `connectionId` (S); `userId`, `connectedAt`, `ttl`
//! (TTL enabled); GSI `userId-index` on `userId` — for the serverless fan-out.
//!
//! # Concurrency and faults
//! See `messages` for how appends stay unique, ordered and idempotent across nodes, and
//! `read_marker` for `mark_read`. Every multi-item change is one TransactWriteItems, but
//! for a roster import, which is applied in ordered, idempotent steps of transactions
//! that converge when the import is planned and applied again (see `roster`), and a class
//! announcement, whose copies are written several to a transaction and completed without
//! duplicates when it is made again (see `announcements`). A push subscription's
//! registration conditions on the endpoint's owner item and the user's `pushes` version,
//! so a racing move of the endpoint or registration for the user makes it plan again
//! (see `notify`). A pending notification's pointer and listing item change together in
//! one transaction conditioned on the pointer as read, so a merge never loses a racing
//! one and a take succeeds once (see `pending`). Changes of a student's family
//! links (their teacher and guardian links) are serialised on the student's `wardship`
//! version, so the family-link items they write from a read never go stale (see `family`).
//! Throttling and 5xx are retried by the SDK (standard mode, short backoff); a store that
//! cannot be reached within the timeouts of [`Timeouts`] is [`StoreError::Unavailable`]
//! (HTTP 503), and since no state is cached the next request after it returns succeeds.
//! A write that timed out may still have committed: a client that retries with the same
//! `clientMessageId` gets the stored message back rather than a duplicate.
//!
//! # Layout
//! `config` (client, names, timeouts), `tables` (create/check), `users` (users, links),
//! `messages` (append), `pages` (reading messages), `read_marker` (mark_read), `contacts`
//! (contact lists), `family` (guardian links, family links, family contact lists),
//! `settings` (the school's settings), `notify` (notification preferences and push
//! subscriptions), `pending` (pending notifications), `leases` (background jobs' leases),
//! `roster` (roster imports), `classes` (classes as
//! members read them), `announcements` (class announcements), `audit`, `item` (key
//! layout and item
//! conversion), `ops` (paged Queries, batch reads, transactions), `error` (error mapping).
//!
//! [`Store`]: classchat_core::store::Store

#![warn(missing_docs)]

mod announcements;
mod audit;
mod classes;
mod config;
mod contacts;
mod error;
mod family;
mod item;
mod leases;
mod messages;
mod notify;
mod ops;
mod pages;
mod pending;
mod read_marker;
mod roster;
mod settings;
mod tables;
#[cfg(feature = "test-support")]
pub mod testing;
mod users;

pub use config::{DEFAULT_REGION, DynamoConfig, TableNames, Timeouts};
pub use error::{SetupError, TableProblems, WrongTable};
pub use tables::{CONNECTION_ID, CONNECTIONS_BY_USER, TTL_ATTRIBUTE, TableOutcome};

use classchat_core::Message;
use classchat_core::store::{MessageVersion, Pause, Report, ReportId, ReportState, ReportStep, Revision};
use async_trait::async_trait;
use classchat_core::message::NewMessage;
use classchat_core::store::{
    Announced, Appended, AuditEntry, Class, Contact, FamilyLink, GuardianLink, Link, MarkedRead,
    MessagePage, NewAnnouncement, NotifyPrefs, PageRequest, Pending, PushSubscription,
    RosterChanges, RosterState, SchoolSettings, Side, SourcedId, Store, StoreError, UserPatch,
};
use classchat_core::user::UserRecord;
use classchat_core::{ConversationId, Role, Timestamp, User, UserId};
use std::collections::HashMap;

/// A classchat store in three DynamoDB tables.
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    tables: TableNames,
    append_locks: messages::AppendLocks,
}

impl DynamoStore {
    /// Builds a client for `config`. Makes no request: call [`Self::check_tables`] (serve)
    /// or [`Self::create_tables`] (set-up) next.
    pub async fn connect(config: &DynamoConfig) -> Result<Self, SetupError> {
        let tables = TableNames::with_prefix(&config.table_prefix)?;
        Ok(Self::with_client(config::client(config).await, tables))
    }

    /// A store over an SDK client configured elsewhere (e.g. in a Lambda handler).
    pub fn with_client(client: aws_sdk_dynamodb::Client, tables: TableNames) -> Self {
        Self {
            client,
            tables,
            append_locks: messages::AppendLocks::new(),
        }
    }

    /// Creates the missing tables with on-demand billing and waits until they are ACTIVE;
    /// says for each table whether it was created or already there. Changes nothing when
    /// an existing table has the wrong schema, and names every such table instead.
    pub async fn create_tables(&self) -> Result<Vec<TableOutcome>, SetupError> {
        tables::create(&self.client, &self.tables).await
    }

    /// Fails with [`SetupError::Tables`] naming every missing table and every table
    /// with another schema (keys, key types, the Connections `userId` index), at once.
    pub async fn check_tables(&self) -> Result<(), SetupError> {
        tables::check(&self.client, &self.tables).await
    }

    /// The table names in use.
    pub fn tables(&self) -> &TableNames {
        &self.tables
    }

    /// The SDK client, for tools and tests that look at the raw items.
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }
}

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
        _conversation: &ConversationId,
        _timestamp: Timestamp,
    ) -> Result<Option<Message>, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
    }

    async fn revise_message(&self, _revision: &Revision) -> Result<Option<Message>, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
    }

    async fn message_versions(
        &self,
        _conversation: &ConversationId,
        _timestamp: Timestamp,
    ) -> Result<Vec<MessageVersion>, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
    }

    async fn pause(&self, _conversation: &ConversationId) -> Result<Option<Pause>, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
    }

    async fn set_pause(
        &self,
        _conversation: &ConversationId,
        _expected: Option<Timestamp>,
        _pause: Option<&Pause>,
    ) -> Result<bool, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
    }

    async fn put_report(&self, _report: &Report) -> Result<Report, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
    }

    async fn report(&self, _id: ReportId) -> Result<Option<Report>, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
    }

    async fn list_reports(
        &self,
        _state: Option<ReportState>,
        _before: Option<ReportId>,
        _limit: usize,
    ) -> Result<Vec<Report>, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
    }

    async fn step_report(
        &self,
        _id: ReportId,
        _from: ReportState,
        _step: &ReportStep,
    ) -> Result<Option<Report>, StoreError> {
        Err(StoreError::Internal("safeguarding is not built yet".into()))
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
