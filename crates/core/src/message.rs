//! Messages and the rules on their content.

use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::ids::{ClientMessageId, MessageId, UserId};
use crate::time::Timestamp;

/// Longest accepted message, in Unicode scalar values after trimming.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// A message text: trimmed of surrounding whitespace, then 1–4000 characters, counted as
/// Unicode scalar values (so an emoji or an accented letter is one, whatever its UTF-8 size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    /// Trims and validates a message text.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ChatError::validation(
                ErrorCode::InvalidMessageBody,
                "messageBody must not be empty",
            ));
        }
        let length = trimmed.chars().count();
        if length > MAX_MESSAGE_CHARS {
            return Err(ChatError::validation(
                ErrorCode::InvalidMessageBody,
                format!("messageBody is {length} characters; the limit is {MAX_MESSAGE_CHARS}"),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Wraps text read back from a store, which was validated when it was written.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored message. Its key is `(conversation_id, timestamp)`, unique and strictly
/// increasing within a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// When the server accepted it; the sort key.
    pub timestamp: Timestamp,
    /// Who wrote it: always one of the two participants.
    pub author: UserId,
    /// What they wrote.
    pub body: MessageBody,
    /// The server's id for it.
    pub message_id: MessageId,
    /// The client's id for it, if the client gave one.
    pub client_message_id: Option<ClientMessageId>,
}

/// A message the service has validated and authorised, on its way into a store. The store
/// picks the final timestamp: `proposed`, or the first free instant after the
/// conversation's last message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The clock's reading when the request arrived.
    pub proposed: Timestamp,
    /// The author.
    pub author: UserId,
    /// The text.
    pub body: MessageBody,
    /// The server's id.
    pub message_id: MessageId,
    /// The client's id, for idempotent retries.
    pub client_message_id: Option<ClientMessageId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_trimmed() {
        assert_eq!(MessageBody::parse("  hi\n").unwrap().as_str(), "hi");
        assert_eq!(MessageBody::parse("a\n\nb").unwrap().as_str(), "a\n\nb");
    }

    #[test]
    fn empty_and_whitespace_only_bodies_are_rejected() {
        for raw in ["", " ", "\n\t ", "\u{3000}"] {
            assert_eq!(
                MessageBody::parse(raw).unwrap_err().code(),
                ErrorCode::InvalidMessageBody
            );
        }
    }

    #[test]
    fn length_is_counted_in_unicode_scalar_values() {
        assert!(MessageBody::parse(&"a".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert!(MessageBody::parse(&"a".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        // 4000 four-byte characters are 16000 bytes and still fine.
        assert!(MessageBody::parse(&"😀".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert!(MessageBody::parse(&"😀".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        // Surrounding whitespace does not count.
        let padded = format!("  {}  ", "é".repeat(MAX_MESSAGE_CHARS));
        assert!(MessageBody::parse(&padded).is_ok());
    }
}
