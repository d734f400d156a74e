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
    /// Tables the store needs are missing or not shaped as classchat writes them: every
    /// problem found, named at once, with what fixes it.
    #[error("{0}")]
    Tables(TableProblems),
    /// A table did not become ACTIVE in time.
    #[error("DynamoDB table {0} did not become ACTIVE in time")]
    NotActive(String),
    /// DynamoDB could not be reached or refused a call.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Everything wrong with the tables, found in one pass, so an operator fixes it all in one
/// go rather than one start-up failure at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableProblems {
    /// Tables that do not exist (full names, in the order of [`crate::TableNames::all`]).
    pub missing: Vec<String>,
    /// Tables that exist with another schema.
    pub wrong: Vec<WrongTable>,
}

/// One existing table whose schema is not the one classchat writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongTable {
    /// The table's full name.
    pub table: String,
    /// Each difference, e.g. `no global secondary index "userId-index" on "userId"`.
    pub problems: Vec<String>,
}

impl TableProblems {
    /// Whether there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.wrong.is_empty()
    }
}

impl std::fmt::Display for TableProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sentences = Vec::new();
        if !self.missing.is_empty() {
            sentences.push(format!(
                "missing DynamoDB table(s): {}; create them with `classchat tables create` \
                 (same CLASSCHAT_TABLE_PREFIX, region and endpoint)",
                self.missing.join(", ")
            ));
        }
        for wrong in &self.wrong {
            sentences.push(format!(
                "DynamoDB table {} has the wrong schema: {}",
                wrong.table,
                wrong.problems.join("; ")
            ));
        }
        if !self.wrong.is_empty() {
            sentences.push(
                "`classchat tables create` leaves existing tables alone: delete each table \
                 with the wrong schema (after saving its data) or choose another \
                 CLASSCHAT_TABLE_PREFIX, then run `classchat tables create`"
                    .to_owned(),
            );
        }
        write!(f, "{}", sentences.join(". "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_sdk_dynamodb::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;

    type PutFailure = SdkError<PutItemError, HttpResponse>;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(status.try_into().unwrap(), "{}".into())
    }

    /// DynamoDB answered `status` with the error `code`, as the SDK reports it.
    fn answered(code: &str, status: u16) -> PutFailure {
        let metadata = ErrorMetadata::builder()
            .code(code)
            .message("from the test")
            .build();
        SdkError::service_error(PutItemError::generic(metadata), response(status))
    }

    fn is_unavailable(error: PutFailure) -> bool {
        matches!(classify("PutItem", error), StoreError::Unavailable(_))
    }

    #[test]
    fn throttling_and_server_errors_are_unavailable() {
        for code in [
            "ThrottlingException",
            "ProvisionedThroughputExceededException",
            "RequestLimitExceeded",
            "TransactionConflictException",
            "TransactionInProgressException",
            "LimitExceededException",
        ] {
            assert!(is_unavailable(answered(code, 400)), "{code}");
        }
        assert!(is_unavailable(answered("InternalServerError", 500)));
        assert!(is_unavailable(answered("ServiceUnavailable", 503)));
        // Any 5xx, whatever its code (or none, e.g. from a load balancer).
        assert!(is_unavailable(answered("SomethingNew", 502)));
        assert!(is_unavailable(SdkError::service_error(
            PutItemError::generic(ErrorMetadata::builder().build()),
            response(504),
        )));
    }

    #[test]
    fn no_answer_is_unavailable() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for (what, error) in [
            ("timeout", PutFailure::timeout_error("operation timed out")),
            (
                "refused connection",
                PutFailure::dispatch_failure(ConnectorError::io(refused.into())),
            ),
            (
                "connect timeout",
                PutFailure::dispatch_failure(ConnectorError::timeout("connect timed out".into())),
            ),
            (
                "unreadable answer",
                PutFailure::response_error("truncated body", response(200)),
            ),
        ] {
            assert!(is_unavailable(error), "{what}");
        }
    }

    #[test]
    fn rejected_requests_are_internal_and_name_the_operation() {
        let condition = ConditionalCheckFailedException::builder()
            .message("The conditional request failed")
            .meta(
                ErrorMetadata::builder()
                    .code("ConditionalCheckFailedException")
                    .build(),
            )
            .build();
        let condition = SdkError::service_error(
            PutItemError::ConditionalCheckFailedException(condition),
            response(400),
        );
        for (what, error) in [
            ("conditional check", condition),
            ("validation", answered("ValidationException", 400)),
            ("access denied", answered("AccessDeniedException", 400)),
            (
                "unbuildable request",
                PutFailure::construction_failure("missing TableName"),
            ),
        ] {
            match classify("PutItem", error) {
                StoreError::Internal(detail) => {
                    assert!(detail.starts_with("PutItem: "), "{what}: {detail}");
                }
                other => panic!("{what} must not be retried as unavailable: {other:?}"),
            }
        }
    }

    #[test]
    fn a_missing_table_says_how_to_create_it() {
        match classify("PutItem", answered("ResourceNotFoundException", 400)) {
            StoreError::Internal(detail) => {
                assert!(detail.contains("classchat tables create"), "{detail}");
            }
            other => panic!("a missing table is a set-up error, got {other:?}"),
        }
    }
}
