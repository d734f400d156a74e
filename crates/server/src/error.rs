//! The one place where failures become HTTP responses.

use crate::codes::TransportCode;
use crate::dto::{ErrorBody, ErrorDetail};
use crate::roster_report::RosterProblem;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use classchat_core::roster::Problem;
use classchat_core::{ChatError, ErrorCode};

/// Every way a request can fail: a domain error, or one only HTTP knows about.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use-case refused or failed.
    #[error(transparent)]
    Chat(#[from] ChatError),
    /// The body is not JSON of the expected shape.
    #[error("{0}")]
    MalformedBody(String),
    /// The query string does not parse.
    #[error("{0}")]
    MalformedQuery(String),
    /// A path segment does not decode (percent-encoding that is not UTF-8).
    #[error("{0}")]
    MalformedPath(String),
    /// The body exceeds the limit.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// `/chat/ws` was called without a WebSocket upgrade.
    #[error("this route needs a WebSocket upgrade: {0}")]
    NotWebSocket(String),
    /// No route has this path.
    #[error("no such route")]
    RouteNotFound,
    /// The route exists, but not with this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// The user has as many live connections on this node as allowed.
    #[error("too many open connections for this account (at most {0}); close one first")]
    TooManyConnections(usize),
    /// The request took longer than the server allows.
    #[error("the request took too long (limit {0} s)")]
    Timeout(u64),
    /// A roster bundle was refused: every problem, each located.
    #[error("the bundle has {} problem(s); nothing was written", .problems.len())]
    Roster {
        /// The problems, at most 100.
        problems: Vec<Problem>,
    },
    /// The body is not of a media type the route takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
}

impl ApiError {
    /// Status and stable code for this error.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        let (status, code) = match self {
            Self::Chat(error) => return (status_of(error), error.code().as_str()),
            Self::MalformedBody(_) => (StatusCode::BAD_REQUEST, TransportCode::InvalidJson),
            Self::MalformedQuery(_) => (StatusCode::BAD_REQUEST, TransportCode::InvalidQuery),
            Self::MalformedPath(_) => (StatusCode::BAD_REQUEST, TransportCode::InvalidPath),
            Self::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                TransportCode::PayloadTooLarge,
            ),
            Self::NotWebSocket(_) => (StatusCode::BAD_REQUEST, TransportCode::WebsocketRequired),
            Self::RouteNotFound => (StatusCode::NOT_FOUND, TransportCode::NotFound),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                TransportCode::MethodNotAllowed,
            ),
            Self::TooManyConnections(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                TransportCode::TooManyConnections,
            ),
            Self::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, TransportCode::Timeout),
            Self::Roster { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                TransportCode::InvalidRoster,
            ),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                TransportCode::UnsupportedMediaType,
            ),
        };
        (status, code.as_str())
    }
}

/// The HTTP status of a domain error.
pub fn status_of(error: &ChatError) -> StatusCode {
    match error {
        ChatError::Invalid { .. } => StatusCode::BAD_REQUEST,
        ChatError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ChatError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
        ChatError::Forbidden { .. } => StatusCode::FORBIDDEN,
        ChatError::NotFound(_) => StatusCode::NOT_FOUND,
        ChatError::Conflict { .. } => StatusCode::CONFLICT,
        ChatError::RateLimited | ChatError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        ChatError::Unavailable | ChatError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ChatError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            Self::Chat(ChatError::Internal(detail)) => tracing::error!(%detail, "internal error"),
            Self::Chat(ChatError::Unavailable) => tracing::warn!("store unavailable"),
            _ => tracing::debug!(%status, code, error = %self, "request refused"),
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
                problems: match &self {
                    Self::Roster { problems } => {
                        Some(problems.iter().map(RosterProblem::from).collect())
                    }
                    _ => None,
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(&self, Self::Chat(error) if error.code() == ErrorCode::Unauthorized) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        let retry_after = match &self {
            Self::Chat(ChatError::TooManyAttempts { retry_after_secs }) => *retry_after_secs,
            _ if status == StatusCode::SERVICE_UNAVAILABLE
                || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                1
            }
            _ => 0,
        };
        if retry_after > 0 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
