//! Catching up after a reconnect: every message of the caller's conversations newer than
//! `since`, oldest first, streamed a batch at a time. A user away for a long time may have
//! missed thousands of messages across a thousand conversations; the replay reads each
//! conversation lazily and merges them (see `merge`), holding message bodies only within
//! a fixed [`ReplayBudget`], never the whole backlog nor a window per conversation.

mod merge;

use super::ChatService;
use crate::error::ChatError;
use crate::message::Message;
use crate::store::{PageRequest, Store};
use crate::time::Timestamp;
use crate::user::User;
use merge::{Merge, Step};
use std::sync::Arc;

/// How much of the backlog one replay may hold in memory at once: at most `messages`
/// messages and `bytes` bytes of them (their text and ids, counted from their lengths),
/// whichever comes first, however many conversations the replay covers. Values too small
/// to hold one message of the largest size are raised to that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayBudget {
    /// Messages held at most.
    pub messages: usize,
    /// Bytes of messages held at most.
    pub bytes: usize,
}

impl Default for ReplayBudget {
    /// 1 MiB, and 4,096 messages (about what 1 MiB of short messages is): a window of
    /// several messages per conversation for most users, and a bound that a thousand
    /// stalled sockets can afford. The byte count binds first for anything but short text.
    fn default() -> Self {
        Self {
            messages: 4096,
            bytes: 1 << 20,
        }
    }
}

/// What a replay holds in memory: messages read from the store and not returned yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buffered {
    /// How many.
    pub messages: usize,
    /// Their size in bytes (struct and text), as counted against the budget.
    pub bytes: usize,
}

/// A replay in progress; see [`ChatService::replay`].
pub struct Replay {
    store: Arc<dyn Store>,
    merge: Merge,
    /// Store queries so far.
    queries: usize,
}

impl ChatService {
    /// Starts a replay of every message of the caller's conversations newer than `since`:
    /// what a client missed while disconnected. Take the messages with
    /// [`Replay::next_batch`]. Over the caller's `sync` rate (see [`crate::Limits`]) it is
    /// refused before the store is read.
    pub async fn replay(&self, caller: &User, since: &str) -> Result<Replay, ChatError> {
        let since = Timestamp::parse(since)?;
        if !self.sync_limiter.allow(&caller.id, self.clock.now()) {
            return Err(ChatError::RateLimited);
        }
        let conversations = self.store.conversations_since(&caller.id, since).await?;
        Ok(Replay {
            store: Arc::clone(&self.store),
            merge: Merge::new(conversations, since, self.replay_budget),
            queries: 1,
        })
    }
}

impl Replay {
    /// Up to `max` more messages, oldest first across all the conversations (by timestamp,
    /// then message id), each once; `None` once everything stored when each conversation
    /// was last read has been returned. Messages stored during the replay may or may not
    /// be included: a live transport must deliver those itself, and drop duplicates.
    /// After an error, calling again retries the read that failed.
    pub async fn next_batch(&mut self, max: usize) -> Result<Option<Vec<Message>>, ChatError> {
        let mut batch = Vec::new();
        while batch.len() < max.max(1) {
            match self.merge.next() {
                // The replay is a participant's own catch-up: tombstones without text.
                Step::Emit(message) => batch.push(message.redacted()),
                Step::Load {
                    stream,
                    after,
                    limit,
                } => {
                    let request = PageRequest {
                        before: None,
                        after: Some(after),
                        limit,
                    };
                    let conversation = self.merge.conversation(stream);
                    let page = self.store.read_messages(conversation, &request).await?;
                    self.queries += 1;
                    self.merge.loaded(stream, page);
                }
                Step::Done => break,
            }
        }
        Ok((!batch.is_empty()).then_some(batch))
    }

    /// What the replay holds in memory now, between batches (for tests and metrics): never
    /// more than its [`ReplayBudget`]. The batches it returned are the caller's.
    pub fn buffered(&self) -> Buffered {
        self.merge.held()
    }

    /// The most the replay has held at once so far, within a batch included (for tests
    /// and metrics).
    pub fn peak_buffered(&self) -> Buffered {
        self.merge.peak()
    }

    /// The store queries the replay has made so far, the list of conversations included
    /// (for tests and metrics).
    pub fn queries(&self) -> usize {
        self.queries
    }
}
