//! Class announcements on DynamoDB, which writes a big one in several transactions: one
//! cut short after its first transaction completes when made again, without a second
//! copy anywhere; attempts racing on several nodes store each copy once; and within one
//! transaction, a copy whose link is gone or whose conversation has newer messages is
//! dealt with as `append_if_linked` would, without holding up the others.

use crate::fixtures::{append, create_user, message};
use classchat_core::message::NewMessage;
use classchat_core::roster::SourcedId;
use classchat_core::store::{Announced, Link, NewAnnouncement, PageRequest, Store};
use classchat_core::user::Role;
use classchat_core::{ClientMessageId, ConversationId, Message, MessageId, Timestamp, UserId};
use classchat_store_dynamodb::testing::{self, ANNOUNCEMENT_COPIES_PER_TRANSACTION};
use std::collections::HashSet;
use std::sync::Arc;

/// `micros` after 2026-01-01T00:00:00Z.
fn at(micros: i64) -> Timestamp {
    Timestamp::parse("2026-01-01T00:00:00Z")
        .unwrap()
        .plus_micros(micros)
}

/// A teacher `t`, `linked` students `s000`… linked to them, and one student `nolink`
/// who is not; the conversations in student order, the unlinked one last.
async fn class_of(store: &dyn Store, linked: usize) -> (UserId, Vec<ConversationId>) {
    let teacher = create_user(store, "t", Role::Teacher).await;
    let mut conversations = Vec::new();
    for i in 0..linked {
        let student = create_user(store, &format!("s{i:03}"), Role::Student).await;
        let conversation = ConversationId::new(student, teacher.clone());
        store.add_link(&Link::of(&conversation)).await.unwrap();
        conversations.push(conversation);
    }
    let unlinked = create_user(store, "nolink", Role::Student).await;
    conversations.push(ConversationId::new(unlinked, teacher.clone()));
    (teacher, conversations)
}

/// An announcement by `author` with clientMessageId `client_id` to `conversations`.
fn announcement(
    author: &UserId,
    client_id: &str,
    conversations: &[ConversationId],
    proposed: Timestamp,
) -> NewAnnouncement {
    let id = MessageId::generate();
    NewAnnouncement {
        id,
        class_id: SourcedId::parse("class-1").unwrap(),
        author: author.clone(),
        client_message_id: ClientMessageId::parse(client_id).unwrap(),
        messages: conversations
            .iter()
            .map(|conversation| NewMessage {
                announcement_id: Some(id),
                ..message(conversation, author, proposed, "Trip on Monday", None)
            })
            .collect(),
    }
}

