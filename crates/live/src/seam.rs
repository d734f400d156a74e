//! The replay/live seam of one connection. A connection that asks to catch up (`sync`)
//! keeps receiving live events meanwhile; without care a message stored during the replay
//! would arrive twice (live and replayed) or out of order (live before older replayed
//! ones). The seam makes every message arrive once, each conversation in order:
//!
//! 1. `begin_replay` is called before the replay's first
//!    query: from then on live messages are *held*, so each is either found by the replay
//!    or held.
//! 2. Each replayed message is checked with `replay_skips`: skipped if the connection had
//!    it live already; otherwise remembered (if recent) so its live event, which may still
//!    be in flight, is dropped.
//! 3. The held live messages follow, minus those the replay sent (`next_held`), and then
//!    live delivery is direct again.

use crate::close::CloseReason;
use crate::connection::{Connection, Outbound};
use crate::event::LiveEvent;
use crate::replay::{ReplayItem, ReplaySink, online_peers, replay};
use classchat_core::{ChatService, Event, MessageId, Timestamp, User, UserId};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// How many live message ids a connection remembers, so that a `sync` does not replay a
/// message the connection already received live.
const REMEMBERED_LIVE_MESSAGES: usize = 1024;

/// What a connection remembers to make the seam gap- and duplicate-free.
#[derive(Default)]
pub(crate) struct Seam {
    /// Ids of the latest messages delivered live, oldest first.
    live: VecDeque<MessageId>,
    live_set: HashSet<MessageId>,
    /// Ids of recent messages sent by the last replay: a live event for one of them (its
    /// publish raced the replay) is dropped.
    replayed: HashSet<MessageId>,
    /// While a replay runs, live messages wait here so they follow it in order.
    held: Option<VecDeque<(MessageId, Arc<LiveEvent>)>>,
    /// More live messages arrived during the replay than the connection's queue holds.
    held_overflowed: bool,
}

/// What to do with a live message event.
pub(crate) enum LiveMessage {
    /// Queue it now.
    Deliver,
    /// The replay sent it, or holds it for later: nothing to do now.
    Absorbed,
}

/// The next live message held back by a replay.
pub enum Held {
    /// Deliver this event next.
    Event(Arc<LiveEvent>),
    /// Nothing is held any more; live delivery goes straight to the queue again.
    Done,
    /// The client fell so far behind during the replay that events had to be dropped: it
    /// must reconnect and sync again.
    Overflowed,
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

    /// A live message arrived; `limit` is how many may be held during a replay.
    pub(crate) fn live_message(
        &mut self,
        id: MessageId,
        event: &Arc<LiveEvent>,
        limit: usize,
    ) -> LiveMessage {
        if self.replayed.contains(&id) {
            return LiveMessage::Absorbed;
        }
        if let Some(held) = self.held.as_mut() {
            if held.len() < limit {
                held.push_back((id, Arc::clone(event)));
            } else {
                self.held_overflowed = true;
            }
            return LiveMessage::Absorbed;
        }
        self.remember_live(id);
        LiveMessage::Deliver
    }

    /// A replay starts: live messages are held from now on.
    pub(crate) fn begin_replay(&mut self) {
        self.replayed.clear();
        self.held = Some(VecDeque::new());
        self.held_overflowed = false;
    }

    /// Whether a replayed message can be skipped (the connection had it live); if not and
    /// it is `recent`, its live event is dropped when it comes.
    pub(crate) fn replay_skips(&mut self, id: MessageId, recent: bool) -> bool {
        if self.live_set.contains(&id) {
            return true;
        }
        if recent {
            self.replayed.insert(id);
        }
        false
    }

    /// The next held live message, skipping those the replay sent itself.
    pub(crate) fn next_held(&mut self) -> Held {
        if self.held_overflowed {
            self.held = None;
            self.held_overflowed = false;
            return Held::Overflowed;
        }
        while let Some((id, event)) = self.held.as_mut().and_then(VecDeque::pop_front) {
            if self.replayed.contains(&id) {
                continue;
            }
            self.remember_live(id);
            return Held::Event(event);
        }
        self.held = None;
        Held::Done
    }
}

/// How far back a replayed message may still have a live event in flight.
const SEAM_WINDOW_MICROS: i64 = 60_000_000;

/// Replays what `connection` missed after `since` into its queue, through the seam: the
/// missed messages it did not have live (waiting for the client to read, leaving room for
/// live events), then the live messages held meanwhile, then the peers online, then live
/// delivery continues. `now` is the clock's reading. A connection that fell too far behind
/// during the replay is closed ([`CloseReason::TooSlow`]).
pub async fn catch_up(
    service: &ChatService,
    user: &User,
    connection: &Connection,
    since: &str,
    now: Timestamp,
) {
    connection.begin_replay();
    let mut sink = SeamSink {
        connection,
        room: connection.replay_headroom(),
        recent_after: now.plus_micros(-SEAM_WINDOW_MICROS),
        failed: false,
    };
    replay(service, user, since, &mut sink).await;
    // A failed replay still ends like any other: the held messages, then who is online.
    if sink.failed && sink.release_held().await {
        sink.push_online(online_peers(service, user).await);
    }
}

/// A replay into a connection's queue, through its seam.
struct SeamSink<'a> {
    connection: &'a Connection,
    room: usize,
    recent_after: Timestamp,
    failed: bool,
}

impl SeamSink<'_> {
    /// Queues the live messages held during the replay; false if the connection is gone or
    /// was closed for falling behind.
    async fn release_held(&self) -> bool {
        loop {
            match self.connection.next_held() {
                Held::Event(event) => {
                    if !self
                        .connection
                        .push_leaving_room(Outbound::Event(event), self.room)
                        .await
                    {
                        return false;
                    }
                }
                Held::Done => return true,
                Held::Overflowed => {
                    tracing::warn!(connection = %self.connection.id(), "too many live messages during a replay; closing");
                    self.connection.close(CloseReason::TooSlow);
                    return false;
                }
            }
        }
    }

    fn push_online(&self, peers: Vec<UserId>) {
        for user in peers {
            let event = LiveEvent::new(Event::Presence { user, online: true });
            self.connection.push(Outbound::Event(event));
        }
    }
}

impl ReplaySink for SeamSink<'_> {
    async fn deliver(&mut self, item: ReplayItem) -> bool {
        match item {
            ReplayItem::Messages(batch) => {
                for message in batch {
                    let recent = message.timestamp > self.recent_after;
                    if self.connection.replay_skips(message.message_id, recent) {
                        continue;
                    }
                    let event = LiveEvent::replayed(Event::Message(message));
                    if !self
                        .connection
                        .push_leaving_room(Outbound::Event(event), self.room)
                        .await
                    {
                        return false;
                    }
                }
                true
            }
            ReplayItem::Online(peers) => {
                if self.release_held().await {
                    self.push_online(peers);
                }
                true
            }
            ReplayItem::Failed(error) => {
                self.connection.push(Outbound::Refusal(error));
                self.failed = true;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests;
