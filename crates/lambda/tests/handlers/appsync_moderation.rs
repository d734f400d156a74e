//! The safeguarding fields through the AppSync data source, and what they publish: an edit
//! and a removal reach `messageEdited`/`messageRemoved` and `inbox` as events of their own
//! (the removal without its text), a pause reaches `inbox`; the subscriptions to one
//! conversation start for its participants only, like `messageAdded`.

use crate::appsync::event;
use crate::common::Harness;
use classchat_lambda::appsync::Resolver;
use serde_json::{Value, json};

/// The two calls an edit or a removal makes, the subscription's publish first (they run
/// side by side, so in either order).
fn pair(calls: &[(String, Value)], publish: &str) -> (Value, Value) {
    assert_eq!(calls.len(), 2, "{calls:?}");
    let (ours, inbox) = if calls[0].0 == publish {
        (&calls[0], &calls[1])
    } else {
        (&calls[1], &calls[0])
    };
    assert_eq!(ours.0, publish, "{calls:?}");
    assert_eq!(inbox.0, "PublishInboxEvent", "{calls:?}");
    (ours.1.clone(), inbox.1.clone())
}

#[tokio::test]
async fn edits_removals_and_pauses_run_on_the_data_source_and_reach_appsync() {
    let harness = Harness::start().await;
    let resolver = Resolver::for_deployment(&harness.deployment);
    let sent = resolver
        .resolve(event(
            "Mutation.sendMessage",
            "s1",
            json!({"input": {"conversationId": "s1+t1", "messageBody": "helo"}}),
        ))
        .await;
    let timestamp = sent["data"]["timestamp"].clone();
    harness.fake.clear();

    let edited = resolver
        .resolve(event(
            "Mutation.editMessage",
            "s1",
            json!({"conversationId": "t1+s1", "timestamp": timestamp, "messageBody": "hello"}),
        ))
        .await;
    assert_eq!(edited["data"]["messageBody"], "hello", "{edited}");
    assert!(edited["data"]["editedAt"].is_string(), "{edited}");
    let (publish, inbox) = pair(&harness.fake.appsync_calls(), "PublishMessageEdited");
    assert_eq!(publish["input"], edited["data"]);
    assert_eq!(inbox["input"]["recipients"], json!(["s1", "t1"]));
    assert_eq!(inbox["input"]["messageEdited"], edited["data"]);
    assert!(inbox["input"].get("message").is_none(), "{inbox}");

    // Only the author edits: a refusal is an answer with the REST code.
    harness.fake.clear();
    let theirs = resolver
        .resolve(event(
            "Mutation.editMessage",
            "t1",
            json!({"conversationId": "s1+t1", "timestamp": timestamp, "messageBody": "mine now"}),
        ))
        .await;
    assert_eq!(theirs["error"]["code"], "forbidden", "{theirs}");
    assert_eq!(harness.fake.appsync_calls(), []);

    let removed = resolver
        .resolve(event(
            "Mutation.removeMessage",
            "s1",
            json!({"conversationId": "s1+t1", "timestamp": timestamp}),
        ))
        .await;
    assert_eq!(removed["data"]["messageBody"], "", "{removed}");
    let (publish, inbox) = pair(&harness.fake.appsync_calls(), "PublishMessageRemoved");
    assert_eq!(publish["input"]["messageBody"], "");
    assert_eq!(publish["input"]["removedAt"], removed["data"]["removedAt"]);
    assert_eq!(inbox["input"]["messageRemoved"], removed["data"]);

    harness.fake.clear();
    let paused = resolver
        .resolve(event(
            "Mutation.pauseConversation",
            "t1",
            json!({"conversationId": "s1+t1", "reason": "A break"}),
        ))
        .await;
    assert_eq!(paused["data"]["byRole"], "teacher", "{paused}");
    let calls = harness.fake.appsync_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0].1["input"]["pause"],
        json!({"conversationId": "s1+t1", "pause": paused["data"]})
    );
    let refused = resolver
        .resolve(event(
            "Mutation.sendMessage",
            "s1",
            json!({"input": {"conversationId": "s1+t1", "messageBody": "may I?"}}),
        ))
        .await;
    assert_eq!(refused["error"]["code"], "conversation_paused", "{refused}");
    let resumed = resolver
        .resolve(event(
            "Mutation.resumeConversation",
            "t1",
            json!({"conversationId": "s1+t1"}),
        ))
        .await;
    assert_eq!(resumed, json!({"data": true}));

    let reported = resolver
        .resolve(event(
            "Mutation.reportMessage",
            "t1",
            json!({"conversationId": "s1+t1", "timestamp": timestamp, "reason": "other"}),
        ))
        .await;
    assert_eq!(reported["data"]["status"], "received", "{reported}");
}

#[tokio::test]
async fn the_edits_and_removals_of_a_conversation_are_followed_by_its_participants_only() {
    let harness = Harness::start().await;
    let resolver = Resolver::for_deployment(&harness.deployment);
    for field in ["Subscription.messageEdited", "Subscription.messageRemoved"] {
        let follow = resolver
            .resolve(event(field, "t1", json!({"conversationId": "t1+s1"})))
            .await;
        assert_eq!(
            follow,
            json!({"data": {"conversationId": "s1+t1"}}),
            "{field}"
        );
        let stranger = resolver
            .resolve(event(field, "s2", json!({"conversationId": "s1+t1"})))
            .await;
        assert_eq!(
            stranger["error"]["code"], "forbidden",
            "{field}: {stranger}"
        );
    }
}
