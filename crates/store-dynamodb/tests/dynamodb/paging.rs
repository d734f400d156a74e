//! Reads that do not fit one response. DynamoDB ends a Query response at 1 MB whatever
//! its `Limit` (moto does the same), so a page of large messages arrives in pieces: the
//! store must follow `LastEvaluatedKey` until the page is full, and so must the unread
//! count (a `Select = COUNT` Query, capped the same way).

use crate::fixtures::{append, linked_conversation, message};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use classchat_core::message::MAX_MESSAGE_CHARS;
use classchat_core::store::{Appended, MessagePage, PageRequest, Side, Store};
use classchat_core::{ConversationId, Message, MessageId, Timestamp};
use classchat_store_dynamodb::testing;

/// Messages stored: their bodies add up to about 1.6 MB.
const STORED: usize = 100;

async fn read(
    store: &dyn Store,
    conversation: &ConversationId,
    before: Option<Timestamp>,
    after: Option<Timestamp>,
    limit: usize,
) -> MessagePage {
    let page = PageRequest {
        before,
        after,
        limit,
    };
    store.read_messages(conversation, &page).await.unwrap()
}

fn ids(messages: &[Message]) -> Vec<(Timestamp, MessageId)> {
    messages
        .iter()
        .map(|message| (message.timestamp, message.message_id))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_counts_follow_last_evaluated_key_past_the_1_mb_response_limit() {
    let store = testing::fresh_store().await;
    let conversation = linked_conversation(&store, "s", "t").await;
    let (student, teacher) = (
        conversation.member().clone(),
        conversation.teacher().clone(),
    );
    // The longest body there is, in 4-byte characters: 16 kB, so about 61 fit in 1 MB.
    let body = "😀".repeat(MAX_MESSAGE_CHARS - 3);
    let start = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let mut stored: Vec<Message> = Vec::new();
    for i in 0..STORED {
        let at = Timestamp::from_micros(start.as_micros() + i as i64 * 1_000_000).unwrap();
        let text = format!("{i:03}{body}");
        match append(&store, &message(&conversation, &student, at, &text, None))
            .await
            .unwrap()
        {
            Appended::Created(message) => stored.push(message),
            Appended::Existing(message) => panic!("nothing to deduplicate, got {message:?}"),
        }
    }

    // The premise: one request for all of them comes back short, with a key to go on.
    let raw = |select: Option<Select>| {
        store
            .client()
            .query()
            .table_name(&store.tables().message)
            .consistent_read(true)
            .key_condition_expression("conversationId = :c")
            .expression_attribute_values(":c", AttributeValue::S(conversation.to_string()))
            .limit(STORED as i32)
            .set_select(select)
            .send()
    };
    for select in [None, Some(Select::Count)] {
        let output = raw(select.clone()).await.unwrap();
        assert!(
            (output.count as usize) < STORED && output.last_evaluated_key.is_some(),
            "one {select:?} Query must stop short at 1 MB for this test to mean anything: \
             {} items",
            output.count
        );
    }

    for (what, page, expected, more) in [
        (
            "the newest 90",
            read(&store, &conversation, None, None, 90).await,
            &stored[10..],
            true,
        ),
        (
            "the 90 after the first",
            read(&store, &conversation, None, Some(stored[0].timestamp), 90).await,
            &stored[1..91],
            true,
        ),
        (
            "everything before the last",
            read(&store, &conversation, Some(stored[99].timestamp), None, 200).await,
            &stored[..99],
            false,
        ),
        (
            "everything",
            read(&store, &conversation, None, None, 200).await,
            &stored[..],
            false,
        ),
    ] {
        // Compared by id (a mismatch of 16 kB bodies would print megabytes), then whole.
        assert_eq!(ids(&page.messages), ids(expected), "{what}, in full");
        assert!(page.messages == expected, "{what}: the same messages");
        assert_eq!(page.has_more, more, "{what}: has_more");
    }

    // The teacher has read the first ten: the other 90 are unread, counted across pages.
    let marker = store
        .mark_read(&teacher, &conversation, stored[9].timestamp)
        .await
        .unwrap()
        .map(|marked| marked.marker);
    assert_eq!(marker, Some(stored[9].timestamp));
    let contacts = store
        .linked_contacts(&teacher, Side::Teacher)
        .await
        .unwrap();
    assert_eq!(contacts[0].unread_count, (STORED - 10) as u64);
}
