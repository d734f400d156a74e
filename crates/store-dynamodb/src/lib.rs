//! The Amazon DynamoDB implementation of classchat's [`Store`]: the distributed store that
//! lets any number of classchat nodes (or Lambda handlers) share one school.
//!
//! # Tables (names carry a configurable prefix: `cc_` → `cc_Message`)
//!
//! **`Message`** — partition key `conversationId` (S), sort key `timestamp` (S, the
//! fixed-width RFC 3339 form, so string order is time order). Attributes `author`,
//! `messageBody`, `messageId` and, when the client sent one, `clientMessageId` — all S,
//! as in the seed's table — and, on a copy of a class announcement, `announcementId` (S);
//! once its author revised it, `editedAt` and `removedAt` (S, timestamps). A partition
//! holds messages only: their earlier texts are in UserInfo.
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
//! | user | `conv#<conversationId>` | peerId, lastMessageAt, lastMessagePreview (the whole body), lastAuthor, lastMessageId, lastClientMessageId?, lastEditedAt?, lastRemovedAt?, lastReadAt, unreadCount (N) | the contact list without touching messages; a revision of the last message shows here too |
//! | author | `cmid#<clientMessageId>` | conversationId, timestamp, ttl | idempotent retries (30 days, then TTL; retention deletes it with its message while it still names it) |
//! | member | `cls#<sourcedId>` | — | the classes the user teaches or takes (`classes_of`); written with the class items by roster imports. 4 + 1,020 bytes: the longest sourcedId still fits a sort key |
//! | author | `ann#<clientMessageId>` | announcementId, classId | the author made this announcement (idempotent retries; kept, like its copies' items) |
//! | author | `annc#<announcementId>#<conversationId>` | conversationId, timestamp | one copy of an announcement: a retry never stores a second (retention deletes it with its copy) |
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
//! | `#school` | `settings` | guardianOversight, pushPreview, digestText (BOOL; the last two absent: off), quietHours (S, absent: none), urgentSenders (SS, absent: nobody), editWindowMinutes (N, absent: 15), flagWords, flagPatterns (L of S, absent: none), retentionDays (N, absent: keep everything) | the school's settings (no item: the defaults) |
//! | `#audit` | entry id (ULID) | at, actor, action, target | the audit log, newest first |
//! | `#conv#<conversationId>` | `pause` | by, byRole, at, reason? | the conversation's pause (no item: not paused); a member's append checks that there is none, in its transaction |
//! | `#conv#<conversationId>` | `version#<timestamp>#<writtenAt>` | messageBody, writtenAt | an earlier text of the message at `timestamp` (one per edit): a message's versions are one Query, oldest first |
//! | `#reports` | report id (ULID) | conversationId, timestamp, messageId, author, source (a userId or `#flags`), reason, details?, createdAt, state, steps (L of M: state, by, at, note?) | every report, newest first |
//! | `#reports#<state>` | report id | the same | the reports in one state, moved with each step |
//! | `#reportkeys` | `<reporterId or #flags>#<messageId>` | reportId | one report per reporter and message |
//! | `#holds` | `user:<userId>` or `conversation:<conversationId>` (`HoldTarget::key`) | by, at, reason? | a legal hold: retention deletes nothing it covers; one per target, listed in one Query (and put in users-first order in memory) |
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
//! notifications due by a time one Query of `#pending`, a message's earlier texts one Query
//! over `version#<timestamp>#` in its conversation's partition, the moderation queue one
//! Query of `#reports` or of one state's partition, the legal holds one Query of `#holds`,
//! a retention step's messages one Query of the conversation's Message partition (up to
//! its instant) and their versions one Query over `version#` in `#conv#…`. The user-partition
//! prefixes `ann#`, `annc#` and `cls#` all sort before `conv#`, and `ward#`, `wardship`,
//! `via#`, `notify`, `pending#`, `push#` and `pushes` after `link$`, so no Query of another
//! prefix or range ever reads them. The fixed partitions
//! take only admin-rate writes (user, link and guardian changes, audit entries), far
//! below a partition's limits, but for a roster import's burst: it writes a few
//! transactions at a time and retries those throttled, and an import cut short converges
//! when run again; `#pending` takes a write when a user's notification is created,
//! brought forward or taken (not for every message it covers), `#leases` a renewal
//! every few seconds per node, and `#reports…` a write per report or step. A
//! conversation's `#conv#…` partition takes its edits and pauses, and `#holds` an
//! admin's hold or release. No GSI on
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
//! A revision puts the message back on condition that it is as read, in one transaction
//! with its version and, when it is the newest, both summaries (see `revisions`); a pause
//! is one conditional write (see `pauses`); a report's filing and each step are one
//! transaction each, conditioned on the reporter's key and on the state read (see
//! `reports`). A hold is one conditional PutItem on its target's item (see `holds`); a
//! retention step deletes messages with their versions and dedup items in one
//! transaction of at most 100 actions, each message on condition that it is still there
//! and each dedup item that it still names it, then the pause and the summaries still on
//! an old message, one conditional delete each (see `retention`).
//! Throttling and 5xx are retried by the SDK (standard mode, short backoff); a store that
//! cannot be reached within the timeouts of [`Timeouts`] is [`StoreError::Unavailable`]
//! (HTTP 503), and since no state is cached the next request after it returns succeeds.
//! A write that timed out may still have committed: a client that retries with the same
//! `clientMessageId` gets the stored message back rather than a duplicate.
//!
//! # Layout
//! `config` (client, names, timeouts), `https` (the HTTPS client of every AWS call:
//! rustls with ring), `tables` (create/check), `users` (users, links),
//! `messages` (append), `pages` (reading messages), `revisions` (edits and removals, their
//! versions), `pauses`, `reports` (the moderation queue), `holds` (legal holds), `retention`
//! (deleting a conversation for retention), `read_marker` (mark_read), `contacts`
//! (contact lists), `family` (guardian links, family links, family contact lists),
//! `settings` (the school's settings), `notify` (notification preferences and push
//! subscriptions), `pending` (pending notifications), `leases` (background jobs' leases),
//! `roster` (roster imports), `classes` (classes as
//! members read them), `announcements` (class announcements), `audit`, `item` (key
//! layout and item
//! conversion), `ops` (paged Queries, batch reads, transactions), `error` (error mapping),
//! `store_impl` (the `Store` port, each method handed to its module), `metering` (requests
//! and capacity units counted per DynamoDB operation, for tests, benchmarks and metrics).
//!
//! [`Store`]: classchat_core::store::Store
//! [`StoreError::Unavailable`]: classchat_core::store::StoreError::Unavailable

