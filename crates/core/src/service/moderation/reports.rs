//! Reports and the admin moderation queue, and the school's auto-flagging.

use super::super::{ChatService, MAX_PAGE_LIMIT, parse_limit};
use crate::error::{ChatError, ErrorCode};
use crate::message::Message;
use crate::moderation::{ReportDetails, ReportReason, ReportSource};
use crate::policy;
use crate::store::{
    AuditAction, MessageVersion, PageRequest, Pause, Report, ReportId, ReportState, ReportStep,
    StoreError,
};
use crate::time::Timestamp;
use crate::user::User;

/// Messages shown either side of a reported one, unless the admin asks for another
/// number.
const DEFAULT_CONTEXT: usize = 5;
/// The most messages either side an admin may ask for.
pub const MAX_CONTEXT: usize = 50;
/// Reports per page of the queue, by default.
const DEFAULT_QUEUE_PAGE: usize = 50;

/// A report as it arrived from a participant.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest<'a> {
    /// The conversation, in either id order.
    pub conversation_id: &'a str,
    /// The message's timestamp.
    pub timestamp: &'a str,
    /// One of [`ReportReason::CHOSEN`].
    pub reason: &'a str,
    /// Their own words, if any.
    pub details: Option<&'a str>,
}

/// What a reporter is told: that the report was received, and nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportReceipt {
    /// The report's id (the same one if they reported this message before).
    pub report_id: ReportId,
    /// When it was received.
    pub received_at: Timestamp,
}

/// The queue's filter and page, as they arrived.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportQuery<'a> {
    /// Only reports in this state.
    pub state: Option<&'a str>,
    /// Only reports older than this reportId.
    pub before: Option<&'a str>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<&'a str>,
}

/// A report with what an admin needs to decide on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportView {
    /// The report.
    pub report: Report,
    /// The messages around the reported one, oldest first, the reported one included
    /// (if it is still there), all as stored: removed ones with their text.
    pub context: Vec<Message>,
    /// The reported message's earlier texts, oldest first.
    pub versions: Vec<MessageVersion>,
    /// The conversation's pause, if it is paused.
    pub pause: Option<Pause>,
}

impl ChatService {
    /// Files a participant's report on the other participant's message into the
    /// moderation queue. Reporting the same message again answers the first report.
    pub async fn report_message(
        &self,
        caller: &User,
        request: ReportRequest<'_>,
    ) -> Result<ReportReceipt, ChatError> {
        let timestamp = Timestamp::parse(request.timestamp)?;
        let reason = ReportReason::parse(request.reason)?;
        let details = request.details.map(ReportDetails::parse).transpose()?;
        policy::may_report_at_all(caller)?;
        self.check_moderation_rate(caller)?;
        let (conversation, relation, message) = self
            .own_message(caller, request.conversation_id, timestamp)
            .await?;
        policy::may_report(caller, &conversation, relation, &message)?;
        let report = Report {
            id: ReportId::generate(),
            conversation_id: conversation,
            timestamp,
            message_id: message.message_id,
            author: message.author,
            source: ReportSource::Person(caller.id.clone()),
            reason,
            details,
            created_at: self.clock.now(),
            state: ReportState::Open,
            steps: Vec::new(),
        };
        let filed = self.store.put_report(&report).await?;
        Ok(ReportReceipt {
            report_id: filed.id,
            received_at: filed.created_at,
        })
    }

    /// Files a flag when the school's word list or patterns match `message`. Never
    /// delays or fails what triggered it beyond the one write: a store error leaves the
    /// message delivered and unflagged.
    pub(crate) async fn flag_if_matching(&self, message: &Message) {
        let Ok(rules) = self.school_rules().await else {
            return;
        };
        let Some(matched) = rules.flags.matches(message.body.as_str()) else {
            return;
        };
        let report = Report {
            id: ReportId::generate(),
            conversation_id: message.conversation_id.clone(),
            timestamp: message.timestamp,
            message_id: message.message_id,
            author: message.author.clone(),
            source: ReportSource::Flags,
            reason: ReportReason::Flagged,
            details: Some(ReportDetails::from_stored(format!("matched {matched}"))),
            created_at: self.clock.now(),
            state: ReportState::Open,
            steps: Vec::new(),
        };
        let _ = self.store.put_report(&report).await;
    }

