//! Deleting a conversation for retention: [`Store::delete_conversation`], in steps of at
//! most `batch` messages, oldest first, each step taking what is kept for its messages
//! (earlier versions, clientMessageId records) with them; the last step deletes the pause
//! and the summaries. Nothing newer than `up_to` goes, nor any other conversation, report
//! or audit entry.
//!
//! What a deletion must spare (newer messages, other conversations, reports, the audit
//! log) is checked in `spared`.

mod spared;

pub use spared::{
    delete_conversation_keeps_what_came_after_up_to,
    delete_conversation_leaves_other_conversations_reports_and_audit_alone,
};

use super::{edit, revise};
use crate::fixtures::{Pair, Scope, at, linked_pair, new_message, read};
use classchat_core::message::NewMessage;
use classchat_core::store::{Appended, Contact, Deletion, MessageVersion, Pause, Side, Store};
use classchat_core::user::Role;
use classchat_core::{ConversationId, Message, Timestamp, UserId};
use std::sync::Arc;

/// [`Store::delete_conversation`], which must not fail.
async fn delete(
    store: &dyn Store,
    conversation: &ConversationId,
    up_to: Timestamp,
    batch: usize,
) -> Deletion {
    store
        .delete_conversation(conversation, up_to, batch)
        .await
        .unwrap_or_else(|error| {
            panic!("delete_conversation({conversation}, {up_to}, {batch}) failed: {error}")
        })
}

/// [`Store::append_if_linked`] of a linked conversation, which must not fail.
async fn append(store: &dyn Store, new: &NewMessage) -> Appended {
    match store.append_if_linked(new).await {
        Ok(Some(appended)) => appended,
        other => panic!(
            "append_if_linked({:?}) must append, got {other:?}",
            new.body
        ),
    }
}

/// Appends a message that must be new, with a clientMessageId when given.
async fn send(
    store: &dyn Store,
    conversation: &ConversationId,
    author: &UserId,
    micros: i64,
    client_id: Option<&str>,
) -> Message {
    let body = format!("message at {micros}");
    let new = new_message(conversation, author, at(micros), &body, client_id);
    match append(store, &new).await {
        Appended::Created(message) => message,
        other => panic!("{body:?} must be a new message, got {other:?}"),
    }
}

/// [`Store::message_versions`] of `message`, which must not fail.
async fn versions(store: &dyn Store, message: &Message) -> Vec<MessageVersion> {
    store
        .message_versions(&message.conversation_id, message.timestamp)
        .await
        .unwrap_or_else(|error| panic!("message_versions({}) failed: {error}", message.timestamp))
}

/// [`Store::pause`], which must not fail.
async fn pause(store: &dyn Store, conversation: &ConversationId) -> Option<Pause> {
    store
        .pause(conversation)
        .await
        .unwrap_or_else(|error| panic!("pause({conversation}) failed: {error}"))
}

/// Every message of a conversation (the checks keep them under a page), oldest first.
async fn everything(store: &dyn Store, conversation: &ConversationId) -> Vec<Message> {
    read(store, conversation, None, None, 200).await.messages
}

/// [`Store::active_conversations`], which must not fail.
async fn active(store: &dyn Store, user: &UserId) -> Vec<Contact> {
    store
        .active_conversations(user)
        .await
        .unwrap_or_else(|error| panic!("active_conversations({user}) failed: {error}"))
}

/// A conversation of seven messages, as the checks of a whole deletion need it.
struct Seven {
    /// Its student and teacher.
    pair: Pair,
    /// The messages as stored now, oldest first: the student wrote the even ones, the
    /// teacher the odd ones; 0, 3 and 6 carry the clientMessageIds `keep-0`, `keep-3` and
    /// `keep-6`; 2 and 5, each the newest of a batch of three, were edited (each has one
    /// earlier version).
    messages: Vec<Message>,
}

/// Seven messages between a linked pair, two of them edited, the conversation paused by
/// its teacher, and the student's read marker on the second message.
async fn seven_messages(store: &dyn Store, scope: &Scope) -> Seven {
    let pair = linked_pair(store, scope, "a").await;
    let mut messages = Vec::new();
    for index in 0..7_i64 {
        let author = if index % 2 == 0 {
            &pair.student.id
        } else {
            &pair.teacher.id
        };
        let client_id = (index % 3 == 0).then(|| format!("keep-{index}"));
        let message = send(
            store,
            &pair.conversation,
            author,
            (index + 1) * 100,
            client_id.as_deref(),
        )
        .await;
        messages.push(message);
    }
    for (index, micros) in [(2, 2_000), (5, 3_000)] {
        let revision = edit(&messages[index], None, "said again", at(micros));
        messages[index] = revise(store, &revision).await;
        assert_eq!(versions(store, &messages[index]).await.len(), 1);
    }
    let paused = Pause {
        by: pair.teacher.id.clone(),
        by_role: Role::Teacher,
        at: at(5_000),
        reason: None,
    };
    let set = store
        .set_pause(&pair.conversation, None, Some(&paused))
        .await
        .unwrap_or_else(|error| panic!("set_pause failed: {error}"));
    assert!(
        set,
        "pausing a conversation that is not paused must be written"
    );
    store
        .mark_read(&pair.student.id, &pair.conversation, messages[1].timestamp)
        .await
        .unwrap_or_else(|error| panic!("mark_read failed: {error}"));
    Seven { pair, messages }
}

