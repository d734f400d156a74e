//! The `Store` port: everything the service needs to persist, and nothing about how.
//!
//! Implementations (SQLite, DynamoDB) live in their own crates and must pass the shared
//! conformance suite. The contract each method documents is what that suite checks.

use crate::conversation::ConversationId;
use crate::ids::UserId;
use crate::message::{Message, NewMessage};
use crate::time::Timestamp;
use crate::user::{DisplayName, Role, User, UserRecord};
use async_trait::async_trait;

// The domain values the port speaks in live in their own modules; they are re-exported
// here so that a store implementation finds everything it needs in one place.
pub use crate::announcement::{Announced, NewAnnouncement};
pub use crate::audit::{AuditAction, AuditEntry};
pub use crate::contact::Contact;
pub use crate::link::{FamilyLink, GuardianLink, Link, Side};
pub use crate::moderation::{
    Deletion, Hold, HoldTarget, MessageVersion, Pause, Report, ReportId, ReportSource, ReportState,
    ReportStep, Revision, RevisionKind,
};
pub use crate::notify::{Lease, NotifyPrefs, Pending, PendingKind, PushSubscription};
pub use crate::roster::{Class, RosterChanges, RosterState, SourcedId};
pub use crate::settings::SchoolSettings;

/// Why a store operation failed, in the terms the service can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend cannot be reached or is overloaded; the operation did not happen and may
    /// be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A create collided with an existing item.
    #[error("{0}")]
    Conflict(String),
    /// Anything else: corruption, a bug, an unexpected answer.
    #[error("store failure: {0}")]
    Internal(String),
}

/// Which slice of a conversation to read. Cursors are exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Only messages strictly older than this.
    pub before: Option<Timestamp>,
    /// Only messages strictly newer than this. When set, the page is the *oldest* matching
    /// messages (catching up forwards); otherwise it is the *newest* (scrolling back).
    pub after: Option<Timestamp>,
    /// At most this many messages (1–200, checked by the service).
    pub limit: usize,
}

/// A page of messages, always in ascending timestamp order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    /// The messages, oldest first.
    pub messages: Vec<Message>,
    /// Whether more messages lie beyond the page in the direction of reading (older ones
    /// without `after`, newer ones with it).
    pub has_more: bool,
}

/// The result of appending a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The message is new and now durably stored.
    Created(Message),
    /// The author had already sent a message with this clientMessageId; this is it, and
    /// nothing was written.
    Existing(Message),
}

/// What [`Store::mark_read`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkedRead {
    /// The read marker now in force.
    pub marker: Timestamp,
    /// Whether this call moved the marker forward (and wrote it). `false` when it was at or
    /// past the requested instant already, or at the newest message: then nothing was
    /// written, and nobody needs telling.
    pub moved: bool,
}

/// A change to a user; `None` fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// New display name.
    pub display_name: Option<DisplayName>,
    /// New role.
    pub role: Option<Role>,
    /// New password hash.
    pub password_hash: Option<String>,
    /// Enable or disable the account.
    pub disabled: Option<bool>,
    /// Void every token issued so far: the stored token version goes up by one, in the
    /// same atomic step as the rest of the patch.
    pub revoke_tokens: bool,
}

