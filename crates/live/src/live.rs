//! The live side of a node: its registry, the limits of its connections, the clock they
//! keep time by, and the shutdown switch every transport's connections obey.

use crate::close::CloseReason;
use crate::hub::LocalHub;
use crate::registry::{DEFAULT_SHARDS, Registry};
use classchat_core::rate::Rate;
use classchat_core::{Clock, Hub, SystemClock, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};

/// Limits of live connections.
#[derive(Debug, Clone, Copy)]
pub struct LiveConfig {
    /// How often idle connections are pinged; two silent intervals close them.
    pub ping_interval: Duration,
    /// Items queued per connection before it counts as too slow and is closed.
    pub queue_capacity: usize,
    /// Largest frame or message a client may send.
    pub max_message_bytes: usize,
    /// Live connections one user may hold on this node (devices, tabs); one more is
    /// refused before the connection is accepted.
    pub connections_per_user: usize,
    /// Frames one connection may send: a burst, then a sustained rate. Frames over it are
    /// answered with a `rate_limited` error and not performed.
    pub frames: Rate,
    /// Shards of the connection registry (see [`Registry`]).
    pub registry_shards: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(30),
            queue_capacity: 256,
            max_message_bytes: 32 * 1024,
            connections_per_user: 10,
            frames: Rate {
                per_second: 20.0,
                burst: 60.0,
            },
            registry_shards: DEFAULT_SHARDS,
        }
    }
}

/// The live side of a node, shared by its transports. One pointer wide: every
/// connection's tasks hold a clone.
#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    config: LiveConfig,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
    /// Connections not yet dropped, including closing ones that already left the registry
    /// and are still writing their close frame: each holds a token of this tracker.
    open: TaskTracker,
}

impl Live {
    /// A fresh registry with `config`, on the system clock.
    pub fn new(config: LiveConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry: Arc::new(Registry::with_shards(config.registry_shards)),
                config,
                clock: Arc::new(SystemClock),
                shutdown: CancellationToken::new(),
                open: TaskTracker::new(),
            }),
        }
    }

    /// The same, keeping time by `clock` (the service's).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        let inner = &self.inner;
        Self {
            inner: Arc::new(Inner {
                registry: Arc::clone(&inner.registry),
                config: inner.config,
                clock,
                shutdown: inner.shutdown.clone(),
                open: inner.open.clone(),
            }),
        }
    }

    /// The in-process hub delivering into this registry; give it to `ChatService::with_hub`.
    pub fn hub(&self) -> Arc<dyn Hub> {
        Arc::new(LocalHub::new(Arc::clone(&self.inner.registry)))
    }

    /// The registry of this process's connections: where a multi-node hub delivers the
    /// events it receives from other nodes.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// The limits of connections.
    pub fn config(&self) -> &LiveConfig {
        &self.inner.config
    }

    /// The clock connections keep time by, for transports that keep time of their own.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.inner.clock)
    }

    /// Now, on the clock connections keep time by.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Connections receiving events right now. A connection leaves as soon as it starts
    /// closing, even while its close frame is still being written.
    pub fn connection_count(&self) -> usize {
        self.inner.registry.connection_count()
    }

    /// Whether the node is shutting down: new connections are refused.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    /// Refuses new connections and closes every open one.
    pub fn shut_down(&self) {
        self.inner.shutdown.cancel();
        self.inner.registry.close_all(CloseReason::ShuttingDown);
    }

    /// Waits until every connection has closed (close frame written or given up on), or
    /// `limit` passes. Woken by the last connection's end, never polled.
    pub async fn drained(&self, limit: Duration) {
        self.inner.open.close();
        let _ = tokio::time::timeout(limit, self.inner.open.wait()).await;
    }

    /// Counts a connection as open until the returned token is dropped.
    pub fn connection_opened(&self) -> TaskTrackerToken {
        self.inner.open.token()
    }
}
