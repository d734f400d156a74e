//! `/admin/guardians` and `/admin/settings`: who is whose guardian, and whether the school
//! lets guardians read their children's conversations. Admin tokens only; every change is
//! audited.

use crate::auth::AuthUser;
use crate::dto::whole_number;
use crate::dto::{
    ErrorBody, GuardianLinkDto, GuardiansResponse, ScheduleDto, SettingsDto, SettingsPatchRequest,
};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::openapi::{PayloadTooLarge, Unauthorized, Unavailable};
use crate::schemas;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use classchat_core::UserId;
use classchat_core::service::Actor;
use classchat_core::settings::SettingsPatch;
use serde::Deserialize;
use utoipa::IntoParams;

/// The family administration routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/guardians",
            get(list_guardians)
                .post(add_guardian)
                .delete(remove_guardian),
        )
        .route("/admin/settings", get(settings).patch(update_settings))
}

/// `GET /admin/guardians` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase", parameter_in = Query)]
pub struct GuardiansQuery {
    /// Only this user's guardian links (as guardian or as student).
    #[param(value_type = Option<schemas::UserId>, required = false)]
    user_id: Option<String>,
}

/// Guardian links, sorted by guardian then student: all, or one user's.
#[utoipa::path(get, path = "/admin/guardians", tag = "admin", params(GuardiansQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = GuardiansResponse),
        (status = 400, description = "bad userId (`invalid_user_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn list_guardians(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<GuardiansQuery>,
) -> ApiResult<Json<GuardiansResponse>> {
    let links = state
        .service
        .list_guardian_links(Actor::User(&caller), query.user_id.as_deref())
        .await?;
    Ok(Json(GuardiansResponse {
        guardians: links.iter().map(GuardianLinkDto::from).collect(),
    }))
}

/// Makes a user a guardian of a student: they may then message the student's teachers.
#[utoipa::path(post, path = "/admin/guardians", tag = "admin", request_body = GuardianLinkDto,
    security(("bearer" = [])),
    responses(
        (status = 201, body = GuardianLinkDto),
        (status = 400, description = "malformed JSON (`invalid_json`) or userId (`invalid_user_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user (`not_found`)", body = ErrorBody),
        (status = 409, description = "already their guardian (`conflict`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "the users are not a guardian and a student (`invalid_role`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn add_guardian(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<GuardianLinkDto>,
) -> ApiResult<(StatusCode, Json<GuardianLinkDto>)> {
    let link = state
        .service
        .add_guardian(Actor::User(&caller), &body.guardian_id, &body.student_id)
        .await?;
    Ok((StatusCode::CREATED, Json(GuardianLinkDto::from(&link))))
}

/// `DELETE /admin/guardians` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase", parameter_in = Query)]
pub struct UnguardQuery {
    /// The guardian. (Optional in the query string's type only: without it the answer is
    /// `400 invalid_user_id`.)
    #[param(value_type = schemas::UserId, required = true)]
    guardian_id: Option<String>,
    /// The student (required, like `guardianId`).
    #[param(value_type = schemas::UserId, required = true)]
    student_id: Option<String>,
}

/// Removes a guardian link. Their conversations with teachers no other child connects
/// them to stay readable, but nobody can send to them.
#[utoipa::path(delete, path = "/admin/guardians", tag = "admin", params(UnguardQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "removed"),
        (status = 400, description = "bad userId (`invalid_user_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "not their guardian (`not_found`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn remove_guardian(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<UnguardQuery>,
) -> ApiResult<StatusCode> {
    let guardian = query.guardian_id.as_deref().unwrap_or_default();
    let student = query.student_id.as_deref().unwrap_or_default();
    state
        .service
        .remove_guardian(Actor::User(&caller), guardian, student)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The school's settings.
#[utoipa::path(get, path = "/admin/settings", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SettingsDto),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn settings(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<Json<SettingsDto>> {
    let settings = state.service.settings(Actor::User(&caller)).await?;
    Ok(Json(SettingsDto::from(&settings)))
}

/// Changes the school's settings; a change is audited as `settings.update`. Answers the
/// settings now in force.
#[utoipa::path(patch, path = "/admin/settings", tag = "admin", request_body = SettingsPatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SettingsDto),
        (status = 400, description = "malformed JSON (`invalid_json`), or a bad userId in `urgentSenders` (`invalid_user_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 404, description = "someone in `urgentSenders` does not exist (`not_found`)", body = ErrorBody),
        (status = 422, description = "`quietHours` is not a schedule: an unknown time zone, a day named twice, an entry ending before it begins (`invalid_request`); someone in `urgentSenders` is not a teacher (`invalid_role`); `editWindowMinutes` not a whole number from 0 to 1440, `retentionDays` not one from 30 to 36500, a flag word or pattern breaking a limit, or a pattern that does not compile (`invalid_request`, naming it, e.g. `flagPatterns[1]`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn update_settings(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<SettingsPatchRequest>,
) -> ApiResult<Json<SettingsDto>> {
    let quiet_hours = body
        .quiet_hours
        .map(|hours| hours.as_ref().map(ScheduleDto::parse).transpose())
        .transpose()?;
    let patch = SettingsPatch {
        guardian_oversight: body.guardian_oversight,
        quiet_hours,
        push_preview: body.push_preview,
        digest_text: body.digest_text,
        urgent_senders: body
            .urgent_senders
            .map(|ids| ids.iter().map(|id| UserId::parse(id)).collect())
            .transpose()?,
        edit_window_minutes: body.edit_window_minutes.map(whole_number),
        flag_words: body.flag_words,
        flag_patterns: body.flag_patterns,
        retention_days: body.retention_days.map(|days| days.map(whole_number)),
    };
    let settings = state
        .service
        .update_settings(Actor::User(&caller), patch)
        .await?;
    Ok(Json(SettingsDto::from(&settings)))
}
