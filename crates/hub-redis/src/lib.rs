//! Fan-out between classchat nodes through Redis pub/sub.
//!
//! Several `classchat serve` processes behind one load balancer share a store (DynamoDB)
//! and one Redis. A user's devices may be connected to different nodes, so an event
//! published on one node must reach connections on all of them, and "online" must mean
//! "connected to any node".
//!
//! - **Events**: a node delivers an event to its own connections at once, then publishes
//!   a copy for each recipient on that recipient's channel (`<namespace>:u:<userId>`) in a
//!   versioned envelope of domain events (see `envelope`; never the clients' frames). A
//!   node subscribes to a user's channel while it holds one of their connections (see
//!   `subscriptions`), so Redis hands an event only to the nodes that hold a recipient,
//!   and they validate it and deliver it, encoding it for their clients' wire formats
//!   themselves. Publishing is queued and pipelined, so Redis never holds up a send.
//! - **Recovery** (see `recheck`): Redis pub/sub is fire-and-forget, and the store is the
//!   source of truth. An event that never reached Redis is remembered by its recipients,
//!   and its node asks the nodes holding them to resynchronise them once Redis is back
//!   (revocations are sent again). A node that lost its subscription looks, once it is
//!   back, for the users it holds who have something new in the store since shortly
//!   before. Either way only those users' connections are closed with 1012, so their
//!   clients reconnect and `sync`; nobody else reconnects. Nothing acknowledged is lost.
//! - **Revocation**: a user whose sessions end (disabled, role or password changed,
//!   signed out) has their connections closed on this node at once and on the others
//!   through the same channel (an envelope with `revoke` instead of a frame).
//! - **Presence**: each node keeps the set of users connected to it (`<namespace>:node:<id>`)
//!   and a heartbeat in a sorted set (`<namespace>:nodes`, scored by Redis's clock). Opening
//!   a user's first connection on a node, or closing their last, runs one Lua script that
//!   updates the node's set and looks at the other live nodes' sets atomically, so exactly
//!   one node announces a user coming online or going offline. A node that dies stops
//!   heartbeating and its users count as offline once its heartbeat is stale.

mod envelope;
mod presence;
mod publisher;
mod recheck;
mod relay;
mod subscriptions;
#[cfg(feature = "test-support")]
pub mod testing;

use async_trait::async_trait;
use classchat_core::{Delivery, Event, Hub, Revocation, Store, UserId};
use classchat_live::{LiveEvent, Registry};
use envelope::Outgoing;
use presence::Presence;
use publisher::{Channels, Publisher};
use recheck::Recheck;
use redis::aio::ConnectionManagerConfig;
use relay::Relay;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use subscriptions::Subscriptions;
use tokio::task::JoinHandle;

/// How long a Redis command may take before the hub gives up on it (and falls back to
/// what this node knows by itself).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// Least time between two warnings about Redis being unreachable.
const WARN_EVERY: Duration = Duration::from_secs(5);

/// Lets a warning through at most once per [`WARN_EVERY`]: an outage logs a line every few
/// seconds, not one per event.
#[derive(Default)]
pub(crate) struct WarnThrottle {
    last: std::sync::Mutex<Option<Instant>>,
}

impl WarnThrottle {
    /// Whether a warning may be logged now (and if so, the clock restarts).
    pub(crate) fn allow(&self) -> bool {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= WARN_EVERY);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

/// Where the hub's Redis is and which keys it uses.
#[derive(Debug, Clone)]
pub struct RedisHubConfig {
    /// `redis://host:port/db`, `rediss://…` or `unix:///path/to/redis.sock`.
    pub url: String,
    /// Prefix of every key and channel, so several deployments can share one Redis.
    pub namespace: String,
}

/// Why the hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum RedisHubError {
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(#[source] redis::RedisError),
    /// Redis did not answer.
    #[error("cannot reach Redis at {url}: {source}")]
    Unreachable {
        /// The URL tried (without credentials).
        url: String,
        /// What went wrong.
        #[source]
        source: redis::RedisError,
    },
}

/// A [`Hub`] spanning every node connected to the same Redis; see the crate docs.
pub struct RedisHub {
    node: String,
    local: Arc<Registry>,
    publisher: Publisher,
    presence: Presence,
    subscriptions: Arc<Subscriptions>,
    recheck: Arc<Recheck>,
    listening: Arc<AtomicBool>,
    warnings: WarnThrottle,
    tasks: Vec<JoinHandle<()>>,
}

impl RedisHub {
    /// Connects to Redis, subscribes to the event channel and starts the heartbeat.
    /// Events from other nodes are delivered into `local`. Fails if Redis cannot be
    /// reached now; later outages are survived (see the crate docs).
    pub async fn connect(
        config: &RedisHubConfig,
        local: Arc<Registry>,
    ) -> Result<Arc<Self>, RedisHubError> {
        let client = redis::Client::open(config.url.as_str()).map_err(RedisHubError::InvalidUrl)?;
        let unreachable = |source| RedisHubError::Unreachable {
            url: redacted(&config.url),
            source,
        };
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let commands = client
            .get_connection_manager_with_config(manager_config)
            .await
            .map_err(unreachable)?;
        let node = ulid::Ulid::new().to_string();
        let node_channel = format!("{}:events", config.namespace);
        let presence = Presence::new(&config.namespace, &node, commands.clone());
        presence.heartbeat(&local).await.map_err(unreachable)?;

        let subscriptions = Arc::new(Subscriptions::new(&config.namespace));
        let recheck = Arc::new(Recheck::new(Arc::clone(&local)));
        let listening = Arc::new(AtomicBool::new(true));
        let relay = Relay {
            client,
            node_channel: node_channel.clone(),
            node: node.clone(),
            registry: Arc::clone(&local),
            subscriptions: Arc::clone(&subscriptions),
            recheck: Arc::clone(&recheck),
            listening: Arc::clone(&listening),
        };
        let subscribed = relay.subscribe().await.map_err(unreachable)?;
        let relay = tokio::spawn(relay.run(subscribed));
        let heartbeat = tokio::spawn(presence::beat(presence.clone(), Arc::clone(&local)));
        let channels = Channels {
            subscriptions: Arc::clone(&subscriptions),
            node_channel,
            node: node.clone(),
        };
        let (publisher, publishing) = Publisher::start(commands, channels);
        tracing::info!(%node, "fan-out through Redis");
        Ok(Arc::new(Self {
            node,
            local,
            publisher,
            presence,
            subscriptions,
            recheck,
            listening,
            warnings: WarnThrottle::default(),
            tasks: vec![relay, heartbeat, publishing],
        }))
    }

