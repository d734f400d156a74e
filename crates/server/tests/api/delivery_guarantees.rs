//! Ordering under concurrency, idempotent retries, and durability across restarts.

use crate::common::{spawn_app, spawn_app_at};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_sends_get_distinct_increasing_timestamps() {
    let app = std::sync::Arc::new(spawn_app().await);
    let (student, teacher) = (app.login("s1").await, app.login("t1").await);
    let sends = (0..200).map(|index| {
        let app = app.clone();
        let (token, author) = if index % 2 == 0 {
            (student.clone(), "s1")
        } else {
            (teacher.clone(), "t1")
        };
        tokio::spawn(async move {
            let reply = app
                .send(&token, "s1+t1", author, &format!("concurrent {index}"))
                .await;
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.body["timestamp"].as_str().unwrap().to_owned()
        })
    });
    let acknowledged: Vec<String> = futures::future::try_join_all(sends).await.unwrap();
    let unique: HashSet<_> = acknowledged.iter().collect();
    assert_eq!(
        unique.len(),
        200,
        "every acknowledged timestamp is distinct"
    );

    // Read back in pages of 7 from the newest: no gap, no duplicate, strictly increasing.
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let extra = match &before {
            Some(cursor) => format!("&limit=7&before={cursor}"),
            None => "&limit=7".to_owned(),
        };
        let page = app.read(&student, "s1+t1", &extra).await;
        let messages = page.body["messages"].as_array().unwrap();
        before = messages
            .first()
            .map(|m| m["timestamp"].as_str().unwrap().to_owned());
        let mut timestamps: Vec<String> = messages
            .iter()
            .map(|m| m["timestamp"].as_str().unwrap().to_owned())
            .collect();
        timestamps.extend(seen);
        seen = timestamps;
        if page.body["hasMore"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 200);
    assert!(
        seen.windows(2).all(|pair| pair[0] < pair[1]),
        "strictly increasing"
    );
    let mut sorted_acks = acknowledged.clone();
    sorted_acks.sort();
    assert_eq!(seen, sorted_acks, "exactly the acknowledged messages");
}

#[tokio::test]
async fn retrying_with_the_same_client_message_id_returns_the_same_message() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let body = json!({"conversationId": "s1+t1", "author": "s1", "messageBody": "once", "clientMessageId": "c-1"});
    let first = app.post("/chat/send", &student, body.clone()).await;
    let second = app.post("/chat/send", &student, body).await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(first.body, second.body);
    assert_eq!(first.body["clientMessageId"], "c-1");
    assert_eq!(first.headers["idempotent-replayed"], "false");
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(
        app.read_all(&student, "s1+t1").await.len(),
        1,
        "one row stored"
    );
    let teacher = app.login("t1").await;
    let chats = app.get("/chat/get_chats", &teacher).await;
    assert_eq!(
        chats.body["chats"][0]["unreadCount"], 1,
        "the retry counts once"
    );
}

#[tokio::test]
async fn a_client_message_id_reused_in_another_conversation_conflicts() {
    let app = spawn_app().await;
    let s2 = app.login("s2").await;
    let first = json!({"conversationId": "s2+t1", "author": "s2", "messageBody": "a", "clientMessageId": "same"});
    assert_eq!(app.post("/chat/send", &s2, first).await.status, 201);
    let other = json!({"conversationId": "s2+t2", "author": "s2", "messageBody": "b", "clientMessageId": "same"});
    app.post("/chat/send", &s2, other)
        .await
        .assert_error(409, "client_message_id_reused");
    assert!(app.read_all(&s2, "s2+t2").await.is_empty());
}

#[tokio::test]
async fn data_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("classchat.db");
    let app = spawn_app_at(path.clone()).await;
    let student = app.login("s1").await;
    let sent = app.send(&student, "s1+t1", "s1", "remember me").await;
    assert_eq!(sent.status, 201);
    app.stop().await;

    let app = spawn_app_at(path).await;
    // The token issued before the restart still works (same secret).
    let read = app.read(&student, "s1+t1", "").await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["messages"][0], sent.body);
}
