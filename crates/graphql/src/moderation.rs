//! The safeguarding mutations: an author edits or removes their own message, a participant
//! reports the other's, a teacher or an admin pauses and resumes a conversation. Each is
//! one `ChatService` call: the edit window, who may pause what and the audit are the
//! service's, and a refusal carries its REST code (`not_editable`, `conversation_paused`,
//! …) in `extensions.code`.

use crate::api::{Caller, caller};
use crate::error::OrGraphql;
use crate::types::{Message, Pause};
use async_graphql::{Context, Object, Result, SimpleObject};
use classchat_core::service::{EditRequest, ReportRequest};

/// What a reporter is told of their report: it was filed, and nothing of what follows.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct ReportReceipt {
    /// The report's id.
    report_id: String,
    /// Always `received`: the school's staff review it; the reporter is told no more.
    status: String,
    /// When it was filed (a second report of the same message answers the first's).
    received_at: String,
}

/// The safeguarding fields of the `Mutation` root.
#[derive(Default)]
pub(crate) struct ModerationMutation;

#[Object]
impl ModerationMutation {
    /// Replaces the text of the caller's own message (identified by its conversation and
    /// timestamp) within the school's edit window, `not_editable` after it, and
    /// `conversation_paused` for a student or guardian while the conversation is paused.
    /// The earlier text is kept for admins; both participants see the message marked
    /// edited, live (`messageEdited`).
    async fn edit_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
        timestamp: String,
        message_body: String,
    ) -> Result<Message> {
        let Caller { service, user } = caller(ctx)?;
        let request = EditRequest {
            conversation_id: &conversation_id,
            timestamp: &timestamp,
            message_body: &message_body,
            origin: None,
        };
        let edited = service.edit_message(user, request).await.or_graphql()?;
        Ok(Message::from(&edited))
    }

    /// Removes the caller's own message: its tombstone (`removedAt` set, `messageBody`
    /// empty), which is what both participants see from now on, live
    /// (`messageRemoved`) and in every read. Admins still read the text.
    async fn remove_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
        timestamp: String,
    ) -> Result<Message> {
        let Caller { service, user } = caller(ctx)?;
        let removed = service
            .remove_message(user, &conversation_id, &timestamp, None)
            .await
            .or_graphql()?;
        Ok(Message::from(&removed))
    }

    /// Reports the other participant's message to the school's staff: `reason` is one of
    /// `bullying`, `inappropriate`, `safety`, `spam`, `other`; `details` at most 1,000
    /// characters. Reporting the same message again answers the first report.
    async fn report_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
        timestamp: String,
        reason: String,
        details: Option<String>,
    ) -> Result<ReportReceipt> {
        let Caller { service, user } = caller(ctx)?;
        let request = ReportRequest {
            conversation_id: &conversation_id,
            timestamp: &timestamp,
            reason: &reason,
            details: details.as_deref(),
        };
        let receipt = service.report_message(user, request).await.or_graphql()?;
        Ok(ReportReceipt {
            report_id: receipt.report_id.to_string(),
            status: "received".to_owned(),
            received_at: receipt.received_at.to_string(),
        })
    }

    /// Pauses a conversation (its teacher, or any admin): its student or guardian cannot
    /// send or edit until it resumes, and both sides are told `reason` (at most 500
    /// characters). Pausing a paused conversation answers the pause in force.
    async fn pause_conversation(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
        reason: Option<String>,
    ) -> Result<Pause> {
        let Caller { service, user } = caller(ctx)?;
        let (_, pause) = service
            .pause_conversation(user, &conversation_id, reason.as_deref())
            .await
            .or_graphql()?;
        Ok(Pause::from(&pause))
    }

    /// Resumes a paused conversation: any admin, or its teacher if a teacher paused it.
    /// True once it is not paused (resuming one that is not paused changes nothing).
    async fn resume_conversation(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
    ) -> Result<bool> {
        let Caller { service, user } = caller(ctx)?;
        service
            .resume_conversation(user, &conversation_id)
            .await
            .or_graphql()?;
        Ok(true)
    }
}
