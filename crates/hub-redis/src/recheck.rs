//! Targeted recovery: when events for some users may have been lost (this node lost its
//! subscription for a while, or another node could not publish), look in the store,
//! which is the source of truth, and close only the connections of the users who have
//! something new since then (with 1012: their clients reconnect and `sync`), or whose
//! account was disabled meanwhile. Everyone else stays connected: after a Redis restart
//! with 100,000 sockets, only the users who were sent something reconnect.
//!
//! Until the hub is given the store ([`crate::RedisHub::use_store`]), it cannot tell,
//! and closes every connection of the users concerned.

use classchat_core::{Store, Timestamp, UserId};
use classchat_live::{CloseReason, Registry};
use futures::StreamExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Users looked up in the store at once.
const CONCURRENCY: usize = 32;
/// Taken off a connection's opening time: another node's clock, which stamped the
/// messages, may run a little ahead of this one's.
const SKEW_MICROS: i64 = 1_000_000;

/// The recovery of a node; see the module docs.
pub(crate) struct Recheck {
    store: OnceLock<Arc<dyn Store>>,
    registry: Arc<Registry>,
    checked: AtomicU64,
    resynced: AtomicU64,
}

impl Recheck {
    /// Recovery for the connections in `registry`.
    pub(crate) fn new(registry: Arc<Registry>) -> Self {
        Self {
            store: OnceLock::new(),
            registry,
            checked: AtomicU64::new(0),
            resynced: AtomicU64::new(0),
        }
    }

    /// Looks in `store` from now on (the first store given stays).
    pub(crate) fn use_store(&self, store: Arc<dyn Store>) {
        let _ = self.store.set(store);
    }

    /// Users looked at, and users whose connections were closed, since the node started.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.checked.load(Ordering::Relaxed),
            self.resynced.load(Ordering::Relaxed),
        )
    }

    /// Closes the connections of those of `users` who may have missed events since
    /// `since`; how many users that was.
    pub(crate) async fn run(&self, users: Vec<UserId>, since: Timestamp) -> usize {
        let checked = users.len();
        let stale: Vec<UserId> = match self.store.get() {
            None => users,
            Some(store) => {
                let registry = &self.registry;
                futures::stream::iter(users)
                    .map(|user| async move {
                        // A connection opened since synced what came before it.
                        let opened = registry.oldest_connection(&user)?;
                        let since = since.max(opened.plus_micros(-SKEW_MICROS));
                        let stale = missed_something(store.as_ref(), &user, since).await;
                        stale.then_some(user)
                    })
                    .buffer_unordered(CONCURRENCY)
                    .filter_map(std::future::ready)
                    .collect()
                    .await
            }
        };
        let closed = stale
            .iter()
            .filter(|user| self.registry.close_user(user, CloseReason::MissedEvents) > 0)
            .count();
        self.checked.fetch_add(checked as u64, Ordering::Relaxed);
        self.resynced.fetch_add(closed as u64, Ordering::Relaxed);
        tracing::info!(
            checked,
            closed,
            "resynchronised the users who may have missed events"
        );
        closed
    }
}

/// Whether `user` has a conversation with news since `since`, or is disabled or gone; a
/// store that cannot answer counts as yes.
async fn missed_something(store: &dyn Store, user: &UserId, since: Timestamp) -> bool {
    match store.conversations_since(user, since).await {
        Ok(conversations) if conversations.is_empty() => {}
        _ => return true,
    }
    match store.get_user(user).await {
        Ok(Some(record)) => record.user.disabled,
        _ => true,
    }
}
