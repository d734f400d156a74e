//! Real-time delivery over `GET /chat/ws`, end to end against a real server: who gets
//! which frame, catching up after a reconnect, refusals, and the socket's limits.

mod common;

use classchat_core::Limits;
use classchat_core::rate::Rate;
use classchat_server::LiveConfig;
use common::ws::{FRAME_WAIT, SILENCE, WsClient};
use common::{SECRET, TestApp, now_secs, sign_token, spawn_app, spawn_app_with};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Error as WsError;

/// Logs `user` in and opens a socket, ready to receive.
async fn connect(app: &TestApp, user: &str) -> WsClient {
    let token = app.login(user).await;
    WsClient::connect(app.addr, &token).await
}

/// Waits until the server holds exactly `expected` live connections.
async fn wait_for_connections(app: &TestApp, expected: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while app.live.connection_count() != expected {
        assert!(
            Instant::now() < deadline,
            "the server still holds {} connections, expected {expected}",
            app.live.connection_count()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn presence(user: &str, online: bool) -> Value {
    json!({"type": "presence", "userId": user, "online": online})
}

fn message_id(message: &Value) -> String {
    message["messageId"]
        .as_str()
        .unwrap_or_else(|| panic!("no messageId in {message}"))
        .to_owned()
}

fn send_frame(conversation: &str, body: &str, client_message_id: &str) -> Value {
    json!({
        "action": "sendMessage",
        "conversationId": conversation,
        "messageBody": body,
        "clientMessageId": client_message_id,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_send_is_acked_on_its_device_and_delivered_to_every_other_participant_socket() {
    let app = spawn_app().await;
    let mut teacher = connect(&app, "t1").await;
    let mut phone = connect(&app, "s1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));
    let mut laptop = connect(&app, "s1").await;
    let mut classmate = connect(&app, "s2").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s2", true));

    phone
        .send_json(send_frame("s1+t1", "  question about homework  ", "c-1"))
        .await;

    let ack = phone.expect_type("ack").await;
    assert_eq!(ack["clientMessageId"], "c-1", "{ack}");
    let stored = &ack["message"];
    assert_eq!(stored["conversationId"], "s1+t1");
    assert_eq!(stored["author"], "s1");
    assert_eq!(stored["messageBody"], "question about homework");
    assert_eq!(stored["clientMessageId"], "c-1");
    assert_eq!(message_id(stored).len(), 26);
    assert!(
        stored["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let delivered = json!({"type": "message", "message": stored});
    assert_eq!(laptop.next_frame(FRAME_WAIT).await, delivered);
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, delivered);

    // The sending device got its ack instead of the message; the classmate gets nothing.
    phone.expect_silence(SILENCE).await;
    classmate.expect_silence(SILENCE).await;
    laptop.expect_silence(Duration::ZERO).await;
    teacher.expect_silence(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_over_rest_is_delivered_live_to_both_participants_and_nobody_else() {
    let app = spawn_app().await;
    let mut teacher = connect(&app, "t1").await;
    let mut other_teacher = connect(&app, "t2").await;
    let mut student = connect(&app, "s1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));
    let mut classmate = connect(&app, "s2").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s2", true));
    assert_eq!(
        other_teacher.next_frame(FRAME_WAIT).await,
        presence("s2", true)
    );
    let mut unlinked = connect(&app, "s3").await;

    let token = app.login("s1").await;
    let sent = app
        .send(&token, "s1+t1", "s1", "sent from the web form")
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);

    let delivered = json!({"type": "message", "message": sent.body});
    // The sender's own socket too: a REST send has no originating connection.
    assert_eq!(student.next_frame(FRAME_WAIT).await, delivered);
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, delivered);
    classmate.expect_silence(SILENCE).await;
    other_teacher.expect_silence(Duration::ZERO).await;
    unlinked.expect_silence(Duration::ZERO).await;
    student.expect_silence(Duration::ZERO).await;
    teacher.expect_silence(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_teacher_syncs_exactly_the_messages_missed_while_away_in_order() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let mut teacher = connect(&app, "t1").await;
    let seen = app.send(&student, "s1+t1", "s1", "seen live").await;
    assert_eq!(seen.status, 201, "{}", seen.body);
    let last_seen = teacher.expect_type("message").await;
    let since = last_seen["message"]["timestamp"]
        .as_str()
        .unwrap()
        .to_owned();

    teacher.close().await;
    wait_for_connections(&app, 0, FRAME_WAIT).await;
    let mut missed = Vec::new();
    for n in 0..50 {
        let sent = app
            .send(&student, "s1+t1", "s1", &format!("missed {n}"))
            .await;
        assert_eq!(sent.status, 201, "{}", sent.body);
        missed.push(sent.body);
    }

    let mut teacher = connect(&app, "t1").await;
    teacher
        .send_json(json!({"action": "sync", "since": since}))
        .await;
    let mut replayed = Vec::new();
    for _ in 0..50 {
        let frame = teacher.expect_type("message").await;
        replayed.push(frame["message"].clone());
    }
    assert_eq!(
        replayed, missed,
        "exactly the missed messages, oldest first"
    );
    let timestamps: Vec<&str> = replayed
        .iter()
        .map(|m| m["timestamp"].as_str().unwrap())
        .collect();
    assert!(timestamps.windows(2).all(|pair| pair[0] < pair[1]));
    teacher.expect_silence(SILENCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_racing_live_sends_delivers_every_later_message_exactly_once() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let mut teacher = connect(&app, "t1").await;
    let seen = app.send(&student, "s1+t1", "s1", "seen live").await;
    assert_eq!(seen.status, 201, "{}", seen.body);
    let since = teacher.expect_type("message").await["message"]["timestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    teacher.close().await;
    wait_for_connections(&app, 0, FRAME_WAIT).await;

    let mut acked = HashSet::new();
    for n in 0..50 {
        let sent = app
            .send(&student, "s1+t1", "s1", &format!("missed {n}"))
            .await;
        assert_eq!(sent.status, 201, "{}", sent.body);
        acked.insert(message_id(&sent.body));
    }

    let mut teacher = connect(&app, "t1").await;
    // 30 more messages are sent while the sync runs.
    let sending = async {
        let mut ids = Vec::new();
        for n in 0..30 {
            let sent = app
                .send(&student, "s1+t1", "s1", &format!("during sync {n}"))
                .await;
            assert_eq!(sent.status, 201, "{}", sent.body);
            ids.push(message_id(&sent.body));
        }
        ids
    };
    let receiving = async {
        teacher
            .send_json(json!({"action": "sync", "since": since}))
            .await;
        let mut received = Vec::new();
        while received.len() < 80 {
            let frame = teacher.next_frame(FRAME_WAIT).await;
            assert_eq!(frame["type"], "message", "{frame}");
            received.push(message_id(&frame["message"]));
        }
        received
    };
    let (during, mut received) = tokio::join!(sending, receiving);
    acked.extend(during);
    // Anything still in flight would be a duplicate.
    while let Some(frame) = teacher.try_next_frame(SILENCE).await {
        received.push(message_id(&frame["message"]));
    }

    let unique: HashSet<String> = received.iter().cloned().collect();
    assert_eq!(unique.len(), received.len(), "duplicates in {received:?}");
    assert_eq!(unique, acked, "every message after `since`, exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_reaches_only_the_other_participant() {
    let app = spawn_app().await;
    let mut teacher = connect(&app, "t1").await;
    let mut phone = connect(&app, "s1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));
    let mut laptop = connect(&app, "s1").await;
    let mut classmate = connect(&app, "s2").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s2", true));

    phone
        .send_json(json!({"action": "typing", "conversationId": "s1+t1"}))
        .await;

    assert_eq!(
        teacher.next_frame(FRAME_WAIT).await,
        json!({"type": "typing", "conversationId": "s1+t1", "userId": "s1"})
    );
    laptop.expect_silence(SILENCE).await;
    classmate.expect_silence(Duration::ZERO).await;
    phone.expect_silence(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_read_tells_the_other_participant_and_the_readers_other_devices() {
    let app = spawn_app().await;
    let mut desk = connect(&app, "t1").await;
    let mut tablet = connect(&app, "t1").await;
    let mut student = connect(&app, "s1").await;
    assert_eq!(desk.next_frame(FRAME_WAIT).await, presence("s1", true));
    assert_eq!(tablet.next_frame(FRAME_WAIT).await, presence("s1", true));
    let mut classmate = connect(&app, "s2").await;
    assert_eq!(desk.next_frame(FRAME_WAIT).await, presence("s2", true));
    assert_eq!(tablet.next_frame(FRAME_WAIT).await, presence("s2", true));

    let token = app.login("s1").await;
    let sent = app.send(&token, "s1+t1", "s1", "did you read this?").await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let timestamp = sent.body["timestamp"].as_str().unwrap().to_owned();
    for client in [&mut desk, &mut tablet, &mut student] {
        assert_eq!(client.expect_type("message").await["message"], sent.body);
    }

    desk.send_json(
        json!({"action": "markRead", "conversationId": "s1+t1", "timestamp": timestamp}),
    )
    .await;

    let read =
        json!({"type": "read", "conversationId": "s1+t1", "userId": "t1", "timestamp": timestamp});
    assert_eq!(student.next_frame(FRAME_WAIT).await, read);
    assert_eq!(tablet.next_frame(FRAME_WAIT).await, read);
    classmate.expect_silence(SILENCE).await;
    desk.expect_silence(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_goes_to_linked_peers_on_the_first_connection_and_after_the_last() {
    let app = spawn_app().await;
    let mut teacher = connect(&app, "t1").await;
    let mut unlinked_teacher = connect(&app, "t2").await;

    let phone = connect(&app, "s1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));
    unlinked_teacher.expect_silence(SILENCE).await;

    // A second device is not news.
    let laptop = connect(&app, "s1").await;
    teacher.expect_silence(SILENCE).await;

    // Nor is closing one of two.
    phone.close().await;
    wait_for_connections(&app, 3, FRAME_WAIT).await;
    teacher.expect_silence(SILENCE).await;

    laptop.close().await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", false));
    unlinked_teacher.expect_silence(SILENCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_ends_with_the_linked_peers_already_online() {
    let app = spawn_app().await;
    let _teacher = connect(&app, "t1").await;
    let _unlinked_teacher = connect(&app, "t2").await;
    let mut student = connect(&app, "s1").await;

    student
        .send_json(json!({"action": "sync", "since": "2026-01-01T00:00:00Z"}))
        .await;
    // No messages yet; t1 (linked) is online, t2 (not linked to s1) is not mentioned.
    assert_eq!(student.next_frame(FRAME_WAIT).await, presence("t1", true));
    student.expect_silence(SILENCE).await;
}

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
    assert_eq!(error["code"], "not_linked", "{error}");
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
