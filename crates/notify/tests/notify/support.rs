//! What the tests share: the loopback push service and browser of
//! `classchat_notify::testing`, and a push client as these tests configure it.

use classchat_core::ChatService;
use classchat_core::UserId;
use classchat_core::service::{Actor, NewUser};
use classchat_core::time::{Clock, Timestamp};
use classchat_core::user::{DisplayName, Role, User};
use classchat_notify::push::{PushClient, PushConfig, VapidKeys};
pub use classchat_notify::testing::{Browser, PushService};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// A push client as tests configure it.
pub fn client(keys: VapidKeys, allow_loopback: bool, timeout: Duration) -> PushClient {
    PushClient::new(
        keys,
        PushConfig {
            subject: "mailto:ops@school.example".to_owned(),
            allow_loopback,
            timeout,
        },
    )
    .expect("a push client")
}

/// A clock the test sets.
pub struct Hands(AtomicI64);

impl Hands {
    /// A clock at `raw` (RFC 3339).
    pub fn at(raw: &str) -> Arc<Self> {
        let hands = Arc::new(Self(AtomicI64::new(0)));
        hands.set(raw);
        hands
    }

    /// Moves the clock to `raw`.
    pub fn set(&self, raw: &str) {
        self.0
            .store(Timestamp::parse(raw).unwrap().as_micros(), Ordering::SeqCst);
    }
}

impl Clock for Hands {
    fn now(&self) -> Timestamp {
        Timestamp::from_micros(self.0.load(Ordering::SeqCst)).unwrap()
    }
}

/// Creates student s1 "Sam Student" and teacher t1 "Ms Rivera", linked, through `service`;
/// returns (student, teacher) as callers.
pub async fn seed_pair(service: &ChatService) -> (User, User) {
    for (user_id, display_name, role) in [
        ("s1", "Sam Student", "student"),
        ("t1", "Ms Rivera", "teacher"),
    ] {
        let new = NewUser {
            user_id,
            display_name,
            role,
            password: "a-long-password",
        };
        service.create_user(Actor::Operator, new).await.unwrap();
    }
    service.add_link(Actor::Operator, "t1", "s1").await.unwrap();
    let user = |id: &str, name: &str, role: Role| User {
        id: UserId::parse(id).unwrap(),
        display_name: DisplayName::parse(name).unwrap(),
        role,
        disabled: false,
    };
    (
        user("s1", "Sam Student", Role::Student),
        user("t1", "Ms Rivera", Role::Teacher),
    )
}

/// One node of a test school on `store`: a notifier that learns who is online from `hub`,
/// pushes with `keys` (loopback allowed), tells time by `clock`, looks for due
/// notifications every 20 ms and sends `digests`; and the service that hands it notices.
pub fn node(
    store: &Arc<classchat_core::MemoryStore>,
    hub: Arc<dyn classchat_core::hub::Hub>,
    keys: &VapidKeys,
    clock: &Arc<Hands>,
    digests: Option<classchat_notify::DigestConfig>,
) -> (ChatService, Arc<classchat_notify::PushNotifier>) {
    let config = classchat_notify::NotifierConfig {
        release_every: Duration::from_millis(20),
        backoff: Duration::from_millis(10),
        ..classchat_notify::NotifierConfig::default()
    };
    let notifier = classchat_notify::PushNotifier::start(
        Arc::clone(store) as Arc<dyn classchat_core::Store>,
        hub,
        Some(client(keys.clone(), true, Duration::from_secs(5))),
        Arc::clone(clock) as Arc<dyn Clock>,
        config,
        digests,
    );
    let service = ChatService::new(
        Arc::clone(store) as Arc<dyn classchat_core::Store>,
        Arc::clone(clock) as Arc<dyn Clock>,
    )
    .with_notifier(Arc::clone(&notifier) as Arc<dyn classchat_core::notify::Notifier>);
    (service, notifier)
}
