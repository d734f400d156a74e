//! The `Query` root: the caller, their contacts, a conversation's messages (paged either
//! way), and the admin's lists. Each field is one `ChatService` call: who may ask what, and
//! the audit of an admin's reads, are the service's.

use crate::api::{Caller, caller};
use crate::contacts::Contact;
use crate::error::OrGraphql;
use crate::types::{
    AccountPage, AuditEntry, AuditPage, Conversation, Link, Me, Message, Pause, Role,
};
use async_graphql::{Context, Object, Result};
use classchat_core::service::{Actor, PageQuery};

/// Before every message: where `first` without `after` starts.
const BEGINNING: &str = "1970-01-01T00:00:00Z";

/// The root of queries.
pub(crate) struct Query;

#[Object]
impl Query {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        Ok(Me::from(caller(ctx)?.user))
    }

    /// The teachers a student is linked to, with each conversation's state, every linked
    /// teacher even before a first message; for a guardian, every teacher of their
    /// children, with the `children` who connect them. `userName` asks about another
    /// student: admins may (audited), and a guardian may name their child where the school
    /// allows guardian oversight (audited as `guardian.read`).
    async fn teachers(&self, ctx: &Context<'_>, user_name: Option<String>) -> Result<Vec<Contact>> {
        let Caller { service, user } = caller(ctx)?;
        let contacts = service
            .list_teachers(user, user_name.as_deref())
            .await
            .or_graphql()?;
        Ok(contacts.iter().map(Contact::teacher_line).collect())
    }

    /// The students a teacher is linked to, like `teachers`, each with their `guardians`
    /// (whom the teacher may message).
    async fn students(&self, ctx: &Context<'_>, user_name: Option<String>) -> Result<Vec<Contact>> {
        let Caller { service, user } = caller(ctx)?;
        let contacts = service
            .list_students(user, user_name.as_deref())
            .await
            .or_graphql()?;
        Ok(contacts.iter().map(Contact::student_line).collect())
    }

    /// A teacher's conversations that have messages, newest activity first: with
    /// students, and with guardians (`peer.role` is `GUARDIAN`; `children` names the
    /// children who connect them).
    async fn chats(&self, ctx: &Context<'_>, user_name: Option<String>) -> Result<Vec<Contact>> {
        let Caller { service, user } = caller(ctx)?;
        let contacts = service
            .list_chats(user, user_name.as_deref())
            .await
            .or_graphql()?;
        Ok(contacts.iter().map(Contact::chat_line).collect())
    }

    /// A page of a conversation (`student+teacher` or `guardian+teacher`, either order),
    /// oldest message first.
    /// Page backwards with `last` (and `before` a timestamp: older messages) or forwards
    /// with `first` (and `after` a timestamp: newer ones; without it, from the first
    /// message); with neither, the newest 50.
    /// An admin's read is audited before anything is returned, and so is a guardian's
    /// read of their child's conversation (only where the school allows it).
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        id: String,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conversation> {
        let Caller { service, user } = caller(ctx)?;
        let limit = paging(first, after.as_deref(), last, before.as_deref())?;
        let limit = limit.map(|limit| limit.to_string());
        // `first` alone pages forwards from the conversation's first message.
        let after = after.or_else(|| first.map(|_| BEGINNING.to_owned()));
        let query = PageQuery {
            limit: limit.as_deref(),
            before: before.as_deref(),
            after: after.as_deref(),
        };
        let read = service.read_page(user, &id, query).await.or_graphql()?;
        let messages: Vec<Message> = read.page.messages.iter().map(Message::from).collect();
        Ok(Conversation {
            id: read.conversation_id.to_string(),
            start_cursor: messages.first().map(|message| message.timestamp.clone()),
            end_cursor: messages.last().map(|message| message.timestamp.clone()),
            messages,
            has_more: read.page.has_more,
            peer_read_at: read.peer_read_at.map(|at| at.to_string()),
            pause: read.pause.as_ref().map(Pause::from),
        })
    }

    /// Accounts by userId (admins only), optionally of one role, `first` at a time after
    /// the userId `after`.
    async fn users(
        &self,
        ctx: &Context<'_>,
        role: Option<Role>,
        after: Option<String>,
        first: Option<i32>,
    ) -> Result<AccountPage> {
        let Caller { service, user } = caller(ctx)?;
        let limit = first.map(|first| first.to_string());
        let (users, has_more) = service
            .list_users(
                Actor::User(user),
                role.map(Role::as_str),
                after.as_deref(),
                limit.as_deref(),
            )
            .await
            .or_graphql()?;
        Ok(AccountPage {
            nodes: users.iter().map(Into::into).collect(),
            has_more,
        })
    }

    /// Teacher–student links (admins only), optionally only those of `userId`.
    async fn links(&self, ctx: &Context<'_>, user_id: Option<String>) -> Result<Vec<Link>> {
        let Caller { service, user } = caller(ctx)?;
        let links = service
            .list_links(Actor::User(user), user_id.as_deref())
            .await
            .or_graphql()?;
        Ok(links.iter().map(Link::from).collect())
    }

    /// The audit log (admins only), newest first, `last` entries older than the entry id
    /// `before`.
    async fn audit(
        &self,
        ctx: &Context<'_>,
        before: Option<String>,
        last: Option<i32>,
    ) -> Result<AuditPage> {
        let Caller { service, user } = caller(ctx)?;
        let limit = last.map(|last| last.to_string());
        let (entries, has_more) = service
            .list_audit(Actor::User(user), before.as_deref(), limit.as_deref())
            .await
            .or_graphql()?;
        Ok(AuditPage {
            nodes: entries.iter().map(AuditEntry::from).collect(),
            has_more,
        })
    }
}

/// The page size of a conversation query: `first` pages forwards from `after`, `last`
/// backwards from `before`; the two directions do not mix.
fn paging(
    first: Option<i32>,
    after: Option<&str>,
    last: Option<i32>,
    before: Option<&str>,
) -> Result<Option<i32>> {
    let forwards = first.is_some() || after.is_some();
    let backwards = last.is_some() || before.is_some();
    if forwards && backwards {
        return Err(crate::error::coded(
            "page either forwards (first/after) or backwards (last/before), not both",
            crate::error::INVALID_REQUEST,
        ));
    }
    // The size itself (1–200) is checked by the service, as for REST.
    Ok(first.or(last))
}