/// Every message of a conversation.
async fn read_all(store: &dyn Store, conversation: &ConversationId) -> Vec<Message> {
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

/// The copies of announcement `id` in each conversation: exactly one in each linked one
/// (with `id`, after every other message there), none in the unlinked one.
async fn assert_one_copy_each(store: &dyn Store, conversations: &[ConversationId], id: MessageId) {
    let (unlinked, linked) = conversations.split_last().unwrap();
    for conversation in linked {
        let messages = read_all(store, conversation).await;
        let copies: Vec<&Message> = messages
            .iter()
            .filter(|message| message.announcement_id.is_some())
            .collect();
        assert_eq!(copies.len(), 1, "{conversation}: {messages:?}");
        assert_eq!(copies[0].announcement_id, Some(id));
        assert_eq!(messages.last(), Some(copies[0]), "{conversation}");
    }
    assert!(read_all(store, unlinked).await.is_empty());
}

/// The conversations of some copies.
fn conversations_of(messages: &[Message]) -> HashSet<ConversationId> {
    messages
        .iter()
        .map(|message| message.conversation_id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_cut_short_completes_when_made_again_without_duplicates() {
    let store = testing::fresh_store().await;
    // Three transactions of copies: the last one holds the unlinked student too.
    let linked = 2 * ANNOUNCEMENT_COPIES_PER_TRANSACTION + 5;
    let (teacher, conversations) = class_of(&store, linked).await;
    // A conversation of the first transaction and one of the last have messages newer
    // than the announcement's proposal: their copies go after them.
    let late = at(10_000);
    for index in [7, linked - 2] {
        let student = conversations[index].member().clone();
        let newer = message(&conversations[index], &student, late, "question", None);
        append(&store, &newer).await.unwrap();
    }

    let first = announcement(&teacher, "a-1", &conversations, at(1_000));
    let cut = testing::announce_in_part(&store, &first, 1).await.unwrap();
    assert_eq!(cut.id, first.id);
    assert!(cut.existing.is_empty());
    assert_eq!(cut.created.len(), ANNOUNCEMENT_COPIES_PER_TRANSACTION);
    assert_eq!(cut.created[7].timestamp, late.next());
    for conversation in &conversations[ANNOUNCEMENT_COPIES_PER_TRANSACTION..] {
        assert!(
            read_all(&store, conversation)
                .await
                .iter()
                .all(|message| message.announcement_id.is_none()),
            "{conversation} got a copy from a transaction that was not written"
        );
    }

    // Made again (the service gives it a new id): the first attempt's copies are existing,
    // the rest are created with the first attempt's id, the unlinked student skipped.
    let again = announcement(&teacher, "a-1", &conversations, at(2_000));
    let done = store.append_announcement(&again).await.unwrap();
    assert_eq!(done.id, first.id);
    let mut existing = done.existing.clone();
    let mut written = cut.created.clone();
    existing.sort_by(|a, b| a.conversation_id.cmp(&b.conversation_id));
    written.sort_by(|a, b| a.conversation_id.cmp(&b.conversation_id));
    assert_eq!(existing, written);
    assert_eq!(
        conversations_of(&done.created),
        conversations[ANNOUNCEMENT_COPIES_PER_TRANSACTION..linked]
            .iter()
            .cloned()
            .collect(),
    );
    assert!(
        done.created
            .iter()
            .all(|copy| copy.announcement_id == Some(first.id))
    );
    let bumped = done
        .created
        .iter()
        .find(|copy| copy.conversation_id == conversations[linked - 2])
        .unwrap();
    assert_eq!(bumped.timestamp, late.next());
    assert_one_copy_each(&store, &conversations, first.id).await;

    // Once more: everything exists, nothing is written.
    let third = announcement(&teacher, "a-1", &conversations, at(3_000));
    let repeated = store.append_announcement(&third).await.unwrap();
    assert!(repeated.created.is_empty());
    assert_eq!(repeated.existing.len(), linked);
    assert_one_copy_each(&store, &conversations, first.id).await;
    let active = store.active_conversations(&teacher).await.unwrap();
    assert_eq!(
        active.len(),
        linked,
        "every copy updated the teacher's summary"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_racing_on_several_nodes_store_each_copy_once() {
    const NODES: usize = 4;
    let prefix = testing::fresh_prefix();
    let mut stores: Vec<Arc<dyn Store>> = Vec::new();
    for _ in 0..NODES {
        stores.push(Arc::new(testing::store_with_prefix(&prefix).await));
    }
    let linked = ANNOUNCEMENT_COPIES_PER_TRANSACTION + 10;
    let (teacher, conversations) = class_of(&*stores[0], linked).await;

    let tasks = stores.iter().map(|store| {
        let store = Arc::clone(store);
        let request = announcement(&teacher, "race", &conversations, at(1_000));
        tokio::spawn(async move { store.append_announcement(&request).await })
    });
    let answers: Vec<Announced> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();

    let id = answers[0].id;
    let mut created = Vec::new();
    for answer in &answers {
        assert_eq!(answer.id, id, "every attempt uses the recorded id");
        let mine = conversations_of(&answer.created);
        let theirs = conversations_of(&answer.existing);
        assert!(mine.is_disjoint(&theirs));
        assert_eq!(
            mine.len() + theirs.len(),
            linked,
            "each answer covers every copy"
        );
        created.extend(answer.created.iter().cloned());
    }
    assert_eq!(
        created.len(),
        linked,
        "each copy was created by exactly one attempt"
    );
    assert_eq!(conversations_of(&created).len(), linked);
    assert_one_copy_each(&*stores[0], &conversations, id).await;
}