/// Durable state of classchat. All methods are atomic: they happen entirely or not at all.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Succeeds when the store can serve requests (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// The user with this id, with their password hash.
    async fn get_user(&self, id: &UserId) -> Result<Option<UserRecord>, StoreError>;

    /// Creates a user; [`StoreError::Conflict`] if the id is taken.
    async fn create_user(&self, record: &UserRecord) -> Result<(), StoreError>;

    /// Applies `patch`; `None` if there is no such user.
    async fn update_user(&self, id: &UserId, patch: &UserPatch)
    -> Result<Option<User>, StoreError>;

    /// Users in userId order, after `after`, optionally of one role, at most `limit`.
    async fn list_users(
        &self,
        role: Option<Role>,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError>;

    /// Links a teacher and a student by hand; [`StoreError::Conflict`] if they are linked
    /// already (by hand or by the roster).
    async fn add_link(&self, link: &Link) -> Result<(), StoreError>;

    /// Removes a link, whether it was added by hand, derived by the roster, or both (a
    /// later import derives it again if the classes still say so); whether it existed.
    async fn remove_link(&self, link: &Link) -> Result<bool, StoreError>;

    /// Whether the link exists.
    async fn is_linked(&self, link: &Link) -> Result<bool, StoreError>;

    /// The links of one user (either side), or every link when `user` is `None`, sorted.
    async fn list_links(&self, user: Option<&UserId>) -> Result<Vec<Link>, StoreError>;

    /// Every peer `user` is linked to on `side` (their side of the links), with the
    /// conversation state as `user` sees it, in peer display-name order (then userId). A
    /// link to a user who does not exist lists nobody.
    async fn linked_contacts(&self, user: &UserId, side: Side) -> Result<Vec<Contact>, StoreError>;

    /// The conversations of `user` that have at least one message, newest activity first.
    async fn active_conversations(&self, user: &UserId) -> Result<Vec<Contact>, StoreError>;

    /// The conversations of `user` whose newest message is newer than `since`: what a
    /// reconnecting client must catch up on.
    async fn conversations_since(
        &self,
        user: &UserId,
        since: Timestamp,
    ) -> Result<Vec<ConversationId>, StoreError>;

    /// Whether the conversation has at least one message.
    async fn has_messages(&self, conversation: &ConversationId) -> Result<bool, StoreError>;

    /// Durably stores a message, only while the conversation's teacher and student are
    /// linked, and updates both participants' summaries in the same atomic step, then
    /// returns it; `None`, with nothing written, when they are not linked. This is the
    /// whole store work of a send, so the link is checked inside the append's own write:
    /// one round trip, and no send slips through a link being removed at the same moment.
    ///
    /// The timestamp is `proposed`, or one microsecond after the conversation's newest
    /// message if that is not earlier — so timestamps are unique and strictly increasing
    /// per conversation. If the author already stored a message with the same
    /// clientMessageId (in any conversation), nothing is written and that message is
    /// returned as [`Appended::Existing`].
    ///
    /// Order: the socket transport pipelines one client's sends, polling each call once
    /// before making the next. A store must take the write's place in its order during that
    /// first poll (queue it, or join a FIFO lock), so such calls are applied in call order.
    ///
    /// A family conversation's message names the child who connects its guardian and
    /// teacher ([`NewMessage::via`]): it is appended only while that child is the
    /// guardian's and linked to the teacher, checked in the same way.
    ///
    /// While the conversation is paused ([`Store::set_pause`]), a message whose author is
    /// its member (the student or guardian) is refused the same way, `None` with nothing
    /// written; the teacher's are appended.
    async fn append_if_linked(&self, message: &NewMessage) -> Result<Option<Appended>, StoreError>;

    /// A page of a conversation, see [`PageRequest`].
    async fn read_messages(
        &self,
        conversation: &ConversationId,
        page: &PageRequest,
    ) -> Result<MessagePage, StoreError>;

    /// `user`'s read marker in the conversation: everything up to it is read. `None` when
    /// they have read nothing yet (or the conversation has no messages). Lets a client show
    /// "Seen" under its own messages when it opens a conversation, not only live.
    async fn read_marker(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<Option<Timestamp>, StoreError>;

    /// How many of the other participant's messages `user` has not read in the
    /// conversation (0 without messages): the count a contact list shows, for one
    /// conversation.
    async fn unread_count(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Result<u64, StoreError>;

    /// Moves `user`'s read marker in the conversation forward to `up_to` (never back, never
    /// past the newest message) and recounts their unread messages. The write is
    /// conditional: when the marker would not move, nothing is written (nor recounted), so
    /// repeating a `markRead` costs reads only, and the answer says so
    /// ([`MarkedRead::moved`]); of concurrent calls moving it to the same place, one moves
    /// it. `None` if the conversation has no messages yet (and no marker is set).
    async fn mark_read(
        &self,
        user: &UserId,
        conversation: &ConversationId,
        up_to: Timestamp,
    ) -> Result<Option<MarkedRead>, StoreError>;

    /// What earlier roster imports left: the accounts they created (as the users are now),
    /// the classes, and the links the roster derives, each sorted as [`RosterState`]
    /// states.
    async fn roster_state(&self) -> Result<RosterState, StoreError>;

    /// Applies an import's changes. Created accounts have no password (an empty hash,
    /// which never matches) and token version 0; an account change is applied as
    /// [`crate::roster::AccountChange::patch`]; classes are replaced whole. An added link
    /// that exists already (by hand) stays and is marked as the roster's too; a removed
    /// link that was also added by hand stays, no longer the roster's.
    ///
    /// Atomic where the backend can be (one transaction); otherwise applied in steps, each
    /// atomic and idempotent, so that after a failure midway, reading the state, planning
    /// the same import again and applying it converges on the same result.
    async fn apply_roster(&self, changes: &RosterChanges) -> Result<(), StoreError>;

    /// The class with this sourcedId.
    async fn class(&self, id: &SourcedId) -> Result<Option<Class>, StoreError>;

    /// Every class the roster holds, in sourcedId order: what the admin listing pages
    /// through, without the accounts and links [`Store::roster_state`] also reads.
    async fn classes(&self) -> Result<Vec<Class>, StoreError>;

    /// The classes `user` teaches or takes, in sourcedId order.
    async fn classes_of(&self, user: &UserId) -> Result<Vec<Class>, StoreError>;

    /// Stores a class announcement: each copy as [`Store::append_if_linked`] would (a copy
    /// for a conversation whose link is gone is skipped), every copy carrying the
    /// announcement's id, and a record that the author used this clientMessageId.
    ///
    /// If the author already made an announcement with this clientMessageId, nothing of
    /// it is stored twice: the answer carries the first attempt's id and class, its copies
    /// in [`Announced::existing`], and only conversations of the request that have no copy
    /// yet get one now (stamped with the first attempt's id), in [`Announced::created`].
    /// If the first attempt was for another class, nothing is stored at all (the service
    /// refuses the reuse).
    ///
    /// Atomic where the backend can be (one transaction); otherwise in steps, each atomic,
    /// that converge when the same announcement is made again after a failure midway.
    async fn append_announcement(
        &self,
        announcement: &NewAnnouncement,
    ) -> Result<Announced, StoreError>;

    /// Makes `link.guardian` a guardian of `link.student` by hand;
    /// [`StoreError::Conflict`] if it is already (by hand or by the roster).
    async fn add_guardian(&self, link: &GuardianLink) -> Result<(), StoreError>;

    /// Removes a guardian link, however it was made; whether it existed.
    async fn remove_guardian(&self, link: &GuardianLink) -> Result<bool, StoreError>;

    /// The guardian links of one user (as guardian or as student), or every one when
    /// `user` is `None`, sorted (guardian, then student).
    async fn list_guardian_links(
        &self,
        user: Option<&UserId>,
    ) -> Result<Vec<GuardianLink>, StoreError>;

    /// Every [`FamilyLink`] in which `user` is the guardian or the teacher, sorted
    /// (guardian, teacher, student): whom a guardian may message and through which
    /// children, or which guardians a teacher may message. Nothing for anyone else.
    async fn family_links(&self, user: &UserId) -> Result<Vec<FamilyLink>, StoreError>;

    /// The contact list of `user` across family links: for a guardian, each teacher of
    /// their children; for a teacher, each guardian of their students. One line per peer,
    /// with the conversation state as `user` sees it and the connecting children in
    /// [`Contact::family`] (display-name order, then userId); lines in peer display-name
    /// order (then userId). A peer or child who does not exist is left out.
    async fn family_contacts(&self, user: &UserId) -> Result<Vec<Contact>, StoreError>;

    /// The school's settings; [`SchoolSettings::default`] if none were ever stored.
    async fn settings(&self) -> Result<SchoolSettings, StoreError>;

    /// Replaces the school's settings.
    async fn put_settings(&self, settings: &SchoolSettings) -> Result<(), StoreError>;

    /// `user`'s notification preferences; [`NotifyPrefs::default`] if they never set any
    /// (or do not exist).
    async fn notify_prefs(&self, user: &UserId) -> Result<NotifyPrefs, StoreError>;

    /// Replaces `user`'s notification preferences.
    async fn put_notify_prefs(&self, user: &UserId, prefs: &NotifyPrefs) -> Result<(), StoreError>;

    /// `user`'s push subscriptions, oldest first (then by endpoint).
    async fn push_subscriptions(&self, user: &UserId) -> Result<Vec<PushSubscription>, StoreError>;

    /// Keeps `subscription` for `user`. One with the same endpoint is replaced, whoever
    /// it belonged to (a browser notifies whoever registered it last: on a shared
    /// computer, the last person signed in). Beyond
    /// [`MAX_SUBSCRIPTIONS_PER_USER`](crate::notify::subscription::MAX_SUBSCRIPTIONS_PER_USER)
    /// the user's oldest ones are removed.
    async fn put_push_subscription(
        &self,
        user: &UserId,
        subscription: &PushSubscription,
    ) -> Result<(), StoreError>;

    /// Removes `user`'s subscription with `endpoint`; whether there was one. Another
    /// user's subscription with that endpoint is left alone.
    async fn remove_push_subscription(
        &self,
        user: &UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError>;

    /// Keeps `pending` until it is taken. If `pending.user` already has one of that kind,
    /// they merge: the earlier `due` and the earlier `since` are kept.
    async fn put_pending(&self, pending: &Pending) -> Result<(), StoreError>;

    /// Pending notifications due at or before `now`, earliest first (then by user and
    /// kind), at most `limit`.
    async fn due_pending(&self, now: Timestamp, limit: usize) -> Result<Vec<Pending>, StoreError>;

    /// Removes `pending` if it is still exactly as given (same `due` and `since`); whether
    /// it did. A node takes a pending notification before sending it, so it is sent at
    /// most once; one that changed meanwhile is left for the next round.
    async fn take_pending(&self, pending: &Pending) -> Result<bool, StoreError>;

    /// Takes or renews the lease `name` for `holder` until `until`, if nobody else holds
    /// it at `now` (never taken, lapsed before `now`, or held by `holder`); whether
    /// `holder` holds it now. One node at a time runs a background job.
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError>;

    /// The message at `timestamp` in `conversation` as stored: a removed one with its
    /// text, for the service to redact.
    async fn message(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Option<Message>, StoreError>;

    /// Applies an author's edit or removal and returns the message as it now is; `None`
    /// if there is no such message. [`StoreError::Conflict`] (and nothing written) if it
    /// was removed or its `edited_at` is not `revision.expected_edited_at`: someone
    /// changed it since the service read it.
    ///
    /// An edit sets `edited_at` and keeps the text it replaces as a [`MessageVersion`]
    /// (written at the message's previous `edited_at`, or its timestamp); a removal sets
    /// `removed_at` and keeps the text. The timestamp, messageId and clientMessageId never
    /// change, so order and idempotent retries are unaffected. When the message is its
    /// conversation's newest, both participants' summaries show the change. Atomic.
    async fn revise_message(&self, revision: &Revision) -> Result<Option<Message>, StoreError>;

    /// The earlier texts of a message, oldest first; empty if it was never edited.
    async fn message_versions(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Result<Vec<MessageVersion>, StoreError>;

    /// The conversation's pause, if it is paused.
    async fn pause(&self, conversation: &ConversationId) -> Result<Option<Pause>, StoreError>;

    /// Pauses the conversation (`Some`) or resumes it (`None`), only if its pause is still
    /// the one the service read: none when `expected` is `None`, otherwise the one made at
    /// `expected`. Whether it was written. While a pause is stored,
    /// [`Store::append_if_linked`] refuses the conversation's member (its student or
    /// guardian), checked inside the append's write.
    async fn set_pause(
        &self,
        conversation: &ConversationId,
        expected: Option<Timestamp>,
        pause: Option<&Pause>,
    ) -> Result<bool, StoreError>;

    /// Files a report. If its reporter (or the flags) already reported the same message
    /// ([`Report::dedup_key`]), nothing is written and that report is returned instead.
    async fn put_report(&self, report: &Report) -> Result<Report, StoreError>;

    /// The report with this id.
    async fn report(&self, id: ReportId) -> Result<Option<Report>, StoreError>;

    /// Reports newest first, only those in `state` if given, strictly before the id
    /// `before`, at most `limit`.
    async fn list_reports(
        &self,
        state: Option<ReportState>,
        before: Option<ReportId>,
        limit: usize,
    ) -> Result<Vec<Report>, StoreError>;

    /// Adds `step` to the report (its state becomes `step.state`) only if it is still in
    /// `from`, and returns it as it now is; `None` if there is no such report;
    /// [`StoreError::Conflict`] (nothing written) if it has moved on from `from`.
    async fn step_report(
        &self,
        id: ReportId,
        from: ReportState,
        step: &ReportStep,
    ) -> Result<Option<Report>, StoreError>;

    /// Every legal hold, in [`HoldTarget`] order (users, then conversations).
    async fn holds(&self) -> Result<Vec<Hold>, StoreError>;

    /// Keeps `hold`; `false`, with nothing changed, if its target is held already.
    async fn put_hold(&self, hold: &Hold) -> Result<bool, StoreError>;

    /// Lifts the hold on `target`; whether there was one.
    async fn remove_hold(&self, target: &HoldTarget) -> Result<bool, StoreError>;

    /// Deletes a conversation for retention, in steps a crash can stop anywhere: each
    /// call deletes at most `batch` of its messages at or before `up_to`, oldest first,
    /// with everything kept for them (earlier versions, clientMessageId dedup records),
    /// atomically per call. Once none is left, the same call deletes the conversation's
    /// pause and both participants' summaries — but a summary only while its last message
    /// is at or before `up_to` (a message that arrived meanwhile keeps the conversation
    /// and its newer messages) — and answers `finished`. Calling again after `finished`
    /// deletes nothing and answers `finished`. Reports and the audit log are kept.
    async fn delete_conversation(
        &self,
        conversation: &ConversationId,
        up_to: Timestamp,
        batch: usize,
    ) -> Result<Deletion, StoreError>;

    /// Appends an entry to the audit log.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// Audit entries newest first, strictly before the entry id `before`, at most `limit`.
    async fn list_audit(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}
