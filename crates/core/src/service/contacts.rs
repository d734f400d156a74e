//! Contact lists: a student's or guardian's teachers, a teacher's students and chats,
//! each line with its conversation's state (a removed last message as its tombstone).

use super::ChatService;
use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::message::Message;
use crate::policy::{self, Guardianship, ReadAccess};
use crate::store::{AuditAction, Contact, Side};
use crate::user::{Role, User};

impl ChatService {
    /// The teachers a student is linked to, with each conversation's state — every linked
    /// teacher, even before the first message. For a guardian, each teacher of their
    /// children, with the children who connect them in [`Contact::family`]. `user_name`
    /// defaults to the caller; a guardian may name their child where the school allows it
    /// (audited as `guardian.read`).
    pub async fn list_teachers(
        &self,
        caller: &User,
        user_name: Option<&str>,
    ) -> Result<Vec<Contact>, ChatError> {
        let target = self
            .contacts_target(caller, user_name, &[Role::Student, Role::Guardian])
            .await?;
        if target.role == Role::Guardian {
            return Ok(redacted(self.store.family_contacts(&target.id).await?));
        }
        Ok(redacted(
            self.store
                .linked_contacts(&target.id, Side::Student)
                .await?,
        ))
    }

    /// The students a teacher is linked to, like [`Self::list_teachers`], so that a teacher
    /// can open a conversation before its first message; each with the student's guardians
    /// (whom the teacher may message) in [`Contact::family`].
    pub async fn list_students(
        &self,
        caller: &User,
        user_name: Option<&str>,
    ) -> Result<Vec<Contact>, ChatError> {
        let target = self
            .contacts_target(caller, user_name, &[Role::Teacher])
            .await?;
        let (students, families) = tokio::join!(
            self.store.linked_contacts(&target.id, Side::Teacher),
            self.store.family_contacts(&target.id)
        );
        let mut students = students?;
        for guardian in families? {
            for child in &guardian.family {
                if let Some(student) = students
                    .iter_mut()
                    .find(|student| student.peer.id == child.id)
                {
                    student.family.push(guardian.peer.clone());
                }
            }
        }
        Ok(redacted(students))
    }

    /// A teacher's conversations that have messages, newest activity first; a
    /// conversation with a guardian names, in [`Contact::family`], the children who
    /// connect them now.
    pub async fn list_chats(
        &self,
        caller: &User,
        user_name: Option<&str>,
    ) -> Result<Vec<Contact>, ChatError> {
        let target = self
            .contacts_target(caller, user_name, &[Role::Teacher])
            .await?;
        let mut chats = self.store.active_conversations(&target.id).await?;
        if chats.iter().any(|chat| chat.peer.role == Role::Guardian) {
            let families = self.store.family_contacts(&target.id).await?;
            for chat in &mut chats {
                if let Some(family) = families
                    .iter()
                    .find(|family| family.conversation_id == chat.conversation_id)
                {
                    chat.family.clone_from(&family.family);
                }
            }
        }
        Ok(redacted(chats))
    }

    /// Checks who may list whose contacts and that the target has one of the `expected`
    /// roles; audits a read of someone else's list.
    async fn contacts_target(
        &self,
        caller: &User,
        user_name: Option<&str>,
        expected: &[Role],
    ) -> Result<User, ChatError> {
        let target = match user_name {
            Some(raw) => UserId::parse(raw)?,
            None => caller.id.clone(),
        };
        let guardianship = if target == caller.id {
            Guardianship::None
        } else {
            self.guardianship(caller, &target).await?
        };
        let access = policy::contacts_access(caller, &target, guardianship)?;
        let user = self.known_user(caller, &target).await?;
        if !expected.contains(&user.role) {
            return Err(ChatError::invalid(
                ErrorCode::InvalidRequest,
                format!("{target} is a {}, not a {}", user.role, expected[0]),
            ));
        }
        let action = match access {
            ReadAccess::Participant => None,
            ReadAccess::Audited => Some(AuditAction::ReadContacts),
            ReadAccess::Guardian => Some(AuditAction::GuardianRead),
        };
        if let Some(action) = action {
            self.audit(caller.id.as_str(), action, target.to_string())
                .await?;
        }
        Ok(user)
    }
}

/// Contact-list lines as anyone sees them: a removed last message without its text (an
/// admin reads the text in the conversation itself, audited).
fn redacted(mut contacts: Vec<Contact>) -> Vec<Contact> {
    for contact in &mut contacts {
        contact.last_message = contact.last_message.take().map(Message::redacted);
    }
    contacts
}
