//! Safeguarding in a conversation: an author's edits and removals, a participant's report,
//! and a teacher's or admin's pause. (The admins' moderation queue is `reports`.)

use crate::auth::AuthUser;
use crate::dto::{
    EditMessageRequest, ErrorBody, MessageDto, PauseRequest, PausedDto, RemoveMessageRequest,
    ReportMessageRequest, ReportReceiptDto, ResumeRequest,
};
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::openapi::{PayloadTooLarge, RateLimited, Unauthorized, Unavailable};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use classchat_core::service::{EditRequest, ReportRequest};

/// The safeguarding routes of a conversation.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat/edit", post(edit))
        .route("/chat/remove", post(remove))
        .route("/chat/report", post(report))
        .route("/chat/pause", post(pause))
        .route("/chat/resume", post(resume))
}

/// Replaces the text of the caller's own message, within the school's edit window
/// (`editWindowMinutes`, 15 by default). The earlier text is kept for admins; both
/// participants' live connections get `messageEdited`. Audited as `message.edit`. An edit
/// to the same text changes nothing.
#[utoipa::path(post, path = "/chat/edit", tag = "chat", request_body = EditMessageRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MessageDto, description = "the message as it now reads, with `editedAt`"),
        (status = 400, description = "malformed JSON (`invalid_json`), conversationId (`invalid_conversation_id`) or timestamp (`invalid_cursor`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not the message's author, not a participant, an admin, or a pair with neither a link nor history (`forbidden`); no longer linked (`not_linked`); a student or guardian in a paused conversation (`conversation_paused`); or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no message at that timestamp, or a user in the conversationId does not exist (`not_found`)", body = ErrorBody),
        (status = 409, description = "the edit window has passed or edits are off, the message was removed, is a copy of an announcement, or changed meanwhile (`not_editable`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "messageBody empty or longer than 4000 characters (`invalid_message_body`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn edit(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<EditMessageRequest>,
) -> ApiResult<Json<MessageDto>> {
    let request = EditRequest {
        conversation_id: &body.conversation_id,
        timestamp: &body.timestamp,
        message_body: &body.message_body,
        origin: None,
    };
    let edited = state.service.edit_message(&caller, request).await?;
    Ok(Json(MessageDto::from(&edited)))
}

/// Removes the caller's own message: it stays as a tombstone (`"messageBody": ""` with
/// `removedAt`) for the participants, and with its text for admins. Both participants'
/// live connections get `messageRemoved`. Audited as `message.remove`; removing it again
/// changes nothing.
#[utoipa::path(post, path = "/chat/remove", tag = "chat", request_body = RemoveMessageRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MessageDto, description = "the tombstone: `messageBody` empty, with `removedAt`"),
        (status = 400, description = "malformed JSON (`invalid_json`), conversationId (`invalid_conversation_id`) or timestamp (`invalid_cursor`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not the message's author, not a participant, an admin, or a pair with neither a link nor history (`forbidden`); or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no message at that timestamp, or a user in the conversationId does not exist (`not_found`)", body = ErrorBody),
        (status = 409, description = "the message changed meanwhile (`not_editable`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn remove(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<RemoveMessageRequest>,
) -> ApiResult<Json<MessageDto>> {
    let removed = state
        .service
        .remove_message(&caller, &body.conversation_id, &body.timestamp, None)
        .await?;
    Ok(Json(MessageDto::from(&removed)))
}

/// Reports the other participant's message to the school's moderation queue. The answer
/// says only that it was received; reporting the same message again answers the first
/// report.
#[utoipa::path(post, path = "/chat/report", tag = "chat", request_body = ReportMessageRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, body = ReportReceiptDto),
        (status = 400, description = "malformed JSON (`invalid_json`), conversationId (`invalid_conversation_id`), timestamp (`invalid_cursor`), a reason not on the list, or one's own message (`invalid_request`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not a participant, an admin (admins have the queue), or a pair with neither a link nor history (`forbidden`); or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no message at that timestamp, or a user in the conversationId does not exist (`not_found`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "details empty, longer than 1000 characters or with control characters (`invalid_request`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn report(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<ReportMessageRequest>,
) -> ApiResult<(StatusCode, Json<ReportReceiptDto>)> {
    let request = ReportRequest {
        conversation_id: &body.conversation_id,
        timestamp: &body.timestamp,
        reason: &body.reason,
        details: body.details.as_deref(),
    };
    let receipt = state.service.report_message(&caller, request).await?;
    Ok((StatusCode::ACCEPTED, Json(ReportReceiptDto::from(&receipt))))
}

/// Pauses a conversation: its student or guardian cannot send or edit until it resumes
/// (`403 conversation_paused`, saying who paused it and why); the teacher still can, and
/// both still read. Both participants' live connections get `paused`. Pausing a paused
/// conversation answers the pause in force. Audited as `conversation.pause`.
#[utoipa::path(post, path = "/chat/pause", tag = "chat", request_body = PauseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PausedDto),
        (status = 400, description = "malformed JSON (`invalid_json`) or conversationId (`invalid_conversation_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "a student or guardian, a teacher of another conversation, or a pair with neither a link nor history (`forbidden`); or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "a user in the conversationId does not exist (`not_found`)", body = ErrorBody),
        (status = 409, description = "paused meanwhile by someone else (`conflict`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "reason empty, longer than 500 characters or with control characters (`invalid_request`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn pause(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<PauseRequest>,
) -> ApiResult<Json<PausedDto>> {
    let (conversation, pause) = state
        .service
        .pause_conversation(&caller, &body.conversation_id, body.reason.as_deref())
        .await?;
    Ok(Json(PausedDto::new(&conversation, Some(&pause))))
}

/// Resumes a paused conversation: an admin any, its teacher one a teacher paused. Both
/// participants' live connections get `paused` with `"pause": null`. Resuming a
/// conversation that is not paused changes nothing. Audited as `conversation.resume`.
#[utoipa::path(post, path = "/chat/resume", tag = "chat", request_body = ResumeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PausedDto, description = "`pause` is `null`"),
        (status = 400, description = "malformed JSON (`invalid_json`) or conversationId (`invalid_conversation_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "a student or guardian, a teacher of another conversation, a teacher resuming the school's pause, or a pair with neither a link nor history (`forbidden`); or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "a user in the conversationId does not exist (`not_found`)", body = ErrorBody),
        (status = 409, description = "the pause changed meanwhile (`conflict`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn resume(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<ResumeRequest>,
) -> ApiResult<Json<PausedDto>> {
    let conversation = state
        .service
        .resume_conversation(&caller, &body.conversation_id)
        .await?;
    Ok(Json(PausedDto::new(&conversation, None)))
}
