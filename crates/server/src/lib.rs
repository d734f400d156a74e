//! The HTTP transport of classchat: a thin axum layer over [`ChatService`].
//!
//! # Layout
//! - [`app`]: builds the router (routes, limits, CORS, tracing) and the bindable [`Server`].
//! - `routes`: one module per resource (`session`, `chat`, `admin`, `ops`, `roster`,
//!   `sign_in_codes`); handlers parse, call the service, serialise. [`sign_in_codes_csv`]:
//!   the CSV of issued sign-in codes, shared with the CLI.
//! - [`auth`]: JWT issue/verify and the `AuthUser` extractor; `client_ip`: the address
//!   the per-address sign-in limit counts.
//! - `connections`: serving connections with hyper within limits (count, header and idle
//!   timeouts, HTTP/2 streams), making room by closing the longest-idle one.
//! - [`dto`]: the JSON shapes of DESIGN.md with their OpenAPI schemas.
//! - [`roster_report`]: the JSON of a roster import's diff, shared with the CLI.
//! - [`export`]: one person's or conversation's history written as JSON Lines, CSV or a
//!   printable HTML transcript, a page at a time (the admin export routes and the CLI).
//! - `error`: the single mapping from errors to status codes and `{"error":{…}}` bodies.
//! - `extract`: JSON body and query extractors that reject with that same error shape.
//! - [`openapi`]: the generated OpenAPI 3.1 document; `schemas`: the schemas of the values
//!   clients send, built from the core's rules.
//! - [`ws`]: real-time delivery over WebSocket and the in-process hub.
//! - [`web`]: the embedded web client (static files from `web/`).
//!
//! # Invariant
//! No business rule lives here: who may do what is decided in `classchat-core`.
//!
//! [`ChatService`]: classchat_core::ChatService

pub mod app;
pub mod auth;
mod client_ip;
pub mod codes;
pub mod config;
mod connections;
mod device;
pub mod dto;
mod error;
pub mod export;
mod extract;
mod listener;
mod metrics;
pub mod openapi;
pub mod roster_report;
mod routes;
mod schemas;
mod state;
pub mod web;
pub mod ws;

pub use app::{Server, build_app};
pub use axum::http::HeaderName;
pub use config::{ConnectionLimits, MetricsHook, ServerConfig};
pub use error::status_of;
pub use routes::chat::IDEMPOTENT_REPLAY_HEADER;
pub use routes::sign_in_codes::sign_in_codes_csv;
pub use ws::{Live, LiveConfig};
