//! GraphQL over the same `ChatService` as REST and `/chat/ws`: the schema (`schema.graphql`
//! at the crate root is the checked-in SDL), its limits, and the mapping of `ChatError` to
//! GraphQL errors carrying the REST codes in `extensions.code`. The layer parses and maps
//! only: every rule is the service's and the policy's.
//!
//! - [`Api`]: the schema with its limits and the per-user operation budget; the server
//!   mounts it at `POST /graphql` (see `classchat-server`'s `routes::graphql`).
//! - `query`, `mutation`, `subscription`: the root types; `moderation`: the safeguarding
//!   mutations (edit, remove, report, pause, resume); `types`: the objects they return;
//!   `contacts`: the lines of the contact lists, with their families; `error`: the error
//!   mapping; `ws`: the `graphql-transport-ws` socket.

mod api;
mod contacts;
mod error;
mod moderation;
mod mutation;
mod query;
mod subscription;
mod types;
pub mod ws;

pub use api::{Api, GraphqlLimits};
pub use async_graphql::{Request, Response, Variables};
pub use ws::session::{Authenticate, Authenticated, Incoming, Outgoing};

#[cfg(test)]
mod tests;
