//! Push subscriptions in the memory store: one map by endpoint, so an endpoint has one
//! owner, as the SQLite store's primary key gives it.

use super::state::State;
use crate::ids::UserId;
use crate::notify::PushSubscription;
use crate::notify::subscription::MAX_SUBSCRIPTIONS_PER_USER;

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
}
