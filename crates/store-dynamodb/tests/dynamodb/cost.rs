//! What each operation costs in DynamoDB: requests by operation type and capacity units,
//! counted by the store's request meter (`classchat_store_dynamodb::metering`) in a small
//! school — a teacher, a student linked to them, 100 messages of 200 bytes between them.
//! Two tables, checked in below: the store's own calls, and the same operations as the
//! service makes them (what a REST request or a socket frame costs, its extra reads
//! included). A change that adds a request, or capacity, to an operation fails here: if
//! it is meant, update the table (the test prints the new one) and BENCHMARKS.md.
//!
//! Capacity is the meter's model of AWS's rules (reads in 4 KB units, halved when
//! eventually consistent; writes in 1 KB units, doubled in a transaction), from item
//! sizes that are the same on every run: fixed-length ids, bodies and timestamps.

use crate::fixtures::{append, linked_conversation, message};
use classchat_core::service::{PageQuery, SendRequest};
use classchat_core::store::{Appended, PageRequest, Side, Store};
use classchat_core::{ChatService, Clock, ConversationId, Message, Timestamp, User, UserId};
use classchat_store_dynamodb::metering::RequestMeter;
use classchat_store_dynamodb::testing;
use classchat_store_dynamodb::testing::costs::{Cost, check, cost, measure};
use std::sync::Arc;

/// The store's calls. Sends check the link (and, for the student's, that the
/// conversation is not paused) inside their one transaction.
#[rustfmt::skip]
const STORE_COSTS: &[Cost] = &[
    cost("sync 100 messages (conversations_since + read_messages)", "Query×2", 11.0, 0),
    cost("append_if_linked student→teacher", "TransactWriteItems×1", 0.0, 12),
    cost("append_if_linked teacher→student", "TransactWriteItems×1", 0.0, 10),
    cost("read_messages (50 newest)", "Query×1", 5.0, 0),
    cost("active_conversations (teacher's get_chats)", "BatchGetItem×1 Query×1", 2.0, 0),
    cost("linked_contacts (student's teachers)", "BatchGetItem×1 Query×1", 2.0, 0),
    cost("mark_read (moves)", "GetItem×1 Query×1 UpdateItem×1", 2.0, 1),
    cost("mark_read (already there)", "GetItem×1", 1.0, 0),
    cost("list_links + family_links (teacher's presence peers)", "Query×2", 2.0, 0),
];

/// The same through `ChatService`, caches warm (the school's settings and the teacher's
/// notification hours are read once per 30 s per node, not per message).
#[rustfmt::skip]
const SERVICE_COSTS: &[Cost] = &[
    cost("sync 100 messages (teacher)", "Query×2", 11.0, 0),
    cost("authenticate (every REST request / Lambda frame)", "GetItem×1", 1.0, 0),
    cost("send student→teacher", "TransactWriteItems×1", 0.0, 12),
    cost("send teacher→student", "TransactWriteItems×1", 0.0, 10),
    cost("read a page (REST, 50 newest)", "GetItem×3 Query×1", 8.0, 0),
    cost("get_chats (teacher)", "BatchGetItem×1 Query×1", 2.0, 0),
    cost("contact list (student)", "BatchGetItem×1 Query×1", 2.0, 0),
    cost("mark_read (teacher, to the newest)", "GetItem×2 Query×1 UpdateItem×1", 3.0, 1),
];

/// Messages seeded, and synced by the sync rows.
const SEEDED: usize = 100;
/// Bytes of each message body.
const BODY_BYTES: usize = 200;

/// A body of [`BODY_BYTES`] ASCII bytes, numbered.
fn body(number: usize) -> String {
    let head = format!("message {number:04} ");
    format!("{head}{}", "x".repeat(BODY_BYTES - head.len()))
}

/// A clientMessageId as the web client makes them: `web-` and 32 hex digits.
fn client_id(number: usize) -> String {
    format!("web-{number:032x}")
}

fn at(raw: &str) -> Timestamp {
    Timestamp::parse(raw).unwrap()
}

