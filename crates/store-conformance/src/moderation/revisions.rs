//! An author's edits and removals: [`Store::message`], [`Store::revise_message`] and
//! [`Store::message_versions`]. A message is never changed silently: every earlier text
//! is kept, a removal keeps the text (the service redacts, never the store), and a
//! revision made on a stale read is refused.

use super::{assert_conflict, edit, removal, revise, stored_message};
use crate::fixtures::{Scope, at, linked_pair, new_message, send};
use classchat_core::message::MessageBody;
use classchat_core::store::{Appended, MessageVersion, Store};
use classchat_core::{Message, Timestamp};
use std::sync::Arc;

/// [`Store::message_versions`] of `message`, which must not fail.
async fn versions(store: &dyn Store, message: &Message) -> Vec<MessageVersion> {
    store
        .message_versions(&message.conversation_id, message.timestamp)
        .await
        .unwrap_or_else(|error| panic!("message_versions({}) failed: {error}", message.timestamp))
}

/// A version of `body` written at `written_at`.
fn version(body: &str, written_at: Timestamp) -> MessageVersion {
    MessageVersion {
        body: MessageBody::parse(body).expect("test bodies are valid"),
        written_at,
    }
}

/// `message` answers the message at a key exactly as stored, and `None` for a key that
/// holds none: another instant, or another conversation.
pub async fn message_answers_the_stored_message(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let other = linked_pair(&*store, &scope, "b").await;
    let new = new_message(
        &pair.conversation,
        &pair.student.id,
        at(100),
        "hi",
        Some("c-1"),
    );
    let message = match store.append_if_linked(&new).await.unwrap() {
        Some(Appended::Created(message)) => message,
        other => panic!("the first append must create a message, got {other:?}"),
    };
    let reply = send(
        &*store,
        &pair.conversation,
        &pair.teacher.id,
        at(200),
        "hello",
    )
    .await;

    assert_eq!(
        stored_message(&*store, &message).await,
        Some(message.clone()),
        "message must answer the stored message, every field"
    );
    assert_eq!(stored_message(&*store, &reply).await, Some(reply.clone()));
    for (conversation, timestamp, what) in [
        (
            &pair.conversation,
            at(150),
            "an instant between two messages",
        ),
        (&pair.conversation, at(300), "an instant after the newest"),
        (&other.conversation, at(100), "another conversation"),
    ] {
        assert_eq!(
            store.message(conversation, timestamp).await.unwrap(),
            None,
            "message at {what} must be None"
        );
    }
}

/// An edit replaces the text and sets `edited_at`, keeping timestamp, messageId and
/// clientMessageId; the text it replaced is a version written at the message's
/// timestamp, and a second edit adds a second version written at the first edit.
pub async fn an_edit_keeps_the_earlier_text_as_a_version(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let new = new_message(
        &pair.conversation,
        &pair.student.id,
        at(100),
        "first",
        Some("c-1"),
    );
    let Some(Appended::Created(original)) = store.append_if_linked(&new).await.unwrap() else {
        panic!("the first append must create a message");
    };
    assert!(
        versions(&*store, &original).await.is_empty(),
        "a message never edited has no versions"
    );

    let edited = revise(&*store, &edit(&original, None, "second", at(1_000))).await;
    let expected = Message {
        body: MessageBody::parse("second").unwrap(),
        edited_at: Some(at(1_000)),
        ..original.clone()
    };
    assert_eq!(
        edited, expected,
        "an edit changes the body and sets edited_at, and nothing else"
    );
    assert_eq!(
        stored_message(&*store, &original).await,
        Some(expected.clone()),
        "message must answer the edited message"
    );
    assert_eq!(
        versions(&*store, &original).await,
        vec![version("first", original.timestamp)],
        "the first version is the original text, written at the message's timestamp"
    );

    let again = revise(
        &*store,
        &edit(&original, Some(at(1_000)), "third", at(2_000)),
    )
    .await;
    assert_eq!(
        again,
        Message {
            body: MessageBody::parse("third").unwrap(),
            edited_at: Some(at(2_000)),
            ..original.clone()
        }
    );
    assert_eq!(
        versions(&*store, &original).await,
        vec![
            version("first", original.timestamp),
            version("second", at(1_000)),
        ],
        "two edits keep two versions, oldest first, the second written at the first edit"
    );
}