/// Seven messages deleted up to the newest, three at a time: the three oldest, then the
/// next three, then the last one and `finished`. Each step takes the earlier versions of
/// exactly the messages it deletes, and the pause stays until the last. Once finished,
/// another call deletes nothing and answers `finished` again.
pub async fn delete_conversation_deletes_the_oldest_messages_in_batches_until_finished(
    store: Arc<dyn Store>,
) {
    let scope = Scope::new();
    let Seven { pair, messages } = seven_messages(&*store, &scope).await;
    let conversation = &pair.conversation;
    let last = messages[6].timestamp;

    assert_eq!(
        delete(&*store, conversation, last, 3).await,
        Deletion {
            messages: 3,
            finished: false
        },
        "the first step deletes three messages and leaves four at or before up_to"
    );
    assert_eq!(
        everything(&*store, conversation).await,
        messages[3..],
        "the three oldest messages go first; the others stay exactly as they were"
    );
    assert!(
        versions(&*store, &messages[2]).await.is_empty(),
        "an edited message's versions go with it, in the same step"
    );
    assert_eq!(
        versions(&*store, &messages[5]).await.len(),
        1,
        "a message not deleted yet keeps its versions"
    );
    assert!(
        pause(&*store, conversation).await.is_some(),
        "the pause stays until the last message is deleted"
    );

    assert_eq!(
        delete(&*store, conversation, last, 3).await,
        Deletion {
            messages: 3,
            finished: false
        },
        "the second step deletes three more and leaves one"
    );
    assert_eq!(everything(&*store, conversation).await, messages[6..]);
    assert!(versions(&*store, &messages[5]).await.is_empty());
    assert!(pause(&*store, conversation).await.is_some());

    assert_eq!(
        delete(&*store, conversation, last, 3).await,
        Deletion {
            messages: 1,
            finished: true
        },
        "the last step deletes the one message left and finishes"
    );
    assert!(everything(&*store, conversation).await.is_empty());
    assert_eq!(
        delete(&*store, conversation, last, 3).await,
        Deletion {
            messages: 0,
            finished: true
        },
        "deleting a deleted conversation again deletes nothing and answers finished"
    );
}

/// Once a conversation is deleted, nothing of it is left: no message, version or pause;
/// neither participant lists it as active, their contact lists show the linked peer with
/// no last message and nothing unread, and their read markers are gone. The
/// clientMessageIds it used are free again: sending with one stores a new message.
pub async fn a_deleted_conversation_leaves_no_messages_summaries_pause_or_client_ids(
    store: Arc<dyn Store>,
) {
    let scope = Scope::new();
    let Seven { pair, messages } = seven_messages(&*store, &scope).await;
    let conversation = &pair.conversation;
    let unread = store
        .unread_count(&pair.student.id, conversation)
        .await
        .expect("unread_count");
    assert_eq!(unread, 2, "the check's student has two unread messages");

    let mut deleted = 0;
    let mut finished = false;
    for _ in 0..7 {
        let step = delete(&*store, conversation, messages[6].timestamp, 3).await;
        deleted += step.messages;
        if step.finished {
            finished = true;
            break;
        }
    }
    assert!(finished, "deleting seven messages three at a time finishes");
    assert_eq!(deleted, 7, "every message is deleted, once");

    assert!(everything(&*store, conversation).await.is_empty());
    assert!(
        !store
            .has_messages(conversation)
            .await
            .expect("has_messages"),
        "a deleted conversation has no messages"
    );
    for message in &messages {
        assert_eq!(
            store
                .message(conversation, message.timestamp)
                .await
                .expect("message"),
            None,
            "message at {} must be gone",
            message.timestamp
        );
        assert!(versions(&*store, message).await.is_empty());
    }
    assert_eq!(
        pause(&*store, conversation).await,
        None,
        "the pause goes with the conversation"
    );

    for (user, side, peer) in [
        (&pair.student.id, Side::Student, &pair.teacher),
        (&pair.teacher.id, Side::Teacher, &pair.student),
    ] {
        assert!(
            !active(&*store, user)
                .await
                .iter()
                .any(|contact| &contact.conversation_id == conversation),
            "{user} must no longer list the conversation as active"
        );
        let since = store
            .conversations_since(user, Timestamp::MIN)
            .await
            .expect("conversations_since");
        assert!(
            !since.contains(conversation),
            "{user} has nothing to catch up on in a deleted conversation"
        );
        let contacts = store
            .linked_contacts(user, side)
            .await
            .expect("linked_contacts");
        let line = contacts
            .iter()
            .find(|contact| &contact.conversation_id == conversation)
            .unwrap_or_else(|| panic!("{user} is still linked to {}", peer.id));
        assert_eq!(&line.peer, peer);
        assert_eq!(
            (&line.last_message, line.unread_count),
            (&None, 0),
            "{user}'s contact line shows no last message and nothing unread"
        );
        assert_eq!(
            store
                .unread_count(user, conversation)
                .await
                .expect("unread_count"),
            0
        );
        assert_eq!(
            store
                .read_marker(user, conversation)
                .await
                .expect("read_marker"),
            None,
            "a conversation without messages has no read marker"
        );
    }

    // The student is no longer paused out, and their clientMessageId names nothing now.
    for (index, micros) in [(0, 10_000), (3, 11_000)] {
        let used = &messages[index];
        let client_id = used.client_message_id.as_ref().expect("a clientMessageId");
        let again = new_message(
            conversation,
            &used.author,
            at(micros),
            "a new start",
            Some(client_id.as_str()),
        );
        match append(&*store, &again).await {
            Appended::Created(message) => assert_eq!(
                message.message_id, again.message_id,
                "the send with a deleted message's clientMessageId stores the new message"
            ),
            other => panic!(
                "a deleted message's clientMessageId must not answer it; the send must \
                 create a new message, got {other:?}"
            ),
        }
    }
    assert_eq!(everything(&*store, conversation).await.len(), 2);
}
