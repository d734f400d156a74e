//! The error codes that only the transports know: a request or a frame that never became
//! a use-case (malformed JSON, an unknown route, a full connection table, …). Domain
//! refusals carry the core's [`classchat_core::ErrorCode`]; these complete the set, in one
//! place for HTTP, `/chat/ws` and Lambda alike, so a client sees one code for one problem.

/// A transport-level error code (the `code` of `{"error":{"code","message"}}` and of an
/// `error` frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportCode {
    /// A body or frame that is not JSON, or not of the expected shape (HTTP bodies).
    InvalidJson,
    /// A query string that does not parse.
    InvalidQuery,
    /// A path segment that does not decode.
    InvalidPath,
    /// A frame that is JSON but lacks the action's fields.
    InvalidFrame,
    /// A frame whose `action` is none of the protocol's.
    UnknownAction,
    /// A binary WebSocket frame (the protocol is JSON text).
    UnsupportedFrame,
    /// A body over the size limit.
    PayloadTooLarge,
    /// `/chat/ws` without a WebSocket upgrade.
    WebsocketRequired,
    /// No route has this path.
    NotFound,
    /// The route exists, but not with this method.
    MethodNotAllowed,
    /// The user holds as many live connections as allowed.
    TooManyConnections,
    /// The request took longer than allowed.
    Timeout,
    /// An event the serverless gateway sent without what every event carries.
    InvalidEvent,
    /// A roster bundle that is malformed or does not fit the store (HTTP 422, with every
    /// problem).
    InvalidRoster,
    /// A roster upload that is not a zip (`Content-Type` other than `application/zip`).
    UnsupportedMediaType,
}

impl TransportCode {
    /// The code as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidQuery => "invalid_query",
            Self::InvalidPath => "invalid_path",
            Self::InvalidFrame => "invalid_frame",
            Self::UnknownAction => "unknown_action",
            Self::UnsupportedFrame => "unsupported_frame",
            Self::PayloadTooLarge => "payload_too_large",
            Self::WebsocketRequired => "websocket_required",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::TooManyConnections => "too_many_connections",
            Self::Timeout => "timeout",
            Self::InvalidEvent => "invalid_event",
            Self::InvalidRoster => "invalid_roster",
            Self::UnsupportedMediaType => "unsupported_media_type",
        }
    }
}

impl std::fmt::Display for TransportCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
