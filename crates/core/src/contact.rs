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
}
