//! Tests that the cheap limits come before any store read: a flood of typing notices or
//! `sync` requests over the limit costs the store nothing. The store here answers every
//! call with an outage and counts the calls, so a call that reached it shows.

use super::{ChatService, Limits};
use crate::conversation::ConversationId;
use crate::error::ErrorCode;
use crate::ids::UserId;
use crate::message::NewMessage;
use crate::rate::Rate;
use crate::store::{
    Appended, AuditEntry, Contact, FamilyLink, GuardianLink, Link, MarkedRead, MessagePage,
    NotifyPrefs, PageRequest, Pending, PushSubscription, SchoolSettings, Side, Store, StoreError,
    UserPatch,
};
use crate::time::{Clock, Timestamp};
use crate::user::{Role, User, UserRecord};
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A store that is down: every call fails, and is counted.
#[derive(Default)]
struct DownStore {
    calls: AtomicUsize,
}

impl DownStore {
    fn down<T>(&self) -> Result<T, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(StoreError::Unavailable("down for the test".into()))
    }
}

#[async_trait]
impl Store for DownStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.down()
    }
    async fn get_user(&self, _: &UserId) -> Result<Option<UserRecord>, StoreError> {
        self.down()
    }
    async fn create_user(&self, _: &UserRecord) -> Result<(), StoreError> {
        self.down()
    }
    async fn update_user(&self, _: &UserId, _: &UserPatch) -> Result<Option<User>, StoreError> {
        self.down()
    }
    async fn list_users(
        &self,
        _: Option<Role>,
        _: Option<&UserId>,
        _: usize,
    ) -> Result<Vec<User>, StoreError> {
        self.down()
    }
    async fn message(
        &self,
        _: &ConversationId,
        _: Timestamp,
    ) -> Result<Option<crate::message::Message>, StoreError> {
        self.down()
    }
    async fn revise_message(
        &self,
        _: &crate::store::Revision,
    ) -> Result<Option<crate::message::Message>, StoreError> {
        self.down()
    }
    async fn message_versions(
        &self,
        _: &ConversationId,
        _: Timestamp,
    ) -> Result<Vec<crate::store::MessageVersion>, StoreError> {
        self.down()
    }
    async fn pause(&self, _: &ConversationId) -> Result<Option<crate::store::Pause>, StoreError> {
        self.down()
    }
    async fn set_pause(
        &self,
        _: &ConversationId,
        _: Option<Timestamp>,
        _: Option<&crate::store::Pause>,
    ) -> Result<bool, StoreError> {
        self.down()
    }
    async fn put_report(
        &self,
        _: &crate::store::Report,
    ) -> Result<crate::store::Report, StoreError> {
        self.down()
    }
    async fn report(
        &self,
        _: crate::store::ReportId,
    ) -> Result<Option<crate::store::Report>, StoreError> {
        self.down()
    }
    async fn list_reports(
        &self,
        _: Option<crate::store::ReportState>,
        _: Option<crate::store::ReportId>,
        _: usize,
    ) -> Result<Vec<crate::store::Report>, StoreError> {
        self.down()
    }
    async fn step_report(
        &self,
        _: crate::store::ReportId,
        _: crate::store::ReportState,
        _: &crate::store::ReportStep,
    ) -> Result<Option<crate::store::Report>, StoreError> {
        self.down()
    }
    async fn holds(&self) -> Result<Vec<crate::store::Hold>, StoreError> {
        self.down()
    }
    async fn put_hold(&self, _: &crate::store::Hold) -> Result<bool, StoreError> {
        self.down()
    }
    async fn remove_hold(&self, _: &crate::store::HoldTarget) -> Result<bool, StoreError> {
        self.down()
    }
    async fn delete_conversation(
        &self,
        _: &ConversationId,
        _: Timestamp,
        _: usize,
    ) -> Result<crate::store::Deletion, StoreError> {
        self.down()
    }
    async fn add_link(&self, _: &Link) -> Result<(), StoreError> {
        self.down()
    }
    async fn roster_state(&self) -> Result<crate::store::RosterState, StoreError> {
        self.down()
    }
    async fn class(
        &self,
        _: &crate::store::SourcedId,
    ) -> Result<Option<crate::store::Class>, StoreError> {
        self.down()
    }
    async fn classes(&self) -> Result<Vec<crate::store::Class>, StoreError> {
        self.down()
    }
    async fn classes_of(&self, _: &UserId) -> Result<Vec<crate::store::Class>, StoreError> {
        self.down()
    }
    async fn append_announcement(
        &self,
        _: &crate::store::NewAnnouncement,
    ) -> Result<crate::store::Announced, StoreError> {
        self.down()
    }
    async fn apply_roster(&self, _: &crate::store::RosterChanges) -> Result<(), StoreError> {
        self.down()
    }
    async fn remove_link(&self, _: &Link) -> Result<bool, StoreError> {
        self.down()
    }
    async fn is_linked(&self, _: &Link) -> Result<bool, StoreError> {
        self.down()
    }
    async fn list_links(&self, _: Option<&UserId>) -> Result<Vec<Link>, StoreError> {
        self.down()
    }
    async fn linked_contacts(&self, _: &UserId, _: Side) -> Result<Vec<Contact>, StoreError> {
        self.down()
    }
    async fn active_conversations(&self, _: &UserId) -> Result<Vec<Contact>, StoreError> {
        self.down()
    }
    async fn conversations_since(
        &self,
        _: &UserId,
        _: Timestamp,
    ) -> Result<Vec<ConversationId>, StoreError> {
        self.down()
    }
    async fn has_messages(&self, _: &ConversationId) -> Result<bool, StoreError> {
        self.down()
    }
    async fn append_if_linked(&self, _: &NewMessage) -> Result<Option<Appended>, StoreError> {
        self.down()
    }
    async fn read_messages(
        &self,
        _: &ConversationId,
        _: &PageRequest,
    ) -> Result<MessagePage, StoreError> {
        self.down()
    }
    async fn read_marker(
        &self,
        _: &UserId,
        _: &ConversationId,
    ) -> Result<Option<Timestamp>, StoreError> {
        self.down()
    }
    async fn unread_count(&self, _: &UserId, _: &ConversationId) -> Result<u64, StoreError> {
        self.down()
    }
    async fn mark_read(
        &self,
        _: &UserId,
        _: &ConversationId,
        _: Timestamp,
    ) -> Result<Option<MarkedRead>, StoreError> {
        self.down()
    }
    async fn add_guardian(&self, _: &GuardianLink) -> Result<(), StoreError> {
        self.down()
    }
    async fn remove_guardian(&self, _: &GuardianLink) -> Result<bool, StoreError> {
        self.down()
    }
    async fn list_guardian_links(
        &self,
        _: Option<&UserId>,
    ) -> Result<Vec<GuardianLink>, StoreError> {
        self.down()
    }
    async fn family_links(&self, _: &UserId) -> Result<Vec<FamilyLink>, StoreError> {
        self.down()
    }
    async fn family_contacts(&self, _: &UserId) -> Result<Vec<Contact>, StoreError> {
        self.down()
    }
    async fn settings(&self) -> Result<SchoolSettings, StoreError> {
        self.down()
    }
    async fn put_settings(&self, _: &SchoolSettings) -> Result<(), StoreError> {
        self.down()
    }
    async fn notify_prefs(&self, _: &UserId) -> Result<NotifyPrefs, StoreError> {
        self.down()
    }
    async fn put_notify_prefs(&self, _: &UserId, _: &NotifyPrefs) -> Result<(), StoreError> {
        self.down()
    }
    async fn push_subscriptions(&self, _: &UserId) -> Result<Vec<PushSubscription>, StoreError> {
        self.down()
    }
    async fn put_push_subscription(
        &self,
        _: &UserId,
        _: &PushSubscription,
    ) -> Result<(), StoreError> {
        self.down()
    }
    async fn remove_push_subscription(&self, _: &UserId, _: &str) -> Result<bool, StoreError> {
        self.down()
    }
    async fn put_pending(&self, _: &Pending) -> Result<(), StoreError> {
        self.down()
    }
    async fn due_pending(&self, _: Timestamp, _: usize) -> Result<Vec<Pending>, StoreError> {
        self.down()
    }
    async fn take_pending(&self, _: &Pending) -> Result<bool, StoreError> {
        self.down()
    }
    async fn try_lease(
        &self,
        _: &str,
        _: &str,
        _: Timestamp,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.down()
    }
    async fn append_audit(&self, _: &AuditEntry) -> Result<(), StoreError> {
        self.down()
    }
    async fn list_audit(&self, _: Option<&str>, _: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.down()
    }
}

