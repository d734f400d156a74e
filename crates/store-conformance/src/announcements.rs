//! Class announcements: [`Store::append_announcement`] stores one copy per linked
//! conversation as `append_if_linked` would, and stores nothing twice for one
//! (author, clientMessageId).

use crate::fixtures::{Pair, Scope, at, create_user, link, linked_pair, new_message, read, send};
use classchat_core::message::NewMessage;
use classchat_core::roster::SourcedId;
use classchat_core::store::{Announced, Appended, NewAnnouncement, Store};
use classchat_core::user::Role;
use classchat_core::{ClientMessageId, ConversationId, Message, MessageId, Timestamp, UserId};
use std::sync::Arc;

/// An announcement by `author` with `client_id` to `class`, one copy per conversation,
/// all proposed at `proposed`, each with a fresh message id and the announcement's id.
fn announcement(
    author: &UserId,
    client_id: &str,
    class: &SourcedId,
    conversations: &[&ConversationId],
    proposed: Timestamp,
) -> NewAnnouncement {
    let id = MessageId::generate();
    let messages = conversations
        .iter()
        .map(|conversation| NewMessage {
            announcement_id: Some(id),
            ..new_message(conversation, author, proposed, "Test on Friday", None)
        })
        .collect();
    NewAnnouncement {
        id,
        class_id: class.clone(),
        author: author.clone(),
        client_message_id: ClientMessageId::parse(client_id).expect("test client ids are valid"),
        messages,
    }
}

/// `append_announcement`, which must not fail; its copies sorted by conversation, since
/// the port states no order.
async fn announce(store: &dyn Store, announcement: &NewAnnouncement) -> Announced {
    let mut announced = store
        .append_announcement(announcement)
        .await
        .unwrap_or_else(|error| {
            panic!(
                "append_announcement({}) failed: {error}",
                announcement.client_message_id.as_str()
            )
        });
    sort(&mut announced.created);
    sort(&mut announced.existing);
    announced
}

/// Sorts copies by conversation (then timestamp).
fn sort(messages: &mut [Message]) {
    messages
        .sort_by(|a, b| (&a.conversation_id, a.timestamp).cmp(&(&b.conversation_id, b.timestamp)));
}

/// The copy of `announcement` in `conversation`, stored at `timestamp` with the
/// announcement id `id`.
fn copy(
    announcement: &NewAnnouncement,
    conversation: &ConversationId,
    id: MessageId,
    timestamp: Timestamp,
) -> Message {
    let new = announcement
        .messages
        .iter()
        .find(|new| &new.conversation_id == conversation)
        .expect("the announcement has a copy for this conversation");
    Message {
        announcement_id: Some(id),
        ..new.stored_at(timestamp)
    }
}

/// Every message of a conversation (the checks keep them under a page).
async fn messages(store: &dyn Store, conversation: &ConversationId) -> Vec<Message> {
    read(store, conversation, None, None, 50).await.messages
}

/// A linked pair's conversation for a teacher made already: a student `s-<tag>` linked
/// to `teacher`.
async fn student_of(store: &dyn Store, scope: &Scope, teacher: &Pair, tag: &str) -> ConversationId {
    let student = create_user(
        store,
        &scope.id(&format!("s-{tag}")),
        &format!("Student {tag}"),
        Role::Student,
    )
    .await;
    link(store, &teacher.teacher, &student).await;
    ConversationId::new(student.id, teacher.teacher.id.clone())
}

