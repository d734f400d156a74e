//! Pending notifications and leases on DynamoDB under races. A pending notification is a
//! pointer under its user plus a listing item in `#pending`, written from a read of the
//! pointer: racing merges must leave one notice (the earliest due and since of all of
//! them, listed once), racing takes must take it once, a take racing a merge must lose
//! neither, and of nodes racing for a lease exactly one must get it.

use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::store::{Pending, PendingKind, Store};
use classchat_core::{Timestamp, UserId};
use classchat_store_dynamodb::{DynamoStore, testing};
use std::collections::HashMap;
use std::sync::Arc;

/// Rounds of each race, each on a user (or lease) of its own, in one set of tables.
const ROUNDS: usize = 6;
/// Writers racing in each round.
const RACERS: usize = 5;
/// Long after every time these tests use.
const LATER: i64 = 1_000_000_000;

fn at(micros: i64) -> Timestamp {
    Timestamp::from_micros(1_767_225_600_000_000 + micros).unwrap()
}

fn held(user: &UserId, due: i64, since: i64) -> Pending {
    Pending {
        user: user.clone(),
        kind: PendingKind::Held,
        due: at(due),
        since: at(since),
    }
}

/// What `user` has listed among those due by [`LATER`]: one at most, if the listing
/// and the pointers agree.
async fn listed(store: &DynamoStore, user: &UserId) -> Vec<Pending> {
    let all = store.due_pending(at(LATER), 10_000).await.unwrap();
    all.into_iter()
        .filter(|pending| pending.user == *user)
        .collect()
}

/// The (due, since) `user`'s pointer holds, if it exists.
async fn pointer(store: &DynamoStore, user: &UserId) -> Option<(String, String)> {
    let key = HashMap::from([
        ("userId".to_owned(), AttributeValue::S(user.to_string())),
        ("sk".to_owned(), AttributeValue::S("pending#held".into())),
    ]);
    let item = store
        .client()
        .get_item()
        .table_name(&store.tables().user_info)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item?;
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        other => panic!("the pointer's {name} is {other:?}"),
    };
    Some((text("due"), text("since")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn puts_racing_for_one_user_merge_into_one_notice() {
    let store = Arc::new(testing::fresh_store().await);
    for round in 0..ROUNDS {
        let user = UserId::parse(&format!("merging-{round}")).unwrap();
        // Every racer's due and since differ, and the earliest of each are different racers'.
        let racing: Vec<Pending> = (0..RACERS)
            .map(|i| {
                let i = i64::try_from(i).unwrap();
                let count = i64::try_from(RACERS).unwrap();
                held(
                    &user,
                    10_000 + (i * 3 % count) * 1_000,
                    100 + ((i * 2 + 1) % count) * 10,
                )
            })
            .collect();
        let tasks: Vec<_> = racing
            .iter()
            .map(|pending| {
                let (store, pending) = (Arc::clone(&store), pending.clone());
                tokio::spawn(async move { store.put_pending(&pending).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }

        let merged = held(&user, 10_000, 100);
        assert_eq!(
            listed(&store, &user).await,
            vec![merged.clone()],
            "round {round}"
        );
        assert_eq!(
            pointer(&store, &user).await,
            Some((merged.due.to_string(), merged.since.to_string())),
            "round {round}: the pointer agrees with the listing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn takes_racing_for_one_notice_take_it_once() {
    let store = Arc::new(testing::fresh_store().await);
    for round in 0..ROUNDS {
        let user = UserId::parse(&format!("taken-{round}")).unwrap();
        let pending = held(&user, 5_000, 50);
        store.put_pending(&pending).await.unwrap();
        let tasks: Vec<_> = (0..RACERS)
            .map(|_| {
                let (store, pending) = (Arc::clone(&store), pending.clone());
                tokio::spawn(async move { store.take_pending(&pending).await })
            })
            .collect();
        let mut took = 0;
        for task in tasks {
            took += usize::from(task.await.unwrap().unwrap());
        }
        assert_eq!(took, 1, "round {round}: taken by {took} nodes");
        assert_eq!(listed(&store, &user).await, Vec::new(), "round {round}");
        assert_eq!(pointer(&store, &user).await, None, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_take_racing_a_merge_loses_neither() {
    let store = Arc::new(testing::fresh_store().await);
    for round in 0..ROUNDS * 2 {
        let user = UserId::parse(&format!("racing-{round}")).unwrap();
        let read = held(&user, 5_000, 500);
        store.put_pending(&read).await.unwrap();
        let newer = held(&user, 4_000, 900);
        let taking = tokio::spawn({
            let (store, read) = (Arc::clone(&store), read.clone());
            async move { store.take_pending(&read).await }
        });
        let merging = tokio::spawn({
            let (store, newer) = (Arc::clone(&store), newer.clone());
            async move { store.put_pending(&newer).await }
        });
        let took = taking.await.unwrap().unwrap();
        merging.await.unwrap().unwrap();

        // The take came first (and the newer one is all that waits), or the merge did (and
        // the take, of a copy now stale, took nothing).
        let expected = if took { newer } else { held(&user, 4_000, 500) };
        assert_eq!(
            listed(&store, &user).await,
            vec![expected.clone()],
            "round {round} (taken: {took})"
        );
        assert_eq!(
            pointer(&store, &user).await,
            Some((expected.due.to_string(), expected.since.to_string())),
            "round {round}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_racing_for_a_lease_get_it_once() {
    let store = Arc::new(testing::fresh_store().await);
    for round in 0..ROUNDS {
        let name = format!("job-{round}");
        // In odd rounds the lease exists and has lapsed: taking it over races the same way.
        if round % 2 == 1 {
            assert!(store.try_lease(&name, "old", at(0), at(10)).await.unwrap());
        }
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let (store, name) = (Arc::clone(&store), name.clone());
                tokio::spawn(async move {
                    let holder = format!("node-{i}");
                    let got = store.try_lease(&name, &holder, at(100), at(1_000)).await;
                    (holder, got)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            let (holder, got) = task.await.unwrap();
            if got.unwrap() {
                winners.push(holder);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        // The winner holds it: a renewal succeeds, everyone else is still refused.
        assert!(
            store
                .try_lease(&name, &winners[0], at(200), at(2_000))
                .await
                .unwrap()
        );
        assert!(
            !store
                .try_lease(&name, "latecomer", at(1_500), at(3_000))
                .await
                .unwrap()
        );
    }
}
