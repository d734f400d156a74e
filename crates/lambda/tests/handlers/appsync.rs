//! The AppSync functions invoked in-process with the events of `appsync/README.md`: the
//! authorizer, the Lambda data source (every field through classchat's own GraphQL schema,
//! refusals as answers), and the backend's signed publish and invalidation calls, received
//! by a loopback stand-in of the AppSync endpoint.

use crate::common::{Harness, SECRET};
use classchat_core::service::{Actor, UserChanges};
use classchat_lambda::appsync::{Authorizer, AuthorizerRequest, Resolver};
use classchat_server::auth::Tokens;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn authorizer(harness: &Harness) -> Authorizer {
    Authorizer::new(
        Arc::clone(&harness.deployment.service),
        Tokens::new(SECRET.as_bytes(), Duration::from_secs(600)),
    )
}

fn request(token: &str) -> AuthorizerRequest {
    serde_json::from_value(json!({
        "authorizationToken": token,
        "requestContext": {"apiId": "api", "accountId": "1", "requestId": "r", "queryString": "", "operationName": "", "variables": {}},
        "requestHeaders": {},
    }))
    .unwrap()
}

/// Disables `user`'s account, as an admin would.
async fn disable(harness: &Harness, user: &str) {
    let changes = UserChanges {
        disabled: Some(true),
        ..UserChanges::default()
    };
    harness
        .deployment
        .service
        .update_user(Actor::Operator, user, changes)
        .await
        .unwrap();
}

/// A data-source event of `field` for `user` (token version 0, as seeded).
pub(crate) fn event(field: &str, user: &str, arguments: Value) -> Value {
    json!({
        "field": field,
        "arguments": arguments,
        "identity": {"resolverContext": {"userId": user, "role": "x", "tokenVersion": "0", "expiresAt": "2099-01-01T00:00:00Z"}},
    })
}

#[tokio::test]
async fn the_authorizer_vouches_for_a_good_token_and_refuses_the_rest() {
    let harness = Harness::start().await;
    let authorizer = authorizer(&harness);
    let token = harness.token("s1").await;

    for given in [
        token.clone(),
        format!("Bearer {token}"),
        format!("bearer  {token}"),
    ] {
        let answer = serde_json::to_value(authorizer.authorize(&request(&given)).await).unwrap();
        assert_eq!(answer["isAuthorized"], true, "{given}");
        assert_eq!(answer["ttlOverride"], 0);
        let context = &answer["resolverContext"];
        assert_eq!(context["userId"], "s1");
        assert_eq!(context["role"], "student");
        assert_eq!(context["tokenVersion"], "0");
        let expires = context["expiresAt"].as_str().unwrap();
        assert_eq!(expires.len(), "2026-01-01T12:00:00Z".len(), "{expires}");
        assert!(
            expires.ends_with('Z') && expires.as_bytes()[10] == b'T',
            "{expires}"
        );
    }
    let refused = json!({"isAuthorized": false, "ttlOverride": 0});
    for bad in ["", "nonsense", "Bearer a.b.c"] {
        let answer = serde_json::to_value(authorizer.authorize(&request(bad)).await).unwrap();
        assert_eq!(answer, refused, "{bad}");
    }
    // A disabled account's token stops at once.
    disable(&harness, "s1").await;
    let answer = serde_json::to_value(authorizer.authorize(&request(&token)).await).unwrap();
    assert_eq!(answer, refused);
}

