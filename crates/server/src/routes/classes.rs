//! `/classes`: a member's own classes, and a teacher's announcement to a class; and
//! `/admin/classes`, the admins' listing.

use crate::auth::AuthUser;
use crate::dto::ErrorBody;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, QueryParams};
use crate::openapi::{PayloadTooLarge, RateLimited, Unauthorized, Unavailable};
use crate::routes::chat::IDEMPOTENT_REPLAY_HEADER;
use crate::schemas;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use classchat_core::policy::ClassView;
use classchat_core::service::{AnnounceRequest, Member, MyClass};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The class routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/classes", get(my_classes))
        .route("/classes/{classId}/announce", post(announce))
        .route("/admin/classes", get(admin_classes))
}

/// A member of a class.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberDto {
    /// Their id.
    pub user_id: String,
    /// Their name; absent when the account is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl From<&Member> for MemberDto {
    fn from(member: &Member) -> Self {
        Self {
            user_id: member.id.to_string(),
            display_name: member.display_name.clone(),
        }
    }
}

/// One of the caller's classes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassDto {
    /// The class's id (its roster sourcedId).
    pub class_id: String,
    /// Its title.
    pub title: String,
    /// `teacher` when the caller teaches it, `student` when they take it.
    pub role: String,
    /// Its teachers.
    pub teachers: Vec<MemberDto>,
    /// Its students: present for a teacher of the class only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub students: Option<Vec<MemberDto>>,
}

impl From<&MyClass> for ClassDto {
    fn from(class: &MyClass) -> Self {
        let members = |list: &[Member]| list.iter().map(MemberDto::from).collect();
        Self {
            class_id: class.id.to_string(),
            title: class.title.clone(),
            role: match class.view {
                ClassView::Teaching => "teacher",
                ClassView::Taking => "student",
            }
            .to_owned(),
            teachers: members(&class.teachers),
            students: (class.view == ClassView::Teaching).then(|| members(&class.students)),
        }
    }
}

/// `GET /classes` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClassesResponse {
    /// The caller's classes, by id.
    pub classes: Vec<ClassDto>,
}

/// The caller's classes from the roster: a teacher's with their students, a student's
/// with their teachers (never their classmates). Empty for admins and for schools that
/// do not import a roster.
#[utoipa::path(get, path = "/classes", tag = "classes",
    security(("bearer" = [])),
    responses(
        (status = 200, body = ClassesResponse),
        (status = 401, response = Unauthorized),
        (status = 403, description = "the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn my_classes(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<Json<ClassesResponse>> {
    let classes = state.service.my_classes(&caller).await?;
    Ok(Json(ClassesResponse {
        classes: classes.iter().map(ClassDto::from).collect(),
    }))
}

/// `POST /classes/{classId}/announce` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnnounceBody {
    /// The text.
    #[schema(value_type = schemas::MessageBody)]
    pub message_body: String,
    /// The teacher's id for this announcement: a retry with the same one stores nothing
    /// twice. Its own namespace, apart from single messages' clientMessageIds.
    #[schema(value_type = schemas::ClientMessageId)]
    pub client_message_id: String,
}

/// The path of `POST /classes/{classId}/announce`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[serde(rename_all = "camelCase")]
pub struct ClassPath {
    /// The class.
    #[param(value_type = schemas::ClassId)]
    class_id: String,
}

/// One copy of an announcement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnnouncementCopy {
    /// The student it went to.
    pub student_id: String,
    /// Their conversation with the teacher.
    pub conversation_id: String,
    /// The copy's message id.
    pub message_id: String,
    /// The copy's timestamp in that conversation.
    pub timestamp: String,
}

/// `POST /classes/{classId}/announce` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnnouncementResponse {
    /// The announcement's id, which every copy carries as `announcementId`.
    pub announcement_id: String,
    /// The class.
    pub class_id: String,
    /// The text, once for all copies.
    pub message_body: String,
    /// One copy per student the teacher is linked to, in conversation order.
    pub copies: Vec<AnnouncementCopy>,
}

