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
//! A node reads the header (`v`, `node`, `seq`) of every envelope, so a version it does
//! not know still counts in the sender's sequence, and is then skipped with a warning.

use classchat_core::message::MessageBody;
use classchat_core::{
    ClientMessageId, ConversationId, Event, Message, MessageId, Revocation, Timestamp, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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

/// An event, as nodes exchange it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
enum EventDto {
    Message {
        conversation_id: String,
        /// Microseconds since the Unix epoch.
        timestamp: i64,
        author: String,
        body: String,
        message_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_message_id: Option<String>,
        /// The class announcement the message is a copy of; absent for a plain message
        /// (and from nodes that predate announcements).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        announcement_id: Option<String>,
    },
    Typing {
        conversation_id: String,
        user: String,
    },
    Read {
        conversation_id: String,
        user: String,
        /// Microseconds since the Unix epoch.
        timestamp: i64,
    },
    Presence {
        user: String,
        online: bool,
    },
    Link {
        conversation_id: String,
        linked: bool,
    },
}

/// What an opened envelope asks of this node.
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

impl From<&Event> for EventDto {
    fn from(event: &Event) -> Self {
        match event {
            Event::Message(message) => Self::Message {
                conversation_id: message.conversation_id.to_string(),
                timestamp: message.timestamp.as_micros(),
                author: message.author.as_str().to_owned(),
                body: message.body.as_str().to_owned(),
                message_id: message.message_id.to_string(),
                client_message_id: message
                    .client_message_id
                    .as_ref()
                    .map(|id| id.as_str().to_owned()),
                announcement_id: message.announcement_id.map(|id| id.to_string()),
            },
            Event::Typing {
                conversation_id,
                user,
            } => Self::Typing {
                conversation_id: conversation_id.to_string(),
                user: user.as_str().to_owned(),
            },
            Event::Read {
                conversation_id,
                user,
                timestamp,
            } => Self::Read {
                conversation_id: conversation_id.to_string(),
                user: user.as_str().to_owned(),
                timestamp: timestamp.as_micros(),
            },
            Event::Presence { user, online } => Self::Presence {
                user: user.as_str().to_owned(),
                online: *online,
            },
            Event::Link {
                conversation_id,
                linked,
            } => Self::Link {
                conversation_id: conversation_id.to_string(),
                linked: *linked,
            },
            // Placeholder until the envelope carries safeguarding events.
            Event::Edited(message) | Event::Removed(message) => {
                Self::from(&Event::Message(message.clone()))
            }
            Event::Paused {
                conversation_id, ..
            } => Self::Link {
                conversation_id: conversation_id.to_string(),
                linked: true,
            },
        }
    }
}

impl EventDto {
    /// The event, every id and value validated as the service validates a client's.
    fn validated(self) -> Result<Event, classchat_core::ChatError> {
        let timestamp = |micros: i64| {
            Timestamp::from_micros(micros).ok_or_else(|| {
                classchat_core::ChatError::invalid(
                    classchat_core::ErrorCode::InvalidRequest,
                    format!("timestamp {micros} out of range"),
                )
            })
        };
        Ok(match self {
            Self::Message {
                conversation_id,
                timestamp: at,
                author,
                body,
                message_id,
                client_message_id,
                announcement_id,
            } => Event::Message(Message {
                conversation_id: ConversationId::parse_canonical(&conversation_id)?,
                timestamp: timestamp(at)?,
                author: UserId::parse(&author)?,
                body: MessageBody::parse(&body)?,
                message_id: MessageId::parse(&message_id)?,
                client_message_id: client_message_id
                    .as_deref()
                    .map(ClientMessageId::parse)
                    .transpose()?,
                announcement_id: announcement_id
                    .as_deref()
                    .map(MessageId::parse)
                    .transpose()?,
                edited_at: None,
                removed_at: None,
            }),
            Self::Typing {
                conversation_id,
                user,
            } => Event::Typing {
                conversation_id: ConversationId::parse_canonical(&conversation_id)?,
                user: UserId::parse(&user)?,
            },
            Self::Read {
                conversation_id,
                user,
                timestamp: at,
            } => Event::Read {
                conversation_id: ConversationId::parse_canonical(&conversation_id)?,
                user: UserId::parse(&user)?,
                timestamp: timestamp(at)?,
            },
            Self::Presence { user, online } => Event::Presence {
                user: UserId::parse(&user)?,
                online,
            },
            Self::Link {
                conversation_id,
                linked,
            } => Event::Link {
                conversation_id: ConversationId::parse_canonical(&conversation_id)?,
                linked,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn round_trip(outgoing: &Outgoing) -> Result<Received, EnvelopeError> {
        let text = serde_json::to_string(outgoing).unwrap();
        let incoming: Incoming<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(incoming.v, VERSION);
        assert_eq!(incoming.node, "n1");
        incoming.open()
    }

    #[test]
    fn every_event_crosses_as_itself() {
        let conversation = ConversationId::new(user("s1"), user("t1"));
        let message = Message {
            conversation_id: conversation.clone(),
            timestamp: Timestamp::from_micros(1_700_000_000_123_456).unwrap(),
            author: user("s1"),
            body: MessageBody::parse("hello\nthere ✓").unwrap(),
            message_id: MessageId::parse("01J0000000000000000000000A").unwrap(),
            client_message_id: Some(ClientMessageId::parse("c-1").unwrap()),
            announcement_id: None,
            edited_at: None,
            removed_at: None,
        };
        let events = [
            Event::Message(message),
            Event::Typing {
                conversation_id: conversation.clone(),
                user: user("t1"),
            },
            Event::Read {
                conversation_id: conversation,
                user: user("s1"),
                timestamp: Timestamp::from_micros(5).unwrap(),
            },
            Event::Presence {
                user: user("t1"),
                online: false,
            },
            Event::Link {
                conversation_id: ConversationId::new(user("s1"), user("t1")),
                linked: false,
            },
        ];
        for event in events {
            let recipients = [user("s1"), user("t1")];
            let outgoing = Outgoing::event("n1", &recipients, &event).unwrap();
            let expected = Received::Event {
                recipients: recipients.to_vec(),
                event,
            };
            assert_eq!(round_trip(&outgoing).unwrap(), expected);
        }
        let revoke = Outgoing::revoke("n1", &user("s1"), Revocation::PasswordChanged).unwrap();
        assert_eq!(
            round_trip(&revoke).unwrap(),
            Received::Revoke {
                recipients: vec![user("s1")],
                why: Revocation::PasswordChanged,
            }
        );
    }

    #[test]
    fn ids_from_redis_are_validated_again_and_other_versions_skipped() {
        let open = |text: &str| {
            let incoming: Incoming<'_> = serde_json::from_str(text).unwrap();
            incoming.open()
        };
        let bad_user = r#"{"v":1,"node":"n","seq":1,"recipients":["no spaces allowed"],
            "payload":{"event":{"type":"presence","user":"t1","online":true}}}"#;
        assert!(matches!(open(bad_user), Err(EnvelopeError::Malformed(_))));
        let bad_conversation = r#"{"v":1,"node":"n","seq":1,"recipients":["t1"],
            "payload":{"event":{"type":"typing","conversationId":"t1","user":"s1"}}}"#;
        assert!(matches!(
            open(bad_conversation),
            Err(EnvelopeError::Malformed(_))
        ));
        let bad_body = r#"{"v":1,"node":"n","seq":1,"recipients":["t1"],
            "payload":{"event":{"type":"message","conversationId":"s1+t1","timestamp":1,
            "author":"s1","body":"   ","messageId":"01J0000000000000000000000A"}}}"#;
        assert!(matches!(open(bad_body), Err(EnvelopeError::Malformed(_))));
        let unknown_revocation =
            r#"{"v":1,"node":"n","seq":1,"recipients":["t1"],"payload":{"revoke":"whim"}}"#;
        assert!(matches!(
            open(unknown_revocation),
            Err(EnvelopeError::Malformed(_))
        ));
        // A future version's header is still read (its sequence number counts).
        let future = r#"{"v":2,"node":"n","seq":9,"whatever":{"new":true}}"#;
        let incoming: Incoming<'_> = serde_json::from_str(future).unwrap();
        assert_eq!((incoming.node.as_str(), incoming.seq), ("n", 9));
        assert!(matches!(incoming.open(), Err(EnvelopeError::Version(2))));
    }
}
