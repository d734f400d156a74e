//! The safeguarding events live, over a `graphql-transport-ws` socket served in process:
//! `messageEdited` and `messageRemoved` reach a participant and refuse a stranger as
//! `messageAdded` does (a `next` with the code, then `complete`), end with `not_linked`
//! when the pair is unlinked and with the socket (4403) when the account is disabled; and
//! `inbox` carries the edit, the removal and the pause as events of their own.

use super::school::{School, school};
use classchat_core::service::{Actor, UserChanges};
use serde_json::{Value, json};

const EDITED: &str = "subscription($c: String!) { messageEdited(conversationId: $c) {
    message { conversationId author messageBody editedAt removedAt } } }";
const REMOVED: &str = "subscription($c: String!) { messageRemoved(conversationId: $c) {
    message { conversationId author messageBody removedAt } } }";
const INBOX: &str = "subscription { inbox { __typename
    ... on MessageEditedEvent { message { messageBody editedAt } }
    ... on MessageRemovedEvent { message { messageBody removedAt } }
    ... on PauseEvent { conversationId pause { by byRole reason } } } }";

/// `author` edits their message `timestamp` of `s1+t1` to `body`, over GraphQL.
async fn edit(s: &School, author: &classchat_core::User, timestamp: &str, body: &str) {
    s.data(
        author,
        "mutation($t: String!, $b: String!) {
           editMessage(conversationId: \"s1+t1\", timestamp: $t, messageBody: $b) { editedAt } }",
        json!({"t": timestamp, "b": body}),
    )
    .await;
}

/// `author` removes their message `timestamp` of `s1+t1`, over GraphQL.
async fn remove(s: &School, author: &classchat_core::User, timestamp: &str) {
    s.data(
        author,
        "mutation($t: String!) {
           removeMessage(conversationId: \"s1+t1\", timestamp: $t) { removedAt } }",
        json!({"t": timestamp}),
    )
    .await;
}

#[tokio::test]
async fn a_participant_follows_the_edits_and_removals_of_a_conversation() {
    let s = school().await;
    let first = s.send(&s.s1, "s1+t1", "Ths is late").await;
    let second = s.send(&s.s1, "s1+t1", "Sorry").await;
    let other = s.send(&s.s2, "s2+t1", "Mine").await;
    let mut teacher = s.socket(&s.t1).await;
    // Either order names the conversation.
    teacher
        .subscribe("edited", EDITED, json!({"c": "t1+s1"}))
        .await;
    teacher
        .subscribe("removed", REMOVED, json!({"c": "s1+t1"}))
        .await;
    teacher.settle().await;

    // Another conversation's edit, and this one's new messages, are not theirs.
    s.data(
        &s.s2,
        "mutation($t: String!) { editMessage(conversationId: \"s2+t1\", timestamp: $t,
           messageBody: \"Mine, edited\") { editedAt } }",
        json!({"t": other}),
    )
    .await;
    s.send(&s.s1, "s1+t1", "Another one").await;
    edit(&s, &s.s1, &first, "This is late").await;
    let next = teacher.next().await;
    assert_eq!(next["id"], "edited", "{next}");
    let edited = &next["payload"]["data"]["messageEdited"]["message"];
    assert_eq!(edited["conversationId"], "s1+t1");
    assert_eq!(edited["author"], "s1");
    assert_eq!(edited["messageBody"], "This is late");
    assert!(edited["editedAt"].is_string(), "{edited}");
    assert_eq!(edited["removedAt"], Value::Null);

    remove(&s, &s.s1, &second).await;
    let next = teacher.next().await;
    assert_eq!(next["id"], "removed", "{next}");
    assert_eq!(
        next["payload"]["data"]["messageRemoved"]["message"]["messageBody"],
        ""
    );
    assert!(next["payload"]["data"]["messageRemoved"]["message"]["removedAt"].is_string());
}

#[tokio::test]
async fn a_stranger_is_refused_the_edits_and_removals_with_forbidden() {
    let s = school().await;
    let mut stranger = s.socket(&s.s2).await;
    for (id, query) in [("edited", EDITED), ("removed", REMOVED)] {
        stranger.subscribe(id, query, json!({"c": "s1+t1"})).await;
        // As `messageAdded`: the refusal as the operation's one result, then its end.
        let refused = stranger.next().await;
        assert_eq!(refused["id"], id, "{refused}");
        assert_eq!(refused["type"], "next");
        assert_eq!(refused["payload"]["data"], Value::Null);
        assert_eq!(
            refused["payload"]["errors"][0]["extensions"]["code"],
            "forbidden"
        );
        assert_eq!(stranger.next().await, json!({"id": id, "type": "complete"}));
    }
    // An admin reads any conversation but follows none live.
    let mut admin = s.socket(&s.admin).await;
    admin
        .subscribe("edited", EDITED, json!({"c": "s1+t1"}))
        .await;
    let refused = admin.next().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "forbidden"
    );
}

#[tokio::test]
async fn unlinking_ends_the_edits_and_removals_with_not_linked() {
    let s = school().await;
    let mut student = s.socket(&s.s1).await;
    student
        .subscribe("edited", EDITED, json!({"c": "s1+t1"}))
        .await;
    student
        .subscribe("removed", REMOVED, json!({"c": "s1+t1"}))
        .await;
    student.settle().await;
    s.service
        .remove_link(Actor::Operator, "t1", "s1")
        .await
        .unwrap();
    let mut ended = Vec::new();
    for _ in 0..4 {
        let frame = student.next().await;
        let id = frame["id"].as_str().unwrap().to_owned();
        match frame["type"].as_str() {
            Some("next") => {
                let code = &frame["payload"]["errors"][0]["extensions"]["code"];
                assert_eq!(code, "not_linked", "{frame}");
            }
            Some("complete") => ended.push(id),
            _ => panic!("{frame}"),
        }
    }
    ended.sort();
    assert_eq!(ended, ["edited", "removed"]);
}

#[tokio::test]
async fn disabling_the_subscriber_closes_the_socket_with_4403() {
    let s = school().await;
    let mut student = s.socket(&s.s1).await;
    student
        .subscribe("edited", EDITED, json!({"c": "s1+t1"}))
        .await;
    student.settle().await;
    let disable = UserChanges {
        disabled: Some(true),
        ..UserChanges::default()
    };
    s.service
        .update_user(Actor::Operator, "s1", disable)
        .await
        .unwrap();
    let close = student.next().await;
    assert_eq!(close["close"], 4403, "{close}");
    assert!(
        close["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("disabled")),
        "{close}"
    );
}

#[tokio::test]
async fn the_inbox_carries_edits_removals_and_pauses_as_their_own_events() {
    let s = school().await;
    let sent = s.send(&s.t1, "s1+t1", "Homework: page 12").await;
    let mut student = s.socket(&s.s1).await;
    student.subscribe("inbox", INBOX, json!({})).await;
    student.settle().await;

    edit(&s, &s.t1, &sent, "Homework: page 14").await;
    let event = student.next().await["payload"]["data"]["inbox"].clone();
    assert_eq!(event["__typename"], "MessageEditedEvent");
    assert_eq!(event["message"]["messageBody"], "Homework: page 14");
    assert!(event["message"]["editedAt"].is_string());

    remove(&s, &s.t1, &sent).await;
    let event = student.next().await["payload"]["data"]["inbox"].clone();
    assert_eq!(event["__typename"], "MessageRemovedEvent");
    assert_eq!(event["message"]["messageBody"], "");
    assert!(event["message"]["removedAt"].is_string());

    s.data(
        &s.t1,
        "mutation { pauseConversation(conversationId: \"s1+t1\", reason: \"A break\") { at } }",
        json!({}),
    )
    .await;
    let event = student.next().await["payload"]["data"]["inbox"].clone();
    assert_eq!(
        event,
        json!({
            "__typename": "PauseEvent",
            "conversationId": "s1+t1",
            "pause": {"by": "t1", "byRole": "teacher", "reason": "A break"},
        })
    );
    s.data(
        &s.t1,
        "mutation { resumeConversation(conversationId: \"s1+t1\") }",
        json!({}),
    )
    .await;
    let event = student.next().await["payload"]["data"]["inbox"].clone();
    assert_eq!(
        event,
        json!({"__typename": "PauseEvent", "conversationId": "s1+t1", "pause": null})
    );
}
