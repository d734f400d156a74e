//! Notifications that wait in the store: what someone must still be told, and from when.
//!
//! A notice for someone in quiet hours is not lost when its node restarts: it waits as a
//! [`Pending`] until its hours begin, and whichever node holds the [`Lease`] then sends it
//! once. Email digests (later) wait the same way.

use crate::ids::UserId;
use crate::time::Timestamp;

/// What kind of notification waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PendingKind {
    /// A push held by quiet hours, sent when they end.
    Held,
}

impl PendingKind {
    /// A stable name, for stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
        }
    }

    /// The inverse of [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        (raw == "held").then_some(Self::Held)
    }
}

/// One user's waiting notification of one kind (a store keeps at most one per user and
/// kind: a second message in the same quiet hours joins the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Who is to be told.
    pub user: UserId,
    /// What kind of notification.
    pub kind: PendingKind,
    /// When it may go out.
    pub due: Timestamp,
    /// The first message it covers.
    pub since: Timestamp,
}

/// Who runs a background job right now: one node at a time, until `until` unless renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job (`notices`).
    pub name: String,
    /// The node holding it (an id of its own, new at each start).
    pub holder: String,
    /// When it lapses unless its holder renews it.
    pub until: Timestamp,
}
