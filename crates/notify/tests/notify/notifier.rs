//! `PushNotifier` over the reference store and the loopback push service: who gets a
//! push (nobody online, nobody in quiet hours, push on), what it says, and what a push
//! service's answers do (a retry after a 503, a gone subscription removed).

use crate::support::{Browser, PushService, client};
use async_trait::async_trait;
use classchat_core::hub::{Delivery, Event, Hub, NullHub};
use classchat_core::message::{Message, MessageBody};
use classchat_core::notify::{Notice, Notifier, NotifyPrefs};
use classchat_core::store::Store;
use classchat_core::time::{Clock, SystemClock, Timestamp};
use classchat_core::user::{DisplayName, Role, User, UserRecord};
use classchat_core::{ConversationId, MemoryStore, MessageId, UserId};
use classchat_notify::push::VapidKeys;
use classchat_notify::{NotifierConfig, PushNotifier};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

fn fast() -> NotifierConfig {
    NotifierConfig {
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..NotifierConfig::default()
    }
}

async fn school() -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::default());
    for (id, name, role) in [
        ("s1", "Sam Student", Role::Student),
        ("t1", "Ms Rivera", Role::Teacher),
    ] {
        let record = UserRecord {
            user: User {
                id: UserId::parse(id).unwrap(),
                display_name: DisplayName::parse(name).unwrap(),
                role,
                disabled: false,
            },
            password_hash: "not a hash".into(),
            token_version: 0,
        };
        store.create_user(&record).await.unwrap();
    }
    store
}

fn notice(body: &str, quiet_until: Option<Timestamp>) -> Notice {
    Notice {
        recipient: UserId::parse("t1").unwrap(),
        message: Message {
            conversation_id: ConversationId::parse_canonical("s1+t1").unwrap(),
            timestamp: Timestamp::parse("2026-12-03T10:00:00Z").unwrap(),
            author: UserId::parse("s1").unwrap(),
            body: MessageBody::parse(body).unwrap(),
            message_id: MessageId::generate(),
            client_message_id: None,
            announcement_id: None,
            edited_at: None,
            removed_at: None,
        },
        quiet_until,
        urgent: false,
    }
}

/// A hub on which everyone is online.
struct AllOnline;

#[async_trait]
impl Hub for AllOnline {
    async fn publish(&self, _delivery: &Delivery, _event: &Event) {}

    async fn online(&self, users: &[UserId]) -> Vec<UserId> {
        users.to_vec()
    }
}

async fn setup(
    hub: Arc<dyn Hub>,
    paths: &[&str],
) -> (Arc<MemoryStore>, PushService, Arc<PushNotifier>) {
    let store = school().await;
    let keys = VapidKeys::generate();
    let service = PushService::start(Browser::new(), keys.public_base64url()).await;
    let t1 = UserId::parse("t1").unwrap();
    for path in paths {
        store
            .put_push_subscription(&t1, &service.subscription(path))
            .await
            .unwrap();
    }
    let push = client(keys, true, Duration::from_secs(5));
    let notifier = PushNotifier::start(
        Arc::clone(&store) as Arc<dyn Store>,
        hub,
        Some(push),
        Arc::new(SystemClock),
        fast(),
        None,
    );
    (store, service, notifier)
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn someone_away_gets_one_push_naming_the_sender_without_the_text() {
    let (_store, service, notifier) = setup(Arc::new(NullHub), &["/push/created/1"]).await;
    notifier.message_stored(notice("the secret answer is 42", None));
    service.wait_for(1).await;
    let request = service.only_request();
    let payload: Value = serde_json::from_slice(&request.plaintext).unwrap();
    assert_eq!(payload["title"], "Sam Student");
    assert_eq!(
        payload["body"], "New message",
        "no preview unless the school allows it"
    );
    assert_eq!(payload["conversationId"], "s1+t1");
    assert_eq!(payload["url"], "/#/c/s1%2Bt1");
    assert_eq!(payload["tag"], "s1+t1");
    assert!(request.ttl > 0);
    settle().await;
    let metrics = notifier.metrics();
    assert_eq!(metrics.value("queued"), Some(1));
    assert_eq!(metrics.value("delivered"), Some(1));
}

#[tokio::test]
async fn the_school_may_allow_a_preview() {
    let (store, service, notifier) = setup(Arc::new(NullHub), &["/push/created/1"]).await;
    let mut settings = store.settings().await.unwrap();
    settings.push_preview = true;
    store.put_settings(&settings).await.unwrap();
    notifier.message_stored(notice("see you\nat eight", None));
    service.wait_for(1).await;
    let payload: Value = serde_json::from_slice(&service.only_request().plaintext).unwrap();
    assert_eq!(payload["body"], "see you at eight");
}

#[tokio::test]
async fn nobody_is_pushed_while_online_in_quiet_hours_or_with_push_off() {
    let (_store, service, notifier) = setup(Arc::new(AllOnline), &["/push/created/1"]).await;
    notifier.message_stored(notice("online", None));
    settle().await;
    assert!(service.received().is_empty());
    assert_eq!(notifier.metrics().value("online"), Some(1));

    let (store, service, notifier) = setup(Arc::new(NullHub), &["/push/created/1"]).await;
    // Quiet until tomorrow: the notifier runs on the system clock.
    let later = SystemClock.now().plus_micros(24 * 3600 * 1_000_000);
    notifier.message_stored(notice("quiet", Some(later)));
    settle().await;
    assert_eq!(notifier.metrics().value("held"), Some(1));
    let t1 = UserId::parse("t1").unwrap();
    let held = store.due_pending(later, 10).await.unwrap();
    assert_eq!(held.len(), 1, "kept in the store until {later}");
    assert_eq!(held[0].user, t1);
    let off = NotifyPrefs {
        push: false,
        ..NotifyPrefs::default()
    };
    store.put_notify_prefs(&t1, &off).await.unwrap();
    notifier.message_stored(notice("push off", None));
    settle().await;
    assert!(service.received().is_empty());
    assert_eq!(notifier.metrics().value("held"), Some(1));
}

#[tokio::test]
async fn a_busy_push_service_is_retried_and_a_gone_subscription_removed() {
    let (store, service, notifier) =
        setup(Arc::new(NullHub), &["/push/flaky/1", "/push/gone410/2"]).await;
    notifier.message_stored(notice("hello", None));
    service.wait_for(3).await;
    settle().await;
    let metrics = notifier.metrics();
    assert_eq!(metrics.value("retried"), Some(1));
    assert_eq!(metrics.value("delivered"), Some(1));
    assert_eq!(metrics.value("gone"), Some(1));
    let left = store
        .push_subscriptions(&UserId::parse("t1").unwrap())
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].endpoint.ends_with("/push/flaky/1"));
    let mut text = String::new();
    metrics.render(&mut text);
    assert!(
        text.contains("classchat_push_total{outcome=\"gone\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn a_push_service_that_never_recovers_is_given_up_after_the_last_attempt() {
    let (_store, service, notifier) = setup(Arc::new(NullHub), &["/push/broken/1"]).await;
    notifier.message_stored(notice("hello", None));
    service.wait_for(fast().attempts as usize).await;
    settle().await;
    assert_eq!(service.received().len(), fast().attempts as usize);
    assert_eq!(notifier.metrics().value("failed"), Some(1));
    assert_eq!(
        notifier.metrics().value("retried"),
        Some(u64::from(fast().attempts - 1))
    );
}
