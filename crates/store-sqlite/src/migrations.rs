//! Versioned schema migrations, embedded in the binary and applied in order at open.
//! `PRAGMA user_version` records how many have run; each runs in its own transaction.
//!
//! Every query the store makes is an index range scan or point lookup on these tables:
//! messages are clustered by `(conversation_id, ts)`, summaries by `(user_id, …)`.

use crate::error::classify;
use classchat_core::store::StoreError;
use rusqlite::Connection;

/// The migrations, oldest first. Never edit one that has shipped: append a new one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('student', 'teacher', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX users_by_role ON users (role, user_id);

CREATE TABLE links (
    teacher_id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    PRIMARY KEY (teacher_id, student_id)
) WITHOUT ROWID;
CREATE INDEX links_by_student ON links (student_id, teacher_id);

-- The seed's Message table: partition key conversationId, sort key timestamp.
CREATE TABLE messages (
    conversation_id   TEXT NOT NULL,
    ts                INTEGER NOT NULL,
    author            TEXT NOT NULL,
    body              TEXT NOT NULL,
    message_id        TEXT NOT NULL,
    client_message_id TEXT,
    PRIMARY KEY (conversation_id, ts)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_by_client_id
    ON messages (author, client_message_id) WHERE client_message_id IS NOT NULL;

-- One row per participant per conversation with at least one message: the contact list
-- without scanning messages.
CREATE TABLE conversations (
    user_id                TEXT NOT NULL,
    conversation_id        TEXT NOT NULL,
    peer_id                TEXT NOT NULL,
    last_ts                INTEGER NOT NULL,
    last_author            TEXT NOT NULL,
    last_body              TEXT NOT NULL,
    last_message_id        TEXT NOT NULL,
    last_client_message_id TEXT,
    read_ts                INTEGER NOT NULL,
    unread_count           INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;
CREATE INDEX conversations_by_activity ON conversations (user_id, last_ts DESC);

CREATE TABLE audit (
    id     TEXT PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL
) WITHOUT ROWID;
"#,
    // Revocation: a token carries the version it was issued at and is void once this
    // moves past it.
    r#"
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
"#,
    // Roster imports: the account each imported person got, classes and their members,
    // and which links the roster derives (a link may be by hand, by the roster, or both;
    // the links before this migration were all by hand).
    r#"
CREATE TABLE roster_accounts (
    sourced_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL UNIQUE
) WITHOUT ROWID;

CREATE TABLE classes (
    sourced_id TEXT PRIMARY KEY,
    title      TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE class_members (
    sourced_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    teaches    INTEGER NOT NULL,
    PRIMARY KEY (sourced_id, teaches, user_id)
) WITHOUT ROWID;
CREATE INDEX class_members_by_user ON class_members (user_id, sourced_id);

ALTER TABLE links ADD COLUMN by_hand INTEGER NOT NULL DEFAULT 1;
ALTER TABLE links ADD COLUMN by_roster INTEGER NOT NULL DEFAULT 0;
CREATE INDEX links_by_roster ON links (teacher_id, student_id) WHERE by_roster = 1;
"#,
    // Class announcements: each copy carries the announcement's id (one copy per
    // conversation), and each (author, clientMessageId) of an announcement is kept so a
    // retry stores nothing twice.
    r#"
ALTER TABLE messages ADD COLUMN announcement_id TEXT;
CREATE UNIQUE INDEX messages_by_announcement
    ON messages (announcement_id, conversation_id) WHERE announcement_id IS NOT NULL;

CREATE TABLE announcements (
    author            TEXT NOT NULL,
    client_message_id TEXT NOT NULL,
    announcement_id   TEXT NOT NULL,
    class_id          TEXT NOT NULL,
    PRIMARY KEY (author, client_message_id)
) WITHOUT ROWID;
"#,
    // Families. The users table is rebuilt to let the role be `guardian` (SQLite cannot
    // change a CHECK constraint in place); its columns, rows and index stay as they were.
    //
    // `guardians` holds who is whose guardian; like `links`, a row says whether it was
    // added by hand, derived by the roster, or both, so that a roster import can tell them
    // apart (those before any import are all by hand). What a guardian and a teacher share
    // (a family link) is not stored: it is the join of `guardians` and `links` on the
    // child, so it can never disagree with either.
    //
    // `settings` is the school's settings as one row (`id` is always 1), one column per
    // setting with its default: a setting added later is a new column whose default is what
    // a school that never chose gets, and a missing row means every default.
    r#"
CREATE TABLE users_with_guardians (
    user_id       TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('student', 'teacher', 'guardian', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    token_version INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO users_with_guardians
    (user_id, display_name, role, password_hash, disabled, token_version)
    SELECT user_id, display_name, role, password_hash, disabled, token_version FROM users;
DROP TABLE users;
ALTER TABLE users_with_guardians RENAME TO users;
CREATE INDEX users_by_role ON users (role, user_id);

CREATE TABLE guardians (
    guardian_id TEXT NOT NULL,
    student_id  TEXT NOT NULL,
    by_hand     INTEGER NOT NULL DEFAULT 1,
    by_roster   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guardian_id, student_id)
) WITHOUT ROWID;
CREATE INDEX guardians_by_student ON guardians (student_id, guardian_id);
CREATE INDEX guardians_by_roster ON guardians (guardian_id, student_id) WHERE by_roster = 1;

CREATE TABLE settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    guardian_oversight INTEGER NOT NULL DEFAULT 0
);
"#,
    // Notifications. `notify_prefs` is one row per user who ever set preferences (no row:
    // the defaults); `hours` is their schedule as `Schedule::encode` writes it, NULL for
    // none.
    //
    // `push_subscriptions` is keyed by endpoint, so a browser has one owner: registering it
    // again, as anyone, replaces the row. It is a rowid table because an endpoint is a URL
    // of a few hundred bytes, too wide a key for WITHOUT ROWID to pay; its index lists one
    // user's subscriptions oldest first (then by endpoint), which is also the order the
    // oldest are trimmed in. `created` is in microseconds, like every timestamp here.
    //
    // The school's notification settings are new columns of `settings`, each defaulting to
    // what a school that never chose gets: no quiet hours, no message text in pushes or
    // digests.
    r#"
CREATE TABLE notify_prefs (
    user_id      TEXT PRIMARY KEY,
    push         INTEGER NOT NULL,
    email_digest INTEGER NOT NULL,
    hours        TEXT
) WITHOUT ROWID;

CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL,
    p256dh   TEXT NOT NULL,
    auth     TEXT NOT NULL,
    created  INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id, created, endpoint);

ALTER TABLE settings ADD COLUMN quiet_hours TEXT;
ALTER TABLE settings ADD COLUMN push_preview INTEGER NOT NULL DEFAULT 0;
ALTER TABLE settings ADD COLUMN digest_text INTEGER NOT NULL DEFAULT 0;
"#,
    // Notifications that wait, and who runs background jobs.
    //
    // `pending_notices` is at most one row per user and kind (`PendingKind::as_str`): a
    // second notice merges into the first, keeping the earlier `due` and `since` (both in
    // microseconds). Its index lists those due by a time in the order they are sent:
    // earliest first, then by user and kind, so the listing reads only the rows it returns.
    //
    // `leases` is one row per background job: who holds it and until when (microseconds).
    // Rows are never deleted; a lapsed one is taken over in place.
    r#"
CREATE TABLE pending_notices (
    user_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    due     INTEGER NOT NULL,
    since   INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
) WITHOUT ROWID;
CREATE INDEX pending_notices_by_due ON pending_notices (due, user_id, kind);

CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    // Email digests go to `notify_prefs.email` (NULL: none). `settings.urgent_senders` is
    // the teachers allowed urgent messages, their userIds separated by spaces (a userId
    // has none), in order; empty for nobody.
    r#"
ALTER TABLE notify_prefs ADD COLUMN email TEXT;
ALTER TABLE settings ADD COLUMN urgent_senders TEXT NOT NULL DEFAULT '';
"#,
    // Safeguarding. A message's `edited_at` and `removed_at` (microseconds, NULL: never)
    // are kept on its row, and on each summary row whose last message it is
    // (`last_edited_at`, `last_removed_at`), so contact lists show a revision without
    // reading `messages`. `message_versions` keeps every earlier text of an edited
    // message, numbered from 1 in the order they were replaced.
    //
    // `pauses` is one row per paused conversation; resuming deletes it.
    //
    // `reports` is the moderation queue, by id (a ULID, so in the order they were made);
    // `dedup_key` (`Report::dedup_key`) is unique, so a reporter has one report per
    // message; `reporter` is NULL for the school's flags. `reports_by_state` lists one
    // state newest first. `report_steps` keeps the steps admins took, numbered from 1.
    //
    // The school's edit window and flag rules are new columns of `settings`, with the
    // defaults a school that never chose gets; the lists are JSON arrays of strings (a
    // pattern may hold any character, a line break included).
    r#"
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN removed_at INTEGER;
ALTER TABLE conversations ADD COLUMN last_edited_at INTEGER;
ALTER TABLE conversations ADD COLUMN last_removed_at INTEGER;

CREATE TABLE message_versions (
    conversation_id TEXT NOT NULL,
    ts              INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    body            TEXT NOT NULL,
    written_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, ts, seq)
) WITHOUT ROWID;

CREATE TABLE pauses (
    conversation_id TEXT PRIMARY KEY,
    by_user         TEXT NOT NULL,
    by_role         TEXT NOT NULL,
    at              INTEGER NOT NULL,
    reason          TEXT
) WITHOUT ROWID;

CREATE TABLE reports (
    id              TEXT PRIMARY KEY,
    dedup_key       TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    ts              INTEGER NOT NULL,
    message_id      TEXT NOT NULL,
    author          TEXT NOT NULL,
    reporter        TEXT,
    reason          TEXT NOT NULL,
    details         TEXT,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX reports_by_state ON reports (state, id);

CREATE TABLE report_steps (
    report_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    state     TEXT NOT NULL,
    by_user   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    note      TEXT,
    PRIMARY KEY (report_id, seq)
) WITHOUT ROWID;

ALTER TABLE settings ADD COLUMN edit_window_minutes INTEGER NOT NULL DEFAULT 15;
ALTER TABLE settings ADD COLUMN flag_words TEXT NOT NULL DEFAULT '[]';
ALTER TABLE settings ADD COLUMN flag_patterns TEXT NOT NULL DEFAULT '[]';
"#,
    // Retention. `settings.retention_days` is the school's retention period in days, NULL
    // (the default) to keep everything.
    //
    // `holds` is one row per legal hold, keyed by its target as `HoldTarget::key` writes it
    // (`user:<userId>` or `conversation:<conversationId>`), so a target is held at most
    // once; lifting a hold deletes its row. `by_actor` is who set it (an admin's userId or
    // `cli`), `at` when (microseconds), `reason` why, NULL if not given.
    r#"
ALTER TABLE settings ADD COLUMN retention_days INTEGER;

CREATE TABLE holds (
    target   TEXT PRIMARY KEY,
    by_actor TEXT NOT NULL,
    at       INTEGER NOT NULL,
    reason   TEXT
) WITHOUT ROWID;
"#,
    // Summaries lose their index by activity. Every message moved two of its entries (one
    // per participant), a third of the pages a send dirtied, while the two queries it served
    // read a user's summaries whole anyway (the contact list) or nearly so (a `sync`): they
    // now read the user's primary-key range and sort what they return.
    r#"
DROP INDEX conversations_by_activity;
"#,
];

/// Brings the schema up to date. Refuses a database written by a newer classchat.
pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let applied: usize = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(classify)?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Internal(format!(
            "the database has schema version {applied}, newer than this classchat knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let transaction = connection.transaction().map_err(classify)?;
        transaction.execute_batch(sql).map_err(classify)?;
        transaction
            .pragma_update(None, "user_version", index + 1)
            .map_err(classify)?;
        transaction.commit().map_err(classify)?;
        tracing::info!(version = index + 1, "applied schema migration");
    }
    Ok(())
}

/// How many migrations this build knows.
#[cfg(test)]
pub(crate) fn latest_version() -> usize {
    MIGRATIONS.len()
}

#[cfg(test)]
mod tests;
