//! `GET /metrics`: a few counters in the Prometheus text format, enough to watch a school's
//! traffic and the live-connection count without pulling in a metrics stack.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters.
#[derive(Default)]
pub struct Metrics {
    /// Responses by status class: 1xx…5xx.
    responses: [AtomicU64; 5],
}

impl Metrics {
    fn record(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }
}

/// Middleware counting every response by status class.
pub async fn count_responses(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    state.metrics.record(response.status().as_u16());
    response
}

/// Counters in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = String::new();
    text.push_str("# HELP classchat_http_responses_total HTTP responses by status class.\n");
    text.push_str("# TYPE classchat_http_responses_total counter\n");
    for (index, counter) in state.metrics.responses.iter().enumerate() {
        let _ = writeln!(
            text,
            "classchat_http_responses_total{{class=\"{}xx\"}} {}",
            index + 1,
            counter.load(Ordering::Relaxed)
        );
    }
    text.push_str("# HELP classchat_websocket_connections Open WebSocket connections.\n");
    text.push_str("# TYPE classchat_websocket_connections gauge\n");
    let _ = writeln!(
        text,
        "classchat_websocket_connections {}",
        state.live.connection_count()
    );
    classchat_live::stages().render(&mut text);
    if let Some(more) = &state.more_metrics {
        (more.0)(&mut text);
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
}
