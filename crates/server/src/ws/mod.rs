//! Real-time delivery over WebSocket (`GET /chat/ws?token=…`).
//!
//! - [`frames`]: the frame protocol (client `action`s, server `type`s) and its
//!   [`frames::ChatWs`] wire format.
//! - [`actions`]: what each frame does, shared with the Lambda WebSocket handler.
//! - [`close`]: the close code and reason of each way a connection ends.
//! - `socket`: one socket's reader; `writer`: its writer task.
//!
//! Everything else live (the registry, queues, replay and its seam, the hub) is the
//! transport-neutral `classchat-live`. The token is checked before the upgrade; a refused
//! client never gets a socket.

pub mod actions;
pub mod close;
pub mod frames;

mod socket;
mod writer;

pub use classchat_live::{Live, LiveConfig, LocalHub, Registry};

use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use classchat_core::ChatError;
use serde::Deserialize;

/// Bytes of outgoing frames buffered before they are written without waiting for the
/// flush at the end of a batch.
const WRITE_BATCH_BYTES: usize = 16 * 1024;

/// Bytes of a socket's read buffer, which it holds for its whole life.
const READ_BUFFER_BYTES: usize = 512;

/// The WebSocket route.
pub fn router() -> Router<AppState> {
    Router::new().route("/chat/ws", get(upgrade))
}

/// `?token=`: browsers cannot set headers on a WebSocket, so the token comes in the query
/// (and never reaches the logs, which record paths only).
#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<TokenQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(crate::auth::bearer_token)
        .map(str::to_owned);
    let token = query
        .token
        .or(bearer)
        .ok_or_else(|| ChatError::unauthorized("missing token: connect to /chat/ws?token=<jwt>"))?;
    let session = state.tokens.authenticate(&state.service, &token).await?;
    if state.live.is_shutting_down() {
        return Err(ChatError::Unavailable.into());
    }
    let cap = state.live.config().connections_per_user;
    if state.live.registry().connections_of(&session.user.id) >= cap {
        return Err(ApiError::TooManyConnections(cap));
    }
    let upgrade = upgrade.map_err(|rejection| ApiError::NotWebSocket(rejection.body_text()))?;
    let config = *state.live.config();
    // tungstenite allocates its read buffer up front (128 KiB by default) and keeps it for
    // the socket's life: 512 bytes hold a typical frame (a `sendMessage` is 200-400); a
    // larger one grows the buffer to its size and is read 512 bytes a call. Outgoing frames collect in the write buffer until the connection's
    // writer flushes (once per batch of queued frames, so a busy socket costs one write
    // syscall per batch rather than per frame) or the buffer passes this size.
    Ok(upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BATCH_BYTES)
        .max_write_buffer_size(config.max_message_bytes * 4)
        .max_frame_size(config.max_message_bytes)
        .max_message_size(config.max_message_bytes)
        .on_upgrade(move |socket| socket::serve(socket, state, session)))
}
