//! Messages and the per-participant conversation summaries kept beside them.

use crate::error::classify;
use crate::rows::{MESSAGE_COLUMNS, MessageRow, timestamp};
use classchat_core::message::NewMessage;
use classchat_core::store::{Appended, MarkedRead, MessagePage, PageRequest, StoreError};
use classchat_core::{ConversationId, Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension, params};

/// Appends a message and updates both summaries. Runs inside the writer's transaction
/// (see `connection::Writer`), which makes the three writes one atomic, durable step.
pub(crate) fn append(connection: &Connection, new: &NewMessage) -> Result<Appended, StoreError> {
    if let Some(client_id) = &new.client_message_id {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE author = ?1 AND client_message_id = ?2"
        );
        let existing = connection
            .prepare_cached(&sql)
            .and_then(|mut statement| {
                statement
                    .query_row([new.author.as_str(), client_id.as_str()], |row| {
                        MessageRow::read_stored(row, 0)
                    })
                    .optional()
            })
            .map_err(classify)?;
        if let Some(row) = existing {
            return Ok(Appended::Existing(row.into_message()?));
        }
    }

    let conversation = new.conversation_id.to_string();
    let newest: Option<i64> = connection
        .prepare_cached("SELECT max(ts) FROM messages WHERE conversation_id = ?1")
        .and_then(|mut statement| statement.query_row([&conversation], |row| row.get(0)))
        .map_err(classify)?;
    let message = new.stored_after(newest.map(timestamp).transpose()?);
    let ts = message.timestamp;
    let message_id = message.message_id.to_string();
    let client_id = message.client_message_id.as_ref().map(|id| id.as_str());
    connection
        .prepare_cached(&format!(
            "INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, ?7)"
        ))
        .and_then(|mut statement| {
            statement.execute(params![
                conversation,
                ts.as_micros(),
                message.author.as_str(),
                message.body.as_str(),
                message_id,
                client_id,
                message.announcement_id.map(|id| id.to_string())
            ])
        })
        .map_err(classify)?;

    // Both summaries in one statement: the author's (nothing unread) and the peer's (one
    // more unread).
    let peer = new.conversation_id.peer_of(&new.author);
    connection
        .prepare_cached(
            "INSERT INTO conversations (user_id, conversation_id, peer_id, last_ts, last_author, last_body,
                                        last_message_id, last_client_message_id, read_ts, unread_count)
             VALUES (?1, ?3, ?2, ?4, ?1, ?5, ?6, ?7, ?8, 0), (?2, ?3, ?1, ?4, ?1, ?5, ?6, ?7, ?8, 1)
             ON CONFLICT (user_id, conversation_id) DO UPDATE SET
                last_ts = excluded.last_ts,
                last_author = excluded.last_author,
                last_body = excluded.last_body,
                last_message_id = excluded.last_message_id,
                last_client_message_id = excluded.last_client_message_id,
                last_edited_at = NULL,
                last_removed_at = NULL,
                unread_count = unread_count + excluded.unread_count",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                message.author.as_str(),
                peer.as_str(),
                conversation,
                ts.as_micros(),
                message.body.as_str(),
                message_id,
                client_id,
                Timestamp::MIN.as_micros(),
            ])
        })
        .map_err(classify)?;
    Ok(Appended::Created(message))
}

/// One page of a conversation, ascending.
pub(crate) fn read(
    connection: &Connection,
    conversation: &ConversationId,
    page: &PageRequest,
) -> Result<MessagePage, StoreError> {
    let conversation = conversation.to_string();
    let before = page.before.map_or(i64::MAX, Timestamp::as_micros);
    let fetch = i64::try_from(page.limit + 1).unwrap_or(i64::MAX);
    let (sql, lower) = match page.after {
        Some(after) => (
            format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages
                 WHERE conversation_id = ?1 AND ts > ?2 AND ts < ?3 ORDER BY ts ASC LIMIT ?4"
            ),
            after.as_micros(),
        ),
        None => (
            format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages
                 WHERE conversation_id = ?1 AND ts > ?2 AND ts < ?3 ORDER BY ts DESC LIMIT ?4"
            ),
            i64::MIN,
        ),
    };
    let mut statement = connection.prepare_cached(&sql).map_err(classify)?;
    let rows = statement
        .query_map(params![conversation, lower, before, fetch], |row| {
            MessageRow::read_stored(row, 0)
        })
        .map_err(classify)?;
    let mut messages = rows
        .map(|row| row.map_err(classify).and_then(MessageRow::into_message))
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = messages.len() > page.limit;
    messages.truncate(page.limit);
    if page.after.is_none() {
        messages.reverse();
    }
    Ok(MessagePage { messages, has_more })
}

