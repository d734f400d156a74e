//! Messages and the rules on their content.

use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::ids::{ClientMessageId, MessageId, UserId};
use crate::text;
use crate::time::Timestamp;

/// Longest accepted message, in Unicode scalar values as sent.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// A message text: 1–4000 characters as sent (Unicode scalar values, so an emoji or an
/// accented letter is one, whatever its UTF-8 size), not all whitespace, and no control
/// character but tab and line breaks. Stored with line breaks normalised to `\n` and
/// surrounding whitespace trimmed.
///
/// Bidi and zero-width characters are kept: right-to-left writing and emoji sequences need
/// them, and clients show every body bidi-isolated, so they cannot reorder anything outside
/// it. The length is counted before trimming and normalising, so the rule is one a JSON
/// Schema can state ([`crate::text::MESSAGE_BODY_PATTERN`] with `maxLength`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    /// Validates a message text, then normalises its line breaks and trims it.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let invalid =
            |message: String| ChatError::validation(ErrorCode::InvalidMessageBody, message);
        if raw.trim().is_empty() {
            return Err(invalid("messageBody must not be empty".into()));
        }
        let length = raw.chars().count();
        if length > MAX_MESSAGE_CHARS {
            return Err(invalid(format!(
                "messageBody is {length} characters; the limit is {MAX_MESSAGE_CHARS}"
            )));
        }
        if raw.chars().any(text::forbidden_in_body) {
            return Err(invalid(
                "messageBody must not contain control characters other than tab and line breaks"
                    .into(),
            ));
        }
        // `\r\n` from other platforms' clients, and a lone `\r`, become `\n`: what a
        // browser's textarea sends, so every client stores and shows the same text.
        let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
        Ok(Self(normalised.trim().to_owned()))
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
    /// The class announcement it is one copy of, if any: the same message was stored in
    /// each enrolled student's conversation with the teacher, all with this id.
    pub announcement_id: Option<MessageId>,
    /// When its author last edited it; earlier texts are kept as versions for admins.
    pub edited_at: Option<Timestamp>,
    /// When its author removed it: a tombstone. Participants see "message removed" and no
    /// text ([`Message::redacted`]); admins still see the text.
    pub removed_at: Option<Timestamp>,
}

impl Message {
    /// The message as a participant may see it: a removed message without its text.
    pub fn redacted(self) -> Self {
        match self.removed_at {
            Some(_) => Self {
                body: MessageBody(String::new()),
                ..self
            },
            None => self,
        }
    }
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
    /// The announcement this message is one copy of, if any.
    pub announcement_id: Option<MessageId>,
    /// In a family conversation (a guardian's with a teacher), the child whose links let
    /// them talk: the store appends only while this child is the guardian's and linked to
    /// the teacher. `None` in a student's conversation, where the link checked is the
    /// student's own. Not stored with the message.
    pub via: Option<UserId>,
}

impl NewMessage {
    /// The message this becomes when stored after `newest`, the conversation's newest
    /// timestamp so far: at the proposed instant, or just after `newest` if that is not
    /// earlier. Every store applies this one rule, so timestamps are unique and strictly
    /// increasing per conversation.
    pub fn stored_after(&self, newest: Option<Timestamp>) -> Message {
        let timestamp = match newest {
            Some(newest) if newest >= self.proposed => newest.next(),
            _ => self.proposed,
        };
        self.stored_at(timestamp)
    }

    /// The message this becomes when stored at `timestamp`.
    pub fn stored_at(&self, timestamp: Timestamp) -> Message {
        Message {
            conversation_id: self.conversation_id.clone(),
            timestamp,
            author: self.author.clone(),
            body: self.body.clone(),
            message_id: self.message_id,
            client_message_id: self.client_message_id.clone(),
            announcement_id: self.announcement_id,
            edited_at: None,
            removed_at: None,
        }
    }
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
        // The length counts what was sent, surrounding whitespace included.
        let padded = format!(" {} ", "é".repeat(MAX_MESSAGE_CHARS - 2));
        assert_eq!(
            MessageBody::parse(&padded)
                .unwrap()
                .as_str()
                .chars()
                .count(),
            3998
        );
        let too_long = format!(" {} ", "é".repeat(MAX_MESSAGE_CHARS - 1));
        assert!(MessageBody::parse(&too_long).is_err());
    }

    #[test]
    fn nul_and_control_characters_are_rejected_but_tab_and_line_breaks_kept() {
        for raw in [
            "a\u{0}b",
            "\u{0}",
            "a\u{7}b",
            "a\u{8}b",
            "a\u{B}b",
            "a\u{C}b",
            "a\u{1B}[31mb",
            "a\u{7F}b",
            "a\u{85}b",
            "a\u{9B}b",
        ] {
            assert_eq!(
                MessageBody::parse(raw).unwrap_err().code(),
                ErrorCode::InvalidMessageBody,
                "{raw:?}"
            );
        }
        assert_eq!(MessageBody::parse("a\tb\nc").unwrap().as_str(), "a\tb\nc");
    }

    #[test]
    fn carriage_returns_become_line_feeds() {
        assert_eq!(MessageBody::parse("a\r\nb\r\n").unwrap().as_str(), "a\nb");
        assert_eq!(MessageBody::parse("a\rb").unwrap().as_str(), "a\nb");
        assert_eq!(MessageBody::parse("a\r\n\r\nb").unwrap().as_str(), "a\n\nb");
        assert!(MessageBody::parse("\r\n").is_err());
    }

    #[test]
    fn bidi_and_zero_width_characters_are_kept() {
        for raw in [
            "abc \u{202E}fed",
            "שלום \u{200F}!",
            "👩\u{200D}🏫",
            "a\u{200B}b",
            "\u{2066}x\u{2069}",
        ] {
            assert_eq!(MessageBody::parse(raw).unwrap().as_str(), raw);
        }
    }
}
