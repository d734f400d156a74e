//! `/me/notifications` and `/me/push-subscriptions`: how the signed-in user is reached
//! when away. Always about the caller; there is no route naming someone else.

use crate::auth::AuthUser;
use crate::dto::{
    ErrorBody, NotifyPatchRequest, NotifySettingsDto, ScheduleDto, SubscribeRequest,
    SubscriptionDto,
};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, QueryParams};
use crate::openapi::{PayloadTooLarge, RateLimited, Unauthorized, Unavailable};
use crate::schemas;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use classchat_core::notify::{EmailAddress, PrefsPatch};
use classchat_core::service::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The notification routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/me/notifications",
            get(notify_settings).patch(update_notify_settings),
        )
        .route(
            "/me/push-subscriptions",
            post(add_push_subscription).delete(remove_push_subscription),
        )
        .route("/admin/users/{user_id}/email", put(set_email))
}

/// `PUT /admin/users/{userId}/email` request and answer.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct EmailDto {
    /// Where the user's email digests go; `null` for nowhere.
    #[schema(value_type = Option<schemas::Email>, nullable = true)]
    pub email: Option<String>,
}

/// Sets where a user's email digests go (the user can too, on `/me/notifications`).
/// Audited as `user.update`.
#[utoipa::path(put, path = "/admin/users/{userId}/email", tag = "admin", request_body = EmailDto,
    params(("userId" = schemas::UserId, Path, description = "whose address")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EmailDto),
        (status = 400, description = "malformed JSON (`invalid_json`) or userId (`invalid_user_id`, or `invalid_path` when its percent-encoding is not UTF-8)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user (`not_found`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "not an email address (`invalid_request`), or an admin's (`invalid_role`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn set_email(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<EmailDto>,
) -> ApiResult<Json<EmailDto>> {
    let email = state
        .service
        .set_email(Actor::User(&caller), &user_id, body.email.as_deref())
        .await?;
    Ok(Json(EmailDto {
        email: email.map(|email| email.to_string()),
    }))
}

/// The caller's notification settings, the school's hours for students and guardians,
/// and the VAPID key a browser subscribes with.
#[utoipa::path(get, path = "/me/notifications", tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, body = NotifySettingsDto),
        (status = 401, response = Unauthorized),
        (status = 403, description = "the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn notify_settings(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<Json<NotifySettingsDto>> {
    let view = state.service.notify_settings(&caller).await?;
    Ok(Json(NotifySettingsDto::from(&view)))
}

/// Changes the caller's notification settings: push and email digests on or off, and a
/// teacher's own hours. Answers the settings now in force.
#[utoipa::path(patch, path = "/me/notifications", tag = "notifications",
    request_body = NotifyPatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = NotifySettingsDto),
        (status = 400, description = "malformed JSON (`invalid_json`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "an admin (no messages, no notifications), `hours` from a student or guardian (the school sets theirs), or the account is disabled (`forbidden`, `account_disabled`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "`hours` is not a schedule: an unknown time zone, a day named twice, an entry ending before it begins; or `email` is not an address (`invalid_request`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn update_notify_settings(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<NotifyPatchRequest>,
) -> ApiResult<Json<NotifySettingsDto>> {
    let hours = body
        .hours
        .map(|hours| hours.as_ref().map(ScheduleDto::parse).transpose())
        .transpose()?;
    let email = body
        .email
        .map(|email| email.as_deref().map(EmailAddress::parse).transpose())
        .transpose()?;
    let patch = PrefsPatch {
        push: body.push,
        email_digest: body.email_digest,
        hours,
        email,
    };
    let view = state.service.update_notify_settings(&caller, patch).await?;
    Ok(Json(NotifySettingsDto::from(&view)))
}

/// Registers this browser's push subscription (`PushSubscription.toJSON()`) for the
/// caller. An endpoint registered before by someone else (a shared computer) moves to the
/// caller; beyond 10 browsers the oldest is dropped.
#[utoipa::path(post, path = "/me/push-subscriptions", tag = "notifications",
    request_body = SubscribeRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = SubscriptionDto),
        (status = 400, description = "malformed JSON (`invalid_json`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "keys of the wrong size, or an endpoint that is not https or does not resolve to a public address (`invalid_request`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn add_push_subscription(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<SubscribeRequest>,
) -> ApiResult<(StatusCode, Json<SubscriptionDto>)> {
    let subscription = state
        .service
        .add_push_subscription(&caller, &body.endpoint, &body.keys.p256dh, &body.keys.auth)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SubscriptionDto::from(&subscription)),
    ))
}

/// `DELETE /me/push-subscriptions` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The subscription's endpoint. (Optional in the query string's type only: without it
    /// the answer is `422 invalid_request`.)
    #[param(value_type = schemas::PushEndpoint, required = true)]
    endpoint: Option<String>,
}

/// Removes one of the caller's push subscriptions: this browser is notified no more.
/// Removing one that is not there (or not theirs) changes nothing and answers the same.
#[utoipa::path(delete, path = "/me/push-subscriptions", tag = "notifications",
    params(UnsubscribeQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "the caller has no subscription with this endpoint now"),
        (status = 400, description = "a malformed query string, e.g. `endpoint` twice (`invalid_query`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 422, description = "no endpoint, or not a URL (`invalid_request`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn remove_push_subscription(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<UnsubscribeQuery>,
) -> ApiResult<StatusCode> {
    let endpoint = query.endpoint.as_deref().unwrap_or_default();
    state
        .service
        .remove_push_subscription(&caller, endpoint)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
