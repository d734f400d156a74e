//! Messages and the per-participant summaries kept beside them, as the SQLite store keeps
//! them: appends bump colliding timestamps, retries find their message by
//! (author, clientMessageId), read markers only move forward and never past the newest
//! message.

use super::state::{State, Summary};
use crate::conversation::ConversationId;
use crate::ids::UserId;
use crate::message::{Message, NewMessage};
use crate::store::{Appended, MarkedRead, MessagePage, PageRequest};
use crate::time::Timestamp;
use std::ops::Bound;

impl State {
    /// Stores `new` (the link is already checked) and updates both summaries.
    pub(super) fn append(&mut self, new: &NewMessage) -> Appended {
        if let Some(client_id) = &new.client_message_id {
            let key = (new.author.clone(), client_id.clone());
            if let Some(existing) = self
                .client_ids
                .get(&key)
                .and_then(|(conversation, at)| self.messages.get(conversation)?.get(at).cloned())
            {
                return Appended::Existing(existing);
            }
        }
        let conversation = self
            .messages
            .entry(new.conversation_id.clone())
            .or_default();
        let message = new.stored_after(conversation.last_key_value().map(|(&newest, _)| newest));
        let timestamp = message.timestamp;
        conversation.insert(timestamp, message.clone());
        if let Some(client_id) = &new.client_message_id {
            self.client_ids.insert(
                (new.author.clone(), client_id.clone()),
                (new.conversation_id.clone(), timestamp),
            );
        }
        let peer = new.conversation_id.peer_of(&new.author).clone();
        for (owner, unread) in [(new.author.clone(), 0), (peer, 1)] {
            let key = (owner, new.conversation_id.clone());
            let summary = self.summaries.entry(key).or_insert_with(|| Summary {
                last: message.clone(),
                read: Timestamp::MIN,
                unread: 0,
            });
            summary.last = message.clone();
            summary.unread += unread;
        }
        Appended::Created(message)
    }

    /// A page of a conversation, oldest first: the oldest matching messages with `after`,
    /// the newest without it; cursors exclusive.
    pub(super) fn read(&self, conversation: &ConversationId, page: &PageRequest) -> MessagePage {
        let Some(messages) = self.messages.get(conversation) else {
            return MessagePage {
                messages: Vec::new(),
                has_more: false,
            };
        };
        let in_range = messages.values().filter(|message| {
            page.after.is_none_or(|after| message.timestamp > after)
                && page.before.is_none_or(|before| message.timestamp < before)
        });
        let mut found: Vec<Message> = match page.after {
            Some(_) => in_range.take(page.limit + 1).cloned().collect(),
            None => in_range.rev().take(page.limit + 1).cloned().collect(),
        };
        let has_more = found.len() > page.limit;
        found.truncate(page.limit);
        if page.after.is_none() {
            found.reverse();
        }
        MessagePage {
            messages: found,
            has_more,
        }
    }

    pub(super) fn read_marker(
        &self,
        user: &UserId,
        conversation: &ConversationId,
    ) -> Option<Timestamp> {
        let summary = self.summaries.get(&(user.clone(), conversation.clone()))?;
        (summary.read > Timestamp::MIN).then_some(summary.read)
    }

    pub(super) fn unread_count(&self, user: &UserId, conversation: &ConversationId) -> u64 {
        self.summaries
            .get(&(user.clone(), conversation.clone()))
            .map_or(0, |summary| summary.unread)
    }

    /// Moves `user`'s marker forward to `up_to`, never past the newest message, and
    /// recounts their unread messages; writes nothing when it would not move.
    pub(super) fn mark_read(
        &mut self,
        user: &UserId,
        conversation: &ConversationId,
        up_to: Timestamp,
    ) -> Option<MarkedRead> {
        let key = (user.clone(), conversation.clone());
        let summary = self.summaries.get(&key)?;
        let marker = summary.read.max(up_to.min(summary.last.timestamp));
        let moved = marker > summary.read;
        if moved {
            let unread = self.messages.get(conversation).map_or(0, |messages| {
                messages
                    .range((Bound::Excluded(marker), Bound::Unbounded))
                    .filter(|(_, message)| &message.author != user)
                    .count()
            });
            if let Some(summary) = self.summaries.get_mut(&key) {
                summary.read = marker;
                summary.unread = u64::try_from(unread).unwrap_or(u64::MAX);
            }
        }
        Some(MarkedRead { marker, moved })
    }
}
