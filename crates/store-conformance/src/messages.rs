//! Appending messages: timestamps, idempotency, concurrency.

use crate::fixtures::{
    Scope, append as try_append, assert_ascending, at, linked_pair, new_message, read, send,
    stamps, stored,
};
use classchat_core::store::{Appended, Store};
use classchat_core::{Message, Timestamp};
use std::collections::HashSet;
use std::sync::Arc;

async fn append(store: &dyn Store, new: &classchat_core::message::NewMessage) -> Appended {
    try_append(store, new)
        .await
        .unwrap_or_else(|error| panic!("append({:?}) failed: {error}", new.body))
}

fn created(appended: Appended, context: &str) -> Message {
    match appended {
        Appended::Created(message) => message,
        Appended::Existing(message) => {
            panic!("{context}: expected Appended::Created, got Existing({message:?})")
        }
    }
}

/// A message proposed after the conversation's newest one keeps its proposed timestamp and
/// is stored exactly as given.
pub async fn append_uses_proposed_timestamp_when_free(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;

    let first = new_message(
        &pair.conversation,
        &pair.student.id,
        at(1_000),
        "  hello  ",
        Some("c-1"),
    );
    let message = created(append(&*store, &first).await, "first message");
    assert_eq!(
        message,
        stored(&first, at(1_000)),
        "the first message must be stored as given, at its proposed timestamp"
    );

    let later = new_message(
        &pair.conversation,
        &pair.teacher.id,
        at(5_000),
        "hi back",
        None,
    );
    let reply = created(append(&*store, &later).await, "later message");
    assert_eq!(
        reply,
        stored(&later, at(5_000)),
        "a proposal later than the newest message must be used as-is"
    );

    let page = read(&*store, &pair.conversation, None, None, 10).await;
    assert_eq!(
        page.messages,
        vec![message, reply],
        "read_messages must return what append_if_linked returned"
    );
    assert!(!page.has_more);
}

/// A proposal equal to or older than the newest message is bumped to one microsecond after
/// it, whoever the author is.
pub async fn append_bumps_colliding_timestamps(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "b").await;
    let (student, teacher) = (&pair.student.id, &pair.teacher.id);
    let conversation = &pair.conversation;

    let cases: [(&_, Timestamp, Timestamp, &str); 5] = [
        (student, at(1_000), at(1_000), "free slot"),
        (student, at(1_000), at(1_001), "equal to the newest"),
        (teacher, at(10), at(1_002), "older than the newest"),
        (teacher, at(1_002), at(1_003), "equal again, other author"),
        (student, at(2_000), at(2_000), "free again"),
    ];
    let mut all = Vec::new();
    for (author, proposed, expected, what) in cases {
        let new = new_message(conversation, author, proposed, what, None);
        let message = created(append(&*store, &new).await, what);
        assert_eq!(
            message.timestamp, expected,
            "{what}: proposed {proposed} must be stored at {expected} (newest+1µs when not free), got {}",
            message.timestamp
        );
        assert_eq!(message, stored(&new, expected));
        all.push(message);
    }
    assert_eq!(
        all[1].timestamp,
        all[0].timestamp.next(),
        "a bump is exactly Timestamp::next"
    );
    let page = read(&*store, conversation, None, None, 10).await;
    assert_eq!(
        page.messages, all,
        "read_messages must list every message in timestamp order"
    );
}

