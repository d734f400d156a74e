//! Email digests end to end, with a clock the test moves and the SMTP sink the test
//! script starts: one email for a batch of unread messages after 15 minutes, none for
//! someone online, whom a push reached or who read them, at most one an hour, once across two nodes,
//! and an unsubscribe link that names its user.

use crate::support::{Browser, Hands, PushService, node, seed_pair};
use async_trait::async_trait;
use classchat_core::UserId;
use classchat_core::hub::{Delivery, Event, Hub, NullHub};
use classchat_core::notify::email::verify_unsubscribe_token;
use classchat_core::notify::{EmailAddress, PrefsPatch};
use classchat_core::service::SendRequest;
use classchat_core::store::Store;
use classchat_core::time::Clock;
use classchat_core::user::User;
use classchat_core::{ChatService, MemoryStore};
use classchat_notify::DigestConfig;
use classchat_notify::mail::{MailConfig, Mailer};
use classchat_notify::push::VapidKeys;
use classchat_notify::testing::SmtpSink;
use std::sync::Arc;
use std::time::Duration;

const SECRET: &[u8] = b"the server's secret, which signs unsubscribe links";

struct School {
    clock: Arc<Hands>,
    sink: SmtpSink,
    nodes: Vec<ChatService>,
    store: Arc<MemoryStore>,
    student: User,
    teacher: User,
    /// The teacher's address, unique to this test (the sink is shared).
    email: String,
}

/// A student and a teacher (with an email address, and a browser subscribed at
/// `push_path` if any) served by `nodes` nodes, on Wednesday 2 December 2026 at 10:00 UTC.
async fn school(nodes: usize, push_path: Option<&str>) -> School {
    school_on(nodes, push_path, Arc::new(NullHub)).await
}

