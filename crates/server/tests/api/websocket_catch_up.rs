//! Catching up with `sync` when the backlog is longer than a connection's queue and live
//! messages keep arriving during the replay: everything arrives once, each conversation
//! in order, and the client is not mistaken for a slow consumer.

use crate::common::spawn_app_with;
use crate::common::ws::{
    FRAME_WAIT, SILENCE, connect, message_id, teacher_leaves_after_one_message,
};
use classchat_core::Limits;
use classchat_core::rate::Rate;
use classchat_server::LiveConfig;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Messages missed in each of the teacher's two conversations.
const MISSED_PER_CONVERSATION: usize = 150;
/// Messages sent in each conversation while the replay runs.
const DURING_PER_CONVERSATION: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_longer_than_the_queue_arrives_whole_and_in_order_followed_by_live_messages() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        send: Rate::UNLIMITED,
        ..Limits::default()
    };
    // A queue of 16 frames: the replay below is nearly 20 times longer.
    let live = LiveConfig {
        queue_capacity: 16,
        ..LiveConfig::default()
    };
    let app = spawn_app_with(dir.path().join("classchat.db"), limits, live).await;
    let s1 = app.login("s1").await;
    let s2 = app.login("s2").await;
    let since = teacher_leaves_after_one_message(&app, &s1, "before the gap").await;

    let mut acked = HashSet::new();
    for n in 0..MISSED_PER_CONVERSATION {
        for (token, conversation, author) in [(&s1, "s1+t1", "s1"), (&s2, "s2+t1", "s2")] {
            let sent = app
                .send(token, conversation, author, &format!("missed {n}"))
                .await;
            assert_eq!(sent.status, 201, "{}", sent.body);
            acked.insert(message_id(&sent.body));
        }
    }

    let mut teacher = connect(&app, "t1").await;
    let expected = 2 * (MISSED_PER_CONVERSATION + DURING_PER_CONVERSATION);
    let sending = async {
        let mut ids = Vec::new();
        for n in 0..DURING_PER_CONVERSATION {
            for (token, conversation, author) in [(&s1, "s1+t1", "s1"), (&s2, "s2+t1", "s2")] {
                let sent = app
                    .send(token, conversation, author, &format!("during {n}"))
                    .await;
                assert_eq!(sent.status, 201, "{}", sent.body);
                ids.push(message_id(&sent.body));
            }
        }
        ids
    };
    let receiving = async {
        teacher
            .send_json(json!({"action": "sync", "since": since}))
            .await;
        let mut received: Vec<Value> = Vec::new();
        while received.len() < expected {
            let frame = teacher.next_frame(FRAME_WAIT).await;
            assert_eq!(frame["type"], "message", "{frame}");
            received.push(frame["message"].clone());
            // A reader a little slower than the server, so the queue fills.
            if received.len().is_multiple_of(8) {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        received
    };
    let (during, mut received) = tokio::join!(sending, receiving);
    acked.extend(during);
    while let Some(frame) = teacher.try_next_frame(SILENCE).await {
        assert_eq!(frame["type"], "message", "{frame}");
        received.push(frame["message"].clone());
    }

    let ids: Vec<String> = received.iter().map(message_id).collect();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates in {ids:?}");
    assert_eq!(unique, acked, "every message after `since`, exactly once");
    let mut newest: HashMap<String, String> = HashMap::new();
    for message in &received {
        let conversation = message["conversationId"].as_str().unwrap().to_owned();
        let timestamp = message["timestamp"].as_str().unwrap().to_owned();
        if let Some(previous) = newest.get(&conversation) {
            assert!(
                *previous < timestamp,
                "{conversation}: {timestamp} arrived after {previous}"
            );
        }
        newest.insert(conversation, timestamp);
    }
    // Still connected and served.
    teacher.send_json(json!({"action": "ping"})).await;
    assert_eq!(
        teacher.next_frame(FRAME_WAIT).await,
        json!({"type": "pong"})
    );
}
