//! Edits and removals of a message by its author, which never lose what was there.

use crate::conversation::ConversationId;
use crate::message::MessageBody;
use crate::time::Timestamp;

/// How long after sending an author may edit, unless the school says otherwise.
pub const DEFAULT_EDIT_WINDOW_MINUTES: u32 = 15;

/// The longest edit window a school may choose: a day.
pub const MAX_EDIT_WINDOW_MINUTES: u32 = 24 * 60;

/// What an author does to their message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionKind {
    /// Replace the text; the old one becomes a [`MessageVersion`].
    Edit(MessageBody),
    /// Leave a tombstone: participants see "message removed", admins the text.
    Remove,
}

/// A change to a stored message, which a store applies only if the message is as the
/// service last read it (same `edited_at`, not removed), so two racing edits cannot both
/// win and none is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The message's key.
    pub timestamp: Timestamp,
    /// The message's `edited_at` as read: the store refuses (a conflict) if it differs.
    pub expected_edited_at: Option<Timestamp>,
    /// The change.
    pub kind: RevisionKind,
    /// When it is made: the new `edited_at` or `removed_at`.
    pub at: Timestamp,
}

/// An earlier text of an edited message, kept for admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageVersion {
    /// The text as it was.
    pub body: MessageBody,
    /// When that text was written: the message's timestamp for the first version, an
    /// edit's time for later ones.
    pub written_at: Timestamp,
}
