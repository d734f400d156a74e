//! Quiet hours end to end with a clock the test moves: a message to a teacher outside
//! their office hours is stored and the sender told `quietUntil`; nothing is pushed until
//! the hours begin (across a daylight-saving change); then exactly one push, from one of
//! two nodes sharing the store — and none if the teacher read it meanwhile.

use crate::support::{Browser, Hands, PushService, node, seed_pair};
use classchat_core::hub::NullHub;
use classchat_core::notify::{PrefsPatch, Schedule};
use classchat_core::service::SendRequest;
use classchat_core::store::Store;
use classchat_core::time::Clock;
use classchat_core::user::User;
use classchat_core::{ChatService, MemoryStore};
use classchat_notify::PushNotifier;
use classchat_notify::push::VapidKeys;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

struct School {
    store: Arc<MemoryStore>,
    clock: Arc<Hands>,
    service: PushService,
    nodes: Vec<(ChatService, Arc<PushNotifier>)>,
    student: User,
    teacher: User,
}

/// A school of one student and one teacher with office hours Mon–Fri 08:00–16:00 in New
/// York and a subscribed browser, served by `nodes` nodes, at Friday 6 March 2026, 17:00
/// EST.
async fn school(nodes: usize) -> School {
    let store = Arc::new(MemoryStore::default());
    let clock = Hands::at("2026-03-06T22:00:00Z");
    let keys = VapidKeys::generate();
    let service = PushService::start(Browser::new(), keys.public_base64url()).await;
    let nodes: Vec<_> = (0..nodes)
        .map(|_| node(&store, Arc::new(NullHub), &keys, &clock, None))
        .collect();
    let admin = &nodes[0].0;
    let (student, teacher) = seed_pair(admin).await;
    let office = PrefsPatch {
        hours: Some(Some(
            Schedule::decode("America/New_York|mon,tue,wed,thu,fri 08:00-16:00").unwrap(),
        )),
        ..PrefsPatch::default()
    };
    admin
        .update_notify_settings(&teacher, office)
        .await
        .unwrap();
    store
        .put_push_subscription(&teacher.id, &service.subscription("/push/created/t1"))
        .await
        .unwrap();
    School {
        store,
        clock,
        service,
        nodes,
        student,
        teacher,
    }
}

impl School {
    async fn send(&self, node: usize, body: &str) -> classchat_core::service::Sent {
        let request = SendRequest {
            conversation_id: "s1+t1",
            author: "s1",
            message_body: body,
            client_message_id: None,
            origin: None,
            urgent: false,
        };
        self.nodes[node]
            .0
            .send(&self.student, request)
            .await
            .unwrap()
    }

    /// Lets the nodes' release jobs run a few rounds at the current time.
    async fn rounds(&self) {
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn held_until_office_hours_begin_across_dst_then_sent_once_by_one_of_two_nodes() {
    let school = school(2).await;
    let sent = school.send(0, "can you check my essay?").await;
    let quiet = sent.quiet.expect("Friday evening is outside office hours");
    // Monday 9 March 8:00 in New York is EDT (UTC−4) since Sunday's change: 12:00 UTC,
    // not the 13:00 it would have been a week earlier.
    assert_eq!(quiet.until.to_string(), "2026-03-09T12:00:00.000000Z");
    assert_eq!(quiet.hours, "Mon–Fri 08:00–16:00 (America/New_York)");
    school.send(1, "it is due on Tuesday").await;
    school.rounds().await;
    assert!(school.service.received().is_empty());

    school.clock.set("2026-03-08T12:00:00Z");
    school.rounds().await;
    assert!(
        school.service.received().is_empty(),
        "Sunday is still quiet"
    );
    school.clock.set("2026-03-09T11:59:59Z");
    school.rounds().await;
    assert!(school.service.received().is_empty(), "one second early");

    school.clock.set("2026-03-09T12:00:00Z");
    school.service.wait_for(1).await;
    school.rounds().await;
    school.clock.set("2026-03-09T15:00:00Z");
    school.rounds().await;
    let requests = school.service.requests();
    assert_eq!(requests.len(), 1, "sent once, by one node: {requests:#?}");
    let payload: Value = serde_json::from_slice(&requests[0].plaintext).unwrap();
    assert_eq!(payload["title"], "Sam Student");
    assert_eq!(payload["body"], "2 new messages");
    assert_eq!(payload["url"], "/#/c/s1%2Bt1");
    let released: u64 = school
        .nodes
        .iter()
        .map(|(_, notifier)| notifier.metrics().value("released").unwrap())
        .sum();
    assert_eq!(released, 1);
    assert!(
        school
            .store
            .due_pending(school.clock.now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn nothing_is_sent_for_what_was_read_before_the_hours_began() {
    let school = school(1).await;
    let sent = school.send(0, "see you monday").await;
    assert!(sent.quiet.is_some());
    school.rounds().await;
    let service = &school.nodes[0].0;
    service
        .mark_read(
            &school.teacher,
            "s1+t1",
            &sent.message.timestamp.to_string(),
            None,
        )
        .await
        .unwrap();
    school.clock.set("2026-03-09T12:00:01Z");
    school.rounds().await;
    assert!(school.service.received().is_empty());
    assert!(
        school
            .store
            .due_pending(school.clock.now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn inside_office_hours_the_push_goes_at_once() {
    let school = school(1).await;
    school.clock.set("2026-03-09T14:00:00Z");
    let sent = school.send(0, "quick question").await;
    assert_eq!(sent.quiet, None);
    school.service.wait_for(1).await;
    let payload: Value = serde_json::from_slice(&school.service.only_request().plaintext).unwrap();
    assert_eq!(payload["body"], "New message");
}
