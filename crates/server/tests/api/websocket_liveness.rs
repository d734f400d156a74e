//! Connections that go quiet, and live notices that must stay within bounds: dead peers
//! are closed, a peer that stops reading in the middle of a long replay is dropped, typing
//! notices are rate limited, and notices about someone else's conversation are refused.

use crate::common::ws::{FRAME_WAIT, SILENCE, WsClient, connect, presence, wait_for_connections};
use crate::common::{spawn_app, spawn_app_with};
use classchat_core::Limits;
use classchat_core::rate::Rate;
use classchat_server::LiveConfig;
use serde_json::json;
use std::time::Duration;

/// A short ping interval, so that "two silent intervals" pass quickly.
const PING_INTERVAL: Duration = Duration::from_millis(200);

fn quick_pings() -> LiveConfig {
    LiveConfig {
        ping_interval: PING_INTERVAL,
        ..LiveConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_answering_pings_is_closed_and_a_reading_one_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(
        dir.path().join("classchat.db"),
        Limits::default(),
        quick_pings(),
    )
    .await;
    let mut silent = connect(&app, "s3").await;
    let mut reading = connect(&app, "t2").await;

    // The reading client answers the server's pings while it listens; the silent one
    // reads nothing, so it never answers.
    reading.expect_silence(PING_INTERVAL * 8).await;
    wait_for_connections(&app, 1, FRAME_WAIT).await;
    assert_eq!(silent.expect_close(FRAME_WAIT).await, Some(1001));

    reading.send_json(json!({"action": "ping"})).await;
    assert_eq!(
        reading.next_frame(FRAME_WAIT).await,
        json!({"type": "pong"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_during_a_long_replay_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        send: Rate::UNLIMITED,
        ..Limits::default()
    };
    let app = spawn_app_with(dir.path().join("classchat.db"), limits, quick_pings()).await;
    let student = app.login("s1").await;
    // About 6 MiB of backlog: more than the socket buffers on both ends hold.
    let body = "🙂".repeat(4_000);
    for _ in 0..400 {
        let sent = app.send(&student, "s1+t1", "s1", &body).await;
        assert_eq!(sent.status, 201, "{}", sent.body);
    }

    let token = app.login("t1").await;
    let mut stalled = WsClient::connect_with_recv_buffer(app.addr, &token, 4096).await;
    stalled
        .send_json(json!({"action": "sync", "since": "2000-01-01T00:00:00.000000Z"}))
        .await;
    // It never reads again: the replay waits for it, the socket's writes block, and no ping
    // gets through. The server must still let go of it.
    wait_for_connections(&app, 0, Duration::from_secs(20)).await;

    let mut teacher = connect(&app, "t1").await;
    teacher.send_json(json!({"action": "ping"})).await;
    assert_eq!(
        teacher.next_frame(FRAME_WAIT).await,
        json!({"type": "pong"})
    );
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_notices_over_the_rate_are_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        typing: Rate {
            per_second: 0.001,
            burst: 2.0,
        },
        ..Limits::default()
    };
    let app = spawn_app_with(
        dir.path().join("classchat.db"),
        limits,
        LiveConfig::default(),
    )
    .await;
    let mut teacher = connect(&app, "t1").await;
    let mut student = connect(&app, "s1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));

    for _ in 0..5 {
        student
            .send_json(json!({"action": "typing", "conversationId": "s1+t1"}))
            .await;
    }
    let typing = json!({"type": "typing", "conversationId": "s1+t1", "userId": "s1"});
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, typing);
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, typing);
    teacher.expect_silence(SILENCE).await;
    // The typist is not told off: a lost typing hint harms nobody.
    student.expect_silence(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_and_read_notices_about_someone_elses_conversation_are_forbidden() {
    let app = spawn_app().await;
    let mut teacher = connect(&app, "t1").await;
    let mut student = connect(&app, "s1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));
    let sent = app
        .send(&app.login("s1").await, "s1+t1", "s1", "hello")
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(teacher.expect_type("message").await["message"], sent.body);
    assert_eq!(student.expect_type("message").await["message"], sent.body);
    let mut classmate = connect(&app, "s2").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s2", true));

    classmate
        .send_json(json!({"action": "typing", "conversationId": "s1+t1"}))
        .await;
    let refused = classmate.expect_type("error").await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    classmate
        .send_json(json!({
            "action": "markRead",
            "conversationId": "s1+t1",
            "timestamp": sent.body["timestamp"],
        }))
        .await;
    let refused = classmate.expect_type("error").await;
    assert_eq!(refused["code"], "forbidden", "{refused}");

    teacher.expect_silence(SILENCE).await;
    student.expect_silence(Duration::ZERO).await;
    // The teacher's unread count is untouched.
    let chats = app.get("/chat/get_chats", &app.login("t1").await).await;
    assert_eq!(chats.body["chats"][0]["unreadCount"], 1, "{}", chats.body);
}
