//! `/chat/*`: the four routes of the original notes, plus get_students and mark_read.

use crate::auth::AuthUser;
use crate::dto::{
    ChatDto, ChatsResponse, ContactDto, ErrorBody, MarkReadRequest, MessageDto, PauseDto,
    ReadResponse, SendMessageRequest, SentDto, StudentsResponse, TeachersResponse,
};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::openapi::{PayloadTooLarge, RateLimited, Unauthorized, Unavailable};
use crate::schemas;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use classchat_core::service::{PageQuery, SendRequest};
use serde::Deserialize;
use utoipa::IntoParams;

/// Set on a `201` that replays an earlier send with the same clientMessageId.
pub const IDEMPOTENT_REPLAY_HEADER: &str = "idempotent-replayed";

/// The chat routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat/get_teachers", get(get_teachers))
        .route("/chat/get_students", get(get_students))
        .route("/chat/get_chats", get(get_chats))
        .route("/chat/read", get(read))
        .route("/chat/send", post(send))
        .route("/chat/mark_read", post(mark_read))
}

/// `?user_name=`: whose list; defaults to the caller.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserNameQuery {
    /// The userId whose list to show (default: the caller); someone else's needs an admin
    /// token (audited), or for `get_teachers` a guardian's token naming their child where
    /// the school allows guardian oversight (audited as `guardian.read`).
    #[param(value_type = Option<schemas::UserId>, required = false)]
    user_name: Option<String>,
}

/// Every teacher the student is linked to, even before the first message; for a guardian,
/// every teacher of their children, with the children who connect them.
#[utoipa::path(get, path = "/chat/get_teachers", tag = "chat", params(UserNameQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TeachersResponse),
        (status = 400, description = "user_name is not a userId (`invalid_user_id`), or names someone who is not a student or guardian (`invalid_request`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "someone else's list, and not an admin nor (where the school allows it) their guardian (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user (`not_found`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn get_teachers(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<UserNameQuery>,
) -> ApiResult<Json<TeachersResponse>> {
    let contacts = state
        .service
        .list_teachers(&caller, query.user_name.as_deref())
        .await?;
    // The notice is about the caller's own conversations.
    let own_list = query
        .user_name
        .as_deref()
        .is_none_or(|name| name == caller.id.as_str());
    let family_can_read = own_list && state.service.family_can_read(&caller).await?;
    Ok(Json(TeachersResponse {
        teachers: contacts.iter().map(ContactDto::teacher_line).collect(),
        family_can_read,
    }))
}

/// Every student the teacher is linked to, so a conversation can start before its first
/// message, each with their guardians (whom the teacher may message too).
#[utoipa::path(get, path = "/chat/get_students", tag = "chat", params(UserNameQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = StudentsResponse),
        (status = 400, description = "user_name is not a userId (`invalid_user_id`), or names someone who is not a teacher (`invalid_request`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "someone else's list, and not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user (`not_found`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn get_students(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<UserNameQuery>,
) -> ApiResult<Json<StudentsResponse>> {
    let contacts = state
        .service
        .list_students(&caller, query.user_name.as_deref())
        .await?;
    Ok(Json(StudentsResponse {
        students: contacts.iter().map(ContactDto::student_line).collect(),
    }))
}

/// The teacher's conversations with at least one message, newest activity first: with
/// students, and with their guardians (`peerRole`, naming the `children`).
#[utoipa::path(get, path = "/chat/get_chats", tag = "chat", params(UserNameQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ChatsResponse),
        (status = 400, description = "user_name is not a userId (`invalid_user_id`), or names someone who is not a teacher (`invalid_request`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "someone else's list, and not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user (`not_found`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn get_chats(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<UserNameQuery>,
) -> ApiResult<Json<ChatsResponse>> {
    let contacts = state
        .service
        .list_chats(&caller, query.user_name.as_deref())
        .await?;
    Ok(Json(ChatsResponse {
        chats: contacts.iter().map(ChatDto::from).collect(),
    }))
}

/// `GET /chat/read` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase", parameter_in = Query)]
pub struct ReadQuery {
    /// `<studentId>+<teacherId>` (send the `+` as `%2B`; a decoded space is accepted too).
    /// Optional in the query string's type only: without it the answer is `400
    /// invalid_conversation_id`, so the document declares it required.
    #[param(value_type = schemas::ConversationId, required = true)]
    conversation_id: Option<String>,
    /// Page size, default 50.
    #[param(value_type = Option<schemas::Limit>, required = false)]
    limit: Option<String>,
    /// Only messages older than this timestamp (exclusive): scroll back.
    #[param(value_type = Option<schemas::Timestamp>, required = false)]
    before: Option<String>,
    /// Only messages newer than this timestamp (exclusive), oldest first: catch up.
    #[param(value_type = Option<schemas::Timestamp>, required = false)]
    after: Option<String>,
}

