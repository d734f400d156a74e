//! Legal holds: [`Store::holds`], [`Store::put_hold`] (never over a hold already there)
//! and [`Store::remove_hold`]. Retention deletes nothing a hold covers, so a hold must
//! read back exactly as it was set, and setting one twice must not replace who set it or
//! why.
//!
//! `holds` lists every hold in the store, so these checks need the fresh store the
//! harness gives each check.

use crate::fixtures::{Scope, at, linked_pair};
use classchat_core::Timestamp;
use classchat_core::store::{Hold, HoldTarget, Store};
use std::sync::Arc;

/// A hold on `target` set by `by` at `at`, with a reason when given.
fn hold(target: HoldTarget, by: &str, at: Timestamp, reason: Option<&str>) -> Hold {
    Hold {
        target,
        by: by.to_owned(),
        at,
        reason: reason.map(str::to_owned),
    }
}

/// [`Store::holds`], which must not fail.
async fn holds(store: &dyn Store) -> Vec<Hold> {
    store
        .holds()
        .await
        .unwrap_or_else(|error| panic!("holds() failed: {error}"))
}

/// [`Store::put_hold`], which must not fail.
async fn put(store: &dyn Store, hold: &Hold) -> bool {
    store
        .put_hold(hold)
        .await
        .unwrap_or_else(|error| panic!("put_hold({}) failed: {error}", hold.target.key()))
}

/// [`Store::remove_hold`], which must not fail.
async fn remove(store: &dyn Store, target: &HoldTarget) -> bool {
    store
        .remove_hold(target)
        .await
        .unwrap_or_else(|error| panic!("remove_hold({}) failed: {error}", target.key()))
}

/// A store without holds lists none; a hold put on a target nobody holds is written and
/// listed with every field (target, by, at, reason), one without a reason too.
pub async fn holds_are_none_until_put_then_listed_with_every_field(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    assert_eq!(
        holds(&*store).await,
        Vec::new(),
        "a fresh store must hold nothing"
    );

    let admin = scope.id("admin");
    let on_user = hold(
        HoldTarget::User(pair.student.id.clone()),
        admin.as_str(),
        at(1_000),
        Some("Case 2026-17: keep everything"),
    );
    assert!(
        put(&*store, &on_user).await,
        "a hold on a user nobody holds must be written"
    );
    assert_eq!(
        holds(&*store).await,
        vec![on_user.clone()],
        "holds must list the hold as put, every field"
    );

    let on_conversation = hold(
        HoldTarget::Conversation(pair.conversation.clone()),
        "cli",
        at(2_000),
        None,
    );
    assert!(
        put(&*store, &on_conversation).await,
        "a hold on a conversation nobody holds must be written, even if a user of it is held"
    );
    assert_eq!(
        holds(&*store).await,
        vec![on_user, on_conversation],
        "a hold without a reason, by the operator, is listed as put too"
    );
}

/// `put_hold` on a target that is held already answers `false` and changes nothing: the
/// hold listed is still the first, with who set it, when and why.
pub async fn put_hold_of_a_held_target_changes_nothing(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let first = hold(
        HoldTarget::Conversation(pair.conversation.clone()),
        scope.id("admin-1").as_str(),
        at(1_000),
        Some("first"),
    );
    let second = hold(
        HoldTarget::Conversation(pair.conversation.clone()),
        scope.id("admin-2").as_str(),
        at(2_000),
        Some("second"),
    );
    assert!(put(&*store, &first).await);
    assert!(
        !put(&*store, &second).await,
        "a hold on a target that is held already must not be written"
    );
    assert_eq!(
        holds(&*store).await,
        vec![first.clone()],
        "the first hold must stay as it was"
    );
    let without_reason = Hold {
        reason: None,
        ..first.clone()
    };
    assert!(
        !put(&*store, &without_reason).await,
        "the same hold again (even without its reason) must not be written"
    );
    assert_eq!(holds(&*store).await, vec![first]);
}

/// Holds are listed in [`HoldTarget`] order: every user hold (by userId) before every
/// conversation hold (by conversationId), whatever order they were put in.
pub async fn holds_are_listed_users_first_then_conversations(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let a = linked_pair(&*store, &scope, "a").await;
    let b = linked_pair(&*store, &scope, "b").await;
    let targets = [
        HoldTarget::Conversation(b.conversation.clone()),
        HoldTarget::User(b.teacher.id.clone()),
        HoldTarget::Conversation(a.conversation.clone()),
        HoldTarget::User(a.student.id.clone()),
        HoldTarget::User(b.student.id.clone()),
    ];
    let mut put_holds = Vec::new();
    for (index, target) in targets.into_iter().enumerate() {
        let micros = 1_000 * (i64::try_from(index).expect("few holds") + 1);
        let next = hold(target, "cli", at(micros), Some("case 9"));
        assert!(put(&*store, &next).await);
        put_holds.push(next);
    }
    let mut expected = put_holds.clone();
    expected.sort_by(|x, y| x.target.cmp(&y.target));
    assert!(
        matches!(expected[0].target, HoldTarget::User(_))
            && matches!(expected[4].target, HoldTarget::Conversation(_)),
        "the check's own order puts users first"
    );
    assert_eq!(
        holds(&*store).await,
        expected,
        "holds must be listed users first (by userId), then conversations (by \
         conversationId)"
    );
}

/// `remove_hold` lifts the hold on its target and answers `true`; again, or on a target
/// nobody holds, it answers `false`. Other holds stay.
pub async fn remove_hold_reports_whether_there_was_one(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let on_user = hold(
        HoldTarget::User(pair.teacher.id.clone()),
        "cli",
        at(1_000),
        None,
    );
    let on_conversation = hold(
        HoldTarget::Conversation(pair.conversation.clone()),
        "cli",
        at(2_000),
        Some("case 3"),
    );
    assert!(put(&*store, &on_user).await);
    assert!(put(&*store, &on_conversation).await);

    assert!(
        !remove(&*store, &HoldTarget::User(pair.student.id.clone())).await,
        "lifting a hold on a target nobody holds must answer false"
    );
    assert!(
        remove(&*store, &on_user.target).await,
        "lifting a hold that exists must answer true"
    );
    assert_eq!(
        holds(&*store).await,
        vec![on_conversation.clone()],
        "lifting one hold leaves the others"
    );
    assert!(
        !remove(&*store, &on_user.target).await,
        "lifting a hold a second time must answer false"
    );
    assert!(remove(&*store, &on_conversation.target).await);
    assert_eq!(holds(&*store).await, Vec::new());
    assert!(
        put(&*store, &on_user).await,
        "a target whose hold was lifted may be held again"
    );
    assert_eq!(holds(&*store).await, vec![on_user]);
}
