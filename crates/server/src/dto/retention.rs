//! Retention on the wire: legal holds and the dry run of a retention pass.

use crate::schemas;
use classchat_core::moderation::{Hold, HoldTarget};
use classchat_core::service::RetentionReport;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /admin/holds` request, as it arrives: the service decides that exactly one id is
/// given (the document states it as `schemas::HoldBody`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldRequestDto {
    /// Hold every conversation of this user.
    pub user_id: Option<String>,
    /// Hold this conversation (either id order).
    pub conversation_id: Option<String>,
    /// Why, if given.
    pub reason: Option<String>,
}

/// A legal hold: retention deletes nothing it covers until an admin lifts it. Exactly one
/// of `userId` and `conversationId` is set.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoldDto {
    /// The user held (every conversation they take part in); `null` for a conversation's
    /// hold.
    #[schema(value_type = Option<schemas::UserId>)]
    pub user_id: Option<String>,
    /// The conversation held, canonical; `null` for a user's hold.
    #[schema(value_type = Option<schemas::ConversationId>)]
    pub conversation_id: Option<String>,
    /// Who set it: an admin's userId, or `cli` for the operator.
    pub by: String,
    /// When.
    #[schema(value_type = schemas::Timestamp)]
    pub at: String,
    /// Why; `null` when no reason was given.
    pub reason: Option<String>,
}

impl From<&Hold> for HoldDto {
    fn from(hold: &Hold) -> Self {
        let (user_id, conversation_id) = match &hold.target {
            HoldTarget::User(user) => (Some(user.to_string()), None),
            HoldTarget::Conversation(conversation) => (None, Some(conversation.to_string())),
        };
        Self {
            user_id,
            conversation_id,
            by: hold.by.clone(),
            at: hold.at.to_string(),
            reason: hold.reason.clone(),
        }
    }
}

/// `GET /admin/holds` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HoldsResponse {
    /// Every hold: users' (by userId), then conversations' (by conversationId).
    pub holds: Vec<HoldDto>,
}

/// An expired conversation a dry run names.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetentionSampleDto {
    /// The conversation, canonical.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
    /// Its last message's time, before the cutoff.
    #[schema(value_type = schemas::Timestamp)]
    pub last_message_at: String,
}

/// `POST /admin/retention/preview` answer: what a retention pass would delete now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetentionPreviewDto {
    /// The school's policy in days; `null`: keep everything (then nothing is counted).
    pub retention_days: Option<u32>,
    /// Conversations whose last message is before this instant are expired; `null` without
    /// a policy.
    #[schema(value_type = Option<schemas::Timestamp>)]
    pub cutoff: Option<String>,
    /// Expired conversations a pass would delete.
    pub conversations: u64,
    /// Their messages.
    pub messages: u64,
    /// Expired conversations a legal hold keeps.
    pub held: u64,
    /// The first expired conversations (up to 100), with their last message's time.
    pub sample: Vec<RetentionSampleDto>,
}

impl From<&RetentionReport> for RetentionPreviewDto {
    fn from(report: &RetentionReport) -> Self {
        Self {
            retention_days: report.retention_days,
            cutoff: report.cutoff.map(|cutoff| cutoff.to_string()),
            conversations: report.conversations,
            messages: report.messages,
            held: report.held,
            sample: report
                .sample
                .iter()
                .map(|(conversation, last)| RetentionSampleDto {
                    conversation_id: conversation.to_string(),
                    last_message_at: last.to_string(),
                })
                .collect(),
        }
    }
}
