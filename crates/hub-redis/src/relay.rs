//! Receiving other nodes' events: one subscription to the event channel, delivered into
//! this node's registry, re-established with backoff when Redis goes away.

use super::WarnThrottle;
use super::envelope::{Incoming, Received};
use classchat_live::{CloseReason, LiveEvent, Registry};
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

/// Subscribes to `channel` on a connection of its own (a subscribed connection can do
/// nothing else).
pub(crate) async fn subscribe(
    client: &redis::Client,
    channel: &str,
) -> redis::RedisResult<PubSubStream> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub.into_on_message())
}

/// Delivers every event published by another node until the process ends. Events
/// published while this node was not subscribed are gone (pub/sub keeps nothing), so each
/// time the subscription is lost, and again once it is back, this node's sockets are
/// closed with 1012: their clients reconnect and catch up from the store with `sync`.
pub(crate) async fn run(
    client: redis::Client,
    channel: String,
    node: String,
    registry: Arc<Registry>,
    mut subscribed: PubSubStream,
    listening: Arc<AtomicBool>,
) {
    loop {
        let mut sequences = Sequences::default();
        while let Some(message) = subscribed.next().await {
            let envelope = match serde_json::from_slice::<Incoming<'_>>(message.get_payload_bytes())
            {
                Ok(envelope) if envelope.node != node => envelope,
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(%error, "ignoring a malformed event from Redis");
                    continue;
                }
            };
            match sequences.observe(&envelope.node, envelope.seq) {
                Observed::Next => {}
                Observed::Repeated => continue,
                Observed::After(missed) => {
                    tracing::warn!(
                        from = %envelope.node,
                        missed,
                        "events from another node were lost; closing sockets so clients catch up"
                    );
                    registry.close_all(CloseReason::MissedEvents);
                }
            }
            match envelope.open() {
                Ok(received) => deliver(&registry, received),
                Err(error) => {
                    tracing::warn!(%error, from = %envelope.node, "ignoring an event from Redis")
                }
            }
        }
        listening.store(false, Ordering::Release);
        tracing::warn!("lost the Redis subscription; closing sockets so clients catch up");
        registry.close_all(CloseReason::MissedEvents);
        subscribed = resubscribe(&client, &channel).await;
        tracing::info!("Redis subscription back; closing sockets opened meanwhile");
        registry.close_all(CloseReason::MissedEvents);
        listening.store(true, Ordering::Release);
    }
}

/// Nodes whose sequence numbers are remembered, at most; past it the memory starts over
/// (nodes that restarted have new ids, so old ones pile up).
const REMEMBERED_NODES: usize = 1024;

/// The last sequence number seen from each other node.
#[derive(Default)]
struct Sequences {
    last: HashMap<String, u64>,
}

/// How an envelope's sequence number relates to what came before from its node.
#[derive(Debug, PartialEq, Eq)]
enum Observed {
    /// The next one (or the first heard from that node).
    Next,
    /// Seen already: a retried `PUBLISH` that had gone through.
    Repeated,
    /// This many events before it never arrived.
    After(u64),
}

impl Sequences {
    fn observe(&mut self, node: &str, seq: u64) -> Observed {
        if self.last.len() >= REMEMBERED_NODES && !self.last.contains_key(node) {
            self.last.clear();
        }
        let previous = self.last.get(node).copied();
        match previous {
            Some(last) if seq <= last => Observed::Repeated,
            Some(last) if seq > last + 1 => {
                self.last.insert(node.to_owned(), seq);
                Observed::After(seq - last - 1)
            }
            _ => {
                self.last.insert(node.to_owned(), seq);
                Observed::Next
            }
        }
    }
}

/// Tries to subscribe again, with growing pauses, until it works.
async fn resubscribe(client: &redis::Client, channel: &str) -> PubSubStream {
    let mut backoff = MIN_BACKOFF;
    let warnings = WarnThrottle::default();
    loop {
        tokio::time::sleep(backoff).await;
        match subscribe(client, channel).await {
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

/// Does what another node's envelope asks. The connection that caused an event lives on
/// the publishing node: nothing to skip here.
fn deliver(registry: &Registry, received: Received) {
    match received {
        Received::Event { recipients, event } => {
            registry.deliver_to(&recipients, None, &LiveEvent::new(event));
        }
        Received::Revoke { recipients, why } => {
            for user in &recipients {
                registry.revoke(user, why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_reveal_lost_and_repeated_events_per_node() {
        let mut sequences = Sequences::default();
        assert_eq!(sequences.observe("a", 5), Observed::Next);
        assert_eq!(sequences.observe("a", 6), Observed::Next);
        assert_eq!(sequences.observe("b", 1), Observed::Next);
        assert_eq!(sequences.observe("a", 6), Observed::Repeated);
        assert_eq!(sequences.observe("a", 9), Observed::After(2));
        assert_eq!(sequences.observe("a", 10), Observed::Next);
        assert_eq!(sequences.observe("b", 2), Observed::Next);
    }
}
