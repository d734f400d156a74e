//! Catching up after a reconnect: every message of the caller's conversations newer than
//! `since`, oldest first, streamed a batch at a time. A user away for a long time may have
//! missed thousands of messages across many conversations; the replay holds only a small
//! window of each conversation in memory, never the whole backlog.

use super::ChatService;
use crate::conversation::ConversationId;
use crate::error::ChatError;
use crate::message::Message;
use crate::store::{PageRequest, Store};
use crate::time::Timestamp;
use crate::user::User;
use std::collections::VecDeque;
use std::sync::Arc;

/// Messages held in memory across all conversations of one replay, at most (each
/// conversation gets a share, between [`MIN_WINDOW`] and [`MAX_WINDOW`]).
const BUFFER_BUDGET: usize = 1024;
/// Smallest window fetched per conversation: below it, queries outweigh the saving.
const MIN_WINDOW: usize = 8;
/// Largest window fetched per conversation (the store's page limit).
const MAX_WINDOW: usize = 200;

/// A replay in progress; see [`ChatService::replay`].
pub struct Replay {
    store: Arc<dyn Store>,
    window: usize,
    streams: Vec<ConversationStream>,
}

/// One conversation's part of a replay: a window of its next messages and where the next
/// window starts.
struct ConversationStream {
    conversation: ConversationId,
    /// The newest timestamp fetched so far; the next window starts after it.
    after: Timestamp,
    pending: VecDeque<Message>,
    /// The store has nothing newer than `after` (as of the last fetch).
    finished: bool,
}

impl ChatService {
    /// Starts a replay of every message of the caller's conversations newer than `since`:
    /// what a client missed while disconnected. Take the messages with
    /// [`Replay::next_batch`].
    pub async fn replay(&self, caller: &User, since: &str) -> Result<Replay, ChatError> {
        let since = Timestamp::parse(since)?;
        let conversations = self.store.conversations_since(&caller.id, since).await?;
        let window = (BUFFER_BUDGET / conversations.len().max(1)).clamp(MIN_WINDOW, MAX_WINDOW);
        Ok(Replay {
            store: Arc::clone(&self.store),
            window,
            streams: conversations
                .into_iter()
                .map(|conversation| ConversationStream {
                    conversation,
                    after: since,
                    pending: VecDeque::new(),
                    finished: false,
                })
                .collect(),
        })
    }
}

impl Replay {
    /// Up to `max` more messages, oldest first across all the conversations (by timestamp,
    /// then message id); `None` once everything stored when each conversation was last
    /// fetched has been returned. Messages stored during the replay may or may not be
    /// included: a live transport must deliver those itself, and drop duplicates.
    pub async fn next_batch(&mut self, max: usize) -> Result<Option<Vec<Message>>, ChatError> {
        let mut batch = Vec::new();
        while batch.len() < max.max(1) {
            self.refill().await?;
            let Some(oldest) = self.oldest_stream() else {
                break;
            };
            if let Some(message) = self.streams[oldest].pending.pop_front() {
                batch.push(message);
            }
        }
        Ok((!batch.is_empty()).then_some(batch))
    }

    /// Fetches the next window of every conversation whose window ran out, so the oldest
    /// pending message of all is known.
    async fn refill(&mut self) -> Result<(), ChatError> {
        for stream in &mut self.streams {
            if !stream.pending.is_empty() || stream.finished {
                continue;
            }
            let request = PageRequest {
                before: None,
                after: Some(stream.after),
                limit: self.window,
            };
            let page = self
                .store
                .read_messages(&stream.conversation, &request)
                .await?;
            match page.messages.last() {
                Some(last) => stream.after = last.timestamp,
                None => stream.finished = true,
            }
            stream.finished |= !page.has_more;
            stream.pending.extend(page.messages);
        }
        Ok(())
    }

    /// The stream whose next message is the oldest of all.
    fn oldest_stream(&self) -> Option<usize> {
        self.streams
            .iter()
            .enumerate()
            .filter_map(|(index, stream)| stream.pending.front().map(|message| (index, message)))
            .min_by(|(_, a), (_, b)| {
                a.timestamp
                    .cmp(&b.timestamp)
                    .then(a.message_id.cmp(&b.message_id))
            })
            .map(|(index, _)| index)
    }
}
