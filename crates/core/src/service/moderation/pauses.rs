//! Pausing a conversation: its student or guardian cannot write until it resumes. Both
//! sides are told live; both steps are audited.

use super::super::ChatService;
use super::super::addressing::Named;
use super::super::chat::participants;
use crate::conversation::ConversationId;
use crate::error::ChatError;
use crate::hub::Event;
use crate::moderation::{Pause, PauseReason};
use crate::policy;
use crate::store::AuditAction;
use crate::user::User;

impl ChatService {
    /// Pauses a conversation, for its teacher or an admin; what both sides are told is
    /// `reason`. Pausing a paused conversation changes nothing and answers the pause in
    /// force. Audited as `conversation.pause`.
    pub async fn pause_conversation(
        &self,
        caller: &User,
        conversation: &str,
        reason: Option<&str>,
    ) -> Result<(ConversationId, Pause), ChatError> {
        let reason = reason.map(PauseReason::parse).transpose()?;
        policy::may_pause_at_all(caller)?;
        self.check_moderation_rate(caller)?;
        let conversation = self.pausable(caller, conversation).await?;
        if let Some(current) = self.store.pause(&conversation).await? {
            return Ok((conversation, current));
        }
        let pause = Pause {
            by: caller.id.clone(),
            by_role: caller.role,
            at: self.clock.now(),
            reason,
        };
        self.audit(
            caller.id.as_str(),
            AuditAction::PauseConversation,
            conversation.to_string(),
        )
        .await?;
        if !self
            .store
            .set_pause(&conversation, None, Some(&pause))
            .await?
        {
            return Err(ChatError::conflict(
                "the conversation was paused meanwhile; reload it",
            ));
        }
        let event = Event::Paused {
            conversation_id: conversation.clone(),
            pause: Some(pause.clone()),
        };
        self.hub
            .publish(&participants(&conversation, None), &event)
            .await;
        Ok((conversation, pause))
    }

    /// Resumes a paused conversation: an admin any, its teacher one a teacher paused.
    /// Resuming a conversation that is not paused changes nothing. Audited as
    /// `conversation.resume`.
    pub async fn resume_conversation(
        &self,
        caller: &User,
        conversation: &str,
    ) -> Result<ConversationId, ChatError> {
        policy::may_pause_at_all(caller)?;
        self.check_moderation_rate(caller)?;
        let conversation = self.pausable(caller, conversation).await?;
        let Some(current) = self.store.pause(&conversation).await? else {
            return Ok(conversation);
        };
        policy::may_resume(caller, &current)?;
        self.audit(
            caller.id.as_str(),
            AuditAction::ResumeConversation,
            conversation.to_string(),
        )
        .await?;
        if !self
            .store
            .set_pause(&conversation, Some(current.at), None)
            .await?
        {
            return Err(ChatError::conflict(
                "the conversation's pause changed meanwhile; reload it",
            ));
        }
        let event = Event::Paused {
            conversation_id: conversation.clone(),
            pause: None,
        };
        self.hub
            .publish(&participants(&conversation, None), &event)
            .await;
        Ok(conversation)
    }

    /// The conversation `raw` names, if `caller` may pause it.
    async fn pausable(&self, caller: &User, raw: &str) -> Result<ConversationId, ChatError> {
        let Named {
            conversation,
            relation,
            ..
        } = self.named_conversation(caller, raw).await?;
        policy::may_pause(caller, &conversation, relation)?;
        Ok(conversation)
    }
}
