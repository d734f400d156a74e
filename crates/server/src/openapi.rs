//! The OpenAPI 3.1 document, generated from the handlers' annotations so it cannot drift
//! from the code.

use crate::dto;
use crate::routes::{admin, chat, ops, session};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "classchat", description = "Teacher–student messaging for schools."),
    paths(
        session::login,
        chat::get_teachers, chat::get_students, chat::get_chats, chat::read, chat::send, chat::mark_read,
        admin::list_users, admin::create_user, admin::update_user,
        admin::list_links, admin::add_link, admin::remove_link, admin::list_audit,
        ops::healthz, ops::readyz, ops::openapi, crate::metrics::render,
    ),
    components(schemas(dto::ErrorBody, dto::ErrorDetail, dto::MessageDto)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign in"),
        (name = "chat", description = "Conversations between students and their teachers"),
        (name = "admin", description = "Users, links and the audit log (admins only)"),
        (name = "ops", description = "Probes and this document"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}
