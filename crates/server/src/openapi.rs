//! The OpenAPI 3.1 document, generated from the handlers' annotations so it cannot drift
//! from the code.
//!
//! The errors every route shares (no token, store down, body too large, rate limited) are
//! reusable responses defined here, so each route lists them by name and they read the
//! same everywhere. Routes whose handlers cannot carry an annotation (the WebSocket upgrade
//! and the web client's files live in modules of their own) are described here by
//! documentation-only paths.

use crate::dto::{self, ErrorBody};
use crate::routes::{
    admin, chat, classes, exports, families, graphql, moderation, notify, ops, reports, retention,
    roster, session, sign_in_codes, unsubscribe,
};
use crate::schemas;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToResponse};

/// The API description served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "classchat",
        description = "Teacher–student messaging for schools.\n\n\
            Every error is `{\"error\":{\"code\",\"message\"}}` with a stable `code`. Besides the \
            responses listed per route: a path that exists answers any other method with \
            `405 method_not_allowed`, and an unknown path answers `404 not_found`."
    ),
    paths(
        session::login, session::logout, sign_in_codes::first_sign_in,
        chat::get_teachers, chat::get_students, chat::get_chats, chat::read, chat::send, chat::mark_read,
        moderation::edit, moderation::remove, moderation::report, moderation::pause, moderation::resume,
        live_socket,
        graphql::execute, graphql::subscribe,
        admin::list_users, admin::create_user, admin::update_user,
        admin::list_links, admin::add_link, admin::remove_link, admin::list_audit,
        families::list_guardians, families::add_guardian, families::remove_guardian,
        families::settings, families::update_settings,
        reports::list_reports, reports::report_view, reports::step_report, reports::message_history,
        retention::list_holds, retention::set_hold, retention::release_hold, retention::preview,
        exports::export_user, exports::export_conversation,
        notify::notify_settings, notify::update_notify_settings, notify::add_push_subscription, notify::remove_push_subscription,
        notify::set_email,
        unsubscribe::unsubscribe_page, unsubscribe::unsubscribe_digests,
        roster::import,
        classes::my_classes, classes::announce, classes::admin_classes, sign_in_codes::issue,
        ops::healthz, ops::readyz, ops::openapi, crate::metrics::render,
        web_client, web_file,
    ),
    components(
        schemas(
            dto::ErrorBody, dto::ErrorDetail, dto::MessageDto,
            schemas::UserId, schemas::ConversationId, schemas::Timestamp, schemas::MessageBody,
            schemas::ClientMessageId, schemas::DisplayName, schemas::NewPassword, schemas::Role,
            schemas::Limit, schemas::AuditEntryId, schemas::ClassId, schemas::SignInCode,
            schemas::Search, schemas::AccountStatus,
            schemas::ReportId, schemas::ReportStateFilter, schemas::Context,
        ),
        responses(Unauthorized, PayloadTooLarge, RateLimited, TooManyAttempts, Busy, Unavailable, Timeout),
    ),
    modifiers(&SecuritySchemes, &StaticFiles, &RequestTimeouts),
    tags(
        (name = "auth", description = "Sign in and out"),
        (name = "chat", description = "Conversations between students and their teachers"),
        (name = "live", description = "Real-time delivery over WebSocket"),
        (name = "graphql", description = "The same API in GraphQL (`schema.graphql`)"),
        (name = "notifications", description = "Reaching the signed-in user when away: Web Push subscriptions, email digests, quiet hours"),
        (name = "admin", description = "Users, links, guardians, settings, the moderation queue, legal holds and retention, exports and the audit log (admins only)"),
        (name = "ops", description = "Probes, metrics and this document"),
        (name = "web", description = "The embedded web client"),
    )
)]
pub struct ApiDoc;

/// The document `/openapi.json` serves: `ApiDoc`'s, as checked in (see the test below).
pub(crate) const DOCUMENT: &str = include_str!("../openapi.json");

/// No token, a forged, malformed or expired one, or the token of a user who no longer
/// exists (`unauthorized`). Carries `WWW-Authenticate: Bearer`.
#[derive(ToResponse)]
#[response(headers(("WWW-Authenticate" = String, description = "`Bearer`")))]
pub struct Unauthorized(pub ErrorBody);

/// The request body is larger than 64 KiB (`payload_too_large`).
#[derive(ToResponse)]
pub struct PayloadTooLarge(pub ErrorBody);

/// The caller sends faster than the per-user rate allows (`rate_limited`): retry after
/// `Retry-After` seconds, with the same clientMessageId.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "seconds to wait before retrying")))]
pub struct RateLimited(pub ErrorBody);

/// Sign-in attempts are paused (`too_many_attempts`): after repeated failures for this
/// userId (pauses grow with each failure), or too many failures from this address. The
/// same answer whether the account exists or not; retry after `Retry-After` seconds.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "seconds to wait before retrying")))]
pub struct TooManyAttempts(pub ErrorBody);