/// 200 appends racing on one conversation with the same proposed timestamp all succeed with
/// distinct, consecutive timestamps, and read back completely and in order.
pub async fn concurrent_appends_get_distinct_increasing_timestamps(store: Arc<dyn Store>) {
    const COUNT: usize = 200;
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "c").await;
    let proposed = at(0);

    let tasks = (0..COUNT).map(|i| {
        let store = Arc::clone(&store);
        let author = if i % 2 == 0 {
            pair.student.id.clone()
        } else {
            pair.teacher.id.clone()
        };
        let new = new_message(
            &pair.conversation,
            &author,
            proposed,
            &format!("racing message {i}"),
            None,
        );
        tokio::spawn(async move { try_append(&*store, &new).await })
    });
    let mut messages = Vec::new();
    for (i, joined) in futures::future::join_all(tasks)
        .await
        .into_iter()
        .enumerate()
    {
        let appended = joined
            .expect("append task panicked")
            .unwrap_or_else(|error| panic!("concurrent append {i} failed: {error}"));
        messages.push(created(appended, "concurrent append"));
    }
    messages.sort_by_key(|m| m.timestamp);

    let distinct: HashSet<Timestamp> = messages.iter().map(|m| m.timestamp).collect();
    assert_eq!(
        distinct.len(),
        COUNT,
        "every concurrent append must get its own timestamp"
    );
    let expected: Vec<i64> = (0..COUNT as i64)
        .map(|i| proposed.as_micros() + i)
        .collect();
    let got: Vec<i64> = messages.iter().map(|m| m.timestamp.as_micros()).collect();
    assert_eq!(
        got, expected,
        "same proposal for all: timestamps must be proposed, proposed+1µs, … with no gaps"
    );

    // Forwards, 50 at a time.
    let mut forwards = Vec::new();
    let mut after = Timestamp::MIN;
    loop {
        let page = read(&*store, &pair.conversation, None, Some(after), 50).await;
        forwards.extend(page.messages.iter().cloned());
        match page.messages.last() {
            Some(last) if page.has_more => after = last.timestamp,
            _ => break,
        }
    }
    assert_ascending(&forwards, "concurrent appends read forwards");
    assert_eq!(
        forwards, messages,
        "reading forwards must return every appended message exactly once, in order"
    );

    // Backwards, 64 at a time.
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = read(&*store, &pair.conversation, before, None, 64).await;
        let more = page.has_more;
        before = page.messages.first().map(|m| m.timestamp);
        pages.push(page.messages);
        if !more {
            break;
        }
    }
    let backwards: Vec<Message> = pages.into_iter().rev().flatten().collect();
    assert_eq!(
        backwards, messages,
        "reading backwards must return every appended message exactly once, in order"
    );

    // Both summaries saw every message.
    let newest = messages.last().cloned();
    for (user, peer) in [
        (&pair.student.id, &pair.teacher.id),
        (&pair.teacher.id, &pair.student.id),
    ] {
        let contacts = store.active_conversations(user).await.unwrap();
        assert_eq!(contacts.len(), 1, "{user} has one active conversation");
        assert_eq!(
            contacts[0].last_message, newest,
            "{user}'s summary must show the newest of the concurrent messages"
        );
        let from_peer = messages.iter().filter(|m| &m.author == peer).count() as u64;
        assert_eq!(
            contacts[0].unread_count, from_peer,
            "{user}'s unread count must count every concurrent message from the peer"
        );
    }
}

/// A second append with the same (author, clientMessageId) returns the stored message as
/// [`Appended::Existing`] and writes nothing; messages without a client id never collide.
pub async fn client_message_id_makes_append_idempotent(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "d").await;
    let conversation = &pair.conversation;

    let first = new_message(
        conversation,
        &pair.student.id,
        at(100),
        "once",
        Some("retry-1"),
    );
    let original = created(append(&*store, &first).await, "first send");

    // The retry carries a new server id, a later clock reading and even another body.
    let retry = new_message(
        conversation,
        &pair.student.id,
        at(900),
        "twice?",
        Some("retry-1"),
    );
    match append(&*store, &retry).await {
        Appended::Existing(message) => assert_eq!(
            message, original,
            "a retry must return the originally stored message unchanged"
        ),
        Appended::Created(message) => {
            panic!("a retry with the same clientMessageId must not create {message:?}")
        }
    }
    let page = read(&*store, conversation, None, None, 10).await;
    assert_eq!(
        page.messages,
        vec![original.clone()],
        "a retry must not store a second message"
    );
    let teacher_view = store.active_conversations(&pair.teacher.id).await.unwrap();
    assert_eq!(
        teacher_view[0].unread_count, 1,
        "a retry must not count as a second unread message"
    );

    // No client id: two identical sends are two messages.
    let a = send(
        &*store,
        conversation,
        &pair.student.id,
        at(200),
        "same text",
    )
    .await;
    let b = send(
        &*store,
        conversation,
        &pair.student.id,
        at(200),
        "same text",
    )
    .await;
    assert_ne!(
        a.message_id, b.message_id,
        "messages without a clientMessageId are never deduplicated"
    );
    let page = read(&*store, conversation, None, None, 10).await;
    assert_eq!(
        page.messages,
        vec![original, a, b],
        "{:?}",
        stamps(&page.messages)
    );
}

