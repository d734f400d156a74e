//! What the WebSocket function costs in DynamoDB per event, measured: each API Gateway
//! event handled as the function handles it, its requests counted by the store's meter
//! (`classchat_store_dynamodb::metering`) and checked against the table below. The store's
//! and the service's own tables are in `classchat-store-dynamodb`'s `cost` tests; this one
//! adds what only the Lambda deployment does: the `Connections` table (register, look up
//! on every frame, forget), the per-frame token check, and the fan-out's Query of the
//! `userId-index` per participant. A change that adds a request fails here: if it is
//! meant, update the table (the test prints the new one) and BENCHMARKS.md.
//!
//! The school: the harness's, with student `s1` linked to six teachers (`t1` and `t3` to
//! `t7`). Messages are 200 bytes with a web client's clientMessageId, as in the store's
//! tables, so the capacity is the same on every run. The service's caches (the school's
//! settings, the teacher's notification hours: read once per 30 s per process) are warm.

use crate::common::{Harness, PASSWORD};
use classchat_core::service::{Actor, NewUser};
use classchat_store_dynamodb::testing::costs::{Cost, check, cost, measure};
use serde_json::{Value, json};

/// Per event of the WebSocket API.
#[rustfmt::skip]
const WS_COSTS: &[Cost] = &[
    cost("$connect: a student's first connection (6 teachers told)", "GetItem×1 PutItem×1 Query×8", 5.5, 1),
    cost("$connect: a teacher's first connection (1 student told)", "GetItem×1 PutItem×1 Query×4", 4.0, 1),
    cost("$connect: the student's second connection", "GetItem×1 PutItem×1 Query×1", 1.5, 1),
    cost("ping", "GetItem×2", 2.0, 0),
    cost("typing (to the teacher)", "GetItem×3 Query×1", 3.5, 0),
    cost("sendMessage student→teacher (3 connections reached)", "GetItem×2 Query×2 TransactWriteItems×1", 3.0, 12),
    cost("sendMessage teacher→student (3 connections reached)", "GetItem×2 Query×2 TransactWriteItems×1", 3.0, 10),
    cost("markRead by the student (to the newest)", "GetItem×4 Query×3 UpdateItem×1", 6.0, 1),
    cost("sync (4 messages)", "GetItem×2 Query×9", 8.0, 0),
    cost("$disconnect: the student's second connection", "DeleteItem×1 GetItem×2 Query×1", 2.5, 1),
    cost("$disconnect: the student's last connection (6 teachers told)", "DeleteItem×1 GetItem×2 Query×9", 7.0, 1),
];

/// A 200-byte body, numbered.
fn body(number: usize) -> String {
    let head = format!("message {number:04} ");
    format!("{head}{}", "x".repeat(200 - head.len()))
}

fn send(conversation: &str, number: usize) -> Value {
    json!({
        "action": "sendMessage",
        "conversationId": conversation,
        "messageBody": body(number),
        "clientMessageId": format!("web-{number:032x}"),
    })
}

/// The timestamp of the newest message posted to `connection`.
fn newest_message_to(harness: &Harness, connection: &str) -> String {
    let frames = harness.fake.frames_to(connection);
    let message = frames
        .iter()
        .rev()
        .find(|frame| frame["type"] == "message")
        .unwrap_or_else(|| panic!("a message reached {connection}: {frames:?}"));
    message["message"]["timestamp"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_websocket_event_costs_what_the_table_says() {
    let harness = Harness::start().await;
    let service = &harness.deployment.service;
    for n in 3..=7 {
        let id = format!("t{n}");
        let new = NewUser {
            user_id: &id,
            display_name: "Teacher",
            role: "teacher",
            password: PASSWORD,
        };
        service.create_user(Actor::Operator, new).await.unwrap();
        service.add_link(Actor::Operator, &id, "s1").await.unwrap();
    }
    let (student, teacher) = (harness.token("s1").await, harness.token("t1").await);
    // Warm the service's caches with a send each way on connections of their own.
    assert_eq!(harness.connect_with(&student, "warm-s1").await, 200);
    assert_eq!(harness.connect_with(&teacher, "warm-t1").await, 200);
    assert_eq!(
        harness
            .frame("warm-s1", "sendMessage", &send("t1+s1", 0))
            .await,
        200
    );
    assert_eq!(
        harness
            .frame("warm-t1", "sendMessage", &send("t1+s1", 1))
            .await,
        200
    );
    assert_eq!(harness.disconnect("warm-s1").await, 200);
    assert_eq!(harness.disconnect("warm-t1").await, 200);

    let meter = &harness.meter;
    let mut measured = Vec::new();
    let mut row = |operation: &'static str, (status, usage)| {
        assert_eq!(status, 200, "{operation}");
        measured.push((operation, usage));
    };
    row(
        "$connect: a student's first connection (6 teachers told)",
        measure(meter, harness.connect_with(&student, "c-s1")).await,
    );
    row(
        "$connect: a teacher's first connection (1 student told)",
        measure(meter, harness.connect_with(&teacher, "c-t1")).await,
    );
    row(
        "$connect: the student's second connection",
        measure(meter, harness.connect_with(&student, "c-s1-phone")).await,
    );
    row(
        "ping",
        measure(
            meter,
            harness.frame("c-s1", "ping", &json!({"action": "ping"})),
        )
        .await,
    );
    let typing = json!({"action": "typing", "conversationId": "t1+s1"});
    row(
        "typing (to the teacher)",
        measure(meter, harness.frame("c-s1", "typing", &typing)).await,
    );
    row(
        "sendMessage student→teacher (3 connections reached)",
        measure(
            meter,
            harness.frame("c-s1", "sendMessage", &send("t1+s1", 2)),
        )
        .await,
    );
    row(
        "sendMessage teacher→student (3 connections reached)",
        measure(
            meter,
            harness.frame("c-t1", "sendMessage", &send("t1+s1", 3)),
        )
        .await,
    );
    let newest = newest_message_to(&harness, "c-s1");
    let read = json!({"action": "markRead", "conversationId": "t1+s1", "timestamp": newest});
    row(
        "markRead by the student (to the newest)",
        measure(meter, harness.frame("c-s1", "markRead", &read)).await,
    );
    let sync = json!({"action": "sync", "since": "2020-01-01T00:00:00.000000Z"});
    row(
        "sync (4 messages)",
        measure(meter, harness.frame("c-s1", "sync", &sync)).await,
    );
    row(
        "$disconnect: the student's second connection",
        measure(meter, harness.disconnect("c-s1-phone")).await,
    );
    row(
        "$disconnect: the student's last connection (6 teachers told)",
        measure(meter, harness.disconnect("c-s1")).await,
    );
    check("WebSocket function, per event", &measured, WS_COSTS);
}
