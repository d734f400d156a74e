//! How SQLite failures become [`StoreError`]s.

use classchat_core::store::StoreError;
use rusqlite::ErrorCode;

/// Classifies a rusqlite error: contention and I/O trouble are retryable
/// ([`StoreError::Unavailable`]), constraint violations are conflicts, the rest internal.
pub(crate) fn classify(error: rusqlite::Error) -> StoreError {
    match &error {
        rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::OutOfMemory
            | ErrorCode::ReadOnly => StoreError::Unavailable(error.to_string()),
            ErrorCode::ConstraintViolation => StoreError::Conflict(error.to_string()),
            _ => StoreError::Internal(error.to_string()),
        },
        _ => StoreError::Internal(error.to_string()),
    }
}

/// A value read back from the database that breaks a rule it was written under.
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt row: {what}"))
}
