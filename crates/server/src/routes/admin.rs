//! `/admin/*`: users, links and the audit log. Admin tokens only; every change is audited.

use crate::auth::AuthUser;
use crate::dto::{
    AdminUserDto, AuditEntryDto, AuditResponse, CreateUserRequest, ErrorBody, LinkDto,
    LinksResponse, UpdateUserRequest, UsersResponse,
};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, QueryParams};
use crate::openapi::{Busy, PayloadTooLarge, Unauthorized, Unavailable};
use crate::schemas;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use classchat_core::service::{Actor, NewUser, PeopleQuery, UserChanges};
use serde::Deserialize;
use utoipa::IntoParams;

/// The admin routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list_users).post(create_user))
        .route("/admin/users/{user_id}", patch(update_user))
        .route(
            "/admin/links",
            get(list_links).post(add_link).delete(remove_link),
        )
        .route("/admin/audit", get(list_audit))
}

/// `GET /admin/users` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Only this role.
    #[param(value_type = Option<schemas::Role>, required = false)]
    role: Option<String>,
    /// Page size, default 100.
    #[param(value_type = Option<schemas::Limit>, required = false)]
    limit: Option<String>,
    /// Only userIds after this one (the previous page's `nextAfter`).
    #[param(value_type = Option<schemas::UserId>, required = false)]
    after: Option<String>,
    /// Only people whose userId or display name contains this, ignoring case.
    #[param(value_type = Option<schemas::Search>, required = false)]
    q: Option<String>,
    /// Only `active` or only `disabled` accounts.
    #[param(value_type = Option<schemas::AccountStatus>, required = false)]
    status: Option<String>,
    /// Only the teachers and students of this class.
    #[param(value_type = Option<schemas::ClassId>, required = false, rename = "classId")]
    #[serde(rename = "classId")]
    class_id: Option<String>,
}

/// People in userId order, optionally found by a search (`q`: part of the userId or
/// the display name) and filtered by role, status and class. A search examines at most
/// 5,000 accounts per request: a page may then hold fewer than `limit` with `hasMore`,
/// and the next page starts at `nextAfter`.
#[utoipa::path(get, path = "/admin/users", tag = "admin", params(UsersQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = UsersResponse),
        (status = 400, description = "bad role (`invalid_role`), limit (`invalid_limit`), cursor (`invalid_user_id`), search, status or classId (`invalid_request`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such class (`not_found`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn list_users(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<UsersQuery>,
) -> ApiResult<Json<UsersResponse>> {
    let found = state
        .service
        .find_people(
            Actor::User(&caller),
            PeopleQuery {
                search: query.q.as_deref(),
                role: query.role.as_deref(),
                status: query.status.as_deref(),
                class_id: query.class_id.as_deref(),
                after: query.after.as_deref(),
                limit: query.limit.as_deref(),
            },
        )
        .await?;
    Ok(Json(UsersResponse {
        users: found.users.iter().map(AdminUserDto::from).collect(),
        has_more: found.has_more,
        next_after: found.next_after.map(|id| id.to_string()),
    }))
}

/// Creates a user.
#[utoipa::path(post, path = "/admin/users", tag = "admin", request_body = CreateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = AdminUserDto),
        (status = 400, description = "malformed JSON (`invalid_json`), userId (`invalid_user_id`) or role (`invalid_role`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 409, description = "the userId exists (`conflict`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "display name (`invalid_display_name`) or password (`invalid_password`) breaks a rule", body = ErrorBody),
        (status = 503, response = Busy),
    ))]
async fn create_user(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<AdminUserDto>)> {
    let new = NewUser {
        user_id: &body.user_id,
        display_name: &body.display_name,
        role: &body.role,
        password: &body.password,
    };
    let user = state.service.create_user(Actor::User(&caller), new).await?;
    Ok((StatusCode::CREATED, Json(AdminUserDto::from(&user))))
}

/// Changes a user's display name, role, password or disabled flag.
#[utoipa::path(patch, path = "/admin/users/{userId}", tag = "admin", request_body = UpdateUserRequest,
    params(("userId" = schemas::UserId, Path, description = "the user to change")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminUserDto),
        (status = 400, description = "malformed JSON (`invalid_json`), userId (`invalid_user_id`, or `invalid_path` when its percent-encoding is not UTF-8) or role (`invalid_role`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user (`not_found`)", body = ErrorBody),
        (status = 409, description = "role change while linked, or disabling or demoting yourself (`conflict`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "display name (`invalid_display_name`) or password (`invalid_password`) breaks a rule", body = ErrorBody),
        (status = 503, response = Busy),
    ))]
