//! What nodes send each other through Redis: a versioned envelope of domain events, in a
//! format of this crate's own. Not the clients' frames: each node encodes events for its
//! own clients, in whatever wire formats they speak, and every id read from Redis is
//! validated again, as if it came from a client.
//!
//! ```json
//! {"v":1,"node":"01J…","seq":42,"recipients":["s1","t1"],
//!  "payload":{"event":{"type":"typing","conversationId":"s1+t1","user":"s1"}}}
//! {"v":1,"node":"01J…","seq":43,"recipients":["s1"],"payload":{"revoke":"account_disabled"}}
//! {"v":1,"node":"01J…","seq":44,"recipients":["s1"],"payload":{"resync":1733300000000000}}
//! ```
//!
//! Each envelope goes to one recipient's channel (`<namespace>:u:<userId>`), so its
//! `recipients` names that one user; an envelope on the node channel (`<namespace>:events`)
//! concerns everyone it names, or every user of the node if it names nobody. `resync`
//! says events for its recipients since that instant (microseconds) may have been lost.
//!
//! Fields added since are optional and absent by default (a message's `editedAt` and
//! `removedAt`), so envelopes of nodes that predate them still parse; an event type a node
//! does not know (`edited`, `removed`, `paused` to an older node) is skipped as malformed.
//!
//! A node reads the header (`v`, `node`, `seq`) of every envelope, so a version it does
//! not know still counts in the sender's sequence, and is then skipped with a warning.

use classchat_core::{Clock, Event, Revocation, SystemClock, Timestamp, UserId};
use event::EventDto;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

mod event;
#[cfg(test)]
mod tests;

/// The envelope format this node writes and reads.
pub(crate) const VERSION: u32 = 1;

/// An envelope on its way out, for any number of recipients; the publishing task writes
/// one copy per recipient ([`Outgoing::encode`]) and numbers each.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// The publishing node.
    pub(crate) node: String,
    /// The users whose connections it concerns; none for every user of every node.
    pub(crate) recipients: Vec<String>,
    /// The [`Payload`], serialised once for every copy.
    pub(crate) payload: Box<RawValue>,
    /// When it was made: no event it carries is newer (a message is stored, and stamped,
    /// before it is published).
    pub(crate) at: Timestamp,
    /// Whether it ends sessions: one that never reached Redis is sent again, not merely
    /// resynchronised.
    pub(crate) revokes: bool,
}

/// One copy of an envelope as written to Redis.
#[derive(Serialize)]
struct Wire<'a> {
    v: u32,
    node: &'a str,
    seq: u64,
    recipients: &'a [&'a str],
    payload: &'a RawValue,
}

/// An envelope as read from Redis, before its payload is opened.
#[derive(Debug, Deserialize)]
pub(crate) struct Incoming<'a> {
    /// The format version.
    pub(crate) v: u32,
    /// The publishing node.
    pub(crate) node: String,
    /// The publishing node's sequence number.
    pub(crate) seq: u64,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

/// What an envelope carries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Payload {
    /// An event for the recipients' connections.
    Event(EventDto),
    /// The recipients' sessions ended ([`Revocation::as_str`]): their connections close.
    Revoke(String),
    /// Events for the recipients since this instant (microseconds) may have been lost.
    Resync(i64),
}

/// What an opened envelope asks of this node.
// One lives only from reading an envelope to delivering it, never in a collection, so
// the size of an event (a pause's is the largest) is not worth a box per envelope.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq)]
pub(crate) enum Received {
    /// Deliver `event` to the recipients' connections here.
    Event {
        /// Who gets it.
        recipients: Vec<UserId>,
        /// The event, its ids validated.
        event: Event,
    },
    /// Close the recipients' connections here.
    Revoke {
        /// Whose.
        recipients: Vec<UserId>,
        /// Why.
        why: Revocation,
    },
    /// Check the store for what the recipients (all users here if none) may have missed.
    Resync {
        /// Whose events were lost; empty for every user here.
        recipients: Vec<UserId>,
        /// Since when.
        since: Timestamp,
    },
}

/// Why an envelope was skipped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EnvelopeError {
    /// Written by a node of another version.
    #[error("envelope version {0} (this node reads {VERSION})")]
    Version(u32),
    /// Not an envelope of this version.
    #[error("malformed envelope: {0}")]
    Malformed(String),
}

impl Outgoing {
    /// An envelope of `event` for `recipients` from `node`.
    pub(crate) fn event(node: &str, recipients: &[UserId], event: &Event) -> Option<Self> {
        Self::new(node, recipients, &Payload::Event(EventDto::from(event)))
    }

    /// An envelope saying that events for `recipients` (everyone, if none) since `since`
    /// may have been lost.
    pub(crate) fn resync(node: &str, recipients: &[UserId], since: Timestamp) -> Option<Self> {
        Self::new(node, recipients, &Payload::Resync(since.as_micros()))
    }

    /// An envelope ending `user`'s sessions.
    pub(crate) fn revoke(node: &str, user: &UserId, why: Revocation) -> Option<Self> {
        let payload = Payload::Revoke(why.as_str().to_owned());
        Self::new(node, std::slice::from_ref(user), &payload)
    }

    fn new(node: &str, recipients: &[UserId], payload: &Payload) -> Option<Self> {
        let revokes = matches!(payload, Payload::Revoke(_));
        let payload = match serde_json::value::to_raw_value(payload) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(%error, "cannot serialise an event for Redis");
                return None;
            }
        };
        Some(Self {
            at: SystemClock.now(),
            revokes,
            node: node.to_owned(),
            recipients: recipients
                .iter()
                .map(|user| user.as_str().to_owned())
                .collect(),
            payload,
        })
    }
}

impl Outgoing {
    /// The copy of this envelope for `recipient` (`None`: the copy naming every
    /// recipient, for the node channel), numbered `seq`.
    pub(crate) fn encode(&self, recipient: Option<&str>, seq: u64) -> serde_json::Result<String> {
        let wire = |recipients: &[&str]| {
            serde_json::to_string(&Wire {
                v: VERSION,
                node: &self.node,
                seq,
                recipients,
                payload: &self.payload,
            })
        };
        match recipient {
            Some(one) => wire(&[one]),
            None => wire(
                &self
                    .recipients
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

impl Incoming<'_> {
    /// Reads the payload and validates every id in it.
    pub(crate) fn open(&self) -> Result<Received, EnvelopeError> {
        if self.v != VERSION {
            return Err(EnvelopeError::Version(self.v));
        }
        let malformed = |error: &dyn std::fmt::Display| EnvelopeError::Malformed(error.to_string());
        let payload = self
            .payload
            .ok_or_else(|| EnvelopeError::Malformed("no payload".into()))?;
        let payload: Payload =
            serde_json::from_str(payload.get()).map_err(|error| malformed(&error))?;
        let recipients = self
            .recipients
            .iter()
            .map(|user| UserId::parse(user))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| malformed(&error))?;
        match payload {
            Payload::Event(event) => Ok(Received::Event {
                recipients,
                event: event.validated().map_err(|error| malformed(&error))?,
            }),
            Payload::Resync(since) => Ok(Received::Resync {
                recipients,
                since: Timestamp::from_micros(since)
                    .ok_or_else(|| malformed(&format!("resync since {since}")))?,
            }),
            Payload::Revoke(why) => Ok(Received::Revoke {
                recipients,
                why: Revocation::parse(&why)
                    .ok_or_else(|| malformed(&format!("unknown revocation {why:?}")))?,
            }),
        }
    }
}
