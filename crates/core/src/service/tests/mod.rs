//! Unit tests of `ChatService`'s rules, over the in-memory reference store: no SQLite, no
//! sockets, a clock that stands still. Each test's name is the rule it checks.
//!
//! - `basics`: page-size parsing and the dummy password hash.
//! - `send`: the precise refusal of a send (400, 403 or 404) and who learns what.
//! - `audit`: an audited read or change is logged before it happens, or not at all.
//! - `update_user`: self-demotion, role changes while linked, revocations.
//! - `replay`: the catch-up's merge order across conversations.
//! - `export`: the phases of a school export and their order.
//! - `links`: link changes announced live to both sides.
//! - `family`: guardians and their children's teachers, oversight, family links closing.
//! - `sign_in_codes`: issuing one-time sign-in codes: a code replaces the password, admins
//!   (for students and teachers) and the operator only, all or nothing, audited first.
//! - `first_sign_in`: using one: never a password, once, until it expires, limited and
//!   answered like a login.
//! - `notify`: notification settings, subscriptions, and the hours that hold notices.
//! - `journal`: the store the tests run on, which records what it was asked.

mod audit;
mod basics;
mod classes;
mod export;
mod export_scoped;
mod family;
mod first_sign_in;
mod journal;
mod links;
mod moderation;
mod notify;
mod replay;
mod retention;
mod roster;
mod roster_emails;
mod send;
mod sign_in_codes;
mod update_user;

use super::{ChatService, Limits};
use crate::conversation::ConversationId;
use crate::error::ChatError;
use crate::hashing::HashingConfig;
use crate::hub::{Delivery, Event, Hub, Revocation};
use crate::ids::UserId;
use crate::message::{Message, MessageBody, NewMessage};
use crate::notify::{EndpointRefused, Notice, Notifier};
use crate::store::{Appended, Link, Store};
use crate::time::{Clock, Timestamp};
use crate::user::{DisplayName, Role, User, UserRecord};
use crate::{MessageId, ids::ClientMessageId};
use async_trait::async_trait;
use journal::Journal;
use std::sync::{Arc, Mutex};

/// The instant the tests' clock stands at.
pub(super) fn now() -> Timestamp {
    Timestamp::parse("2026-03-02T09:00:00Z").unwrap()
}

/// `micros` after [`now`].
pub(super) fn at(micros: i64) -> Timestamp {
    now().plus_micros(micros)
}

/// Time stands still: no rate bucket refills, every timestamp is known in advance.
struct Frozen;

impl Clock for Frozen {
    fn now(&self) -> Timestamp {
        now()
    }
}

/// A hub that remembers what it was asked to deliver and whose sessions to end.
#[derive(Default)]
pub(super) struct Recorder {
    pub(super) published: Mutex<Vec<(Delivery, Event)>>,
    pub(super) revoked: Mutex<Vec<(UserId, Revocation)>>,
}

#[async_trait]
impl Hub for Recorder {
    async fn publish(&self, delivery: &Delivery, event: &Event) {
        self.published
            .lock()
            .unwrap()
            .push((delivery.clone(), event.clone()));
    }

    async fn revoke(&self, user: &UserId, why: Revocation) {
        self.revoked.lock().unwrap().push((user.clone(), why));
    }
}

/// A school to test in: the service, the store it writes to, and the hub it tells.
pub(super) struct School {
    pub(super) service: ChatService,
    pub(super) store: Arc<Journal>,
    pub(super) hub: Arc<Recorder>,
    pub(super) notifier: Arc<Notices>,
}

/// A notifier that remembers the notices it was handed, and refuses endpoints on
/// `refused.example`.
#[derive(Default)]
pub(super) struct Notices {
    pub(super) taken: Mutex<Vec<Notice>>,
}

#[async_trait]
impl Notifier for Notices {
    fn message_stored(&self, notice: Notice) {
        self.taken.lock().unwrap().push(notice);
    }