/// A page of a conversation, oldest first; the newest page without cursors, with the
/// conversation's pause. A removed message reads `"messageBody": ""` with `removedAt`,
/// but to admins, whose reads are written to the audit log.
#[utoipa::path(get, path = "/chat/read", tag = "chat", params(ReadQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReadResponse),
        (status = 400, description = "bad conversationId (`invalid_conversation_id`), limit (`invalid_limit`) or cursor (`invalid_cursor`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not a participant, or a pair with neither a link nor history, whoever the other id is (`forbidden`); or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "a user in the conversationId does not exist (`not_found`; to admins and related pairs only)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn read(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<ReadQuery>,
) -> ApiResult<Json<ReadResponse>> {
    let page = PageQuery {
        limit: query.limit.as_deref(),
        before: query.before.as_deref(),
        after: query.after.as_deref(),
    };
    let conversation = query.conversation_id.as_deref().unwrap_or_default();
    let read = state.service.read_page(&caller, conversation, page).await?;
    Ok(Json(ReadResponse {
        conversation_id: read.conversation_id.to_string(),
        messages: read.page.messages.iter().map(MessageDto::from).collect(),
        has_more: read.page.has_more,
        peer_read_at: read.peer_read_at.map(|at| at.to_string()),
        pause: read.pause.as_ref().map(PauseDto::from),
    }))
}

/// Stores a message; `201` once it is durable. A retry with the same clientMessageId
/// returns the first stored message (with `Idempotent-Replayed: true`), never a duplicate.
#[utoipa::path(post, path = "/chat/send", tag = "chat", request_body = SendMessageRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = SentDto, description = "the stored message (the first one stored, for a repeated clientMessageId), with `quietUntil` when the recipient is notified only later",
            headers(("Idempotent-Replayed" = String,
                description = "`true` when this answers a retry with a clientMessageId already stored (nothing new was written), `false` otherwise"))),
        (status = 400, description = "malformed JSON (`invalid_json`), conversationId (`invalid_conversation_id`) or clientMessageId (`invalid_client_message_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "author is not the caller, not a participant, an admin, or a pair with neither a link nor history (`forbidden`); `urgent` from anyone but a teacher the school allows (`forbidden`); no longer linked (`not_linked`); a student or guardian in a paused conversation (`conversation_paused`, saying who paused it and why); or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "a user in the conversationId does not exist (`not_found`; to related pairs only)", body = ErrorBody),
        (status = 409, description = "clientMessageId already used in another conversation (`client_message_id_reused`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "messageBody empty or longer than 4000 characters (`invalid_message_body`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn send(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<SendMessageRequest>,
) -> ApiResult<impl IntoResponse> {
    let request = SendRequest {
        conversation_id: &body.conversation_id,
        author: &body.author,
        message_body: &body.message_body,
        client_message_id: body.client_message_id.as_deref(),
        origin: None,
        urgent: body.urgent.unwrap_or(false),
    };
    let sent = state.service.send(&caller, request).await?;
    let replayed = HeaderValue::from_static(if sent.created { "false" } else { "true" });
    Ok((
        StatusCode::CREATED,
        [(HeaderName::from_static(IDEMPOTENT_REPLAY_HEADER), replayed)],
        Json(SentDto::from(&sent)),
    ))
}

/// Moves the caller's read marker forward (never back); `204`.
#[utoipa::path(post, path = "/chat/mark_read", tag = "chat", request_body = MarkReadRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "marker moved, and the participants' other connections told (or already further: nothing written, nobody told)"),
        (status = 400, description = "malformed JSON (`invalid_json`), conversationId (`invalid_conversation_id`) or timestamp (`invalid_cursor`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not a participant, e.g. an admin, or a pair with neither a link nor history, whoever the other id is (`forbidden`); or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "a user in the conversationId does not exist (`not_found`; to admins and related pairs only)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 503, response = Unavailable),
    ))]
async fn mark_read(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<MarkReadRequest>,
) -> ApiResult<StatusCode> {
    state
        .service
        .mark_read(&caller, &body.conversation_id, &body.timestamp, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
