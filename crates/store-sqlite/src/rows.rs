//! Rows as SQLite returns them, and their checked conversion into domain values.

use crate::error::corrupt;
use classchat_core::message::MessageBody;
use classchat_core::notify::Schedule;
use classchat_core::store::StoreError;
use classchat_core::{
    ClientMessageId, ConversationId, DisplayName, Message, MessageId, Role, Timestamp, User, UserId,
};
use rusqlite::Row;

/// The user columns, in the order `USER_COLUMNS` selects them.
pub(crate) const USER_COLUMNS: &str = "user_id, display_name, role, disabled";

/// A `users` row (without the hash).
pub(crate) struct UserRow {
    user_id: String,
    display_name: String,
    role: String,
    disabled: bool,
}

impl UserRow {
    /// Reads [`USER_COLUMNS`] starting at column `first`.
    pub(crate) fn read(row: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            user_id: row.get(first)?,
            display_name: row.get(first + 1)?,
            role: row.get(first + 2)?,
            disabled: row.get(first + 3)?,
        })
    }

    pub(crate) fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            id: user_id(&self.user_id)?,
            display_name: DisplayName::parse(&self.display_name)
                .map_err(|_| corrupt("display name"))?,
            role: self.role.parse::<Role>().map_err(|_| corrupt("role"))?,
            disabled: self.disabled,
        })
    }
}

/// The columns of a `messages` row, in the order [`MessageRow::read_stored`] expects.
pub(crate) const MESSAGE_COLUMNS: &str = "conversation_id, ts, author, body, message_id,
    client_message_id, edited_at, removed_at, announcement_id";

/// A message as stored, whether in `messages` or as a summary's last message.
pub(crate) struct MessageRow {
    pub(crate) conversation_id: String,
    pub(crate) ts: i64,
    pub(crate) author: String,
    pub(crate) body: String,
    pub(crate) message_id: String,
    pub(crate) client_message_id: Option<String>,
    pub(crate) edited_at: Option<i64>,
    pub(crate) removed_at: Option<i64>,
    pub(crate) announcement_id: Option<String>,
}

impl MessageRow {
    /// Reads the eight columns a message and a summary's last message share, starting at
    /// column `first`. (A summary does not keep the announcement id of its last message.)
    pub(crate) fn read(row: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            conversation_id: row.get(first)?,
            ts: row.get(first + 1)?,
            author: row.get(first + 2)?,
            body: row.get(first + 3)?,
            message_id: row.get(first + 4)?,
            client_message_id: row.get(first + 5)?,
            edited_at: row.get(first + 6)?,
            removed_at: row.get(first + 7)?,
            announcement_id: None,
        })
    }

    /// Reads [`MESSAGE_COLUMNS`] starting at column `first`.
    pub(crate) fn read_stored(row: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            announcement_id: row.get(first + 8)?,
            ..Self::read(row, first)?
        })
    }

    pub(crate) fn into_message(self) -> Result<Message, StoreError> {
        Ok(Message {
            conversation_id: ConversationId::parse_canonical(&self.conversation_id)
                .map_err(|_| corrupt("conversation id"))?,
            timestamp: timestamp(self.ts)?,
            author: user_id(&self.author)?,
            body: MessageBody::from_stored(self.body),
            message_id: MessageId::parse(&self.message_id).map_err(|_| corrupt("message id"))?,
            client_message_id: self
                .client_message_id
                .as_deref()
                .map(ClientMessageId::parse)
                .transpose()
                .map_err(|_| corrupt("client message id"))?,
            announcement_id: self
                .announcement_id
                .as_deref()
                .map(MessageId::parse)
                .transpose()
                .map_err(|_| corrupt("announcement id"))?,
            edited_at: self.edited_at.map(timestamp).transpose()?,
            removed_at: self.removed_at.map(timestamp).transpose()?,
        })
    }
}

/// The pairs of userIds `sql` selects (two text columns) with `params`: the rows of
/// links and guardian links alike.
pub(crate) fn id_pairs<P: rusqlite::Params>(
    connection: &rusqlite::Connection,
    sql: &str,
    params: P,
) -> Result<Vec<(UserId, UserId)>, StoreError> {
    let mut statement = connection
        .prepare_cached(sql)
        .map_err(crate::error::classify)?;
    let rows = statement
        .query_map(params, |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(crate::error::classify)?;
    rows.map(|row| {
        let (first, second) = row.map_err(crate::error::classify)?;
        Ok((user_id(&first)?, user_id(&second)?))
    })
    .collect()
}

pub(crate) fn user_id(raw: &str) -> Result<UserId, StoreError> {
    UserId::parse(raw).map_err(|_| corrupt("user id"))
}

pub(crate) fn timestamp(micros: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_micros(micros).ok_or_else(|| corrupt("timestamp"))
}

/// A schedule kept as [`Schedule::encode`] wrote it (NULL: none).
pub(crate) fn schedule(raw: Option<&str>) -> Result<Option<Schedule>, StoreError> {
    raw.map(|raw| Schedule::decode(raw).map_err(|_| corrupt("schedule")))
        .transpose()
}
