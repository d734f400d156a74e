//! The REST and WebSocket integration tests: each starts a real server on port 0 and talks
//! to it as a client would. One test binary for all of them, so the workspace links one
//! large executable here instead of one per file. `log_redaction` stays a binary of its
//! own because it installs a process-wide log subscriber.

#[path = "../common/mod.rs"]
mod common;

mod authorization;
mod authorization_stories;
mod bad_input;
mod chat_loop;
mod classes;
mod connection_limits;
mod delivery_guarantees;
mod enumeration;
mod exports;
mod exports_memory;
mod families;
mod graphql;
mod graphql_ws;
mod known_devices;
mod login;
mod login_limits;
mod mark_read_floods;
mod moderation;
mod notify;
mod openapi;
mod openapi_inputs;
mod openapi_moderation_inputs;
mod openapi_retention_inputs;
mod people;
mod retention;
mod revocation;
mod roster;
mod roster_changes;
mod roster_families;
mod sign_in_codes;
mod web_assets;
mod websocket;
mod websocket_catch_up;
mod websocket_limits;
mod websocket_liveness;