/// Sends one message to every student of a class the caller teaches: a copy in each
/// student's own conversation with the teacher (replies stay private), delivered live
/// like any message and carrying `announcementId`. `201` once every copy is durable; a
/// retry with the same clientMessageId returns the first announcement
/// (`Idempotent-Replayed: true`). Counts as one message against the send limit, and
/// against a limit of its own.
#[utoipa::path(post, path = "/classes/{classId}/announce", tag = "classes", params(ClassPath),
    request_body = AnnounceBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = AnnouncementResponse,
            headers(("Idempotent-Replayed" = String,
                description = "`true` when this answers a retry with a clientMessageId already used (nothing new was written but copies an interrupted attempt missed), `false` otherwise"))),
        (status = 400, description = "malformed JSON (`invalid_json`), classId (`invalid_request`) or clientMessageId (`invalid_client_message_id`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not a teacher of this class (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such class (`not_found`; to teachers only)", body = ErrorBody),
        (status = 409, description = "clientMessageId already used for another class (`client_message_id_reused`)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "messageBody empty or longer than 4000 characters (`invalid_message_body`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn announce(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParams(path): PathParams<ClassPath>,
    JsonBody(body): JsonBody<AnnounceBody>,
) -> ApiResult<impl IntoResponse> {
    let request = AnnounceRequest {
        class_id: &path.class_id,
        message_body: &body.message_body,
        client_message_id: &body.client_message_id,
        origin: None,
    };
    let sent = state.service.announce(&caller, request).await?;
    let message_body = sent.messages.first().map_or_else(
        || body.message_body.trim().to_owned(),
        |m| m.body.as_str().to_owned(),
    );
    let response = AnnouncementResponse {
        announcement_id: sent.id.to_string(),
        class_id: sent.class_id.to_string(),
        message_body,
        copies: sent
            .messages
            .iter()
            .map(|message| AnnouncementCopy {
                student_id: message.conversation_id.member().to_string(),
                conversation_id: message.conversation_id.to_string(),
                message_id: message.message_id.to_string(),
                timestamp: message.timestamp.to_string(),
            })
            .collect(),
    };
    let replayed = HeaderValue::from_static(if sent.created { "false" } else { "true" });
    Ok((
        StatusCode::CREATED,
        [(HeaderName::from_static(IDEMPOTENT_REPLAY_HEADER), replayed)],
        Json(response),
    ))
}

/// `GET /admin/classes` parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminClassesQuery {
    /// Only classes whose id or title contains this, ignoring case.
    #[param(value_type = Option<schemas::Search>, required = false)]
    q: Option<String>,
    /// Page size, default 100.
    #[param(value_type = Option<schemas::Limit>, required = false)]
    limit: Option<String>,
    /// Only classIds after this one (the previous page's `nextAfter`).
    #[param(value_type = Option<schemas::ClassId>, required = false)]
    after: Option<String>,
}

/// A class as admins list it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminClassDto {
    /// The class's id (its roster sourcedId).
    pub class_id: String,
    /// Its title.
    pub title: String,
    /// Its teachers' userIds.
    pub teacher_ids: Vec<String>,
    /// How many students it has.
    pub student_count: usize,
}

/// `GET /admin/classes` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminClassesResponse {
    /// Classes in classId order.
    pub classes: Vec<AdminClassDto>,
    /// Whether more follow (pass `nextAfter` as `after`).
    pub has_more: bool,
    /// The last classId listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// The school's classes from the roster, in classId order, optionally found by part of
/// their id or title. Their members: `GET /admin/users?classId=`; their links:
/// `GET /admin/links?classId=`.
#[utoipa::path(get, path = "/admin/classes", tag = "admin", params(AdminClassesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminClassesResponse),
        (status = 400, description = "bad limit (`invalid_limit`), search or cursor (`invalid_request`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
async fn admin_classes(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<AdminClassesQuery>,
) -> ApiResult<Json<AdminClassesResponse>> {
    let page = state
        .service
        .find_classes(
            classchat_core::service::Actor::User(&caller),
            query.q.as_deref(),
            query.after.as_deref(),
            query.limit.as_deref(),
        )
        .await?;
    Ok(Json(AdminClassesResponse {
        classes: page
            .classes
            .iter()
            .map(|class| AdminClassDto {
                class_id: class.sourced_id.to_string(),
                title: class.title.clone(),
                teacher_ids: class.teachers.iter().map(ToString::to_string).collect(),
                student_count: class.students.len(),
            })
            .collect(),
        has_more: page.has_more,
        next_after: page.next_after.map(|id| id.to_string()),
    }))
}
