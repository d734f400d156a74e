//! Targeted recovery: when events for some users may have been lost (this node lost its
//! subscription for a while, or another node could not publish), look in the store,
//! which is the source of truth, and close only the connections of the users who have
//! something new since then (with 1012, naming the time to `sync` from: their clients
//! reconnect and sync from there, not from the newest message they hold, which may be
//! newer than what they missed), or whose
//! account was disabled meanwhile or whose tokens were revoked (a role or password
//! change, a sign-out: the stored token version moved past a connection's; the client's
//! reconnect is then refused). Everyone else stays connected: after a Redis restart
//! with 100,000 sockets, only the users who were sent something reconnect.
//!
//! Until the hub is given the store ([`crate::RedisHub::use_store`]), it cannot tell,
//! and closes every connection of the users concerned.

use classchat_core::{Store, Timestamp, UserId};
use classchat_live::{CloseReason, Registry};
use futures::StreamExt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// `since`, telling each client where to sync from; how many users that was.
    ///
    /// Each is closed as soon as it is found, and news is looked for first (one query a
    /// user), the revocations after (one more): a node holding 17,000 users takes
    /// seconds to check them all, and the users with something missed are the ones
    /// waiting.
    pub(crate) async fn run(&self, users: Vec<UserId>, since: Timestamp) -> usize {
        let checked = users.len();
        let closed = AtomicUsize::new(0);
        let close = |user: &UserId, since: Timestamp| {
            if self
                .registry
                .close_user(user, CloseReason::MissedEvents { since })
                > 0
            {
                closed.fetch_add(1, Ordering::Relaxed);
            }
        };
        match self.store.get() {
            None => users.iter().for_each(|user| close(user, since)),
            Some(store) => {
                let registry = &self.registry;
                let close = &close;
                let quiet: Vec<(UserId, Timestamp)> = futures::stream::iter(users)
                    .map(|user| async move {
                        // A connection opened since synced what came before it.
                        let opened = registry.oldest_connection(&user)?;
                        let since = since.max(opened.plus_micros(-SKEW_MICROS));
                        if has_news(store.as_ref(), &user, since).await {
                            close(&user, since);
                            return None;
                        }
                        Some((user, since))
                    })
                    .buffer_unordered(CONCURRENCY)
                    .filter_map(std::future::ready)
                    .collect()
                    .await;
                futures::stream::iter(quiet)
                    .for_each_concurrent(CONCURRENCY, |(user, since)| async move {
                        let version = registry.oldest_token_version(&user);
                        if ended(store.as_ref(), &user, version).await {
                            close(&user, since);
                        }
                    })
                    .await;
            }
        }
        let closed = closed.into_inner();
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

/// Whether `user` has a conversation with news since `since`; a store that cannot
/// answer counts as yes.
async fn has_news(store: &dyn Store, user: &UserId, since: Timestamp) -> bool {
    !matches!(store.conversations_since(user, since).await, Ok(conversations) if conversations.is_empty())
}

/// Whether `user` is disabled or gone, or has a stored token version past `version`
/// (their oldest connection's here); a store that cannot answer counts as yes.
async fn ended(store: &dyn Store, user: &UserId, version: Option<u64>) -> bool {
    match store.get_user(user).await {
        Ok(Some(record)) => {
            record.user.disabled || version.is_some_and(|version| record.token_version > version)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classchat_core::memory::MemoryStore;
    use classchat_core::user::UserRecord;
    use classchat_core::{DisplayName, Role, User};

    async fn store_user(store: &MemoryStore, id: &str, token_version: u64) {
        let record = UserRecord {
            user: User {
                id: UserId::parse(id).unwrap(),
                display_name: DisplayName::parse(id).unwrap(),
                role: Role::Teacher,
                disabled: false,
            },
            password_hash: "not a hash".into(),
            token_version,
        };
        store.create_user(&record).await.unwrap();
    }

    /// A revocation published while this node was not listening (a role or password
    /// change, a sign-out) still ends the connections opened with the older token; a
    /// connection whose token is current, or whose transport did not say, stays.
    #[tokio::test]
    async fn a_connection_whose_token_was_revoked_meanwhile_is_closed() {
        let store = Arc::new(MemoryStore::new());
        let registry = Arc::new(Registry::default());
        let mut connections = Vec::new();
        for (id, stored, opened_with) in [
            ("revoked", 4, Some(3)),
            ("current", 3, Some(3)),
            ("untold", 9, None),
        ] {
            store_user(&store, id, stored).await;
            let registration = registry
                .register(&UserId::parse(id).unwrap(), 8, 4, Timestamp::MIN)
                .unwrap();
            if let Some(version) = opened_with {
                registration.connection.set_token_version(version);
            }
            connections.push((id, registration));
        }
        let recheck = Recheck::new(Arc::clone(&registry));
        recheck.use_store(store);
        let users = connections
            .iter()
            .map(|(id, _)| UserId::parse(id).unwrap())
            .collect();
        assert_eq!(recheck.run(users, Timestamp::MIN).await, 1);
        for (id, registration) in &connections {
            let closed = registration.connection.close_reason();
            assert_eq!(closed.is_some(), *id == "revoked", "{id}: {closed:?}");
        }
    }
}
