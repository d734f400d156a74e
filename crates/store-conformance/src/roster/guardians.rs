//! The roster's guardian links (`added_guardians`, `removed_guardians`) alongside guardian
//! links made by hand: one link each, marked as whose it is, read back by
//! [`Store::list_guardian_links`], [`Store::family_links`] and `roster_state.guardians`.

use super::{account, apply, link, roster_state, scoped};
use crate::fixtures::{Scope, create_user};
use classchat_core::UserId;
use classchat_core::store::{FamilyLink, GuardianLink, RosterChanges, Store, StoreError};
use classchat_core::user::{Role, User};
use std::sync::Arc;

/// The guardian link of `guardian` to `student`.
fn guardian_link(guardian: &UserId, student: &UserId) -> GuardianLink {
    GuardianLink {
        guardian: guardian.clone(),
        student: student.clone(),
    }
}

/// Changes that only add these guardian links.
fn adding(links: &[&GuardianLink]) -> RosterChanges {
    RosterChanges {
        added_guardians: links.iter().map(|&link| link.clone()).collect(),
        ..RosterChanges::default()
    }
}

/// Changes that only remove these guardian links.
fn removing(links: &[&GuardianLink]) -> RosterChanges {
    RosterChanges {
        removed_guardians: links.iter().map(|&link| link.clone()).collect(),
        ..RosterChanges::default()
    }
}

/// The guardian links of `user` (or all of them, then only this scope's), which must not
/// fail.
async fn guardian_links(
    store: &dyn Store,
    scope: &Scope,
    user: Option<&UserId>,
) -> Vec<GuardianLink> {
    let links = store
        .list_guardian_links(user)
        .await
        .unwrap_or_else(|error| panic!("list_guardian_links({user:?}) failed: {error}"));
    links
        .into_iter()
        .filter(|link| scope.owns(&link.guardian) || scope.owns(&link.student))
        .collect()
}

/// This scope's guardian links in `roster_state`.
async fn roster_guardians(store: &dyn Store, scope: &Scope) -> Vec<GuardianLink> {
    scoped(roster_state(store).await, scope).guardians
}

/// [`Store::family_links`] of `user`, which must not fail.
async fn family_links(store: &dyn Store, user: &UserId) -> Vec<FamilyLink> {
    store
        .family_links(user)
        .await
        .unwrap_or_else(|error| panic!("family_links({user}) failed: {error}"))
}

/// `links`, sorted.
fn sorted<T: Ord>(mut links: Vec<T>) -> Vec<T> {
    links.sort();
    links
}

/// A guardian `g`, students `s-hand` and `s-roster` and a teacher `t` linked by hand to
/// both students, all made by hand.
async fn family(store: &dyn Store, scope: &Scope) -> (User, [User; 2], User) {
    let guardian = create_user(store, &scope.id("g"), "Gwen Guardian", Role::Guardian).await;
    let by_hand = create_user(store, &scope.id("s-hand"), "Sam Hand", Role::Student).await;
    let by_roster = create_user(store, &scope.id("s-roster"), "Sue Roster", Role::Student).await;
    let teacher = create_user(store, &scope.id("t"), "Tom Teacher", Role::Teacher).await;
    for student in [&by_hand, &by_roster] {
        let link = link(&teacher.id, &student.id);
        store.add_link(&link).await.expect("add_link failed");
    }
    (guardian, [by_hand, by_roster], teacher)
}

/// `apply_roster` with `added_guardians`, in the same changes as the accounts and the
/// teacher link it needs, makes them guardian links: listed by `list_guardian_links` for
/// either side, giving the guardian the family links of their children's teachers, and
/// in `roster_state.guardians` — exactly those, not a guardian link made by hand.
pub async fn apply_roster_adds_guardian_links_that_family_links_follow(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let guardian = account(&scope, "p-g", "g", Role::Guardian);
    let sam = account(&scope, "p-s1", "s-sam", Role::Student);
    let sue = account(&scope, "p-s2", "s-sue", Role::Student);
    let teacher = account(&scope, "p-t", "t", Role::Teacher);
    let (g, t) = (&guardian.user.id, &teacher.user.id);
    let (g_sam, g_sue) = (
        guardian_link(g, &sam.user.id),
        guardian_link(g, &sue.user.id),
    );
    let changes = RosterChanges {
        created_accounts: vec![guardian.clone(), sam.clone(), sue.clone(), teacher.clone()],
        added_links: vec![link(t, &sam.user.id)],
        added_guardians: vec![g_sam.clone(), g_sue.clone()],
        ..RosterChanges::default()
    };
    apply(&*store, &changes).await;
    let aunt = create_user(&*store, &scope.id("aunt"), "Ann Aunt", Role::Guardian).await;
    let aunt_sam = guardian_link(&aunt.id, &sam.user.id);
    store
        .add_guardian(&aunt_sam)
        .await
        .expect("add_guardian failed");

    let stored = store.get_user(g).await.expect("get_user failed");
    assert_eq!(
        stored.map(|record| record.user),
        Some(guardian.user.clone()),
        "a guardian account apply_roster created must read back as given, role guardian"
    );
    assert_eq!(
        guardian_links(&*store, &scope, Some(g)).await,
        vec![g_sam.clone(), g_sue.clone()],
        "list_guardian_links(guardian) must list the guardian links apply_roster added"
    );
    assert_eq!(
        guardian_links(&*store, &scope, Some(&sam.user.id)).await,
        sorted(vec![g_sam.clone(), aunt_sam.clone()]),
        "list_guardian_links(student) must list roster and hand-made guardian links together"
    );
    assert_eq!(
        guardian_links(&*store, &scope, None).await,
        sorted(vec![g_sam.clone(), g_sue.clone(), aunt_sam.clone()]),
        "list_guardian_links(None) must list roster and hand-made guardian links, sorted"
    );
    assert_eq!(
        roster_guardians(&*store, &scope).await,
        vec![g_sam.clone(), g_sue.clone()],
        "roster_state.guardians must list exactly the guardian links apply_roster added"
    );
    let through_sam = |guardian: &UserId| FamilyLink {
        guardian: guardian.clone(),
        teacher: t.clone(),
        student: sam.user.id.clone(),
    };
    assert_eq!(
        family_links(&*store, g).await,
        vec![through_sam(g)],
        "a guardian link apply_roster added must give the guardian a family link with each \
         teacher of the child (sue has none)"
    );
    assert_eq!(
        family_links(&*store, t).await,
        sorted(vec![through_sam(g), through_sam(&aunt.id)]),
        "family_links(teacher) must list guardians by roster and by hand alike"
    );
}

