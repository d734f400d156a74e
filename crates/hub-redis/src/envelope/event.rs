//! Domain events as nodes exchange them, and their validation on receipt: every id and
//! value is checked again, as the service checks a client's.

use classchat_core::message::MessageBody;
use classchat_core::moderation::{Pause, PauseReason};
use classchat_core::{
    ChatError, ClientMessageId, ConversationId, ErrorCode, Event, Message, MessageId, Role,
    Timestamp, UserId,
};
use serde::{Deserialize, Serialize};

/// An event, as nodes exchange it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub(super) enum EventDto {
    Message(MessageFields),
    Typing {
        conversation_id: String,
        user: String,
    },
    Read {
        conversation_id: String,
        user: String,
        /// Microseconds since the Unix epoch.
        timestamp: i64,
    },
    Presence {
        user: String,
        online: bool,
    },
    Link {
        conversation_id: String,
        linked: bool,
    },
    /// An author edited a message: it as it now reads.
    Edited(MessageFields),
    /// An author removed a message: its tombstone, without the text.
    Removed(MessageFields),
    /// A conversation was paused, or resumed (`pause` absent or null).
    Paused {
        conversation_id: String,
        #[serde(default)]
        pause: Option<PauseFields>,
    },
}

/// A message, in every event that carries one.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageFields {
    conversation_id: String,
    /// Microseconds since the Unix epoch.
    timestamp: i64,
    author: String,
    /// Empty exactly when the message was removed (a tombstone).
    body: String,
    message_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_message_id: Option<String>,
    /// The class announcement the message is a copy of; absent for a plain message
    /// (and from nodes that predate announcements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    announcement_id: Option<String>,
    /// When its author last edited it, in microseconds; absent until then (and from nodes
    /// that predate edits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    edited_at: Option<i64>,
    /// When its author removed it, in microseconds; absent unless they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    removed_at: Option<i64>,
}

/// A conversation's pause.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PauseFields {
    by: String,
    by_role: String,
    /// Microseconds since the Unix epoch.
    at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl From<&Message> for MessageFields {
    fn from(message: &Message) -> Self {
        Self {
            conversation_id: message.conversation_id.to_string(),
            timestamp: message.timestamp.as_micros(),
            author: message.author.as_str().to_owned(),
            body: message.body.as_str().to_owned(),
            message_id: message.message_id.to_string(),
            client_message_id: message
                .client_message_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
            announcement_id: message.announcement_id.map(|id| id.to_string()),
            edited_at: message.edited_at.map(Timestamp::as_micros),
            removed_at: message.removed_at.map(Timestamp::as_micros),
        }
    }
}

impl From<&Pause> for PauseFields {
    fn from(pause: &Pause) -> Self {
        Self {
            by: pause.by.as_str().to_owned(),
            by_role: pause.by_role.as_str().to_owned(),
            at: pause.at.as_micros(),
            reason: pause
                .reason
                .as_ref()
                .map(|reason| reason.as_str().to_owned()),
        }
    }
}

impl From<&Event> for EventDto {
    fn from(event: &Event) -> Self {
        match event {
            Event::Message(message) => Self::Message(MessageFields::from(message)),
            Event::Typing {
                conversation_id,
                user,
            } => Self::Typing {
                conversation_id: conversation_id.to_string(),
                user: user.as_str().to_owned(),
            },
            Event::Read {
                conversation_id,
                user,
                timestamp,
            } => Self::Read {
                conversation_id: conversation_id.to_string(),
                user: user.as_str().to_owned(),
                timestamp: timestamp.as_micros(),
            },
            Event::Presence { user, online } => Self::Presence {
                user: user.as_str().to_owned(),
                online: *online,
            },
            Event::Link {
                conversation_id,
                linked,
            } => Self::Link {
                conversation_id: conversation_id.to_string(),
                linked: *linked,
            },
            Event::Edited(message) => Self::Edited(MessageFields::from(message)),
            Event::Removed(message) => Self::Removed(MessageFields::from(message)),
            Event::Paused {
                conversation_id,
                pause,
            } => Self::Paused {
                conversation_id: conversation_id.to_string(),
                pause: pause.as_ref().map(PauseFields::from),
            },
        }
    }
}

