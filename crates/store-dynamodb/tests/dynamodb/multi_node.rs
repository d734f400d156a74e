//! Several classchat nodes on one set of tables: each `DynamoStore` here has its own
//! in-process append queue, like separate processes, so only DynamoDB's conditional
//! writes and transactions keep them correct.

use crate::fixtures::{append, create_user, message};
use classchat_core::store::{Appended, Link, PageRequest, Side, Store};
use classchat_core::user::Role;
use classchat_core::{ConversationId, Message, MessageId, Timestamp, UserId};
use classchat_store_dynamodb::testing;
use std::collections::HashSet;
use std::sync::Arc;

const NODES: usize = 4;

/// `NODES` stores over the same fresh tables, and a linked pair on them.
async fn nodes() -> (Vec<Arc<dyn Store>>, UserId, UserId, ConversationId) {
    let prefix = testing::fresh_prefix();
    let mut stores: Vec<Arc<dyn Store>> = Vec::new();
    for _ in 0..NODES {
        stores.push(Arc::new(testing::store_with_prefix(&prefix).await));
    }
    let student = create_user(&*stores[0], "s", Role::Student).await;
    let teacher = create_user(&*stores[0], "t", Role::Teacher).await;
    // Linked through another node than the one that created the users.
    stores[1]
        .add_link(&Link {
            teacher: teacher.clone(),
            student: student.clone(),
        })
        .await
        .unwrap();
    let conversation = ConversationId::new(student.clone(), teacher.clone());
    (stores, student, teacher, conversation)
}

async fn read_all(store: &dyn Store, conversation: &ConversationId) -> Vec<Message> {
    store
        .read_messages(
            conversation,
            &PageRequest {
                before: None,
                after: None,
                limit: 200,
            },
        )
        .await
        .unwrap()
        .messages
}

/// Every node sends `PER_NODE` messages to one conversation, one after another, while the
/// other nodes do the same, all proposing the same instant. Only one append can have it;
/// every other node's first append, and every append whose node's idea of the newest
/// message is stale, fails its conditions and must bump past the newest committed — so
/// consecutive timestamps across the nodes prove that path, not the in-process queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_nodes_get_unique_consecutive_timestamps_and_consistent_summaries() {
    const PER_NODE: usize = 50;
    let (stores, student, teacher, conversation) = nodes().await;
    let proposed = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let tasks = stores.iter().enumerate().map(|(node, store)| {
        let store = Arc::clone(store);
        let (conversation, student, teacher) =
            (conversation.clone(), student.clone(), teacher.clone());
        tokio::spawn(async move {
            let mut sent = Vec::new();
            for i in 0..PER_NODE {
                let author = if (node + i) % 2 == 0 {
                    &student
                } else {
                    &teacher
                };
                let new = message(
                    &conversation,
                    author,
                    proposed,
                    &format!("n{node} m{i}"),
                    None,
                );
                match append(&*store, &new).await.unwrap() {
                    Appended::Created(message) => sent.push(message),
                    Appended::Existing(message) => {
                        panic!("nothing to deduplicate, got {message:?}")
                    }
                }
            }
            sent
        })
    });
    let per_node: Vec<Vec<Message>> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|task| task.unwrap())
        .collect();
    for (node, sent) in per_node.iter().enumerate() {
        assert!(
            sent.windows(2)
                .all(|pair| pair[0].timestamp < pair[1].timestamp),
            "node {node}'s messages are stamped in the order it committed them"
        );
    }
    let mut stored: Vec<Message> = per_node.into_iter().flatten().collect();
    stored.sort_by_key(|m| m.timestamp);
    let got: Vec<i64> = stored.iter().map(|m| m.timestamp.as_micros()).collect();
    let expected: Vec<i64> = (0..(NODES * PER_NODE) as i64)
        .map(|i| proposed.as_micros() + i)
        .collect();
    assert_eq!(
        got, expected,
        "unique timestamps across nodes, each the one right after the newest committed"
    );
    let ids: HashSet<MessageId> = stored.iter().map(|m| m.message_id).collect();
    assert_eq!(ids.len(), NODES * PER_NODE, "no message acknowledged twice");
    for store in &stores {
        assert_eq!(
            read_all(&**store, &conversation).await,
            stored,
            "every acknowledged message reads back once, in order, from every node"
        );
    }
    for (user, peer) in [(&student, &teacher), (&teacher, &student)] {
        for store in &stores {
            let contacts = store.active_conversations(user).await.unwrap();
            assert_eq!(
                contacts[0].last_message.as_ref(),
                stored.last(),
                "{user}'s summary holds the newest message"
            );
            let from_peer = stored.iter().filter(|m| &m.author == peer).count() as u64;
            assert_eq!(contacts[0].unread_count, from_peer, "{user}'s unread count");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_retry_on_every_node_stores_one_message() {
    let (stores, student, _teacher, conversation) = nodes().await;
    let proposed = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let tasks = stores.iter().map(|store| {
        let store = Arc::clone(store);
        let new = message(&conversation, &student, proposed, "once", Some("retry-1"));
        tokio::spawn(async move { append(&*store, &new).await })
    });
    let outcomes: Vec<Appended> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|task| task.unwrap().unwrap())
        .collect();
    let created = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Appended::Created(_)))
        .count();
    assert_eq!(created, 1, "exactly one node stores it: {outcomes:?}");
    let ids: HashSet<MessageId> = outcomes
        .iter()
        .map(|outcome| match outcome {
            Appended::Created(m) | Appended::Existing(m) => m.message_id,
        })
        .collect();
    assert_eq!(ids.len(), 1, "every node answers with the same message");
    assert_eq!(read_all(&*stores[0], &conversation).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_read_racing_new_messages_never_undercounts() {
    let (stores, student, teacher, conversation) = nodes().await;
    let start = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let writer = {
        let store = Arc::clone(&stores[0]);
        let (conversation, teacher) = (conversation.clone(), teacher.clone());
        tokio::spawn(async move {
            for i in 0..20 {
                let new = message(&conversation, &teacher, start, &format!("m{i}"), None);
                append(&*store, &new).await.unwrap();
            }
        })
    };
    let far_future = Timestamp::parse("2999-01-01T00:00:00Z").unwrap();
    for _ in 0..10 {
        stores[1]
            .mark_read(&student, &conversation, far_future)
            .await
            .unwrap();
    }
    writer.await.unwrap();
    // Whatever interleaving happened, the count matches the messages after the marker.
    let contacts = stores[2]
        .linked_contacts(&student, Side::Student)
        .await
        .unwrap();
    let marker = stores[2]
        .mark_read(&student, &conversation, Timestamp::MIN)
        .await
        .unwrap()
        .expect("the conversation has messages")
        .marker;
    let messages = read_all(&*stores[2], &conversation).await;
    let after_marker = messages.iter().filter(|m| m.timestamp > marker).count() as u64;
    assert_eq!(contacts[0].unread_count, after_marker);
    let marker = stores[1]
        .mark_read(&student, &conversation, far_future)
        .await
        .unwrap()
        .map(|marked| marked.marker);
    assert_eq!(marker, messages.last().map(|m| m.timestamp));
    let contacts = stores[0]
        .linked_contacts(&student, Side::Student)
        .await
        .unwrap();
    assert_eq!(
        contacts[0].unread_count, 0,
        "read up to the newest: nothing unread"
    );
}
