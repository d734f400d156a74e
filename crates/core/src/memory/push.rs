//! Push subscriptions in the memory store (one map by endpoint, so an endpoint has one
//! owner, as the SQLite store's primary key gives it), pending notifications and leases.

use super::state::State;
use crate::ids::UserId;
use crate::notify::subscription::MAX_SUBSCRIPTIONS_PER_USER;
use crate::notify::{Lease, Pending, PushSubscription};
use crate::time::Timestamp;

impl State {
    pub(super) fn push_subscriptions(&self, user: &UserId) -> Vec<PushSubscription> {
        let mut theirs: Vec<PushSubscription> = self
            .push
            .values()
            .filter(|(owner, _)| owner == user)
            .map(|(_, subscription)| subscription.clone())
            .collect();
        theirs.sort_by(|a, b| (a.created, &a.endpoint).cmp(&(b.created, &b.endpoint)));
        theirs
    }

    pub(super) fn put_push_subscription(&mut self, user: &UserId, subscription: &PushSubscription) {
        self.push.insert(
            subscription.endpoint.clone(),
            (user.clone(), subscription.clone()),
        );
        let theirs = self.push_subscriptions(user);
        let excess = theirs.len().saturating_sub(MAX_SUBSCRIPTIONS_PER_USER);
        for old in theirs.iter().take(excess) {
            self.push.remove(&old.endpoint);
        }
    }

    pub(super) fn put_pending(&mut self, pending: &Pending) {
        let key = (pending.user.clone(), pending.kind);
        let merged = match self.pending.get(&key) {
            Some(kept) => Pending {
                due: kept.due.min(pending.due),
                since: kept.since.min(pending.since),
                ..pending.clone()
            },
            None => pending.clone(),
        };
        self.pending.insert(key, merged);
    }

    pub(super) fn due_pending(&self, now: Timestamp, limit: usize) -> Vec<Pending> {
        let mut due: Vec<Pending> = self
            .pending
            .values()
            .filter(|pending| pending.due <= now)
            .cloned()
            .collect();
        due.sort_by(|a, b| (a.due, &a.user, a.kind).cmp(&(b.due, &b.user, b.kind)));
        due.truncate(limit);
        due
    }

    pub(super) fn take_pending(&mut self, pending: &Pending) -> bool {
        let key = (pending.user.clone(), pending.kind);
        if self.pending.get(&key) == Some(pending) {
            self.pending.remove(&key);
            true
        } else {
            false
        }
    }

    pub(super) fn try_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> bool {
        let free = self
            .leases
            .get(name)
            .is_none_or(|lease| lease.holder == holder || lease.until < now);
        if free {
            let lease = Lease {
                name: name.to_owned(),
                holder: holder.to_owned(),
                until,
            };
            self.leases.insert(name.to_owned(), lease);
        }
        free
    }
}
