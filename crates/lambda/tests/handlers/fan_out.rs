//! Fan-out through the Management API: only the participants' connections get an event,
//! and a connection API Gateway reports gone (410) leaves the table.

use crate::common::Harness;
use classchat_core::{ConnectionId, Delivery, Event, Hub, UserId};
use serde_json::json;
use std::collections::HashSet;

fn set(ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

#[tokio::test]
async fn a_message_reaches_both_participants_and_nobody_else() {
    let harness = Harness::start().await;
    for (user, connection) in [
        ("s1", "s1-phone"),
        ("s1", "s1-laptop"),
        ("t1", "t1-laptop"),
        ("t2", "t2-laptop"),
        ("s2", "s2-phone"),
    ] {
        assert_eq!(harness.connect(user, connection).await, 200);
    }
    harness.fake.clear();
    let send = json!({
        "action": "sendMessage",
        "conversationId": "t1+s1",
        "messageBody": "Is the homework due Friday?",
        "clientMessageId": "c-42",
    });
    assert_eq!(harness.frame("s1-phone", "sendMessage", &send).await, 200);

    assert_eq!(
        harness.fake.recipients(),
        set(&["s1-phone", "s1-laptop", "t1-laptop"])
    );
    let ack = harness.fake.frames_to("s1-phone");
    assert_eq!(ack.len(), 1, "{ack:?}");
    assert_eq!(ack[0]["type"], "ack");
    assert_eq!(ack[0]["clientMessageId"], "c-42");
    for other in ["s1-laptop", "t1-laptop"] {
        let frames = harness.fake.frames_to(other);
        assert_eq!(frames.len(), 1, "{other}: {frames:?}");
        assert_eq!(frames[0]["type"], "message");
        assert_eq!(
            frames[0]["message"]["messageBody"],
            "Is the homework due Friday?"
        );
    }
}

#[tokio::test]
async fn a_gone_connection_is_deleted() {
    let harness = Harness::start().await;
    assert_eq!(harness.connect("t1", "t1-old").await, 200);
    assert_eq!(harness.connect("t1", "t1-new").await, 200);
    harness.fake.gone.lock().unwrap().insert("t1-old".into());

    let delivery = Delivery {
        recipients: vec![UserId::parse("t1").unwrap()],
        skip: None::<ConnectionId>,
    };
    let event = Event::Presence {
        user: UserId::parse("s1").unwrap(),
        online: true,
    };
    harness.deployment.hub.publish(&delivery, &event).await;

    assert_eq!(harness.stored_connections().await, set(&["t1-new"]));
    assert_eq!(
        harness.fake.frames_to("t1-new").last().unwrap()["type"],
        "presence"
    );
}

#[tokio::test]
async fn many_connections_are_all_served() {
    let harness = Harness::start().await;
    let ids: Vec<String> = (0..40).map(|n| format!("t1-tab-{n}")).collect();
    for id in &ids {
        assert_eq!(harness.connect("t1", id).await, 200);
    }
    harness.fake.clear();
    let delivery = Delivery {
        recipients: vec![UserId::parse("t1").unwrap()],
        skip: Some(ConnectionId::new("t1-tab-0")),
    };
    let event = Event::Presence {
        user: UserId::parse("s1").unwrap(),
        online: false,
    };
    harness.deployment.hub.publish(&delivery, &event).await;
    let expected: HashSet<String> = ids.into_iter().skip(1).collect();
    assert_eq!(harness.fake.recipients(), expected);
}
