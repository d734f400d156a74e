//! What every handler shares.

use crate::auth::Tokens;
use crate::ws::Live;
use axum::http::HeaderName;
use classchat_core::ChatService;
use std::sync::Arc;

/// The application state: the service and the token keys. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The use-cases.
    pub service: Arc<ChatService>,
    /// Token issuing and verification.
    pub tokens: Arc<Tokens>,
    /// Live WebSocket connections.
    pub live: Live,
    /// Counters for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The GraphQL schema over the same service.
    pub graphql: classchat_graphql::Api,
    /// The header naming the client's address behind a proxy, if any.
    pub client_ip_header: Option<HeaderName>,
    /// The secret unsubscribe links are signed with (the token secret).
    pub link_secret: Arc<[u8]>,
    /// Counters of parts the server does not know, for `/metrics`.
    pub more_metrics: Option<crate::config::MetricsHook>,
}
