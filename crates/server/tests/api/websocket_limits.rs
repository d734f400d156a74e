//! What `GET /chat/ws` refuses and how it stays bounded, end to end against a real
//! server: authentication before the upgrade, malformed and oversized frames, slow
//! consumers, shutdown, rate limits.

use crate::common::ws::{
    FRAME_WAIT, SILENCE, WsClient, connect, presence, send_frame, wait_for_connections,
};
use crate::common::{SECRET, now_secs, sign_token, spawn_app, spawn_app_with};
use classchat_core::Limits;
use classchat_core::rate::Rate;
use classchat_server::LiveConfig;
use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Error as WsError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_forged_or_expired_token_is_refused_before_the_upgrade() {
    let app = spawn_app().await;
    let forged = sign_token(
        b"not-the-server-secret-not-the-secret",
        "s1",
        "student",
        now_secs() + 3600,
    );
    let expired = sign_token(SECRET, "s1", "student", now_secs() - 3600);
    let attempts = [
        ("missing", format!("ws://{}/chat/ws", app.addr)),
        ("empty", format!("ws://{}/chat/ws?token=", app.addr)),
        (
            "garbage",
            format!("ws://{}/chat/ws?token=not-a-jwt", app.addr),
        ),
        (
            "forged",
            format!("ws://{}/chat/ws?token={forged}", app.addr),
        ),
        (
            "expired",
            format!("ws://{}/chat/ws?token={expired}", app.addr),
        ),
    ];
    for (what, url) in attempts {
        match WsClient::try_connect_url(app.addr, &url).await {
            Err(WsError::Http(response)) => {
                assert_eq!(response.status(), 401, "{what} token");
                let body: Value =
                    serde_json::from_slice(response.body().as_deref().unwrap_or_default())
                        .unwrap_or_else(|_| panic!("{what} token: the 401 has a JSON body"));
                assert_eq!(
                    body["error"]["code"], "unauthorized",
                    "{what} token: {body}"
                );
            }
            Err(other) => panic!("{what} token: expected a 401, got {other}"),
            Ok(_) => panic!("{what} token: the upgrade was accepted"),
        }
        assert_eq!(app.live.connection_count(), 0, "{what} token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_get_precise_errors_and_the_connection_stays_usable() {
    let app = spawn_app().await;
    let mut student = connect(&app, "s1").await;
    let text_frames = [
        ("this is not json", "invalid_json"),
        ("[]", "invalid_frame"),
        (r#"{"action":"dance"}"#, "unknown_action"),
        (
            r#"{"action":"sendMessage","conversationId":"s1+t1"}"#,
            "invalid_frame",
        ),
        (
            r#"{"action":"markRead","conversationId":"s1+t1"}"#,
            "invalid_frame",
        ),
        (r#"{"action":"sync"}"#, "invalid_frame"),
    ];
    for (text, code) in text_frames {
        student.send_text(text).await;
        let error = student.expect_type("error").await;
        assert_eq!(error["code"], code, "{text} → {error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        student.send_json(json!({"action": "ping"})).await;
        assert_eq!(
            student.next_frame(FRAME_WAIT).await,
            json!({"type": "pong"})
        );
    }

    student.send_binary(b"{\"action\":\"ping\"}".to_vec()).await;
    let error = student.expect_type("error").await;
    assert_eq!(error["code"], "unsupported_frame", "{error}");
    student.send_json(json!({"action": "ping"})).await;
    assert_eq!(
        student.next_frame(FRAME_WAIT).await,
        json!({"type": "pong"})
    );
    assert_eq!(app.live.connection_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_to_a_foreign_or_unlinked_conversation_is_refused_unstored_and_undelivered() {
    let app = spawn_app().await;
    let mut teacher = connect(&app, "t1").await;
    let mut other_teacher = connect(&app, "t2").await;
    let mut student = connect(&app, "s1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));
    let mut intruder = connect(&app, "s2").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s2", true));
    assert_eq!(
        other_teacher.next_frame(FRAME_WAIT).await,
        presence("s2", true)
    );

    intruder
        .send_json(send_frame("s1+t1", "pretending to be s1's chat", "x-1"))
        .await;
    let error = intruder.expect_type("error").await;
    assert_eq!(error["code"], "forbidden", "{error}");
    assert_eq!(error["clientMessageId"], "x-1", "{error}");

    student
        .send_json(send_frame("s1+t2", "hello stranger", "x-2"))
        .await;
    let error = student.expect_type("error").await;
    // Never linked, no history: refused like any stranger (see `enumeration`).
    assert_eq!(error["code"], "forbidden", "{error}");
    assert_eq!(error["clientMessageId"], "x-2", "{error}");

    teacher.expect_silence(SILENCE).await;
    other_teacher.expect_silence(Duration::ZERO).await;
    student.expect_silence(Duration::ZERO).await;
    intruder.expect_silence(Duration::ZERO).await;

    let t1 = app.login("t1").await;
    let read = app.read(&t1, "s1+t1", "").await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["messages"], json!([]));
    let admin = app.login("admin").await;
    let read = app.read(&admin, "s1+t2", "").await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["messages"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_32_kib_closes_the_connection_with_1009() {
    let app = spawn_app().await;
    let mut student = connect(&app, "s1").await;
    let body = "x".repeat(33 * 1024);
    student
        .send_json(send_frame("s1+t1", &body, "too-big"))
        .await;
    assert_eq!(student.expect_close(FRAME_WAIT).await, Some(1009));
    wait_for_connections(&app, 0, FRAME_WAIT).await;
    let t1 = app.login("t1").await;
    assert_eq!(app.read(&t1, "s1+t1", "").await.body["messages"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_swamped_by_a_burst_is_closed_with_1013_and_others_are_still_served() {
    slow_consumer_story(16).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_with_1013_once_its_buffers_fill() {
    // One send at a time: the queue only overflows once the socket itself is full, so the
    // server must give up on a write that cannot complete.
    slow_consumer_story(1).await;
}

/// Teacher t1 connects with a tiny receive window and never reads while s1 sends large
/// messages over REST, `concurrency` at a time, until the server drops t1 (queue of 8).
/// Bounded: the server must give up within 45 s.
async fn slow_consumer_story(concurrency: usize) {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        send: Rate::UNLIMITED,
        ..Limits::default()
    };
    let live = LiveConfig {
        queue_capacity: 8,
        ..LiveConfig::default()
    };
    let app = spawn_app_with(dir.path().join("classchat.db"), limits, live).await;
    let started = Instant::now();
    let mut bystander = connect(&app, "t2").await;
    let token = app.login("t1").await;
    let mut stalled = WsClient::connect_with_recv_buffer(app.addr, &token, 4096).await;
    assert_eq!(app.live.connection_count(), 2);

    let student = app.login("s1").await;
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let client = app.client.clone();
        let url = app.url("/chat/send");
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let body = "y".repeat(3_900);
            futures::stream::iter(0..10_000)
                .map(|n| {
                    let request = client.post(&url).bearer_auth(&student).json(&json!({
                        "conversationId": "s1+t1",
                        "author": "s1",
                        "messageBody": format!("{n:05} {body}"),
                    }));
                    let stop = Arc::clone(&stop);
                    async move {
                        if stop.load(Ordering::Relaxed) {
                            return 0;
                        }
                        let response = request.send().await.expect("send");
                        assert_eq!(response.status(), 201);
                        1
                    }
                })
                .buffer_unordered(concurrency)
                .fold(0usize, |total, sent| async move { total + sent })
                .await
        })
    };

    wait_for_connections(&app, 1, Duration::from_secs(45)).await;
    let dropped_after = started.elapsed();
    // When it finally reads, it learns why it was dropped (the close frame waits a few
    // seconds for it).
    assert_eq!(stalled.expect_close(FRAME_WAIT).await, Some(1013));
    stop.store(true, Ordering::Relaxed);
    let sent = flood.await.expect("flood task");
    eprintln!("slow consumer dropped after {sent} sends in {dropped_after:?}");

    // Everyone else is still served.
    bystander.send_json(json!({"action": "ping"})).await;
    assert_eq!(
        bystander.next_frame(FRAME_WAIT).await,
        json!({"type": "pong"})
    );
    let s2 = app.login("s2").await;
    let sent = app.send(&s2, "s2+t2", "s2", "still there?").await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(bystander.expect_type("message").await["message"], sent.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_closes_sockets_with_1001() {
    let app = spawn_app().await;
    let mut student = connect(&app, "s1").await;
    let mut teacher = connect(&app, "t1").await;
    let (_, student_code, teacher_code) = tokio::join!(
        app.stop(),
        student.expect_close(FRAME_WAIT),
        teacher.expect_close(FRAME_WAIT)
    );
    assert_eq!(student_code, Some(1001));
    assert_eq!(teacher_code, Some(1001));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_faster_than_the_rate_limit_is_refused_on_the_socket_and_over_rest() {
    let dir = tempfile::tempdir().unwrap();
    // A burst of two, refilled so slowly that a busy test machine cannot refill it.
    let limits = Limits {
        send: Rate {
            per_second: 0.01,
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

    for n in 1..=3 {
        student
            .send_json(send_frame(
                "s1+t1",
                &format!("quick {n}"),
                &format!("q-{n}"),
            ))
            .await;
    }
    assert_eq!(student.expect_type("ack").await["clientMessageId"], "q-1");
    assert_eq!(student.expect_type("ack").await["clientMessageId"], "q-2");
    let error = student.expect_type("error").await;
    assert_eq!(error["code"], "rate_limited", "{error}");
    assert_eq!(error["clientMessageId"], "q-3", "{error}");

    let token = app.login("s1").await;
    app.send(&token, "s1+t1", "s1", "quick 4")
        .await
        .assert_error(429, "rate_limited");

    // Only the two accepted messages were stored and delivered.
    for n in 1..=2 {
        let frame = teacher.expect_type("message").await;
        assert_eq!(frame["message"]["messageBody"], format!("quick {n}"));
    }
    teacher.expect_silence(SILENCE).await;
    let read = app.read(&token, "s1+t1", "").await;
    assert_eq!(read.body["messages"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_is_answered_with_pong() {
    let app = spawn_app().await;
    let mut student = connect(&app, "s1").await;
    student.send_json(json!({"action": "ping"})).await;
    assert_eq!(
        student.next_frame(FRAME_WAIT).await,
        json!({"type": "pong"})
    );
    student.expect_silence(SILENCE).await;
}