#[tokio::test]
async fn the_data_source_runs_each_field_with_the_servers_rules_and_codes() {
    let harness = Harness::start().await;
    let resolver = Resolver::for_deployment(&harness.deployment);

    let me = resolver.resolve(event("Query.me", "s1", json!({}))).await;
    assert_eq!(
        me,
        json!({"data": {
            "userId": "s1",
            "displayName": "Student One",
            "role": "STUDENT",
            "familyCanRead": false,
        }})
    );
    let sent = resolver
        .resolve(event(
            "Mutation.sendMessage",
            "s1",
            json!({"input": {"conversationId": "t1+s1", "messageBody": "hello", "clientMessageId": "c-1"}}),
        ))
        .await;
    assert_eq!(sent["data"]["conversationId"], "s1+t1", "{sent}");
    assert_eq!(sent["data"]["clientMessageId"], "c-1");
    let page = resolver
        .resolve(event(
            "Query.conversation",
            "t1",
            json!({"id": "s1+t1", "last": 5}),
        ))
        .await;
    assert_eq!(
        page["data"]["messages"][0]["messageBody"], "hello",
        "{page}"
    );
    assert_eq!(page["data"]["unreadCount"], 1);
    let teachers = resolver
        .resolve(event("Query.teachers", "s1", json!({"userName": null})))
        .await;
    assert_eq!(teachers["data"][0]["peer"]["userId"], "t1", "{teachers}");

    // Refusals are answers with the REST codes, never function errors.
    let forbidden = resolver
        .resolve(event("Query.conversation", "s2", json!({"id": "s1+t1"})))
        .await;
    assert_eq!(forbidden["error"]["code"], "forbidden", "{forbidden}");
    let admin_only = resolver
        .resolve(event("Query.links", "s1", json!({})))
        .await;
    assert_eq!(admin_only["error"]["code"], "forbidden", "{admin_only}");
    let empty = resolver
        .resolve(event(
            "Mutation.sendMessage",
            "s1",
            json!({"input": {"conversationId": "s1+t1", "messageBody": "  "}}),
        ))
        .await;
    assert_eq!(empty["error"]["code"], "invalid_message_body", "{empty}");
    let foreign = resolver
        .resolve(event(
            "Mutation.sendMessage",
            "s2",
            json!({"input": {"conversationId": "s1+t1", "messageBody": "not mine"}}),
        ))
        .await;
    assert_eq!(foreign["error"]["code"], "forbidden", "{foreign}");
    // Nothing refused was stored.
    let page = resolver
        .resolve(event("Query.conversation", "t1", json!({"id": "s1+t1"})))
        .await;
    let bodies: Vec<&Value> = page["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| &message["messageBody"])
        .collect();
    assert_eq!(bodies, [&json!("hello")]);
    let unknown = resolver
        .resolve(event("Query.nothing", "s1", json!({})))
        .await;
    assert_eq!(unknown["error"]["code"], "invalid_request");
    let garbage = resolver.resolve(json!({"field": 3})).await;
    assert_eq!(garbage["error"]["code"], "invalid_request");
    // A token version that moved on (a password change, a sign-out) stops here too.
    let stale = resolver
        .resolve(json!({"field": "Query.me", "identity": {"resolverContext": {"userId": "s1", "tokenVersion": "7"}}}))
        .await;
    assert_eq!(stale["error"]["code"], "unauthorized", "{stale}");

    // The start of a messageAdded subscription: participants only, the canonical id.
    let follow = resolver
        .resolve(event(
            "Subscription.messageAdded",
            "t1",
            json!({"conversationId": "t1+s1"}),
        ))
        .await;
    assert_eq!(follow, json!({"data": {"conversationId": "s1+t1"}}));
    let stranger = resolver
        .resolve(event(
            "Subscription.messageAdded",
            "s2",
            json!({"conversationId": "s1+t1"}),
        ))
        .await;
    assert_eq!(stranger["error"]["code"], "forbidden", "{stranger}");
}

#[tokio::test]
async fn sends_revocations_and_unlinks_reach_appsync_signed() {
    let harness = Harness::start().await;
    let resolver = Resolver::for_deployment(&harness.deployment);
    harness.fake.clear();

    let sent = resolver
        .resolve(event(
            "Mutation.sendMessage",
            "s1",
            json!({"input": {"conversationId": "s1+t1", "messageBody": "hello"}}),
        ))
        .await;
    let message = &sent["data"];
    let calls = harness.fake.appsync_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let (publish, inbox) = if calls[0].0 == "PublishMessage" {
        (&calls[0], &calls[1])
    } else {
        (&calls[1], &calls[0])
    };
    assert_eq!(publish.0, "PublishMessage");
    assert_eq!(publish.1["input"]["messageId"], message["messageId"]);
    assert_eq!(publish.1["input"]["clientMessageId"], Value::Null);
    assert_eq!(inbox.0, "PublishInboxEvent");
    assert_eq!(inbox.1["input"]["recipients"], json!(["s1", "t1"]));
    assert_eq!(inbox.1["input"]["message"]["messageBody"], "hello");
    for (authorization, _) in harness.fake.appsync.lock().unwrap().iter() {
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=test/")
                && authorization.contains("/us-east-1/appsync/aws4_request"),
            "{authorization}"
        );
    }

    harness.fake.clear();
    harness
        .deployment
        .service
        .remove_link(Actor::Operator, "t1", "s1")
        .await
        .unwrap();
    let calls = harness.fake.appsync_calls();
    let names: Vec<&str> = calls.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["PublishInboxEvent", "EndLink"]);
    assert_eq!(
        calls[0].1["input"]["link"],
        json!({"conversationId": "s1+t1", "linked": false})
    );
    assert_eq!(calls[1].1, json!({"conversationId": "s1+t1"}));

    harness.fake.clear();
    disable(&harness, "s2").await;
    assert_eq!(
        harness.fake.appsync_calls(),
        [(
            "EndUserSessions".to_owned(),
            json!({"userId": "s2", "reason": "account_disabled"})
        )]
    );
}
