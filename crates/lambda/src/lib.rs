//! classchat on AWS Lambda, from the same code as the server.
//!
//! Two functions share this library:
//! - `classchat-http` serves the server's axum router ([`http::app`]) through
//!   `lambda_http`, for API Gateway HTTP API (payload v2) and REST API (v1) events.
//! - `classchat-ws` handles the API Gateway WebSocket API ([`ws::WsHandler`]): `$connect`,
//!   `$disconnect`, the frame actions and `$default`, with the server's frame protocol.
//!
//! Live events leave through [`ApiGatewayHub`], which finds recipients' connections in the
//! `Connections` table ([`ConnectionTable`]) and posts to them with the API Gateway
//! Management API. The token signing secret comes from Secrets Manager at cold start
//! ([`JwtSecret`]); the environment holds only its ARN. Handlers are plain library
//! functions so tests invoke them in-process with real event payloads; the binaries only
//! wire them to the Lambda runtime.

#![warn(missing_docs)]

pub mod appsync;
pub mod config;
pub mod connections;
pub mod deployment;
pub mod error;
pub mod http;
pub mod hub;
pub mod secret;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod ws;

pub use config::LambdaConfig;
pub use connections::ConnectionTable;
pub use deployment::Deployment;
pub use error::LambdaError;
pub use hub::{ApiGatewayHub, Management};
pub use secret::JwtSecret;

/// Logs to standard output as Lambda collects it (CloudWatch adds the time), filtered by
/// `RUST_LOG`: every function's first step.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .without_time()
        .init();
}
