//! Pending notifications: [`Store::put_pending`], [`Store::due_pending`] and
//! [`Store::take_pending`].
//!
//! A store keeps at most one per user and kind, merging a second into the first (the
//! earlier `due` and the earlier `since` win), lists those due by a time in the order
//! they are sent, and lets a node take one only if it is still exactly what the node
//! read, so that nothing is sent twice and nothing that changed meanwhile is lost.
//!
//! [`Store::due_pending`] lists every user's, so unlike the other checks these expect the
//! store to themselves, as the harness gives each check.

use crate::fixtures::{Scope, at};
use classchat_core::UserId;
use classchat_core::store::{Pending, PendingKind, Store};
use std::sync::Arc;

/// Far enough after every time these checks use for everything to be due.
const LATER: i64 = 1_000_000;

/// `user`'s held push, due `due` and covering messages since `since` (microseconds after
/// the base time).
fn held(user: &UserId, due: i64, since: i64) -> Pending {
    Pending {
        user: user.clone(),
        kind: PendingKind::Held,
        due: at(due),
        since: at(since),
    }
}

/// [`Store::put_pending`], which must not fail.
async fn put(store: &dyn Store, pending: &Pending) {
    store
        .put_pending(pending)
        .await
        .unwrap_or_else(|error| panic!("put_pending({pending:?}) failed: {error}"));
}

/// [`Store::due_pending`] at `now` (microseconds after the base time), which must not fail.
async fn due(store: &dyn Store, now: i64, limit: usize) -> Vec<Pending> {
    store
        .due_pending(at(now), limit)
        .await
        .unwrap_or_else(|error| panic!("due_pending({}, {limit}) failed: {error}", at(now)))
}

/// [`Store::take_pending`], which must not fail.
async fn take(store: &dyn Store, pending: &Pending) -> bool {
    store
        .take_pending(pending)
        .await
        .unwrap_or_else(|error| panic!("take_pending({pending:?}) failed: {error}"))
}

/// Those due by a time are listed earliest first, then by user, at most `limit` of
/// them, every field as put; one due exactly at `now` is due, one a microsecond later is
/// not.
pub async fn due_pending_lists_those_due_earliest_first_then_by_user(store: Arc<dyn Store>) {
    let scope = Scope::new();
    assert_eq!(
        due(&*store, LATER, 10).await,
        Vec::new(),
        "a store with no pending notifications has none due"
    );
    let first = held(&scope.id("zed"), 1_000, 10);
    let tie_a = held(&scope.id("b"), 2_000, 20);
    let tie_b = held(&scope.id("c"), 2_000, 5);
    let on_time = held(&scope.id("a"), 3_000, 30);
    let a_moment_late = held(&scope.id("d"), 3_001, 40);
    let much_later = held(&scope.id("e"), 9_000, 50);
    for pending in [
        &much_later,
        &tie_b,
        &on_time,
        &first,
        &a_moment_late,
        &tie_a,
    ] {
        put(&*store, pending).await;
    }

    assert_eq!(
        due(&*store, 3_000, 10).await,
        vec![first.clone(), tie_a.clone(), tie_b.clone(), on_time.clone()],
        "due_pending(now) must list those due at or before now, earliest due first, then \
         by user, every field as put"
    );
    assert_eq!(
        due(&*store, 3_000, 2).await,
        vec![first.clone(), tie_a.clone()],
        "due_pending must return at most `limit`, the earliest ones"
    );
    assert_eq!(
        due(&*store, 3_000, 0).await,
        Vec::new(),
        "due_pending with limit 0 returns nothing"
    );
    assert_eq!(
        due(&*store, 999, 10).await,
        Vec::new(),
        "nothing is due before the earliest due time"
    );
    assert_eq!(
        due(&*store, LATER, 10).await,
        vec![first, tie_a, tie_b, on_time, a_moment_late, much_later],
        "everything is due once its time has passed"
    );
}

