//! An export's memory does not grow with the history: a conversation of 100,000
//! messages in a real SQLite store is exported through the service and written as JSON
//! Lines, and the export never holds more than one page of messages.

use classchat_core::message::NewMessage;
use classchat_core::service::{Actor, EXPORT_PAGE, NewUser};
use classchat_core::store::{Appended, Store};
use classchat_core::{
    ChatService, ConversationId, MessageBody, MessageId, SystemClock, Timestamp, UserId,
};
use classchat_server::export::ExportStream;
use classchat_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use futures::StreamExt;
use std::sync::Arc;

/// Messages in the conversation.
const MESSAGES: usize = 100_000;
/// Appends in flight at once: the store's writer commits them in groups.
const IN_FLIGHT: usize = 256;
/// The most an export may hold in bytes, whatever the history's length.
const MAX_HELD_BYTES: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_of_100000_messages_exports_in_bounded_memory() {
    // This is about the service's memory, not the store's, so it keeps a SQLite store of
    // its own in every pass of the suite (the emulator would take minutes to load it).
    let dir = tempfile::tempdir().expect("temp dir");
    // Throwaway data: no fsync per commit.
    let options = SqliteOptions {
        synchronous: Synchronous::Off,
    };
    let store = Arc::new(SqliteStore::open(dir.path().join("long.db"), options).expect("open"));
    let service = ChatService::new(Arc::clone(&store) as Arc<dyn Store>, Arc::new(SystemClock));
    for (user_id, role) in [("s1", "student"), ("t1", "teacher")] {
        let new = NewUser {
            user_id,
            display_name: user_id,
            role,
            password: "password-123",
        };
        service.create_user(Actor::Operator, new).await.unwrap();
    }
    service.add_link(Actor::Operator, "t1", "s1").await.unwrap();

    // A year of history before now, a message every few minutes, both sides writing.
    let conversation = ConversationId::parse_canonical("s1+t1").unwrap();
    let start = Timestamp::parse("2025-01-01T00:00:00Z").unwrap();
    let appends = (0..MESSAGES).map(|n| {
        let store = Arc::clone(&store);
        let message = NewMessage {
            conversation_id: conversation.clone(),
            proposed: start.plus_micros(n as i64 * 300_000_000),
            author: UserId::parse(if n % 2 == 0 { "s1" } else { "t1" }).unwrap(),
            body: MessageBody::parse(&format!("message number {n}, as typed")).unwrap(),
            message_id: MessageId::generate(),
            client_message_id: None,
            announcement_id: None,
            via: None,
        };
        async move {
            match store.append_if_linked(&message).await {
                Ok(Some(Appended::Created(_))) => {}
                other => panic!("appending: {other:?}"),
            }
        }
    });
    futures::stream::iter(appends)
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<()>>()
        .await;

    let export = service
        .export_conversation(Actor::Operator, "s1+t1", "jsonl")
        .await
        .unwrap();
    let mut stream = ExportStream::new(export);
    let mut message_lines = 0;
    let mut other_lines = 0;
    let mut last_line = String::new();
    let mut largest_chunk = 0;
    while let Some(chunk) = stream.next_chunk().await.unwrap() {
        largest_chunk = largest_chunk.max(chunk.len());
        let text = std::str::from_utf8(&chunk).unwrap();
        for line in text.lines() {
            if line.starts_with("{\"type\":\"message\"") {
                message_lines += 1;
                last_line = line.to_owned();
            } else {
                other_lines += 1;
            }
        }
    }
    assert_eq!(message_lines, MESSAGES);
    assert_eq!(other_lines, 2, "the export line and the conversation line");
    assert!(
        last_line.contains(&format!(
            "\"messageBody\":\"message number {}, as typed\"",
            MESSAGES - 1
        )),
        "oldest first, the newest last: {last_line}"
    );
    let peak = stream.peak_buffered();
    assert!(peak.messages <= EXPORT_PAGE, "{peak:?}");
    assert!(peak.bytes <= MAX_HELD_BYTES, "{peak:?}");
    // What the transport held at once: one page written out.
    assert!(
        largest_chunk <= MAX_HELD_BYTES,
        "{largest_chunk} bytes in one chunk"
    );
}