    async fn check_endpoint(&self, endpoint: &str) -> Result<(), EndpointRefused> {
        if endpoint.contains("refused.example") {
            Err(EndpointRefused("a private address".into()))
        } else {
            Ok(())
        }
    }

    fn vapid_public_key(&self) -> Option<String> {
        Some("the-key".into())
    }
}

impl School {
    /// An empty school, with the default limits.
    pub(super) fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// An empty school whose service has `limits`.
    pub(super) fn with_limits(limits: Limits) -> Self {
        let store = Arc::new(Journal::default());
        let hub = Arc::new(Recorder::default());
        let notifier = Arc::new(Notices::default());
        let service = ChatService::new(Arc::clone(&store) as Arc<dyn Store>, Arc::new(Frozen))
            .with_hashing(HashingConfig {
                threads: 1,
                queue: 1,
            })
            .with_hub(Arc::clone(&hub) as Arc<dyn Hub>)
            .with_notifier(Arc::clone(&notifier) as Arc<dyn Notifier>)
            .with_limits(limits);
        Self {
            service,
            store,
            hub,
            notifier,
        }
    }

    /// Creates `id` with `role` straight in the store (no password hashing: the tests
    /// never sign in).
    pub(super) async fn user(&self, id: &str, role: Role) -> User {
        let user = User {
            id: UserId::parse(id).unwrap(),
            display_name: DisplayName::parse(&format!("Name of {id}")).unwrap(),
            role,
            disabled: false,
        };
        let record = UserRecord {
            user: user.clone(),
            password_hash: "not a hash".into(),
            token_version: 0,
        };
        self.store.create_user(&record).await.unwrap();
        user
    }

    /// Links a teacher and a student straight in the store.
    pub(super) async fn link(&self, teacher: &User, student: &User) {
        let link = Link {
            teacher: teacher.id.clone(),
            student: student.id.clone(),
        };
        self.store.add_link(&link).await.unwrap();
    }

    /// Removes a link straight in the store.
    pub(super) async fn unlink(&self, teacher: &User, student: &User) {
        let link = Link {
            teacher: teacher.id.clone(),
            student: student.id.clone(),
        };
        assert!(self.store.remove_link(&link).await.unwrap());
    }

    /// Stores a message from `author` at `proposed` (or just after the newest), linking
    /// the pair for the moment of the write if they are not linked: history with a pair
    /// that is no longer linked, or with a user that does not exist.
    pub(super) async fn history(
        &self,
        conversation: &str,
        author: &str,
        proposed: Timestamp,
        body: &str,
    ) -> Message {
        let conversation = ConversationId::parse_canonical(conversation).unwrap();
        let link = Link::of(&conversation);
        let was_linked = self.store.is_linked(&link).await.unwrap();
        if !was_linked {
            self.store.add_link(&link).await.unwrap();
        }
        let new = NewMessage {
            conversation_id: conversation,
            proposed,
            author: UserId::parse(author).unwrap(),
            body: MessageBody::parse(body).unwrap(),
            message_id: MessageId::generate(),
            client_message_id: None::<ClientMessageId>,
            announcement_id: None,
            via: None,
        };
        let appended = self.store.append_if_linked(&new).await.unwrap();
        if !was_linked {
            self.store.remove_link(&link).await.unwrap();
        }
        match appended {
            Some(Appended::Created(message)) => message,
            other => panic!("seeding {body:?} failed: {other:?}"),
        }
    }
}

/// The HTTP status the server answers `error` with (`server/src/error.rs`), so a test
/// can say "404" where the issue does.
pub(super) fn status(error: &ChatError) -> u16 {
    match error {
        ChatError::Invalid { .. } => 400,
        ChatError::Unauthorized { .. } => 401,
        ChatError::Forbidden { .. } => 403,
        ChatError::NotFound(_) => 404,
        ChatError::Conflict { .. } => 409,
        ChatError::Validation { .. } => 422,
        ChatError::RateLimited | ChatError::TooManyAttempts { .. } => 429,
        ChatError::Internal(_) => 500,
        ChatError::Unavailable | ChatError::Busy => 503,
    }
}
