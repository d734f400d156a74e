//! The one `sync` replay of every transport: the messages a client missed, streamed into
//! a sink a batch at a time, then the linked peers online now. A replay of any length
//! holds one batch (and the service's bounded merge window, see
//! [`classchat_core::service::ReplayBudget`]), whether the sink writes into a socket's
//! queue (see [`crate::seam::catch_up`]) or posts to API Gateway.

use classchat_core::{ChatError, ChatService, Message, User, UserId};
use std::future::Future;

/// Messages taken from the store per step of a replay, on every transport: the most
/// replayed messages a transport holds at once.
pub const REPLAY_BATCH: usize = 64;

/// What a replay hands its sink, in this order: batches of messages, then the peers
/// online; or, at any point, the error that ended it.
#[derive(Debug)]
pub enum ReplayItem {
    /// The next missed messages, oldest first; at most [`REPLAY_BATCH`].
    Messages(Vec<Message>),
    /// The linked peers online now: the end of every catch-up.
    Online(Vec<UserId>),
    /// The replay could not go on (refused, or the store failed); nothing follows.
    Failed(ChatError),
}

/// Where a replay goes, a batch at a time.
pub trait ReplaySink: Send {
    /// Takes `item`, waiting until it is delivered (or queued within the connection's
    /// bounds); false once the connection is gone, which stops the replay.
    fn deliver(&mut self, item: ReplayItem) -> impl Future<Output = bool> + Send;
}

/// Replays to `user` every message of their conversations after `since` (the timestamp of
/// the last message they have), then who of their peers is online.
pub async fn replay(service: &ChatService, user: &User, since: &str, sink: &mut impl ReplaySink) {
    let mut replay = match service.replay(user, since).await {
        Ok(replay) => replay,
        Err(error) => {
            sink.deliver(ReplayItem::Failed(error)).await;
            return;
        }
    };
    loop {
        match replay.next_batch(REPLAY_BATCH).await {
            Ok(Some(batch)) => {
                if !sink.deliver(ReplayItem::Messages(batch)).await {
                    return;
                }
            }
            Ok(None) => break,
            Err(error) => {
                sink.deliver(ReplayItem::Failed(error)).await;
                return;
            }
        }
    }
    sink.deliver(ReplayItem::Online(online_peers(service, user).await))
        .await;
}

/// The linked peers of `user` online now; none if that cannot be known (presence is a
/// hint, and a failed look-up must not fail the catch-up).
pub async fn online_peers(service: &ChatService, user: &User) -> Vec<UserId> {
    match service.online_peers(user).await {
        Ok(peers) => peers,
        Err(error) => {
            tracing::warn!(%error, "cannot list online peers");
            Vec::new()
        }
    }
}