/// A guardian link made by hand that `apply_roster` then adds stays one link and is the
/// roster's too (in `roster_state.guardians`). When the roster removes it, it stays (by
/// hand), with its family links, and leaves `roster_state.guardians`; a guardian link only
/// the roster added is gone, family links and all. The roster taking up the link by hand
/// and dropping it again still leaves it.
pub async fn roster_guardian_links_merge_with_guardian_links_by_hand(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (guardian, [hand_child, roster_child], teacher) = family(&*store, &scope).await;
    let by_hand = guardian_link(&guardian.id, &hand_child.id);
    let roster_only = guardian_link(&guardian.id, &roster_child.id);
    store
        .add_guardian(&by_hand)
        .await
        .expect("add_guardian failed");

    apply(&*store, &adding(&[&by_hand, &roster_only])).await;
    assert_eq!(
        guardian_links(&*store, &scope, Some(&guardian.id)).await,
        vec![by_hand.clone(), roster_only.clone()],
        "apply_roster adding a guardian link that exists by hand must not duplicate it"
    );
    assert_eq!(
        roster_guardians(&*store, &scope).await,
        vec![by_hand.clone(), roster_only.clone()],
        "a guardian link by hand the roster adds must count as the roster's too"
    );
    assert_eq!(family_links(&*store, &guardian.id).await.len(), 2);

    apply(&*store, &removing(&[&by_hand, &roster_only])).await;
    assert_eq!(
        guardian_links(&*store, &scope, Some(&guardian.id)).await,
        vec![by_hand.clone()],
        "when the roster removes them, a guardian link also made by hand must stay and one \
         only the roster added must go"
    );
    assert_eq!(
        roster_guardians(&*store, &scope).await,
        Vec::<GuardianLink>::new(),
        "guardian links the roster removed must leave roster_state.guardians"
    );
    assert_eq!(
        family_links(&*store, &guardian.id).await,
        vec![FamilyLink {
            guardian: guardian.id.clone(),
            teacher: teacher.id.clone(),
            student: hand_child.id.clone(),
        }],
        "the family links must follow: through the child by hand only"
    );

    apply(&*store, &adding(&[&by_hand])).await;
    apply(&*store, &removing(&[&by_hand])).await;
    assert_eq!(
        guardian_links(&*store, &scope, Some(&guardian.id)).await,
        vec![by_hand.clone()],
        "a guardian link by hand must survive the roster adding and removing it again"
    );
    store
        .add_guardian(&roster_only)
        .await
        .expect("add_guardian of a guardian link the roster removed must succeed");
}

/// `remove_guardian` removes a roster guardian link entirely, whether or not it was also
/// made by hand: gone, out of `roster_state.guardians`, and a later import deriving it
/// again makes it the roster's alone (the roster removing it then ends it). `add_guardian`
/// of a guardian link only the roster added is a [`StoreError::Conflict`] that leaves it
/// the roster's.
pub async fn remove_guardian_removes_roster_guardian_links_entirely(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (guardian, [hand_child, roster_child], _) = family(&*store, &scope).await;
    let both = guardian_link(&guardian.id, &hand_child.id);
    let only = guardian_link(&guardian.id, &roster_child.id);
    store
        .add_guardian(&both)
        .await
        .expect("add_guardian failed");
    apply(&*store, &adding(&[&both, &only])).await;

    let result = store.add_guardian(&only).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "add_guardian of a guardian link the roster added must be StoreError::Conflict, got \
         {result:?}"
    );
    for gone in [&only, &both] {
        assert!(
            store
                .remove_guardian(gone)
                .await
                .expect("remove_guardian failed"),
            "remove_guardian of a roster guardian link must report that it existed: {gone:?}"
        );
    }
    assert_eq!(
        guardian_links(&*store, &scope, Some(&guardian.id)).await,
        Vec::<GuardianLink>::new(),
        "remove_guardian must remove a roster guardian link entirely, by hand or not"
    );
    assert_eq!(
        roster_guardians(&*store, &scope).await,
        Vec::<GuardianLink>::new(),
        "a guardian link removed with remove_guardian must leave roster_state.guardians"
    );
    assert_eq!(
        family_links(&*store, &guardian.id).await,
        Vec::<FamilyLink>::new()
    );

    apply(&*store, &adding(&[&both, &only])).await;
    assert_eq!(
        roster_guardians(&*store, &scope).await,
        vec![both.clone(), only.clone()],
        "a later import must be able to derive a removed guardian link again"
    );
    apply(&*store, &removing(&[&both, &only])).await;
    assert_eq!(
        guardian_links(&*store, &scope, Some(&guardian.id)).await,
        Vec::<GuardianLink>::new(),
        "remove_guardian must forget that a guardian link was made by hand: derived again \
         and removed by the roster, it must be gone"
    );
}
