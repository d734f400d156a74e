//! Notifications on DynamoDB. Push subscriptions are a copy under their user plus an
//! owner item per endpoint, written from a read: registrations racing for one user must
//! never leave them above the limit, and racing moves of one endpoint must leave it with
//! exactly one user, its copies and owner item agreeing. And a settings item written
//! before the notification settings existed reads as their defaults.

use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::notify::subscription::MAX_SUBSCRIPTIONS_PER_USER;
use classchat_core::store::{PushSubscription, SchoolSettings, Store};
use classchat_core::{Timestamp, UserId};
use classchat_store_dynamodb::{DynamoStore, testing};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Rounds of the endpoint race, each on users of its own, in one set of tables.
const ROUNDS: usize = 8;
/// Registrations racing in each test.
const RACERS: usize = 5;

const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

fn uid(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

fn subscription(name: &str, created: i64) -> PushSubscription {
    let at = Timestamp::from_micros(1_767_225_600_000_000 + created).unwrap();
    PushSubscription::parse(&format!("https://push.example/{name}"), P256DH, AUTH, at).unwrap()
}

/// The hex SHA-256 of `endpoint`, as the store keys it.
fn hash(endpoint: &str) -> String {
    Sha256::digest(endpoint.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The UserInfo item `(partition, sk)`, if it exists.
async fn item(
    store: &DynamoStore,
    partition: &str,
    sk: &str,
) -> Option<HashMap<String, AttributeValue>> {
    let key = HashMap::from([
        ("userId".to_owned(), AttributeValue::S(partition.to_owned())),
        ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
    ]);
    store
        .client()
        .get_item()
        .table_name(&store.tables().user_info)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// Whom the owner item of `endpoint` names, if it exists.
async fn owner(store: &DynamoStore, endpoint: &str) -> Option<String> {
    let found = item(store, &format!("#push#{}", hash(endpoint)), "owner").await?;
    match found.get("ownerId") {
        Some(AttributeValue::S(owner)) => Some(owner.clone()),
        other => panic!("the owner item of {endpoint} names no user: {other:?}"),
    }
}

/// Whether `user` has a copy of `endpoint`.
async fn has_copy(store: &DynamoStore, user: &UserId, endpoint: &str) -> bool {
    item(store, user.as_str(), &format!("push#{}", hash(endpoint)))
        .await
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_racing_for_one_user_never_exceed_the_limit() {
    let store = Arc::new(testing::fresh_store().await);
    let user = uid("busy");
    let mut all: Vec<PushSubscription> = (0..MAX_SUBSCRIPTIONS_PER_USER - 2)
        .map(|i| subscription(&format!("old-{i}"), i64::try_from(i).unwrap()))
        .collect();
    for sub in &all {
        store.put_push_subscription(&user, sub).await.unwrap();
    }
    let racing: Vec<PushSubscription> = (0..RACERS)
        .map(|i| subscription(&format!("new-{i}"), 1_000 + i64::try_from(i).unwrap()))
        .collect();
    let tasks: Vec<_> = racing
        .iter()
        .map(|sub| {
            let (store, user, sub) = (Arc::clone(&store), user.clone(), sub.clone());
            tokio::spawn(async move { store.put_push_subscription(&user, &sub).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    // Whatever order they committed in, each dropped the oldest there was: the newest ten
    // of all of them stay.
    all.extend(racing);
    let kept = all.split_off(all.len() - MAX_SUBSCRIPTIONS_PER_USER);
    assert_eq!(store.push_subscriptions(&user).await.unwrap(), kept);
    for sub in &kept {
        assert_eq!(owner(&store, &sub.endpoint).await.as_deref(), Some("busy"));
    }
    for sub in &all {
        assert!(
            !has_copy(&store, &user, &sub.endpoint).await,
            "{}",
            sub.endpoint
        );
        assert_eq!(owner(&store, &sub.endpoint).await, None, "{}", sub.endpoint);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_moves_of_one_endpoint_leave_it_with_exactly_one_user() {
    let store = Arc::new(testing::fresh_store().await);
    for round in 0..ROUNDS {
        let users: Vec<UserId> = (0..RACERS)
            .map(|i| uid(&format!("r{round}-u{i}")))
            .collect();
        let endpoint = format!("shared-{round}");
        // The first user has it; everyone registers it at once.
        let first = subscription(&endpoint, 0);
        store
            .put_push_subscription(&users[0], &first)
            .await
            .unwrap();
        let tasks: Vec<_> = users
            .iter()
            .enumerate()
            .map(|(i, user)| {
                let (store, user) = (Arc::clone(&store), user.clone());
                let sub = subscription(&endpoint, 10 + i64::try_from(i).unwrap());
                tokio::spawn(async move { store.put_push_subscription(&user, &sub).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }

        let mut holders = Vec::new();
        for user in &users {
            let theirs = store.push_subscriptions(user).await.unwrap();
            assert_eq!(
                theirs.len() == 1,
                has_copy(&store, user, &first.endpoint).await,
                "round {round}: {user}'s list and copy disagree"
            );
            if !theirs.is_empty() {
                holders.push(user.to_string());
            }
        }
        assert_eq!(holders.len(), 1, "round {round}: held by {holders:?}");
        assert_eq!(
            owner(&store, &first.endpoint).await.as_ref(),
            holders.first(),
            "round {round}: the owner item names the holder"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_endpoint_removed_by_its_owner_while_it_moves_ends_with_the_new_user() {
    let store = Arc::new(testing::fresh_store().await);
    for round in 0..ROUNDS {
        let (from, to) = (uid(&format!("from{round}")), uid(&format!("to{round}")));
        let endpoint = format!("leaving-{round}");
        let sub = subscription(&endpoint, 0);
        store.put_push_subscription(&from, &sub).await.unwrap();
        let moving = tokio::spawn({
            let (store, to, sub) = (Arc::clone(&store), to.clone(), subscription(&endpoint, 5));
            async move { store.put_push_subscription(&to, &sub).await }
        });
        let removing = tokio::spawn({
            let (store, from, endpoint) = (Arc::clone(&store), from.clone(), sub.endpoint.clone());
            async move { store.remove_push_subscription(&from, &endpoint).await }
        });
        moving.await.unwrap().unwrap();
        removing.await.unwrap().unwrap();

        // In either order the move comes last or finds it gone: the new user has it.
        assert_eq!(store.push_subscriptions(&from).await.unwrap(), Vec::new());
        assert!(!has_copy(&store, &from, &sub.endpoint).await);
        assert_eq!(
            store.push_subscriptions(&to).await.unwrap(),
            vec![subscription(&endpoint, 5)],
            "round {round}"
        );
        assert_eq!(owner(&store, &sub.endpoint).await, Some(to.to_string()));
    }
}

#[tokio::test]
async fn a_settings_item_from_before_notifications_reads_their_defaults() {
    let store = testing::fresh_store().await;
    let item = HashMap::from([
        ("userId".to_owned(), AttributeValue::S("#school".into())),
        ("sk".to_owned(), AttributeValue::S("settings".into())),
        ("guardianOversight".to_owned(), AttributeValue::Bool(true)),
    ]);
    store
        .client()
        .put_item()
        .table_name(&store.tables().user_info)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    assert_eq!(
        store.settings().await.unwrap(),
        SchoolSettings {
            guardian_oversight: true,
            ..SchoolSettings::default()
        }
    );
}
