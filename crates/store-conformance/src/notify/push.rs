//! Push subscriptions: [`Store::push_subscriptions`], [`Store::put_push_subscription`]
//! and [`Store::remove_push_subscription`].
//!
//! An endpoint belongs to one user at a time (whoever registered it last), and a user
//! keeps at most [`MAX_SUBSCRIPTIONS_PER_USER`], losing their oldest beyond that.

use crate::fixtures::{Scope, at};
use classchat_core::UserId;
use classchat_core::notify::subscription::MAX_SUBSCRIPTIONS_PER_USER;
use classchat_core::store::{PushSubscription, Store};
use std::sync::Arc;

/// Two browsers' keys (a P-256 public key and an authentication secret, base64url): a
/// subscription registered again with other keys must come back with the new ones.
const KEYS: [(&str, &str); 2] = [
    (
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        "BTBZMqHH6r4Tts7J_aSIgg",
    ),
    (
        "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "tBHItJI5svbpez7KI4CCXg",
    ),
];

/// The subscription of the browser `name` of this scope (its endpoint unique to the
/// scope), registered `created` microseconds after the base time, with the keys `keys`.
fn subscription(scope: &Scope, name: &str, created: i64, keys: usize) -> PushSubscription {
    let endpoint = format!("https://push.example/send/{}", scope.id(name));
    let (p256dh, auth) = KEYS[keys];
    PushSubscription::parse(&endpoint, p256dh, auth, at(created))
        .unwrap_or_else(|error| panic!("{endpoint} is a valid subscription: {error}"))
}

/// [`Store::put_push_subscription`], which must not fail.
async fn put(store: &dyn Store, user: &UserId, subscription: &PushSubscription) {
    store
        .put_push_subscription(user, subscription)
        .await
        .unwrap_or_else(|error| {
            panic!(
                "put_push_subscription({user}, {}) failed: {error}",
                subscription.endpoint
            )
        });
}

/// [`Store::push_subscriptions`] of `user`, which must not fail.
async fn subscriptions(store: &dyn Store, user: &UserId) -> Vec<PushSubscription> {
    store
        .push_subscriptions(user)
        .await
        .unwrap_or_else(|error| panic!("push_subscriptions({user}) failed: {error}"))
}

/// [`Store::remove_push_subscription`], which must not fail.
async fn remove(store: &dyn Store, user: &UserId, endpoint: &str) -> bool {
    store
        .remove_push_subscription(user, endpoint)
        .await
        .unwrap_or_else(|error| {
            panic!("remove_push_subscription({user}, {endpoint}) failed: {error}")
        })
}

/// The endpoints of `subscriptions`, for readable assertion messages.
fn endpoints(subscriptions: &[PushSubscription]) -> Vec<&str> {
    subscriptions.iter().map(|s| s.endpoint.as_str()).collect()
}

/// A user's subscriptions are listed oldest first and, registered at the same instant,
/// by endpoint, however they were put; a user without any has none.
pub async fn push_subscriptions_are_oldest_first_then_by_endpoint(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let user = scope.id("u");
    assert_eq!(
        subscriptions(&*store, &user).await,
        Vec::new(),
        "a user who never subscribed has no subscriptions"
    );
    let phone = subscription(&scope, "phone", 3_000, 0);
    let laptop_b = subscription(&scope, "laptop-b", 1_000, 1);
    let laptop_a = subscription(&scope, "laptop-a", 1_000, 0);
    let tablet = subscription(&scope, "tablet", 2_000, 1);
    for sub in [&phone, &laptop_b, &tablet, &laptop_a] {
        put(&*store, &user, sub).await;
    }
    let listed = subscriptions(&*store, &user).await;
    assert_eq!(
        listed,
        vec![laptop_a, laptop_b, tablet, phone],
        "push_subscriptions must list oldest first, then by endpoint, every field as put \
         (got {:?})",
        endpoints(&listed)
    );
    assert_eq!(
        subscriptions(&*store, &scope.id("other")).await,
        Vec::new(),
        "one user's subscriptions are not another's"
    );
}

/// Putting a subscription whose endpoint the user has already registered replaces it:
/// one subscription, with the new keys and the new registration time.
pub async fn putting_the_same_endpoint_replaces_its_keys(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let user = scope.id("u");
    let first = subscription(&scope, "browser", 1_000, 0);
    let other = subscription(&scope, "other", 3_000, 0);
    put(&*store, &user, &first).await;
    put(&*store, &user, &other).await;

    let renewed = subscription(&scope, "browser", 5_000, 1);
    put(&*store, &user, &renewed).await;
    let listed = subscriptions(&*store, &user).await;
    assert_eq!(
        listed,
        vec![other, renewed],
        "the same endpoint put again must replace the subscription (keys and time), not add \
         one (got {:?})",
        endpoints(&listed)
    );
}

