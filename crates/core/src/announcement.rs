//! Class announcements: one message from a teacher to every student of a class, stored as
//! a copy in each student's own conversation with the teacher, so the one-to-one model
//! stays as it is and replies stay private. The copies share an announcement id.

use crate::ids::{ClientMessageId, MessageId, UserId};
use crate::message::{Message, NewMessage};
use crate::roster::SourcedId;

/// An announcement on its way into a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnnouncement {
    /// Its id, carried by every copy.
    pub id: MessageId,
    /// The class it goes to.
    pub class_id: SourcedId,
    /// The teacher.
    pub author: UserId,
    /// The teacher's id for it: a retry with the same one stores nothing twice. Separate
    /// from the clientMessageIds of single messages.
    pub client_message_id: ClientMessageId,
    /// One copy per recipient conversation, each with `announcement_id` set to `id` and
    /// no clientMessageId of its own.
    pub messages: Vec<NewMessage>,
}

/// What a store did with an announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    /// The announcement's id: the request's, or on a retry the first attempt's.
    pub id: MessageId,
    /// Its class: on a retry, the first attempt's (the service refuses a clientMessageId
    /// reused for another class).
    pub class_id: SourcedId,
    /// Copies stored by this call, to deliver live.
    pub created: Vec<Message>,
    /// Copies an earlier attempt stored.
    pub existing: Vec<Message>,
}