/// `append_announcement` stores a copy in each linked conversation, exactly as
/// `append_if_linked` stores a message: at the proposed timestamp or just after the
/// conversation's newest message, with both summaries updated (the student has it unread,
/// the teacher not). Every copy carries the announcement's id, also as `read_messages`
/// reads it back. A conversation whose link is gone gets nothing; nothing existed before.
pub async fn append_announcement_stores_a_copy_per_linked_conversation(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let first = linked_pair(&*store, &scope, "1").await;
    let second = student_of(&*store, &scope, &first, "2").await;
    let unlinked_student = create_user(&*store, &scope.id("s-3"), "Student 3", Role::Student).await;
    let unlinked = ConversationId::new(unlinked_student.id, first.teacher.id.clone());
    let teacher = &first.teacher.id;
    // The second conversation has a message newer than the announcement's proposal.
    let earlier = send(&*store, &second, second.member(), at(5_000), "question").await;

    let class = scope.sourced_id("c");
    let conversations = [&first.conversation, &second, &unlinked];
    let request = announcement(teacher, "a-1", &class, &conversations, at(1_000));
    let announced = announce(&*store, &request).await;
    let expected = vec![
        copy(&request, &first.conversation, request.id, at(1_000)),
        copy(&request, &second, request.id, at(5_000).next()),
    ];
    let mut sorted_expected = expected.clone();
    sort(&mut sorted_expected);
    assert_eq!(
        announced,
        Announced {
            id: request.id,
            class_id: class,
            created: sorted_expected,
            existing: Vec::new(),
        },
        "append_announcement must store one copy per linked conversation (at the proposed \
         timestamp, or just after the newest message), each with the announcement's id, and \
         skip a conversation without a link"
    );

    assert_eq!(
        messages(&*store, &first.conversation).await,
        vec![expected[0].clone()],
        "read_messages must read a copy back with its announcement_id"
    );
    assert_eq!(
        messages(&*store, &second).await,
        vec![earlier, expected[1].clone()],
        "a copy goes after the conversation's newest message"
    );
    assert!(
        messages(&*store, &unlinked).await.is_empty(),
        "a conversation without a link must get no copy"
    );

    // The summaries, as a message updates them (a summary need not keep the id).
    let plain = |message: &Message| Message {
        announcement_id: None,
        ..message.clone()
    };
    for (conversation, copy, teacher_unread) in [
        (&first.conversation, &expected[0], 0),
        (&second, &expected[1], 1),
    ] {
        let student = conversation.member();
        for (user, unread) in [(student, 1), (teacher, teacher_unread)] {
            let contacts = store
                .active_conversations(user)
                .await
                .expect("active_conversations failed");
            let contact = contacts
                .iter()
                .find(|contact| &contact.conversation_id == conversation)
                .unwrap_or_else(|| panic!("{user} must list {conversation} as active"));
            assert_eq!(
                contact.last_message.as_ref().map(plain),
                Some(plain(copy)),
                "the copy must be the last message of {conversation} for {user}"
            );
            assert_eq!(
                contact.unread_count, unread,
                "{user}'s unread count in {conversation} after the announcement"
            );
        }
    }
}

