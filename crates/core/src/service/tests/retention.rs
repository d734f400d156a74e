//! Legal holds and retention passes: only expired conversations go, never under a hold,
//! a second pass does nothing, a dry run only counts, and admins may only preview.

use super::{School, at, status};
use crate::service::{Actor, HoldRequest};
use crate::settings::SettingsPatch;
use crate::store::{AuditAction, HoldTarget, Store};
use crate::user::Role;

const DAY: i64 = 86_400_000_000;

async fn school_with_history() -> School {
    let school = School::new();
    for id in ["s1", "s2", "s3"] {
        school.user(id, Role::Student).await;
    }
    school.user("t1", Role::Teacher).await;
    school.user("office", Role::Admin).await;
    // s1's conversation is 40 days old, s2's 10, s3's old but held through s3.
    school.history("s1+t1", "s1", at(-41 * DAY), "old").await;
    school
        .history("s1+t1", "t1", at(-40 * DAY), "older reply")
        .await;
    school.history("s2+t1", "s2", at(-10 * DAY), "recent").await;
    school.history("s3+t1", "s3", at(-50 * DAY), "held").await;
    school
        .service
        .update_settings(
            Actor::Operator,
            SettingsPatch {
                retention_days: Some(Some(30)),
                ..SettingsPatch::default()
            },
        )
        .await
        .unwrap();
    school
}

fn hold_user(id: &str) -> HoldRequest<'_> {
    HoldRequest {
        user_id: Some(id),
        conversation_id: None,
        reason: Some("case 12"),
    }
}

#[tokio::test]
async fn a_pass_deletes_what_expired_keeps_what_is_held_and_a_second_pass_does_nothing() {
    let school = school_with_history().await;
    let admin = school
        .store
        .get_user(&crate::ids::UserId::parse("office").unwrap())
        .await
        .unwrap()
        .unwrap()
        .user;
    let hold = school
        .service
        .set_hold(Actor::User(&admin), hold_user("s3"))
        .await
        .unwrap();
    assert_eq!(
        hold.target,
        HoldTarget::User(crate::ids::UserId::parse("s3").unwrap())
    );
    let preview = school
        .service
        .retention_pass(Actor::User(&admin), true)
        .await
        .unwrap();
    assert_eq!(
        (preview.conversations, preview.messages, preview.held),
        (1, 2, 1)
    );
    assert_eq!(preview.sample[0].0.to_string(), "s1+t1");
    assert_eq!(
        school.store.read_messages_of("s1+t1").await.len(),
        2,
        "a dry run deletes nothing"
    );
    // Admins preview; the pass itself is the school's policy's, run by the job.
    let refused = school
        .service
        .retention_pass(Actor::User(&admin), false)
        .await
        .unwrap_err();
    assert_eq!(status(&refused), 403);
    let run = school
        .service
        .retention_pass(Actor::Operator, false)
        .await
        .unwrap();
    assert_eq!((run.conversations, run.messages, run.held), (1, 2, 1));
    assert!(school.store.read_messages_of("s1+t1").await.is_empty());
    assert_eq!(school.store.read_messages_of("s2+t1").await.len(), 1);
    assert_eq!(school.store.read_messages_of("s3+t1").await.len(), 1);
    let again = school
        .service
        .retention_pass(Actor::Operator, false)
        .await
        .unwrap();
    assert_eq!((again.conversations, again.messages), (0, 0));
    let log = school.store.audit_log().await;
    let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "settings.update",
            "hold.set",
            "retention.preview",
            "retention.run",
            "retention.run"
        ]
    );
    assert_eq!(
        log[1].target,
        "conversations=1 messages=2 held=1 cutoff=2026-01-31T09:00:00.000000Z"
    );
    // Lifting the hold lets the next pass take it.
    assert!(
        school
            .service
            .release_hold(Actor::Operator, hold_user("s3"))
            .await
            .unwrap()
    );
    let last = school
        .service
        .retention_pass(Actor::Operator, false)
        .await
        .unwrap();
    assert_eq!(last.conversations, 1);
    assert_eq!(
        log.len() + 2,
        school.store.audit_log().await.len(),
        "release and run audited"
    );
}

