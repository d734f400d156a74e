//! Classes as members read them on DynamoDB: `classes_of` finds a user's classes through
//! index items in the user's own partition, which imports write ahead of the class items
//! (and an import cut short may leave behind), so it trusts the class items over the
//! index.

use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::UserId;
use classchat_core::roster::{Class, RosterChanges, SourcedId};
use classchat_core::store::Store;
use classchat_store_dynamodb::DynamoStore;
use classchat_store_dynamodb::testing;

/// A userId from a literal.
fn uid(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

/// Writes the index item that lists class `class` among `user`'s classes, as an import
/// does.
async fn index_item(store: &DynamoStore, user: &str, class: &str) {
    store
        .client()
        .put_item()
        .table_name(&store.tables().user_info)
        .item("userId", AttributeValue::S(user.to_owned()))
        .item("sk", AttributeValue::S(format!("cls#{class}")))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classes_of_lists_only_classes_whose_items_name_the_user() {
    let store = testing::fresh_store().await;
    let class = Class {
        sourced_id: SourcedId::parse("c1").unwrap(),
        title: "Class 1".into(),
        teachers: vec![uid("t1")],
        students: vec![uid("s1")],
    };
    let changes = RosterChanges {
        created_classes: vec![class.clone()],
        ..RosterChanges::default()
    };
    store.apply_roster(&changes).await.unwrap();
    // Applying the same step again (an import run again) writes the same index items.
    store.apply_roster(&changes).await.unwrap();
    let expected = vec![class];
    assert_eq!(store.classes_of(&uid("s1")).await.unwrap(), expected);

    // Index items whose class item does not agree: s2 was to join c1 but the class item
    // was never rewritten; c0 and c2 were never written or are gone.
    index_item(&store, "s2", "c1").await;
    index_item(&store, "s1", "c0").await;
    index_item(&store, "s1", "c2").await;
    assert_eq!(store.classes_of(&uid("s2")).await.unwrap(), []);
    assert_eq!(store.classes_of(&uid("s1")).await.unwrap(), expected);

    // The contact lists of a user with index items still read only links and summaries.
    assert!(store.list_links(Some(&uid("s1"))).await.unwrap().is_empty());
    let contacts = store
        .linked_contacts(&uid("s1"), classchat_core::store::Side::Student)
        .await
        .unwrap();
    assert!(contacts.is_empty());
    assert!(
        store
            .active_conversations(&uid("s1"))
            .await
            .unwrap()
            .is_empty()
    );
}
