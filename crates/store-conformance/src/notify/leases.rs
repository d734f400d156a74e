//! Leases of background jobs: [`Store::try_lease`].
//!
//! One holder at a time: whoever holds a lease renews it, anyone else gets it only once
//! it has lapsed (its `until` before `now`; at `until` itself it is still held).

use crate::fixtures::{Scope, at};
use classchat_core::store::Store;
use std::sync::Arc;

/// [`Store::try_lease`] at the given times (microseconds after the base time), which
/// must not fail.
async fn try_lease(store: &dyn Store, name: &str, holder: &str, now: i64, until: i64) -> bool {
    store
        .try_lease(name, holder, at(now), at(until))
        .await
        .unwrap_or_else(|error| {
            panic!(
                "try_lease({name}, {holder}, {}, {}) failed: {error}",
                at(now),
                at(until)
            )
        })
}

/// The first to ask gets a lease; anyone else is refused until it lapses, while its
/// holder renews it at will; once it lapses another node gets it, and the first is then
/// refused. Leases of other names are apart.
pub async fn a_lease_has_one_holder_until_it_lapses(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let name = format!("notices-{}", scope.id("job"));
    let other_job = format!("digests-{}", scope.id("job"));
    let (first, second) = ("node-a", "node-b");

    assert!(
        try_lease(&*store, &name, first, 0, 1_000).await,
        "a lease nobody ever took goes to the first who asks"
    );
    assert!(
        !try_lease(&*store, &name, second, 500, 1_500).await,
        "a lease held by another is refused before it lapses"
    );
    assert!(
        !try_lease(&*store, &name, second, 1_000, 2_000).await,
        "a lease is still held at its `until`: it lapses only after"
    );
    assert!(
        try_lease(&*store, &name, first, 900, 3_000).await,
        "its holder renews a lease"
    );
    assert!(
        !try_lease(&*store, &name, second, 2_000, 4_000).await,
        "a renewed lease is held until its new `until`"
    );
    assert!(
        try_lease(&*store, &other_job, second, 2_000, 4_000).await,
        "a lease of another name is apart"
    );

    assert!(
        try_lease(&*store, &name, second, 3_001, 4_000).await,
        "a lapsed lease goes to whoever asks"
    );
    assert!(
        !try_lease(&*store, &name, first, 3_500, 5_000).await,
        "the former holder is refused once another took the lapsed lease"
    );
    assert!(
        try_lease(&*store, &name, second, 4_500, 6_000).await,
        "the new holder renews it, even after its own `until` passed (nobody took it)"
    );
    assert!(
        !try_lease(&*store, &name, first, 5_000, 7_000).await,
        "the renewal holds it again"
    );
}
