//! `POST /auth/login`.

use crate::dto::{ErrorBody, LoginRequest, LoginResponse, UserDto};
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::openapi::{PayloadTooLarge, Unavailable};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};

/// The login route.
pub fn router() -> Router<AppState> {
    Router::new().route("/auth/login", post(login))
}

/// Exchanges a userId and password for a bearer token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "malformed JSON, or a field missing or of the wrong type (`invalid_json`)", body = ErrorBody),
        (status = 401, description = "wrong userId or password, or no such user: the same answer for both (`invalid_credentials`)", body = ErrorBody),
        (status = 403, description = "the password is right but the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 503, response = Unavailable),
    ))]
async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let user = state.service.login(&body.user_id, &body.password).await?;
    let issued = state.tokens.issue(&user)?;
    Ok(Json(LoginResponse {
        token: issued.token,
        expires_at: issued.expires_at.to_string(),
        user: UserDto::from(&user),
    }))
}
