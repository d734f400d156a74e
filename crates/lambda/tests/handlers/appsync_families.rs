//! Families on AppSync: the data source answers the family fields of the contact lists and
//! `familyCanRead`, and a `guardian+teacher` conversation is followed, published and ended
//! exactly like a `student+teacher` one, since AppSync's filters compare the canonical
//! conversation id and the delivery's recipients, never a role. An overseeing guardian
//! reads a child's conversation but never follows it.

use crate::appsync::event;
use crate::common::{Harness, PASSWORD};
use classchat_core::service::{Actor, NewUser};
use classchat_core::settings::SettingsPatch;
use classchat_lambda::appsync::Resolver;
use serde_json::json;

/// The seeded school, with `g1`, the guardian of `s1` (taught by `t1`), and oversight on.
async fn with_a_family() -> Harness {
    let harness = Harness::start().await;
    let service = &harness.deployment.service;
    let guardian = NewUser {
        user_id: "g1",
        display_name: "Guardian One",
        role: "guardian",
        password: PASSWORD,
    };
    service
        .create_user(Actor::Operator, guardian)
        .await
        .unwrap();
    service
        .add_guardian(Actor::Operator, "g1", "s1")
        .await
        .unwrap();
    let oversight = SettingsPatch {
        guardian_oversight: Some(true),
        ..SettingsPatch::default()
    };
    service
        .update_settings(Actor::Operator, oversight)
        .await
        .unwrap();
    harness
}

#[tokio::test]
async fn the_data_source_answers_the_family_fields() {
    let harness = with_a_family().await;
    let resolver = Resolver::for_deployment(&harness.deployment);

    let teachers = resolver
        .resolve(event("Query.teachers", "g1", json!({})))
        .await;
    let line = &teachers["data"][0];
    assert_eq!(line["conversationId"], "g1+t1", "{teachers}");
    assert_eq!(
        line["children"],
        json!([{"userId": "s1", "displayName": "Student One", "role": "STUDENT"}])
    );
    let students = resolver
        .resolve(event("Query.students", "t1", json!({})))
        .await;
    assert_eq!(
        students["data"][0]["guardians"],
        json!([{
            "peer": {"userId": "g1", "displayName": "Guardian One", "role": "GUARDIAN"},
            "conversationId": "g1+t1",
        }]),
        "{students}"
    );
    let me = resolver.resolve(event("Query.me", "s1", json!({}))).await;
    assert_eq!(me["data"]["familyCanRead"], true, "{me}");
}

#[tokio::test]
async fn a_guardian_conversation_is_followed_published_and_ended_like_any_other() {
    let harness = with_a_family().await;
    let resolver = Resolver::for_deployment(&harness.deployment);

    // Both participants follow it, under its canonical id (what the filter compares).
    for (user, named) in [("g1", "t1+g1"), ("t1", "g1+t1")] {
        let follow = resolver
            .resolve(event(
                "Subscription.messageAdded",
                user,
                json!({"conversationId": named}),
            ))
            .await;
        assert_eq!(follow, json!({"data": {"conversationId": "g1+t1"}}));
    }
    // Oversight lets the guardian read the child's conversation, not follow it live.
    let read = resolver
        .resolve(event("Query.conversation", "g1", json!({"id": "s1+t1"})))
        .await;
    assert_eq!(read["data"]["id"], "s1+t1", "{read}");
    let follow = resolver
        .resolve(event(
            "Subscription.messageAdded",
            "g1",
            json!({"conversationId": "s1+t1"}),
        ))
        .await;
    assert_eq!(follow["error"]["code"], "forbidden", "{follow}");

    harness.fake.clear();
    let sent = resolver
        .resolve(event(
            "Mutation.sendMessage",
            "g1",
            json!({"input": {"conversationId": "t1+g1", "messageBody": "Hello from home"}}),
        ))
        .await;
    assert_eq!(sent["data"]["conversationId"], "g1+t1", "{sent}");
    let calls = harness.fake.appsync_calls();
    let published = |name: &str| {
        calls
            .iter()
            .find(|(called, _)| called == name)
            .map(|(_, variables)| variables["input"].clone())
            .unwrap_or_else(|| panic!("no {name} in {calls:?}"))
    };
    assert_eq!(published("PublishMessage")["conversationId"], "g1+t1");
    assert_eq!(
        published("PublishInboxEvent")["recipients"],
        json!(["g1", "t1"])
    );

    // The last child connecting them goes: the conversation's subscriptions end.
    harness.fake.clear();
    harness
        .deployment
        .service
        .remove_guardian(Actor::Operator, "g1", "s1")
        .await
        .unwrap();
    let calls = harness.fake.appsync_calls();
    let names: Vec<&str> = calls.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["PublishInboxEvent", "EndLink"]);
    assert_eq!(
        calls[0].1["input"],
        json!({"recipients": ["g1", "t1"], "link": {"conversationId": "g1+t1", "linked": false}})
    );
    assert_eq!(calls[1].1, json!({"conversationId": "g1+t1"}));
}
