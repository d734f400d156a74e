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
mod tests {
    use super::*;

    fn version(connection: &Connection) -> usize {
        connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn migrates_to_the_latest_version_once() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate(&mut connection).unwrap();
        assert_eq!(version(&connection), latest_version());
        // A second run has nothing to apply (and would fail re-creating the tables if it tried).
        migrate(&mut connection).unwrap();
        assert_eq!(version(&connection), latest_version());
    }

    #[test]
    fn the_families_migration_keeps_every_user_and_admits_guardians() {
        let mut connection = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..4] {
            connection.execute_batch(sql).unwrap();
        }
        connection.pragma_update(None, "user_version", 4).unwrap();
        connection
            .execute(
                "INSERT INTO users (user_id, display_name, role, password_hash, disabled, token_version)
                 VALUES ('t1', 'Tess', 'teacher', 'hash', 1, 7)",
                [],
            )
            .unwrap();
        migrate(&mut connection).unwrap();

        let kept: (String, String, String, bool, i64) = connection
            .query_row(
                "SELECT display_name, role, password_hash, disabled, token_version FROM users WHERE user_id = 't1'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            kept,
            ("Tess".into(), "teacher".into(), "hash".into(), true, 7)
        );
        let insert = |id: &str, role: &str| {
            connection.execute(
                "INSERT INTO users (user_id, display_name, role, password_hash) VALUES (?1, 'x', ?2, '')",
                [id, role],
            )
        };
        insert("g1", "guardian").expect("a guardian is a valid role now");
        assert!(
            insert("x1", "parent").is_err(),
            "other roles are still refused"
        );
    }

    #[test]
    fn the_notifications_migration_keeps_the_settings_and_defaults_the_new_ones() {
        let mut connection = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            connection.execute_batch(sql).unwrap();
        }
        connection.pragma_update(None, "user_version", 5).unwrap();
        connection
            .execute(
                "INSERT INTO settings (id, guardian_oversight) VALUES (1, 1)",
                [],
            )
            .unwrap();
        migrate(&mut connection).unwrap();

        let settings = crate::settings::get(&connection).unwrap();
        assert_eq!(
            settings,
            classchat_core::store::SchoolSettings {
                guardian_oversight: true,
                ..Default::default()
            },
            "a school's choice survives; the new settings are their defaults"
        );
    }

    #[test]
    fn the_safeguarding_migration_keeps_messages_and_settings_and_defaults_the_new_ones() {
        let mut connection = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..8] {
            connection.execute_batch(sql).unwrap();
        }
        connection.pragma_update(None, "user_version", 8).unwrap();
        connection
            .execute_batch(
                "INSERT INTO settings (id, guardian_oversight, urgent_senders) VALUES (1, 1, 't1');
                 INSERT INTO messages (conversation_id, ts, author, body, message_id)
                     VALUES ('s1+t1', 1, 's1', 'hi', '01JE0000000000000000000001');",
            )
            .unwrap();
        migrate(&mut connection).unwrap();

        let settings = crate::settings::get(&connection).unwrap();
        assert_eq!(
            settings,
            classchat_core::store::SchoolSettings {
                guardian_oversight: true,
                urgent_senders: vec![classchat_core::UserId::parse("t1").unwrap()],
                ..Default::default()
            },
            "a school's choices survive; the edit window is 15 minutes and nothing is flagged"
        );
        let revised: (Option<i64>, Option<i64>) = connection
            .query_row(
                "SELECT edited_at, removed_at FROM messages WHERE conversation_id = 's1+t1'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(revised, (None, None), "earlier messages were never revised");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut connection = Connection::open_in_memory().unwrap();
        connection
            .pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut connection),
            Err(StoreError::Internal(_))
        ));
    }
}
