//! What a revised message looks like everywhere else: in both participants' conversation
//! summaries (only when it is the newest), in unread counts (unchanged), to a retry with
//! its clientMessageId, and in pages of the conversation.

use super::{edit, removal, revise};
use crate::fixtures::{Pair, Scope, assert_ascending, at, linked_pair, new_message, read, send};
use classchat_core::store::{Appended, Contact, Side, Store};
use classchat_core::{Message, UserId};
use std::sync::Arc;

/// The summary line of `pair`'s conversation as `user` sees it in both contact lists,
/// which must agree.
async fn summary(store: &dyn Store, pair: &Pair, user: &UserId, side: Side) -> Contact {
    let active = store.active_conversations(user).await.unwrap();
    let active = active
        .into_iter()
        .find(|c| c.conversation_id == pair.conversation)
        .unwrap_or_else(|| panic!("{} missing from active_conversations", pair.conversation));
    let linked = store.linked_contacts(user, side).await.unwrap();
    let linked = linked
        .into_iter()
        .find(|c| c.conversation_id == pair.conversation)
        .unwrap_or_else(|| panic!("{} missing from linked_contacts", pair.conversation));
    assert_eq!(
        active, linked,
        "active_conversations and linked_contacts must agree for {user}"
    );
    active
}

/// Asserts that both participants' summaries show `last` with the unread counts given.
async fn assert_summaries(
    store: &dyn Store,
    pair: &Pair,
    last: &Message,
    unread: (u64, u64),
    what: &str,
) {
    let student = summary(store, pair, &pair.student.id, Side::Student).await;
    let teacher = summary(store, pair, &pair.teacher.id, Side::Teacher).await;
    assert_eq!(
        student.last_message.as_ref(),
        Some(last),
        "{what}: the student's summary"
    );
    assert_eq!(
        teacher.last_message.as_ref(),
        Some(last),
        "{what}: the teacher's summary"
    );
    assert_eq!(
        (student.unread_count, teacher.unread_count),
        unread,
        "{what}: unread counts"
    );
}

/// When the revised message is its conversation's newest, both participants' summaries
/// show the new text after an edit and `removed_at` after a removal; unread counts stay.
pub async fn revising_the_newest_message_shows_in_both_summaries(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    send(
        &*store,
        &pair.conversation,
        &pair.teacher.id,
        at(100),
        "hello",
    )
    .await;
    let newest = send(&*store, &pair.conversation, &pair.student.id, at(200), "hi").await;
    assert_summaries(&*store, &pair, &newest, (1, 1), "before any revision").await;

    let edited = revise(&*store, &edit(&newest, None, "hi there", at(1_000))).await;
    assert_summaries(
        &*store,
        &pair,
        &edited,
        (1, 1),
        "after an edit of the newest",
    )
    .await;

    let removed = revise(&*store, &removal(&newest, Some(at(1_000)), at(2_000))).await;
    assert!(removed.removed_at.is_some());
    assert_summaries(
        &*store,
        &pair,
        &removed,
        (1, 1),
        "after a removal of the newest",
    )
    .await;
    assert_eq!(
        store
            .unread_count(&pair.teacher.id, &pair.conversation)
            .await
            .unwrap(),
        1,
        "a removed message still counts as the teacher's unread message"
    );

    let next = send(
        &*store,
        &pair.conversation,
        &pair.student.id,
        at(300),
        "new",
    )
    .await;
    assert_eq!((next.edited_at, next.removed_at), (None, None));
    assert_summaries(
        &*store,
        &pair,
        &next,
        (1, 2),
        "a message after a revised one is the summaries' last, neither edited nor removed",
    )
    .await;
}

/// When the revised message is older than the conversation's newest, both summaries go on
/// showing the newest, unchanged.
pub async fn revising_an_older_message_leaves_the_summaries_on_the_newest(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let older = send(
        &*store,
        &pair.conversation,
        &pair.student.id,
        at(100),
        "one",
    )
    .await;
    let newest = send(
        &*store,
        &pair.conversation,
        &pair.teacher.id,
        at(200),
        "two",
    )
    .await;

    revise(&*store, &edit(&older, None, "one, again", at(1_000))).await;
    assert_summaries(
        &*store,
        &pair,
        &newest,
        (1, 1),
        "after an edit of an older one",
    )
    .await;
    revise(&*store, &removal(&older, Some(at(1_000)), at(2_000))).await;
    assert_summaries(
        &*store,
        &pair,
        &newest,
        (1, 1),
        "after a removal of an older one",
    )
    .await;
}

/// A retry with the clientMessageId of an edited message answers it as edited
/// ([`Appended::Existing`]) and stores nothing; later appends still get strictly
/// increasing timestamps, and pages show revised messages in place with their
/// `edited_at` and `removed_at`.
pub async fn a_retry_after_an_edit_answers_the_edited_message(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let (conversation, student) = (&pair.conversation, &pair.student.id);
    let first = new_message(conversation, student, at(100), "typo", Some("c-1"));
    let Some(Appended::Created(original)) = store.append_if_linked(&first).await.unwrap() else {
        panic!("the first append must create a message");
    };
    let middle = send(&*store, conversation, &pair.teacher.id, at(200), "middle").await;
    let edited = revise(&*store, &edit(&original, None, "fixed", at(1_000))).await;

    let retry = new_message(conversation, student, at(300), "typo", Some("c-1"));
    assert_eq!(
        store.append_if_linked(&retry).await.unwrap(),
        Some(Appended::Existing(edited.clone())),
        "a retry after an edit answers the message as it now is"
    );

    let removed = revise(&*store, &removal(&middle, None, at(1_500))).await;
    // A proposed instant before the newest message: the store bumps past it.
    let later = send(&*store, conversation, student, at(150), "later").await;
    assert!(
        later.timestamp > middle.timestamp,
        "an append after revisions still gets a timestamp after the newest message"
    );
    let last = send(&*store, conversation, student, at(150), "last").await;

    let page = read(&*store, conversation, None, None, 10).await;
    assert_eq!(
        page.messages,
        vec![edited, removed, later, last],
        "pages show revised messages in place, with edited_at and removed_at, and the \
         retry stored nothing"
    );
    assert_ascending(&page.messages, "after revisions");
}
