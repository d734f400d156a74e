//! Notifications that wait in the store: what someone must still be told, and from when.
//!
//! A notice for someone in quiet hours is not lost when its node restarts: it waits as a
//! [`Pending`] until its hours begin, and whichever node holds the [`Lease`] then sends it
//! once. Email digests wait the same way.

use crate::ids::UserId;
use crate::time::Timestamp;

/// What kind of notification waits. (Declared in the order of their names, which is how
/// stores sort them.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PendingKind {
    /// An email digest of what stays unread, for someone no push reached.
    Digest,
    /// A push held by quiet hours, sent when they end.
    Held,
}

impl PendingKind {
    /// A stable name, for stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Digest => "digest",
        }
    }

    /// The inverse of [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Digest, Self::Held]
            .into_iter()
            .find(|kind| kind.as_str() == raw)
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
    /// The job (`notices`): never empty.
    pub name: String,
    /// The node holding it (an id of its own, new at each start).
    pub holder: String,
    /// When it lapses unless its holder renews it.
    pub until: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_sort_as_their_names_do() {
        let kinds = [PendingKind::Digest, PendingKind::Held];
        for pair in kinds.windows(2) {
            assert!(pair[0] < pair[1] && pair[0].as_str() < pair[1].as_str());
        }
        for kind in kinds {
            assert_eq!(PendingKind::parse(kind.as_str()), Some(kind));
        }
    }
}
