//! Classes as members see them, and class announcements, in a
//! [`MemoryStore`](super::MemoryStore).

use super::state::State;
use crate::announcement::{Announced, NewAnnouncement};
use crate::ids::UserId;
use crate::roster::{Class, SourcedId};
use crate::store::{Appended, Link};

impl State {
    pub(super) fn class(&self, id: &SourcedId) -> Option<Class> {
        self.roster.classes.get(id).cloned()
    }

    pub(super) fn classes_of(&self, user: &UserId) -> Vec<Class> {
        self.roster
            .classes
            .values()
            .filter(|class| class.teachers.contains(user) || class.students.contains(user))
            .cloned()
            .collect()
    }

    pub(super) fn append_announcement(&mut self, announcement: &NewAnnouncement) -> Announced {
        let key = (
            announcement.author.clone(),
            announcement.client_message_id.clone(),
        );
        let (id, class_id) = self
            .announcements
            .entry(key)
            .or_insert_with(|| (announcement.id, announcement.class_id.clone()))
            .clone();
        let existing: Vec<_> = self
            .messages
            .values()
            .flat_map(|messages| messages.values())
            .filter(|message| message.announcement_id == Some(id))
            .cloned()
            .collect();
        let mut created = Vec::new();
        let same_class = class_id == announcement.class_id;
        for new in announcement.messages.iter().filter(|_| same_class) {
            let covered = existing
                .iter()
                .any(|message| message.conversation_id == new.conversation_id);
            if covered || !self.links.contains(&Link::of(&new.conversation_id)) {
                continue;
            }
            let mut copy = new.clone();
            copy.announcement_id = Some(id);
            if let Appended::Created(message) = self.append(&copy) {
                created.push(message);
            }
        }
        Announced {
            id,
            class_id,
            created,
            existing,
        }
    }
}
