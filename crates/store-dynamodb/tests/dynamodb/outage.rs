//! DynamoDB becoming unreachable mid-run: calls fail fast with `Unavailable` (HTTP 503
//! upstream), nothing acknowledged is lost, and the store works again by itself once
//! DynamoDB is back — no restart, no reconnect call.
//!
//! The outage is a paused emulator of our own (see `testing::Emulator` for why pausing
//! rather than killing); the timeouts are production's defaults.

use crate::fixtures::{linked_conversation, message};
use classchat_core::Clock;
use classchat_core::message::NewMessage;
use classchat_core::store::{Appended, PageRequest, Store, StoreError};
use classchat_core::{ConversationId, Message, SystemClock, UserId};
use classchat_store_dynamodb::testing::{self, Emulator};
use classchat_store_dynamodb::{DynamoConfig, DynamoStore};
use std::time::{Duration, Instant};

/// Far above the ~3 s the default timeouts allow, far below "hangs".
const FAIL_FAST: Duration = Duration::from_secs(15);

fn send(conversation: &ConversationId, author: &UserId, text: &str) -> NewMessage {
    message(conversation, author, SystemClock.now(), text, Some(text))
}

async fn all(store: &dyn Store, conversation: &ConversationId) -> Vec<Message> {
    let page = PageRequest {
        before: None,
        after: None,
        limit: 200,
    };
    store
        .read_messages(conversation, &page)
        .await
        .unwrap()
        .messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_fails_fast_loses_nothing_and_recovers() {
    let emulator = Emulator::start();
    let prefix = testing::fresh_prefix();
    let setup = DynamoStore::connect(&testing::config(emulator.endpoint(), &prefix))
        .await
        .unwrap();
    setup.create_tables().await.unwrap();
    // The store under test has production's timeouts and retries.
    let store = DynamoStore::connect(&DynamoConfig {
        endpoint: Some(emulator.endpoint().to_owned()),
        table_prefix: prefix,
        region: Some("us-east-1".into()),
        timeouts: None,
    })
    .await
    .unwrap();

    let conversation = linked_conversation(&store, "s", "t").await;
    let (student, teacher) = (
        conversation.student().clone(),
        conversation.teacher().clone(),
    );
    let mut acknowledged = Vec::new();
    for text in ["before-1", "before-2"] {
        match store
            .append_message(&send(&conversation, &student, text))
            .await
        {
            Ok(Appended::Created(message)) => acknowledged.push(message),
            other => panic!("append before the outage: {other:?}"),
        }
    }

    emulator.pause();
    let during = send(&conversation, &student, "during");
    for (what, result) in [
        ("ping", timed(store.ping()).await.map(|_| ())),
        (
            "append",
            timed(store.append_message(&during)).await.map(|_| ()),
        ),
        (
            "read",
            timed(store.read_messages(
                &conversation,
                &PageRequest {
                    before: None,
                    after: None,
                    limit: 10,
                },
            ))
            .await
            .map(|_| ()),
        ),
    ] {
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{what} during the outage must be Unavailable, got {result:?}"
        );
    }

    emulator.resume();
    // The client retries the unacknowledged send with the same clientMessageId: it is
    // stored exactly once, whether or not the first attempt reached DynamoDB.
    let retried = match store.append_message(&during).await {
        Ok(Appended::Created(message) | Appended::Existing(message)) => message,
        Err(error) => panic!("the store must recover by itself, got {error}"),
    };
    acknowledged.push(retried);
    match store
        .append_message(&send(&conversation, &teacher, "after"))
        .await
    {
        Ok(Appended::Created(message)) => acknowledged.push(message),
        other => panic!("append after the outage: {other:?}"),
    }
    store.ping().await.expect("ping after the outage");
    assert_eq!(
        all(&store, &conversation).await,
        acknowledged,
        "every acknowledged message is there, once, in order"
    );
}

/// Awaits `call` and checks it did not hang.
async fn timed<T>(
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = tokio::time::timeout(FAIL_FAST * 2, call)
        .await
        .unwrap_or_else(|_| panic!("a call hung for {:?} during the outage", FAIL_FAST * 2));
    assert!(
        started.elapsed() < FAIL_FAST,
        "a call took {:?} to fail; the timeouts must make it fail fast",
        started.elapsed()
    );
    result
}
