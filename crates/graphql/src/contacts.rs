//! The lines of the contact lists (`teachers`, `students`, `chats`) and the family each one
//! carries. The core gives every line one `family` list whose meaning depends on the list
//! (a guardian's children, or a student's guardians); here it becomes a field named for
//! what it holds, so a client never has to know which list a line came from to read it.

use crate::types::{Message, User};
use async_graphql::SimpleObject;
use classchat_core::contact::Contact as CoreContact;
use classchat_core::{ConversationId, Role as CoreRole};

/// Someone the caller (or the user an admin asked about) is linked to, and the state of
/// their conversation.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Contact {
    /// The other participant (`role` says whether a teacher's chat is with a student or
    /// with a guardian).
    pub(crate) peer: User,
    /// The conversation with them.
    pub(crate) conversation_id: String,
    /// Its newest message, if any.
    pub(crate) last_message: Option<Message>,
    /// Messages from the peer not read yet.
    pub(crate) unread_count: u64,
    /// The children who connect a guardian and a teacher, by display name: on a
    /// guardian's `teachers`, and on a teacher's `chats` line for a guardian (empty once
    /// no child connects them any more). Empty on every other line.
    pub(crate) children: Vec<User>,
    /// On a teacher's `students`: the student's guardians, whom the teacher may message,
    /// each with the conversation to open. Empty on every other line.
    pub(crate) guardians: Vec<GuardianContact>,
}

/// A student's guardian on a teacher's `students`: someone the teacher may message.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct GuardianContact {
    /// The guardian.
    pub(crate) peer: User,
    /// The teacher's conversation with them, `guardian+teacher`, whether or not it has
    /// messages yet.
    pub(crate) conversation_id: String,
}

impl Contact {
    /// The line without its family.
    fn plain(contact: &CoreContact) -> Self {
        Self {
            peer: User::from(&contact.peer),
            conversation_id: contact.conversation_id.to_string(),
            last_message: contact.last_message.as_ref().map(Message::from),
            unread_count: contact.unread_count,
            children: Vec::new(),
            guardians: Vec::new(),
        }
    }

    /// A line of `teachers`: for a guardian, with the children who connect them (a
    /// student's lines have no family).
    pub(crate) fn teacher_line(contact: &CoreContact) -> Self {
        Self {
            children: contact.family.iter().map(User::from).collect(),
            ..Self::plain(contact)
        }
    }

    /// A line of `students`, with the student's guardians and the teacher's conversation
    /// with each.
    pub(crate) fn student_line(contact: &CoreContact) -> Self {
        let teacher = contact.conversation_id.teacher();
        let guardians = contact
            .family
            .iter()
            .map(|guardian| GuardianContact {
                peer: User::from(guardian),
                conversation_id: ConversationId::new(guardian.id.clone(), teacher.clone())
                    .to_string(),
            })
            .collect();
        Self {
            guardians,
            ..Self::plain(contact)
        }
    }

    /// A line of `chats`: a conversation with a guardian names the connecting children.
    pub(crate) fn chat_line(contact: &CoreContact) -> Self {
        if contact.peer.role != CoreRole::Guardian {
            return Self::plain(contact);
        }
        Self::teacher_line(contact)
    }
}
