//! The administration use-cases: users, links and the audit log (guardian links and the
//! school's settings are in `family`). Open to admins over the
//! API and to the operator through the CLI; every change is written to the audit log.

use super::{ChatService, parse_limit};
use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode, OnConflict};
use crate::hub::{Delivery, Event, Revocation};
use crate::ids::UserId;
use crate::policy;
use crate::store::{AuditAction, AuditEntry, Link, UserPatch};
use crate::user::{DisplayName, Password, Role, User, UserRecord};

/// Default page size of the user and audit listings.
const DEFAULT_ADMIN_PAGE: usize = 100;

/// Who is administering.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A signed-in user; must be an admin.
    User(&'a User),
    /// Whoever runs the `classchat` CLI on the server: they own the database already.
    Operator,
    /// A background job of the server itself (retention), named in the audit log.
    Job(&'static str),
}

impl Actor<'_> {
    /// The actor's name in the audit log, once they are known to be allowed.
    pub(super) fn authorise(&self) -> Result<&str, ChatError> {
        match self {
            Self::User(user) => policy::may_administer(user).map(|()| user.id.as_str()),
            Self::Operator => Ok("cli"),
            Self::Job(name) => Ok(name),
        }
    }

    /// The signed-in user acting, `None` for the operator.
    pub(super) fn user(&self) -> Option<&User> {
        match self {
            Self::User(user) => Some(user),
            Self::Operator | Self::Job(_) => None,
        }
    }
}

/// A user to create, as it arrived, not yet validated.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    /// Their id.
    pub user_id: &'a str,
    /// Their display name.
    pub display_name: &'a str,
    /// `student`, `teacher`, `guardian` or `admin`.
    pub role: &'a str,
    /// Their initial password.
    pub password: &'a str,
}

/// Changes to a user, as they arrived; `None` fields stay as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserChanges<'a> {
    /// New display name.
    pub display_name: Option<&'a str>,
    /// New role; refused while the user has links, which would no longer make sense.
    pub role: Option<&'a str>,
    /// New password.
    pub password: Option<&'a str>,
    /// Disable or re-enable the account.
    pub disabled: Option<bool>,
}

impl ChatService {
    /// Creates a user with an argon2id-hashed password.
    pub async fn create_user(&self, actor: Actor<'_>, new: NewUser<'_>) -> Result<User, ChatError> {
        let actor_name = actor.authorise()?;
        let user = User {
            id: UserId::parse(new.user_id)?,
            display_name: DisplayName::parse(new.display_name)?,
            role: new.role.parse::<Role>()?,
            disabled: false,
        };
        let password = Password::new(new.password)?;
        let password_hash = self.hashing.hash(password).await?;
        if self.store.get_user(&user.id).await?.is_some() {
            return Err(ChatError::conflict(format!(
                "user {} exists already",
                user.id
            )));
        }
        self.audit(actor_name, AuditAction::CreateUser, user.id.to_string())
            .await?;
        let record = UserRecord {
            user: user.clone(),
            password_hash,
            token_version: 0,
        };
        self.store
            .create_user(&record)
            .await
            .on_conflict(|| ChatError::conflict(format!("user {} exists already", user.id)))?;
        Ok(user)
    }

