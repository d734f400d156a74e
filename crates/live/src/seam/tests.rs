//! The seam over a real `ChatService` (in-memory store, the local hub): a catch-up that
//! races live messages delivers every message once, in order, and a client that falls too
//! far behind during it is closed rather than buffered.

use super::*;
use crate::{Outbound, Registry, hub::LocalHub};
use classchat_core::memory::MemoryStore;
use classchat_core::rate::Rate;
use classchat_core::service::SendRequest;
use classchat_core::store::Store;
use classchat_core::user::UserRecord;
use classchat_core::{Clock, DisplayName, Hub, Limits, Link, Message, Role, SystemClock};
use std::time::Duration;

struct School {
    service: ChatService,
    registry: Arc<Registry>,
    teacher: User,
    student: User,
}

async fn school() -> School {
    let store = Arc::new(MemoryStore::new());
    let mut users = Vec::new();
    for (id, role) in [("t1", Role::Teacher), ("s1", Role::Student)] {
        let user = User {
            id: UserId::parse(id).unwrap(),
            display_name: DisplayName::parse(id).unwrap(),
            role,
            disabled: false,
        };
        let record = UserRecord {
            user: user.clone(),
            password_hash: "not a hash".into(),
            token_version: 0,
        };
        store.create_user(&record).await.unwrap();
        users.push(user);
    }
    let link = Link {
        teacher: users[0].id.clone(),
        student: users[1].id.clone(),
    };
    store.add_link(&link).await.unwrap();
    let registry = Arc::new(Registry::default());
    let hub: Arc<dyn Hub> = Arc::new(LocalHub::new(Arc::clone(&registry)));
    let limits = Limits {
        send: Rate::UNLIMITED,
        ..Limits::default()
    };
    let service = ChatService::new(store, Arc::new(SystemClock))
        .with_hub(hub)
        .with_limits(limits);
    let student = users.pop().unwrap();
    let teacher = users.pop().unwrap();
    School {
        service,
        registry,
        teacher,
        student,
    }
}

impl School {
    async fn send(&self, count: usize) {
        for _ in 0..count {
            let request = SendRequest {
                conversation_id: "s1+t1",
                author: "s1",
                message_body: "hello",
                client_message_id: None,
                origin: None,
                urgent: false,
            };
            self.service.send(&self.student, request).await.unwrap();
        }
    }
}

/// Every message event queued so far, in order.
fn drain(outbound: &mut crate::OutboundReceiver, into: &mut Vec<Message>) {
    while let Some(item) = outbound.try_recv() {
        match item {
            Outbound::Event(event) => match event.event() {
                Event::Message(message) => into.push(message.clone()),
                other => panic!("unexpected event {other:?}"),
            },
            Outbound::Refusal(error) => panic!("refused: {error}"),
            Outbound::Text(text) => panic!("unexpected reply {text}"),
        }
    }
}

/// Runs a catch-up of the teacher's connection (a queue of `capacity`) that blocks on the
/// full queue; meanwhile the student sends `during` more messages live; then the client
/// reads everything. What the connection received, and the connection.
async fn race(
    school: &School,
    capacity: usize,
    before: usize,
    during: usize,
) -> (Vec<Message>, Arc<Connection>) {
    let mut registration = school
        .registry
        .register(&school.teacher.id, capacity, 10, Timestamp::MIN)
        .unwrap();
    let connection = Arc::clone(&registration.connection);
    let mut received = Vec::new();
    // One message arrives live before the catch-up: the replay must not send it again.
    school.send(1).await;
    drain(&mut registration.outbound, &mut received);
    assert_eq!(received.len(), 1);

    let now = SystemClock.now();
    let mut catching_up = Box::pin(catch_up(
        &school.service,
        &school.teacher,
        &connection,
        "1970-01-01T00:00:00Z",
        now,
    ));
    // The replay fills the queue (leaving room for live events) and waits for the client.
    let blocked = tokio::time::timeout(Duration::from_millis(200), &mut catching_up).await;
    assert!(
        blocked.is_err(),
        "{before} missed messages fit a queue of {capacity}"
    );
    school.send(during).await;
    loop {
        tokio::select! {
            () = &mut catching_up => break,
            item = registration.outbound.recv() => {
                if let Some(Outbound::Event(event)) = item
                    && let Event::Message(message) = event.event()
                {
                    received.push(message.clone());
                }
            }
        }
    }
    drop(catching_up);
    drain(&mut registration.outbound, &mut received);
    (received, connection)
}

#[tokio::test]
async fn a_catch_up_racing_live_messages_delivers_each_once_in_order() {
    let school = school().await;
    school.send(100).await;
    let (received, connection) = race(&school, 16, 100, 5).await;

    let mut ids: Vec<MessageId> = received.iter().map(|message| message.message_id).collect();
    assert_eq!(ids.len(), 106, "100 missed, 1 live before, 5 live during");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 106, "a message arrived twice");
    // After the one already had live: every message in the conversation's order.
    assert!(
        received[1..]
            .windows(2)
            .all(|pair| pair[0].timestamp < pair[1].timestamp),
        "out of order"
    );
    assert_eq!(connection.close_reason(), None);
    // Live delivery is direct again.
    school.send(1).await;
}

#[tokio::test]
async fn a_client_that_falls_too_far_behind_during_a_catch_up_is_closed() {
    let school = school().await;
    school.send(100).await;
    // More live messages during the replay than the queue holds.
    let (received, connection) = race(&school, 16, 100, 17).await;
    assert_eq!(connection.close_reason(), Some(CloseReason::TooSlow));
    assert!(
        received.len() <= 101,
        "the held messages were dropped, not queued"
    );
}
