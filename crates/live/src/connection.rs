//! One live connection as the rest of the system sees it: a bounded queue of what is
//! waiting to be written, a way to ask it to close (and why), its replay seam, and its
//! last sign of life. The transport that owns the socket drains the queue and encodes.
//!
//! Backpressure: live events never wait. A connection whose queue is full cannot keep up
//! and is closed ([`CloseReason::TooSlow`]) rather than letting memory grow. A replay the
//! client asked for does wait for the client to read, yet leaves a quarter of the queue
//! free for live events.

use crate::close::CloseReason;
use crate::event::LiveEvent;
use crate::outbox::{OutboundReceiver, Outbox, Refused};
use crate::seam::{Held, LiveMessage, Seam};
use classchat_core::{ChatError, ConnectionId, MessageId, Timestamp, UserId};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio_util::sync::CancellationToken;

/// Something waiting to be written to a connection.
#[derive(Clone)]
pub enum Outbound {
    /// A live or replayed event; the transport encodes it (once per wire format, shared
    /// with the other recipients).
    Event(Arc<LiveEvent>),
    /// A refused action (a replay that failed); the transport encodes the error.
    Refusal(ChatError),
    /// A reply the transport has encoded already.
    Text(String),
}

/// A live connection.
pub struct Connection {
    id: ConnectionId,
    user: UserId,
    outbox: Outbox,
    closing: CancellationToken,
    close: OnceLock<CloseReason>,
    seam: Mutex<Seam>,
    /// Microseconds since the Unix epoch of the last frame received, on the [`crate::Live`]
    /// clock, for dead-peer checks.
    last_seen: AtomicI64,
    /// When it was registered, on the [`crate::Live`] clock.
    opened_at: Timestamp,
    /// The user's token version its token carries ([`UNKNOWN_VERSION`] until the
    /// transport says): a hub that lost events checks it against the stored one.
    token_version: AtomicU64,
}

/// A connection whose transport did not give its token version.
const UNKNOWN_VERSION: u64 = u64::MAX;

impl Connection {
    /// A connection of `user` and the receiving end of its queue of `capacity` items.
    pub(crate) fn new(
        id: ConnectionId,
        user: UserId,
        capacity: usize,
        now: Timestamp,
    ) -> (Arc<Self>, OutboundReceiver) {
        let connection = Arc::new(Self {
            id,
            user,
            outbox: Outbox::new(capacity),
            closing: CancellationToken::new(),
            close: OnceLock::new(),
            seam: Mutex::new(Seam::default()),
            last_seen: AtomicI64::new(now.as_micros()),
            opened_at: now,
            token_version: AtomicU64::new(UNKNOWN_VERSION),
        });
        let receiver = OutboundReceiver::new(Arc::clone(&connection));
        (connection, receiver)
    }

    /// Its queue.
    pub(crate) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Its id, unique in this process.
    pub fn id(&self) -> &ConnectionId {
        &self.id
    }

    /// When it was registered: a hub catching up on lost events leaves alone a connection
    /// opened after them, whose client's `sync` fetched them already.
    pub fn opened_at(&self) -> Timestamp {
        self.opened_at
    }

    /// Records the token version of the token the connection was opened with: once the
    /// user's stored version moves past it (disabled, role or password changed, signed
    /// out), a hub that may have missed the revocation closes the connection.
    pub fn set_token_version(&self, version: u64) {
        self.token_version.store(version, Ordering::Relaxed);
    }

    /// The token version the connection was opened with, if its transport gave it.
    pub fn token_version(&self) -> Option<u64> {
        Some(self.token_version.load(Ordering::Relaxed)).filter(|&v| v != UNKNOWN_VERSION)
    }

    /// Whose connection it is.
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// Queues `item` without waiting. False if the connection is gone, or its queue is full:
    /// the client cannot keep up, and the connection is closed rather than letting memory
    /// grow.
    pub fn push(&self, item: Outbound) -> bool {
        match self.outbox.try_push(item) {
            Ok(()) => true,
            Err(Refused::Full) => {
                tracing::warn!(connection = %self.id, "outbound queue full; closing slow consumer");
                self.close(CloseReason::TooSlow);
                false
            }
            Err(Refused::Gone) => false,
        }
    }

    /// Queues `item` once the queue has room for it and `room` more: a replay the client
    /// asked for waits for the client to read rather than being dropped, yet leaves space
    /// for live events, which never wait. False once the connection is gone.
    pub async fn push_leaving_room(&self, item: Outbound, room: usize) -> bool {
        self.outbox.push_with_room(item, room + 1).await
    }

    /// Queue places a replay leaves free for live events.
    pub fn replay_headroom(&self) -> usize {
        self.outbox.capacity() / 4
    }

    /// Delivers a live event: a message unless the last replay already sent it, and held
    /// back while a replay runs; anything else at once.
    pub fn push_live(&self, event: &Arc<LiveEvent>) {
        if let Some(id) = event.message_id() {
            let limit = self.outbox.capacity();
            if let LiveMessage::Absorbed = self.seam().live_message(id, event, limit) {
                return;
            }
        }
        self.push(Outbound::Event(Arc::clone(event)));
    }

    /// Asks the connection to close (the first reason wins).
    pub fn close(&self, reason: CloseReason) {
        let _ = self.close.set(reason);
        self.closing.cancel();
    }

    /// Why the connection is closing, once asked to.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close.get().copied()
    }

    /// Completes when the connection is asked to close.
    pub fn closing(&self) -> &CancellationToken {
        &self.closing
    }

    /// Records a sign of life from the peer at `now`.
    pub fn touch(&self, now: Timestamp) {
        self.last_seen.store(now.as_micros(), Ordering::Relaxed);
    }

    /// Microseconds from the peer's last sign of life to `now`.
    pub fn silent_micros(&self, now: Timestamp) -> i64 {
        now.as_micros()
            .saturating_sub(self.last_seen.load(Ordering::Relaxed))
    }

    /// Starts a replay: until [`Held::Done`], live messages are held back so that they
    /// follow the replayed ones. Call it before the replay's first query.
    pub(crate) fn begin_replay(&self) {
        self.seam().begin_replay();
    }

    /// Whether a replayed message can be skipped because this connection had it live; see
    /// [`crate::seam`].
    pub(crate) fn replay_skips(&self, id: MessageId, recent: bool) -> bool {
        self.seam().replay_skips(id, recent)
    }

    /// The next live message held back by the replay; see [`crate::seam`].
    pub(crate) fn next_held(&self) -> Held {
        self.seam().next_held()
    }

    fn seam(&self) -> MutexGuard<'_, Seam> {
        self.seam
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
