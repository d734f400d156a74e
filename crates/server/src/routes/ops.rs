//! Probes and the API description.

use crate::dto::{ErrorBody, StatusResponse};
use crate::error::ApiResult;
use crate::openapi::ApiDoc;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

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

/// This API as OpenAPI 3.1.
#[utoipa::path(get, path = "/openapi.json", tag = "ops", responses((status = 200, description = "the OpenAPI document")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
