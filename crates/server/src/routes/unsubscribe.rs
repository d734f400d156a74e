//! `/unsubscribe?token=…`: the link at the bottom of every email digest, which works
//! without signing in. The token is the user's id signed by the server
//! (`classchat_core::notify::email`), checked before anything is read.
//!
//! `GET` only asks (mail scanners open links on their own, and must not unsubscribe
//! anyone); the page's button, or a mail client's one-click `POST` (RFC 8058), does it.

use crate::error::{ApiError, ApiResult};
use crate::openapi::RateLimited;
use crate::state::AppState;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use classchat_core::ChatError;
use classchat_core::notify::email::verify_unsubscribe_token;
use serde::Deserialize;
use utoipa::IntoParams;

/// The unsubscribe routes.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/unsubscribe",
        get(unsubscribe_page).post(unsubscribe_digests),
    )
}

/// `/unsubscribe` parameters (documented here; read by hand, see `user_of`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct UnsubscribeLink {
    /// The token of the link (the user's id and its signature). (Optional in the query
    /// string's type only: without it the answer is `400`.)
    #[param(value_type = String, required = true, min_length = 3, max_length = 400, pattern = "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$")]
    token: Option<String>,
}

/// The page's Content-Security-Policy.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The longest token accepted: an id of 128 characters and a signature, in base64url.
const MAX_TOKEN_LEN: usize = 400;

/// Asks whether to stop email digests; the page's button posts to the same link.
#[utoipa::path(get, path = "/unsubscribe", tag = "notifications", params(UnsubscribeLink),
    responses(
        (status = 200, description = "a page asking to confirm", content_type = "text/html"),
        (status = 400, description = "a link that is not one of ours (`invalid_request`)", content_type = "text/html"),
    ))]
async fn unsubscribe_page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if user_of(&state, query.as_deref()).is_none() {
        return not_ours();
    }
    page(
        StatusCode::OK,
        "Stop email digests?",
        "You will no longer get emails about unread classchat messages. You can turn them \
         on again in classchat's Notifications settings.",
        true,
    )
}

/// Stops the link's user's email digests (one click, RFC 8058, or the page's button).
#[utoipa::path(post, path = "/unsubscribe", tag = "notifications", params(UnsubscribeLink),
    responses(
        (status = 200, description = "digests are off", content_type = "text/html"),
        (status = 400, description = "a link that is not one of ours (`invalid_request`)", content_type = "text/html"),
        (status = 429, response = RateLimited),
        (status = 503, description = "the store is unavailable; the same link works later", content_type = "text/html"),
    ))]
async fn unsubscribe_digests(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let Some(user) = user_of(&state, query.as_deref()) else {
        return Ok(not_ours());
    };
    match state.service.unsubscribe_digests(&user).await {
        Ok(()) => Ok(page(
            StatusCode::OK,
            "Email digests are off",
            "You will no longer get emails about unread classchat messages.",
            false,
        )),
        Err(ChatError::RateLimited) => Err(ApiError::from(ChatError::RateLimited)),
        Err(_) => Ok(page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "classchat could not save this just now. The same link will work in a moment.",
            false,
        )),
    }
}

/// The user of the link's token, if the query holds exactly one genuine one. (Read by
/// hand rather than with the JSON-answering query extractor: a mangled link gets this
/// page, not an API error.)
fn user_of(state: &AppState, query: Option<&str>) -> Option<classchat_core::UserId> {
    let mut tokens = query?
        .split('&')
        .filter_map(|pair| pair.strip_prefix("token="));
    let token = tokens.next()?;
    if tokens.next().is_some() || token.len() > MAX_TOKEN_LEN {
        return None;
    }
    verify_unsubscribe_token(&state.link_secret, token)
}

fn not_ours() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "This link does not work",
        "It is not a classchat unsubscribe link, or it was copied incompletely. Turn email \
         digests off in classchat's Notifications settings instead.",
        false,
    )
}

/// A small page in the web client's style; `form` adds the confirming button, which posts
/// to the same address (its query string included).
fn page(status: StatusCode, title: &str, text: &str, form: bool) -> Response {
    let button = if form {
        "<form method=\"post\"><button type=\"submit\">Stop email digests</button></form>"
    } else {
        ""
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · classchat</title><link rel=\"stylesheet\" href=\"/static/style.css\">\
         </head><body><main class=\"unsubscribe\"><h1>{title}</h1><p>{text}</p>{button}\
         </main></body></html>"
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            // Only our stylesheet and images, no script, posting only here, never framed;
            // and the token in the address never leaves in a Referer.
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(html),
    )
        .into_response()
}