/// The school: a student and a teacher, linked, with [`SEEDED`] messages from the
/// student, one a second from 08:00.
struct School {
    conversation: ConversationId,
    student: UserId,
    teacher: UserId,
    seeded: Vec<Message>,
}

impl School {
    async fn seed(store: &dyn Store) -> Self {
        let conversation = linked_conversation(store, "student-0001", "teacher-0001").await;
        let (student, teacher) = (
            conversation.member().clone(),
            conversation.teacher().clone(),
        );
        let start = at("2026-03-02T08:00:00Z").as_micros();
        let mut seeded = Vec::new();
        for i in 0..SEEDED {
            let proposed = Timestamp::from_micros(start + i as i64 * 1_000_000).unwrap();
            let cmid = client_id(i);
            let new = message(&conversation, &student, proposed, &body(i), Some(&cmid));
            match append(store, &new).await.unwrap() {
                Appended::Created(message) => seeded.push(message),
                other => panic!("nothing to deduplicate: {other:?}"),
            }
        }
        Self {
            conversation,
            student,
            teacher,
            seeded,
        }
    }

    /// Just before the first seeded message: a sync from here returns all of them.
    fn before_all(&self) -> Timestamp {
        Timestamp::from_micros(self.seeded[0].timestamp.as_micros() - 1).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_store_operation_costs_what_the_table_says() {
    let meter = RequestMeter::new();
    let store = testing::fresh_store().await.with_meter(&meter);
    let school = School::seed(&store).await;
    let (student, teacher) = (&school.student, &school.teacher);
    let conversation = &school.conversation;
    let mut measured = Vec::new();

    let since = school.before_all();
    let (synced, usage) = measure(&meter, async {
        let mut synced = Vec::new();
        for conversation in store.conversations_since(teacher, since).await.unwrap() {
            let page = PageRequest {
                before: None,
                after: Some(since),
                limit: SEEDED,
            };
            let page = store.read_messages(&conversation, &page).await.unwrap();
            synced.extend(page.messages);
        }
        synced
    })
    .await;
    assert_eq!(synced, school.seeded);
    measured.push((STORE_COSTS[0].operation, usage));

    let now = at("2026-03-02T09:00:00Z");
    let mut last = now;
    for (row, author) in [(1, student), (2, teacher)] {
        let cmid = client_id(1000 + row);
        let new = message(conversation, author, now, &body(1000 + row), Some(&cmid));
        let (appended, usage) = measure(&meter, store.append_if_linked(&new)).await;
        match appended.unwrap() {
            Some(Appended::Created(message)) => last = message.timestamp,
            other => panic!("linked: appended, not {other:?}"),
        }
        measured.push((STORE_COSTS[row].operation, usage));
    }

    let newest = PageRequest {
        before: None,
        after: None,
        limit: 50,
    };
    let (page, usage) = measure(&meter, store.read_messages(conversation, &newest)).await;
    assert_eq!(page.unwrap().messages.len(), 50);
    measured.push((STORE_COSTS[3].operation, usage));

    let (chats, usage) = measure(&meter, store.active_conversations(teacher)).await;
    assert_eq!(chats.unwrap().len(), 1);
    measured.push((STORE_COSTS[4].operation, usage));

    let (contacts, usage) = measure(&meter, store.linked_contacts(student, Side::Student)).await;
    assert_eq!(contacts.unwrap().len(), 1);
    measured.push((STORE_COSTS[5].operation, usage));

    for (row, moved) in [(6, true), (7, false)] {
        let (marked, usage) = measure(&meter, store.mark_read(teacher, conversation, last)).await;
        assert_eq!(marked.unwrap().map(|marked| marked.moved), Some(moved));
        measured.push((STORE_COSTS[row].operation, usage));
    }

    // Who hears that the teacher came online or went away (on connect and disconnect).
    let (peers, usage) = measure(&meter, async {
        let links = store.list_links(Some(teacher)).await.unwrap();
        let family = store.family_links(teacher).await.unwrap();
        links.len() + family.len()
    })
    .await;
    assert_eq!(peers, 1);
    measured.push((STORE_COSTS[8].operation, usage));

    check("Store calls", &measured, STORE_COSTS);
}

/// A clock that stands still, so the service's caches of settings stay warm whatever
/// the emulator's speed.
struct Frozen(Timestamp);

impl Clock for Frozen {
    fn now(&self) -> Timestamp {
        self.0
    }
}

async fn user(store: &dyn Store, id: &UserId) -> User {
    store.get_user(id).await.unwrap().unwrap().user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_service_operation_costs_what_the_table_says() {
    let meter = RequestMeter::new();
    let store = Arc::new(testing::fresh_store().await.with_meter(&meter));
    let school = School::seed(store.as_ref()).await;
    let (student, teacher) = (
        user(store.as_ref(), &school.student).await,
        user(store.as_ref(), &school.teacher).await,
    );
    let conversation = school.conversation.to_string();
    let service = ChatService::new(
        Arc::clone(&store) as Arc<dyn Store>,
        Arc::new(Frozen(at("2026-03-02T09:00:00Z"))),
    );
    let mut measured = Vec::new();

    let since = school.before_all().to_string();
    let (synced, usage) = measure(&meter, async {
        let mut replay = service.replay(&teacher, &since).await.unwrap();
        let mut synced = Vec::new();
        // The socket transports' batch (classchat-live's REPLAY_BATCH).
        while let Some(batch) = replay.next_batch(64).await.unwrap() {
            synced.extend(batch);
        }
        synced
    })
    .await;
    assert_eq!(synced, school.seeded);
    measured.push((SERVICE_COSTS[0].operation, usage));

    let (authenticated, usage) =
        measure(&meter, service.authenticate(teacher.id.as_str(), 0)).await;
    assert_eq!(authenticated.unwrap(), teacher);
    measured.push((SERVICE_COSTS[1].operation, usage));

    let send = |caller: &User, number: usize| {
        let (body, cmid) = (body(number), client_id(number));
        let caller = caller.clone();
        let (service, conversation) = (&service, &conversation);
        async move {
            let request = SendRequest {
                conversation_id: conversation,
                author: caller.id.as_str(),
                message_body: &body,
                client_message_id: Some(&cmid),
                origin: None,
                urgent: false,
            };
            service.send(&caller, request).await.unwrap()
        }
    };
    // Warm the caches a send reads through (settings, the recipient's hours).
    send(&student, 2000).await;
    send(&teacher, 2001).await;
    for (row, caller, number) in [(2, &student, 2002), (3, &teacher, 2003)] {
        let (sent, usage) = measure(&meter, send(caller, number)).await;
        assert!(sent.created);
        measured.push((SERVICE_COSTS[row].operation, usage));
    }

    let newest = PageQuery {
        limit: None,
        before: None,
        after: None,
    };
    let (page, usage) = measure(&meter, service.read_page(&student, &conversation, newest)).await;
    assert_eq!(page.unwrap().page.messages.len(), 50);
    measured.push((SERVICE_COSTS[4].operation, usage));

    let (chats, usage) = measure(&meter, service.list_chats(&teacher, None)).await;
    assert_eq!(chats.unwrap().len(), 1);
    measured.push((SERVICE_COSTS[5].operation, usage));

    let (teachers, usage) = measure(&meter, service.list_teachers(&student, None)).await;
    assert_eq!(teachers.unwrap().len(), 1);
    measured.push((SERVICE_COSTS[6].operation, usage));

    let newest = store.read_messages(
        &school.conversation,
        &PageRequest {
            before: None,
            after: None,
            limit: 1,
        },
    );
    let newest = newest.await.unwrap().messages[0].timestamp.to_string();
    let (marked, usage) = measure(
        &meter,
        service.mark_read(&teacher, &conversation, &newest, None),
    )
    .await;
    assert!(marked.unwrap().is_some(), "the marker moved");
    measured.push((SERVICE_COSTS[7].operation, usage));

    check("Through ChatService", &measured, SERVICE_COSTS);
}
