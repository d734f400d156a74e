//! Families: guardian links (made by an admin or the operator), the facts the policy needs
//! about a guardian's claim on a student, the school's settings, and telling guardians and
//! teachers live when a family link that lets them talk comes or goes.

use super::{Actor, ChatService};
use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode, OnConflict};
use crate::hub::{Delivery, Event};
use crate::ids::UserId;
use crate::moderation::{FlagRules, MAX_EDIT_WINDOW_MINUTES, check_retention_days};
use crate::policy::Guardianship;
use crate::settings::{SchoolSettings, SettingsPatch};
use crate::store::{AuditAction, GuardianLink};
use crate::user::{Role, User};
use std::collections::BTreeSet;

impl ChatService {
    /// Makes `guardian` a guardian of `student`: the guardian may then message the
    /// student's teachers. Both accounts must exist with those roles.
    pub async fn add_guardian(
        &self,
        actor: Actor<'_>,
        guardian: &str,
        student: &str,
    ) -> Result<GuardianLink, ChatError> {
        let actor_name = actor.authorise()?;
        let link = self.checked_guardian_link(guardian, student).await?;
        let exists = || {
            ChatError::conflict(format!(
                "{} is already a guardian of {}",
                link.guardian, link.student
            ))
        };
        if self.is_guardian_of(&link.guardian, &link.student).await? {
            return Err(exists());
        }
        let before = self.family_pairs(&link.guardian).await?;
        self.audit(actor_name, AuditAction::AddGuardian, guardian_target(&link))
            .await?;
        self.store.add_guardian(&link).await.on_conflict(exists)?;
        self.announce_family_change(&link.guardian, before).await;
        Ok(link)
    }

    /// Removes a guardian link. Their conversations with teachers no other child connects
    /// them to stay readable, but nobody can send to them.
    pub async fn remove_guardian(
        &self,
        actor: Actor<'_>,
        guardian: &str,
        student: &str,
    ) -> Result<(), ChatError> {
        let actor_name = actor.authorise()?;
        let link = GuardianLink {
            guardian: UserId::parse(guardian)?,
            student: UserId::parse(student)?,
        };
        if !self.is_guardian_of(&link.guardian, &link.student).await? {
            return Err(ChatError::NotFound(format!(
                "{} is not a guardian of {}",
                link.guardian, link.student
            )));
        }
        let before = self.family_pairs(&link.guardian).await?;
        self.audit(
            actor_name,
            AuditAction::RemoveGuardian,
            guardian_target(&link),
        )
        .await?;
        self.store.remove_guardian(&link).await?;
        self.announce_family_change(&link.guardian, before).await;
        Ok(())
    }

    /// The guardian links of one user (guardian or student), or all of them.
    pub async fn list_guardian_links(
        &self,
        actor: Actor<'_>,
        user: Option<&str>,
    ) -> Result<Vec<GuardianLink>, ChatError> {
        actor.authorise()?;
        let user = user.map(UserId::parse).transpose()?;
        Ok(self.store.list_guardian_links(user.as_ref()).await?)
    }

    /// The school's settings (admins and the operator).
    pub async fn settings(&self, actor: Actor<'_>) -> Result<SchoolSettings, ChatError> {
        actor.authorise()?;
        Ok(self.store.settings().await?)
    }

    /// Changes the school's settings; audited when something changes, and nothing is
    /// written when nothing does.
    pub async fn update_settings(
        &self,
        actor: Actor<'_>,
        patch: SettingsPatch,
    ) -> Result<SchoolSettings, ChatError> {
        let actor_name = actor.authorise()?;
        for teacher in patch.urgent_senders.iter().flatten() {
            let record = self.store.get_user(teacher).await?;
            let Some(record) = record else {
                return Err(ChatError::NotFound(format!("no user {teacher}")));
            };
            if record.user.role != Role::Teacher {
                return Err(ChatError::validation(
                    ErrorCode::InvalidRole,
                    format!("{teacher} is not a teacher; only teachers send urgent messages"),
                ));
            }
        }
        if patch
            .edit_window_minutes
            .is_some_and(|minutes| minutes > MAX_EDIT_WINDOW_MINUTES)
        {
            return Err(ChatError::validation(
                ErrorCode::InvalidRequest,
                format!("editWindowMinutes is 0 to {MAX_EDIT_WINDOW_MINUTES}"),
            ));
        }
        if let Some(Some(days)) = patch.retention_days {
            check_retention_days(days)?;
        }
        let before = self.store.settings().await?;
        let after = before.patched(&patch);
        if patch.flag_words.is_some() || patch.flag_patterns.is_some() {
            FlagRules::compile(&after.flag_words, &after.flag_patterns)?;
        }
        let Some(change) = after.change_from(&before) else {
            return Ok(after);
        };
        self.audit(actor_name, AuditAction::UpdateSettings, change)
            .await?;
        self.store.put_settings(&after).await?;
        self.forget_school_hours();
        self.rules_cache.forget();
        Ok(after)
    }

