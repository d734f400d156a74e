//! The WebSocket frame protocol of DESIGN.md: JSON text frames routed on `action` (API
//! Gateway style) from clients, and typed by `type` from the server.

use crate::codes::TransportCode;
use crate::dto::{MessageDto, PauseDto, quiet_fields};
use axum::extract::ws::Utf8Bytes;
use classchat_core::service::Sent;
use classchat_core::{ChatError, Event};
use classchat_live::WireFormat;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A frame from a client, after routing on `action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// Store a message and deliver it.
    SendMessage {
        /// The conversation, either id order.
        conversation_id: String,
        /// The text.
        message_body: String,
        /// Idempotency id, echoed in the `ack` or `error`.
        client_message_id: Option<String>,
        /// Notify the recipient even in their quiet hours (teachers the school allows).
        urgent: bool,
    },
    /// The caller is typing.
    Typing {
        /// The conversation.
        conversation_id: String,
    },
    /// Replace the text of the caller's own message (answered by `messageEdited`).
    EditMessage {
        /// The conversation.
        conversation_id: String,
        /// The message's timestamp.
        timestamp: String,
        /// The new text.
        message_body: String,
    },
    /// Remove the caller's own message (answered by `messageRemoved`).
    RemoveMessage {
        /// The conversation.
        conversation_id: String,
        /// The message's timestamp.
        timestamp: String,
    },
    /// Move the caller's read marker.
    MarkRead {
        /// The conversation.
        conversation_id: String,
        /// Read up to here.
        timestamp: String,
    },
    /// Replay everything after `since`, then continue live.
    Sync {
        /// The timestamp of the last message the client has.
        since: String,
    },
    /// Keep-alive; answered with `pong`.
    Ping,
}

/// Why a frame could not be understood; each becomes an `error` frame and the connection
/// stays open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Stable code.
    pub code: TransportCode,
    /// Explanation.
    pub message: String,
    /// The clientMessageId, if one could be read, so the client knows which send failed.
    pub client_message_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendMessageFields {
    conversation_id: String,
    message_body: String,
    client_message_id: Option<String>,
    #[serde(default)]
    urgent: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConversationFields {
    conversation_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MarkReadFields {
    conversation_id: String,
    timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EditMessageFields {
    conversation_id: String,
    timestamp: String,
    message_body: String,
}

#[derive(Deserialize)]
struct SyncFields {
    since: String,
}

impl ClientFrame {
    /// Parses a text frame: first as JSON, then routes on `action`, then reads the
    /// action's fields — so each failure gets its own precise error.
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        let value: Value = serde_json::from_str(text).map_err(|error| FrameError {
            code: TransportCode::InvalidJson,
            message: format!("the frame is not valid JSON: {error}"),
            client_message_id: None,
        })?;
        let client_message_id = value
            .get("clientMessageId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let invalid = |error: serde_json::Error| FrameError {
            code: TransportCode::InvalidFrame,
            message: format!("the frame does not have the expected fields: {error}"),
            client_message_id: client_message_id.clone(),
        };
        let Some(action) = value.get("action").and_then(Value::as_str) else {
            return Err(FrameError {
                code: TransportCode::InvalidFrame,
                message: "a frame is a JSON object with a string \"action\"".into(),
                client_message_id: client_message_id.clone(),
            });
        };
        match action {
            "sendMessage" => {
                let fields: SendMessageFields = serde_json::from_value(value).map_err(invalid)?;
                Ok(Self::SendMessage {
                    conversation_id: fields.conversation_id,
                    message_body: fields.message_body,
                    client_message_id: fields.client_message_id,
                    urgent: fields.urgent,
                })
            }
            "typing" => {
                let fields: ConversationFields = serde_json::from_value(value).map_err(invalid)?;
                Ok(Self::Typing {
                    conversation_id: fields.conversation_id,
                })
            }
            "markRead" => {
                let fields: MarkReadFields = serde_json::from_value(value).map_err(invalid)?;
                Ok(Self::MarkRead {
                    conversation_id: fields.conversation_id,
                    timestamp: fields.timestamp,
                })
            }
            "editMessage" => {
                let fields: EditMessageFields = serde_json::from_value(value).map_err(invalid)?;
                Ok(Self::EditMessage {
                    conversation_id: fields.conversation_id,
                    timestamp: fields.timestamp,
                    message_body: fields.message_body,
                })
            }
            "removeMessage" => {
                // The same fields as `markRead`: a conversation and a message's timestamp.
                let fields: MarkReadFields = serde_json::from_value(value).map_err(invalid)?;
                Ok(Self::RemoveMessage {
                    conversation_id: fields.conversation_id,
                    timestamp: fields.timestamp,
                })
            }
            "sync" => {
                let fields: SyncFields = serde_json::from_value(value).map_err(invalid)?;
                Ok(Self::Sync {
                    since: fields.since,
                })
            }
            "ping" => Ok(Self::Ping),
            other => Err(FrameError {
                code: TransportCode::UnknownAction,
                message: format!(
                    "unknown action {other:?}; use sendMessage, typing, markRead, editMessage, \
                     removeMessage, sync or ping"
                ),
                client_message_id,
            }),
        }
    }
}

/// A frame from the server.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerFrame<'a> {
    /// A stored message, to every connection of both participants but the sender's.
    Message {
        /// The message.
        message: MessageDto,
    },
    /// The sender's confirmation that its message is durable.
    #[serde(rename_all = "camelCase")]
    Ack {
        /// Echo of the client's id.
        client_message_id: Option<&'a str>,
        /// The stored message.
        message: MessageDto,
        /// Set when the recipient is in quiet hours: notified only from then.
        #[serde(skip_serializing_if = "Option::is_none")]
        quiet_until: Option<String>,
        /// With `quietUntil`: the recipient's hours, as people write them.
        #[serde(skip_serializing_if = "Option::is_none")]
        quiet_hours: Option<String>,
    },
    /// A refused or malformed frame.
    #[serde(rename_all = "camelCase")]
    Error {
        /// Stable code (the same codes as the HTTP API, plus frame-level ones).
        code: &'a str,
        /// Explanation.
        message: &'a str,
        /// Echo of the client's id, when the failed frame had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        client_message_id: Option<&'a str>,
    },
    /// The other participant is typing.
    #[serde(rename_all = "camelCase")]
    Typing {
        /// The conversation.
        conversation_id: String,
        /// Who.
        user_id: String,
    },
    /// A participant's read marker moved.
    #[serde(rename_all = "camelCase")]
    Read {
        /// The conversation.
        conversation_id: String,
        /// Whose marker.
        user_id: String,
        /// Read up to here.
        timestamp: String,
    },
    /// A linked peer came online or went offline.
    #[serde(rename_all = "camelCase")]
    Presence {
        /// Who.
        user_id: String,
        /// Online or not.
        online: bool,
    },
    /// The conversation's participants were linked (it opened for sending) or unlinked (it
    /// became read-only).
    #[serde(rename_all = "camelCase")]
    Link {
        /// The conversation.
        conversation_id: String,
        /// Linked now, or not any more.
        linked: bool,
    },
    /// An author edited a message: it as it now reads, with `editedAt`.
    MessageEdited {
        /// The message.
        message: MessageDto,
    },
    /// An author removed a message: its tombstone (`messageBody` empty, `removedAt`).
    MessageRemoved {
        /// The tombstone.
        message: MessageDto,
    },
    /// The conversation was paused (its student or guardian cannot write) or resumed.
    #[serde(rename_all = "camelCase")]
    Paused {
        /// The conversation.
        conversation_id: String,
        /// The pause in force; `null` once resumed.
        pause: Option<PauseDto>,
    },
    /// Answer to `ping`.
    Pong,
}

impl ServerFrame<'_> {
    /// The JSON text of the frame.
    pub fn to_text(&self) -> String {
        // Serialising these plain structs cannot fail; an empty object keeps the socket
        // protocol-correct if it ever did.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The frame for a hub event.
pub fn event_frame(event: &Event) -> ServerFrame<'static> {
    match event {
        Event::Message(message) => ServerFrame::Message {
            message: MessageDto::from(message),
        },
        Event::Typing {
            conversation_id,
            user,
        } => ServerFrame::Typing {
            conversation_id: conversation_id.to_string(),
            user_id: user.to_string(),
        },
        Event::Read {
            conversation_id,
            user,
            timestamp,
        } => ServerFrame::Read {
            conversation_id: conversation_id.to_string(),
            user_id: user.to_string(),
            timestamp: timestamp.to_string(),
        },
        Event::Presence { user, online } => ServerFrame::Presence {
            user_id: user.to_string(),
            online: *online,
        },
        Event::Link {
            conversation_id,
            linked,
        } => ServerFrame::Link {
            conversation_id: conversation_id.to_string(),
            linked: *linked,
        },
        Event::Edited(message) => ServerFrame::MessageEdited {
            message: MessageDto::from(message),
        },
        Event::Removed(message) => ServerFrame::MessageRemoved {
            message: MessageDto::from(message),
        },
        Event::Paused {
            conversation_id,
            pause,
        } => ServerFrame::Paused {
            conversation_id: conversation_id.to_string(),
            pause: pause.as_ref().map(PauseDto::from),
        },
    }
}

/// The `/chat/ws` wire format of live events: the JSON text of their server frame,
/// encoded once per event and shared by every recipient's socket.
pub struct ChatWs;

impl WireFormat for ChatWs {
    type Frame = Utf8Bytes;

    fn encode(event: &Event) -> Utf8Bytes {
        Utf8Bytes::from(event_frame(event).to_text())
    }
}

/// The `ack` for a stored message, saying until when the recipient is in quiet hours.
pub fn ack_frame(sent: &Sent) -> String {
    let (quiet_until, quiet_hours) = quiet_fields(sent.quiet.as_ref());
    let message = &sent.message;
    ServerFrame::Ack {
        client_message_id: message.client_message_id.as_ref().map(|id| id.as_str()),
        message: MessageDto::from(message),
        quiet_until,
        quiet_hours,
    }
    .to_text()
}

/// The `error` frame for a refused action.
pub fn chat_error_frame(error: &ChatError, client_message_id: Option<&str>) -> String {
    if let ChatError::Internal(detail) = error {
        tracing::error!(%detail, "internal error on a WebSocket action");
    }
    ServerFrame::Error {
        code: error.code().as_str(),
        message: &error.to_string(),
        client_message_id,
    }
    .to_text()
}

/// The `error` frame for a frame that could not be understood.
pub fn frame_error_frame(error: &FrameError) -> String {
    ServerFrame::Error {
        code: error.code.as_str(),
        message: &error.message,
        client_message_id: error.client_message_id.as_deref(),
    }
    .to_text()
}

#[cfg(test)]
#[path = "frames_tests.rs"]
mod tests;
