//! A line of a contact list: who a user talks to, and where their conversation stands.

use crate::conversation::ConversationId;
use crate::message::Message;
use crate::user::User;

/// One line of a contact list: a peer, the conversation with them, and its state as seen
/// by the user the list is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The other participant.
    pub peer: User,
    /// The conversation with them.
    pub conversation_id: ConversationId,
    /// The newest message of the conversation, if any.
    pub last_message: Option<Message>,
    /// Messages from the peer newer than the user's read marker.
    pub unread_count: u64,
    /// The family behind the line, in display-name order: on a guardian's line for a
    /// teacher (or a teacher's for a guardian), the children who connect them; on a
    /// teacher's line for a student, the student's guardians, whom the teacher may message.
    /// Empty on every other line, and wherever a store builds a plain contact.
    pub family: Vec<User>,
}
