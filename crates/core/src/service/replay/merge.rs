//! The bounded merge behind a replay: the messages of many conversations, oldest first
//! across all of them, holding message bodies only within a fixed budget however many
//! conversations there are.
//!
//! Each conversation is a stream in (timestamp, messageId) order. A message may be emitted
//! once the next key of every other stream is known, so `heads`, a min-heap, holds each
//! stream's next key. Bodies are held in per-stream buffers, contiguous from the stream's
//! next message, and the total is kept within the budget: to make room, the merge drops
//! the held message that will be needed *last* — the largest key held, which is the tail
//! of some buffer, found in `tails` — as long as it is later than the one coming in.
//! A stream whose whole buffer is dropped keeps only its next key (in `heads`) and
//! where to read from (`emitted`); when that key comes up, its window is read again.
//!
//! The merge does no I/O: [`Merge::next`] says what it needs (a message to emit, or a
//! window of one stream to load), and the replay reads the store and hands the page back
//! through [`Merge::loaded`]. Store reads: one per conversation to learn its first key,
//! then at most two per message (one that learns its key, one that reads it again if it
//! had to be dropped meanwhile) — far fewer while the budget holds whole windows.

use super::{Buffered, ReplayBudget};
use crate::conversation::ConversationId;
use crate::ids::{MAX_CLIENT_MESSAGE_ID_LEN, MAX_USER_ID_LEN, MessageId};
use crate::message::{MAX_MESSAGE_CHARS, Message};
use crate::store::MessagePage;
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

/// Largest window read from one conversation at once (the store's page limit).
const MAX_WINDOW: usize = 200;

/// The most a stored message can hold: its struct, three userIds (the conversation's two
/// and the author), a body of 4000 four-byte characters and a clientMessageId.
pub(super) const MAX_FOOTPRINT: usize = std::mem::size_of::<Message>()
    + 3 * MAX_USER_ID_LEN
    + 4 * MAX_MESSAGE_CHARS
    + 4 * MAX_CLIENT_MESSAGE_ID_LEN;

/// The order of the replay: by timestamp, then by message id.
type Key = (Timestamp, MessageId);

fn key(message: &Message) -> Key {
    (message.timestamp, message.message_id)
}

/// The memory a held message accounts for: its struct and the text it owns.
pub(super) fn footprint(message: &Message) -> usize {
    std::mem::size_of::<Message>()
        + message.conversation_id.member().as_str().len()
        + message.conversation_id.teacher().as_str().len()
        + message.author.as_str().len()
        + message.body.as_str().len()
        + message
            .client_message_id
            .as_ref()
            .map_or(0, |id| id.as_str().len())
}

/// What the merge needs next.
#[derive(Debug)]
pub(super) enum Step {
    /// The oldest message not yet emitted, of all the conversations.
    Emit(Message),
    /// Read up to `limit` messages of stream `stream` strictly after `after` and hand them
    /// to [`Merge::loaded`]; nothing can be emitted before.
    Load {
        stream: usize,
        after: Timestamp,
        limit: usize,
    },
    /// Every message has been emitted.
    Done,
}

/// One conversation's part of the merge.
struct Stream {
    conversation: ConversationId,
    /// The newest timestamp emitted from it (at first, the replay's `since`): its next
    /// window is read after this.
    emitted: Timestamp,
    /// Its next messages, oldest first, when they are held.
    buffer: VecDeque<Message>,
    /// The store had nothing beyond the buffer when it was last read.
    exhausted: bool,
}

/// See the module documentation.
pub(super) struct Merge {
    streams: Vec<Stream>,
    /// The next key of every stream that has one and is not being loaded.
    heads: BinaryHeap<Reverse<(Key, usize)>>,
    /// The key of the last held message of every stream holding any.
    tails: BTreeSet<(Key, usize)>,
    /// The stream whose load was asked for and not delivered yet (asked again if the read
    /// failed and the caller tries again).
    pending: Option<usize>,
    /// Streams from this index on have not been read at all yet.
    next_probe: usize,
    /// Streams not finished: with messages held or still to read.
    live: usize,
    budget: ReplayBudget,
    held: Buffered,
    peak: Buffered,
}

