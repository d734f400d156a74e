//! A paused conversation: its student or guardian cannot write in it until it resumes.

use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::text;
use crate::time::Timestamp;
use crate::user::Role;

/// Longest reason a pause may give, in characters.
pub const MAX_PAUSE_REASON_CHARS: usize = 500;

/// Why a conversation was paused, as the person pausing wrote it for both sides to read:
/// 1–500 characters, no control character but line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseReason(String);

impl PauseReason {
    /// Validates a reason, trimmed.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        text::bounded_text(raw, MAX_PAUSE_REASON_CHARS, "reason").map(Self)
    }

    /// Wraps a reason read back from a store.
    pub fn from_stored(reason: String) -> Self {
        Self(reason)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A conversation's pause: while it lasts, the member side (the student, or a guardian)
/// cannot send or edit; the teacher still can, and both still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// Who paused it: the conversation's teacher, or an admin.
    pub by: UserId,
    /// Their role then: a pause an admin made only an admin lifts.
    pub by_role: Role,
    /// When.
    pub at: Timestamp,
    /// What both sides are told, if anything.
    pub reason: Option<PauseReason>,
}

impl Pause {
    /// A code the client shows for a refused send: the member cannot write meanwhile.
    pub fn refusal(&self) -> ChatError {
        let who = match self.by_role {
            Role::Admin => "the school",
            _ => "the teacher",
        };
        let mut message = format!("this conversation has been paused by {who}");
        if let Some(reason) = &self.reason {
            message.push_str(": ");
            message.push_str(reason.as_str());
        }
        ChatError::Forbidden {
            code: ErrorCode::ConversationPaused,
            message,
        }
    }
}
