//! What DynamoDB itself holds: the seed's attribute names and types on Message items, the
//! summary items, idempotent table creation with on-demand billing, and a check that names
//! every missing table and wrong schema at once.

use crate::fixtures::{append, create_user, message};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableDescription,
};
use classchat_core::message::NewMessage;
use classchat_core::store::{Appended, Link, Store, StoreError};
use classchat_core::user::Role;
use classchat_core::{ConversationId, Timestamp, UserId};
use classchat_store_dynamodb::{
    DynamoStore, SetupError, TableOutcome, TableProblems, WrongTable, testing,
};
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
    let Appended::Created(first) = append(&store, &new_message(&conversation, &student, None))
        .await
        .unwrap()
    else {
        panic!("first message must be created");
    };
    let Appended::Created(second) = append(
        &store,
        &new_message(&conversation, &teacher, Some("client-7")),
    )
    .await
    .unwrap() else {
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
        Err(SetupError::Tables(problems)) => {
            assert_eq!(
                problems.missing,
                [
                    format!("{prefix}Message"),
                    format!("{prefix}UserInfo"),
                    format!("{prefix}Connections")
                ]
            );
            assert_eq!(problems.wrong, []);
            let message = problems.to_string();
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

    // On-demand billing: no capacity to plan or to run out of.
    for table in store.tables().all() {
        let billing = describe(&store, table)
            .await
            .billing_mode_summary
            .and_then(|summary| summary.billing_mode);
        assert_eq!(billing, Some(BillingMode::PayPerRequest), "{table}");
    }

    let connections = describe(&store, &store.tables().connections).await;
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
        Err(SetupError::Tables(problems)) => {
            assert_eq!(problems.missing, [format!("{prefix}Connections")]);
            assert_eq!(problems.wrong, []);
        }
        other => panic!("expected the missing Connections table, got {other:?}"),
    }
}

async fn describe(store: &DynamoStore, table: &str) -> TableDescription {
    store
        .client()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

/// The problems `check_tables` reports, which must be the same as `create_tables` refuses
/// over (minus the missing tables, which it would create).
async fn problems(store: &DynamoStore) -> TableProblems {
    let checked = match store.check_tables().await {
        Err(SetupError::Tables(problems)) => problems,
        other => panic!("check_tables must report the problems, got {other:?}"),
    };
    match store.create_tables().await {
        Err(SetupError::Tables(refused)) => {
            assert!(
                refused.missing.is_empty(),
                "create reports only what it cannot fix: {refused:?}"
            );
            assert_eq!(refused.wrong, checked.wrong);
        }
        other => panic!("create_tables must refuse wrong schemas, got {other:?}"),
    }
    checked
}

#[tokio::test]
async fn the_check_names_every_missing_table_and_wrong_schema_at_once() {
    let prefix = testing::fresh_prefix();
    let config = testing::config(&testing::emulator_endpoint(), &prefix);
    let store = DynamoStore::connect(&config).await.unwrap();
    // Message missing; UserInfo without its sort key; Connections without its index.
    let tables = store.tables().clone();
    testing::create_bare_table(store.client(), &tables.user_info, "userId").await;
    testing::create_bare_table(store.client(), &tables.connections, "connectionId").await;

    let found = problems(&store).await;
    assert_eq!(found.missing, [tables.message.as_str()]);
    let wrong: Vec<(&str, String)> = found
        .wrong
        .iter()
        .map(|table| (table.table.as_str(), table.problems.join("; ")))
        .collect();
    assert_eq!(
        wrong,
        [
            (
                tables.user_info.as_str(),
                r#"its keys are partition key "userId" and no sort key instead of partition key "userId" and sort key "sk""#.to_owned()
            ),
            (
                tables.connections.as_str(),
                r#"no global secondary index "userId-index" on "userId""#.to_owned()
            ),
        ]
    );
    let message = SetupError::Tables(found).to_string();
    for needle in [
        tables.message.as_str(),
        tables.user_info.as_str(),
        tables.connections.as_str(),
        "userId-index",
        "classchat tables create",
        "delete",
    ] {
        assert!(message.contains(needle), "{needle:?} in {message}");
    }
    // Nothing was changed: Message is still missing.
    assert_eq!(problems(&store).await.missing, [tables.message.as_str()]);
}

#[tokio::test]
async fn the_check_names_key_attributes_of_the_wrong_type() {
    let prefix = testing::fresh_prefix();
    let config = testing::config(&testing::emulator_endpoint(), &prefix);
    let store = DynamoStore::connect(&config).await.unwrap();
    let tables = store.tables().clone();
    let definition = |name: &str, kind: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    // A Message table with numeric timestamps, as a hand-made table might have.
    store
        .client()
        .create_table()
        .table_name(&tables.message)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition("conversationId", ScalarAttributeType::S))
        .attribute_definitions(definition("timestamp", ScalarAttributeType::N))
        .key_schema(key("conversationId", KeyType::Hash))
        .key_schema(key("timestamp", KeyType::Range))
        .send()
        .await
        .unwrap();
    let found = problems(&store).await;
    assert_eq!(
        found.missing,
        [tables.user_info.clone(), tables.connections.clone()]
    );
    assert_eq!(
        found.wrong,
        [WrongTable {
            table: tables.message.clone(),
            problems: vec![r#"key attribute "timestamp" has type N instead of S (string)"#.into()],
        }]
    );
}

#[tokio::test]
async fn ping_reads_all_three_tables() {
    testing::fresh_store()
        .await
        .ping()
        .await
        .expect("ping with every table there");
    for (index, table) in ["Message", "UserInfo", "Connections"]
        .into_iter()
        .enumerate()
    {
        let store = testing::fresh_store().await;
        let gone = store.tables().all()[index].to_owned();
        store
            .client()
            .delete_table()
            .table_name(&gone)
            .send()
            .await
            .unwrap();
        match store.ping().await {
            Err(StoreError::Internal(detail)) => {
                assert!(detail.contains(table), "{gone}: {detail}");
            }
            other => panic!("ping without {gone} must fail, got {other:?}"),
        }
    }
    // Connections without its userId-index is not ready either.
    let store = testing::fresh_store().await;
    let connections = store.tables().connections.clone();
    store
        .client()
        .delete_table()
        .table_name(&connections)
        .send()
        .await
        .unwrap();
    testing::create_bare_table(store.client(), &connections, "connectionId").await;
    assert!(
        matches!(store.ping().await, Err(StoreError::Internal(_))),
        "ping without the userId-index must fail"
    );
}
