//! Contact lists, answered from links and summaries without touching `messages`.

use crate::error::classify;
use crate::rows::{MessageRow, UserRow};
use classchat_core::store::{Contact, Side, StoreError};
use classchat_core::{ConversationId, UserId};
use rusqlite::{Connection, Row};

/// Columns shared by both queries, after the conversation id the query selects first (0):
/// the peer (1–4), the last message (5–12, NULL without one) and the unread count (13).
pub(crate) const CONTACT_COLUMNS: &str = "u.user_id, u.display_name, u.role, u.disabled,
    c.conversation_id, c.last_ts, c.last_author, c.last_body, c.last_message_id, c.last_client_message_id,
    c.last_edited_at, c.last_removed_at, coalesce(c.unread_count, 0)";

/// Every peer linked to `user`, with the summary if a message exists.
pub(crate) fn linked(
    connection: &Connection,
    user: &UserId,
    side: Side,
) -> Result<Vec<Contact>, StoreError> {
    // A student's peers are the teachers of their links, and the other way round.
    let (own_column, peer_column) = match side {
        Side::Teacher => ("teacher_id", "student_id"),
        Side::Student => ("student_id", "teacher_id"),
    };
    let sql = format!(
        "SELECT p.conversation_id, {CONTACT_COLUMNS} FROM (
            SELECT l.{peer_column} AS peer_id, l.student_id || '+' || l.teacher_id AS conversation_id
            FROM links l WHERE l.{own_column} = ?1
         ) AS p
         JOIN users u ON u.user_id = p.peer_id
         LEFT JOIN conversations c ON c.user_id = ?1 AND c.conversation_id = p.conversation_id
         ORDER BY u.display_name, u.user_id"
    );
    query(connection, &sql, user)
}

/// Conversations of `user` with at least one message, newest activity first.
pub(crate) fn active(connection: &Connection, user: &UserId) -> Result<Vec<Contact>, StoreError> {
    let sql = format!(
        "SELECT c.conversation_id, {CONTACT_COLUMNS} FROM conversations c
         JOIN users u ON u.user_id = c.peer_id
         WHERE c.user_id = ?1
         ORDER BY c.last_ts DESC"
    );
    query(connection, &sql, user)
}

/// Conversations of `user` with a message newer than `since`.
pub(crate) fn active_since(
    connection: &Connection,
    user: &UserId,
    since: classchat_core::Timestamp,
) -> Result<Vec<ConversationId>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT conversation_id FROM conversations WHERE user_id = ?1 AND last_ts > ?2",
        )
        .map_err(classify)?;
    let rows = statement
        .query_map(rusqlite::params![user.as_str(), since.as_micros()], |row| {
            row.get::<_, String>(0)
        })
        .map_err(classify)?;
    rows.map(|row| {
        let raw = row.map_err(classify)?;
        ConversationId::parse_canonical(&raw).map_err(|_| crate::error::corrupt("conversation id"))
    })
    .collect()
}

fn query(connection: &Connection, sql: &str, user: &UserId) -> Result<Vec<Contact>, StoreError> {
    let mut statement = connection.prepare_cached(sql).map_err(classify)?;
    let rows = statement
        .query_map([user.as_str()], read_row)
        .map_err(classify)?;
    rows.map(|row| contact(row.map_err(classify)?)).collect()
}

/// A contact row as [`read_row`] reads it: the peer, the conversation id, the last message
/// and the unread count.
pub(crate) type ContactRow = (UserRow, String, Option<MessageRow>, i64);

/// The contact line of a row, with no family (a plain contact: see [`Contact::family`]).
pub(crate) fn contact(row: ContactRow) -> Result<Contact, StoreError> {
    let (peer, conversation_id, last, unread) = row;
    Ok(Contact {
        peer: peer.into_user()?,
        conversation_id: ConversationId::parse_canonical(&conversation_id)
            .map_err(|_| crate::error::corrupt("conversation id"))?,
        last_message: last.map(MessageRow::into_message).transpose()?,
        unread_count: u64::try_from(unread).unwrap_or(0),
        family: Vec::new(),
    })
}

/// Reads the conversation id (column 0) and [`CONTACT_COLUMNS`] (1–13) of a row.
pub(crate) fn read_row(row: &Row<'_>) -> rusqlite::Result<ContactRow> {
    let has_message = row.get::<_, Option<String>>(5)?.is_some();
    let last = if has_message {
        Some(MessageRow::read(row, 5)?)
    } else {
        None
    };
    Ok((UserRow::read(row, 1)?, row.get(0)?, last, row.get(13)?))
}