    /// Whether `caller`'s family can read their conversations: a student with at least
    /// one guardian, in a school that allows guardian oversight. The client shows the
    /// student a notice saying so.
    pub async fn family_can_read(&self, caller: &User) -> Result<bool, ChatError> {
        if caller.role != Role::Student {
            return Ok(false);
        }
        let (settings, guardians) = tokio::join!(
            self.store.settings(),
            self.store.list_guardian_links(Some(&caller.id))
        );
        Ok(settings?.guardian_oversight && guardians?.iter().any(|link| link.student == caller.id))
    }

    /// What the policy needs to know about `caller`'s claim on `student`: nothing unless
    /// the caller is a guardian of that student; then whether the school allows oversight.
    pub(super) async fn guardianship(
        &self,
        caller: &User,
        student: &UserId,
    ) -> Result<Guardianship, ChatError> {
        if caller.role != Role::Guardian || !self.is_guardian_of(&caller.id, student).await? {
            return Ok(Guardianship::None);
        }
        Ok(Guardianship::Child {
            school_allows: self.store.settings().await?.guardian_oversight,
        })
    }

    /// The children of `guardian`, as the store lists their guardian links.
    pub(super) async fn children_of(&self, guardian: &UserId) -> Result<Vec<UserId>, ChatError> {
        Ok(self
            .store
            .list_guardian_links(Some(guardian))
            .await?
            .into_iter()
            .filter(|link| &link.guardian == guardian)
            .map(|link| link.student)
            .collect())
    }

    /// Whether `guardian` is a guardian of `student`.
    async fn is_guardian_of(&self, guardian: &UserId, student: &UserId) -> Result<bool, ChatError> {
        Ok(self.children_of(guardian).await?.contains(student))
    }

    /// The children through whom `member` (if a guardian) and `teacher` may talk: none
    /// when `member` is not a guardian, or no child of theirs is linked to the teacher.
    pub(super) async fn connecting_children(
        &self,
        member: &UserId,
        teacher: &UserId,
    ) -> Result<Vec<UserId>, ChatError> {
        Ok(self
            .store
            .family_links(member)
            .await?
            .into_iter()
            .filter(|link| &link.guardian == member && &link.teacher == teacher)
            .map(|link| link.student)
            .collect())
    }

    /// The (guardian, teacher) conversations open for sending around `user` (a guardian
    /// or a teacher) now: compared before and after a change of links, they say whose
    /// conversations opened or closed.
    pub(super) async fn family_pairs(
        &self,
        user: &UserId,
    ) -> Result<BTreeSet<ConversationId>, ChatError> {
        Ok(self
            .store
            .family_links(user)
            .await?
            .iter()
            .map(|link| link.conversation())
            .collect())
    }

    /// Tells both sides of every family conversation around `user` that opened or closed
    /// since `before` was read ([`Self::family_pairs`]), as a link event, so their clients
    /// open or close it for sending. A failure to read the state after the change only
    /// costs the live notice: the change itself has been made.
    pub(super) async fn announce_family_change(
        &self,
        user: &UserId,
        before: BTreeSet<ConversationId>,
    ) {
        let Ok(after) = self.family_pairs(user).await else {
            return;
        };
        for (conversation, linked) in before
            .symmetric_difference(&after)
            .map(|conversation| (conversation, after.contains(conversation)))
        {
            let delivery = Delivery {
                recipients: vec![
                    conversation.member().clone(),
                    conversation.teacher().clone(),
                ],
                skip: None,
            };
            let event = Event::Link {
                conversation_id: conversation.clone(),
                linked,
            };
            self.hub.publish(&delivery, &event).await;
        }
    }

    /// Parses both ids and checks they name an existing guardian and student.
    async fn checked_guardian_link(
        &self,
        guardian: &str,
        student: &str,
    ) -> Result<GuardianLink, ChatError> {
        let link = GuardianLink {
            guardian: UserId::parse(guardian)?,
            student: UserId::parse(student)?,
        };
        for (id, role) in [
            (&link.guardian, Role::Guardian),
            (&link.student, Role::Student),
        ] {
            self.expect_role(id, role).await?;
        }
        Ok(link)
    }

    /// 404 if `id` is unknown, 422 if it is not a `role`.
    pub(super) async fn expect_role(&self, id: &UserId, role: Role) -> Result<(), ChatError> {
        let record = self
            .store
            .get_user(id)
            .await?
            .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))?;
        if record.user.role != role {
            return Err(ChatError::validation(
                ErrorCode::InvalidRole,
                format!("{id} is a {}, not a {role}", record.user.role),
            ));
        }
        Ok(())
    }
}

/// How the audit log names a guardian link: `guardianId~studentId` (`~` never occurs in a
/// userId, and `+` would read as a conversation).
fn guardian_target(link: &GuardianLink) -> String {
    format!("{}~{}", link.guardian, link.student)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guardian_link_is_audited_unlike_a_conversation() {
        let link = GuardianLink {
            guardian: UserId::parse("g1").unwrap(),
            student: UserId::parse("s1").unwrap(),
        };
        assert_eq!(guardian_target(&link), "g1~s1");
        assert!(ConversationId::parse_canonical(&guardian_target(&link)).is_err());
    }
}
