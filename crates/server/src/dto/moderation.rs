//! Safeguarding on the wire: edits, removals, reports, pauses and the moderation queue.

use super::MessageDto;
use crate::schemas;
use classchat_core::ConversationId;
use classchat_core::moderation::{MessageVersion, Pause, Report, ReportSource, ReportStep};
use classchat_core::service::{MessageHistory, ReportReceipt, ReportView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /chat/edit` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditMessageRequest {
    /// The conversation, either id order.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
    /// The message's timestamp, as stored.
    #[schema(value_type = schemas::Timestamp)]
    pub timestamp: String,
    /// The new text.
    #[schema(value_type = schemas::MessageBody)]
    pub message_body: String,
}

/// `POST /chat/remove` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoveMessageRequest {
    /// The conversation, either id order.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
    /// The message's timestamp, as stored.
    #[schema(value_type = schemas::Timestamp)]
    pub timestamp: String,
}

/// `POST /chat/report` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportMessageRequest {
    /// The conversation, either id order.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
    /// The reported message's timestamp.
    #[schema(value_type = schemas::Timestamp)]
    pub timestamp: String,
    /// What is wrong.
    #[schema(value_type = schemas::ReportReasonChosen)]
    pub reason: String,
    /// The reporter's own words, if any.
    #[schema(value_type = Option<schemas::ReportDetails>)]
    pub details: Option<String>,
}

/// `POST /chat/report` answer: received, and nothing more (what an admin decides is not
/// the reporter's to read here).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportReceiptDto {
    /// The report's id (the first one's, when the caller reported this message before).
    #[schema(value_type = schemas::ReportId)]
    pub report_id: String,
    /// Always `received`.
    #[schema(example = "received")]
    pub status: String,
    /// When it was received.
    #[schema(value_type = schemas::Timestamp)]
    pub received_at: String,
}

impl From<&ReportReceipt> for ReportReceiptDto {
    fn from(receipt: &ReportReceipt) -> Self {
        Self {
            report_id: receipt.report_id.to_string(),
            status: "received".to_owned(),
            received_at: receipt.received_at.to_string(),
        }
    }
}

/// `POST /chat/pause` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PauseRequest {
    /// The conversation, either id order.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
    /// What both sides are told, if anything.
    #[schema(value_type = Option<schemas::PauseReason>)]
    pub reason: Option<String>,
}

/// `POST /chat/resume` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResumeRequest {
    /// The conversation, either id order.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
}

/// A conversation's pause: while it lasts, its student or guardian cannot send or edit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PauseDto {
    /// Who paused it.
    pub by: String,
    /// `teacher` or `admin`: a pause an admin made only an admin lifts.
    pub by_role: String,
    /// When.
    pub at: String,
    /// What both sides are told; `null` for nothing.
    pub reason: Option<String>,
}

impl From<&Pause> for PauseDto {
    fn from(pause: &Pause) -> Self {
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

/// `POST /chat/pause` and `POST /chat/resume` answer: the pause now in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PausedDto {
    /// The canonical conversation id.
    pub conversation_id: String,
    /// The pause; `null` once resumed.
    pub pause: Option<PauseDto>,
}

impl PausedDto {
    /// The answer for `conversation` with `pause` in force.
    pub fn new(conversation: &ConversationId, pause: Option<&Pause>) -> Self {
        Self {
            conversation_id: conversation.to_string(),
            pause: pause.map(PauseDto::from),
        }
    }
}

/// An earlier text of an edited message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionDto {
    /// The text as it was.
    pub message_body: String,
    /// When that text was written: the message's timestamp for the first, an edit's time
    /// for later ones.
    pub written_at: String,
}

impl From<&MessageVersion> for VersionDto {
    fn from(version: &MessageVersion) -> Self {
        Self {
            message_body: version.body.as_str().to_owned(),
            written_at: version.written_at.to_string(),
        }
    }
}

/// `GET /admin/messages/history` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageHistoryDto {
    /// The message as stored: a removed one with its text.
    pub message: MessageDto,
    /// Its earlier texts, oldest first.
    pub versions: Vec<VersionDto>,
}

impl From<&MessageHistory> for MessageHistoryDto {
    fn from(history: &MessageHistory) -> Self {
        Self {
            message: MessageDto::from(&history.message),
            versions: history.versions.iter().map(VersionDto::from).collect(),
        }
    }
}

/// One step an admin took on a report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportStepDto {
    /// The state it moved to.
    pub state: String,
    /// The admin.
    pub by: String,
    /// When.
    pub at: String,
    /// Their note; `null` for none.
    pub note: Option<String>,
}

impl From<&ReportStep> for ReportStepDto {
    fn from(step: &ReportStep) -> Self {
        Self {
            state: step.state.as_str().to_owned(),
            by: step.by.to_string(),
            at: step.at.to_string(),
            note: step.note.as_ref().map(|note| note.as_str().to_owned()),
        }
    }
}

/// A report in the moderation queue. It names the message, never quotes it: the text is
/// read (and audited) one report at a time.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportDto {
    /// Its id; pass as `before` to page back.
    pub report_id: String,
    /// The conversation of the message.
    pub conversation_id: String,
    /// The message's timestamp.
    pub timestamp: String,
    /// The message's id.
    pub message_id: String,
    /// The message's author.
    pub author: String,
    /// `person` (a participant reported it) or `flags` (the school's word list matched).
    pub source: String,
    /// The participant who reported it; `null` for a flag.
    pub reporter: Option<String>,
    /// `bullying`, `inappropriate`, `safety`, `spam`, `other`, or `flagged`.
    pub reason: String,
    /// The reporter's words, or what matched for a flag; `null` for none.
    pub details: Option<String>,
    /// When it was made.
    pub created_at: String,
    /// `open`, `reviewed`, `actioned` or `dismissed`.
    pub state: String,
    /// The steps admins took, oldest first.
    pub steps: Vec<ReportStepDto>,
}

impl From<&Report> for ReportDto {
    fn from(report: &Report) -> Self {
        let (source, reporter) = match &report.source {
            ReportSource::Person(user) => ("person", Some(user.to_string())),
            ReportSource::Flags => ("flags", None),
        };
        Self {
            report_id: report.id.to_string(),
            conversation_id: report.conversation_id.to_string(),
            timestamp: report.timestamp.to_string(),
            message_id: report.message_id.to_string(),
            author: report.author.to_string(),
            source: source.to_owned(),
            reporter,
            reason: report.reason.as_str().to_owned(),
            details: report
                .details
                .as_ref()
                .map(|details| details.as_str().to_owned()),
            created_at: report.created_at.to_string(),
            state: report.state.as_str().to_owned(),
            steps: report.steps.iter().map(ReportStepDto::from).collect(),
        }
    }
}

/// `GET /admin/reports` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportsResponse {
    /// Reports newest first.
    pub reports: Vec<ReportDto>,
}

/// `GET /admin/reports/{reportId}` answer: the report and what an admin needs to decide.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportViewDto {
    /// The report.
    pub report: ReportDto,
    /// The messages around the reported one and it, oldest first, as stored (a removed
    /// one with its text and `removedAt`).
    pub context: Vec<MessageDto>,
    /// The reported message's earlier texts, oldest first.
    pub versions: Vec<VersionDto>,
    /// The conversation's pause; `null` when it is not paused.
    pub pause: Option<PauseDto>,
}

impl From<&ReportView> for ReportViewDto {
    fn from(view: &ReportView) -> Self {
        Self {
            report: ReportDto::from(&view.report),
            context: view.context.iter().map(MessageDto::from).collect(),
            versions: view.versions.iter().map(VersionDto::from).collect(),
            pause: view.pause.as_ref().map(PauseDto::from),
        }
    }
}

/// `PATCH /admin/reports/{reportId}` request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StepReportRequest {
    /// Where the report moves: forward only.
    #[schema(value_type = schemas::ReportStepState)]
    pub state: String,
    /// What the admin notes (kept with the step), if anything.
    #[schema(value_type = Option<schemas::ReportNote>)]
    pub note: Option<String>,
}
