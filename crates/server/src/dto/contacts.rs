//! The contact lists' JSON: `get_teachers`, `get_students` and `get_chats`, with the
//! family each line carries (a guardian's children, a student's guardians).

use super::MessageDto;
use crate::schemas;
use classchat_core::store::Contact;
use classchat_core::{ConversationId, Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One linked peer in `get_teachers` / `get_students`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactDto {
    /// The peer's id.
    pub user_id: String,
    /// The peer's display name.
    pub display_name: String,
    /// The conversation with them.
    pub conversation_id: String,
    /// The newest message, or null before the first.
    pub last_message: Option<MessageDto>,
    /// Messages from the peer after the caller's read marker.
    pub unread_count: u64,
    /// On a guardian's `get_teachers`: the children who connect them to this teacher, by
    /// display name. Absent on a student's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<PeerDto>>,
    /// On `get_students`: the student's guardians, whom the teacher may message ("message
    /// the family"), by display name; empty when the student has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardians: Option<Vec<GuardianContactDto>>,
}

impl ContactDto {
    /// The contact without its family.
    fn plain(contact: &Contact) -> Self {
        Self {
            user_id: contact.peer.id.to_string(),
            display_name: contact.peer.display_name.to_string(),
            conversation_id: contact.conversation_id.to_string(),
            last_message: contact.last_message.as_ref().map(MessageDto::from),
            unread_count: contact.unread_count,
            children: None,
            guardians: None,
        }
    }

    /// A line of `get_teachers`: for a guardian's, with the connecting children.
    pub fn teacher_line(contact: &Contact) -> Self {
        // A guardian's lines always name at least one child; a student's name none.
        let family_line = !contact.family.is_empty();
        Self {
            children: family_line.then(|| contact.family.iter().map(PeerDto::from).collect()),
            ..Self::plain(contact)
        }
    }

    /// A line of `get_students`, with the student's guardians and the teacher's
    /// conversation with each.
    pub fn student_line(contact: &Contact) -> Self {
        let teacher = contact.conversation_id.teacher();
        let guardians = contact
            .family
            .iter()
            .map(|guardian| GuardianContactDto {
                user_id: guardian.id.to_string(),
                display_name: guardian.display_name.to_string(),
                conversation_id: ConversationId::new(guardian.id.clone(), teacher.clone())
                    .to_string(),
            })
            .collect();
        Self {
            guardians: Some(guardians),
            ..Self::plain(contact)
        }
    }
}

/// A student's guardian on a teacher's `get_students`, with the conversation to open.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardianContactDto {
    /// The guardian's id.
    pub user_id: String,
    /// Their display name.
    pub display_name: String,
    /// `<guardianId>+<teacherId>`.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
}

/// `GET /chat/get_teachers` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeachersResponse {
    /// Every linked teacher, by display name; for a guardian, every teacher of their
    /// children.
    pub teachers: Vec<ContactDto>,
    /// Whether the caller's family can read their conversations with teachers: a student
    /// with a guardian, in a school that allows guardian oversight. The client tells the
    /// student so. Always false for anyone else, and when listing someone else's teachers.
    pub family_can_read: bool,
}

/// `GET /chat/get_students` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StudentsResponse {
    /// Every linked student, by display name.
    pub students: Vec<ContactDto>,
}

/// A person as shown in a contact list: a student or guardian in a teacher's chat list,
/// a child on a guardian's line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeerDto {
    /// Their id.
    pub user_id: String,
    /// Their display name.
    pub display_name: String,
}

impl From<&User> for PeerDto {
    fn from(user: &User) -> Self {
        Self {
            user_id: user.id.to_string(),
            display_name: user.display_name.to_string(),
        }
    }
}

/// One conversation in `get_chats`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatDto {
    /// The conversation.
    pub conversation_id: String,
    /// The other participant: the student, or in a family conversation the guardian
    /// (the field keeps its name so that clients written for students keep working).
    pub student: PeerDto,
    /// `student`, or `guardian` for a family conversation.
    #[schema(value_type = String, pattern = "^(student|guardian)$")]
    pub peer_role: String,
    /// In a family conversation, the guardian's children who connect them to the teacher
    /// now (empty once none does), by display name. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<PeerDto>>,
    /// Its newest message.
    pub last_message: Option<MessageDto>,
    /// Messages from the other participant after the teacher's read marker.
    pub unread_count: u64,
}

impl From<&Contact> for ChatDto {
    fn from(contact: &Contact) -> Self {
        let guardian = contact.peer.role == Role::Guardian;
        Self {
            conversation_id: contact.conversation_id.to_string(),
            student: PeerDto::from(&contact.peer),
            peer_role: if guardian { "guardian" } else { "student" }.to_owned(),
            children: guardian.then(|| contact.family.iter().map(PeerDto::from).collect()),
            last_message: contact.last_message.as_ref().map(MessageDto::from),
            unread_count: contact.unread_count,
        }
    }
}

/// `GET /chat/get_chats` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChatsResponse {
    /// Conversations with at least one message, newest activity first.
    pub chats: Vec<ChatDto>,
}
