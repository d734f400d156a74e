//! Why a live connection ends. The first reason given wins; each transport maps it to its
//! own close code (a WebSocket close code, a GraphQL `complete`, an API Gateway delete).

use classchat_core::{Revocation, Timestamp};
use std::borrow::Cow;

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
    /// Events may have been missed (a hub between nodes lost some): reconnect and `sync`
    /// from `since`, which the reason names. A client's own newest message is not a safe
    /// place to sync from: live events that did arrive (from its own node, or once the hub
    /// was back and before this close) can be newer than ones it missed.
    MissedEvents {
        /// Nothing before this was missed.
        since: Timestamp,
    },
    /// The client could not keep up with its outbound queue.
    TooSlow,
}

impl CloseReason {
    /// What the client is told, in words (a WebSocket close reason: at most 123 bytes).
    /// For [`Self::MissedEvents`] it names the time to `sync` from, as
    /// `… since <timestamp>; …`.
    pub fn describe(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Normal => "",
            Self::ShuttingDown | Self::PeerGone => "server going away",
            Self::Revoked(why) => why.reason(),
            Self::TokenExpired => "session ended: the token expired; sign in again and reconnect",
            Self::TooManyConnections => "too many connections for this account",
            Self::TooBig => "frame too large (limit 32 KiB)",
            Self::MissedEvents { since } => {
                return Cow::Owned(format!(
                    "events may have been missed since {since}; reconnect and sync from then"
                ));
            }
            Self::TooSlow => "client too slow; reconnect and sync",
        })
    }

    /// Whether the session itself ended, so reconnecting with the same token is pointless.
    pub fn ends_session(self) -> bool {
        matches!(self, Self::Revoked(_) | Self::TokenExpired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The time to sync from is in the reason, in the API's timestamp format, and the
    /// reason fits a WebSocket close frame.
    #[test]
    fn a_missed_events_close_names_the_time_to_sync_from() {
        let since = Timestamp::parse("2026-12-05T01:36:51.123456Z").unwrap();
        let reason = CloseReason::MissedEvents { since }.describe();
        assert_eq!(
            reason,
            "events may have been missed since 2026-12-05T01:36:51.123456Z; reconnect and sync from then"
        );
        assert!(reason.len() <= 123, "{} bytes", reason.len());
    }
}