/// Making an announcement again with the same (author, clientMessageId) stores nothing
/// twice: the answer has the first attempt's id and class and its copies as existing.
/// A retry whose request has one more conversation stores only that copy, stamped with
/// the first attempt's id; one naming another class than the first stores nothing.
pub async fn retrying_an_announcement_stores_nothing_twice(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let first = linked_pair(&*store, &scope, "1").await;
    let second = student_of(&*store, &scope, &first, "2").await;
    let teacher = &first.teacher.id;
    let class = scope.sourced_id("c");
    let conversations = [&first.conversation, &second];
    let request = announcement(teacher, "a-1", &class, &conversations, at(1_000));
    let original = announce(&*store, &request).await;
    assert_eq!(
        original.created.len(),
        2,
        "the first attempt stores both copies"
    );

    let retry = announcement(teacher, "a-1", &class, &conversations, at(2_000));
    assert_eq!(
        announce(&*store, &retry).await,
        Announced {
            id: request.id,
            class_id: class.clone(),
            created: Vec::new(),
            existing: original.created.clone(),
        },
        "a retry with the same clientMessageId must store nothing and answer with the first \
         attempt's id, class and copies"
    );
    for stored in &original.created {
        let conversation = &stored.conversation_id;
        assert_eq!(
            messages(&*store, conversation).await,
            vec![stored.clone()],
            "a retry must not store a second copy in {conversation}"
        );
    }

    // One more student since: a retry naming another class stores nothing (the service
    // refuses it), one naming the first class stores only the new copy.
    let third = student_of(&*store, &scope, &first, "3").await;
    let wider = [&first.conversation, &second, &third];
    let other_class = scope.sourced_id("c-other");
    let elsewhere = announcement(teacher, "a-1", &other_class, &wider, at(3_000));
    assert_eq!(
        announce(&*store, &elsewhere).await,
        Announced {
            id: request.id,
            class_id: class.clone(),
            created: Vec::new(),
            existing: original.created.clone(),
        },
        "a retry naming another class than the first attempt must store nothing and answer \
         with the first attempt's id, class and copies"
    );
    assert!(
        messages(&*store, &third).await.is_empty(),
        "a retry naming another class must not store a copy in a new conversation"
    );
    let retry = announcement(teacher, "a-1", &class, &wider, at(4_000));
    assert_eq!(
        announce(&*store, &retry).await,
        Announced {
            id: request.id,
            class_id: class,
            created: vec![copy(&retry, &third, request.id, at(4_000))],
            existing: original.created,
        },
        "a retry with one more conversation must store only that copy, with the first \
         attempt's id"
    );
    assert_eq!(
        messages(&*store, &third).await.len(),
        1,
        "the new conversation gets exactly one copy"
    );
}

/// Announcements with other clientMessageIds, or by another author with the same one,
/// are separate announcements; and an announcement's clientMessageId is separate from the
/// clientMessageIds of single messages.
pub async fn announcements_with_other_client_ids_are_separate(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "1").await;
    let other_teacher = create_user(&*store, &scope.id("t-2"), "Teacher 2", Role::Teacher).await;
    link(&*store, &other_teacher, &pair.student).await;
    let other = ConversationId::new(pair.student.id.clone(), other_teacher.id.clone());
    let teacher = &pair.teacher.id;
    let class = scope.sourced_id("c");
    let conversation = &pair.conversation;

    let single = new_message(conversation, teacher, at(500), "single", Some("x"));
    let single = match store.append_if_linked(&single).await {
        Ok(Some(Appended::Created(message))) => message,
        other => panic!("a single message must be stored, got {other:?}"),
    };
    let a1 = announcement(teacher, "x", &class, &[conversation], at(1_000));
    let first = announce(&*store, &a1).await;
    assert_eq!(
        (first.id, first.created.len(), first.existing.len()),
        (a1.id, 1, 0),
        "an announcement must not be taken for a single message with its clientMessageId"
    );
    let a2 = announcement(teacher, "y", &class, &[conversation], at(2_000));
    let second = announce(&*store, &a2).await;
    assert_eq!(
        second.created,
        vec![copy(&a2, conversation, a2.id, at(2_000))],
        "an announcement with another clientMessageId must be stored as a new one"
    );
    assert!(second.existing.is_empty());
    let a3 = announcement(&other_teacher.id, "x", &class, &[&other], at(3_000));
    let third = announce(&*store, &a3).await;
    assert_eq!(
        (third.id, third.created.len(), third.existing.len()),
        (a3.id, 1, 0),
        "clientMessageIds of announcements are scoped per author"
    );

    let expected = vec![single, first.created[0].clone(), second.created[0].clone()];
    assert_eq!(
        messages(&*store, conversation).await,
        expected,
        "each announcement has its own copy, with its own id, beside the single message"
    );
    let retry = new_message(conversation, teacher, at(4_000), "single again", Some("y"));
    assert!(
        matches!(
            store.append_if_linked(&retry).await,
            Ok(Some(Appended::Created(_)))
        ),
        "a single message must not be taken for an announcement with its clientMessageId"
    );
}