/// The server is at capacity for checking passwords (`busy`), or the store is unavailable
/// (`unavailable`): retry after `Retry-After` seconds.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "seconds to wait before retrying")))]
pub struct Busy(pub ErrorBody);

/// The store is unavailable (`unavailable`): retrying succeeds once it is back. A send that
/// got this answer may still have been stored; retrying it with the same clientMessageId
/// never duplicates it.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "seconds to wait before retrying")))]
pub struct Unavailable(pub ErrorBody);

/// The request was not done within the server's request timeout (`timeout`), e.g. a body
/// that never finished arriving.
#[derive(ToResponse)]
pub struct Timeout(pub ErrorBody);

/// Every route can answer 408: the request timeout wraps the whole router.
struct RequestTimeouts;

impl Modify for RequestTimeouts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let timeout = utoipa::openapi::Ref::from_response_name("Timeout");
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
                &mut item.put,
            ];
            for operation in operations.into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .entry("408".to_owned())
                    .or_insert_with(|| timeout.clone().into());
            }
        }
    }
}

/// Opens the live connection (a WebSocket upgrade).
///
/// The token is checked before the upgrade, so a refused client never gets a socket.
/// Frames are JSON text: the client sends an `action` (`sendMessage`, `typing`,
/// `markRead`, `editMessage`, `removeMessage`, `sync`, `ping`), the server answers with a
/// `type` (`ack`, `message`, `messageEdited`, `messageRemoved`, `paused`, `typing`,
/// `read`, `presence`, `link`, `pong`, `error`). The frame protocol, its limits and close
/// codes are described in the README, "Live updates over WebSocket".
#[utoipa::path(get, path = "/chat/ws", tag = "live",
    params(("token" = Option<String>, Query,
        description = "the JWT of `POST /auth/login` (browsers cannot set headers on a WebSocket; `Authorization: Bearer` works too)")),
    security(("token" = []), ("bearer" = [])),
    responses(
        (status = 101, description = "switching protocols: the socket is open"),
        (status = 400, description = "not a WebSocket upgrade request (`websocket_required`), or a malformed query string (`invalid_query`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 429, description = "the user has as many live connections on this node as allowed (`too_many_connections`)", body = ErrorBody),
        (status = 503, description = "the store is unavailable, or the server is shutting down (`unavailable`)", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn live_socket() {}

/// The web client's page.
#[utoipa::path(get, path = "/", tag = "web",
    responses(
        (status = 200, description = "`index.html`, with a strict Content-Security-Policy and an ETag", content_type = "text/html"),
        (status = 304, description = "unchanged since the ETag in `If-None-Match`"),
    ))]
#[allow(dead_code)]
fn web_client() {}

/// One of the web client's static files (scripts, styles, images).
#[utoipa::path(get, path = "/static/{file}", tag = "web",
    params(("file" = String, Path, description = "the file's path under the client's directory, e.g. `app.js` (the document lists every file the binary embeds)")),
    responses(
        (status = 200, description = "the file, with a strict Content-Security-Policy and an ETag",
            content(
                ("text/javascript; charset=utf-8"), ("text/css; charset=utf-8"),
                ("text/html; charset=utf-8"), ("image/svg+xml"),
            )),
        (status = 304, description = "unchanged since the ETag in `If-None-Match`"),
        (status = 404, description = "no such file (`not_found`)", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn web_file() {}

/// Lists the embedded files as the values `/static/{file}` takes, so the document says
/// which paths exist rather than "any string".
struct StaticFiles;

impl Modify for StaticFiles {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(operation) = openapi
            .paths
            .paths
            .get_mut("/static/{file}")
            .and_then(|item| item.get.as_mut())
        else {
            return;
        };
        let mut files = crate::web::file_names();
        files.sort();
        let schema: RefOr<Schema> = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(files))
            .into();
        for parameter in operation.parameters.iter_mut().flatten() {
            if parameter.name == "file" {
                parameter.schema = Some(schema.clone());
            }
        }
    }
}

/// Declares the security schemes the paths refer to: `bearer` (the `Authorization` header)
/// and `token` (the query parameter of the WebSocket upgrade).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("token"))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openapi.json` is what the route annotations generate. After a deliberate change,
    /// rewrite it with `CLASSCHAT_WRITE_SCHEMA=1 cargo test -p classchat-server --lib` and
    /// review the diff.
    #[test]
    fn the_checked_in_document_is_the_generated_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let mut generated = ApiDoc::openapi().to_pretty_json().unwrap();
        generated.push('\n');
        if std::env::var_os("CLASSCHAT_WRITE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        assert!(
            DOCUMENT == generated,
            "openapi.json differs from the generated document; if the change is meant, \
             rewrite it with CLASSCHAT_WRITE_SCHEMA=1 cargo test -p classchat-server --lib"
        );
    }
}