fn invalid(message: String) -> ChatError {
    ChatError::invalid(ErrorCode::InvalidRequest, message)
}

/// A timestamp in microseconds, if in range.
fn timestamp(micros: i64) -> Result<Timestamp, ChatError> {
    Timestamp::from_micros(micros)
        .ok_or_else(|| invalid(format!("timestamp {micros} out of range")))
}

impl EventDto {
    /// The event, every id and value validated as the service validates a client's.
    pub(super) fn validated(self) -> Result<Event, ChatError> {
        Ok(match self {
            Self::Message(message) => Event::Message(message.validated()?),
            Self::Typing {
                conversation_id,
                user,
            } => Event::Typing {
                conversation_id: ConversationId::parse_canonical(&conversation_id)?,
                user: UserId::parse(&user)?,
            },
            Self::Read {
                conversation_id,
                user,
                timestamp: at,
            } => Event::Read {
                conversation_id: ConversationId::parse_canonical(&conversation_id)?,
                user: UserId::parse(&user)?,
                timestamp: timestamp(at)?,
            },
            Self::Presence { user, online } => Event::Presence {
                user: UserId::parse(&user)?,
                online,
            },
            Self::Link {
                conversation_id,
                linked,
            } => Event::Link {
                conversation_id: ConversationId::parse_canonical(&conversation_id)?,
                linked,
            },
            Self::Edited(message) => Event::Edited(message.validated()?),
            Self::Removed(message) => {
                let message = message.validated()?;
                if message.removed_at.is_none() {
                    return Err(invalid("a removed message without removedAt".into()));
                }
                Event::Removed(message)
            }
            Self::Paused {
                conversation_id,
                pause,
            } => Event::Paused {
                conversation_id: ConversationId::parse_canonical(&conversation_id)?,
                pause: pause.map(PauseFields::validated).transpose()?,
            },
        })
    }
}

impl MessageFields {
    /// The message, validated. A removed message is a tombstone: its body must be empty
    /// (no node sends a removed message's text), and only a tombstone's may be.
    fn validated(self) -> Result<Message, ChatError> {
        let removed_at = self.removed_at.map(timestamp).transpose()?;
        let body = match removed_at {
            Some(_) if self.body.is_empty() => MessageBody::from_stored(String::new()),
            Some(_) => return Err(invalid("a removed message carries no text".into())),
            None => MessageBody::parse(&self.body)?,
        };
        Ok(Message {
            conversation_id: ConversationId::parse_canonical(&self.conversation_id)?,
            timestamp: timestamp(self.timestamp)?,
            author: UserId::parse(&self.author)?,
            body,
            message_id: MessageId::parse(&self.message_id)?,
            client_message_id: self
                .client_message_id
                .as_deref()
                .map(ClientMessageId::parse)
                .transpose()?,
            announcement_id: self
                .announcement_id
                .as_deref()
                .map(MessageId::parse)
                .transpose()?,
            edited_at: self.edited_at.map(timestamp).transpose()?,
            removed_at,
        })
    }
}

impl PauseFields {
    /// The pause, validated: made by a teacher or an admin, its reason as a person's
    /// would be checked.
    fn validated(self) -> Result<Pause, ChatError> {
        let by_role: Role = self.by_role.parse()?;
        if !matches!(by_role, Role::Teacher | Role::Admin) {
            return Err(invalid(format!("a pause by a {}", by_role.as_str())));
        }
        Ok(Pause {
            by: UserId::parse(&self.by)?,
            by_role,
            at: timestamp(self.at)?,
            reason: self.reason.as_deref().map(PauseReason::parse).transpose()?,
        })
    }
}
