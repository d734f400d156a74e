//! Writes that arrive together are committed together, but each one succeeds or fails on
//! its own: a failing write in a batch never undoes, or is undone by, its neighbours.

use classchat_core::store::{Store, StoreError};
use classchat_core::user::UserRecord;
use classchat_core::{DisplayName, Role, User, UserId};
use classchat_store_sqlite::{SqliteOptions, SqliteStore};
use std::sync::Arc;

/// A student record with a placeholder hash, for tests that only need a row.
pub(crate) fn record(id: &str) -> UserRecord {
    UserRecord {
        user: User {
            id: UserId::parse(id).unwrap(),
            display_name: DisplayName::parse(id).unwrap(),
            role: Role::Student,
            disabled: false,
        },
        password_hash: "not-a-real-hash".into(),
        token_version: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_write_does_not_undo_the_rest_of_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(SqliteStore::open(dir.path().join("db"), SqliteOptions::default()).unwrap());
    store.create_user(&record("taken")).await.unwrap();

    // 200 concurrent creates, every fourth one colliding with the existing user.
    let writes = (0..200).map(|index| {
        let store = Arc::clone(&store);
        let id = if index % 4 == 0 {
            "taken".to_owned()
        } else {
            format!("user{index}")
        };
        tokio::spawn(async move { (id.clone(), store.create_user(&record(&id)).await) })
    });
    let outcomes = futures::future::join_all(writes).await;
    for outcome in outcomes {
        let (id, result) = outcome.unwrap();
        if id == "taken" {
            assert!(
                matches!(result, Err(StoreError::Conflict(_))),
                "{id}: {result:?}"
            );
        } else {
            assert_eq!(result, Ok(()), "{id}");
            assert!(
                store
                    .get_user(&UserId::parse(&id).unwrap())
                    .await
                    .unwrap()
                    .is_some(),
                "{id} stored"
            );
        }
    }
    let all = store.list_users(None, None, 1000).await.unwrap();
    assert_eq!(all.len(), 151, "150 new users and the existing one");
}
