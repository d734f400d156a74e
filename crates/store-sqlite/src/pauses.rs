//! Paused conversations: one `pauses` row each, written or deleted only over the pause the
//! service read, and checked by the append of a member's message in its own write.

use crate::error::{classify, corrupt};
use crate::rows::{timestamp, user_id};
use classchat_core::message::NewMessage;
use classchat_core::moderation::PauseReason;
use classchat_core::store::{Pause, StoreError};
use classchat_core::{ConversationId, Role, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

/// The conversation's pause, if it is paused.
pub(crate) fn get(
    connection: &Connection,
    conversation: &ConversationId,
) -> Result<Option<Pause>, StoreError> {
    type Row = (String, String, i64, Option<String>);
    let row: Option<Row> = connection
        .prepare_cached(
            "SELECT by_user, by_role, at, reason FROM pauses WHERE conversation_id = ?1",
        )
        .and_then(|mut statement| {
            statement
                .query_row([conversation.to_string()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .optional()
        })
        .map_err(classify)?;
    let Some((by, by_role, at, reason)) = row else {
        return Ok(None);
    };
    Ok(Some(Pause {
        by: user_id(&by)?,
        by_role: by_role.parse::<Role>().map_err(|_| corrupt("pause role"))?,
        at: timestamp(at)?,
        reason: reason.map(PauseReason::from_stored),
    }))
}

/// Pauses (`Some`) or resumes (`None`) the conversation if its pause is still the one made
/// at `expected` (none for `None`); whether it did. Runs as one write job, so nothing
/// changes between the check and the write.
pub(crate) fn set(
    connection: &Connection,
    conversation: &ConversationId,
    expected: Option<Timestamp>,
    pause: Option<&Pause>,
) -> Result<bool, StoreError> {
    let conversation = conversation.to_string();
    let current: Option<i64> = connection
        .prepare_cached("SELECT at FROM pauses WHERE conversation_id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([&conversation], |row| row.get(0))
                .optional()
        })
        .map_err(classify)?;
    if current != expected.map(Timestamp::as_micros) {
        return Ok(false);
    }
    match pause {
        Some(pause) => connection
            .prepare_cached(
                "INSERT INTO pauses (conversation_id, by_user, by_role, at, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (conversation_id) DO UPDATE SET
                    by_user = excluded.by_user,
                    by_role = excluded.by_role,
                    at = excluded.at,
                    reason = excluded.reason",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    conversation,
                    pause.by.as_str(),
                    pause.by_role.as_str(),
                    pause.at.as_micros(),
                    pause.reason.as_ref().map(PauseReason::as_str)
                ])
            }),
        None => connection
            .prepare_cached("DELETE FROM pauses WHERE conversation_id = ?1")
            .and_then(|mut statement| statement.execute([&conversation])),
    }
    .map_err(classify)?;
    Ok(true)
}

/// Whether a pause refuses `message`: its author is the conversation's member (student or
/// guardian) and the conversation is paused. Called by the writer inside the append's
/// transaction, like the link check.
pub(crate) fn refuses(connection: &Connection, message: &NewMessage) -> Result<bool, StoreError> {
    let conversation = &message.conversation_id;
    if message.author != *conversation.member() {
        return Ok(false);
    }
    connection
        .prepare_cached("SELECT 1 FROM pauses WHERE conversation_id = ?1")
        .and_then(|mut statement| statement.exists([conversation.to_string()]))
        .map_err(classify)
}