pub(crate) fn has_any(
    connection: &Connection,
    conversation: &ConversationId,
) -> Result<bool, StoreError> {
    connection
        .prepare_cached("SELECT 1 FROM messages WHERE conversation_id = ?1 LIMIT 1")
        .and_then(|mut statement| statement.exists([conversation.to_string()]))
        .map_err(classify)
}

/// `user`'s read marker, `None` without a summary row or before their first read.
pub(crate) fn read_marker(
    connection: &Connection,
    user: &UserId,
    conversation: &ConversationId,
) -> Result<Option<Timestamp>, StoreError> {
    let read_ts: Option<i64> = connection
        .prepare_cached(
            "SELECT read_ts FROM conversations WHERE user_id = ?1 AND conversation_id = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row([user.as_str(), &conversation.to_string()], |row| row.get(0))
                .optional()
        })
        .map_err(classify)?;
    match read_ts {
        Some(read_ts) if read_ts > Timestamp::MIN.as_micros() => timestamp(read_ts).map(Some),
        _ => Ok(None),
    }
}

/// `user`'s unread count in the conversation, as their summary row keeps it (0 without
/// one).
pub(crate) fn unread_count(
    connection: &Connection,
    user: &UserId,
    conversation: &ConversationId,
) -> Result<u64, StoreError> {
    let unread: Option<i64> = connection
        .prepare_cached(
            "SELECT unread_count FROM conversations WHERE user_id = ?1 AND conversation_id = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row([user.as_str(), &conversation.to_string()], |row| row.get(0))
                .optional()
        })
        .map_err(classify)?;
    Ok(unread.map_or(0, |unread| u64::try_from(unread).unwrap_or(0)))
}

/// Where `mark_read(up_to)` would put `user`'s marker, read without writing: `None` without
/// a summary row (no messages yet), otherwise the marker and whether it would move. The
/// store asks this on a reader first, so that repeating a `markRead` never queues behind
/// the writer; the writer asks again before writing, since only its answer is current.
pub(crate) fn plan_mark_read(
    connection: &Connection,
    user: &UserId,
    conversation: &ConversationId,
    up_to: Timestamp,
) -> Result<Option<MarkedRead>, StoreError> {
    let summary: Option<(i64, i64)> = connection
        .prepare_cached("SELECT read_ts, last_ts FROM conversations WHERE user_id = ?1 AND conversation_id = ?2")
        .and_then(|mut statement| {
            statement
                .query_row([user.as_str(), &conversation.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(classify)?;
    let Some((read_ts, last_ts)) = summary else {
        return Ok(None);
    };
    let marker = read_ts.max(up_to.as_micros().min(last_ts));
    Ok(Some(MarkedRead {
        marker: timestamp(marker)?,
        moved: marker > read_ts,
    }))
}

/// Moves a read marker forward and recounts unread messages from the marker on (a range
/// scan of the conversation's newest messages only); writes nothing when it would not move.
/// Runs on the writer, so nothing changes between the check and the write.
pub(crate) fn mark_read(
    connection: &Connection,
    user: &UserId,
    conversation: &ConversationId,
    up_to: Timestamp,
) -> Result<Option<MarkedRead>, StoreError> {
    let plan = plan_mark_read(connection, user, conversation, up_to)?;
    let Some(MarkedRead {
        marker,
        moved: true,
    }) = plan
    else {
        return Ok(plan);
    };
    let conversation = conversation.to_string();
    let unread: i64 = connection
        .prepare_cached(
            "SELECT count(*) FROM messages WHERE conversation_id = ?1 AND ts > ?2 AND author <> ?3",
        )
        .and_then(|mut statement| {
            statement.query_row(
                params![conversation, marker.as_micros(), user.as_str()],
                |row| row.get(0),
            )
        })
        .map_err(classify)?;
    connection
        .prepare_cached(
            "UPDATE conversations SET read_ts = ?3, unread_count = ?4 WHERE user_id = ?1 AND conversation_id = ?2 AND read_ts < ?3",
        )
        .and_then(|mut statement| {
            statement.execute(params![user.as_str(), conversation, marker.as_micros(), unread])
        })
        .map_err(classify)?;
    Ok(plan)
}