async fn update_user(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParams(user_id): PathParams<String>,
    JsonBody(body): JsonBody<UpdateUserRequest>,
) -> ApiResult<Json<AdminUserDto>> {
    let changes = UserChanges {
        display_name: body.display_name.as_deref(),
        role: body.role.as_deref(),
        password: body.password.as_deref(),
        disabled: body.disabled,
    };
    let user = state
        .service
        .update_user(Actor::User(&caller), &user_id, changes)
        .await?;
    Ok(Json(AdminUserDto::from(&user)))
}

/// `GET /admin/links` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase", parameter_in = Query)]
pub struct LinksQuery {
    /// Only the links of this user (teacher or student); all links when absent.
    #[param(value_type = Option<schemas::UserId>, required = false)]
    user_id: Option<String>,
    /// Only links between a teacher and a student of this class.
    #[param(value_type = Option<schemas::ClassId>, required = false)]
    class_id: Option<String>,
}

/// Links, sorted by teacher then student: all, a user's, a class's, or a user's in a class.
#[utoipa::path(get, path = "/admin/links", tag = "admin", params(LinksQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LinksResponse),
        (status = 400, description = "bad userId (`invalid_user_id`) or classId (`invalid_request`)", body = ErrorBody),
        (status = 404, description = "no such class (`not_found`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn list_links(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<LinksQuery>,
) -> ApiResult<Json<LinksResponse>> {
    let actor = Actor::User(&caller);
    let user = query.user_id.as_deref();
    let links = match query.class_id.as_deref() {
        Some(class_id) => state.service.class_links(actor, class_id, user).await?,
        None => state.service.list_links(actor, user).await?,
    };
    Ok(Json(LinksResponse {
        links: links.iter().map(LinkDto::from).collect(),
    }))
}

/// Links a teacher and a student so they can chat.
#[utoipa::path(post, path = "/admin/links", tag = "admin", request_body = LinkDto,
    security(("bearer" = [])),
    responses(
        (status = 201, body = LinkDto),
        (status = 400, description = "malformed JSON (`invalid_json`) or userId (`invalid_user_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user (`not_found`)", body = ErrorBody),
        (status = 409, description = "already linked (`conflict`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "the users are not a teacher and a student (`invalid_role`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn add_link(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<LinkDto>,
) -> ApiResult<(StatusCode, Json<LinkDto>)> {
    let link = state
        .service
        .add_link(Actor::User(&caller), &body.teacher_id, &body.student_id)
        .await?;
    Ok((StatusCode::CREATED, Json(LinkDto::from(&link))))
}

/// `DELETE /admin/links` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase", parameter_in = Query)]
pub struct UnlinkQuery {
    /// The teacher. (Optional in the query string's type only: without it the answer is
    /// `400 invalid_user_id`.)
    #[param(value_type = schemas::UserId, required = true)]
    teacher_id: Option<String>,
    /// The student (required, like `teacherId`).
    #[param(value_type = schemas::UserId, required = true)]
    student_id: Option<String>,
}

/// Removes a link: the conversation stays readable, but nobody can send to it.
#[utoipa::path(delete, path = "/admin/links", tag = "admin", params(UnlinkQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "removed"),
        (status = 400, description = "bad userId (`invalid_user_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "not linked (`not_found`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn remove_link(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<UnlinkQuery>,
) -> ApiResult<StatusCode> {
    let teacher = query.teacher_id.as_deref().unwrap_or_default();
    let student = query.student_id.as_deref().unwrap_or_default();
    state
        .service
        .remove_link(Actor::User(&caller), teacher, student)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/audit` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page size, default 100.
    #[param(value_type = Option<schemas::Limit>, required = false)]
    limit: Option<String>,
    /// Only entries older than this entry id.
    #[param(value_type = Option<schemas::AuditEntryId>, required = false)]
    before: Option<String>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AuditResponse),
        (status = 400, description = "bad limit (`invalid_limit`) or cursor, which is an entry id (`invalid_cursor`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn list_audit(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<AuditQuery>,
) -> ApiResult<Json<AuditResponse>> {
    let (entries, has_more) = state
        .service
        .list_audit(
            Actor::User(&caller),
            query.before.as_deref(),
            query.limit.as_deref(),
        )
        .await?;
    Ok(Json(AuditResponse {
        entries: entries.iter().map(AuditEntryDto::from).collect(),
        has_more,
    }))
}