#[tokio::test]
async fn a_pass_stopped_midway_is_finished_by_the_next_and_nothing_is_counted_twice() {
    let school = school_with_history().await;
    let conversation = "s1+t1".parse_canonical_conversation();
    // A pass that died after its first step: one message gone, the rest still there.
    let step = school
        .store
        .delete_conversation(&conversation, at(-40 * DAY), 1)
        .await
        .unwrap();
    assert_eq!((step.messages, step.finished), (1, false));
    let run = school
        .service
        .retention_pass(Actor::Operator, false)
        .await
        .unwrap();
    assert_eq!(
        (run.conversations, run.messages),
        (2, 2),
        "the rest of s1's, and s3's"
    );
    assert!(school.store.read_messages_of("s1+t1").await.is_empty());
    let student = school
        .store
        .get_user(&crate::ids::UserId::parse("s1").unwrap())
        .await
        .unwrap()
        .unwrap()
        .user;
    let teacher = school
        .store
        .get_user(&crate::ids::UserId::parse("t1").unwrap())
        .await
        .unwrap()
        .unwrap()
        .user;
    school.link(&teacher, &student).await;
    let contacts = school.service.list_teachers(&student, None).await.unwrap();
    assert_eq!(contacts.len(), 1, "still linked");
    assert!(
        contacts[0].last_message.is_none(),
        "but the conversation is gone"
    );
}

#[tokio::test]
async fn without_a_policy_nothing_is_looked_at_and_only_admins_hold() {
    let school = School::new();
    let student = school.user("s1", Role::Student).await;
    school.user("t1", Role::Teacher).await;
    school
        .history("s1+t1", "s1", at(-4000 * DAY), "ancient")
        .await;
    school.store.take_calls();
    let run = school
        .service
        .retention_pass(Actor::Operator, false)
        .await
        .unwrap();
    assert_eq!(run.retention_days, None);
    assert_eq!(
        school.store.take_calls(),
        ["settings"],
        "nothing else read, nothing audited"
    );
    assert_eq!(school.store.read_messages_of("s1+t1").await.len(), 1);
    let refused = school
        .service
        .set_hold(Actor::User(&student), hold_user("s1"))
        .await
        .unwrap_err();
    assert_eq!(status(&refused), 403);
    assert!(
        school.store.take_calls().is_empty(),
        "refused before any read"
    );
    let both = HoldRequest {
        user_id: Some("s1"),
        conversation_id: Some("s1+t1"),
        reason: None,
    };
    assert_eq!(
        status(
            &school
                .service
                .set_hold(Actor::Operator, both)
                .await
                .unwrap_err()
        ),
        400
    );
    let conversation = HoldRequest {
        user_id: None,
        conversation_id: Some("t1+s1"),
        reason: None,
    };
    let hold = school
        .service
        .set_hold(Actor::Operator, conversation)
        .await
        .unwrap();
    assert_eq!(hold.target.key(), "conversation:s1+t1");
    assert_eq!(hold.by, "cli");
    let log = school.store.audit_log().await;
    assert_eq!(log[0].action, AuditAction::SetHold);
}

trait Canonical {
    fn parse_canonical_conversation(&self) -> crate::conversation::ConversationId;
}

impl Canonical for str {
    fn parse_canonical_conversation(&self) -> crate::conversation::ConversationId {
        crate::conversation::ConversationId::parse_canonical(self).unwrap()
    }
}

/// A clock the test moves.
struct Manual(std::sync::atomic::AtomicI64);

impl crate::time::Clock for Manual {
    fn now(&self) -> crate::time::Timestamp {
        crate::time::Timestamp::from_micros(self.0.load(std::sync::atomic::Ordering::SeqCst))
            .unwrap()
    }
}

#[tokio::test]
async fn the_job_runs_one_pass_per_period_across_nodes() {
    use crate::service::ChatService;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    let school = school_with_history().await;
    let clock = Arc::new(Manual(std::sync::atomic::AtomicI64::new(at(0).as_micros())));
    let node = |clock: &Arc<Manual>| {
        ChatService::new(
            Arc::clone(&school.store) as Arc<dyn Store>,
            Arc::clone(clock) as Arc<dyn crate::time::Clock>,
        )
    };
    let (first, second) = (node(&clock), node(&clock));
    let every = DAY;
    let ran = first.retention_round(every).await.unwrap().unwrap();
    assert_eq!(ran.conversations, 2);
    assert!(second.retention_round(every).await.unwrap().is_none());
    assert!(
        first.retention_round(every).await.unwrap().is_none(),
        "not again within the day"
    );
    clock.0.fetch_add(every + 1, Ordering::SeqCst);
    let next = second.retention_round(every).await.unwrap().unwrap();
    assert_eq!(next.conversations, 0, "a second pass finds nothing");
    let log = school.store.audit_log().await;
    let runs: Vec<&str> = log
        .iter()
        .filter(|entry| entry.action == AuditAction::RetentionRun)
        .map(|entry| entry.actor.as_str())
        .collect();
    assert_eq!(runs, ["retention", "retention"]);
}
