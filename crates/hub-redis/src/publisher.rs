//! Sending this node's events to the other nodes: an ordered queue drained by one task
//! that pipelines the `PUBLISH` commands, one per recipient, each on the recipient's own
//! channel. A slow or absent Redis never holds up a send (the event has reached this
//! node's sockets already).
//!
//! Recovery is targeted. An event that never reached Redis (dropped because the queue was
//! full, or lost with a failed `PUBLISH`) is remembered by its recipients, and once Redis
//! takes commands again a `resync` goes to those recipients' channels only: the nodes
//! holding them look in the store for what they missed. Past [`MAX_MISSED`] recipients
//! the `resync` goes to every node for every user instead. Every copy carries this node's
//! next sequence number, so a receiver skips the repeats of a retried pipeline.

use super::envelope::Outgoing;
use super::subscriptions::Subscriptions;
use super::{WarnThrottle, retrying};
use classchat_core::{Timestamp, UserId};
use redis::aio::ConnectionManager;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

/// Events waiting for Redis, at most; beyond, they are dropped (and their recipients
/// resynchronised).
const QUEUE_CAPACITY: usize = 8192;
/// Most envelopes sent in one round trip.
const MAX_BATCH: usize = 256;
/// Recipients remembered individually; past it, every user is resynchronised.
const MAX_MISSED: usize = 4096;
/// How often a pending `resync` is tried again while no event comes to carry it.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Taken off the oldest lost event's time: what the receivers look for in the store.
const RESYNC_MARGIN_MICROS: i64 = 1_000_000;

/// The sending end, held by the hub.
pub(crate) struct Publisher {
    queue: mpsc::Sender<Outgoing>,
    missed: Arc<Missed>,
}

/// Where the publishing task sends what.
pub(crate) struct Channels {
    /// Names each user's channel.
    pub(crate) subscriptions: Arc<Subscriptions>,
    /// The channel every node listens on, for envelopes that name nobody.
    pub(crate) node_channel: String,
    /// This node's id, for the `resync` envelopes.
    pub(crate) node: String,
}

impl Publisher {
    /// Starts the publishing task.
    pub(crate) fn start(
        commands: ConnectionManager,
        channels: Channels,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, pending) = mpsc::channel(QUEUE_CAPACITY);
        let missed = Arc::new(Missed::default());
        let task = tokio::spawn(run(commands, channels, pending, Arc::clone(&missed)));
        (Self { queue, missed }, task)
    }

    /// Queues `envelope` without waiting; if the queue is full its recipients are
    /// resynchronised once Redis keeps up again.
    pub(crate) fn send(&self, envelope: Outgoing) {
        if let Err(
            mpsc::error::TrySendError::Full(envelope) | mpsc::error::TrySendError::Closed(envelope),
        ) = self.queue.try_send(envelope)
        {
            self.missed.note(&envelope);
        }
    }
}

/// Recipients of events that never reached Redis, and the oldest such event's time.
#[derive(Default)]
struct Missed {
    state: Mutex<MissedState>,
}

#[derive(Default)]
struct MissedState {
    users: HashSet<String>,
    everyone: bool,
    since: Option<Timestamp>,
    /// Revocations to send again: a session that ends must end on every node.
    revocations: Vec<Outgoing>,
}

/// What to resynchronise: some users, or everyone (`users` empty); and the revocations
/// to send again.
struct Resync {
    users: Vec<String>,
    since: Timestamp,
    revocations: Vec<Outgoing>,
}

impl Missed {
    fn note(&self, envelope: &Outgoing) {
        let mut state = self.state();
        if envelope.revokes && state.revocations.len() < MAX_MISSED {
            state.revocations.push(envelope.clone());
        }
        state.since = Some(
            state
                .since
                .map_or(envelope.at, |since| since.min(envelope.at)),
        );
        if envelope.recipients.is_empty()
            || state.users.len() + envelope.recipients.len() > MAX_MISSED
        {
            state.everyone = true;
            state.users.clear();
        } else if !state.everyone {
            state.users.extend(envelope.recipients.iter().cloned());
        }
    }

