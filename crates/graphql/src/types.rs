//! The objects the schema returns, built from the core's values. Ids and timestamps are
//! strings in the same forms as REST (`student+teacher` conversation ids, RFC 3339
//! timestamps with microseconds), so a client can mix both APIs.

use crate::api::{Caller, caller};
use crate::error::OrGraphql;
use async_graphql::{ComplexObject, Context, Enum, Result, SimpleObject};
use classchat_core::moderation::Pause as CorePause;
use classchat_core::{AuditEntry as CoreAuditEntry, Link as CoreLink, Message as CoreMessage};
use classchat_core::{Role as CoreRole, User as CoreUser};

/// What a user is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Chats with the teachers they are linked to.
    Student,
    /// Chats with the students they are linked to, and with those students' guardians.
    Teacher,
    /// A parent or carer of one or more students: chats with their children's teachers,
    /// and reads their children's conversations only where the school allows it.
    Guardian,
    /// Manages people and links; reads any conversation (audited); never sends.
    Admin,
}

impl From<CoreRole> for Role {
    fn from(role: CoreRole) -> Self {
        match role {
            CoreRole::Student => Self::Student,
            CoreRole::Teacher => Self::Teacher,
            CoreRole::Guardian => Self::Guardian,
            CoreRole::Admin => Self::Admin,
        }
    }
}

impl Role {
    /// The role as the service names it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Student => CoreRole::Student.as_str(),
            Self::Teacher => CoreRole::Teacher.as_str(),
            Self::Guardian => CoreRole::Guardian.as_str(),
            Self::Admin => CoreRole::Admin.as_str(),
        }
    }
}

/// A person, as others see them.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct User {
    /// Their id.
    pub(crate) user_id: String,
    /// Their name.
    pub(crate) display_name: String,
    /// What they are.
    pub(crate) role: Role,
}

impl From<&CoreUser> for User {
    fn from(user: &CoreUser) -> Self {
        Self {
            user_id: user.id.to_string(),
            display_name: user.display_name.as_str().to_owned(),
            role: user.role.into(),
        }
    }
}

/// The signed-in user, and what their client should tell them about their account.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub(crate) struct Me {
    /// Their id.
    pub(crate) user_id: String,
    /// Their name.
    pub(crate) display_name: String,
    /// What they are.
    pub(crate) role: Role,
}

impl From<&CoreUser> for Me {
    fn from(user: &CoreUser) -> Self {
        Self {
            user_id: user.id.to_string(),
            display_name: user.display_name.as_str().to_owned(),
            role: user.role.into(),
        }
    }
}

#[ComplexObject]
impl Me {
    /// Whether the caller's family can read their conversations with teachers: a student
    /// with a guardian, in a school that allows guardian oversight. The client tells the
    /// student so. False for everyone else. Read only when asked for.
    async fn family_can_read(&self, ctx: &Context<'_>) -> Result<bool> {
        let Caller { service, user } = caller(ctx)?;
        service.family_can_read(user).await.or_graphql()
    }
}

/// A person as an admin sees them.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Account {
    /// Their id.
    pub(crate) user_id: String,
    /// Their name.
    pub(crate) display_name: String,
    /// What they are.
    pub(crate) role: Role,
    /// Whether they are shut out (sign-in refused, sessions ended).
    pub(crate) disabled: bool,
}

impl From<&CoreUser> for Account {
    fn from(user: &CoreUser) -> Self {
        Self {
            user_id: user.id.to_string(),
            display_name: user.display_name.as_str().to_owned(),
            role: user.role.into(),
            disabled: user.disabled,
        }
    }
}

/// A stored message.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Message {
    /// The server's id.
    pub(crate) message_id: String,
    /// The conversation, `student+teacher` or `guardian+teacher`.
    pub(crate) conversation_id: String,
    /// When the server accepted it: the order of the conversation, and its paging cursor.
    pub(crate) timestamp: String,
    /// Who wrote it.
    pub(crate) author: String,
    /// What they wrote.
    pub(crate) message_body: String,
    /// The client's id for it, if it gave one.
    pub(crate) client_message_id: Option<String>,
    /// When it is one copy of a class announcement (the same text in each student's own
    /// conversation with the teacher): the announcement's id.
    pub(crate) announcement_id: Option<String>,
    /// When its author last edited it; null if never.
    pub(crate) edited_at: Option<String>,
    /// When its author removed it; null if not removed. A removed message's `messageBody`
    /// is empty for everyone but admins, who still read the text.
    pub(crate) removed_at: Option<String>,
}