/// Time stands still, so no bucket refills during a test.
struct Frozen;

impl Clock for Frozen {
    fn now(&self) -> Timestamp {
        Timestamp::parse("2026-01-01T00:00:00Z").unwrap_or(Timestamp::MIN)
    }
}

fn service(limits: Limits) -> (ChatService, Arc<DownStore>) {
    let store = Arc::new(DownStore::default());
    let service = ChatService::new(Arc::clone(&store) as Arc<dyn Store>, Arc::new(Frozen))
        .with_limits(limits);
    (service, store)
}

use crate::user::test_user as user;

fn calls(store: &DownStore) -> usize {
    store.calls.load(Ordering::SeqCst)
}

#[tokio::test]
async fn typing_over_the_limit_is_dropped_before_the_store_is_read() {
    let limits = Limits {
        typing: Rate {
            per_second: 1.0,
            burst: 3.0,
        },
        ..Limits::default()
    };
    let (service, store) = service(limits);
    let student = user("s1", Role::Student);
    // Within the burst each notice goes on to the store, which is down.
    for (sent, spelling) in ["s1+t1", "t1+s1", "s1 t1"].into_iter().enumerate() {
        let error = service.typing(&student, spelling, None).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::Unavailable);
        assert_eq!(
            calls(&store),
            sent + 1,
            "one read per notice within the limit"
        );
    }
    // Over it, whichever way the id is written, and whoever the other id is: dropped,
    // and the store is never asked.
    let before = calls(&store);
    for spelling in ["s1+t1", "t1+s1", "t1 s1"] {
        assert_eq!(service.typing(&student, spelling, None).await, Ok(false));
    }
    assert_eq!(calls(&store), before, "no store read over the limit");
    // Another conversation has a budget of its own.
    let error = service.typing(&student, "s1+t2", None).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Unavailable);
}

