//! `POST /admin/roster`: an administrator uploads a OneRoster CSV bundle (a zip) and gets
//! the diff back, applied or, with `dryRun=true`, not.

use crate::auth::AuthUser;
use crate::dto::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::openapi::{Busy, PayloadTooLarge, RateLimited, Unauthorized, Unavailable};
use crate::roster_report::RosterReport;
use crate::state::AppState;
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::post;
use axum::{Json, Router};
use classchat_core::ChatError;
use classchat_core::service::{Actor, RosterOutcome};
use classchat_roster::{Bundle, BundleLimits};
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::Semaphore;
use utoipa::IntoParams;

/// The largest upload: a zip of a district's export (10,000 people and 50,000 enrolments
/// compress to well under 2 MiB).
pub const ROSTER_BODY_LIMIT: usize = 32 << 20;

/// What one upload may inflate to: a tenth of a million enrolments is about 12 MiB.
const UPLOAD_LIMITS: BundleLimits = BundleLimits {
    max_entries: 64,
    max_file_bytes: 64 << 20,
    max_total_bytes: 128 << 20,
};

/// The roster route. One upload is read and checked at a time per server: it holds the
/// zip and what it inflates to, so two at once would double that (a second gets `busy`).
pub fn router() -> Router<AppState> {
    let uploads = Arc::new(Semaphore::new(1));
    Router::new()
        .route("/admin/roster", post(import))
        .layer(Extension(uploads))
}

/// `POST /admin/roster` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct RosterQuery {
    /// `true`: plan and return the diff, write nothing. Default `false`: apply.
    #[serde(default)]
    #[param(required = false)]
    dry_run: Option<bool>,
}

/// Imports a OneRoster 1.1 (or 1.2) CSV bundle: `manifest.csv`, `orgs.csv`, `users.csv`,
/// `classes.csv`, `enrollments.csv` and optionally `academicSessions.csv` and the other
/// OneRoster files, zipped (at the root or under one folder). The whole bundle is checked
/// before anything is written; any problem refuses it with every problem listed (file,
/// line, column). Applying is audited as `roster.import`; importing the same bundle again
/// changes nothing.
#[utoipa::path(post, path = "/admin/roster", tag = "admin", params(RosterQuery),
    request_body(content((Vec<u8> = "application/zip"), (Vec<u8> = "application/octet-stream")),
        description = "The OneRoster CSV bundle as a zip (`application/x-zip-compressed` is taken too)"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The diff: applied, or on a dry run what would be", body = RosterReport),
        (status = 400, description = "malformed query (`invalid_query`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 409, description = "the store changed while the import ran (`conflict`); run it again", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, description = "the body is not a zip (`unsupported_media_type`)", body = ErrorBody),
        (status = 422, description = "the bundle was refused (`invalid_roster`), with every problem in `error.problems`", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Busy),
        (status = 503, response = Unavailable),
    ))]
async fn import(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<RosterQuery>,
    Extension(uploads): Extension<Arc<Semaphore>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<RosterReport>> {
    // Who may, and how often, before a byte of the upload is read.
    let ticket = state.service.begin_import(Actor::User(&caller))?;
    check_zip_type(&headers)?;
    let _one_upload = uploads.try_acquire().map_err(|_| ChatError::Busy)?;
    let bytes = axum::body::to_bytes(body, ROSTER_BODY_LIMIT)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(ROSTER_BODY_LIMIT))?;
    let prepared = tokio::task::spawn_blocking(move || {
        let bundle = Bundle::from_zip(&bytes, &UPLOAD_LIMITS)?;
        classchat_roster::prepare(&bundle)
    })
    .await
    .map_err(|error| ChatError::Internal(format!("the roster reader stopped: {error}")))?;
    let import = prepared.map_err(|errors| ApiError::Roster {
        problems: errors.problems(),
    })?;
    let dry_run = query.dry_run.unwrap_or(false);
    match state
        .service
        .import_roster(ticket, &import, dry_run)
        .await?
    {
        RosterOutcome::Planned { plan, applied } => {
            Ok(Json(RosterReport::new(&plan, dry_run, applied)))
        }
        RosterOutcome::Refused(problems) => Err(ApiError::Roster { problems }),
    }
}

/// Zips only: `application/zip`, or what browsers and tools also send for one.
fn check_zip_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/zip" | "application/x-zip-compressed" | "application/octet-stream" => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "send the bundle as a zip with Content-Type application/zip (got {content_type:?})"
        ))),
    }
}
