//! What a scoped export holds in memory, counted the way a replay counts it
//! ([`Buffered`]): records, and the bytes of their structs and text.

use super::{ExportSubject, Queued, ScopedRecord};
use crate::conversation::ConversationId;
use crate::ids::UserId;
use crate::service::moderation::MessageHistory;
use crate::service::replay::Buffered;
use crate::store::Pause;
use crate::user::User;
use std::mem::size_of;

/// What two parts hold together.
pub(super) fn sum(a: Buffered, b: Buffered) -> Buffered {
    Buffered {
        messages: a.messages + b.messages,
        bytes: a.bytes + b.bytes,
    }
}

/// The larger of two counts, field by field: a peak so far and what is held now.
pub(super) fn peak_of(a: Buffered, b: Buffered) -> Buffered {
    Buffered {
        messages: a.messages.max(b.messages),
        bytes: a.bytes.max(b.bytes),
    }
}

/// The messages among `records` and the bytes all of them take (structs and text).
pub(super) fn count(records: &[ScopedRecord]) -> Buffered {
    let mut held = Buffered::default();
    for record in records {
        held.bytes += size_of::<ScopedRecord>()
            + match record {
                ScopedRecord::Header(header) => {
                    header.exported_by.len()
                        + match &header.subject {
                            ExportSubject::User(id) => id_bytes(id),
                            ExportSubject::Conversation(id) => conversation_bytes(id),
                        }
                }
                ScopedRecord::User(user) => user_bytes(user),
                ScopedRecord::Conversation(conversation) => {
                    conversation_bytes(&conversation.conversation_id)
                        + user_bytes(&conversation.member)
                        + user_bytes(&conversation.teacher)
                        + conversation.pause.as_ref().map_or(0, pause_bytes)
                }
                ScopedRecord::Message(history) => {
                    held.messages += 1;
                    message_bytes(history)
                }
            };
    }
    held
}

/// The text a message holds besides its struct: ids, body, earlier versions.
fn message_bytes(history: &MessageHistory) -> usize {
    let message = &history.message;
    conversation_bytes(&message.conversation_id)
        + id_bytes(&message.author)
        + message.body.as_str().len()
        + message
            .client_message_id
            .as_ref()
            .map_or(0, |id| id.as_str().len())
        + history
            .versions
            .iter()
            .map(|version| size_of_val(version) + version.body.as_str().len())
            .sum::<usize>()
}

fn pause_bytes(pause: &Pause) -> usize {
    id_bytes(&pause.by)
        + pause
            .reason
            .as_ref()
            .map_or(0, |reason| reason.as_str().len())
}

pub(super) fn conversation_bytes(conversation: &ConversationId) -> usize {
    id_bytes(conversation.member()) + id_bytes(conversation.teacher())
}

fn id_bytes(id: &UserId) -> usize {
    id.as_str().len()
}

pub(super) fn user_bytes(user: &User) -> usize {
    size_of::<User>() + id_bytes(&user.id) + user.display_name.as_str().len()
}

/// A conversation waiting its turn: its id and participants.
pub(super) fn queued_bytes(queued: &Queued) -> usize {
    size_of::<Queued>()
        + conversation_bytes(&queued.conversation)
        + user_bytes(&queued.member)
        + user_bytes(&queued.teacher)
}