#![warn(missing_docs)]

mod announcements;
mod audit;
mod classes;
mod config;
mod contacts;
mod error;
mod family;
mod holds;
mod https;
mod item;
mod leases;
mod messages;
pub mod metering;
mod notify;
mod ops;
mod pages;
mod pauses;
mod pending;
mod read_marker;
mod reports;
mod retention;
mod revisions;
mod roster;
mod settings;
mod store_impl;
mod tables;
#[cfg(feature = "test-support")]
pub mod testing;
mod users;

pub use config::{DEFAULT_REGION, DynamoConfig, TableNames, Timeouts};
pub use error::{SetupError, TableProblems, WrongTable};
pub use https::{https_client, https_connector};
pub use tables::{CONNECTION_ID, CONNECTIONS_BY_USER, TTL_ATTRIBUTE, TableOutcome};

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

    /// Like [`Self::connect`], over an SDK configuration made elsewhere (its region,
    /// credentials and HTTP client): a Lambda function builds one from its execution
    /// environment without aws-config's default chain. `config`'s endpoint, region and
    /// timeouts apply on top.
    pub fn connect_with(
        sdk: &aws_config::SdkConfig,
        config: &DynamoConfig,
    ) -> Result<Self, SetupError> {
        let tables = TableNames::with_prefix(&config.table_prefix)?;
        Ok(Self::with_client(config::client_from(sdk, config), tables))
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