    /// This node's id in Redis.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Whether this node receives other nodes' events right now (false between losing its
    /// subscription and getting it back).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Gives the hub the store, so that after lost events it closes only the connections
    /// of the users with something new there (see the crate docs); until then it closes
    /// every connection of the users concerned. The store is opened after the hub, which
    /// the service needs first, hence a setter.
    pub fn use_store(&self, store: Arc<dyn Store>) {
        self.recheck.use_store(store);
    }

    /// Users looked at for lost events, and users whose connections were closed to catch
    /// up, since this node started.
    pub fn resync_counts(&self) -> (u64, u64) {
        self.recheck.counts()
    }

    fn warn_unreachable(&self, what: &str, error: &dyn std::fmt::Display) {
        if self.warnings.allow() {
            tracing::warn!(%error, "Redis unreachable: {what}");
        }
    }
}

impl Drop for RedisHub {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[async_trait]
impl Hub for RedisHub {
    async fn publish(&self, delivery: &Delivery, event: &Event) {
        self.local.deliver(delivery, &LiveEvent::new(event.clone()));
        if let Some(envelope) = Outgoing::event(&self.node, &delivery.recipients, event) {
            self.publisher.send(envelope);
        }
    }

    async fn revoke(&self, user: &UserId, why: Revocation) {
        self.local.revoke(user, why);
        if let Some(envelope) = Outgoing::revoke(&self.node, user, why) {
            self.publisher.send(envelope);
        }
    }

    async fn online(&self, users: &[UserId]) -> Vec<UserId> {
        match self.presence.online(users).await {
            Ok(online) => online,
            Err(error) => {
                self.warn_unreachable("presence of this node's connections only", &error);
                self.local.online(users)
            }
        }
    }

    async fn connection_opened(&self, user: &UserId, first_here: bool) -> bool {
        if !first_here {
            return false;
        }
        // Subscribed before the connection reads its client's first frame (a `sync`).
        let (subscribed, attached) = tokio::join!(
            self.subscriptions.subscribe(user),
            self.presence.attach(user)
        );
        if let Err(error) = subscribed {
            self.warn_unreachable("this user's events from other nodes wait", &error);
        }
        match attached {
            Ok(first_anywhere) => first_anywhere,
            Err(error) => {
                self.warn_unreachable("presence decided by this node alone", &error);
                true
            }
        }
    }

    async fn connection_closed(&self, user: &UserId, last_here: bool) -> bool {
        if !last_here {
            return false;
        }
        let (unsubscribed, detached) = tokio::join!(
            self.subscriptions.unsubscribe(user, &self.local),
            self.presence.detach(user, &self.local)
        );
        if let Err(error) = unsubscribed {
            self.warn_unreachable("an unused subscription stays", &error);
        }
        match detached {
            Ok(last_anywhere) => last_anywhere,
            Err(error) => {
                self.warn_unreachable("presence decided by this node alone", &error);
                true
            }
        }
    }
}

/// Runs a Redis call, and once more if the connection had dropped: the connection
/// manager only notices a restarted Redis on the first call after it, and reconnects for
/// the next one.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> redis::RedisResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = redis::RedisResult<T>>,
{
    match attempt().await {
        Err(error) if error.is_connection_dropped() || error.is_io_error() => attempt().await,
        outcome => outcome,
    }
}

/// `url` without a password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_in_messages() {
        assert_eq!(
            redacted("redis://:secret@cache:6379/0"),
            "redis://…@cache:6379/0"
        );
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redacted("unix:///run/redis.sock"), "unix:///run/redis.sock");
    }
}
