//! Who is connected: user → live connections, each with a bounded outbound queue. The
//! in-process [`LocalHub`] delivers events through it; a multi-node hub feeds it from
//! Redis instead.

use super::frames::event_frame;
use async_trait::async_trait;
use axum::extract::ws::Utf8Bytes;
use classchat_core::{
    ConnectionId, Delivery, Event, Hub, MessageId, Revocation, Timestamp, UserId,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Close code: the endpoint is going away (server shutdown).
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code: policy violation (the session ended: token expired or revoked, or the
/// user has too many connections).
pub const CLOSE_POLICY_VIOLATION: u16 = 1008;
/// Close code: a message was too big.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code: service restart (this node lost events from other nodes; reconnect and
/// `sync`).
pub const CLOSE_SERVICE_RESTART: u16 = 1012;
/// Close code: try again later (the client could not keep up with its queue).
pub const CLOSE_TRY_AGAIN_LATER: u16 = 1013;

/// How many live message ids a connection remembers, so that a `sync` does not replay a
/// message the connection already received live.
const REMEMBERED_LIVE_MESSAGES: usize = 1024;

/// One text frame on its way to a socket. Message frames carry the message's id so that
/// catching up can skip what was already delivered.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// The JSON text.
    pub text: Utf8Bytes,
}

/// A live connection as the rest of the server sees it.
pub struct ConnectionHandle {
    /// Its id, unique in this process.
    pub id: ConnectionId,
    outbound: mpsc::Sender<Outbound>,
    closing: CancellationToken,
    close_code: AtomicU16,
    /// The close frame's reason when it is not the code's usual one (a revocation says
    /// why the session ended).
    close_reason: OnceLock<&'static str>,
    seam: Mutex<Seam>,
    /// Milliseconds since the Unix epoch of the last frame received, for dead-peer checks.
    pub last_seen_ms: AtomicU64,
}

/// What a connection remembers to make the replay/live seam gap- and duplicate-free.
#[derive(Default)]
struct Seam {
    /// Ids of the latest messages delivered live.
    live: VecDeque<MessageId>,
    live_set: HashSet<MessageId>,
    /// Ids of recent messages sent by the last replay: a live event for one of them (its
    /// publish raced the replay) is dropped.
    replayed: HashSet<MessageId>,
    /// While a replay runs, live message frames wait here so they follow it in order.
    held: Option<VecDeque<(MessageId, Utf8Bytes)>>,
    /// More live messages arrived during the replay than a queue holds.
    held_overflowed: bool,
}

impl Seam {
    fn remember_live(&mut self, id: MessageId) {
        if self.live.len() == REMEMBERED_LIVE_MESSAGES
            && let Some(oldest) = self.live.pop_front()
        {
            self.live_set.remove(&oldest);
        }
        self.live.push_back(id);
        self.live_set.insert(id);
    }
}

/// The next live message frame held back by a replay.
pub enum Held {
    /// Deliver this frame next.
    Frame(Utf8Bytes),
    /// Nothing is held any more; live delivery goes straight to the queue again.
    Done,
    /// The client fell so far behind during the replay that frames had to be dropped: it
    /// must reconnect and sync again.
    Overflowed,
}

impl ConnectionHandle {
    /// Queues a frame without waiting. A full queue means the client cannot keep up: the
    /// connection is closed with 1013 rather than letting memory grow.
    pub fn push(&self, text: Utf8Bytes) -> bool {
        match self.outbound.try_send(Outbound { text }) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(connection = %self.id, "outbound queue full; closing slow consumer");
                self.close(CLOSE_TRY_AGAIN_LATER);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queues a frame once the queue has room for it and `room` more: a replay the client
    /// asked for waits for the client to read rather than being dropped, yet leaves space
    /// for live events, which never wait. False once the connection is gone.
    pub async fn push_leaving_room(&self, text: Utf8Bytes, room: usize) -> bool {
        let wanted = (room + 1).min(self.outbound.max_capacity());
        match self.outbound.reserve_many(wanted).await {
            Ok(mut permits) => match permits.next() {
                Some(permit) => {
                    permit.send(Outbound { text });
                    true
                }
                None => false,
            },
            Err(_) => false,
        }
    }

    /// Frames a replay leaves free in the queue for live events.
    pub fn replay_headroom(&self) -> usize {
        self.outbound.max_capacity() / 4
    }

    /// Asks the connection to close with `code` (the first reason wins).
    pub fn close(&self, code: u16) {
        let _ = self
            .close_code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire);
        self.closing.cancel();
    }

    /// Asks the connection to close with `code` and this reason in the close frame (the
    /// first reason wins).
    pub fn close_with_reason(&self, code: u16, reason: &'static str) {
        if self
            .close_code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let _ = self.close_reason.set(reason);
        }
        self.closing.cancel();
    }

    /// The reason given with [`Self::close_with_reason`], if any.
    pub fn close_reason(&self) -> Option<&'static str> {
        self.close_reason.get().copied()
    }

    /// Completes when the connection is asked to close.
    pub fn closing(&self) -> &CancellationToken {
        &self.closing
    }

    /// The close code asked for, if any.
    pub fn close_code(&self) -> Option<u16> {
        match self.close_code.load(Ordering::Acquire) {
            0 => None,
            code => Some(code),
        }
    }

    /// Delivers a live message frame unless the last replay already sent it; holds it back
    /// while a replay runs.
    fn push_live_message(&self, id: MessageId, text: Utf8Bytes) {
        {
            let mut seam = self
                .seam
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if seam.replayed.contains(&id) {
                return;
            }
            let limit = self.outbound.max_capacity();
            if let Some(held) = seam.held.as_mut() {
                if held.len() < limit {
                    held.push_back((id, text));
                } else {
                    seam.held_overflowed = true;
                }
                return;
            }
            seam.remember_live(id);
        }
        self.push(text);
    }

    /// Starts a replay: from now until [`Held::Done`], live message frames are held back so
    /// that they follow the replayed ones. Call it before the replay's first query, so
    /// every message is either found by the replay or held.
    pub fn begin_replay(&self) {
        let mut seam = self
            .seam
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        seam.replayed.clear();
        seam.held = Some(VecDeque::new());
        seam.held_overflowed = false;
    }

    /// Whether a replayed message can be skipped because this connection already had it
    /// live. Otherwise it is about to be sent, and if it is newer than `recent_after` its
    /// live event (which may still be in flight) is remembered, to be dropped.
    pub fn replay_skips(
        &self,
        id: MessageId,
        timestamp: Timestamp,
        recent_after: Timestamp,
    ) -> bool {
        let mut seam = self
            .seam
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seam.live_set.contains(&id) {
            return true;
        }
        if timestamp > recent_after {
            seam.replayed.insert(id);
        }
        false
    }

    /// Takes the next live message frame held back by the replay, skipping those the
    /// replay sent itself. [`Held::Done`] ends the replay: live delivery is direct again.
    pub fn next_held(&self) -> Held {
        let mut seam = self
            .seam
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seam.held_overflowed {
            seam.held = None;
            seam.held_overflowed = false;
            return Held::Overflowed;
        }
        while let Some((id, text)) = seam.held.as_mut().and_then(VecDeque::pop_front) {
            if seam.replayed.contains(&id) {
                continue;
            }
            seam.remember_live(id);
            return Held::Frame(text);
        }
        seam.held = None;
        Held::Done
    }
}