/// clientMessageIds are unique per author: another author's message with the same client id
/// is a separate message.
pub async fn client_message_id_is_scoped_per_author(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "e").await;
    let conversation = &pair.conversation;

    let by_student = new_message(conversation, &pair.student.id, at(1), "mine", Some("same"));
    let by_teacher = new_message(conversation, &pair.teacher.id, at(2), "yours", Some("same"));
    let student_message = created(append(&*store, &by_student).await, "student's message");
    let teacher_message = created(
        append(&*store, &by_teacher).await,
        "teacher's message with the student's client id",
    );
    assert_ne!(student_message.message_id, teacher_message.message_id);

    let student_retry = new_message(conversation, &pair.student.id, at(3), "mine", Some("same"));
    assert_eq!(
        append(&*store, &student_retry).await,
        Appended::Existing(student_message.clone()),
        "the student's retry must find the student's message, not the teacher's"
    );
    let teacher_retry = new_message(conversation, &pair.teacher.id, at(4), "yours", Some("same"));
    assert_eq!(
        append(&*store, &teacher_retry).await,
        Appended::Existing(teacher_message.clone()),
        "the teacher's retry must find the teacher's message"
    );

    let page = read(&*store, conversation, None, None, 10).await;
    assert_eq!(page.messages, vec![student_message, teacher_message]);
}

/// `has_messages` is false for an empty conversation and true once a message is stored;
/// messages stay in their own conversation.
pub async fn has_messages_and_conversations_are_isolated(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let first = linked_pair(&*store, &scope, "f1").await;
    let second = linked_pair(&*store, &scope, "f2").await;

    for pair in [&first, &second] {
        assert!(
            !store.has_messages(&pair.conversation).await.unwrap(),
            "has_messages must be false for a conversation without messages"
        );
        let page = read(&*store, &pair.conversation, None, None, 10).await;
        assert!(
            page.messages.is_empty() && !page.has_more,
            "an empty conversation reads as an empty page without more, got {page:?}"
        );
    }

    let message = send(&*store, &first.conversation, &first.student.id, at(5), "hi").await;
    assert!(
        store.has_messages(&first.conversation).await.unwrap(),
        "has_messages must be true after an append"
    );
    assert!(
        !store.has_messages(&second.conversation).await.unwrap(),
        "a message in one conversation must not show up in another"
    );
    assert!(
        read(&*store, &second.conversation, None, None, 10)
            .await
            .messages
            .is_empty(),
        "read_messages must only return the conversation's own messages"
    );
    assert_eq!(
        read(&*store, &first.conversation, None, None, 10)
            .await
            .messages,
        vec![message]
    );
}

/// `append_if_linked` stores a message only while the conversation's link exists: after
/// the link is removed it writes nothing.
pub async fn append_if_linked_needs_the_link(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let first = new_message(
        &pair.conversation,
        &pair.student.id,
        at(1_000),
        "while linked",
        Some("c-1"),
    );
    let appended = store
        .append_if_linked(&first)
        .await
        .expect("append_if_linked while linked");
    let message = match appended {
        Some(appended) => created(appended, "append_if_linked while linked"),
        None => panic!("append_if_linked refused a linked conversation"),
    };
    assert_eq!(message, stored(&first, at(1_000)));

    let link = classchat_core::store::Link::of(&pair.conversation);
    assert!(store.remove_link(&link).await.expect("remove_link"));
    let refused = new_message(
        &pair.conversation,
        &pair.student.id,
        at(2_000),
        "after the link is gone",
        Some("c-2"),
    );
    assert_eq!(
        store
            .append_if_linked(&refused)
            .await
            .expect("append_if_linked after unlinking"),
        None,
        "no link, no message"
    );
    let page = read(&*store, &pair.conversation, None, None, 50).await;
    assert_eq!(
        page.messages,
        vec![message],
        "nothing was written for the refused append"
    );
}
