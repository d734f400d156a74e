//! What nodes send each other through Redis: a versioned envelope of domain events, in a
//! format of this crate's own. Not the clients' frames: each node encodes events for its
//! own clients, in whatever wire formats they speak, and every id read from Redis is
//! validated again, as if it came from a client.
//!
//! ```json
//! {"v":1,"node":"01J…","seq":42,"recipients":["s1","t1"],
//!  "payload":{"event":{"type":"typing","conversationId":"s1+t1","user":"s1"}}}
//! {"v":1,"node":"01J…","seq":43,"recipients":["s1"],"payload":{"revoke":"account_disabled"}}
//! ```
//!
//! Fields added since are optional and absent by default (a message's `editedAt` and
//! `removedAt`), so envelopes of nodes that predate them still parse; an event type a node
//! does not know (`edited`, `removed`, `paused` to an older node) is skipped as malformed.
//!
//! A node reads the header (`v`, `node`, `seq`) of every envelope, so a version it does
//! not know still counts in the sender's sequence, and is then skipped with a warning.

use classchat_core::{Event, Revocation, UserId};
use event::EventDto;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

mod event;
#[cfg(test)]
mod tests;

/// The envelope format this node writes and reads.
pub(crate) const VERSION: u32 = 1;

/// An envelope on its way out; its sequence number is set by the publishing task.
#[derive(Debug, Serialize)]
pub(crate) struct Outgoing {
    /// Always [`VERSION`].
    pub(crate) v: u32,
    /// The publishing node.
    pub(crate) node: String,
    /// The publishing node's count of envelopes so far: consecutive unless one was lost.
    pub(crate) seq: u64,
    /// The users whose connections it concerns.
    pub(crate) recipients: Vec<String>,
    /// The [`Payload`], serialised when it was published.
    pub(crate) payload: Box<RawValue>,
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

    /// An envelope ending `user`'s sessions.
    pub(crate) fn revoke(node: &str, user: &UserId, why: Revocation) -> Option<Self> {
        let payload = Payload::Revoke(why.as_str().to_owned());
        Self::new(node, std::slice::from_ref(user), &payload)
    }

    fn new(node: &str, recipients: &[UserId], payload: &Payload) -> Option<Self> {
        let payload = match serde_json::value::to_raw_value(payload) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(%error, "cannot serialise an event for Redis");
                return None;
            }
        };
        Some(Self {
            v: VERSION,
            node: node.to_owned(),
            seq: 0,
            recipients: recipients
                .iter()
                .map(|user| user.as_str().to_owned())
                .collect(),
            payload,
        })
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
            Payload::Revoke(why) => Ok(Received::Revoke {
                recipients,
                why: Revocation::parse(&why)
                    .ok_or_else(|| malformed(&format!("unknown revocation {why:?}")))?,
            }),
        }
    }
}
