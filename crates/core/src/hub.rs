//! The `Hub` port: how events reach the live connections of the people they concern.
//!
//! The service decides *who* gets an event (always the conversation's participants or a
//! user's linked peers — never everyone connected); a hub decides *how*: in-process
//! channels, Redis pub/sub between nodes, or the API Gateway Management API.

use crate::conversation::ConversationId;
use crate::ids::UserId;
use crate::message::Message;
use crate::moderation::Pause;
use crate::time::Timestamp;
use async_trait::async_trait;
use std::fmt;
use std::sync::Arc;

/// Identifies one live connection (a socket, or an API Gateway connectionId), so that an
/// event can skip the connection that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(Arc<str>);

impl ConnectionId {
    /// Wraps a transport's connection id.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Something that happened, worth telling connected users about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message was durably stored.
    Message(Message),
    /// A participant is typing in a conversation.
    Typing {
        /// The conversation.
        conversation_id: ConversationId,
        /// Who is typing.
        user: UserId,
    },
    /// A participant's read marker moved.
    Read {
        /// The conversation.
        conversation_id: ConversationId,
        /// Whose marker.
        user: UserId,
        /// Read up to and including this instant.
        timestamp: Timestamp,
    },
    /// A user came online (first connection) or went offline (last one closed).
    Presence {
        /// Who.
        user: UserId,
        /// Online or not.
        online: bool,
    },
    /// An admin linked or unlinked the conversation's participants: it opened for sending,
    /// or became read-only. Live subscriptions to a conversation end when it is unlinked.
    Link {
        /// The conversation of the pair.
        conversation_id: ConversationId,
        /// Linked now, or not any more.
        linked: bool,
    },
    /// An author edited a message: the message as it now reads, with `edited_at`.
    Edited(Message),
    /// An author removed a message: its tombstone, without the text.
    Removed(Message),
    /// A teacher or admin paused or resumed a conversation.
    Paused {
        /// The conversation.
        conversation_id: ConversationId,
        /// The pause now in force; `None` when it resumed.
        pause: Option<Pause>,
    },
}

/// Why a user's sessions were ended: every token issued before is void, and their live
/// connections close (WebSocket close code 1008 with [`Revocation::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Revocation {
    /// An admin disabled the account.
    Disabled,
    /// An admin changed the account's role.
    RoleChanged,
    /// The password was changed.
    PasswordChanged,
    /// The user signed out.
    SignedOut,
}

impl Revocation {
    /// A stable name, for logs and the wire between nodes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "account_disabled",
            Self::RoleChanged => "role_changed",
            Self::PasswordChanged => "password_changed",
            Self::SignedOut => "signed_out",
        }
    }

    /// The inverse of [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Disabled,
            Self::RoleChanged,
            Self::PasswordChanged,
            Self::SignedOut,
        ]
        .into_iter()
        .find(|why| why.as_str() == raw)
    }

    /// What a client is told when its connection closes (a WebSocket close reason: short
    /// enough for the 123 bytes a close frame allows).
    pub fn reason(self) -> &'static str {
        match self {
            Self::Disabled => "session ended: the account was disabled",
            Self::RoleChanged => "session ended: the account's role changed; sign in again",
            Self::PasswordChanged => "session ended: the password was changed; sign in again",
            Self::SignedOut => "session ended: signed out",
        }
    }
}

/// Who gets an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Every live connection of these users…
    pub recipients: Vec<UserId>,
    /// …except this one (the connection that caused the event and got its own reply).
    pub skip: Option<ConnectionId>,
}

/// Delivers events to live connections.
#[async_trait]
pub trait Hub: Send + Sync + 'static {
    /// Delivers `event` to every live connection of the recipients. Best effort: a
    /// connection that is gone or cannot keep up is dropped, never waited for. The event
    /// is already durable (or needs no durability), so a missed delivery is recovered by
    /// the client's `sync`.
    async fn publish(&self, delivery: &Delivery, event: &Event);

    /// Which of `users` have at least one live connection, so a client that just
    /// connected can be told who is online already. A hub that cannot tell answers none.
    async fn online(&self, users: &[UserId]) -> Vec<UserId> {
        let _ = users;
        Vec::new()
    }

    /// Notes that `user` opened a live connection; `first_here` says whether it is their
    /// only one on this node. Returns whether it is their only one anywhere: they just came
    /// online. A hub spanning several nodes answers for all of them; a single-node hub
    /// (the default) takes the node's word.
    async fn connection_opened(&self, user: &UserId, first_here: bool) -> bool {
        let _ = user;
        first_here
    }

    /// Notes that one of `user`'s live connections closed; `last_here` says whether it was
    /// their last on this node. Returns whether they have none left anywhere: they just
    /// went offline.
    async fn connection_closed(&self, user: &UserId, last_here: bool) -> bool {
        let _ = user;
        last_here
    }

    /// Ends every live connection of `user`, on every node this hub spans: their tokens
    /// were just revoked. Best effort, like [`Self::publish`]; a connection that misses it
    /// is refused at its next request by the token check.
    async fn revoke(&self, user: &UserId, why: Revocation) {
        let _ = (user, why);
    }
}

/// A hub that delivers nothing: for the CLI and for stores used without live clients.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullHub;

#[async_trait]
impl Hub for NullHub {
    async fn publish(&self, _delivery: &Delivery, _event: &Event) {}
}