impl Merge {
    /// A merge of `conversations` after `since`, holding at most `budget` (raised to room
    /// for one message of the largest size, without which nothing could be emitted).
    pub(super) fn new(
        conversations: Vec<ConversationId>,
        since: Timestamp,
        budget: ReplayBudget,
    ) -> Self {
        let streams: Vec<Stream> = conversations
            .into_iter()
            .map(|conversation| Stream {
                conversation,
                emitted: since,
                buffer: VecDeque::new(),
                exhausted: false,
            })
            .collect();
        Self {
            live: streams.len(),
            streams,
            heads: BinaryHeap::new(),
            tails: BTreeSet::new(),
            pending: None,
            next_probe: 0,
            budget: ReplayBudget {
                messages: budget.messages.max(1),
                bytes: budget.bytes.max(MAX_FOOTPRINT),
            },
            held: Buffered::default(),
            peak: Buffered::default(),
        }
    }

    /// The conversation of stream `stream`.
    pub(super) fn conversation(&self, stream: usize) -> &ConversationId {
        &self.streams[stream].conversation
    }

    /// What is held now.
    pub(super) fn held(&self) -> Buffered {
        self.held
    }

    /// The most that was ever held at once.
    pub(super) fn peak(&self) -> Buffered {
        self.peak
    }

    /// The next step; see [`Step`].
    pub(super) fn next(&mut self) -> Step {
        if let Some(stream) = self.pending {
            return self.load(stream);
        }
        // Nothing can be emitted before the first key of every conversation is known.
        if self.next_probe < self.streams.len() {
            let stream = self.next_probe;
            self.next_probe += 1;
            return self.load(stream);
        }
        let Some(Reverse((_, index))) = self.heads.pop() else {
            return Step::Done;
        };
        let stream = &mut self.streams[index];
        let Some(message) = stream.buffer.pop_front() else {
            // Only its key was kept, and it is next: read its window again.
            return self.load(index);
        };
        self.held.messages -= 1;
        self.held.bytes -= footprint(&message);
        stream.emitted = message.timestamp;
        match stream.buffer.front() {
            Some(next) => self.heads.push(Reverse((key(next), index))),
            None => {
                self.tails.remove(&(key(&message), index));
                // Give back the buffer's allocation: a drained stream holds nothing.
                stream.buffer = VecDeque::new();
                if stream.exhausted {
                    self.live -= 1;
                } else {
                    // Its next key must be known before anything else is emitted.
                    self.pending = Some(index);
                }
            }
        }
        Step::Emit(message)
    }

    /// Asks for the next window of `stream`, whose buffer is empty.
    fn load(&mut self, stream: usize) -> Step {
        self.pending = Some(stream);
        // A fair share of the budget for every live stream, or all that is free when
        // that is more (what is free now can be taken back later by dropping).
        let fair = self.budget.messages / self.live.max(1);
        let free = self.budget.messages.saturating_sub(self.held.messages);
        Step::Load {
            stream,
            after: self.streams[stream].emitted,
            limit: fair.max(free).clamp(1, MAX_WINDOW),
        }
    }

    /// The page read for the [`Step::Load`] of `stream`: its messages strictly after the
    /// load's `after`, oldest first. Holds what fits in the budget, dropping messages
    /// needed later than these to make room, and keeps at least the stream's next key.
    pub(super) fn loaded(&mut self, stream: usize, page: MessagePage) {
        debug_assert_eq!(self.pending, Some(stream), "a load nobody asked for");
        debug_assert!(self.streams[stream].buffer.is_empty());
        self.pending = None;
        let first = page.messages.first().map(key);
        let mut kept_all = true;
        for message in page.messages {
            if !self.make_room(key(&message), footprint(&message)) {
                kept_all = false;
                break;
            }
            self.hold(stream, message);
        }
        let state = &mut self.streams[stream];
        state.exhausted = kept_all && !page.has_more;
        match state.buffer.front().map(key).or(first) {
            Some(head) => self.heads.push(Reverse((head, stream))),
            None => {
                state.exhausted = true;
                self.live -= 1;
            }
        }
    }

