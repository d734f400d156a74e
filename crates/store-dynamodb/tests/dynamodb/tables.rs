//! What DynamoDB itself holds: the seed's attribute names and types on Message items, the
//! summary items, and idempotent table creation with a clear report of missing tables.

use crate::fixtures::{create_user, message};
use aws_sdk_dynamodb::types::{AttributeValue, KeyType};
use classchat_core::message::NewMessage;
use classchat_core::store::{Appended, Link, Store};
use classchat_core::user::Role;
use classchat_core::{ConversationId, Timestamp, UserId};
use classchat_store_dynamodb::{DynamoStore, SetupError, TableOutcome, testing};
use std::collections::BTreeMap;

/// The message every layout test stores, at a fixed instant.
fn new_message(conversation: &ConversationId, author: &UserId, client: Option<&str>) -> NewMessage {
    let proposed = Timestamp::parse("2026-11-24T14:01:02.123456Z").unwrap();
    message(conversation, author, proposed, "i am the student!", client)
}

/// Attribute name → type letter, for compact comparisons.
fn shape(
    item: &std::collections::HashMap<String, AttributeValue>,
) -> BTreeMap<String, &'static str> {
    item.iter()
        .map(|(name, value)| {
            let kind = match value {
                AttributeValue::S(_) => "S",
                AttributeValue::N(_) => "N",
                AttributeValue::Bool(_) => "BOOL",
                _ => "other",
            };
            (name.clone(), kind)
        })
        .collect()
}

