//! DynamoDB becoming unreachable mid-run: calls fail fast with `Unavailable` (HTTP 503
//! upstream), nothing acknowledged is lost, and the store works again by itself once
//! DynamoDB is back — no restart, no reconnect call.
//!
//! Two outages, each on an emulator of our own, with production's timeouts and retries:
//! - paused (SIGSTOP): connections hang unanswered, so calls end by the timeouts;
//! - killed (SIGKILL): connections are refused, so calls end as soon as the SDK's few
//!   quick retries are spent. The emulator then starts again on the same port and
//!   replays what the killed one had stored (see `testing::Emulator`), so both tests check
//!   that every acknowledged message is still there, once, in order.

use crate::fixtures::{append, linked_conversation, message};
use classchat_core::Clock;
use classchat_core::message::NewMessage;
use classchat_core::store::{Appended, PageRequest, Store, StoreError};
use classchat_core::{ConversationId, Message, SystemClock, UserId};
use classchat_store_dynamodb::testing::{self, Emulator};
use classchat_store_dynamodb::{DynamoConfig, DynamoStore};
use std::time::{Duration, Instant};

/// Far above the ~3 s the default timeouts allow, far below "hangs".
const FAIL_FAST: Duration = Duration::from_secs(15);
/// A refused connection needs no timeout: only the SDK's retries (3 attempts, at most
/// 0.5 s apart) stand between it and the answer.
const REFUSED_FAST: Duration = Duration::from_secs(5);

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

/// A store on `emulator` with fresh tables and production's timeouts and retries.
async fn production_store(emulator: &Emulator) -> DynamoStore {
    let prefix = testing::fresh_prefix();
    let setup = DynamoStore::connect(&testing::config(emulator.endpoint(), &prefix))
        .await
        .unwrap();
    setup.create_tables().await.unwrap();
    DynamoStore::connect(&DynamoConfig {
        endpoint: Some(emulator.endpoint().to_owned()),
        table_prefix: prefix,
        region: Some("us-east-1".into()),
        timeouts: None,
    })
    .await
    .unwrap()
}

/// Pings, sends `during` and reads while the store is down: each must be `Unavailable`
/// within `limit`.
async fn all_unavailable(
    store: &DynamoStore,
    conversation: &ConversationId,
    during: &NewMessage,
    limit: Duration,
) {
    let page = PageRequest {
        before: None,
        after: None,
        limit: 10,
    };
    for (what, result) in [
        ("ping", timed(limit, store.ping()).await.map(|_| ())),
        (
            "append",
            timed(limit, append(store, during)).await.map(|_| ()),
        ),
        (
            "read",
            timed(limit, store.read_messages(conversation, &page))
                .await
                .map(|_| ()),
        ),
    ] {
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{what} during the outage must be Unavailable, got {result:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_fails_fast_loses_nothing_and_recovers() {
    let emulator = Emulator::start();
    let store = production_store(&emulator).await;

    let conversation = linked_conversation(&store, "s", "t").await;
    let (student, teacher) = (
        conversation.member().clone(),
        conversation.teacher().clone(),
    );
    let mut acknowledged = Vec::new();
    for text in ["before-1", "before-2"] {
        match append(&store, &send(&conversation, &student, text)).await {
            Ok(Appended::Created(message)) => acknowledged.push(message),
            other => panic!("append before the outage: {other:?}"),
        }
    }

    emulator.pause();
    let during = send(&conversation, &student, "during");
    all_unavailable(&store, &conversation, &during, FAIL_FAST).await;

    emulator.resume();
    // The client retries the unacknowledged send with the same clientMessageId: it is
    // stored exactly once, whether or not the first attempt reached DynamoDB.
    let retried = match append(&store, &during).await {
        Ok(Appended::Created(message) | Appended::Existing(message)) => message,
        Err(error) => panic!("the store must recover by itself, got {error}"),
    };
    acknowledged.push(retried);
    match append(&store, &send(&conversation, &teacher, "after")).await {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_store_is_refused_fast_and_comes_back_with_everything_acknowledged() {
    let mut emulator = Emulator::start();
    let store = production_store(&emulator).await;
    let conversation = linked_conversation(&store, "s", "t").await;
    let (student, teacher) = (
        conversation.member().clone(),
        conversation.teacher().clone(),
    );
    let mut acknowledged = Vec::new();
    for (author, text) in [(&student, "before-1"), (&teacher, "before-2")] {
        match append(&store, &send(&conversation, author, text)).await {
            Ok(Appended::Created(message)) => acknowledged.push(message),
            other => panic!("append before the kill: {other:?}"),
        }
    }

    emulator.kill();
    let during = send(&conversation, &student, "during");
    all_unavailable(&store, &conversation, &during, REFUSED_FAST).await;
    // Still refused on a second round: nothing is cached or stuck half-open.
    all_unavailable(&store, &conversation, &during, REFUSED_FAST).await;

    emulator.restart();
    store.ping().await.expect("ping once DynamoDB is back");
    // The refused send never reached DynamoDB: the client's retry stores it now.
    match append(&store, &during).await {
        Ok(Appended::Created(message)) => acknowledged.push(message),
        other => panic!("the retried send after the restart: {other:?}"),
    }
    match append(&store, &send(&conversation, &teacher, "after")).await {
        Ok(Appended::Created(message)) => acknowledged.push(message),
        other => panic!("append after the restart: {other:?}"),
    }
    assert_eq!(
        all(&store, &conversation).await,
        acknowledged,
        "every acknowledged message survives the kill, once, in order"
    );
    // The summaries written before the kill are there too, and kept up since.
    let contacts = store.active_conversations(&student).await.unwrap();
    assert_eq!(contacts[0].last_message.as_ref(), acknowledged.last());
    assert_eq!(
        contacts[0].unread_count, 2,
        "before-2 and after, by the teacher"
    );
}

/// Awaits `call` and checks it ended within `limit` (and did not hang at all).
async fn timed<T>(
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = tokio::time::timeout(limit * 2, call)
        .await
        .unwrap_or_else(|_| panic!("a call hung for {:?} during the outage", limit * 2));
    assert!(
        started.elapsed() < limit,
        "a call took {:?} to fail; it must fail within {limit:?}",
        started.elapsed()
    );
    result
}
