//! The WebSocket function in-process: `$connect`, `$disconnect` and message events as API
//! Gateway sends them, on the DynamoDB emulator, replies read from the fake Management API.

use crate::common::{Harness, fixture};
use aws_sdk_dynamodb::types::AttributeValue;
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
        .connection_item("CVshEdk9IAMCJ8A=")
        .await
        .expect("stored");
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

/// Every refusal has the one error shape of every transport, `{"error":{"code","message"}}`.
#[tokio::test]
async fn refusals_carry_a_code_and_a_message() {
    let harness = Harness::start().await;
    let body_of = |response: aws_lambda_events::apigw::ApiGatewayProxyResponse| {
        let Some(aws_lambda_events::encodings::Body::Text(text)) = response.body else {
            panic!("no text body");
        };
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let mut forged = fixture("ws-connect.json");
    forged["queryStringParameters"]["token"] = "forged".into();
    forged["multiValueQueryStringParameters"]["token"] = json!(["forged"]);
    let response = harness
        .ws()
        .handle(serde_json::from_value(forged).unwrap())
        .await;
    assert_eq!(body_of(response)["error"]["code"], "unauthorized");
    let mut anonymous = fixture("ws-connect.json");
    anonymous["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("connectionId");
    let response = harness
        .ws()
        .handle(serde_json::from_value(anonymous).unwrap())
        .await;
    assert_eq!(response.status_code, 400);
    let body = body_of(response);
    assert_eq!(body["error"]["code"], "invalid_event", "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
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

#[tokio::test]
async fn a_revoked_session_is_told_why_and_disconnected() {
    let harness = Harness::start().await;
    for connection in ["phone", "laptop"] {
        assert_eq!(harness.connect("s1", connection).await, 200);
    }
    assert_eq!(harness.connect("t1", "teacher").await, 200);
    let s1 = harness
        .deployment
        .service
        .authenticate("s1", 0)
        .await
        .unwrap();
    // Signing out (through either function: the hub is the deployment's).
    harness.deployment.service.logout(&s1).await.unwrap();
    let mut deleted = harness.fake.deleted.lock().unwrap().clone();
    deleted.sort();
    assert_eq!(deleted, ["laptop", "phone"]);
    for connection in ["phone", "laptop"] {
        let frames = harness.fake.frames_to(connection);
        let last = frames.last().expect("told why");
        assert_eq!(last["type"], "error", "{last}");
        assert!(
            last["message"].as_str().unwrap().contains("signed out"),
            "{last}"
        );
    }
    let stored = harness.stored_connections().await;
    assert!(
        !stored.contains("phone") && !stored.contains("laptop"),
        "{stored:?}"
    );
    assert!(
        stored.contains("teacher"),
        "other users keep their connections"
    );
}

#[tokio::test]
async fn a_frame_on_an_expired_or_revoked_session_is_refused_and_the_connection_closed() {
    let harness = Harness::start().await;
    assert_eq!(harness.connect("s2", "expired").await, 200);
    // The token's expiry, as $connect recorded it, has passed.
    harness
        .dynamo
        .update_item()
        .table_name(&harness.connections_table)
        .key("connectionId", AttributeValue::S("expired".into()))
        .update_expression("SET expiresAt = :past")
        .expression_attribute_values(":past", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        harness
            .frame("expired", "ping", &json!({"action": "ping"}))
            .await,
        200
    );
    let reply = harness.fake.frames_to("expired");
    assert_eq!(reply.last().unwrap()["code"], "unauthorized", "{reply:?}");
    assert!(
        reply.last().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert_eq!(*harness.fake.deleted.lock().unwrap(), ["expired"]);

    // A token version that moved on without the hub hearing of it (another deployment,
    // a lost event): the next frame finds out.
    assert_eq!(harness.connect("t2", "stale").await, 200);
    harness
        .dynamo
        .update_item()
        .table_name(&harness.user_info_table)
        .key("userId", AttributeValue::S("t2".into()))
        .key("sk", AttributeValue::S("profile".into()))
        .update_expression("SET tokenVersion = :next")
        .expression_attribute_values(":next", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    harness
        .frame("stale", "ping", &json!({"action": "ping"}))
        .await;
    let reply = harness.fake.frames_to("stale");
    assert_eq!(reply.last().unwrap()["code"], "unauthorized", "{reply:?}");
    assert!(
        harness
            .fake
            .deleted
            .lock()
            .unwrap()
            .contains(&"stale".to_owned())
    );
    assert!(!harness.stored_connections().await.contains("stale"));
}