#[tokio::test]
async fn message_items_have_exactly_the_seed_attributes() {
    let store = testing::fresh_store().await;
    let student = create_user(&store, "abc", Role::Student).await;
    let teacher = create_user(&store, "123", Role::Teacher).await;
    let conversation = ConversationId::new(student.clone(), teacher.clone());
    store
        .add_link(&Link {
            teacher: teacher.clone(),
            student: student.clone(),
        })
        .await
        .unwrap();
    let Appended::Created(first) = store
        .append_message(&new_message(&conversation, &student, None))
        .await
        .unwrap()
    else {
        panic!("first message must be created");
    };
    let Appended::Created(second) = store
        .append_message(&new_message(&conversation, &teacher, Some("client-7")))
        .await
        .unwrap()
    else {
        panic!("second message must be created");
    };

    let output = store
        .client()
        .query()
        .table_name(&store.tables().message)
        .key_condition_expression("conversationId = :c")
        .expression_attribute_values(":c", AttributeValue::S("abc+123".into()))
        .send()
        .await
        .unwrap();
    let items = output.items.unwrap_or_default();
    assert_eq!(items.len(), 2);
    let seed: BTreeMap<String, &str> = [
        "conversationId",
        "timestamp",
        "author",
        "messageBody",
        "messageId",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), "S"))
    .collect();
    assert_eq!(shape(&items[0]), seed, "a message without clientMessageId");
    let mut with_client = seed.clone();
    with_client.insert("clientMessageId".into(), "S");
    assert_eq!(
        shape(&items[1]),
        with_client,
        "a message with clientMessageId"
    );

    let text = |item: &std::collections::HashMap<String, AttributeValue>, name: &str| {
        item[name].as_s().unwrap().clone()
    };
    assert_eq!(text(&items[0], "conversationId"), "abc+123");
    assert_eq!(text(&items[0], "timestamp"), "2026-11-24T14:01:02.123456Z");
    assert_eq!(text(&items[0], "author"), "abc");
    assert_eq!(text(&items[0], "messageBody"), "i am the student!");
    assert_eq!(text(&items[0], "messageId"), first.message_id.to_string());
    assert_eq!(
        text(&items[1], "timestamp"),
        "2026-11-24T14:01:02.123457Z",
        "the colliding second message is bumped by one microsecond"
    );
    assert_eq!(text(&items[1], "clientMessageId"), "client-7");
    assert_eq!(text(&items[1], "messageId"), second.message_id.to_string());

    // The student's summary of the conversation, as DESIGN.md names its attributes.
    let summary = store
        .client()
        .get_item()
        .table_name(&store.tables().user_info)
        .key("userId", AttributeValue::S("abc".into()))
        .key("sk", AttributeValue::S("conv#abc+123".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the student's conv# summary");
    assert_eq!(text(&summary, "peerId"), "123");
    assert_eq!(
        text(&summary, "lastMessageAt"),
        "2026-11-24T14:01:02.123457Z"
    );
    assert_eq!(text(&summary, "lastMessagePreview"), "i am the student!");
    assert_eq!(text(&summary, "lastReadAt"), "0000-01-01T00:00:00.000000Z");
    assert_eq!(summary["unreadCount"].as_n().unwrap(), "1");

    // The teacher's clientMessageId is remembered for 30 days, then expires by TTL.
    let dedup = store
        .client()
        .get_item()
        .table_name(&store.tables().user_info)
        .key("userId", AttributeValue::S("123".into()))
        .key("sk", AttributeValue::S("cmid#client-7".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the dedup item of client-7");
    let stored_at_secs = second.timestamp.as_micros() / 1_000_000;
    assert_eq!(
        dedup["ttl"].as_n().unwrap(),
        &(stored_at_secs + 30 * 24 * 3600).to_string()
    );
}

#[tokio::test]
async fn tables_create_is_idempotent_and_check_names_what_is_missing() {
    let prefix = testing::fresh_prefix();
    let config = testing::config(&testing::emulator_endpoint(), &prefix);
    let store = DynamoStore::connect(&config).await.unwrap();

    match store.check_tables().await {
        Err(SetupError::MissingTables(missing)) => {
            assert_eq!(
                missing,
                [
                    format!("{prefix}Message"),
                    format!("{prefix}UserInfo"),
                    format!("{prefix}Connections")
                ]
            );
            let message = SetupError::MissingTables(missing).to_string();
            assert!(
                message.contains("classchat tables create"),
                "the error must say how to fix it: {message}"
            );
        }
        other => panic!("check_tables before creating must name the missing tables, got {other:?}"),
    }

    let created = store.create_tables().await.unwrap();
    assert!(
        created
            .iter()
            .all(|outcome| matches!(outcome, TableOutcome::Created(_)))
    );
    let again = store.create_tables().await.unwrap();
    assert!(
        again
            .iter()
            .all(|outcome| matches!(outcome, TableOutcome::Existed(_))),
        "a second create must leave the tables alone: {again:?}"
    );
    store.check_tables().await.expect("all tables exist now");

    let connections = store
        .client()
        .describe_table()
        .table_name(&store.tables().connections)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let index = connections
        .global_secondary_indexes
        .unwrap_or_default()
        .into_iter()
        .find(|index| index.index_name.as_deref() == Some("userId-index"))
        .expect("Connections has the userId-index GSI");
    let keys = index.key_schema.unwrap_or_default();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].attribute_name, "userId");
    assert_eq!(keys[0].key_type, KeyType::Hash);

    // Connections and UserInfo expire items by `ttl` (stale connections, old dedup items).
    for table in [&store.tables().connections, &store.tables().user_info] {
        let ttl = store
            .client()
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .unwrap()
            .time_to_live_description
            .and_then(|description| description.attribute_name);
        assert_eq!(ttl.as_deref(), Some("ttl"), "TTL on {table}");
    }

    // Only one table missing: only it is named.
    store
        .client()
        .delete_table()
        .table_name(&store.tables().connections)
        .send()
        .await
        .unwrap();
    match store.check_tables().await {
        Err(SetupError::MissingTables(missing)) => {
            assert_eq!(missing, [format!("{prefix}Connections")]);
        }
        other => panic!("expected the missing Connections table, got {other:?}"),
    }
}
