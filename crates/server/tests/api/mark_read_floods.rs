//! Read receipts under a flood: `markRead` frames and `POST /chat/mark_read` requests that
//! do not move the reader's marker forward (the same timestamp again, an older one, one
//! past the newest message where the marker already is) write nothing and tell nobody.
//! Exactly one `read` event goes out per move of the marker.

use crate::common::spawn_app;
use crate::common::ws::{FRAME_WAIT, SILENCE, WsClient, connect, presence};
use serde_json::{Value, json};

/// Every `read` frame a client receives until it has been silent for a while.
async fn read_events(client: &mut WsClient) -> Vec<Value> {
    let mut events = Vec::new();
    while let Some(frame) = client.try_next_frame(SILENCE).await {
        assert_eq!(
            frame["type"], "read",
            "only read events were expected: {frame}"
        );
        events.push(frame);
    }
    events
}

fn mark_read(timestamp: &str) -> Value {
    json!({"action": "markRead", "conversationId": "s1+t1", "timestamp": timestamp})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_mark_reads_announces_each_move_of_the_marker_once() {
    let app = spawn_app().await;
    let mut desk = connect(&app, "t1").await;
    let mut tablet = connect(&app, "t1").await;
    let mut student = connect(&app, "s1").await;
    assert_eq!(desk.next_frame(FRAME_WAIT).await, presence("s1", true));
    assert_eq!(tablet.next_frame(FRAME_WAIT).await, presence("s1", true));

    let s1 = app.login("s1").await;
    let mut stamps = Vec::new();
    for text in ["one", "two", "three"] {
        let sent = app.send(&s1, "s1+t1", "s1", text).await;
        assert_eq!(sent.status, 201, "{}", sent.body);
        stamps.push(sent.body["timestamp"].as_str().unwrap().to_owned());
        for client in [&mut desk, &mut tablet, &mut student] {
            assert_eq!(client.expect_type("message").await["message"], sent.body);
        }
    }
    let (m1, m2, m3) = (stamps[0].as_str(), stamps[1].as_str(), stamps[2].as_str());
    let long_ago = "2020-01-01T00:00:00.000000Z";
    let far_future = "9999-12-31T23:59:59.999999Z";

    // 58 frames from the teacher's desk; the marker moves three times: to m1, to m2, and to
    // the newest message (m3) when asked for the far future.
    let mut flood = vec![m1; 12];
    flood.extend([long_ago; 12]);
    flood.push(m2);
    flood.extend([m1, m2].repeat(6));
    flood.push(far_future);
    flood.extend([m3, far_future, m2, m1].repeat(5));
    for timestamp in &flood {
        desk.send_json(mark_read(timestamp)).await;
    }
    // Frames are handled in order: once the desk has its pong, every markRead is done.
    desk.send_json(json!({"action": "ping"})).await;
    assert_eq!(desk.next_frame(FRAME_WAIT).await, json!({"type": "pong"}));
    // And the same over REST, where the marker is already as far as it goes.
    let t1 = app.login("t1").await;
    for timestamp in [m3, far_future, m1].repeat(10) {
        let reply = app
            .post(
                "/chat/mark_read",
                &t1,
                json!({"conversationId": "s1+t1", "timestamp": timestamp}),
            )
            .await;
        assert_eq!(reply.status, 204, "{}", reply.body);
    }

    let read = |timestamp: &str| json!({"type": "read", "conversationId": "s1+t1", "userId": "t1", "timestamp": timestamp});
    let moves = vec![read(m1), read(m2), read(m3)];
    assert_eq!(
        read_events(&mut student).await,
        moves,
        "the student's receipts"
    );
    assert_eq!(
        read_events(&mut tablet).await,
        moves,
        "the reader's other device"
    );
    desk.expect_silence(std::time::Duration::ZERO).await;

    // The marker is where the last move put it.
    let chats = app.get("/chat/get_chats", &t1).await;
    assert_eq!(chats.body["chats"][0]["unreadCount"], 0, "{}", chats.body);
    let page = app.read(&s1, "s1+t1", "").await;
    assert_eq!(page.body["peerReadAt"], m3, "{}", page.body);
}
