//! Deleting a conversation for retention, one bounded step per write job: the oldest
//! messages at or before an instant with their earlier versions, and, once none is left,
//! the pause and the summaries that end at or before it.
//!
//! A message's clientMessageId record is its row (the unique index
//! `messages_by_client_id`), so it goes with the message; so does its place in
//! `messages_by_announcement`. An announcement's per-teacher record (`announcements`) is
//! not a message's and stays. Reports and the audit log are never touched.

use crate::error::classify;
use classchat_core::store::{Deletion, StoreError};
use classchat_core::{ConversationId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

/// One step (see the port's `delete_conversation`). Runs as one write job, so the step is
/// one transaction: a crash leaves it done or not begun, and every step reads only an
/// index range of the conversation's oldest messages.
pub(crate) fn step(
    connection: &Connection,
    conversation: &ConversationId,
    up_to: Timestamp,
    batch: usize,
) -> Result<Deletion, StoreError> {
    let id = conversation.to_string();
    let limit = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
    // The newest of the batch: the batch is every message at or before it.
    let newest: Option<i64> = connection
        .prepare_cached(
            "SELECT max(ts) FROM (
                SELECT ts FROM messages WHERE conversation_id = ?1 AND ts <= ?2
                ORDER BY ts LIMIT ?3
             )",
        )
        .and_then(|mut statement| {
            statement.query_row(params![id, up_to.as_micros(), limit], |row| row.get(0))
        })
        .map_err(classify)?;
    let mut messages = 0;
    if let Some(newest) = newest {
        connection
            .prepare_cached("DELETE FROM message_versions WHERE conversation_id = ?1 AND ts <= ?2")
            .and_then(|mut statement| statement.execute(params![id, newest]))
            .map_err(classify)?;
        let deleted = connection
            .prepare_cached("DELETE FROM messages WHERE conversation_id = ?1 AND ts <= ?2")
            .and_then(|mut statement| statement.execute(params![id, newest]))
            .map_err(classify)?;
        messages = u64::try_from(deleted).unwrap_or(u64::MAX);
    }
    let left = connection
        .prepare_cached("SELECT 1 FROM messages WHERE conversation_id = ?1 AND ts <= ?2 LIMIT 1")
        .and_then(|mut statement| {
            statement
                .query_row(params![id, up_to.as_micros()], |_| Ok(()))
                .optional()
        })
        .map_err(classify)?
        .is_some();
    if left {
        return Ok(Deletion {
            messages,
            finished: false,
        });
    }
    connection
        .prepare_cached("DELETE FROM pauses WHERE conversation_id = ?1")
        .and_then(|mut statement| statement.execute([&id]))
        .map_err(classify)?;
    for participant in [conversation.member(), conversation.teacher()] {
        // A summary on a message newer than `up_to` keeps the conversation listed.
        connection
            .prepare_cached(
                "DELETE FROM conversations
                 WHERE user_id = ?1 AND conversation_id = ?2 AND last_ts <= ?3",
            )
            .and_then(|mut statement| {
                statement.execute(params![participant.as_str(), id, up_to.as_micros()])
            })
            .map_err(classify)?;
    }
    Ok(Deletion {
        messages,
        finished: true,
    })
}
