//! Why a live connection ends. The first reason given wins; each transport maps it to its
//! own close code (a WebSocket close code, a GraphQL `complete`, an API Gateway delete).

use classchat_core::Revocation;

/// Why a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The client left, or the transport ended it without a particular reason.
    Normal,
    /// The server is shutting down.
    ShuttingDown,
    /// The peer stopped answering pings, or stopped reading.
    PeerGone,
    /// The user's sessions were ended (disabled, role or password changed, signed out).
    Revoked(Revocation),
    /// The token the connection was opened with expired.
    TokenExpired,
    /// The user holds as many connections as allowed already.
    TooManyConnections,
    /// The client sent a frame over the size limit.
    TooBig,
    /// Events may have been missed (a hub between nodes lost some): reconnect and `sync`.
    MissedEvents,
    /// The client could not keep up with its outbound queue.
    TooSlow,
}

impl CloseReason {
    /// What the client is told, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Normal => "",
            Self::ShuttingDown | Self::PeerGone => "server going away",
            Self::Revoked(why) => why.reason(),
            Self::TokenExpired => "session ended: the token expired; sign in again and reconnect",
            Self::TooManyConnections => "too many connections for this account",
            Self::TooBig => "frame too large (limit 32 KiB)",
            Self::MissedEvents => "events may have been missed; reconnect and sync",
            Self::TooSlow => "client too slow; reconnect and sync",
        }
    }

    /// Whether the session itself ended, so reconnecting with the same token is pointless.
    pub fn ends_session(self) -> bool {
        matches!(self, Self::Revoked(_) | Self::TokenExpired)
    }
}