    /// Changes a user's display name, role, password or disabled flag.
    pub async fn update_user(
        &self,
        actor: Actor<'_>,
        user_id: &str,
        changes: UserChanges<'_>,
    ) -> Result<User, ChatError> {
        let actor_name = actor.authorise()?;
        let id = UserId::parse(user_id)?;
        let mut patch = UserPatch {
            display_name: changes.display_name.map(DisplayName::parse).transpose()?,
            role: changes.role.map(str::parse::<Role>).transpose()?,
            password_hash: None,
            disabled: changes.disabled,
            revoke_tokens: false,
        };
        policy::may_update_user(actor.user(), &id, patch.disabled, patch.role)?;
        let current = self
            .store
            .get_user(&id)
            .await?
            .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))?;
        // Only a real change of role needs the links read.
        if let Some(requested) = patch.role.filter(|&role| role != current.user.role) {
            let (links, guardians) = tokio::join!(
                self.store.list_links(Some(&id)),
                self.store.list_guardian_links(Some(&id))
            );
            let linked = !links?.is_empty() || !guardians?.is_empty();
            policy::may_change_role(current.user.role, requested, linked)?;
        }
        if let Some(raw) = changes.password {
            let password = Password::new(raw)?;
            patch.password_hash = Some(self.hashing.hash(password).await?);
        }
        let revocation = revocation(&current.user, &patch);
        patch.revoke_tokens = revocation.is_some();
        self.audit(actor_name, AuditAction::UpdateUser, id.to_string())
            .await?;
        let updated = self
            .store
            .update_user(&id, &patch)
            .await?
            .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))?;
        if let Some(why) = revocation {
            self.hub.revoke(&id, why).await;
        }
        Ok(updated)
    }

    /// Users in userId order, after `after`, optionally of one role. The flag says whether
    /// more follow.
    pub async fn list_users(
        &self,
        actor: Actor<'_>,
        role: Option<&str>,
        after: Option<&str>,
        limit: Option<&str>,
    ) -> Result<(Vec<User>, bool), ChatError> {
        actor.authorise()?;
        let role = role.map(str::parse::<Role>).transpose()?;
        let after = after.map(UserId::parse).transpose()?;
        let limit = parse_limit(limit, DEFAULT_ADMIN_PAGE)?;
        let mut users = self
            .store
            .list_users(role, after.as_ref(), limit + 1)
            .await?;
        let has_more = users.len() > limit;
        users.truncate(limit);
        Ok((users, has_more))
    }

    /// Links a teacher and a student so they may chat.
    pub async fn add_link(
        &self,
        actor: Actor<'_>,
        teacher: &str,
        student: &str,
    ) -> Result<Link, ChatError> {
        let actor_name = actor.authorise()?;
        let link = self.checked_link(teacher, student).await?;
        if self.store.is_linked(&link).await? {
            return Err(ChatError::conflict(format!(
                "{} and {} are linked already",
                link.teacher, link.student
            )));
        }
        let before = self.family_pairs(&link.teacher).await?;
        self.audit(actor_name, AuditAction::AddLink, link_target(&link))
            .await?;
        self.store.add_link(&link).await.on_conflict(|| {
            ChatError::conflict(format!(
                "{} and {} are linked already",
                link.teacher, link.student
            ))
        })?;
        self.announce_link(&link, true).await;
        self.announce_family_change(&link.teacher, before).await;
        Ok(link)
    }

    /// Removes a link. The conversation stays readable by both, but nobody can send to it.
    pub async fn remove_link(
        &self,
        actor: Actor<'_>,
        teacher: &str,
        student: &str,
    ) -> Result<(), ChatError> {
        let actor_name = actor.authorise()?;
        let link = Link {
            teacher: UserId::parse(teacher)?,
            student: UserId::parse(student)?,
        };
        if !self.store.is_linked(&link).await? {
            return Err(ChatError::NotFound(format!(
                "{} and {} are not linked",
                link.teacher, link.student
            )));
        }
        let before = self.family_pairs(&link.teacher).await?;
        self.audit(actor_name, AuditAction::RemoveLink, link_target(&link))
            .await?;
        self.store.remove_link(&link).await?;
        self.announce_link(&link, false).await;
        self.announce_family_change(&link.teacher, before).await;
        Ok(())
    }

    /// Tells both sides of `link`, live, that it was added or removed: their clients open
    /// or close the conversation for sending, and subscriptions to it end on removal.
    pub(super) async fn announce_link(&self, link: &Link, linked: bool) {
        let delivery = Delivery {
            recipients: vec![link.student.clone(), link.teacher.clone()],
            skip: None,
        };
        let event = Event::Link {
            conversation_id: ConversationId::new(link.student.clone(), link.teacher.clone()),
            linked,
        };
        self.hub.publish(&delivery, &event).await;
    }

    /// The links of one user, or all links.
    pub async fn list_links(
        &self,
        actor: Actor<'_>,
        user: Option<&str>,
    ) -> Result<Vec<Link>, ChatError> {
        actor.authorise()?;
        let user = user.map(UserId::parse).transpose()?;
        Ok(self.store.list_links(user.as_ref()).await?)
    }

    /// Audit entries newest first, before the entry id `before`. The flag says whether
    /// older entries follow.
    pub async fn list_audit(
        &self,
        actor: Actor<'_>,
        before: Option<&str>,
        limit: Option<&str>,
    ) -> Result<(Vec<AuditEntry>, bool), ChatError> {
        actor.authorise()?;
        let before = before
            .map(|raw| {
                ulid::Ulid::from_string(raw)
                    .map(|id| id.to_string())
                    .map_err(|_| {
                        ChatError::invalid(
                            ErrorCode::InvalidCursor,
                            "before is the id of an audit entry",
                        )
                    })
            })
            .transpose()?;
        let limit = parse_limit(limit, DEFAULT_ADMIN_PAGE)?;
        let mut entries = self.store.list_audit(before.as_deref(), limit + 1).await?;
        let has_more = entries.len() > limit;
        entries.truncate(limit);
        Ok((entries, has_more))
    }

    /// Parses both ids and checks they name an existing teacher and student.
    async fn checked_link(&self, teacher: &str, student: &str) -> Result<Link, ChatError> {
        let link = Link {
            teacher: UserId::parse(teacher)?,
            student: UserId::parse(student)?,
        };
        for (id, role) in [
            (&link.teacher, Role::Teacher),
            (&link.student, Role::Student),
        ] {
            self.expect_role(id, role).await?;
        }
        Ok(link)
    }
}

fn link_target(link: &Link) -> String {
    format!("{}+{}", link.student, link.teacher)
}

/// Whether a change to `current` ends their sessions, and why: disabling the account,
/// changing its role or its password voids every token issued before (a role is baked
/// into what a client was allowed to open; a password reset is how a stolen session is
/// ended).
pub(super) fn revocation(current: &User, patch: &UserPatch) -> Option<Revocation> {
    if patch.disabled == Some(true) && !current.disabled {
        Some(Revocation::Disabled)
    } else if patch.role.is_some_and(|role| role != current.role) {
        Some(Revocation::RoleChanged)
    } else if patch.password_hash.is_some() {
        Some(Revocation::PasswordChanged)
    } else {
        None
    }
}
