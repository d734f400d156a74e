//! Real-time delivery over `GET /chat/ws`, end to end against a real server: who gets
//! which frame, and catching up after a reconnect. Refusals and limits are in
//! `websocket_limits.rs`.

use crate::common::spawn_app;
use crate::common::ws::{
    FRAME_WAIT, SILENCE, WsClient, connect, message_id, presence, send_frame,
    teacher_leaves_after_one_message, wait_for_connections,
};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

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
    let since = teacher_leaves_after_one_message(&app, &student, "seen live").await;
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
    let since = teacher_leaves_after_one_message(&app, &student, "seen live").await;

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
async fn a_page_reload_never_leaves_the_user_shown_offline() {
    let app = spawn_app().await;
    let mut teacher = connect(&app, "t1").await;
    let token = app.login("s1").await;
    for _ in 0..5 {
        let page = WsClient::connect(app.addr, &token).await;
        // The old page's socket closes while the new page's opens.
        let (_, reloaded) = tokio::join!(page.close(), WsClient::connect(app.addr, &token));
        let mut last = None;
        while let Some(frame) = teacher.try_next_frame(SILENCE).await {
            assert_eq!(frame["userId"], "s1", "{frame}");
            last = Some(frame);
        }
        assert_eq!(last, Some(presence("s1", true)));
        reloaded.close().await;
        assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", false));
    }
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
async fn a_burst_of_frames_is_stored_acknowledged_and_delivered_in_the_order_sent() {
    let app = spawn_app().await;
    let mut teacher = connect(&app, "t1").await;
    let mut student = connect(&app, "s1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));

    // 40 sends without waiting for acks (the server performs several at once), a
    // malformed frame in the middle, and a ping at the end.
    for index in 0..40 {
        if index == 20 {
            student.send_text("{not json").await;
        }
        student
            .send_json(send_frame(
                "s1+t1",
                &format!("burst {index}"),
                &format!("b-{index}"),
            ))
            .await;
    }
    student.send_json(json!({"action": "ping"})).await;

    let mut stamps = Vec::new();
    for index in 0..40 {
        if index == 20 {
            let error = student.next_frame(FRAME_WAIT).await;
            assert_eq!(
                error["type"], "error",
                "the malformed frame's reply, in place: {error}"
            );
        }
        let ack = student.next_frame(FRAME_WAIT).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        assert_eq!(
            ack["clientMessageId"],
            format!("b-{index}"),
            "acks in order"
        );
        stamps.push(ack["message"]["timestamp"].as_str().unwrap().to_owned());
    }
    assert_eq!(student.next_frame(FRAME_WAIT).await["type"], "pong");
    assert!(
        stamps.windows(2).all(|pair| pair[0] < pair[1]),
        "stored in the order sent: {stamps:?}"
    );

    for index in 0..40 {
        let delivered = teacher.next_frame(FRAME_WAIT).await;
        assert_eq!(
            delivered["message"]["messageBody"],
            format!("burst {index}")
        );
    }
    let token = app.login("t1").await;
    let history = app
        .get("/chat/read?conversationId=s1%2Bt1&limit=50", &token)
        .await;
    let bodies: Vec<&str> = history.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["messageBody"].as_str().unwrap())
        .collect();
    let sent: Vec<String> = (0..40).map(|index| format!("burst {index}")).collect();
    assert_eq!(bodies, sent);
}
