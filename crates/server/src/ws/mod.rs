//! Real-time delivery over WebSocket (`GET /chat/ws?token=…`).
//!
//! - [`frames`]: the frame protocol (client `action`s, server `type`s).
//! - [`actions`]: what each frame does, shared with the Lambda WebSocket handler.
//! - [`registry`]: live connections by user, and the in-process [`LocalHub`].
//! - `connection`: one socket's reader loop and writer task.
//!
//! The token is checked before the upgrade; a refused client never gets a socket.

pub mod actions;
pub mod frames;
pub mod registry;

mod connection;

pub use registry::{LocalHub, Registry};

use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use classchat_core::rate::Rate;
use classchat_core::{ChatError, Hub};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};

/// Bytes of outgoing frames buffered before they are written without waiting for the
/// flush at the end of a batch.
const WRITE_BATCH_BYTES: usize = 16 * 1024;

/// Limits of live connections.
#[derive(Debug, Clone, Copy)]
pub struct LiveConfig {
    /// How often idle connections are pinged; two silent intervals close them.
    pub ping_interval: Duration,
    /// Frames queued per connection before it counts as too slow and is closed.
    pub queue_capacity: usize,
    /// Largest frame or message a client may send.
    pub max_message_bytes: usize,
    /// Live connections one user may hold on this node (devices, tabs); one more is
    /// refused with `429 too_many_connections` before the upgrade.
    pub connections_per_user: usize,
    /// Frames one connection may send: a burst, then a sustained rate. Frames over it are
    /// answered with a `rate_limited` error and not performed.
    pub frames: Rate,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(30),
            queue_capacity: 256,
            max_message_bytes: 32 * 1024,
            connections_per_user: 10,
            frames: Rate {
                per_second: 20.0,
                burst: 60.0,
            },
        }
    }
}

/// The live side of the server: the registry, its hub, and the shutdown switch.
#[derive(Clone)]
pub struct Live {
    pub(crate) registry: Arc<Registry>,
    pub(crate) config: LiveConfig,
    shutdown: CancellationToken,
    /// Sockets not yet dropped, including closing ones that already left the registry and
    /// are still writing their close frame: each holds a token of this tracker.
    open_sockets: TaskTracker,
}

impl Live {
    /// A fresh registry with `config`.
    pub fn new(config: LiveConfig) -> Self {
        Self {
            registry: Arc::new(Registry::default()),
            config,
            shutdown: CancellationToken::new(),
            open_sockets: TaskTracker::new(),
        }
    }

    /// The in-process hub delivering into this registry; give it to `ChatService::with_hub`.
    pub fn hub(&self) -> Arc<dyn Hub> {
        Arc::new(LocalHub::new(Arc::clone(&self.registry)))
    }

    /// The registry of this process's connections: where a multi-node hub delivers the
    /// events it receives from other nodes.
    pub fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry)
    }

    /// Connections receiving events right now. A connection leaves as soon as it starts
    /// closing, even while its close frame is still being written.
    pub fn connection_count(&self) -> usize {
        self.registry.connection_count()
    }

    /// Refuses new sockets and closes every open one with 1001 (going away).
    pub fn shut_down(&self) {
        self.shutdown.cancel();
        self.registry.close_all(registry::CLOSE_GOING_AWAY);
    }

    /// Waits until every socket has closed (close frame written or given up on), or
    /// `limit` passes. Woken by the last socket's end, never polled.
    pub async fn drained(&self, limit: Duration) {
        self.open_sockets.close();
        let _ = tokio::time::timeout(limit, self.open_sockets.wait()).await;
    }

    /// Counts a socket as open until the returned token is dropped.
    pub(crate) fn socket_opened(&self) -> TaskTrackerToken {
        self.open_sockets.token()
    }
}

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
    if state.live.shutdown.is_cancelled() {
        return Err(ChatError::Unavailable.into());
    }
    let cap = state.live.config.connections_per_user;
    if state.live.registry.connections_of(&session.user.id) >= cap {
        return Err(ApiError::TooManyConnections(cap));
    }
    let upgrade = upgrade.map_err(|rejection| ApiError::NotWebSocket(rejection.body_text()))?;
    let config = state.live.config;
    // tungstenite allocates its read buffer up front (128 KiB by default): 1 KiB keeps an
    // idle socket near 9 KiB in all (measured), and larger frames are simply read in
    // several chunks. Outgoing frames collect in the write buffer until the connection's
    // writer flushes (once per batch of queued frames, so a busy socket costs one write
    // syscall per batch rather than per frame) or the buffer passes this size.
    Ok(upgrade
        .read_buffer_size(1024)
        .write_buffer_size(WRITE_BATCH_BYTES)
        .max_write_buffer_size(config.max_message_bytes * 4)
        .max_frame_size(config.max_message_bytes)
        .max_message_size(config.max_message_bytes)
        .on_upgrade(move |socket| connection::serve(socket, state, session)))
}
