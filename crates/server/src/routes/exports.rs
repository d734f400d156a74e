//! `GET /admin/export/user/{userId}` and `GET /admin/export/conversation/{conversationId}`:
//! one person's or one conversation's history as a download (JSON Lines, CSV, or a
//! printable HTML transcript), for admins, audited by the service before anything is
//! read. The answer streams: each page of messages is written as it is read
//! (`crate::export`), so it has no `Content-Length`, and a failure part-way cuts the
//! response short rather than ending it as if it were whole.
//!
//! In the path, `+` is literal (only a query string decodes it to a space), and `%2B`
//! decodes to `+`: both name the same conversation.

use crate::auth::AuthUser;
use crate::dto::ErrorBody;
use crate::error::ApiResult;
use crate::export::{self, ExportStream};
use crate::extract::{PathParams, QueryParams};
use crate::openapi::{RateLimited, Unauthorized, Unavailable};
use crate::schemas;
use crate::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use classchat_core::service::{Actor, ExportFormat};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// The export routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/export/user/{user_id}", get(export_user))
        .route(
            "/admin/export/conversation/{conversation_id}",
            get(export_conversation),
        )
}

/// The query of both export routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `jsonl` (JSON Lines, the default), `csv` (one row per message, for spreadsheets)
    /// or `html` (a printable transcript, which a browser saves as PDF).
    #[param(value_type = Option<FormatName>, inline, required = false)]
    format: Option<String>,
}

impl ExportQuery {
    fn format(&self) -> &str {
        self.format
            .as_deref()
            .unwrap_or(ExportFormat::Jsonl.as_str())
    }
}

/// The names of the export formats, as the document states them.
pub(crate) struct FormatName;

impl utoipa::PartialSchema for FormatName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(ExportFormat::ALL.map(ExportFormat::as_str)))
            .default(Some(serde_json::json!(ExportFormat::Jsonl.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for FormatName {}

/// Exports one person's history: their profile, then each conversation they take part
/// in (newest activity first) with every message as stored — removed ones with their
/// text, edited ones with their earlier texts — and its pause. Audited as `export.user`
/// (target `<userId> <format>`) before anything of the history is read. Rate limited per
/// admin. The body streams, so it has no `Content-Length`.
#[utoipa::path(get, path = "/admin/export/user/{userId}", tag = "admin",
    params(("userId" = schemas::UserId, Path, description = "whose history"), ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the export, as an attachment: JSON Lines (one object per line with a `type`: `export`, `user`, `conversation`, `message`), CSV (UTF-8 with a byte-order mark, one row per message) or an HTML transcript",
            content((String = "application/x-ndjson"), (String = "text/csv; charset=utf-8"), (String = "text/html; charset=utf-8")),
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename=\"classchat-user-<userId>.<format>\"`"),
                ("Cache-Control" = String, description = "`no-store`: the body is a person's messages"),
                ("Content-Security-Policy" = String, description = "for `html`: `default-src 'none'; style-src 'unsafe-inline'`"),
            )),
        (status = 400, description = "a userId that is not one (`invalid_user_id`, or `invalid_path` when its percent-encoding is not UTF-8), an unknown format (`invalid_request`), or a malformed query string (`invalid_query`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "no such user (`not_found`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn export_user(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParams(user_id): PathParams<String>,
    QueryParams(query): QueryParams<ExportQuery>,
) -> ApiResult<Response> {
    let export = state
        .service
        .export_user(Actor::User(&caller), &user_id, query.format())
        .await?;
    Ok(download(ExportStream::new(export)))
}

/// Exports one conversation: its two people and pause, then every message as stored,
/// oldest first — removed ones with their text, edited ones with their earlier texts.
/// Any conversation of a teacher with a student or guardian, in either id order. Audited
/// as `export.conversation` (target `<conversationId> <format>`) before any message is
/// read. Rate limited per admin. The body streams, so it has no `Content-Length`.
#[utoipa::path(get, path = "/admin/export/conversation/{conversationId}", tag = "admin",
    params(("conversationId" = schemas::ConversationId, Path, description = "the conversation, `+` written as is or as `%2B`"), ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the export, as an attachment: JSON Lines (one object per line with a `type`: `export`, `conversation`, `message`), CSV (UTF-8 with a byte-order mark, one row per message) or an HTML transcript",
            content((String = "application/x-ndjson"), (String = "text/csv; charset=utf-8"), (String = "text/html; charset=utf-8")),
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename=\"classchat-conversation-<conversationId>.<format>\"`"),
                ("Cache-Control" = String, description = "`no-store`: the body is a conversation's messages"),
                ("Content-Security-Policy" = String, description = "for `html`: `default-src 'none'; style-src 'unsafe-inline'`"),
            )),
        (status = 400, description = "a conversationId that is not two userIds, or not a teacher with a student or guardian (`invalid_conversation_id`; `invalid_path` when its percent-encoding is not UTF-8), an unknown format (`invalid_request`), or a malformed query string (`invalid_query`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "either user does not exist (`not_found`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn export_conversation(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParams(conversation_id): PathParams<String>,
    QueryParams(query): QueryParams<ExportQuery>,
) -> ApiResult<Response> {
    let export = state
        .service
        .export_conversation(Actor::User(&caller), &conversation_id, query.format())
        .await?;
    Ok(download(ExportStream::new(export)))
}

/// The streaming response of an export, with its download headers.
fn download(stream: ExportStream) -> Response {
    let format = stream.format();
    let file_name = export::file_name(stream.subject(), format);
    let chunks = futures::stream::unfold(stream, |mut stream| async move {
        loop {
            match stream.next_chunk().await {
                Ok(Some(chunk)) if chunk.is_empty() => continue,
                Ok(Some(chunk)) => return Some((Ok(Bytes::from(chunk)), stream)),
                Ok(None) => return None,
                Err(error) => {
                    // The status line is long gone: cutting the body short is how the
                    // client learns the download is incomplete.
                    tracing::error!(%error, "an export failed part-way; its response is cut short");
                    return Some((Err(std::io::Error::other(error.to_string())), stream));
                }
            }
        }
    });
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(export::content_type(format)),
    );
    // The name is made of id characters only (see `export::file_name`).
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if format == ExportFormat::Html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(export::HTML_CONTENT_SECURITY_POLICY),
        );
    }
    response
}
