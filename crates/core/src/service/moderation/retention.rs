//! Legal holds and the retention pass: conversations whose last message is older than the
//! school's policy are deleted, except under a hold; a dry run only counts.
//!
//! A pass walks every teacher's conversations (a teacher is in every conversation, so
//! nothing is missed and no store needs a listing of its own), one page of teachers at a
//! time. Deleting a conversation is a series of atomic store steps that leaves it
//! findable until its last step, so a pass stopped anywhere is finished by the next one,
//! and nothing is deleted twice.

use super::super::ChatService;
use super::super::admin::Actor;
use crate::conversation::{ConversationId, ConversationRef};
use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::moderation::{Hold, HoldTarget};
use crate::store::{AuditAction, PageRequest};
use crate::time::Timestamp;
use crate::user::Role;

/// Teachers read per store call.
const TEACHER_PAGE: usize = 200;
/// Messages deleted per store call (DynamoDB writes them 25 at a time).
const DELETE_BATCH: usize = 100;
/// Longest reason a hold may give, in characters.
pub const MAX_HOLD_REASON_CHARS: usize = 500;
/// The retention job's lease, and its name in the audit log.
const RETENTION_LEASE: &str = "retention";
/// Conversations a dry run names (it counts them all).
const PREVIEW_SAMPLE: usize = 100;

/// What a hold request names: exactly one of a user or a conversation.
#[derive(Debug, Clone, Copy, Default)]
pub struct HoldRequest<'a> {
    /// Hold every conversation of this user.
    pub user_id: Option<&'a str>,
    /// Hold this conversation.
    pub conversation_id: Option<&'a str>,
    /// Why (a case reference), if given.
    pub reason: Option<&'a str>,
}

/// What a retention pass did, or a dry run would do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetentionReport {
    /// The school's policy in days; `None`: keep forever, and nothing was looked at.
    pub retention_days: Option<u32>,
    /// Conversations whose last message is before this instant are expired.
    pub cutoff: Option<Timestamp>,
    /// Expired conversations deleted (or, in a dry run, that would be).
    pub conversations: u64,
    /// Their messages deleted (or that would be).
    pub messages: u64,
    /// Expired conversations kept by a legal hold.
    pub held: u64,
    /// Whether nothing was deleted because this was a dry run.
    pub dry_run: bool,
    /// In a dry run, the first expired conversations with their last message's time.
    pub sample: Vec<(ConversationId, Timestamp)>,
}

impl RetentionReport {
    /// The audit target: the counts.
    fn summary(&self) -> String {
        let cutoff = self
            .cutoff
            .map_or_else(|| "none".to_owned(), |cutoff| cutoff.to_string());
        format!(
            "conversations={} messages={} held={} cutoff={cutoff}",
            self.conversations, self.messages, self.held
        )
    }
}

impl ChatService {
    /// Every legal hold, for admins and the operator.
    pub async fn list_holds(&self, actor: Actor<'_>) -> Result<Vec<Hold>, ChatError> {
        actor.authorise()?;
        self.check_actor_rate(actor)?;
        Ok(self.store.holds().await?)
    }

    /// Puts a user or a conversation under legal hold: retention deletes nothing of it.
    /// Audited as `hold.set`; holding what is held changes nothing.
    pub async fn set_hold(
        &self,
        actor: Actor<'_>,
        request: HoldRequest<'_>,
    ) -> Result<Hold, ChatError> {
        let name = actor.authorise()?;
        let reason = request
            .reason
            .map(|raw| crate::text::bounded_text(raw, MAX_HOLD_REASON_CHARS, "reason"))
            .transpose()?;
        self.check_actor_rate(actor)?;
        let target = self.hold_target(actor, request).await?;
        if let Some(existing) = self
            .store
            .holds()
            .await?
            .into_iter()
            .find(|hold| hold.target == target)
        {
            return Ok(existing);
        }
        self.audit(name, AuditAction::SetHold, target.key()).await?;
        let hold = Hold {
            target,
            by: name.to_owned(),
            at: self.clock.now(),
            reason,
        };
        self.store.put_hold(&hold).await?;
        Ok(hold)
    }

    /// Lifts a legal hold; whether there was one. Audited as `hold.release`.
    pub async fn release_hold(
        &self,
        actor: Actor<'_>,
        request: HoldRequest<'_>,
    ) -> Result<bool, ChatError> {
        let name = actor.authorise()?;
        self.check_actor_rate(actor)?;
        let target = self.hold_target(actor, request).await?;
        let held = self
            .store
            .holds()
            .await?
            .iter()
            .any(|hold| hold.target == target);
        if !held {
            return Ok(false);
        }
        self.audit(name, AuditAction::ReleaseHold, target.key())
            .await?;
        Ok(self.store.remove_hold(&target).await?)
    }

