//! Every live connection of this process, by user. Sharded by a hash of the user id (as
//! Centrifugo shards its hub): a delivery locks only its recipients' shards, for the time
//! it takes to clone their handles, so deliveries to different users, registrations and
//! presence checks rarely wait for one another.

use crate::close::CloseReason;
use crate::connection::Connection;
use crate::event::LiveEvent;
use classchat_core::{ConnectionId, Delivery, Revocation, Timestamp, UserId};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Shards of a registry by default; see BENCHMARKS.md ("Registry shards") for the figures
/// it was chosen from.
pub const DEFAULT_SHARDS: usize = 16;

type Shard = HashMap<UserId, Vec<Arc<Connection>>>;

/// Every live connection of this process, by user.
pub struct Registry {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    next_id: AtomicU64,
}

/// A new registration.
pub struct Registration {
    /// The connection (also held by the registry).
    pub connection: Arc<Connection>,
    /// What to write to the socket, in order.
    pub outbound: crate::OutboundReceiver,
    /// Whether this is the user's first live connection here (they just came online).
    pub first: bool,
}

impl Default for Registry {
    fn default() -> Self {
        Self::with_shards(DEFAULT_SHARDS)
    }
}

impl Registry {
    /// A registry of `shards` shards (at least one).
    pub fn with_shards(shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1)).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            next_id: AtomicU64::new(0),
        }
    }

    fn shard(&self, user: &UserId) -> MutexGuard<'_, Shard> {
        // The modulo of a 64-bit hash by a small count: an even spread.
        let index = (self.hasher.hash_one(user) % self.shards.len() as u64) as usize;
        lock(&self.shards[index])
    }

    fn each_shard(&self) -> impl Iterator<Item = MutexGuard<'_, Shard>> {
        self.shards.iter().map(lock)
    }

    /// Registers a connection of `user` with an outbound queue of `capacity` items, unless
    /// they hold `limit` connections already (`None`).
    pub fn register(
        &self,
        user: &UserId,
        capacity: usize,
        limit: usize,
        now: Timestamp,
    ) -> Option<Registration> {
        let number = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = ConnectionId::new(format!("c{number}"));
        let mut shard = self.shard(user);
        let connections = shard.entry(user.clone()).or_default();
        if connections.len() >= limit {
            if connections.is_empty() {
                shard.remove(user);
            }
            return None;
        }
        let (connection, outbound) = Connection::new(id, user.clone(), capacity, now);
        connections.push(Arc::clone(&connection));
        Some(Registration {
            connection,
            outbound,
            first: connections.len() == 1,
        })
    }

    /// How many live connections `user` has here.
    pub fn connections_of(&self, user: &UserId) -> usize {
        self.shard(user).get(user).map_or(0, Vec::len)
    }

    /// Closes every connection of `user` here, saying why their sessions ended.
    pub fn revoke(&self, user: &UserId, why: Revocation) {
        self.close_user(user, CloseReason::Revoked(why));
    }

    /// When the oldest connection of `user` here was opened; `None` if they have none.
    pub fn oldest_connection(&self, user: &UserId) -> Option<Timestamp> {
        self.shard(user)
            .get(user)?
            .iter()
            .map(|connection| connection.opened_at())
            .min()
    }

    /// The oldest token version among the connections of `user` here whose transport gave
    /// one; `None` if there is none.
    pub fn oldest_token_version(&self, user: &UserId) -> Option<u64> {
        self.shard(user)
            .get(user)?
            .iter()
            .filter_map(|connection| connection.token_version())
            .min()
    }

    /// Asks every connection of `user` here to close, for `reason`; how many there were.
    /// A hub resynchronises only the users who may have missed events this way, rather
    /// than every connection of the node.
    pub fn close_user(&self, user: &UserId, reason: CloseReason) -> usize {
        let shard = self.shard(user);
        let connections = shard.get(user).map_or(&[][..], Vec::as_slice);
        connections
            .iter()
            .for_each(|connection| connection.close(reason));
        connections.len()
    }

    /// Removes a connection; whether it was the user's last (they just went offline).
    pub fn unregister(&self, user: &UserId, id: &ConnectionId) -> bool {
        let mut shard = self.shard(user);
        let Some(connections) = shard.get_mut(user) else {
            return false;
        };
        connections.retain(|connection| connection.id() != id);
        let last = connections.is_empty();
        if last {
            shard.remove(user);
        }
        last
    }

    /// Which of `users` have a live connection here.
    pub fn online(&self, users: &[UserId]) -> Vec<UserId> {
        users
            .iter()
            .filter(|user| self.shard(user).contains_key(*user))
            .cloned()
            .collect()
    }

    /// Every user with a live connection here.
    pub fn users(&self) -> Vec<UserId> {
        self.each_shard()
            .flat_map(|shard| shard.keys().cloned().collect::<Vec<_>>())
            .collect()
    }

    /// Live connections in total.
    pub fn connection_count(&self) -> usize {
        self.each_shard()
            .map(|shard| shard.values().map(Vec::len).sum::<usize>())
            .sum()
    }

    /// Asks every connection here to close.
    pub fn close_all(&self, reason: CloseReason) {
        for shard in self.each_shard() {
            shard
                .values()
                .flatten()
                .for_each(|connection| connection.close(reason));
        }
    }

    /// Delivers `event` to the connections here of the delivery's recipients.
    pub fn deliver(&self, delivery: &Delivery, event: &Arc<LiveEvent>) {
        self.deliver_to(&delivery.recipients, delivery.skip.as_ref(), event);
    }

    /// Delivers `event` to the connections here of `recipients`, but not to `skip` (the
    /// connection that caused it). Live events never wait: see [`Connection::push`].
    pub fn deliver_to(
        &self,
        recipients: &[UserId],
        skip: Option<&ConnectionId>,
        event: &Arc<LiveEvent>,
    ) {
        for user in recipients {
            // Clone the handles and let go of the shard before queueing.
            let targets: Vec<Arc<Connection>> = match self.shard(user).get(user) {
                Some(connections) => connections
                    .iter()
                    .filter(|connection| skip != Some(connection.id()))
                    .cloned()
                    .collect(),
                None => continue,
            };
            for connection in targets {
                connection.push_live(event);
            }
        }
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outbound;
    use classchat_core::Event;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn typing(by: &str) -> Arc<LiveEvent> {
        LiveEvent::new(Event::Presence {
            user: user(by),
            online: true,
        })
    }

    #[test]
    fn users_are_spread_over_shards_and_counted_across_them() {
        let registry = Registry::with_shards(4);
        let mut kept = Vec::new();
        for n in 0..200 {
            let registration = registry
                .register(&user(&format!("u{n}")), 4, 10, Timestamp::MIN)
                .unwrap();
            assert!(registration.first);
            kept.push(registration);
        }
        assert_eq!(registry.connection_count(), 200);
        assert_eq!(registry.users().len(), 200);
        let busiest = registry
            .each_shard()
            .map(|shard| shard.len())
            .max()
            .unwrap();
        assert!(busiest < 100, "one shard holds {busiest} of 200 users");
        let asked = [user("u3"), user("nobody"), user("u199")];
        assert_eq!(registry.online(&asked), [user("u3"), user("u199")]);
    }

    #[test]
    fn a_user_holds_at_most_the_limit_and_the_last_to_leave_is_reported() {
        let registry = Registry::default();
        let alice = user("alice");
        let first = registry.register(&alice, 4, 2, Timestamp::MIN).unwrap();
        let second = registry.register(&alice, 4, 2, Timestamp::MIN).unwrap();
        assert!(first.first && !second.first);
        assert!(registry.register(&alice, 4, 2, Timestamp::MIN).is_none());
        assert!(
            registry
                .register(&user("bob"), 4, 0, Timestamp::MIN)
                .is_none()
        );
        assert_eq!(registry.online(&[user("bob")]), Vec::<UserId>::new());
        assert!(!registry.unregister(&alice, first.connection.id()));
        assert!(registry.unregister(&alice, second.connection.id()));
        assert_eq!(registry.connection_count(), 0);
    }

    #[test]
    fn delivery_reaches_every_connection_of_the_recipients_but_the_skipped_one() {
        let registry = Registry::default();
        let mut phone = registry
            .register(&user("t1"), 4, 10, Timestamp::MIN)
            .unwrap();
        let mut laptop = registry
            .register(&user("t1"), 4, 10, Timestamp::MIN)
            .unwrap();
        let mut other = registry
            .register(&user("s2"), 4, 10, Timestamp::MIN)
            .unwrap();
        let event = typing("s1");
        registry.deliver_to(&[user("t1")], Some(phone.connection.id()), &event);
        assert!(phone.outbound.try_recv().is_none());
        assert!(matches!(
            laptop.outbound.try_recv(),
            Some(Outbound::Event(_))
        ));
        assert!(other.outbound.try_recv().is_none());
    }

    #[test]
    fn a_connection_that_cannot_keep_up_is_closed_not_buffered() {
        let registry = Registry::default();
        let slow = registry
            .register(&user("t1"), 2, 10, Timestamp::MIN)
            .unwrap();
        for _ in 0..3 {
            registry.deliver_to(&[user("t1")], None, &typing("s1"));
        }
        assert_eq!(slow.connection.close_reason(), Some(CloseReason::TooSlow));
        assert!(slow.connection.closing().is_cancelled());
    }

    #[test]
    fn revoking_closes_only_that_users_connections_with_the_reason() {
        let registry = Registry::default();
        let alice = registry
            .register(&user("alice"), 4, 10, Timestamp::MIN)
            .unwrap();
        let bob = registry
            .register(&user("bob"), 4, 10, Timestamp::MIN)
            .unwrap();
        registry.revoke(&user("alice"), Revocation::Disabled);
        assert_eq!(
            alice.connection.close_reason(),
            Some(CloseReason::Revoked(Revocation::Disabled))
        );
        assert_eq!(bob.connection.close_reason(), None);
        // The first reason wins.
        alice.connection.close(CloseReason::ShuttingDown);
        assert_eq!(
            alice.connection.close_reason(),
            Some(CloseReason::Revoked(Revocation::Disabled))
        );
    }
}
