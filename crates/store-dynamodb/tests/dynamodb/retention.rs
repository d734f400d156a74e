//! Retention and legal holds on DynamoDB, where the conformance suite cannot look: a
//! deletion step stays within one transaction's 100 actions however many versions and
//! dedup items its messages have (a message with more versions than that goes over
//! several steps), a dedup item that names a newer message (its clientMessageId used
//! again after the item lapsed) stays, a copy of a class announcement goes with its record
//! of the copy (so a retry of the announcement makes a new one), two nodes deleting one
//! conversation at once delete each message once, and holds are items of the `#holds`
//! partition.

use crate::fixtures::{append, create_user, linked_conversation, message};
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::message::NewMessage;
use classchat_core::roster::SourcedId;
use classchat_core::store::{Appended, Deletion, Hold, HoldTarget, Link, NewAnnouncement, Store};
use classchat_core::user::Role;
use classchat_core::{ClientMessageId, ConversationId, Message, MessageId, Timestamp, UserId};
use classchat_store_dynamodb::{DynamoStore, testing};
use std::collections::HashMap;
use std::sync::Arc;

fn at(micros: i64) -> Timestamp {
    Timestamp::parse("2026-01-01T00:00:00Z")
        .unwrap()
        .plus_micros(micros)
}

/// Appends a message that must be new.
async fn send(
    store: &dyn Store,
    conversation: &ConversationId,
    author: &UserId,
    micros: i64,
    client_id: Option<&str>,
) -> Message {
    let new = message(
        conversation,
        author,
        at(micros),
        "to be kept 30 days",
        client_id,
    );
    match append(store, &new).await.unwrap() {
        Appended::Created(message) => message,
        other => panic!("the append must create a message, got {other:?}"),
    }
}