    /// The target a hold request names: exactly one of a known user or a conversation
    /// of two known users who may converse.
    async fn hold_target(
        &self,
        actor: Actor<'_>,
        request: HoldRequest<'_>,
    ) -> Result<HoldTarget, ChatError> {
        match (request.user_id, request.conversation_id) {
            (Some(user), None) => {
                let id = UserId::parse(user)?;
                self.store
                    .get_user(&id)
                    .await?
                    .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))?;
                Ok(HoldTarget::User(id))
            }
            (None, Some(raw)) => {
                let reference = ConversationRef::parse(raw)?;
                let conversation = self.resolve(actor.user(), &reference).await?;
                Ok(HoldTarget::Conversation(conversation))
            }
            _ => Err(ChatError::invalid(
                ErrorCode::InvalidRequest,
                "name exactly one of userId or conversationId",
            )),
        }
    }

    /// One retention pass at the clock's time: deletes every expired conversation not
    /// under a legal hold, or with `dry_run` only counts them. For admins (a dry run) and
    /// the operator and the background job (both). Audited with its counts as
    /// `retention.preview` or, when a policy is set, `retention.run`.
    pub async fn retention_pass(
        &self,
        actor: Actor<'_>,
        dry_run: bool,
    ) -> Result<RetentionReport, ChatError> {
        let name = actor.authorise()?;
        if let Some(admin) = actor.user() {
            if !dry_run {
                return Err(ChatError::forbidden(
                    "retention runs by itself on the school's policy; admins preview it",
                ));
            }
            self.check_moderation_rate(admin)?;
        }
        let settings = self.store.settings().await?;
        let mut report = RetentionReport {
            retention_days: settings.retention_days,
            dry_run,
            ..RetentionReport::default()
        };
        if let Some(days) = settings.retention_days {
            let cutoff = self
                .clock
                .now()
                .plus_micros(-i64::from(days) * 86_400_000_000);
            report.cutoff = Some(cutoff);
            self.expire_before(cutoff, &mut report).await?;
        }
        let action = match dry_run {
            true => AuditAction::RetentionPreview,
            false => AuditAction::RetentionRun,
        };
        if dry_run || report.retention_days.is_some() {
            self.audit(name, action, report.summary()).await?;
        }
        Ok(report)
    }

    /// One round of the retention job, which every node runs: if no node has run a pass
    /// within `every_micros` (the `retention` lease is free), this one takes the lease for
    /// that long and runs the pass, audited as the job `retention`. `None` when another
    /// node ran it, or runs it now. A node that crashes mid-pass leaves the lease until it
    /// lapses; the next pass then finishes what it left.
    pub async fn retention_round(
        &self,
        every_micros: i64,
    ) -> Result<Option<RetentionReport>, ChatError> {
        let now = self.clock.now();
        // A holder of its own for every round, so a node never renews its own lease: at
        // most one pass per period across all nodes.
        let holder = ulid::Ulid::new().to_string();
        if !self
            .store
            .try_lease(RETENTION_LEASE, &holder, now, now.plus_micros(every_micros))
            .await?
        {
            return Ok(None);
        }
        self.retention_pass(Actor::Job(RETENTION_LEASE), false)
            .await
            .map(Some)
    }

    /// Walks every teacher's conversations, deleting (or counting) those whose last
    /// message is before `cutoff`.
    async fn expire_before(
        &self,
        cutoff: Timestamp,
        report: &mut RetentionReport,
    ) -> Result<(), ChatError> {
        let holds = self.store.holds().await?;
        let mut after: Option<UserId> = None;
        loop {
            let teachers = self
                .store
                .list_users(Some(Role::Teacher), after.as_ref(), TEACHER_PAGE)
                .await?;
            for teacher in &teachers {
                for contact in self.store.active_conversations(&teacher.id).await? {
                    let Some(last) = contact.last_message.map(|message| message.timestamp) else {
                        continue;
                    };
                    if last >= cutoff {
                        continue;
                    }
                    let conversation = contact.conversation_id;
                    if holds.iter().any(|hold| hold.covers(&conversation)) {
                        report.held += 1;
                        continue;
                    }
                    report.conversations += 1;
                    report.messages += match report.dry_run {
                        true => {
                            if report.sample.len() < PREVIEW_SAMPLE {
                                report.sample.push((conversation.clone(), last));
                            }
                            self.count_up_to(&conversation, last).await?
                        }
                        false => self.delete_up_to(&conversation, last).await?,
                    };
                }
            }
            match teachers.last() {
                Some(last) if teachers.len() == TEACHER_PAGE => after = Some(last.id.clone()),
                _ => return Ok(()),
            }
        }
    }

    /// Deletes a conversation's messages up to `last`, then the rest of it.
    async fn delete_up_to(
        &self,
        conversation: &ConversationId,
        last: Timestamp,
    ) -> Result<u64, ChatError> {
        let mut deleted = 0;
        loop {
            let step = self
                .store
                .delete_conversation(conversation, last, DELETE_BATCH)
                .await?;
            deleted += step.messages;
            if step.finished {
                return Ok(deleted);
            }
        }
    }

    /// Counts a conversation's messages up to `last`, a page at a time.
    async fn count_up_to(
        &self,
        conversation: &ConversationId,
        last: Timestamp,
    ) -> Result<u64, ChatError> {
        let mut count = 0;
        let mut after = Timestamp::MIN;
        loop {
            let request = PageRequest {
                before: Some(last.next()),
                after: Some(after),
                limit: crate::service::MAX_PAGE_LIMIT,
            };
            let page = self.store.read_messages(conversation, &request).await?;
            count += u64::try_from(page.messages.len()).unwrap_or(u64::MAX);
            match page.messages.last() {
                Some(newest) if page.has_more => after = newest.timestamp,
                _ => return Ok(count),
            }
        }
    }

    /// An admin's moderation budget; the operator has none.
    fn check_actor_rate(&self, actor: Actor<'_>) -> Result<(), ChatError> {
        match actor.user() {
            Some(admin) => self.check_moderation_rate(admin),
            None => Ok(()),
        }
    }
}
