//! The `sync` replay over a store: however many conversations a user has, it holds no more
//! than its budget in memory, and it returns every message after `since` once, oldest
//! first. A check of `ChatService::replay` rather than of a single store method, because
//! what it proves depends on the store's paging (exclusive cursors, `has_more`) and on
//! `conversations_since` together.

use crate::fixtures::{Scope, append, at, create_user, new_message};
use classchat_core::service::{Buffered, Replay, ReplayBudget};
use classchat_core::store::{Appended, Link, Store};
use classchat_core::user::Role;
use classchat_core::{ChatService, ConversationId, Limits, Message, MessageId, SystemClock};
use classchat_core::{Timestamp, User};
use futures::StreamExt;
use std::sync::Arc;

/// Conversations of the teacher whose backlog is replayed.
const CONVERSATIONS: usize = 1000;
/// Every this many conversations, one goes on with [`ANSWERS`] answers from the teacher.
const ANSWERED_EVERY: usize = 10;
/// Answers in each answered conversation.
const ANSWERS: usize = 3;
/// After every question and each conversation's first answer, before the other answers.
fn first_answers_given() -> Timestamp {
    at(1_000_500)
}

/// A teacher with [`CONVERSATIONS`] students: each student asks a question, then, after
/// everyone has asked, the teacher answers every tenth of them a few times. Many
/// conversations share each timestamp (the replay orders them by messageId), and some
/// messages are long (4 kB), so a byte budget binds as well as a message count. Students
/// need no account for this: the store checks the link a message needs, not its author.
/// (Kept this small because the DynamoDB emulator's Query reads its whole table.)
async fn seed(store: &Arc<dyn Store>, scope: &Scope) -> (User, Vec<Message>) {
    let teacher = create_user(&**store, &scope.id("t"), "Teacher", Role::Teacher).await;
    let appends = futures::stream::iter(0..CONVERSATIONS)
        .map(|index| {
            let (store, teacher) = (Arc::clone(store), teacher.id.clone());
            let student = scope.id(&format!("s{index:04}"));
            async move {
                let conversation = ConversationId::new(student.clone(), teacher.clone());
                let link = Link::of(&conversation);
                if let Err(error) = store.add_link(&link).await {
                    panic!("add_link({link:?}) failed: {error}");
                }
                let spread = (index % 7) as i64 * 10;
                let long = |n: usize| (n % 4 == 0).then(|| "é".repeat(2000));
                let mut messages = vec![(
                    &student,
                    at(spread),
                    long(index / ANSWERED_EVERY).unwrap_or_else(|| format!("question {index}")),
                )];
                if index % ANSWERED_EVERY == 0 {
                    for answer in 0..ANSWERS {
                        let body = long(index + answer + 1)
                            .unwrap_or_else(|| format!("answer {answer} to {index}"));
                        let proposed = at(1_000_000 + answer as i64 * 1_000 + spread);
                        messages.push((&teacher, proposed, body));
                    }
                }
                let mut stored = Vec::new();
                for (author, proposed, body) in messages {
                    let new = new_message(&conversation, author, proposed, &body, None);
                    match append(&*store, &new).await {
                        Ok(Appended::Created(message)) => stored.push(message),
                        other => panic!("append({conversation}) failed: {other:?}"),
                    }
                }
                stored
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    (teacher, appends.into_iter().flatten().collect())
}

/// The order every replay must follow.
fn replay_order(messages: &mut [Message]) {
    messages.sort_by_key(|message| (message.timestamp, message.message_id));
}

fn ids(messages: &[Message]) -> Vec<MessageId> {
    messages.iter().map(|message| message.message_id).collect()
}

fn within(held: Buffered, budget: ReplayBudget) -> bool {
    held.messages <= budget.messages && held.bytes <= budget.bytes
}

/// Takes a whole replay in batches of `batch`, checking what it holds after every batch;
/// the messages and the replay, spent.
async fn take_all(
    mut replay: Replay,
    batch: usize,
    budget: ReplayBudget,
) -> (Vec<Message>, Replay) {
    let mut messages = Vec::new();
    while let Some(more) = replay.next_batch(batch).await.unwrap() {
        assert!(
            !more.is_empty() && more.len() <= batch,
            "a batch holds 1 to {batch} messages"
        );
        let held = replay.buffered();
        assert!(
            within(held, budget),
            "holds {held:?} between batches, over {budget:?}"
        );
        messages.extend(more);
    }
    (messages, replay)
}

/// A teacher with a thousand conversations replays their whole backlog under the default
/// budget (more messages than it holds), then the later answers (several per
/// conversation) under a tight one: at no
/// point does the replay hold more than its budget, and it returns every message after
/// `since` exactly once, by timestamp then messageId, with a bounded number of store
/// queries.
pub async fn replay_of_a_thousand_conversations_stays_within_its_budget(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (teacher, mut stored) = seed(&store, &scope).await;
    replay_order(&mut stored);
    let tight = ReplayBudget {
        messages: 8,
        bytes: 32 * 1024,
    };
    let cases = [
        (
            "default budget, everything",
            ReplayBudget::default(),
            Timestamp::MIN,
            50,
        ),
        (
            "tight budget, the later answers",
            tight,
            first_answers_given(),
            7,
        ),
    ];
    for (what, budget, since, batch) in cases {
        let service =
            ChatService::new(Arc::clone(&store), Arc::new(SystemClock)).with_limits(Limits {
                replay: budget,
                ..Limits::default()
            });
        let replay = service
            .replay(&teacher, &since.to_string())
            .await
            .unwrap_or_else(|error| panic!("{what}: replay failed: {error}"));
        let (got, replay) = take_all(replay, batch, budget).await;
        let peak = replay.peak_buffered();
        assert!(
            within(peak, budget),
            "{what}: held {peak:?} at once, over {budget:?}"
        );
        assert_eq!(
            replay.buffered(),
            Buffered::default(),
            "{what}: nothing left behind"
        );

        let expected: Vec<Message> = stored
            .iter()
            .filter(|message| message.timestamp > since)
            .cloned()
            .collect();
        // Compared by id first (a mismatch of 2,000 messages would print pages), then whole.
        assert_eq!(
            ids(&got),
            ids(&expected),
            "{what}: every message once, in order"
        );
        assert!(got == expected, "{what}: the messages as stored");
        // One query lists the conversations, one per conversation finds its first message,
        // and at most two more per message: one that learns it is next, one that reads it
        // again if it had to be dropped to stay within the budget.
        let conversations = expected
            .iter()
            .map(|message| &message.conversation_id)
            .collect::<std::collections::HashSet<_>>()
            .len();
        let bound = 1 + conversations + 2 * expected.len();
        assert!(
            replay.queries() <= bound,
            "{what}: {} store queries, more than {bound}",
            replay.queries()
        );
        eprintln!(
            "replay of {CONVERSATIONS} conversations, {what}: {} messages, {} queries, peak {peak:?}",
            got.len(),
            replay.queries()
        );
    }
}