/// Every item of a UserInfo partition.
async fn partition(store: &DynamoStore, key: &str) -> Vec<HashMap<String, AttributeValue>> {
    store
        .client()
        .query()
        .table_name(&store.tables().user_info)
        .consistent_read(true)
        .key_condition_expression("userId = :p")
        .expression_attribute_values(":p", AttributeValue::S(key.to_owned()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
}

/// Writes `count` earlier versions of `message` straight into its conversation's
/// partition, as that many edits would have left them.
async fn put_versions(store: &DynamoStore, message: &Message, count: i64) {
    for index in 0..count {
        let written = message.timestamp.plus_micros(index + 1);
        let item = HashMap::from([
            (
                "userId".to_owned(),
                AttributeValue::S(format!("#conv#{}", message.conversation_id)),
            ),
            (
                "sk".to_owned(),
                AttributeValue::S(format!("version#{}#{written}", message.timestamp)),
            ),
            ("messageBody".to_owned(), AttributeValue::S("before".into())),
            (
                "writtenAt".to_owned(),
                AttributeValue::S(written.to_string()),
            ),
        ]);
        store
            .client()
            .put_item()
            .table_name(&store.tables().user_info)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_step_stays_within_one_transaction_whatever_its_messages_keep() {
    let store = testing::fresh_store().await;
    let conversation = linked_conversation(&store, "s", "t").await;
    let student = conversation.member().clone();
    // The oldest message has 120 versions, more than one transaction can delete; the 29
    // after it have a clientMessageId and three versions each: five actions apiece.
    let mut messages = Vec::new();
    for index in 0..30_i64 {
        let client_id = format!("c-{index}");
        messages.push(
            send(
                &store,
                &conversation,
                &student,
                index * 1_000,
                Some(&client_id),
            )
            .await,
        );
    }
    put_versions(&store, &messages[0], 120).await;
    for message in &messages[1..] {
        put_versions(&store, message, 3).await;
    }
    let last = messages[29].timestamp;

    let mut steps = Vec::new();
    loop {
        let step = store
            .delete_conversation(&conversation, last, 100)
            .await
            .unwrap();
        steps.push(step);
        if step.finished {
            break;
        }
        assert!(steps.len() < 10, "the deletion must finish: {steps:?}");
    }
    let deletion = |messages, finished| Deletion { messages, finished };
    assert_eq!(
        steps,
        vec![
            // 100 of the first message's versions, and no message.
            deletion(0, false),
            // The first message with its last 20 versions and its dedup item (22 actions),
            // then 15 messages of five actions.
            deletion(16, false),
            deletion(14, true),
        ],
        "each step deletes what fits in 100 actions, oldest first"
    );
    assert!(
        partition(&store, &format!("#conv#{conversation}"))
            .await
            .is_empty(),
        "every version went with its message"
    );
    let dedup_left = partition(&store, student.as_str())
        .await
        .into_iter()
        .filter(|item| matches!(&item["sk"], AttributeValue::S(sk) if sk.starts_with("cmid#")))
        .count();
    assert_eq!(dedup_left, 0, "every dedup item went with its message");
}

#[tokio::test]
async fn a_dedup_item_naming_a_newer_message_stays() {
    let store = testing::fresh_store().await;
    let doomed = linked_conversation(&store, "s", "t").await;
    let student = doomed.member().clone();
    let other_teacher = create_user(&store, "t2", Role::Teacher).await;
    let other = ConversationId::new(student.clone(), other_teacher);
    store.add_link(&Link::of(&other)).await.unwrap();
    let old = send(&store, &doomed, &student, 0, Some("again")).await;
    // The dedup item lapses (TTL, 30 days on), and the student uses the id again.
    store
        .client()
        .delete_item()
        .table_name(&store.tables().user_info)
        .key("userId", AttributeValue::S(student.to_string()))
        .key("sk", AttributeValue::S("cmid#again".into()))
        .send()
        .await
        .unwrap();
    let newer = send(&store, &other, &student, 1_000, Some("again")).await;

    let step = store
        .delete_conversation(&doomed, old.timestamp, 10)
        .await
        .unwrap();
    assert_eq!(
        step,
        Deletion {
            messages: 1,
            finished: true
        }
    );
    let retry = message(
        &other,
        &student,
        at(2_000),
        "to be kept 30 days",
        Some("again"),
    );
    assert_eq!(
        append(&store, &retry).await.unwrap(),
        Appended::Existing(newer),
        "the newer message's dedup item stays, and answers its retries"
    );
}

#[tokio::test]
async fn an_announcements_copy_goes_with_its_record_and_a_retry_makes_it_again() {
    let store = testing::fresh_store().await;
    let doomed = linked_conversation(&store, "s1", "t").await;
    let teacher = doomed.teacher().clone();
    let student = create_user(&store, "s2", Role::Student).await;
    let other = ConversationId::new(student, teacher.clone());
    store.add_link(&Link::of(&other)).await.unwrap();
    let id = MessageId::generate();
    let announcement = NewAnnouncement {
        id,
        class_id: SourcedId::parse("class-1").unwrap(),
        author: teacher.clone(),
        client_message_id: ClientMessageId::parse("trip").unwrap(),
        messages: [&doomed, &other]
            .into_iter()
            .map(|conversation| NewMessage {
                announcement_id: Some(id),
                ..message(conversation, &teacher, at(0), "Trip on Monday", None)
            })
            .collect(),
    };
    let first = store.append_announcement(&announcement).await.unwrap();
    assert_eq!(first.created.len(), 2);

    let step = store
        .delete_conversation(&doomed, at(1_000_000), 10)
        .await
        .unwrap();
    assert_eq!(
        step,
        Deletion {
            messages: 1,
            finished: true
        }
    );
    let copies_left: Vec<String> = partition(&store, teacher.as_str())
        .await
        .into_iter()
        .filter_map(|item| match &item["sk"] {
            AttributeValue::S(sk) if sk.starts_with("annc#") => Some(sk.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        copies_left,
        vec![format!("annc#{id}#{other}")],
        "the deleted copy's item went with it; the other stays"
    );
    let retry = store.append_announcement(&announcement).await.unwrap();
    assert_eq!(retry.existing, vec![first.created[1].clone()]);
    assert_eq!(
        retry.created.len(),
        1,
        "the retry copies it again where it was deleted"
    );
    assert_eq!(retry.created[0].conversation_id, doomed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deleting_one_conversation_delete_each_message_once() {
    let prefix = testing::fresh_prefix();
    let nodes = [
        Arc::new(testing::store_with_prefix(&prefix).await),
        Arc::new(testing::store_with_prefix(&prefix).await),
    ];
    let conversation = linked_conversation(&*nodes[0], "s", "t").await;
    let (student, teacher) = (
        conversation.member().clone(),
        conversation.teacher().clone(),
    );
    let mut last = Timestamp::MIN;
    for index in 0..40_i64 {
        let author = if index % 2 == 0 { &student } else { &teacher };
        let client_id = format!("c-{index}");
        last = send(&*nodes[0], &conversation, author, index, Some(&client_id))
            .await
            .timestamp;
    }
    let tasks: Vec<_> = nodes
        .iter()
        .map(|node| {
            let node = Arc::clone(node);
            let conversation = conversation.clone();
            tokio::spawn(async move {
                let mut deleted = 0;
                loop {
                    let step = node
                        .delete_conversation(&conversation, last, 7)
                        .await
                        .unwrap();
                    deleted += step.messages;
                    if step.finished {
                        return deleted;
                    }
                }
            })
        })
        .collect();
    let mut deleted = 0;
    for task in tasks {
        deleted += task.await.unwrap();
    }
    assert_eq!(deleted, 40, "each message is deleted, and counted, once");
    assert!(!nodes[1].has_messages(&conversation).await.unwrap());
    assert!(
        nodes[1]
            .active_conversations(&student)
            .await
            .unwrap()
            .is_empty()
    );
    // Either node appends again, whatever its append lock remembers.
    for (node, (micros, client_id)) in nodes.iter().zip([(100, "c-0"), (200, "c-1")]) {
        send(&**node, &conversation, &student, micros, Some(client_id)).await;
    }
}

#[tokio::test]
async fn holds_are_items_of_the_holds_partition() {
    let store = testing::fresh_store().await;
    let student = create_user(&store, "s", Role::Student).await;
    let hold = Hold {
        target: HoldTarget::User(student.clone()),
        by: "cli".to_owned(),
        at: at(0),
        reason: Some("case 1".to_owned()),
    };
    assert!(store.put_hold(&hold).await.unwrap());
    let items = partition(&store, "#holds").await;
    assert_eq!(items.len(), 1);
    let attributes: HashMap<&str, &AttributeValue> = items[0]
        .iter()
        .map(|(name, value)| (name.as_str(), value))
        .collect();
    let s = |text: &str| AttributeValue::S(text.to_owned());
    let expected = [
        ("userId", s("#holds")),
        ("sk", s(&format!("user:{student}"))),
        ("by", s("cli")),
        ("at", s(&at(0).to_string())),
        ("reason", s("case 1")),
    ];
    assert_eq!(attributes.len(), expected.len());
    for (name, value) in &expected {
        assert_eq!(attributes[name], value, "{name}");
    }
}