/// Every live connection of this process, by user.
#[derive(Default)]
pub struct Registry {
    users: Mutex<HashMap<UserId, Vec<Arc<ConnectionHandle>>>>,
    next_id: AtomicU64,
}

/// A new registration.
pub struct Registration {
    /// The connection's handle (also held by the registry).
    pub handle: Arc<ConnectionHandle>,
    /// The frames to write to the socket.
    pub outbound: mpsc::Receiver<Outbound>,
    /// Whether this is the user's first live connection (they just came online).
    pub first: bool,
}

impl Registry {
    /// Registers a connection of `user` with an outbound queue of `capacity` frames, unless
    /// they hold `limit` connections already (`None`).
    pub fn register(&self, user: &UserId, capacity: usize, limit: usize) -> Option<Registration> {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let number = self.next_id.fetch_add(1, Ordering::Relaxed);
        let handle = Arc::new(ConnectionHandle {
            id: ConnectionId::new(format!("c{number}")),
            outbound: sender,
            closing: CancellationToken::new(),
            close_code: AtomicU16::new(0),
            close_reason: OnceLock::new(),
            seam: Mutex::new(Seam::default()),
            last_seen_ms: AtomicU64::new(0),
        });
        let mut users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let connections = users.entry(user.clone()).or_default();
        if connections.len() >= limit {
            return None;
        }
        connections.push(Arc::clone(&handle));
        Some(Registration {
            handle,
            outbound: receiver,
            first: connections.len() == 1,
        })
    }

