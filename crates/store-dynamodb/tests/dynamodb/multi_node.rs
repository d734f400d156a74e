//! Several classchat nodes on one set of tables: each `DynamoStore` here has its own
//! in-process append queue, like separate processes, so only DynamoDB's conditional
//! writes and transactions keep them correct.

use crate::fixtures::{create_user, message};
use classchat_core::store::{Appended, Link, PageRequest, Store};
use classchat_core::user::Role;
use classchat_core::{ConversationId, MessageId, Timestamp, UserId};
use classchat_store_dynamodb::testing;
use std::collections::HashSet;
use std::sync::Arc;

const NODES: usize = 3;

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

async fn read_all(
    store: &dyn Store,
    conversation: &ConversationId,
) -> Vec<classchat_core::Message> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_nodes_get_unique_consecutive_timestamps_and_consistent_summaries() {
    const PER_NODE: usize = 15;
    let (stores, student, teacher, conversation) = nodes().await;
    let proposed = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let mut tasks = Vec::new();
    for (node, store) in stores.iter().enumerate() {
        for i in 0..PER_NODE {
            let store = Arc::clone(store);
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
            tasks.push(tokio::spawn(
                async move { store.append_message(&new).await },
            ));
        }
    }
    let mut stored = Vec::new();
    for task in futures::future::join_all(tasks).await {
        match task.unwrap().unwrap() {
            Appended::Created(message) => stored.push(message),
            Appended::Existing(message) => panic!("nothing to deduplicate, got {message:?}"),
        }
    }
    stored.sort_by_key(|m| m.timestamp);
    let got: Vec<i64> = stored.iter().map(|m| m.timestamp.as_micros()).collect();
    let expected: Vec<i64> = (0..(NODES * PER_NODE) as i64)
        .map(|i| proposed.as_micros() + i)
        .collect();
    assert_eq!(got, expected, "unique, consecutive timestamps across nodes");
    assert_eq!(
        read_all(&*stores[2], &conversation).await,
        stored,
        "every acknowledged message reads back once, in order, from any node"
    );
    for (user, peer) in [(&student, &teacher), (&teacher, &student)] {
        let contacts = stores[0].active_conversations(user).await.unwrap();
        assert_eq!(contacts[0].last_message.as_ref(), stored.last());
        let from_peer = stored.iter().filter(|m| &m.author == peer).count() as u64;
        assert_eq!(contacts[0].unread_count, from_peer, "{user}'s unread count");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_retry_on_every_node_stores_one_message() {
    let (stores, student, _teacher, conversation) = nodes().await;
    let proposed = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let tasks = stores.iter().map(|store| {
        let store = Arc::clone(store);
        let new = message(&conversation, &student, proposed, "once", Some("retry-1"));
        tokio::spawn(async move { store.append_message(&new).await })
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
                store.append_message(&new).await.unwrap();
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
        .linked_contacts(&student, Role::Student)
        .await
        .unwrap();
    let marker = stores[2]
        .mark_read(&student, &conversation, Timestamp::MIN)
        .await
        .unwrap()
        .expect("the conversation has messages");
    let messages = read_all(&*stores[2], &conversation).await;
    let after_marker = messages.iter().filter(|m| m.timestamp > marker).count() as u64;
    assert_eq!(contacts[0].unread_count, after_marker);
    let marker = stores[1]
        .mark_read(&student, &conversation, far_future)
        .await
        .unwrap();
    assert_eq!(marker, messages.last().map(|m| m.timestamp));
    let contacts = stores[0]
        .linked_contacts(&student, Role::Student)
        .await
        .unwrap();
    assert_eq!(
        contacts[0].unread_count, 0,
        "read up to the newest: nothing unread"
    );
}
