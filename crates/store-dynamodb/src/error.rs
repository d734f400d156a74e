//! How DynamoDB failures become [`StoreError`]s, and the errors of setting the store up.
//!
//! The rule: anything that says "try again later" — no connection, a timeout, throttling,
//! a 5xx — is [`StoreError::Unavailable`], which the server turns into 503 `unavailable`;
//! the SDK has already retried it with backoff by the time it reaches us. Everything else
//! is a bug or a misconfiguration and is [`StoreError::Internal`].

use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use classchat_core::store::StoreError;

/// Error codes DynamoDB uses for "slow down or retry", in whichever operation.
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
    // A plain write met an ongoing transaction on the same item: retry later.
    "TransactionConflictException",
    "LimitExceededException",
];

/// Classifies a failed SDK call of `operation` (named in the message, for the logs).
pub(crate) fn classify<E>(operation: &str, error: SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = || format!("{operation}: {}", DisplayErrorContext(&error));
    // The service only reports "unavailable" upwards; the reason is for the operator.
    let unavailable = || {
        let detail = detail();
        tracing::warn!(%detail, "DynamoDB unavailable");
        StoreError::Unavailable(detail)
    };
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            unavailable()
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            if service.raw().status().is_server_error() || RETRYABLE_CODES.contains(&code) {
                unavailable()
            } else if code == "ResourceNotFoundException" {
                StoreError::Internal(format!(
                    "{}; are the tables created? (classchat tables create)",
                    detail()
                ))
            } else {
                StoreError::Internal(detail())
            }
        }
        _ => StoreError::Internal(detail()),
    }
}

/// A request we built was rejected by the SDK's own validation: a bug here.
pub(crate) fn build_failed(error: BuildError) -> StoreError {
    StoreError::Internal(format!("invalid DynamoDB request: {error}"))
}

/// An item read back that breaks a rule it was written under.
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt item: {what}"))
}

/// Why the DynamoDB store cannot start or its tables cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The configuration itself is wrong (e.g. a table prefix DynamoDB would reject).
    #[error("invalid DynamoDB configuration: {0}")]
    Config(String),
    /// Tables the store needs do not exist; `classchat tables create` makes them.
    #[error(
        "missing DynamoDB table(s): {}; create them with `classchat tables create` (same \
         CLASSCHAT_TABLE_PREFIX, region and endpoint)",
        .0.join(", ")
    )]
    MissingTables(Vec<String>),
    /// A table exists but not with the key schema classchat writes.
    #[error("DynamoDB table {table} has the wrong key schema: {detail}")]
    WrongSchema {
        /// The table's full name.
        table: String,
        /// What differs.
        detail: String,
    },
    /// A table did not become ACTIVE in time.
    #[error("DynamoDB table {0} did not become ACTIVE in time")]
    NotActive(String),
    /// DynamoDB could not be reached or refused a call.
    #[error(transparent)]
    Store(#[from] StoreError),
}
