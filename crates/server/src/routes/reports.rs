//! `/admin/reports` and `/admin/messages/history`: the moderation queue, and what an
//! admin reads to decide on it. Admin tokens only; every read of a conversation and every
//! step is audited.

use crate::auth::AuthUser;
use crate::dto::{
    ErrorBody, MessageHistoryDto, ReportDto, ReportViewDto, ReportsResponse, StepReportRequest,
};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, QueryParams};
use crate::openapi::{PayloadTooLarge, RateLimited, Unauthorized, Unavailable};
use crate::schemas;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use classchat_core::service::ReportQuery;
use serde::Deserialize;
use utoipa::IntoParams;

/// The moderation queue's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/reports", get(list_reports))
        .route(
            "/admin/reports/{report_id}",
            get(report_view).patch(step_report),
        )
        .route("/admin/messages/history", get(message_history))
}

/// `GET /admin/reports` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// Only reports in this state.
    #[param(value_type = Option<schemas::ReportStateFilter>, required = false)]
    state: Option<String>,
    /// Only reports older than this one.
    #[param(value_type = Option<schemas::ReportId>, required = false)]
    before: Option<String>,
    /// Page size, default 50.
    #[param(value_type = Option<schemas::Limit>, required = false)]
    limit: Option<String>,
}

/// The moderation queue: participants' reports and the school's flags, newest first.
/// Names each message, never quotes it: the text is read one report at a time.
#[utoipa::path(get, path = "/admin/reports", tag = "admin", params(ReportsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReportsResponse),
        (status = 400, description = "a malformed query string (`invalid_query`), an unknown state or a cursor that is not a reportId (`invalid_request`), or a bad limit (`invalid_limit`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn list_reports(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<ReportsQuery>,
) -> ApiResult<Json<ReportsResponse>> {
    let query = ReportQuery {
        state: query.state.as_deref(),
        before: query.before.as_deref(),
        limit: query.limit.as_deref(),
    };
    let reports = state.service.list_reports(&caller, query).await?;
    Ok(Json(ReportsResponse {
        reports: reports.iter().map(ReportDto::from).collect(),
    }))
}

/// `GET /admin/reports/{reportId}` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportViewQuery {
    /// Messages shown before and after the reported one, 0–50 (default 5).
    #[param(value_type = Option<schemas::Context>, required = false)]
    context: Option<String>,
}

/// One report, with the messages around the reported one (as stored: a removed one with
/// its text), the reported message's earlier texts, and the conversation's pause. A read
/// of the conversation, audited as `conversation.read`.
#[utoipa::path(get, path = "/admin/reports/{reportId}", tag = "admin", params(
        ("reportId" = schemas::ReportId, Path, description = "the report"),
        ReportViewQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReportViewDto),
        (status = 400, description = "a reportId that is not a ULID (`invalid_request`, or `invalid_path` when its percent-encoding is not UTF-8), a bad context (`invalid_limit`), or a malformed query string (`invalid_query`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such report (`not_found`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn report_view(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParams(report_id): PathParams<String>,
    QueryParams(query): QueryParams<ReportViewQuery>,
) -> ApiResult<Json<ReportViewDto>> {
    let view = state
        .service
        .report_view(&caller, &report_id, query.context.as_deref())
        .await?;
    Ok(Json(ReportViewDto::from(&view)))
}

/// Moves a report on, forward only: open → reviewed → actioned or dismissed (an open
/// report may be actioned or dismissed at once), with the admin's note. Audited as
/// `report.review`, `report.action` or `report.dismiss`.
#[utoipa::path(patch, path = "/admin/reports/{reportId}", tag = "admin",
    params(("reportId" = schemas::ReportId, Path, description = "the report")),
    request_body = StepReportRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReportDto, description = "the report with its new step"),
        (status = 400, description = "malformed JSON (`invalid_json`), a reportId that is not a ULID or an unknown state (`invalid_request`, or `invalid_path` when its percent-encoding is not UTF-8)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such report (`not_found`)", body = ErrorBody),
        (status = 409, description = "the report cannot move there: it is closed, or already reviewed, or another admin moved it meanwhile (`report_closed`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "note empty, longer than 1000 characters or with control characters (`invalid_request`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn step_report(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParams(report_id): PathParams<String>,
    JsonBody(body): JsonBody<StepReportRequest>,
) -> ApiResult<Json<ReportDto>> {
    let report = state
        .service
        .step_report(&caller, &report_id, &body.state, body.note.as_deref())
        .await?;
    Ok(Json(ReportDto::from(&report)))
}

/// `GET /admin/messages/history` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase", parameter_in = Query)]
pub struct HistoryQuery {
    /// The conversation, either id order (send the `+` as `%2B`). Optional in the query
    /// string's type only: without it the answer is `400 invalid_conversation_id`.
    #[param(value_type = schemas::ConversationId, required = true)]
    conversation_id: Option<String>,
    /// The message's timestamp. Optional in the query string's type only: without it the
    /// answer is `400 invalid_cursor`.
    #[param(value_type = schemas::Timestamp, required = true)]
    timestamp: Option<String>,
}

/// A message as stored (a removed one with its text) and every earlier text of it,
/// oldest first. Audited as `message.history` before anything is read.
#[utoipa::path(get, path = "/admin/messages/history", tag = "admin", params(HistoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MessageHistoryDto),
        (status = 400, description = "bad conversationId (`invalid_conversation_id`) or timestamp (`invalid_cursor`), or a malformed query string (`invalid_query`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no message at that timestamp, or a user in the conversationId does not exist (`not_found`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn message_history(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> ApiResult<Json<MessageHistoryDto>> {
    let conversation = query.conversation_id.as_deref().unwrap_or_default();
    let timestamp = query.timestamp.as_deref().unwrap_or_default();
    let history = state
        .service
        .message_history(&caller, conversation, timestamp)
        .await?;
    Ok(Json(MessageHistoryDto::from(&history)))
}
