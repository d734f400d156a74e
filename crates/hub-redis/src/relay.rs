//! Receiving other nodes' events: one subscribed connection listening on the node channel
//! and on the channel of every user held here (see [`crate::subscriptions`]), delivered
//! into this node's registry, and re-established with backoff when Redis goes away.

use super::WarnThrottle;
use super::envelope::{Incoming, Received};
use super::recheck::Recheck;
use super::subscriptions::Subscriptions;
use classchat_core::{Clock, SystemClock, Timestamp, UserId};
use classchat_live::{LiveEvent, Registry};
use futures::StreamExt;
use redis::aio::PubSubStream;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// First wait before resubscribing; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between two attempts to resubscribe.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Taken off the moment a lost subscription is noticed: what was published a little
/// earlier may have been lost too, and other nodes' clocks may run ahead of this one's.
const LOSS_MARGIN_MICROS: i64 = 10_000_000;

/// What the receiving task works with.
pub(crate) struct Relay {
    /// Where to subscribe again.
    pub(crate) client: redis::Client,
    /// The channel every node listens on.
    pub(crate) node_channel: String,
    /// This node's id: its own envelopes are skipped.
    pub(crate) node: String,
    /// This node's connections.
    pub(crate) registry: Arc<Registry>,
    /// The users' channels this node listens on.
    pub(crate) subscriptions: Arc<Subscriptions>,
    /// Targeted recovery.
    pub(crate) recheck: Arc<Recheck>,
    /// Whether events from other nodes arrive right now.
    pub(crate) listening: Arc<AtomicBool>,
}

impl Relay {
    /// Opens a subscribed connection: the node channel, then the channel of every user
    /// held here.
    pub(crate) async fn subscribe(&self) -> redis::RedisResult<PubSubStream> {
        let (mut sink, stream) = self.client.get_async_pubsub().await?.split();
        sink.subscribe(&self.node_channel).await?;
        // Attached before the users are listed: a user connecting from now on subscribes
        // on their own; one connected before is in the list.
        self.subscriptions.attach(Some(sink));
        if let Err(error) = self
            .subscriptions
            .subscribe_all(&self.registry.users())
            .await
        {
            self.subscriptions.attach(None);
            return Err(error);
        }
        Ok(stream)
    }

    /// Delivers every event published by another node until the process ends. Events
    /// published while this node was not subscribed are gone (pub/sub keeps nothing), so
    /// once the subscription is back, the users held here are looked up in the store and
    /// only those who may have missed something are sent to catch up.
    pub(crate) async fn run(self, mut subscribed: PubSubStream) {
        loop {
            let mut sequences = Sequences::default();
            while let Some(message) = subscribed.next().await {
                self.receive(&message, &mut sequences);
            }
            self.listening.store(false, Ordering::Release);
            self.subscriptions.attach(None);
            let since = SystemClock.now().plus_micros(-LOSS_MARGIN_MICROS);
            tracing::warn!("lost the Redis subscription; events from other nodes wait for it");
            subscribed = self.resubscribe().await;
            self.listening.store(true, Ordering::Release);
            tracing::info!("Redis subscription back; looking for what its users missed");
            let recheck = Arc::clone(&self.recheck);
            let users = self.registry.users();
            tokio::spawn(async move { recheck.run(users, since).await });
        }
    }

    fn receive(&self, message: &redis::Msg, sequences: &mut Sequences) {
        let envelope = match serde_json::from_slice::<Incoming<'_>>(message.get_payload_bytes()) {
            Ok(envelope) if envelope.node != self.node => envelope,
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(%error, "ignoring a malformed event from Redis");
                return;
            }
        };
        if sequences.repeated(&envelope.node, envelope.seq) {
            return;
        }
        let received = match envelope.open() {
            Ok(received) => received,
            Err(error) => {
                tracing::warn!(%error, from = %envelope.node, "ignoring an event from Redis");
                return;
            }
        };
        // A copy on a user's channel concerns that user only, whatever it names.
        let channel = message.get_channel_name();
        let only = match self.subscriptions.user_of(channel) {
            Some(user) => match UserId::parse(user) {
                Ok(user) => Some(user),
                Err(_) => return,
            },
            None => None,
        };
        self.deliver(received, only.as_ref());
    }

    /// Does what another node's envelope asks. The connection that caused an event lives
    /// on the publishing node: nothing to skip here.
    fn deliver(&self, received: Received, only: Option<&UserId>) {
        let keep = |recipients: Vec<UserId>| -> Vec<UserId> {
            match only {
                Some(user) => recipients.into_iter().filter(|r| r == user).collect(),
                None => recipients,
            }
        };
        match received {
            Received::Event { recipients, event } => {
                self.registry
                    .deliver_to(&keep(recipients), None, &LiveEvent::new(event));
            }
            Received::Revoke { recipients, why } => {
                for user in &keep(recipients) {
                    self.registry.revoke(user, why);
                }
            }
            Received::Resync { recipients, since } => {
                let users = match (recipients.is_empty(), only) {
                    (true, None) => self.registry.users(),
                    _ => keep(recipients),
                };
                self.resync(users, since);
            }
        }
    }

    fn resync(&self, users: Vec<UserId>, since: Timestamp) {
        let users: Vec<UserId> = users
            .into_iter()
            .filter(|user| self.registry.connections_of(user) > 0)
            .collect();
        if users.is_empty() {
            return;
        }
        let recheck = Arc::clone(&self.recheck);
        tokio::spawn(async move { recheck.run(users, since).await });
    }

    /// Tries to subscribe again, with growing pauses, until it works.
    async fn resubscribe(&self) -> PubSubStream {
        let mut backoff = MIN_BACKOFF;
        let warnings = WarnThrottle::default();
        loop {
            tokio::time::sleep(backoff).await;
            match self.subscribe().await {
                Ok(stream) => return stream,
                Err(error) => {
                    if warnings.allow() {
                        tracing::warn!(%error, "cannot subscribe to Redis; retrying");
                    }
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Nodes whose sequence numbers are remembered, at most; past it the memory starts over
/// (nodes that restarted have new ids, so old ones pile up).
const REMEMBERED_NODES: usize = 1024;

/// The last sequence number seen from each other node. A node numbers every copy it
/// publishes, and Redis hands one publisher's messages to a subscriber in order, so a
/// number not above the last is a repeat (a retried pipeline that had gone through). A
/// jump is normal: the copies in between went to users held elsewhere.
#[derive(Default)]
struct Sequences {
    last: HashMap<String, u64>,
}

impl Sequences {
    fn repeated(&mut self, node: &str, seq: u64) -> bool {
        if self.last.len() >= REMEMBERED_NODES && !self.last.contains_key(node) {
            self.last.clear();
        }
        match self.last.get_mut(node) {
            Some(last) if seq <= *last => true,
            Some(last) => {
                *last = seq;
                false
            }
            None => {
                self.last.insert(node.to_owned(), seq);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_reveal_repeats_per_node() {
        let mut sequences = Sequences::default();
        assert!(!sequences.repeated("a", 5));
        assert!(!sequences.repeated("a", 6));
        assert!(!sequences.repeated("b", 1));
        assert!(sequences.repeated("a", 6));
        assert!(!sequences.repeated("a", 9));
        assert!(sequences.repeated("a", 7));
        assert!(!sequences.repeated("b", 2));
    }
}
