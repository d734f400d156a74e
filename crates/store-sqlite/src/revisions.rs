//! An author's edits and removals: the message row changes in place (its key, messageId
//! and clientMessageId never do), every replaced text is kept in `message_versions`, and
//! summary rows whose last message it is follow.

use crate::error::classify;
use crate::rows::{MESSAGE_COLUMNS, MessageRow, timestamp};
use classchat_core::message::MessageBody;
use classchat_core::store::{MessageVersion, Revision, RevisionKind, StoreError};
use classchat_core::{ConversationId, Message, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

/// The message at `(conversation, ts)` as stored, removed or not.
pub(crate) fn message(
    connection: &Connection,
    conversation: &ConversationId,
    ts: Timestamp,
) -> Result<Option<Message>, StoreError> {
    let sql =
        format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND ts = ?2");
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement
                .query_row(params![conversation.to_string(), ts.as_micros()], |row| {
                    MessageRow::read_stored(row, 0)
                })
                .optional()
        })
        .map_err(classify)?;
    row.map(MessageRow::into_message).transpose()
}

/// Applies a revision (see the port's `revise_message`). Runs as one write job, so the
/// check of `edited_at` and `removed_at`, the version, the message and both summaries are
/// one transaction, and no other write comes between the check and the change.
pub(crate) fn revise(
    connection: &Connection,
    revision: &Revision,
) -> Result<Option<Message>, StoreError> {
    let Some(current) = message(connection, &revision.conversation_id, revision.timestamp)? else {
        return Ok(None);
    };
    if current.removed_at.is_some() || current.edited_at != revision.expected_edited_at {
        return Err(StoreError::Conflict(
            "the message changed since it was read".into(),
        ));
    }
    let conversation = revision.conversation_id.to_string();
    let ts = revision.timestamp.as_micros();
    let revised = match &revision.kind {
        RevisionKind::Edit(body) => {
            let written_at = current.edited_at.unwrap_or(current.timestamp);
            connection
                .prepare_cached(
                    "INSERT INTO message_versions (conversation_id, ts, seq, body, written_at)
                     VALUES (?1, ?2,
                             (SELECT coalesce(max(seq), 0) + 1 FROM message_versions
                              WHERE conversation_id = ?1 AND ts = ?2),
                             ?3, ?4)",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        conversation,
                        ts,
                        current.body.as_str(),
                        written_at.as_micros()
                    ])
                })
                .map_err(classify)?;
            connection
                .prepare_cached(
                    "UPDATE messages SET body = ?3, edited_at = ?4
                     WHERE conversation_id = ?1 AND ts = ?2",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        conversation,
                        ts,
                        body.as_str(),
                        revision.at.as_micros()
                    ])
                })
                .map_err(classify)?;
            Message {
                body: body.clone(),
                edited_at: Some(revision.at),
                ..current
            }
        }
        RevisionKind::Remove => {
            connection
                .prepare_cached(
                    "UPDATE messages SET removed_at = ?3 WHERE conversation_id = ?1 AND ts = ?2",
                )
                .and_then(|mut statement| {
                    statement.execute(params![conversation, ts, revision.at.as_micros()])
                })
                .map_err(classify)?;
            Message {
                removed_at: Some(revision.at),
                ..current
            }
        }
    };
    update_summaries(connection, &revised)?;
    Ok(Some(revised))
}

/// Both participants' summary rows show `message` as it now is, if it is their last
/// message (a point lookup each; an older message's revision changes neither).
fn update_summaries(connection: &Connection, message: &Message) -> Result<(), StoreError> {
    let conversation = message.conversation_id.to_string();
    for user in [
        message.conversation_id.member(),
        message.conversation_id.teacher(),
    ] {
        connection
            .prepare_cached(
                "UPDATE conversations SET last_body = ?4, last_edited_at = ?5, last_removed_at = ?6
                 WHERE user_id = ?1 AND conversation_id = ?2 AND last_ts = ?3",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    user.as_str(),
                    conversation,
                    message.timestamp.as_micros(),
                    message.body.as_str(),
                    message.edited_at.map(Timestamp::as_micros),
                    message.removed_at.map(Timestamp::as_micros)
                ])
            })
            .map_err(classify)?;
    }
    Ok(())
}

/// The earlier texts of a message, oldest first.
pub(crate) fn versions(
    connection: &Connection,
    conversation: &ConversationId,
    ts: Timestamp,
) -> Result<Vec<MessageVersion>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT body, written_at FROM message_versions
             WHERE conversation_id = ?1 AND ts = ?2 ORDER BY seq",
        )
        .map_err(classify)?;
    let rows = statement
        .query_map(params![conversation.to_string(), ts.as_micros()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(classify)?;
    rows.map(|row| {
        let (body, written_at) = row.map_err(classify)?;
        Ok(MessageVersion {
            body: MessageBody::from_stored(body),
            written_at: timestamp(written_at)?,
        })
    })
    .collect()
}
