//! Errors of setting a function up; per-request failures become HTTP answers or `error`
//! frames instead and never crash the function.

use classchat_store_dynamodb::SetupError;

/// Why a function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// A required setting is missing or malformed.
    #[error("configuration: {0}")]
    Config(String),
    /// The token signing secret cannot be read from Secrets Manager, or is too short.
    #[error("JWT secret: {0}")]
    Secret(String),
    /// The DynamoDB store could not be set up.
    #[error("DynamoDB store: {0}")]
    Store(#[from] SetupError),
}
