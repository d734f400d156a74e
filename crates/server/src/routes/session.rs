//! `POST /auth/login` and `POST /auth/logout`.

use crate::auth::AuthUser;
use crate::client_ip::ClientIp;
use crate::device::MAX_DEVICE_TOKEN_LEN;
use crate::dto::{ErrorBody, LoginRequest, LoginResponse, UserDto};
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::openapi::{Busy, PayloadTooLarge, TooManyAttempts, Unauthorized, Unavailable};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use classchat_core::{ChatError, ErrorCode, LoginAttempt, SignedIn};

/// The session routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
}

/// Exchanges a userId and password for a bearer token, and a device token that makes
/// this client's next sign-in to the account a known device's (see `device.rs`).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "malformed JSON, or a field missing or of the wrong type (`invalid_json`); a `deviceToken` over 1024 characters (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "wrong userId or password, or no such user: the same answer for both (`invalid_credentials`)", body = ErrorBody),
        (status = 403, description = "the password is right but the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = Busy),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let devices = state.tokens.devices();
    let device = match body.device_token.as_deref() {
        Some(token) if token.chars().count() > MAX_DEVICE_TOKEN_LEN => {
            return Err(ChatError::invalid(
                ErrorCode::InvalidRequest,
                format!("deviceToken is longer than {MAX_DEVICE_TOKEN_LEN} characters"),
            )
            .into());
        }
        Some(token) => devices.verify(token, &body.user_id),
        None => None,
    };
    let signed_in = state
        .service
        .login(LoginAttempt {
            user_id: &body.user_id,
            password: &body.password,
            client,
            device: device.as_deref(),
        })
        .await?;
    signed_in_response(&state, &signed_in, device.as_deref())
}

/// The answer to a successful sign-in, by password or by sign-in code: a bearer token for
/// the user's current token version, and a device token for this client (`device`, the id
/// of the device it showed, keeps its id).
pub(super) fn signed_in_response(
    state: &AppState,
    signed_in: &SignedIn,
    device: Option<&str>,
) -> ApiResult<Json<LoginResponse>> {
    let issued = state.tokens.issue(signed_in)?;
    Ok(Json(LoginResponse {
        token: issued.token,
        expires_at: issued.expires_at.to_string(),
        device_token: state.tokens.devices().issue(&signed_in.user.id, device)?,
        user: UserDto::from(&signed_in.user),
    }))
}

/// Signs the caller out everywhere: every token issued to them so far stops working
/// (401 on the next request), and their open WebSockets close with 1008.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "signed out; every earlier token of this user is void"),
        (status = 401, response = Unauthorized),
        (status = 403, description = "the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn logout(State(state): State<AppState>, AuthUser(user): AuthUser) -> ApiResult<StatusCode> {
    state.service.logout(&user).await?;
    Ok(StatusCode::NO_CONTENT)
}
