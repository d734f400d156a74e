//! Round trips of every envelope, and what a node refuses to read.

use super::*;
use classchat_core::message::MessageBody;
use classchat_core::moderation::{Pause, PauseReason};
use classchat_core::{ClientMessageId, ConversationId, Message, MessageId, Role, Timestamp};

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn round_trip(outgoing: &Outgoing) -> Result<Received, EnvelopeError> {
    let text = outgoing.encode(None, 1).unwrap();
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
    let later = Timestamp::from_micros(1_700_000_100_000_000).unwrap();
    let edited = Message {
        body: MessageBody::parse("hello there, fixed").unwrap(),
        edited_at: Some(later),
        ..message.clone()
    };
    let removed = Message {
        removed_at: Some(later),
        ..edited.clone()
    }
    .redacted();
    let pause = |by: &str, by_role: Role, reason: Option<&str>| Pause {
        by: user(by),
        by_role,
        at: later,
        reason: reason.map(|reason| PauseReason::parse(reason).unwrap()),
    };
    let events = [
        Event::Message(message),
        Event::Edited(edited),
        Event::Removed(removed),
        Event::Paused {
            conversation_id: conversation.clone(),
            pause: Some(pause("t1", Role::Teacher, Some("let us talk tomorrow"))),
        },
        Event::Paused {
            conversation_id: conversation.clone(),
            pause: Some(pause("office", Role::Admin, None)),
        },
        Event::Paused {
            conversation_id: conversation.clone(),
            pause: None,
        },
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
    let since = Timestamp::from_micros(1_733_300_000_000_000).unwrap();
    let resync = Outgoing::resync("n1", &[], since).unwrap();
    assert_eq!(
        round_trip(&resync).unwrap(),
        Received::Resync {
            recipients: vec![],
            since,
        }
    );
}

#[test]
fn each_recipient_gets_a_copy_naming_only_them() {
    let event = Event::Presence {
        user: user("s1"),
        online: true,
    };
    let outgoing = Outgoing::event("n1", &[user("s1"), user("t1")], &event).unwrap();
    let copy = outgoing.encode(Some("t1"), 7).unwrap();
    let incoming: Incoming<'_> = serde_json::from_str(&copy).unwrap();
    assert_eq!(incoming.seq, 7);
    assert_eq!(
        incoming.open().unwrap(),
        Received::Event {
            recipients: vec![user("t1")],
            event,
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

#[test]
fn messages_from_nodes_before_edits_still_parse() {
    let open = |text: &str| {
        let incoming: Incoming<'_> = serde_json::from_str(text).unwrap();
        incoming.open()
    };
    let old = r#"{"v":1,"node":"n","seq":1,"recipients":["t1"],
        "payload":{"event":{"type":"message","conversationId":"s1+t1","timestamp":1,
        "author":"s1","body":"hi","messageId":"01J0000000000000000000000A"}}}"#;
    let Ok(Received::Event {
        event: Event::Message(message),
        ..
    }) = open(old)
    else {
        panic!("{:?}", open(old));
    };
    assert_eq!((message.edited_at, message.removed_at), (None, None));
    // A message event of this version that is not edited says nothing about edits.
    let text = serde_json::to_string(&EventDto::from(&Event::Message(message))).unwrap();
    assert!(
        !text.contains("editedAt") && !text.contains("removedAt"),
        "{text}"
    );
}

#[test]
fn only_a_tombstone_is_empty_and_a_tombstone_is_always_empty() {
    let open = |event: &str| {
        let text = format!(
            r#"{{"v":1,"node":"n","seq":1,"recipients":["t1"],"payload":{{"event":{event}}}}}"#
        );
        let incoming: Incoming<'_> = serde_json::from_str(&text).unwrap();
        incoming.open().map(|received| match received {
            Received::Event { event, .. } => event,
            other => panic!("{other:?}"),
        })
    };
    let fields = r#""conversationId":"s1+t1","timestamp":1,"author":"s1","messageId":"01J0000000000000000000000A""#;
    let tombstone = open(&format!(
        r#"{{"type":"removed",{fields},"body":"","removedAt":2}}"#
    ));
    assert!(
        matches!(&tombstone, Ok(Event::Removed(m)) if m.body.as_str().is_empty() && m.removed_at.is_some()),
        "{tombstone:?}"
    );
    for refused in [
        // Empty, but not removed.
        format!(r#"{{"type":"message",{fields},"body":""}}"#),
        format!(r#"{{"type":"edited",{fields},"body":"","editedAt":2}}"#),
        // Removed, but carrying its text.
        format!(r#"{{"type":"removed",{fields},"body":"secret","removedAt":2}}"#),
        // A removal that does not say when.
        format!(r#"{{"type":"removed",{fields},"body":""}}"#),
        format!(r#"{{"type":"edited",{fields},"body":"x","editedAt":-99999999999999999}}"#),
    ] {
        assert!(
            matches!(open(&refused), Err(EnvelopeError::Malformed(_))),
            "{refused}"
        );
    }
}

#[test]
fn a_pause_from_redis_is_validated_again() {
    let open = |pause: &str| {
        let text = format!(
            r#"{{"v":1,"node":"n","seq":1,"recipients":["t1"],"payload":{{"event":
            {{"type":"paused","conversationId":"s1+t1","pause":{pause}}}}}}}"#
        );
        let incoming: Incoming<'_> = serde_json::from_str(&text).unwrap();
        incoming.open()
    };
    assert!(open(r#"{"by":"t1","byRole":"teacher","at":5,"reason":"later"}"#).is_ok());
    assert!(open("null").is_ok());
    for refused in [
        r#"{"by":"no spaces","byRole":"teacher","at":5}"#,
        r#"{"by":"t1","byRole":"headteacher","at":5}"#,
        r#"{"by":"s1","byRole":"student","at":5}"#,
        r#"{"by":"t1","byRole":"teacher","at":-99999999999999999}"#,
        r#"{"by":"t1","byRole":"teacher","at":5,"reason":"   "}"#,
        r#"{"by":"t1","byRole":"teacher","at":5,"reason":"bell\u0007"}"#,
    ] {
        assert!(
            matches!(open(refused), Err(EnvelopeError::Malformed(_))),
            "{refused}"
        );
    }
    let long = "x".repeat(classchat_core::moderation::MAX_PAUSE_REASON_CHARS + 1);
    let too_long = format!(r#"{{"by":"t1","byRole":"teacher","at":5,"reason":"{long}"}}"#);
    assert!(matches!(open(&too_long), Err(EnvelopeError::Malformed(_))));
}
