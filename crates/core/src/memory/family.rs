//! Families in a [`MemoryStore`](super::MemoryStore): guardian links, the family links
//! derived from them and the teachers' links, and the family contact lists.

use super::state::State;
use crate::ids::UserId;
use crate::store::{Contact, FamilyLink, GuardianLink, Link, StoreError};
use crate::user::User;
use std::collections::BTreeMap;

impl State {
    pub(super) fn add_guardian(&mut self, link: &GuardianLink) -> Result<(), StoreError> {
        if self.guardians.insert(link.clone()) {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!(
                "{} is already a guardian of {}",
                link.guardian, link.student
            )))
        }
    }

    pub(super) fn list_guardian_links(&self, user: Option<&UserId>) -> Vec<GuardianLink> {
        self.guardians
            .iter()
            .filter(|link| user.is_none_or(|user| &link.guardian == user || &link.student == user))
            .cloned()
            .collect()
    }

    /// Whether `message`'s family link holds: `child` is the guardian's, and linked to the
    /// teacher.
    pub(super) fn family_holds(&self, guardian: &UserId, teacher: &UserId, child: &UserId) -> bool {
        self.guardians.contains(&GuardianLink {
            guardian: guardian.clone(),
            student: child.clone(),
        }) && self.links.contains(&Link {
            teacher: teacher.clone(),
            student: child.clone(),
        })
    }

    pub(super) fn family_links(&self, user: &UserId) -> Vec<FamilyLink> {
        let as_guardian = self
            .guardians
            .iter()
            .filter(|guardian| &guardian.guardian == user)
            .flat_map(|guardian| {
                self.links
                    .iter()
                    .filter(|link| link.student == guardian.student)
                    .map(|link| FamilyLink {
                        guardian: guardian.guardian.clone(),
                        teacher: link.teacher.clone(),
                        student: link.student.clone(),
                    })
            });
        let as_teacher = self
            .links
            .iter()
            .filter(|link| &link.teacher == user)
            .flat_map(|link| {
                self.guardians
                    .iter()
                    .filter(|guardian| guardian.student == link.student)
                    .map(|guardian| FamilyLink {
                        guardian: guardian.guardian.clone(),
                        teacher: link.teacher.clone(),
                        student: link.student.clone(),
                    })
            });
        let mut links: Vec<FamilyLink> = as_guardian.chain(as_teacher).collect();
        links.sort();
        links.dedup();
        links
    }

    pub(super) fn family_contacts(&self, user: &UserId) -> Vec<Contact> {
        let mut children: BTreeMap<&UserId, (crate::conversation::ConversationId, Vec<User>)> =
            BTreeMap::new();
        let links = self.family_links(user);
        for link in &links {
            let Some(peer) = link.peer_of(user) else {
                continue;
            };
            let Some(child) = self.users.get(&link.student) else {
                continue;
            };
            children
                .entry(peer)
                .or_insert_with(|| (link.conversation(), Vec::new()))
                .1
                .push(child.user.clone());
        }
        let mut contacts: Vec<Contact> = children
            .into_iter()
            .filter_map(|(peer, (conversation, mut family))| {
                let mut contact = self.contact(user, peer, conversation)?;
                family.sort_by(|a, b| {
                    (a.display_name.as_str(), &a.id).cmp(&(b.display_name.as_str(), &b.id))
                });
                contact.family = family;
                Some(contact)
            })
            .collect();
        contacts.sort_by(|a, b| {
            (a.peer.display_name.as_str(), &a.peer.id)
                .cmp(&(b.peer.display_name.as_str(), &b.peer.id))
        });
        contacts
    }
}
