//! The HTTP routes, one module per resource, merged in [`router`].

pub(crate) mod admin;
pub(crate) mod chat;
pub(crate) mod classes;
pub(crate) mod exports;
pub(crate) mod families;
pub(crate) mod graphql;
pub(crate) mod moderation;
pub(crate) mod notify;
pub(crate) mod ops;
pub(crate) mod reports;
pub(crate) mod retention;
pub(crate) mod roster;
pub(crate) mod session;
pub(crate) mod sign_in_codes;
pub(crate) mod unsubscribe;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;

/// Every route, with JSON errors for unknown paths and methods.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(session::router())
        .merge(sign_in_codes::router())
        .merge(chat::router())
        .merge(moderation::router())
        .merge(reports::router())
        .merge(retention::router())
        .merge(classes::router())
        .merge(admin::router())
        .merge(exports::router())
        .merge(families::router())
        .merge(notify::router())
        .merge(unsubscribe::router())
        .merge(roster::router())
        .merge(graphql::router())
        .merge(ops::router())
        .merge(crate::ws::router())
        .merge(crate::web::router())
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}
