//! The single error type of the domain. Transports map it to their wire format in one place.

use crate::store::StoreError;

/// A stable, machine-readable reason for a failure. The string form is part of the public API
/// (`{"error":{"code":…}}` over HTTP, `{"type":"error","code":…}` over WebSocket), so variants are
/// only ever added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A userId that is not 1–128 characters of `[A-Za-z0-9._@-]`.
    InvalidUserId,
    /// A conversationId that is not two userIds joined by `+`, or not a student–teacher pair.
    InvalidConversationId,
    /// A timestamp cursor that is not an RFC 3339 UTC timestamp.
    InvalidCursor,
    /// A page size outside 1–200.
    InvalidLimit,
    /// A clientMessageId that is empty, too long or contains control characters.
    InvalidClientMessageId,
    /// Any other malformed request field.
    InvalidRequest,
    /// A message body that is empty after trimming or longer than 4000 characters.
    InvalidMessageBody,
    /// A display name that is empty or too long.
    InvalidDisplayName,
    /// A password that is too short or too long.
    InvalidPassword,
    /// A role that is not `student`, `teacher` or `admin`.
    InvalidRole,
    /// Wrong userId or password at login.
    InvalidCredentials,
    /// No token, or a token that is forged, malformed or expired.
    Unauthorized,
    /// The account exists but has been disabled by an admin.
    AccountDisabled,
    /// The caller may not do this.
    Forbidden,
    /// The caller takes part in the conversation but is not (or no longer) linked to the peer.
    NotLinked,
    /// An unknown user or conversation.
    NotFound,
    /// The thing being created already exists.
    Conflict,
    /// The clientMessageId was already used by this author for another conversation.
    ClientMessageIdReused,
    /// The caller is sending faster than allowed; retry a little later.
    RateLimited,
    /// The store is unreachable or failing; the request may be retried.
    Unavailable,
    /// Too many sign-in attempts for this account or from this address; retry after the
    /// time the answer gives.
    TooManyAttempts,
    /// The server is at capacity for this kind of work (password hashing); retry shortly.
    Busy,
    /// A bug or an unexpected failure; details are logged, never returned.
    Internal,
    /// The conversation is paused: its student or guardian cannot write until it resumes.
    ConversationPaused,
    /// The message can no longer be edited: the school's edit window has passed, it was
    /// removed, or it is a copy of an announcement.
    NotEditable,
    /// The report is closed (actioned or dismissed), or not in the state the step needs.
    ReportClosed,
}

impl ErrorCode {
    /// The wire form of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidUserId => "invalid_user_id",
            Self::InvalidConversationId => "invalid_conversation_id",
            Self::InvalidCursor => "invalid_cursor",
            Self::InvalidLimit => "invalid_limit",
            Self::InvalidClientMessageId => "invalid_client_message_id",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidMessageBody => "invalid_message_body",
            Self::InvalidDisplayName => "invalid_display_name",
            Self::InvalidPassword => "invalid_password",
            Self::InvalidRole => "invalid_role",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthorized => "unauthorized",
            Self::AccountDisabled => "account_disabled",
            Self::Forbidden => "forbidden",
            Self::NotLinked => "not_linked",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::ClientMessageIdReused => "client_message_id_reused",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::TooManyAttempts => "too_many_attempts",
            Self::Busy => "busy",
            Self::Internal => "internal",
            Self::ConversationPaused => "conversation_paused",
            Self::NotEditable => "not_editable",
            Self::ReportClosed => "report_closed",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a use-case failed. Every variant carries a message fit to show a user; internal
/// details (SQL, stack traces) never go in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// The request is malformed: a bad id, cursor, limit or field.
    #[error("{message}")]
    Invalid {
        /// Which rule was broken.
        code: ErrorCode,
        /// A human-readable explanation.
        message: String,
    },
    /// The request is well-formed but a value breaks a content rule (e.g. message length).
    #[error("{message}")]
    Validation {
        /// Which rule was broken.
        code: ErrorCode,
        /// A human-readable explanation.
        message: String,
    },
    /// The caller is not authenticated (or their credentials are wrong).
    #[error("{message}")]
    Unauthorized {
        /// Which rule was broken.
        code: ErrorCode,
        /// A human-readable explanation.
        message: String,
    },
    /// The caller is authenticated but may not do this.
    #[error("{message}")]
    Forbidden {
        /// Which rule was broken.
        code: ErrorCode,
        /// A human-readable explanation.
        message: String,
    },
    /// The named user or conversation does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The thing to create exists already, or the change contradicts stored state.
    #[error("{message}")]
    Conflict {
        /// Which rule was broken.
        code: ErrorCode,
        /// A human-readable explanation.
        message: String,
    },
    /// The caller is over their rate limit.
    #[error("too many messages too quickly; wait a moment and retry")]
    RateLimited,
    /// The store cannot be reached; retrying later may succeed.
    #[error("the message store is unavailable, please retry")]
    Unavailable,
    /// Sign-in attempts are paused for this account or this client address. The same
    /// answer whether the account exists or not.
    #[error("too many sign-in attempts; try again in {retry_after_secs} s")]
    TooManyAttempts {
        /// Whole seconds until an attempt is accepted again.
        retry_after_secs: u64,
    },
    /// Too much of this work is already waiting (password hashing); retrying shortly
    /// succeeds.
    #[error("the server is busy, please retry in a moment")]
    Busy,
    /// Something that should not happen; the detail is for the logs only.
    #[error("internal error")]
    Internal(String),
}