    /// How many live connections `user` has here.
    pub fn connections_of(&self, user: &UserId) -> usize {
        let users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        users.get(user).map_or(0, Vec::len)
    }

    /// Closes every connection of `user` here with 1008 and the revocation's reason.
    pub fn revoke(&self, user: &UserId, why: Revocation) {
        let users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for handle in users.get(user).into_iter().flatten() {
            handle.close_with_reason(CLOSE_POLICY_VIOLATION, why.reason());
        }
    }

    /// Removes a connection; whether it was the user's last (they just went offline).
    pub fn unregister(&self, user: &UserId, id: &ConnectionId) -> bool {
        let mut users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(connections) = users.get_mut(user) else {
            return false;
        };
        connections.retain(|handle| &handle.id != id);
        let last = connections.is_empty();
        if last {
            users.remove(user);
        }
        last
    }

    /// Which of `users` have a live connection here.
    pub fn online(&self, users: &[UserId]) -> Vec<UserId> {
        let connected = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        users
            .iter()
            .filter(|user| connected.contains_key(*user))
            .cloned()
            .collect()
    }

    /// Every user with a live connection here.
    pub fn users(&self) -> Vec<UserId> {
        let users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        users.keys().cloned().collect()
    }

    /// Live connections in total.
    pub fn connection_count(&self) -> usize {
        let users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        users.values().map(Vec::len).sum()
    }

    /// Asks every connection to close with `code`.
    pub fn close_all(&self, code: u16) {
        let users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        users
            .values()
            .flatten()
            .for_each(|handle| handle.close(code));
    }

    /// Delivers `event` to the recipients' connections in this process.
    pub fn deliver(&self, delivery: &Delivery, event: &Event) {
        let message_id = match event {
            Event::Message(message) => Some(message.message_id),
            _ => None,
        };
        self.deliver_frame(
            &delivery.recipients,
            delivery.skip.as_ref(),
            event_frame(event).to_text(),
            message_id,
        );
    }

    /// Delivers an event frame already serialised (by [`Registry::deliver`], or by another
    /// node, relayed through a multi-node hub) to the recipients' connections in this
    /// process. `message_id` marks a `message` frame, which takes part in the replay seam.
    pub fn deliver_frame(
        &self,
        recipients: &[UserId],
        skip: Option<&ConnectionId>,
        frame: String,
        message_id: Option<MessageId>,
    ) {
        let text = Utf8Bytes::from(frame);
        let targets: Vec<Arc<ConnectionHandle>> = {
            let users = self
                .users
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            recipients
                .iter()
                .filter_map(|user| users.get(user))
                .flatten()
                .filter(|handle| skip != Some(&handle.id))
                .cloned()
                .collect()
        };
        for handle in targets {
            match message_id {
                Some(id) => handle.push_live_message(id, text.clone()),
                None => {
                    handle.push(text.clone());
                }
            }
        }
    }
}

/// The single-process hub: events go straight into the local registry.
pub struct LocalHub {
    registry: Arc<Registry>,
}

impl LocalHub {
    /// A hub over `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }
}

#[async_trait]
impl Hub for LocalHub {
    async fn publish(&self, delivery: &Delivery, event: &Event) {
        self.registry.deliver(delivery, event);
    }

    async fn online(&self, users: &[UserId]) -> Vec<UserId> {
        self.registry.online(users)
    }

    async fn revoke(&self, user: &UserId, why: Revocation) {
        self.registry.revoke(user, why);
    }
}
