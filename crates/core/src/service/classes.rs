//! Classes in the product: a member's own classes, and a teacher's announcement to a
//! whole class.

use super::ChatService;
use super::chat::participants;
use crate::announcement::NewAnnouncement;
use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::hub::{ConnectionId, Event};
use crate::ids::{ClientMessageId, MessageId, UserId};
use crate::link::Side;
use crate::message::{Message, MessageBody, NewMessage};
use crate::policy::{self, ClassView};
use crate::rate::Rate;
use crate::roster::{Class, SourcedId};
use crate::user::User;
use std::collections::HashMap;

/// The default of [`Limits::announce`](super::Limits::announce): each announcement
/// writes a copy per student (up to a class's 2,000 members), so a teacher gets a burst
/// of ten and then one every six seconds, apart from (and besides one token of) the
/// per-message send limit.
pub(super) const ANNOUNCE_RATE: Rate = Rate {
    per_second: 1.0 / 6.0,
    burst: 10.0,
};

/// A member of a class as another member sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Their id.
    pub id: UserId,
    /// Their name; `None` when the account is gone.
    pub display_name: Option<String>,
}

/// One of the caller's classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyClass {
    /// The class's id (its sourcedId).
    pub id: SourcedId,
    /// Its title.
    pub title: String,
    /// Whether the caller teaches or takes it.
    pub view: ClassView,
    /// Its teachers.
    pub teachers: Vec<Member>,
    /// Its students, for a teacher of it; empty for a student.
    pub students: Vec<Member>,
}

/// An announcement as it arrived, not yet validated.
#[derive(Debug, Clone)]
pub struct AnnounceRequest<'a> {
    /// The class (its sourcedId).
    pub class_id: &'a str,
    /// The text.
    pub message_body: &'a str,
    /// The teacher's id for it: required, so a retry never sends it twice.
    pub client_message_id: &'a str,
    /// The connection it came from, not told of its own copies.
    pub origin: Option<ConnectionId>,
}

/// What an announcement came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementSent {
    /// Its id, carried by every copy.
    pub id: MessageId,
    /// The class.
    pub class_id: SourcedId,
    /// Every copy, one per student conversation, in conversation order.
    pub messages: Vec<Message>,
    /// Whether this call stored it (`false`: a retry of an earlier one).
    pub created: bool,
}

impl ChatService {
    /// The classes the caller teaches or takes: a teacher sees each class's students, a
    /// student only its teachers.
    pub async fn my_classes(&self, caller: &User) -> Result<Vec<MyClass>, ChatError> {
        let classes = self.store.classes_of(&caller.id).await?;
        if classes.is_empty() {
            return Ok(Vec::new());
        }
        // Names: the caller's contacts hold most of them in one read.
        let mut names: HashMap<UserId, String> = HashMap::new();
        if let Some(side) = Side::of(caller.role) {
            for contact in self.store.linked_contacts(&caller.id, side).await? {
                names.insert(
                    contact.peer.id.clone(),
                    contact.peer.display_name.to_string(),
                );
            }
        }
        names.insert(caller.id.clone(), caller.display_name.to_string());
        let mut mine = Vec::new();
        for class in classes {
            let Some(view) = policy::class_view(caller, &class) else {
                continue;
            };
            let students = match view {
                ClassView::Teaching => class.students.clone(),
                ClassView::Taking => Vec::new(),
            };
            let teachers = self.members(&class.teachers, &mut names).await?;
            let students = self.members(&students, &mut names).await?;
            mine.push(MyClass {
                id: class.sourced_id,
                title: class.title,
                view,
                teachers,
                students,
            });
        }
        Ok(mine)
    }

    /// Members with their names, reading the accounts not named yet.
    async fn members(
        &self,
        ids: &[UserId],
        names: &mut HashMap<UserId, String>,
    ) -> Result<Vec<Member>, ChatError> {
        let mut members = Vec::with_capacity(ids.len());
        for id in ids {
            if !names.contains_key(id)
                && let Some(record) = self.store.get_user(id).await?
            {
                names.insert(id.clone(), record.user.display_name.to_string());
            }
            members.push(Member {
                id: id.clone(),
                display_name: names.get(id).cloned(),
            });
        }
        Ok(members)
    }

    /// A teacher's message to every student of one of their classes: a copy in each
    /// student's conversation with them (skipping students they are not linked to),
    /// delivered live like any message. Idempotent per clientMessageId.
    pub async fn announce(
        &self,
        caller: &User,
        request: AnnounceRequest<'_>,
    ) -> Result<AnnouncementSent, ChatError> {
        policy::may_announce_at_all(caller)?;
        let class_id = SourcedId::parse(request.class_id).ok_or_else(|| {
            ChatError::invalid(
                ErrorCode::InvalidRequest,
                "a classId is 1–255 characters without control characters",
            )
        })?;
        let body = MessageBody::parse(request.message_body)?;
        let client_message_id = ClientMessageId::parse(request.client_message_id)?;
        let now = self.clock.now();
        self.announce_limiter
            .try_take(&caller.id, now)
            .map_err(|_| ChatError::RateLimited)?;
        if !self.send_limiter.allow(&caller.id, now) {
            return Err(ChatError::RateLimited);
        }
        let class = self.store.class(&class_id).await?;
        let class = class.ok_or_else(|| ChatError::NotFound(format!("no class {class_id}")))?;
        policy::may_announce(caller, &class)?;
        let id = MessageId::generate();
        let messages = recipients(&class, &caller.id)
            .map(|conversation_id| NewMessage {
                conversation_id,
                proposed: now,
                author: caller.id.clone(),
                body: body.clone(),
                message_id: MessageId::generate(),
                client_message_id: None,
                announcement_id: Some(id),
                via: None,
            })
            .collect();
        let announced = self
            .store
            .append_announcement(&NewAnnouncement {
                id,
                class_id: class_id.clone(),
                author: caller.id.clone(),
                client_message_id,
                messages,
            })
            .await?;
        if announced.class_id != class_id {
            return Err(ChatError::Conflict {
                code: ErrorCode::ClientMessageIdReused,
                message: "this clientMessageId was already used for another class".into(),
            });
        }
        for message in &announced.created {
            let delivery = participants(&message.conversation_id, request.origin.as_ref());
            self.hub
                .publish(&delivery, &Event::Message(message.clone()))
                .await;
            self.notice_stored(message, false).await;
        }
        let created = announced.existing.is_empty();
        let mut messages = announced.existing;
        messages.extend(announced.created);
        messages.sort_by(|a, b| a.conversation_id.cmp(&b.conversation_id));
        Ok(AnnouncementSent {
            id: announced.id,
            class_id,
            messages,
            created,
        })
    }
}

/// The conversations an announcement of `teacher` to `class` goes to.
fn recipients<'a>(
    class: &'a Class,
    teacher: &'a UserId,
) -> impl Iterator<Item = ConversationId> + 'a {
    class
        .students
        .iter()
        .filter(move |student| *student != teacher)
        .map(move |student| ConversationId::new(student.clone(), teacher.clone()))
}
