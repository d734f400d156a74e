//! How a `/chat/ws` connection ends: each [`CloseReason`] as a WebSocket close code
//! (RFC 6455 §7.4) and reason, as DESIGN.md lists them.

use classchat_live::CloseReason;

/// Close code: normal closure.
pub const CLOSE_NORMAL: u16 = 1000;
/// Close code: the endpoint is going away (server shutdown, or the peer stopped answering).
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code: policy violation (the session ended: token expired or revoked, or the
/// user has too many connections).
pub const CLOSE_POLICY_VIOLATION: u16 = 1008;
/// Close code: a message was too big.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code: service restart (this node lost events from other nodes; reconnect and
/// `sync`).
pub const CLOSE_SERVICE_RESTART: u16 = 1012;
/// Close code: try again later (the client could not keep up with its queue).
pub const CLOSE_TRY_AGAIN_LATER: u16 = 1013;

/// The close code of `reason`.
pub fn close_code(reason: CloseReason) -> u16 {
    match reason {
        CloseReason::Normal => CLOSE_NORMAL,
        CloseReason::ShuttingDown | CloseReason::PeerGone => CLOSE_GOING_AWAY,
        CloseReason::Revoked(_) | CloseReason::TokenExpired | CloseReason::TooManyConnections => {
            CLOSE_POLICY_VIOLATION
        }
        CloseReason::TooBig => CLOSE_TOO_BIG,
        CloseReason::MissedEvents { .. } => CLOSE_SERVICE_RESTART,
        CloseReason::TooSlow => CLOSE_TRY_AGAIN_LATER,
    }
}
