//! The REST function in-process: API Gateway HTTP API (v2) and REST API (v1) events, as
//! AWS sends them, through `lambda_http`'s conversion and the server's router, on the
//! DynamoDB emulator.

use crate::common::{Harness, fixture};
use classchat_lambda::http::{handle, request_from_event};
use serde_json::Value;

async fn call(harness: &Harness, event: &Value) -> (u16, Value) {
    let request = request_from_event(&event.to_string()).expect("a supported event");
    let response = handle(&harness.http(), request).await;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    (status, body)
}

#[tokio::test]
async fn http_api_v2_login_and_read() {
    let harness = Harness::start().await;
    let (status, body) = call(&harness, &fixture("http-api-v2-login.json")).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();

    let mut read = fixture("http-api-v2-read.json");
    read["headers"]["authorization"] = format!("Bearer {token}").into();
    let (status, body) = call(&harness, &read).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["messages"], serde_json::json!([]));

    read["headers"]["authorization"] = "Bearer not-a-token".into();
    let (status, body) = call(&harness, &read).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn rest_api_v1_lists_teachers() {
    let harness = Harness::start().await;
    let token = harness.token("s1").await;
    let mut event = fixture("rest-api-v1-get-teachers.json");
    event["headers"]["Authorization"] = format!("Bearer {token}").into();
    event["multiValueHeaders"]["Authorization"] = serde_json::json!([format!("Bearer {token}")]);
    let (status, body) = call(&harness, &event).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("t1"), "{body}");
    assert!(
        !body.to_string().contains("t2"),
        "only linked teachers: {body}"
    );

    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("Authorization");
    event["multiValueHeaders"]
        .as_object_mut()
        .unwrap()
        .remove("Authorization");
    let (status, _) = call(&harness, &event).await;
    assert_eq!(status, 401);
}
