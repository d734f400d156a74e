//! Sending this node's events to the other nodes: an ordered queue drained by one task
//! that pipelines the `PUBLISH` commands. A slow or absent Redis never holds up a send
//! (the event has reached this node's sockets already), and every envelope carries this
//! node's next sequence number, so a receiver that misses one (dropped here when the queue
//! was full, or lost with a failed `PUBLISH`) notices the gap.

use super::envelope::Outgoing;
use super::{WarnThrottle, retrying};
use redis::aio::ConnectionManager;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Events waiting for Redis, at most; beyond, they are dropped (and counted).
const QUEUE_CAPACITY: usize = 8192;
/// Most `PUBLISH` commands sent in one round trip.
const MAX_BATCH: usize = 256;

/// The sending end, held by the hub.
pub(crate) struct Publisher {
    queue: mpsc::Sender<Outgoing>,
    dropped: Arc<AtomicU64>,
}

impl Publisher {
    /// Starts the publishing task on `channel`.
    pub(crate) fn start(
        commands: ConnectionManager,
        channel: String,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, pending) = mpsc::channel(QUEUE_CAPACITY);
        let dropped = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(run(commands, channel, pending, Arc::clone(&dropped)));
        (Self { queue, dropped }, task)
    }

    /// Queues `envelope` without waiting; a full queue drops it, which the next envelope's
    /// sequence number makes visible to the other nodes.
    pub(crate) fn send(&self, envelope: Outgoing) {
        if self.queue.try_send(envelope).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn run(
    commands: ConnectionManager,
    channel: String,
    mut pending: mpsc::Receiver<Outgoing>,
    dropped: Arc<AtomicU64>,
) {
    let mut next_seq: u64 = 1;
    let warnings = WarnThrottle::default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Sequence numbers of dropped events are skipped, so receivers see the gap.
        next_seq += dropped.swap(0, Ordering::Relaxed);
        let mut pipeline = redis::pipe();
        for mut envelope in batch.drain(..) {
            envelope.seq = next_seq;
            next_seq += 1;
            match serde_json::to_string(&envelope) {
                Ok(payload) => {
                    pipeline.cmd("PUBLISH").arg(&channel).arg(payload).ignore();
                }
                Err(error) => tracing::error!(%error, "cannot serialise an event for Redis"),
            }
        }
        let published: redis::RedisResult<()> = retrying(|| {
            let mut commands = commands.clone();
            let pipeline = pipeline.clone();
            async move { pipeline.query_async(&mut commands).await }
        })
        .await;
        if let Err(error) = published
            && warnings.allow()
        {
            tracing::warn!(%error, "Redis unreachable: events reach this node's connections only");
        }
    }
}
