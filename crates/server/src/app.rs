//! Building the application and serving it: the part tests and the binary share.

use crate::auth::Tokens;
use crate::config::{ConnectionLimits, ServerConfig};
use crate::connections::Connections;
use crate::error::ApiError;
use crate::extract::BODY_LIMIT;
use crate::listener::GuardedListener;
use crate::routes;
use crate::state::AppState;
use crate::ws::Live;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use classchat_core::ChatService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The complete HTTP application over `service`.
///
/// `live` must be the same [`Live`] whose hub `service` publishes to, so that events reach
/// the sockets this app accepts.
pub fn build_app(service: Arc<ChatService>, live: &Live, config: &ServerConfig) -> Router {
    let graphql = classchat_graphql::Api::new(
        Arc::clone(&service),
        live.clock(),
        classchat_graphql::GraphqlLimits::default(),
    );
    let state = AppState {
        service,
        graphql,
        tokens: Arc::new(Tokens::new(&config.jwt_secret, config.token_ttl)),
        live: live.clone(),
        metrics: Arc::default(),
        client_ip_header: config.client_ip_header.clone(),
        more_metrics: config.more_metrics.clone(),
        link_secret: config.jwt_secret.clone().into(),
    };
    // Spans carry the path but never the query string: `/chat/ws?token=…` must not leak
    // tokens into logs.
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO))
        // Every 5xx is already logged once where it is made (`error.rs` logs internal
        // errors and outages); a 503 `busy` is the flood defence working, and an ERROR
        // line per refused request would turn a login flood into a log flood.
        .on_failure(DefaultOnFailure::new().level(Level::DEBUG));
    let request_timeout = config.connections.request_timeout;
    routes::router()
        .layer(axum::middleware::from_fn(move |request, next| {
            time_limit(request_timeout, request, next)
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::count_responses,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(cors(&config.cors_origins))
        .layer(trace)
}

/// Answers `408 timeout` (JSON, like every error) when a request is not done within
/// `limit`: a POST whose body never comes holds its connection no longer than that.
/// A WebSocket upgrade is done once the `101` is sent, so the socket is not limited.
async fn time_limit(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout(limit.as_secs()).into_response(),
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| match HeaderValue::from_str(origin) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(%origin, "ignoring invalid CORS origin");
                None
            }
        })
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
}

/// A bound, not yet running server. Binding first lets callers (tests, the CLI) learn the
/// port before serving, which is what makes port 0 usable.
pub struct Server {
    listener: GuardedListener,
    app: Router,
    limits: ConnectionLimits,
}

impl Server {
    /// Binds `addr` for `app`, with the default [`ConnectionLimits`].
    pub async fn bind(addr: SocketAddr, app: Router) -> std::io::Result<Self> {
        let listener = GuardedListener::new(TcpListener::bind(addr).await?);
        Ok(Self {
            listener,
            app,
            limits: ConnectionLimits::default(),
        })
    }

    /// The same server with other connection limits (use the ones `app` was built with).
    pub fn with_limits(self, limits: ConnectionLimits) -> Self {
        Self { limits, ..self }
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        axum::serve::Listener::local_addr(&self.listener)
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight requests
    /// finish (connections waiting for their next request close at once).
    pub async fn run(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let connections = Connections::new(self.limits);
        let stopping = CancellationToken::new();
        let tasks = TaskTracker::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = axum::serve::Listener::accept(&mut self.listener) => accepted,
            };
            let Some(io) = connections.admit(stream) else {
                continue;
            };
            tasks.spawn(crate::connections::serve(
                io,
                peer,
                self.app.clone(),
                stopping.clone(),
            ));
        }
        stopping.cancel();
        tasks.close();
        tasks.wait().await;
        Ok(())
    }
}