/// A revision whose `expected_edited_at` is not the message's is a conflict, and nothing
/// changes: not the message, not its versions.
pub async fn a_stale_revision_conflicts_and_changes_nothing(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let original = send(
        &*store,
        &pair.conversation,
        &pair.student.id,
        at(100),
        "one",
    )
    .await;

    assert_conflict(
        &*store,
        &edit(&original, Some(at(50)), "never", at(500)),
        "an edit expecting an edit that never happened",
    )
    .await;
    assert_eq!(
        stored_message(&*store, &original).await,
        Some(original.clone()),
        "a refused edit changes nothing"
    );
    assert!(versions(&*store, &original).await.is_empty());

    let edited = revise(&*store, &edit(&original, None, "two", at(1_000))).await;
    for (revision, why) in [
        (
            edit(&original, None, "lost", at(2_000)),
            "an edit read before the first edit",
        ),
        (
            edit(&original, Some(at(999)), "lost", at(2_000)),
            "an edit expecting another edit",
        ),
        (
            removal(&original, None, at(2_000)),
            "a removal read before the edit",
        ),
    ] {
        assert_conflict(&*store, &revision, why).await;
    }
    assert_eq!(
        stored_message(&*store, &original).await,
        Some(edited),
        "refused revisions leave the edited message as it was"
    );
    assert_eq!(
        versions(&*store, &original).await,
        vec![version("one", original.timestamp)],
        "refused edits keep no version"
    );
}

/// A removal sets `removed_at` and keeps the body as stored (the store never redacts);
/// after it, every revision is a conflict, whatever it expects.
pub async fn a_removal_keeps_the_text_and_ends_revisions(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let original = send(
        &*store,
        &pair.conversation,
        &pair.teacher.id,
        at(100),
        "one",
    )
    .await;
    let edited = revise(&*store, &edit(&original, None, "two", at(1_000))).await;

    let removed = revise(&*store, &removal(&original, Some(at(1_000)), at(2_000))).await;
    let expected = Message {
        removed_at: Some(at(2_000)),
        ..edited.clone()
    };
    assert_eq!(
        removed, expected,
        "a removal sets removed_at and keeps the text and edited_at as they were"
    );
    assert_eq!(
        stored_message(&*store, &original).await,
        Some(expected.clone()),
        "message answers a removed message with its text: the service redacts it"
    );

    for (revision, why) in [
        (
            edit(&original, Some(at(1_000)), "back", at(3_000)),
            "an edit of a removed message",
        ),
        (
            removal(&original, Some(at(1_000)), at(3_000)),
            "a second removal",
        ),
        (
            edit(&original, None, "back", at(3_000)),
            "a stale edit of a removed message",
        ),
    ] {
        assert_conflict(&*store, &revision, why).await;
    }
    assert_eq!(
        stored_message(&*store, &original).await,
        Some(expected),
        "refused revisions of a removed message change nothing"
    );
    assert_eq!(
        versions(&*store, &original).await,
        vec![version("one", original.timestamp)],
        "a removal adds no version"
    );
}

/// A revision of a message that does not exist answers `None` and stores nothing.
pub async fn revising_a_missing_message_answers_none(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let kept = send(
        &*store,
        &pair.conversation,
        &pair.student.id,
        at(100),
        "kept",
    )
    .await;
    let missing = Message {
        timestamp: at(50),
        ..kept.clone()
    };
    for revision in [
        edit(&missing, None, "ghost", at(1_000)),
        removal(&missing, None, at(1_000)),
    ] {
        assert_eq!(
            store.revise_message(&revision).await,
            Ok(None),
            "a revision of a missing message must answer None"
        );
    }
    assert_eq!(stored_message(&*store, &missing).await, None);
    assert!(versions(&*store, &missing).await.is_empty());
    assert_eq!(stored_message(&*store, &kept).await, Some(kept));
}