    /// The moderation queue: reports newest first, for admins. Lists what was reported
    /// and why, never message text: that is read (and audited) one report at a time.
    pub async fn list_reports(
        &self,
        caller: &User,
        query: ReportQuery<'_>,
    ) -> Result<Vec<Report>, ChatError> {
        let state = query.state.map(ReportState::parse).transpose()?;
        let before = query.before.map(ReportId::parse).transpose()?;
        let limit = parse_limit(query.limit, DEFAULT_QUEUE_PAGE.min(MAX_PAGE_LIMIT))?;
        policy::may_administer(caller)?;
        self.check_moderation_rate(caller)?;
        Ok(self.store.list_reports(state, before, limit).await?)
    }

    /// One report with the `context` messages before and after the reported one (5 by
    /// default, at most 50): a read of the conversation, audited as `conversation.read`
    /// before anything of it is read.
    pub async fn report_view(
        &self,
        caller: &User,
        id: &str,
        context: Option<&str>,
    ) -> Result<ReportView, ChatError> {
        let id = ReportId::parse(id)?;
        let context = parse_context(context)?;
        policy::may_administer(caller)?;
        self.check_moderation_rate(caller)?;
        let report = self.known_report(id).await?;
        let conversation = &report.conversation_id;
        self.audit(
            caller.id.as_str(),
            AuditAction::ReadConversation,
            conversation.to_string(),
        )
        .await?;
        let around = |before: Option<Timestamp>, after: Option<Timestamp>| PageRequest {
            before,
            after,
            limit: context.max(1),
        };
        let (before, after) = (
            around(Some(report.timestamp), None),
            around(None, Some(report.timestamp)),
        );
        let (earlier, message, later, versions, pause) = tokio::join!(
            self.store.read_messages(conversation, &before),
            self.store.message(conversation, report.timestamp),
            self.store.read_messages(conversation, &after),
            self.store.message_versions(conversation, report.timestamp),
            self.store.pause(conversation),
        );
        // Pages ask for at least one message; `context` (maybe 0) decides what is kept:
        // the last of the earlier ones, the first of the later ones.
        let mut messages = earlier?.messages;
        messages.drain(..messages.len().saturating_sub(context));
        messages.extend(message?);
        messages.extend(later?.messages.into_iter().take(context));
        Ok(ReportView {
            report,
            context: messages,
            versions: versions?,
            pause: pause?,
        })
    }

    /// Moves a report on (reviewed, actioned or dismissed), forward only, with the admin's
    /// note; audited as `report.review`, `report.action` or `report.dismiss` before it is
    /// written.
    pub async fn step_report(
        &self,
        caller: &User,
        id: &str,
        state: &str,
        note: Option<&str>,
    ) -> Result<Report, ChatError> {
        let id = ReportId::parse(id)?;
        let to = ReportState::parse(state)?;
        let note = note.map(ReportDetails::parse).transpose()?;
        policy::may_administer(caller)?;
        self.check_moderation_rate(caller)?;
        let report = self.known_report(id).await?;
        policy::may_step_report(report.state, to)?;
        let action = match to {
            ReportState::Reviewed => AuditAction::ReviewReport,
            ReportState::Actioned => AuditAction::ActionReport,
            ReportState::Dismissed | ReportState::Open => AuditAction::DismissReport,
        };
        self.audit(caller.id.as_str(), action, id.to_string())
            .await?;
        let step = ReportStep {
            state: to,
            by: caller.id.clone(),
            at: self.clock.now(),
            note,
        };
        match self.store.step_report(id, report.state, &step).await {
            Ok(Some(report)) => Ok(report),
            Ok(None) => Err(ChatError::NotFound(format!("no report {id}"))),
            Err(StoreError::Conflict(_)) => Err(ChatError::Conflict {
                code: ErrorCode::ReportClosed,
                message: "another admin moved this report meanwhile; reload it".into(),
            }),
            Err(other) => Err(other.into()),
        }
    }

    async fn known_report(&self, id: ReportId) -> Result<Report, ChatError> {
        self.store
            .report(id)
            .await?
            .ok_or_else(|| ChatError::NotFound(format!("no report {id}")))
    }
}

/// Parses the number of messages either side, 0–50 (default 5).
fn parse_context(raw: Option<&str>) -> Result<usize, ChatError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_CONTEXT);
    };
    match raw.trim().parse::<usize>() {
        Ok(context) if context <= MAX_CONTEXT => Ok(context),
        _ => Err(ChatError::invalid(
            ErrorCode::InvalidLimit,
            format!("context is a whole number from 0 to {MAX_CONTEXT}"),
        )),
    }
}
