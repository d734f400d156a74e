//! Probes and the API description.

use crate::dto::{ErrorBody, StatusResponse};
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

/// The operational routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi))
        .route("/metrics", get(crate::metrics::render))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = StatusResponse)))]
async fn healthz() -> Json<StatusResponse> {
    Json(StatusResponse {
        status: "ok".into(),
    })
}

/// Readiness: the store answers too.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, body = StatusResponse),
    (status = 503, description = "the store is unavailable", body = ErrorBody),
))]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<StatusResponse>> {
    state.service.ready().await?;
    Ok(Json(StatusResponse {
        status: "ready".into(),
    }))
}

/// This API as OpenAPI 3.1: the checked-in `openapi.json`, which a test keeps equal to the
/// document the route annotations generate ([`crate::openapi::ApiDoc`]). Served as it is
/// rather than generated per request: the generator is about 0.8 MB of code in every
/// binary that serves the API, a Lambda function's package included.
#[utoipa::path(get, path = "/openapi.json", tag = "ops", responses((status = 200, description = "the OpenAPI document")))]
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT,
    )
}