    fn pending(&self) -> bool {
        self.state().since.is_some()
    }

    fn take(&self) -> Option<Resync> {
        let state = std::mem::take(&mut *self.state());
        let since = state.since?;
        let users = if state.everyone {
            Vec::new()
        } else {
            state.users.into_iter().collect()
        };
        Some(Resync {
            users,
            since: since.plus_micros(-RESYNC_MARGIN_MICROS),
            revocations: state.revocations,
        })
    }

    fn state(&self) -> MutexGuard<'_, MissedState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn run(
    commands: ConnectionManager,
    channels: Channels,
    mut pending: mpsc::Receiver<Outgoing>,
    missed: Arc<Missed>,
) {
    let mut next_seq: u64 = 1;
    let warnings = WarnThrottle::default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            received = pending.recv_many(&mut batch, MAX_BATCH) => {
                if received == 0 {
                    return;
                }
            }
            () = tokio::time::sleep(RETRY_EVERY), if missed.pending() => {}
        }
        let published = publish(&commands, &channels, &batch, &mut next_seq).await;
        match published {
            Ok(()) => {
                if let Some(resync) = missed.take() {
                    announce(&commands, &channels, resync, &missed, &mut next_seq).await;
                }
            }
            Err(error) => {
                batch.iter().for_each(|envelope| missed.note(envelope));
                if warnings.allow() {
                    tracing::warn!(%error, "Redis unreachable: events reach this node's connections only");
                }
            }
        }
        batch.clear();
    }
}

/// Publishes every copy of `envelopes` in one pipeline.
async fn publish(
    commands: &ConnectionManager,
    channels: &Channels,
    envelopes: &[Outgoing],
    next_seq: &mut u64,
) -> redis::RedisResult<()> {
    if envelopes.is_empty() {
        return Ok(());
    }
    let mut pipeline = redis::pipe();
    for envelope in envelopes {
        if envelope.recipients.is_empty() {
            add(
                &mut pipeline,
                &channels.node_channel,
                envelope.encode(None, *next_seq),
            );
            *next_seq += 1;
        }
        for recipient in &envelope.recipients {
            let channel = channels.subscriptions.channel(recipient);
            add(
                &mut pipeline,
                &channel,
                envelope.encode(Some(recipient), *next_seq),
            );
            *next_seq += 1;
        }
    }
    retrying(|| {
        let mut commands = commands.clone();
        let pipeline = pipeline.clone();
        async move { pipeline.query_async(&mut commands).await }
    })
    .await
}

fn add(pipeline: &mut redis::Pipeline, channel: &str, copy: serde_json::Result<String>) {
    match copy {
        Ok(payload) => {
            pipeline.cmd("PUBLISH").arg(channel).arg(payload).ignore();
        }
        Err(error) => tracing::error!(%error, "cannot serialise an event for Redis"),
    }
}

/// Publishes `resync` to the channels of the users it names (every node's channel if
/// none); remembered again if Redis is gone once more.
async fn announce(
    commands: &ConnectionManager,
    channels: &Channels,
    resync: Resync,
    missed: &Missed,
    next_seq: &mut u64,
) {
    let users: Vec<UserId> = resync
        .users
        .iter()
        .filter_map(|user| UserId::parse(user).ok())
        .collect();
    let Some(mut envelope) = Outgoing::resync(&channels.node, &users, resync.since) else {
        return;
    };
    tracing::warn!(
        users = users.len(),
        everyone = users.is_empty(),
        "events did not reach Redis; asking the nodes holding their recipients to resynchronise them"
    );
    envelope.at = resync.since.plus_micros(RESYNC_MARGIN_MICROS);
    let mut envelopes = resync.revocations;
    envelopes.push(envelope);
    if publish(commands, channels, &envelopes, next_seq)
        .await
        .is_err()
    {
        envelopes.iter().for_each(|envelope| missed.note(envelope));
    }
}
