//! An author's edits and removals: every version kept, a removal a tombstone, both
//! audited and delivered live.

use super::super::ChatService;
use super::super::addressing::Named;
use super::super::chat::participants;
use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::hub::{ConnectionId, Event};
use crate::message::{Message, MessageBody};
use crate::policy;
use crate::store::{AuditAction, MessageVersion, Revision, RevisionKind, StoreError};
use crate::time::Timestamp;
use crate::user::User;

/// An edit as it arrived from a client.
#[derive(Debug, Clone, Copy)]
pub struct EditRequest<'a> {
    /// The conversation, in either id order.
    pub conversation_id: &'a str,
    /// The message's timestamp (its key).
    pub timestamp: &'a str,
    /// The new text.
    pub message_body: &'a str,
    /// The live connection it came on, if any.
    pub origin: Option<&'a ConnectionId>,
}

/// A message with every earlier text, for an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHistory {
    /// The message as stored (a removed one with its text).
    pub message: Message,
    /// Its earlier texts, oldest first.
    pub versions: Vec<MessageVersion>,
}

/// The audit target of a message: `conversationId@timestamp`.
fn target(conversation: &ConversationId, timestamp: Timestamp) -> String {
    format!("{conversation}@{timestamp}")
}

fn parse_timestamp(raw: &str) -> Result<Timestamp, ChatError> {
    Timestamp::parse(raw).map_err(|_| {
        ChatError::invalid(
            ErrorCode::InvalidCursor,
            "timestamp is the message's, RFC 3339 UTC, e.g. 2026-11-24T14:01:02.123456Z",
        )
    })
}

/// What a store's conflict means to a revision: someone changed the message first.
fn changed_meanwhile(error: StoreError) -> ChatError {
    match error {
        StoreError::Conflict(_) => ChatError::Conflict {
            code: ErrorCode::NotEditable,
            message: "the message changed meanwhile; reload it and try again".into(),
        },
        other => other.into(),
    }
}

impl ChatService {
    /// Replaces the text of the caller's own message, within the school's edit window and
    /// while they may still write in the conversation. The earlier text is kept for
    /// admins; both participants see the message marked edited, live. Audited as
    /// `message.edit`. An edit to the same text changes nothing.
    pub async fn edit_message(
        &self,
        caller: &User,
        request: EditRequest<'_>,
    ) -> Result<Message, ChatError> {
        let timestamp = parse_timestamp(request.timestamp)?;
        let body = MessageBody::parse(request.message_body)?;
        policy::may_revise_at_all(caller)?;
        if !self.send_limiter.allow(&caller.id, self.clock.now()) {
            return Err(ChatError::RateLimited);
        }
        let (conversation, relation, message) = self
            .own_message(caller, request.conversation_id, timestamp)
            .await?;
        policy::may_revise(caller, &message, true)?;
        policy::may_send(caller, &caller.id, &conversation, relation)?;
        let rules = self.school_rules().await?;
        let now = self.clock.now();
        policy::may_edit_at(message.timestamp, now, rules.edit_window_minutes)?;
        if &caller.id == conversation.member() {
            let pause = self.store.pause(&conversation).await?;
            policy::may_write_while(caller, &conversation, pause.as_ref())?;
        }
        if message.body == body {
            return Ok(message);
        }
        self.audit(
            caller.id.as_str(),
            AuditAction::EditMessage,
            target(&conversation, timestamp),
        )
        .await?;
        let revision = Revision {
            conversation_id: conversation.clone(),
            timestamp,
            expected_edited_at: message.edited_at,
            kind: RevisionKind::Edit(body),
            at: now,
        };
        let edited = self
            .store
            .revise_message(&revision)
            .await
            .map_err(changed_meanwhile)?
            .ok_or_else(|| ChatError::NotFound("no such message".into()))?;
        self.hub
            .publish(
                &participants(&conversation, request.origin),
                &Event::Edited(edited.clone()),
            )
            .await;
        self.flag_if_matching(&edited).await;
        Ok(edited)
    }

    /// Removes the caller's own message: a tombstone. Participants see "message removed"
    /// live and in every read; admins still see the text. Audited as `message.remove`.
    /// Removing a removed message changes nothing.
    pub async fn remove_message(
        &self,
        caller: &User,
        conversation: &str,
        timestamp: &str,
        origin: Option<&ConnectionId>,
    ) -> Result<Message, ChatError> {
        let timestamp = parse_timestamp(timestamp)?;
        policy::may_revise_at_all(caller)?;
        if !self.send_limiter.allow(&caller.id, self.clock.now()) {
            return Err(ChatError::RateLimited);
        }
        let (conversation, _, message) = self.own_message(caller, conversation, timestamp).await?;
        if message.author == caller.id && message.removed_at.is_some() {
            return Ok(message.redacted());
        }
        policy::may_revise(caller, &message, false)?;
        self.audit(
            caller.id.as_str(),
            AuditAction::RemoveMessage,
            target(&conversation, timestamp),
        )
        .await?;
        let revision = Revision {
            conversation_id: conversation.clone(),
            timestamp,
            expected_edited_at: message.edited_at,
            kind: RevisionKind::Remove,
            at: self.clock.now(),
        };
        let removed = self
            .store
            .revise_message(&revision)
            .await
            .map_err(changed_meanwhile)?
            .ok_or_else(|| ChatError::NotFound("no such message".into()))?
            .redacted();
        self.hub
            .publish(
                &participants(&conversation, origin),
                &Event::Removed(removed.clone()),
            )
            .await;
        Ok(removed)
    }

    /// A message with every earlier text and, if removed, the text it had: for admins,
    /// audited as `message.history` before anything is read.
    pub async fn message_history(
        &self,
        caller: &User,
        conversation: &str,
        timestamp: &str,
    ) -> Result<MessageHistory, ChatError> {
        let timestamp = parse_timestamp(timestamp)?;
        policy::may_administer(caller)?;
        self.check_moderation_rate(caller)?;
        let Named { conversation, .. } = self.named_conversation(caller, conversation).await?;
        self.audit(
            caller.id.as_str(),
            AuditAction::ReadHistory,
            target(&conversation, timestamp),
        )
        .await?;
        let (message, versions) = tokio::join!(
            self.store.message(&conversation, timestamp),
            self.store.message_versions(&conversation, timestamp)
        );
        let message = message?.ok_or_else(|| ChatError::NotFound("no such message".into()))?;
        Ok(MessageHistory {
            message,
            versions: versions?,
        })
    }

    /// The conversation `raw` names (refusing strangers with the policy's one answer) and
    /// the message at `timestamp` in it; 404 if there is none.
    pub(super) async fn own_message(
        &self,
        caller: &User,
        raw: &str,
        timestamp: Timestamp,
    ) -> Result<(ConversationId, policy::Relation, Message), ChatError> {
        let Named {
            conversation,
            relation,
            ..
        } = self.named_conversation(caller, raw).await?;
        policy::may_name_message(caller, &conversation)?;
        let message = self
            .store
            .message(&conversation, timestamp)
            .await?
            .ok_or_else(|| ChatError::NotFound("no message at that timestamp".into()))?;
        Ok((conversation, relation, message))
    }
}