/// An endpoint registered by a second user moves to them (a shared computer notifies
/// whoever signed in last): the first user's list no longer has it, and it can move back.
pub async fn an_endpoint_registered_by_another_user_moves_to_them(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (first, second) = (scope.id("first"), scope.id("second"));
    let shared = subscription(&scope, "shared", 1_000, 0);
    let own = subscription(&scope, "own", 2_000, 0);
    put(&*store, &first, &shared).await;
    put(&*store, &first, &own).await;

    let taken = subscription(&scope, "shared", 3_000, 1);
    put(&*store, &second, &taken).await;
    assert_eq!(
        subscriptions(&*store, &first).await,
        vec![own.clone()],
        "an endpoint another user registered must leave the first user's list"
    );
    assert_eq!(
        subscriptions(&*store, &second).await,
        vec![taken],
        "the endpoint must be the second user's, with the keys they registered"
    );

    let back = subscription(&scope, "shared", 4_000, 0);
    put(&*store, &first, &back).await;
    assert_eq!(subscriptions(&*store, &first).await, vec![own, back]);
    assert_eq!(
        subscriptions(&*store, &second).await,
        Vec::new(),
        "the endpoint must move back when the first user registers it again"
    );
}

/// Ten subscriptions at different times (two of the oldest at the same instant)
/// registered in any order.
async fn ten_subscriptions(
    store: &dyn Store,
    scope: &Scope,
    user: &UserId,
) -> Vec<PushSubscription> {
    let mut all: Vec<PushSubscription> = (0..MAX_SUBSCRIPTIONS_PER_USER)
        .map(|index| {
            let created = 10_000 + 1_000 * i64::try_from(index.max(1)).expect("small");
            subscription(scope, &format!("browser-{index:02}"), created, index % 2)
        })
        .collect();
    for sub in all.iter().rev() {
        put(store, user, sub).await;
    }
    all.sort_by(|a, b| (a.created, &a.endpoint).cmp(&(b.created, &b.endpoint)));
    assert_eq!(
        subscriptions(store, user).await,
        all,
        "a user may keep {MAX_SUBSCRIPTIONS_PER_USER} subscriptions"
    );
    all
}

/// One subscription more than a user may keep removes their oldest (of two registered at
/// the same instant, the one whose endpoint sorts first); other users keep theirs.
pub async fn the_eleventh_subscription_removes_the_oldest(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (user, neighbour) = (scope.id("u"), scope.id("neighbour"));
    let theirs = subscription(&scope, "neighbours", 500, 0);
    put(&*store, &neighbour, &theirs).await;
    let mut kept = ten_subscriptions(&*store, &scope, &user).await;

    let newest = subscription(&scope, "newest", 100_000, 1);
    put(&*store, &user, &newest).await;
    let oldest = kept.remove(0);
    assert!(
        oldest.endpoint.ends_with("browser-00"),
        "the oldest by endpoint"
    );
    kept.push(newest);
    let listed = subscriptions(&*store, &user).await;
    assert_eq!(
        listed,
        kept,
        "the {}th subscription must remove the oldest ({}), got {:?}",
        MAX_SUBSCRIPTIONS_PER_USER + 1,
        oldest.endpoint,
        endpoints(&listed)
    );
    assert!(
        !remove(&*store, &user, &oldest.endpoint).await,
        "the removed subscription must be gone, not hidden"
    );
    assert_eq!(
        subscriptions(&*store, &neighbour).await,
        vec![theirs],
        "another user's subscriptions do not count towards this user's limit"
    );
}

/// A subscription put for a user who already keeps the most they may, and older than all
/// of them, is itself the oldest: it is the one removed, and the others stay.
pub async fn an_eleventh_subscription_older_than_the_rest_is_dropped(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let user = scope.id("u");
    let kept = ten_subscriptions(&*store, &scope, &user).await;
    let stale = subscription(&scope, "stale", 0, 0);
    put(&*store, &user, &stale).await;
    assert_eq!(
        subscriptions(&*store, &user).await,
        kept,
        "a subscription older than a full list's must be the one removed"
    );
}

/// `remove_push_subscription` removes only the caller's own subscription: another user's
/// attempt answers false and changes nothing; the owner's answers true, then false.
pub async fn remove_push_subscription_removes_only_the_callers_own(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (owner, stranger) = (scope.id("owner"), scope.id("stranger"));
    let browser = subscription(&scope, "browser", 1_000, 0);
    let other = subscription(&scope, "other", 2_000, 1);
    put(&*store, &owner, &browser).await;
    put(&*store, &owner, &other).await;
    let strangers_own = subscription(&scope, "strangers", 1_500, 0);
    put(&*store, &stranger, &strangers_own).await;

    assert!(
        !remove(&*store, &stranger, &browser.endpoint).await,
        "removing another user's endpoint must answer false"
    );
    assert_eq!(
        subscriptions(&*store, &owner).await,
        vec![browser.clone(), other.clone()],
        "another user's remove must change nothing"
    );
    assert_eq!(
        subscriptions(&*store, &stranger).await,
        vec![strangers_own],
        "a refused remove must not touch the caller's own subscriptions either"
    );

    assert!(
        remove(&*store, &owner, &browser.endpoint).await,
        "removing one's own subscription must answer true"
    );
    assert_eq!(subscriptions(&*store, &owner).await, vec![other]);
    assert!(
        !remove(&*store, &owner, &browser.endpoint).await,
        "removing it again must answer false"
    );
    assert!(
        !remove(&*store, &owner, "https://push.example/never-registered").await,
        "an endpoint nobody registered is no subscription"
    );
}
