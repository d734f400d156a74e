//! The whole story on Lambda: a student and a teacher sign in through the REST function,
//! both connect to the WebSocket function, the student sends over the socket route, the
//! teacher's connection receives the `message` frame, and the history is there over REST.

use crate::common::{Harness, fixture};
use classchat_lambda::http::{handle, request_from_event};
use serde_json::{Value, json};

async fn call(harness: &Harness, event: &Value) -> (u16, Value) {
    let request = request_from_event(&event.to_string()).expect("a supported event");
    let response = handle(&harness.http(), request).await;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn login(harness: &Harness, user: &str) -> String {
    let mut event = fixture("http-api-v2-login.json");
    event["body"] = json!({"userId": user, "password": crate::common::PASSWORD})
        .to_string()
        .into();
    let (status, body) = call(harness, &event).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("token").to_owned()
}

async fn connect(harness: &Harness, token: &str, connection: &str) {
    let mut event = fixture("ws-connect.json");
    event["queryStringParameters"]["token"] = token.into();
    event["multiValueQueryStringParameters"]["token"] = json!([token]);
    event["requestContext"]["connectionId"] = connection.into();
    let response = harness
        .ws()
        .handle(serde_json::from_value(event).unwrap())
        .await;
    assert_eq!(response.status_code, 200);
}

#[tokio::test]
async fn student_writes_over_the_socket_and_the_teacher_receives_it() {
    let harness = Harness::start().await;
    let student = login(&harness, "s1").await;
    let teacher = login(&harness, "t1").await;
    connect(&harness, &student, "student-conn").await;
    connect(&harness, &teacher, "teacher-conn").await;
    // The teacher was told the student is online? No: the student came first. The
    // student is told the teacher came online.
    let presence = harness.fake.frames_to("student-conn");
    assert_eq!(presence.last().unwrap()["type"], "presence", "{presence:?}");
    harness.fake.clear();

    let mut event = fixture("ws-message.json");
    event["requestContext"]["connectionId"] = "student-conn".into();
    let response = harness
        .ws()
        .handle(serde_json::from_value(event).unwrap())
        .await;
    assert_eq!(response.status_code, 200);

    let received = harness.fake.frames_to("teacher-conn");
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0]["type"], "message");
    assert_eq!(received[0]["message"]["messageBody"], "hello");
    assert_eq!(harness.fake.frames_to("student-conn")[0]["type"], "ack");

    let mut read = fixture("http-api-v2-read.json");
    read["headers"]["authorization"] = format!("Bearer {teacher}").into();
    let (status, body) = call(&harness, &read).await;
    assert_eq!(status, 200, "{body}");
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["messageBody"], "hello");
    assert_eq!(messages[0]["author"], "s1");

    // A send over REST reaches the sockets too: the REST function has the same hub.
    harness.fake.clear();
    let mut send = fixture("http-api-v2-login.json");
    send["rawPath"] = "/chat/send".into();
    send["requestContext"]["http"]["path"] = "/chat/send".into();
    send["pathParameters"]["proxy"] = "chat/send".into();
    send["headers"]["authorization"] = format!("Bearer {teacher}").into();
    send["body"] = json!({"conversationId": "s1+t1", "author": "t1", "messageBody": "Yes."})
        .to_string()
        .into();
    let (status, body) = call(&harness, &send).await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let received = harness.fake.frames_to("student-conn");
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0]["message"]["messageBody"], "Yes.");
    assert!(harness.fake.frames_to("teacher-conn").len() == 1);
}
