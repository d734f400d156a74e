//! The `sync` catch-up's merge order: every message of the caller's conversations newer
//! than `since`, each once, oldest first across all of them — by timestamp, then by
//! messageId where conversations share an instant — whatever the batch size and however
//! small the memory budget.

use super::{School, at};
use crate::message::Message;
use crate::service::{Limits, ReplayBudget};
use crate::user::{Role, User};

/// A teacher with three students, and another teacher of theirs; messages interleaved
/// across the first teacher's conversations, several sharing an instant. Returns the
/// school, the teacher, and every message of their conversations in the order written.
async fn busy_teacher(limits: Limits) -> (School, User, Vec<Message>) {
    let school = School::with_limits(limits);
    let t1 = school.user("t1", Role::Teacher).await;
    let t2 = school.user("t2", Role::Teacher).await;
    for id in ["s1", "s2", "s3"] {
        let student = school.user(id, Role::Student).await;
        school.link(&t1, &student).await;
        school.link(&t2, &student).await;
    }
    let plan: [(&str, &str, i64); 10] = [
        ("s1+t1", "s1", 10),
        ("s2+t1", "t1", 10),
        ("s3+t1", "s3", 10),
        ("s2+t1", "s2", 20),
        ("s1+t1", "t1", 30),
        ("s3+t1", "t1", 30),
        ("s1+t1", "s1", 30), // bumped to 31 within its conversation
        ("s2+t1", "t1", 31),
        ("s3+t1", "s3", 50),
        ("s1+t1", "t1", 60),
    ];
    let mut written = Vec::new();
    for (index, (conversation, author, micros)) in plan.into_iter().enumerate() {
        let body = format!("m{index}");
        written.push(
            school
                .history(conversation, author, at(micros), &body)
                .await,
        );
    }
    // Not the teacher's conversation: never replayed to them.
    school.history("s1+t2", "t2", at(40), "elsewhere").await;
    (school, t1, written)
}

/// The replay's order: by timestamp, then by messageId.
fn merge_order(mut messages: Vec<Message>) -> Vec<Message> {
    messages.sort_by_key(|message| (message.timestamp, message.message_id));
    messages
}

/// Everything a replay since `since` returns, taken `batch` at a time.
async fn replayed(school: &School, teacher: &User, since: &str, batch: usize) -> Vec<Message> {
    let mut replay = school.service.replay(teacher, since).await.unwrap();
    let mut all = Vec::new();
    while let Some(messages) = replay.next_batch(batch).await.unwrap() {
        assert!(!messages.is_empty() && messages.len() <= batch.max(1));
        all.extend(messages);
    }
    all
}

#[tokio::test]
async fn a_replay_merges_the_conversations_by_timestamp_then_message_id() {
    let (school, teacher, written) = busy_teacher(Limits::default()).await;
    let expected = merge_order(written);
    assert_eq!(expected[2].timestamp, expected[0].timestamp, "ties exist");
    for batch in [1, 3, 100] {
        let since = at(0).to_string();
        assert_eq!(
            replayed(&school, &teacher, &since, batch).await,
            expected,
            "batch {batch}"
        );
    }
}

#[tokio::test]
async fn a_replay_starts_strictly_after_since() {
    let (school, teacher, written) = busy_teacher(Limits::default()).await;
    let since = at(30);
    let expected: Vec<Message> = merge_order(written)
        .into_iter()
        .filter(|message| message.timestamp > since)
        .collect();
    assert_eq!(expected.len(), 4, "31, 31, 50 and 60");
    let got = replayed(&school, &teacher, &since.to_string(), 2).await;
    assert_eq!(got, expected);
    let nothing = replayed(&school, &teacher, &at(60).to_string(), 2).await;
    assert!(nothing.is_empty(), "nothing is newer than the newest");
}

#[tokio::test]
async fn a_replay_holding_one_message_at_a_time_keeps_the_same_order() {
    let tiny = Limits {
        replay: ReplayBudget {
            messages: 1,
            bytes: 1,
        },
        ..Limits::default()
    };
    let (school, teacher, written) = busy_teacher(tiny).await;
    let since = at(0).to_string();
    let mut replay = school.service.replay(&teacher, &since).await.unwrap();
    let mut all = Vec::new();
    while let Some(messages) = replay.next_batch(1).await.unwrap() {
        assert!(replay.buffered().messages <= 1);
        all.extend(messages);
    }
    assert_eq!(all, merge_order(written));
}
