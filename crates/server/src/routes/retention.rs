//! `/admin/holds` and `/admin/retention/preview`: legal holds, which keep a user's or a
//! conversation's messages whatever the school's retention policy, and the dry run of a
//! retention pass. Admin tokens only; every change and every preview is audited. (The
//! policy itself is `retentionDays` of `/admin/settings`; the pass runs by itself.)

use crate::auth::AuthUser;
use crate::dto::{ErrorBody, HoldDto, HoldRequestDto, HoldsResponse, RetentionPreviewDto};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::openapi::{PayloadTooLarge, RateLimited, Unauthorized, Unavailable};
use crate::schemas;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use classchat_core::ChatError;
use classchat_core::service::{Actor, HoldRequest};
use serde::Deserialize;
use utoipa::IntoParams;

/// The retention routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/holds",
            get(list_holds).post(set_hold).delete(release_hold),
        )
        .route("/admin/retention/preview", post(preview))
}

/// Every legal hold: users' first (by userId), then conversations'.
#[utoipa::path(get, path = "/admin/holds", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = HoldsResponse),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn list_holds(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<Json<HoldsResponse>> {
    let holds = state.service.list_holds(Actor::User(&caller)).await?;
    Ok(Json(HoldsResponse {
        holds: holds.iter().map(HoldDto::from).collect(),
    }))
}

/// Puts a user (every conversation they take part in) or one conversation under legal
/// hold: retention deletes nothing of it, whatever its age, until the hold is lifted.
/// Audited as `hold.set`. Holding what is held already changes nothing and answers the
/// hold in force (with its first reason).
#[utoipa::path(post, path = "/admin/holds", tag = "admin", request_body = schemas::HoldBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = HoldDto, description = "the hold in force"),
        (status = 400, description = "malformed JSON (`invalid_json`); both `userId` and `conversationId`, or neither (`invalid_request`); a bad userId (`invalid_user_id`); a bad conversationId, or one that is not a teacher with a student or guardian (`invalid_conversation_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user, or a user in the conversationId does not exist (`not_found`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "reason empty, longer than 500 characters or with control characters (`invalid_request`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn set_hold(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<HoldRequestDto>,
) -> ApiResult<(StatusCode, Json<HoldDto>)> {
    let request = HoldRequest {
        user_id: body.user_id.as_deref(),
        conversation_id: body.conversation_id.as_deref(),
        reason: body.reason.as_deref(),
    };
    let hold = state
        .service
        .set_hold(Actor::User(&caller), request)
        .await?;
    Ok((StatusCode::CREATED, Json(HoldDto::from(&hold))))
}

/// `DELETE /admin/holds` parameters: exactly one of the two.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase", parameter_in = Query)]
pub struct HoldQuery {
    /// The user whose hold is lifted.
    #[param(value_type = Option<schemas::UserId>, required = false)]
    user_id: Option<String>,
    /// The conversation whose hold is lifted, either id order (send the `+` as `%2B`).
    #[param(value_type = Option<schemas::ConversationId>, required = false)]
    conversation_id: Option<String>,
}

/// Lifts the legal hold on a user or a conversation (name exactly one); retention may then
/// delete what it kept. Audited as `hold.release`.
#[utoipa::path(delete, path = "/admin/holds", tag = "admin", params(HoldQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "lifted"),
        (status = 400, description = "both `userId` and `conversationId`, or neither (`invalid_request`); a bad userId (`invalid_user_id`); a bad conversationId, or one that is not a teacher with a student or guardian (`invalid_conversation_id`); a malformed query string (`invalid_query`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such hold, no such user, or a user in the conversationId does not exist (`not_found`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn release_hold(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<HoldQuery>,
) -> ApiResult<StatusCode> {
    let request = HoldRequest {
        user_id: query.user_id.as_deref(),
        conversation_id: query.conversation_id.as_deref(),
        reason: None,
    };
    let released = state
        .service
        .release_hold(Actor::User(&caller), request)
        .await?;
    if !released {
        return Err(ChatError::NotFound("there is no such hold".to_owned()).into());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A dry run of the retention pass: what it would delete now under the school's
/// `retentionDays` (nothing is deleted). Counts every expired conversation, its messages,
/// and the expired ones a legal hold keeps, and names the first 100. Audited as
/// `retention.preview` with its counts. The pass itself runs by itself once a day; an
/// admin cannot start one.
#[utoipa::path(post, path = "/admin/retention/preview", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = RetentionPreviewDto),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn preview(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<Json<RetentionPreviewDto>> {
    let report = state
        .service
        .retention_pass(Actor::User(&caller), true)
        .await?;
    Ok(Json(RetentionPreviewDto::from(&report)))
}
