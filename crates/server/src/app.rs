//! Building the application and serving it: the part tests and the binary share.

use crate::auth::Tokens;
use crate::config::ServerConfig;
use crate::extract::BODY_LIMIT;
use crate::listener::GuardedListener;
use crate::routes;
use crate::state::AppState;
use crate::ws::Live;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, header};
use classchat_core::ChatService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The complete HTTP application over `service`.
///
/// `live` must be the same [`Live`] whose hub `service` publishes to, so that events reach
/// the sockets this app accepts.
pub fn build_app(service: Arc<ChatService>, live: &Live, config: &ServerConfig) -> Router {
    let state = AppState {
        service,
        tokens: Arc::new(Tokens::new(&config.jwt_secret, config.token_ttl)),
        live: live.clone(),
        metrics: Arc::default(),
    };
    // Spans carry the path but never the query string: `/chat/ws?token=…` must not leak
    // tokens into logs.
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    routes::router()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::count_responses,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(cors(&config.cors_origins))
        .layer(trace)
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
}

impl Server {
    /// Binds `addr` for `app`.
    pub async fn bind(addr: SocketAddr, app: Router) -> std::io::Result<Self> {
        let listener = GuardedListener::new(TcpListener::bind(addr).await?);
        Ok(Self { listener, app })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        axum::serve::Listener::local_addr(&self.listener)
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight requests
    /// finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