#[tokio::test]
async fn sync_over_the_limit_is_refused_before_the_store_is_read() {
    let (service, store) = service(Limits::default());
    let teacher = user("t1", Role::Teacher);
    let burst = Limits::default().sync.burst as usize;
    for replay in 1..=burst {
        let error = service
            .replay(&teacher, "2026-01-01T00:00:00Z")
            .await
            .err()
            .map(|error| error.code());
        assert_eq!(error, Some(ErrorCode::Unavailable));
        assert_eq!(
            calls(&store),
            replay,
            "one read per replay within the limit"
        );
    }
    for _ in 0..100 {
        let error = service
            .replay(&teacher, "2026-01-01T00:00:00Z")
            .await
            .err()
            .map(|error| error.code());
        assert_eq!(error, Some(ErrorCode::RateLimited));
    }
    assert_eq!(calls(&store), burst, "no store read over the limit");
    // Other users are not held back by this one.
    let other = user("t2", Role::Teacher);
    let error = service.replay(&other, "2026-01-01T00:00:00Z").await.err();
    assert_eq!(
        error.map(|error| error.code()),
        Some(ErrorCode::Unavailable)
    );
}

#[tokio::test]
async fn a_malformed_sync_or_typing_costs_neither_the_store_nor_the_budget() {
    let (service, store) = service(Limits::default());
    let teacher = user("t1", Role::Teacher);
    for _ in 0..50 {
        let error = service.replay(&teacher, "yesterday").await.err();
        assert_eq!(
            error.map(|error| error.code()),
            Some(ErrorCode::InvalidCursor)
        );
        let error = service.typing(&teacher, "t1", None).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidConversationId);
    }
    assert_eq!(calls(&store), 0);
    // The budget is untouched: a proper sync still reaches the store.
    let error = service.replay(&teacher, "2026-01-01T00:00:00Z").await.err();
    assert_eq!(
        error.map(|error| error.code()),
        Some(ErrorCode::Unavailable)
    );
}
