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
