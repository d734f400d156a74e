//! Which users' channels this node listens on. Every user has a channel of their own
//! (`<namespace>:u:<userId>`), and a node subscribes to it while it holds a connection of
//! theirs, so Redis hands each event only to the nodes that hold one of its recipients
//! (as Centrifugo subscribes per channel), not to every node.
//!
//! A user's first connection here subscribes before the connection reads anything, so
//! nothing published after its client's `sync` can pass it by. Their last connection
//! leaving unsubscribes. Both run under a lock striped by user, and unsubscribing looks
//! again at the registry under it, so a connection opening while the last one closes
//! always ends subscribed.

use super::COMMAND_TIMEOUT;
use classchat_core::UserId;
use classchat_live::Registry;
use redis::aio::PubSubSink;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

/// Locks serialising subscription changes, striped by user.
const STRIPES: usize = 64;
/// Channels named in one `SUBSCRIBE` when a node subscribes everyone it holds at once.
const SUBSCRIBE_BATCH: usize = 512;

/// This node's subscriptions; see the module docs.
pub(crate) struct Subscriptions {
    /// `<namespace>:u:`, the prefix of every user's channel.
    prefix: String,
    /// The subscribed connection's command side; `None` while it is lost.
    sink: Mutex<Option<PubSubSink>>,
    stripes: Box<[tokio::sync::Mutex<()>]>,
    hasher: RandomState,
}

impl Subscriptions {
    /// Subscriptions to the users' channels of `namespace`.
    pub(crate) fn new(namespace: &str) -> Self {
        Self {
            prefix: format!("{namespace}:u:"),
            sink: Mutex::new(None),
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            hasher: RandomState::new(),
        }
    }

    /// The channel of `user`.
    pub(crate) fn channel(&self, user: &str) -> String {
        format!("{}{user}", self.prefix)
    }

    /// The user whose channel `channel` is, if it is a user's channel.
    pub(crate) fn user_of<'a>(&self, channel: &'a str) -> Option<&'a str> {
        channel.strip_prefix(self.prefix.as_str())
    }

    /// Uses `sink` from now on (`None`: the subscribed connection was lost).
    pub(crate) fn attach(&self, sink: Option<PubSubSink>) {
        *self.slot() = sink;
    }

    /// Subscribes to `user`'s channel. Without a subscribed connection this does nothing:
    /// when it is back, every user held here is subscribed again.
    pub(crate) async fn subscribe(&self, user: &UserId) -> redis::RedisResult<()> {
        let _turn = self.stripe(user).lock().await;
        let Some(mut sink) = self.sink() else {
            return Ok(());
        };
        timed(sink.subscribe(self.channel(user.as_str()))).await
    }

    /// Unsubscribes from `user`'s channel, unless they have a connection here again.
    pub(crate) async fn unsubscribe(
        &self,
        user: &UserId,
        registry: &Registry,
    ) -> redis::RedisResult<()> {
        let _turn = self.stripe(user).lock().await;
        if registry.connections_of(user) > 0 {
            return Ok(());
        }
        let Some(mut sink) = self.sink() else {
            return Ok(());
        };
        timed(sink.unsubscribe(self.channel(user.as_str()))).await
    }

    /// Subscribes to the channels of every user of `users`, a batch per command.
    pub(crate) async fn subscribe_all(&self, users: &[UserId]) -> redis::RedisResult<()> {
        let Some(mut sink) = self.sink() else {
            return Ok(());
        };
        for batch in users.chunks(SUBSCRIBE_BATCH) {
            let channels: Vec<String> = batch
                .iter()
                .map(|user| self.channel(user.as_str()))
                .collect();
            timed(sink.subscribe(channels)).await?;
        }
        Ok(())
    }

    fn sink(&self) -> Option<PubSubSink> {
        self.slot().clone()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<PubSubSink>> {
        self.sink
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn stripe(&self, user: &UserId) -> &tokio::sync::Mutex<()> {
        let index = (self.hasher.hash_one(user) % self.stripes.len() as u64) as usize;
        &self.stripes[index]
    }
}

/// `command`, given up after [`COMMAND_TIMEOUT`].
async fn timed(command: impl Future<Output = redis::RedisResult<()>>) -> redis::RedisResult<()> {
    match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
        Ok(outcome) => outcome,
        Err(_) => Err(redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "Redis did not answer a SUBSCRIBE in time",
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_user_has_a_channel_of_their_own() {
        let subscriptions = Subscriptions::new("classchat:test");
        assert_eq!(subscriptions.channel("t1"), "classchat:test:u:t1");
        assert_eq!(subscriptions.user_of("classchat:test:u:t1"), Some("t1"));
        assert_eq!(subscriptions.user_of("classchat:test:events"), None);
    }
}
