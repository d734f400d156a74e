//! The WebSocket function in-process: `$connect`, `$disconnect` and message events as API
//! Gateway sends them, on the DynamoDB emulator, replies read from the fake Management API.

use crate::common::{Harness, fixture};
use serde_json::json;

#[tokio::test]
async fn connect_registers_and_disconnect_forgets() {
    let harness = Harness::start().await;
    assert_eq!(harness.connect("s1", "CVshEdk9IAMCJ8A=").await, 200);
    assert!(
        harness
            .stored_connections()
            .await
            .contains("CVshEdk9IAMCJ8A=")
    );

    let item = harness
        .dynamo
        .get_item()
        .table_name(&harness.connections_table)
        .key(
            "connectionId",
            aws_sdk_dynamodb::types::AttributeValue::S("CVshEdk9IAMCJ8A=".into()),
        )
        .send()
        .await
        .unwrap();
    let item = item.item().expect("stored");
    assert_eq!(item["userId"].as_s().unwrap(), "s1");
    let ttl: u64 = item["ttl"].as_n().unwrap().parse().unwrap();
    assert!(
        ttl > crate::common::now_secs() + 60,
        "the item expires later, not now"
    );

    let event = fixture("ws-disconnect.json");
    let response = harness
        .ws()
        .handle(serde_json::from_value(event).unwrap())
        .await;
    assert_eq!(response.status_code, 200);
    assert!(harness.stored_connections().await.is_empty());
}

#[tokio::test]
async fn connect_refuses_bad_or_missing_tokens() {
    let harness = Harness::start().await;
    let mut event = fixture("ws-connect.json");
    event["queryStringParameters"]["token"] = "forged".into();
    event["multiValueQueryStringParameters"]["token"] = json!(["forged"]);
    let response = harness
        .ws()
        .handle(serde_json::from_value(event.clone()).unwrap())
        .await;
    assert_eq!(response.status_code, 401);

    event["queryStringParameters"] = json!({});
    event["multiValueQueryStringParameters"] = json!({});
    let response = harness
        .ws()
        .handle(serde_json::from_value(event).unwrap())
        .await;
    assert_eq!(response.status_code, 401);
    assert!(harness.stored_connections().await.is_empty());
}

#[tokio::test]
async fn connect_refuses_disabled_accounts_with_403() {
    let harness = Harness::start().await;
    let token = harness.token("s2").await;
    let changes = classchat_core::service::UserChanges {
        disabled: Some(true),
        ..Default::default()
    };
    harness
        .deployment
        .service
        .update_user(classchat_core::service::Actor::Operator, "s2", changes)
        .await
        .expect("disable s2");
    let mut event = fixture("ws-connect.json");
    event["queryStringParameters"]["token"] = token.clone().into();
    event["multiValueQueryStringParameters"]["token"] = json!([token]);
    let response = harness
        .ws()
        .handle(serde_json::from_value(event).unwrap())
        .await;
    assert_eq!(response.status_code, 403);
}

#[tokio::test]
async fn routes_answer_with_the_servers_frames() {
    let harness = Harness::start().await;
    assert_eq!(harness.connect("s1", "c-s1").await, 200);

    assert_eq!(
        harness
            .frame("c-s1", "ping", &json!({"action": "ping"}))
            .await,
        200
    );
    assert_eq!(
        harness
            .frame("c-s1", "$default", &json!({"action": "dance"}))
            .await,
        200
    );
    let mut raw = fixture("ws-message.json");
    raw["requestContext"]["connectionId"] = "c-s1".into();
    raw["requestContext"]["routeKey"] = "$default".into();
    raw["body"] = "not json".into();
    harness
        .ws()
        .handle(serde_json::from_value(raw).unwrap())
        .await;
    let sync = json!({"action": "sync", "since": "2020-01-01T00:00:00.000000Z"});
    assert_eq!(harness.frame("c-s1", "sync", &sync).await, 200);
    let typing = json!({"action": "typing", "conversationId": "s2+t2"});
    assert_eq!(harness.frame("c-s1", "typing", &typing).await, 200);

    let frames = harness.fake.frames_to("c-s1");
    assert_eq!(frames[0], json!({"type": "pong"}));
    assert_eq!(frames[1]["type"], "error");
    assert_eq!(frames[1]["code"], "unknown_action");
    assert_eq!(frames[2]["code"], "invalid_json");
    // sync: nothing to replay and nobody online, so no frame; typing elsewhere: refused.
    assert_eq!(frames[3]["type"], "error");
    assert_eq!(frames[3]["code"], "forbidden", "{}", frames[3]);
    assert_eq!(frames.len(), 4, "{frames:?}");
}

#[tokio::test]
async fn frames_on_unknown_connections_are_refused() {
    let harness = Harness::start().await;
    assert_eq!(
        harness
            .frame("nobody", "ping", &json!({"action": "ping"}))
            .await,
        200
    );
    let frames = harness.fake.frames_to("nobody");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["code"], "unauthorized", "{}", frames[0]);
}
