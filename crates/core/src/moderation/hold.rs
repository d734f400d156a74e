//! Legal holds and the school's retention policy.
//!
//! Retention deletes whole conversations whose last message is older than the school's
//! policy says, and nothing else; a legal hold on a user or a conversation exempts it,
//! whatever its age. With no policy (the default) nothing is ever deleted.

use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::time::Timestamp;

/// The shortest retention a school may set, in days: a typo cannot delete last week.
pub const MIN_RETENTION_DAYS: u32 = 30;
/// The longest, in days (100 years).
pub const MAX_RETENTION_DAYS: u32 = 36_500;

/// Checks a retention period an admin chose.
pub fn check_retention_days(days: u32) -> Result<u32, ChatError> {
    if (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&days) {
        return Ok(days);
    }
    Err(ChatError::validation(
        ErrorCode::InvalidRequest,
        format!(
            "retentionDays is {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}, or null to keep everything"
        ),
    ))
}

/// What a hold keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HoldTarget {
    /// Every conversation this user takes part in.
    User(UserId),
    /// One conversation.
    Conversation(ConversationId),
}

impl HoldTarget {
    /// The stored and audited form: `user:<id>` or `conversation:<id>`.
    pub fn key(&self) -> String {
        match self {
            Self::User(user) => format!("user:{user}"),
            Self::Conversation(conversation) => format!("conversation:{conversation}"),
        }
    }

    /// Parses [`Self::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        if let Some(user) = key.strip_prefix("user:") {
            return UserId::parse(user).ok().map(Self::User);
        }
        let conversation = key.strip_prefix("conversation:")?;
        ConversationId::parse_canonical(conversation)
            .ok()
            .map(Self::Conversation)
    }
}

/// A legal hold: retention deletes nothing it covers until an admin lifts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// What it keeps.
    pub target: HoldTarget,
    /// Who set it: an admin's userId, or `cli` for the operator.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why (a case reference, say), if given.
    pub reason: Option<String>,
}

impl Hold {
    /// Whether this hold keeps `conversation`.
    pub fn covers(&self, conversation: &ConversationId) -> bool {
        match &self.target {
            HoldTarget::User(user) => conversation.has_participant(user),
            HoldTarget::Conversation(held) => held == conversation,
        }
    }
}

/// What one call of [`crate::store::Store::delete_conversation`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deletion {
    /// Messages deleted by this call.
    pub messages: u64,
    /// Whether the conversation is gone (up to the instant asked): no message left at or
    /// before it, and its summaries and pause deleted.
    pub finished: bool,
}