/// The same school, whose nodes learn who is online from `hub`.
async fn school_on(nodes: usize, push_path: Option<&str>, hub: Arc<dyn Hub>) -> School {
    let store = Arc::new(MemoryStore::default());
    let clock = Hands::at("2026-12-02T10:00:00Z");
    let sink = SmtpSink::from_env();
    let mailer = Mailer::new(&MailConfig {
        smtp_url: sink.url(),
        from: "classchat <noreply@school.example>".into(),
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let keys = VapidKeys::generate();
    let service = PushService::start(Browser::new(), keys.public_base64url()).await;
    let digests = DigestConfig {
        mailer,
        after: Duration::from_secs(15 * 60),
        app_url: "http://classchat.test/".into(),
        secret: SECRET.to_vec(),
    };
    let nodes: Vec<_> = (0..nodes)
        .map(|_| {
            node(
                &store,
                Arc::clone(&hub),
                &keys,
                &clock,
                Some(digests.clone()),
            )
            .0
        })
        .collect();
    let admin = &nodes[0];
    let (student, teacher) = seed_pair(admin).await;
    let email = format!("t1-{}@school.example", ulid::Ulid::new()).to_lowercase();
    let patch = PrefsPatch {
        email: Some(Some(EmailAddress::parse(&email).unwrap())),
        ..PrefsPatch::default()
    };
    admin.update_notify_settings(&teacher, patch).await.unwrap();
    if let Some(path) = push_path {
        store
            .put_push_subscription(&teacher.id, &service.subscription(path))
            .await
            .unwrap();
    }
    // (The push service keeps answering after `service` is dropped: its task holds it.)
    School {
        clock,
        sink,
        nodes,
        store,
        student,
        teacher,
        email,
    }
}

impl School {
    async fn send(&self, node: usize, body: &str) {
        let request = SendRequest {
            conversation_id: "s1+t1",
            author: "s1",
            message_body: body,
            client_message_id: None,
            origin: None,
            urgent: false,
        };
        self.nodes[node].send(&self.student, request).await.unwrap();
    }

    /// Lets the release jobs run a few rounds at the current time.
    async fn rounds(&self) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    fn mails(&self) -> usize {
        self.sink.received(&self.email).len()
    }
}

#[tokio::test]
async fn one_digest_for_a_batch_unread_for_15_minutes_then_at_most_one_an_hour() {
    let school = school(2, None).await;
    for (node, body) in [
        (0, "question one"),
        (1, "question two"),
        (0, "question three"),
    ] {
        school.send(node, body).await;
    }
    school.rounds().await;
    school.clock.set("2026-12-02T10:14:59Z");
    school.rounds().await;
    assert_eq!(school.mails(), 0, "not before 15 minutes");

    school.clock.set("2026-12-02T10:15:00Z");
    let mails = school.sink.wait_for(&school.email, 1).await;
    school.rounds().await;
    assert_eq!(school.mails(), 1, "one digest, from one of the two nodes");
    let mail = &mails[0];
    assert_eq!(mail.subject, "3 unread messages on classchat");
    assert!(mail.text.contains("Sam Student"), "{}", mail.text);
    assert!(
        !mail.text.contains("question"),
        "no message text unless the school allows it: {}",
        mail.text
    );
    assert!(
        mail.text.contains("http://classchat.test/#/c/s1%2Bt1"),
        "{}",
        mail.text
    );
    // The unsubscribe link names its user, under the server's secret only.
    let unsubscribe = mail
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("List-Unsubscribe"))
        .map(|(_, value)| value.clone())
        .expect("a List-Unsubscribe header");
    let token = unsubscribe
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("a token in the link");
    assert_eq!(
        verify_unsubscribe_token(SECRET, token),
        Some(school.teacher.id.clone())
    );

    // Another message soon after: its digest waits for the hour to pass.
    school.clock.set("2026-12-02T10:20:00Z");
    school.send(0, "question four").await;
    school.clock.set("2026-12-02T10:40:00Z");
    school.rounds().await;
    assert_eq!(school.mails(), 1, "at most one an hour");
    school.clock.set("2026-12-02T11:41:00Z");
    school.sink.wait_for(&school.email, 2).await;
    school.rounds().await;
    assert_eq!(school.mails(), 2);
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
async fn no_digest_when_a_push_reached_them_or_they_read_it() {
    let pushed = school(1, Some("/push/created/t1")).await;
    pushed.send(0, "hello").await;
    pushed.rounds().await;
    pushed.clock.set("2026-12-02T11:00:00Z");
    pushed.rounds().await;
    assert_eq!(pushed.mails(), 0, "a push reached them");

    let read = school(1, None).await;
    read.send(0, "hello").await;
    read.rounds().await;
    let page = read.nodes[0]
        .read_page(&read.teacher, "s1+t1", Default::default())
        .await
        .unwrap();
    let newest = page.page.messages.last().unwrap().timestamp.to_string();
    read.nodes[0]
        .mark_read(&read.teacher, "s1+t1", &newest, None)
        .await
        .unwrap();
    read.clock.set("2026-12-02T11:00:00Z");
    read.rounds().await;
    assert_eq!(read.mails(), 0, "they read it");
}

#[tokio::test]
async fn a_push_that_fails_falls_back_to_a_digest() {
    let school = school(1, Some("/push/gone410/t1")).await;
    school.send(0, "hello").await;
    school.rounds().await;
    school.clock.set("2026-12-02T10:16:00Z");
    school.sink.wait_for(&school.email, 1).await;
}

/// A hub on which everyone is online (on some node).
struct EveryoneOnline;

#[async_trait]
impl Hub for EveryoneOnline {
    async fn publish(&self, _delivery: &Delivery, _event: &Event) {}

    async fn online(&self, users: &[UserId]) -> Vec<UserId> {
        users.to_vec()
    }
}

#[tokio::test]
async fn no_digest_for_someone_online() {
    let school = school_on(1, None, Arc::new(EveryoneOnline)).await;
    school.send(0, "hello").await;
    school.rounds().await;
    school.clock.set("2026-12-02T11:00:00Z");
    school.rounds().await;
    assert_eq!(school.mails(), 0, "they were online and saw it");
    assert!(
        school
            .store
            .due_pending(school.clock.now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