impl ChatError {
    /// A malformed-input error.
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A content-rule error.
    pub fn validation(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Validation {
            code,
            message: message.into(),
        }
    }

    /// A not-allowed error with the generic `forbidden` code.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            code: ErrorCode::Forbidden,
            message: message.into(),
        }
    }

    /// A not-authenticated error with the generic `unauthorized` code.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Unauthorized {
            code: ErrorCode::Unauthorized,
            message: message.into(),
        }
    }

    /// An already-exists error with the generic `conflict` code.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            code: ErrorCode::Conflict,
            message: message.into(),
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { code, .. }
            | Self::Validation { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. } => *code,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::RateLimited => ErrorCode::RateLimited,
            Self::Unavailable => ErrorCode::Unavailable,
            Self::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Self::Busy => ErrorCode::Busy,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// What a store conflict means to the use-case that met it, said where it is met, as
/// realworld-axum-sqlx's `on_constraint` does: `store.add_link(&link).await.on_conflict(||
/// ChatError::conflict("linked already"))?`. Any other store error maps as usual.
pub trait OnConflict<T> {
    /// This result, with a [`StoreError::Conflict`] replaced by `meaning()`.
    fn on_conflict(self, meaning: impl FnOnce() -> ChatError) -> Result<T, ChatError>;
}

impl<T> OnConflict<T> for Result<T, StoreError> {
    fn on_conflict(self, meaning: impl FnOnce() -> ChatError) -> Result<T, ChatError> {
        self.map_err(|error| match error {
            StoreError::Conflict(_) => meaning(),
            other => other.into(),
        })
    }
}

impl From<StoreError> for ChatError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => Self::Unavailable,
            // The store's wording may quote SQL; keep it out of responses.
            StoreError::Conflict(_) => {
                Self::conflict("this conflicts with data stored meanwhile; retry")
            }
            StoreError::Internal(detail) => Self::Internal(detail),
        }
    }
}

#[cfg(test)]
mod on_conflict_tests {
    use super::*;

    #[test]
    fn a_conflict_gets_the_use_cases_meaning_and_other_errors_map_as_usual() {
        let meaning = || ChatError::conflict("linked already");
        let conflict: Result<(), StoreError> = Err(StoreError::Conflict("UNIQUE failed".into()));
        assert_eq!(conflict.on_conflict(meaning), Err(meaning()));
        let down: Result<(), StoreError> = Err(StoreError::Unavailable("timeout".into()));
        assert_eq!(down.on_conflict(meaning), Err(ChatError::Unavailable));
        assert_eq!(Ok::<_, StoreError>(7).on_conflict(meaning), Ok(7));
    }
}