/// A second notification for the same user and kind merges into the first: the earlier
/// `due` and the earlier `since` are kept, whichever order they came in, and the user
/// still has one (listed once, at the merged due time).
pub async fn put_pending_merges_keeping_the_earlier_due_and_since(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (later_first, earlier_first, mixed, again) = (
        scope.id("later-first"),
        scope.id("earlier-first"),
        scope.id("mixed"),
        scope.id("again"),
    );
    // The later due (with the earlier since) first, then the earlier due.
    put(&*store, &held(&later_first, 2_000, 500)).await;
    put(&*store, &held(&later_first, 1_000, 700)).await;
    // The earlier due first, then the later one (with the earlier since).
    put(&*store, &held(&earlier_first, 1_000, 700)).await;
    put(&*store, &held(&earlier_first, 2_000, 500)).await;
    // The first is earlier in both: the second changes nothing.
    put(&*store, &held(&mixed, 1_500, 100)).await;
    put(&*store, &held(&mixed, 2_500, 900)).await;
    // The same one twice is one.
    put(&*store, &held(&again, 1_200, 300)).await;
    put(&*store, &held(&again, 1_200, 300)).await;

    assert_eq!(
        due(&*store, LATER, 10).await,
        vec![
            held(&earlier_first, 1_000, 500),
            held(&later_first, 1_000, 500),
            held(&again, 1_200, 300),
            held(&mixed, 1_500, 100),
        ],
        "put_pending must keep one per user and kind, with the earlier due and the earlier \
         since of the two, listed once at the merged due time"
    );
    assert_eq!(
        due(&*store, 1_000, 10).await,
        vec![
            held(&earlier_first, 1_000, 500),
            held(&later_first, 1_000, 500)
        ],
        "a merge that brings the due time forward makes it due from then"
    );
}

/// Taking a pending notification succeeds once, for exactly what is stored: not for a
/// copy read before a merge changed it (its due or its since), nor for one that is not
/// there. After the take it is gone, and a new one for the user starts afresh.
pub async fn take_pending_takes_only_what_is_stored_once(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (user, other) = (scope.id("u"), scope.id("other"));
    assert!(
        !take(&*store, &held(&user, 1_000, 100)).await,
        "take_pending of one never put must say it took nothing"
    );

    put(&*store, &held(&user, 2_000, 300)).await;
    put(&*store, &held(&other, 2_000, 300)).await;
    let read = due(&*store, LATER, 10).await;
    assert_eq!(
        read,
        vec![held(&other, 2_000, 300), held(&user, 2_000, 300)]
    );
    let stale = read[1].clone();

    put(&*store, &held(&user, 1_500, 300)).await;
    assert!(
        !take(&*store, &stale).await,
        "take_pending of a copy read before a merge moved its due time must take nothing"
    );
    put(&*store, &held(&user, 1_500, 200)).await;
    assert!(
        !take(&*store, &held(&user, 1_500, 300)).await,
        "take_pending of a copy read before a merge moved its since must take nothing"
    );
    assert_eq!(
        due(&*store, LATER, 10).await,
        vec![held(&user, 1_500, 200), held(&other, 2_000, 300)],
        "a refused take leaves the notification as it is"
    );

    assert!(
        take(&*store, &held(&user, 1_500, 200)).await,
        "take_pending of exactly what is stored must take it"
    );
    assert!(
        !take(&*store, &held(&user, 1_500, 200)).await,
        "a notification is taken once: the second take_pending takes nothing"
    );
    assert_eq!(
        due(&*store, LATER, 10).await,
        vec![held(&other, 2_000, 300)],
        "a taken notification is gone; another user's stays"
    );

    put(&*store, &held(&user, 5_000, 4_000)).await;
    assert_eq!(
        due(&*store, LATER, 10).await,
        vec![held(&other, 2_000, 300), held(&user, 5_000, 4_000)],
        "after a take, the user's next notification is new, not merged with the one taken"
    );
}