    /// Makes room for one more message of `size` bytes with key `incoming`, dropping held
    /// messages needed after it, latest first; `false` if it would itself be the latest.
    fn make_room(&mut self, incoming: Key, size: usize) -> bool {
        loop {
            if self.held.messages < self.budget.messages
                && self.held.bytes + size <= self.budget.bytes
            {
                return true;
            }
            match self.tails.last().copied() {
                Some((latest, stream)) if latest > incoming => self.drop_last(stream),
                _ => return false,
            }
        }
    }

    /// Drops the last held message of `stream`; its next key stays in `heads`, so only
    /// its window has to be read again.
    fn drop_last(&mut self, stream: usize) {
        let state = &mut self.streams[stream];
        let Some(message) = state.buffer.pop_back() else {
            return;
        };
        self.tails.remove(&(key(&message), stream));
        self.held.messages -= 1;
        self.held.bytes -= footprint(&message);
        state.exhausted = false;
        match state.buffer.back() {
            Some(last) => {
                self.tails.insert((key(last), stream));
            }
            None => state.buffer = VecDeque::new(),
        }
    }

    /// Holds `message` at the end of `stream`'s buffer; the caller made room.
    fn hold(&mut self, stream: usize, message: Message) {
        let state = &mut self.streams[stream];
        if let Some(last) = state.buffer.back() {
            self.tails.remove(&(key(last), stream));
        }
        self.tails.insert((key(&message), stream));
        self.held.messages += 1;
        self.held.bytes += footprint(&message);
        self.peak.messages = self.peak.messages.max(self.held.messages);
        self.peak.bytes = self.peak.bytes.max(self.held.bytes);
        state.buffer.push_back(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::message::MessageBody;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The stored conversations of a test: each one's messages in key order.
    struct Stored(Vec<Vec<Message>>);

    impl Stored {
        /// `conversations` conversations whose `per_conversation` messages each are spread
        /// over a few hundred microseconds, with many equal timestamps across
        /// conversations and bodies from 1 to 3000 characters.
        fn random(rng: &mut StdRng, conversations: usize, per_conversation: usize) -> Self {
            let teacher = UserId::parse("t").unwrap();
            Self(
                (0..conversations)
                    .map(|index| {
                        let student = UserId::parse(&format!("s{index}")).unwrap();
                        let conversation = ConversationId::new(student.clone(), teacher.clone());
                        let mut at = 1_000;
                        let count = rng.gen_range(0..=per_conversation);
                        (0..count)
                            .map(|_| {
                                at += rng.gen_range(1..40);
                                let length = if rng.gen_bool(0.1) { 3000 } else { 20 };
                                Message {
                                    conversation_id: conversation.clone(),
                                    timestamp: Timestamp::from_micros(at).unwrap(),
                                    author: student.clone(),
                                    body: MessageBody::from_stored("é".repeat(length)),
                                    message_id: MessageId::generate(),
                                    client_message_id: None,
                                    announcement_id: None,
                                    edited_at: None,
                                    removed_at: None,
                                }
                            })
                            .collect()
                    })
                    .collect(),
            )
        }

        fn conversations(&self) -> Vec<ConversationId> {
            self.0
                .iter()
                .enumerate()
                .map(|(index, _)| {
                    ConversationId::new(
                        UserId::parse(&format!("s{index}")).unwrap(),
                        UserId::parse("t").unwrap(),
                    )
                })
                .collect()
        }

        /// What a store answers to `read_messages(after, limit)`.
        fn page(&self, stream: usize, after: Timestamp, limit: usize) -> MessagePage {
            let newer: Vec<&Message> = self.0[stream]
                .iter()
                .filter(|message| message.timestamp > after)
                .collect();
            MessagePage {
                has_more: newer.len() > limit,
                messages: newer.into_iter().take(limit).cloned().collect(),
            }
        }

        /// Every message after `since`, in replay order.
        fn expected(&self, since: Timestamp) -> Vec<Key> {
            let mut all: Vec<Key> = self
                .0
                .iter()
                .flatten()
                .filter(|message| message.timestamp > since)
                .map(key)
                .collect();
            all.sort();
            all
        }
    }

    /// Runs a whole merge, checking the budget after every step; the keys emitted and the
    /// number of loads.
    fn run(stored: &Stored, since: Timestamp, budget: ReplayBudget) -> (Vec<Key>, usize) {
        let mut merge = Merge::new(stored.conversations(), since, budget);
        let (mut emitted, mut loads) = (Vec::new(), 0);
        loop {
            match merge.next() {
                Step::Emit(message) => emitted.push(key(&message)),
                Step::Load {
                    stream,
                    after,
                    limit,
                } => {
                    loads += 1;
                    merge.loaded(stream, stored.page(stream, after, limit));
                }
                Step::Done => break,
            }
            let held = merge.held();
            assert!(held.messages <= merge.budget.messages, "{held:?}");
            assert!(held.bytes <= merge.budget.bytes, "{held:?}");
        }
        let peak = merge.peak();
        assert!(peak.messages <= merge.budget.messages, "peak {peak:?}");
        assert!(peak.bytes <= merge.budget.bytes, "peak {peak:?}");
        assert_eq!(merge.held(), Buffered::default(), "nothing left behind");
        (emitted, loads)
    }

    #[test]
    fn emits_everything_once_in_order_within_any_budget() {
        let mut rng = StdRng::seed_from_u64(12);
        let budgets = [
            (1, 0),
            (3, MAX_FOOTPRINT),
            (10, 2 * MAX_FOOTPRINT),
            (64, 1 << 20),
            (1024, 1 << 20),
        ];
        for round in 0..30 {
            let (conversations, per_conversation) = (rng.gen_range(0..60), rng.gen_range(0..30));
            let stored = Stored::random(&mut rng, conversations, per_conversation);
            let since = Timestamp::from_micros(rng.gen_range(0..1_300)).unwrap();
            let expected = stored.expected(since);
            for (messages, bytes) in budgets {
                let budget = ReplayBudget { messages, bytes };
                let (emitted, loads) = run(&stored, since, budget);
                assert_eq!(emitted, expected, "round {round}, budget {budget:?}");
                let bound = stored.0.len() + 2 * expected.len();
                assert!(loads <= bound, "{loads} loads > {bound}, {budget:?}");
            }
        }
    }

    #[test]
    fn a_thousand_conversations_fit_a_small_budget() {
        let mut rng = StdRng::seed_from_u64(1000);
        let stored = Stored::random(&mut rng, 1000, 6);
        let expected = stored.expected(Timestamp::MIN);
        let budget = ReplayBudget {
            messages: 100,
            bytes: 64 * 1024,
        };
        let (emitted, loads) = run(&stored, Timestamp::MIN, budget);
        assert_eq!(emitted, expected);
        assert!(loads <= 1000 + 2 * expected.len(), "{loads}");
    }

    #[test]
    fn a_roomy_budget_reads_each_conversation_once() {
        let mut rng = StdRng::seed_from_u64(7);
        let stored = Stored::random(&mut rng, 20, 10);
        let (emitted, loads) = run(&stored, Timestamp::MIN, ReplayBudget::default());
        assert_eq!(emitted, stored.expected(Timestamp::MIN));
        assert_eq!(loads, 20, "one window per conversation holds all of it");
    }

    #[test]
    fn no_conversations_is_done_at_once() {
        let mut merge = Merge::new(Vec::new(), Timestamp::MIN, ReplayBudget::default());
        assert!(matches!(merge.next(), Step::Done));
    }

    #[test]
    fn a_failed_load_is_asked_for_again() {
        let mut rng = StdRng::seed_from_u64(3);
        let stored = Stored::random(&mut rng, 3, 5);
        let mut merge = Merge::new(
            stored.conversations(),
            Timestamp::MIN,
            ReplayBudget::default(),
        );
        let Step::Load { stream, .. } = merge.next() else {
            panic!("the first step reads the first conversation");
        };
        // The read failed; the caller tries again and is asked for the same window.
        let Step::Load { stream: again, .. } = merge.next() else {
            panic!("the same load again");
        };
        assert_eq!(again, stream);
    }
}
