//! Retention end to end over a store, with a clock the check moves: the service's pass
//! deletes the expired conversation whole (messages, summaries, clientMessageId records),
//! keeps the held and the recent ones, finishes a conversation an earlier pass left half
//! deleted, and a second pass deletes nothing.

use crate::fixtures::{Scope, at, linked_pair, new_message, read, send};
use classchat_core::service::{Actor, HoldRequest};
use classchat_core::store::{Appended, SchoolSettings, Store};
use classchat_core::time::Clock;
use classchat_core::{ChatService, Timestamp};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

const DAY: i64 = 86_400_000_000;

/// A clock the check moves.
struct Manual(AtomicI64);

impl Clock for Manual {
    fn now(&self) -> Timestamp {
        Timestamp::from_micros(self.0.load(Ordering::SeqCst)).expect("in range")
    }
}

/// A retention pass with a controllable clock deletes exactly what expired, keeps what is
/// held, resumes an interrupted deletion and does nothing the second time.
pub async fn retention_passes_delete_what_expired_keep_what_is_held_and_resume(
    store: Arc<dyn Store>,
) {
    let scope = Scope::new();
    let expired = linked_pair(store.as_ref(), &scope, "expired").await;
    let held = linked_pair(store.as_ref(), &scope, "held").await;
    let recent = linked_pair(store.as_ref(), &scope, "recent").await;
    for index in 0..5 {
        let new = new_message(
            &expired.conversation,
            &expired.student.id,
            at(index),
            "old news",
            Some(&format!("retry-{index}")),
        );
        assert!(matches!(
            store.append_if_linked(&new).await,
            Ok(Some(Appended::Created(_)))
        ));
    }
    send(
        store.as_ref(),
        &held.conversation,
        &held.teacher.id,
        at(0),
        "kept",
    )
    .await;
    send(
        store.as_ref(),
        &recent.conversation,
        &recent.student.id,
        at(20 * DAY),
        "new",
    )
    .await;
    let settings = SchoolSettings {
        retention_days: Some(30),
        ..SchoolSettings::default()
    };
    store.put_settings(&settings).await.expect("put_settings");
    let clock = Arc::new(Manual(AtomicI64::new(at(40 * DAY).as_micros())));
    let service = ChatService::new(Arc::clone(&store), Arc::clone(&clock) as Arc<dyn Clock>);
    let hold = HoldRequest {
        user_id: Some(held.student.id.as_str()),
        conversation_id: None,
        reason: Some("case 7"),
    };
    service
        .set_hold(Actor::Operator, hold)
        .await
        .expect("set_hold");
    // A pass that died after its first step left two of the five messages deleted.
    let step = store
        .delete_conversation(&expired.conversation, at(4), 2)
        .await
        .expect("delete_conversation");
    assert_eq!((step.messages, step.finished), (2, false));
    let preview = service
        .retention_pass(Actor::Operator, true)
        .await
        .expect("dry run");
    assert_eq!(
        (preview.conversations, preview.messages, preview.held),
        (1, 3, 1)
    );
    let run = service
        .retention_pass(Actor::Operator, false)
        .await
        .expect("retention pass");
    assert_eq!((run.conversations, run.messages, run.held), (1, 3, 1));
    assert!(
        read(store.as_ref(), &expired.conversation, None, None, 50)
            .await
            .messages
            .is_empty()
    );
    let lists = store
        .active_conversations(&expired.student.id)
        .await
        .expect("active_conversations");
    assert!(lists.is_empty(), "the summaries went with the messages");
    assert_eq!(
        read(store.as_ref(), &held.conversation, None, None, 50)
            .await
            .messages
            .len(),
        1
    );
    assert_eq!(
        read(store.as_ref(), &recent.conversation, None, None, 50)
            .await
            .messages
            .len(),
        1
    );
    // The clientMessageId records went too: the same id stores a new message now.
    let retry = new_message(
        &expired.conversation,
        &expired.student.id,
        at(41 * DAY),
        "a new start",
        Some("retry-0"),
    );
    assert!(matches!(
        store.append_if_linked(&retry).await,
        Ok(Some(Appended::Created(_)))
    ));
    clock.0.fetch_add(DAY, Ordering::SeqCst);
    let again = service
        .retention_pass(Actor::Operator, false)
        .await
        .expect("second pass");
    assert_eq!((again.conversations, again.messages, again.held), (0, 0, 1));
}