impl From<&CoreMessage> for Message {
    fn from(message: &CoreMessage) -> Self {
        Self {
            message_id: message.message_id.to_string(),
            conversation_id: message.conversation_id.to_string(),
            timestamp: message.timestamp.to_string(),
            author: message.author.to_string(),
            message_body: message.body.as_str().to_owned(),
            client_message_id: message
                .client_message_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
            announcement_id: message.announcement_id.map(|id| id.to_string()),
            edited_at: message.edited_at.map(|at| at.to_string()),
            removed_at: message.removed_at.map(|at| at.to_string()),
        }
    }
}

/// A page of one conversation.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub(crate) struct Conversation {
    /// The conversation, `student+teacher` or `guardian+teacher`.
    pub(crate) id: String,
    /// The page's messages, oldest first.
    pub(crate) messages: Vec<Message>,
    /// Whether more messages lie beyond the page in the direction of paging (older ones
    /// for `last`/`before`, newer ones for `first`/`after`).
    pub(crate) has_more: bool,
    /// The first message's timestamp: the `before` of the page before this one.
    pub(crate) start_cursor: Option<String>,
    /// The last message's timestamp: the `after` of the page after this one.
    pub(crate) end_cursor: Option<String>,
    /// How far the other participant has read, for "Seen"; null before their first read,
    /// for pages read backwards (`before`), and for admins.
    pub(crate) peer_read_at: Option<String>,
    /// The conversation's pause, if it is paused: the client tells its student or guardian
    /// why they cannot write. Null when it is not paused.
    pub(crate) pause: Option<Pause>,
}

#[ComplexObject]
impl Conversation {
    /// Messages from the other participant the caller has not read yet (the whole
    /// conversation's, not the page's); null for admins, who have no read marker. Read
    /// only when asked for.
    async fn unread_count(&self, ctx: &Context<'_>) -> Result<Option<u64>> {
        let Caller { service, user } = caller(ctx)?;
        service.unread_count(user, &self.id).await.or_graphql()
    }
}

/// A paused conversation: while the pause lasts its student or guardian cannot send or
/// edit; the teacher still can, and both still read.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Pause {
    /// Who paused it: the conversation's teacher, or an admin.
    pub(crate) by: String,
    /// Their role then, `teacher` or `admin`: a pause an admin made only an admin lifts.
    pub(crate) by_role: String,
    /// When.
    pub(crate) at: String,
    /// What both sides are told, if anything.
    pub(crate) reason: Option<String>,
}

impl From<&CorePause> for Pause {
    fn from(pause: &CorePause) -> Self {
        Self {
            by: pause.by.to_string(),
            by_role: pause.by_role.as_str().to_owned(),
            at: pause.at.to_string(),
            reason: pause
                .reason
                .as_ref()
                .map(|reason| reason.as_str().to_owned()),
        }
    }
}

/// A participant's read marker.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct ReadMarker {
    /// The conversation.
    pub(crate) conversation_id: String,
    /// Whose marker.
    pub(crate) user_id: String,
    /// Everything up to and including this instant is read.
    pub(crate) timestamp: String,
}

/// A teacher–student link.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct Link {
    /// The teacher.
    pub(crate) teacher: String,
    /// The student.
    pub(crate) student: String,
}

impl From<&CoreLink> for Link {
    fn from(link: &CoreLink) -> Self {
        Self {
            teacher: link.teacher.to_string(),
            student: link.student.to_string(),
        }
    }
}

/// A page of accounts, by userId.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct AccountPage {
    /// The accounts.
    pub(crate) nodes: Vec<Account>,
    /// Whether more follow (ask again with `after` the last userId).
    pub(crate) has_more: bool,
}

/// One entry of the audit log.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct AuditEntry {
    /// Its id (a ULID: entries sort by it).
    pub(crate) id: String,
    /// When.
    pub(crate) at: String,
    /// Who: an admin's userId, or `cli`.
    pub(crate) actor: String,
    /// What (`conversation.read`, `user.create`, …).
    pub(crate) action: String,
    /// To what: a conversationId, userId or `teacher+student` link.
    pub(crate) target: String,
}

impl From<&CoreAuditEntry> for AuditEntry {
    fn from(entry: &CoreAuditEntry) -> Self {
        Self {
            id: entry.id.clone(),
            at: entry.at.to_string(),
            actor: entry.actor.clone(),
            action: entry.action.as_str().to_owned(),
            target: entry.target.clone(),
        }
    }
}

/// A page of the audit log, newest first.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct AuditPage {
    /// The entries.
    pub(crate) nodes: Vec<AuditEntry>,
    /// Whether older entries follow (ask again with `before` the last id).
    pub(crate) has_more: bool,
}
