//! Classes as their members read them, and class announcements: every copy and the
//! record of the teacher's clientMessageId written in one transaction.

use crate::error::classify;
use crate::messages;
use crate::rows::{MESSAGE_COLUMNS, MessageRow, user_id};
use crate::users;
use classchat_core::roster::{Class, SourcedId};
use classchat_core::store::{Announced, Appended, Link, NewAnnouncement, StoreError};
use classchat_core::{MessageId, UserId};
use rusqlite::{Connection, OptionalExtension};

fn sourced_id(raw: &str) -> Result<SourcedId, StoreError> {
    SourcedId::parse(raw).ok_or_else(|| StoreError::Internal("corrupt sourcedId".into()))
}

/// One class with its members, or `None`.
pub(crate) fn class(connection: &Connection, id: &SourcedId) -> Result<Option<Class>, StoreError> {
    let title: Option<String> = connection
        .prepare_cached("SELECT title FROM classes WHERE sourced_id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([id.as_str()], |row| row.get(0))
                .optional()
        })
        .map_err(classify)?;
    let Some(title) = title else {
        return Ok(None);
    };
    let mut class = Class {
        sourced_id: id.clone(),
        title,
        teachers: Vec::new(),
        students: Vec::new(),
    };
    let mut statement = connection
        .prepare_cached(
            "SELECT teaches, user_id FROM class_members WHERE sourced_id = ?1
             ORDER BY teaches, user_id",
        )
        .map_err(classify)?;
    let rows = statement
        .query_map([id.as_str()], |row| {
            Ok((row.get::<_, bool>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(classify)?;
    for row in rows {
        let (teaches, member) = row.map_err(classify)?;
        let members = if teaches {
            &mut class.teachers
        } else {
            &mut class.students
        };
        members.push(user_id(&member)?);
    }
    Ok(Some(class))
}

/// The classes `user` teaches or takes, in sourcedId order.
pub(crate) fn classes_of(connection: &Connection, user: &UserId) -> Result<Vec<Class>, StoreError> {
    let ids: Vec<String> = {
        let mut statement = connection
            .prepare_cached(
                "SELECT DISTINCT sourced_id FROM class_members WHERE user_id = ?1
                 ORDER BY sourced_id",
            )
            .map_err(classify)?;
        let rows = statement
            .query_map([user.as_str()], |row| row.get(0))
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)?
    };
    let mut classes = Vec::with_capacity(ids.len());
    for raw in ids {
        if let Some(found) = class(connection, &sourced_id(&raw)?)? {
            classes.push(found);
        }
    }
    Ok(classes)
}

/// Stores an announcement (see the port): runs as one write job, so in one transaction.
pub(crate) fn append(
    connection: &Connection,
    announcement: &NewAnnouncement,
) -> Result<Announced, StoreError> {
    let author = announcement.author.as_str();
    let client_id = announcement.client_message_id.as_str();
    let recorded: Option<(String, String)> = connection
        .prepare_cached(
            "SELECT announcement_id, class_id FROM announcements
             WHERE author = ?1 AND client_message_id = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row([author, client_id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(classify)?;
    let (id, class_id) = match recorded {
        Some((id, class_id)) => (
            MessageId::parse(&id)
                .map_err(|_| StoreError::Internal("corrupt announcement id".into()))?,
            sourced_id(&class_id)?,
        ),
        None => {
            connection
                .prepare_cached(
                    "INSERT INTO announcements (author, client_message_id, announcement_id, class_id)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut statement| {
                    statement.execute([
                        author,
                        client_id,
                        &announcement.id.to_string(),
                        announcement.class_id.as_str(),
                    ])
                })
                .map_err(classify)?;
            (announcement.id, announcement.class_id.clone())
        }
    };
    let existing = copies(connection, id)?;
    let mut created = Vec::new();
    // A clientMessageId reused for another class stores nothing: the service refuses it.
    let same_class = class_id == announcement.class_id;
    for new in announcement.messages.iter().filter(|_| same_class) {
        let covered = existing
            .iter()
            .any(|message| message.conversation_id == new.conversation_id);
        if covered || !users::is_linked(connection, &Link::of(&new.conversation_id))? {
            continue;
        }
        let mut copy = new.clone();
        copy.announcement_id = Some(id);
        if let Appended::Created(message) = messages::append(connection, &copy)? {
            created.push(message);
        }
    }
    Ok(Announced {
        id,
        class_id,
        created,
        existing,
    })
}

/// The copies of an announcement stored so far.
fn copies(
    connection: &Connection,
    id: MessageId,
) -> Result<Vec<classchat_core::Message>, StoreError> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE announcement_id = ?1");
    let mut statement = connection.prepare_cached(&sql).map_err(classify)?;
    let rows = statement
        .query_map([id.to_string()], |row| MessageRow::read_stored(row, 0))
        .map_err(classify)?;
    rows.map(|row| row.map_err(classify).and_then(MessageRow::into_message))
        .collect()
}
