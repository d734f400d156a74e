//! Roster links alongside links added by hand: one link each, marked as whose it is.

use super::{apply, link, roster_state, scoped, scoped_links};
use crate::fixtures::{Scope, create_user};
use classchat_core::UserId;
use classchat_core::store::{Link, RosterChanges, Store, StoreError};
use classchat_core::user::Role;
use std::sync::Arc;

/// A teacher `t` and students with these names, all made by hand.
async fn people(store: &dyn Store, scope: &Scope, students: &[&str]) -> (UserId, Vec<UserId>) {
    let teacher = create_user(store, &scope.id("t"), "Teacher", Role::Teacher).await;
    let mut ids = Vec::new();
    for name in students {
        let id = scope.id(name);
        create_user(store, &id, &format!("Student {name}"), Role::Student).await;
        ids.push(id);
    }
    (teacher.id, ids)
}

/// Changes that only add these links.
fn adding(links: &[&Link]) -> RosterChanges {
    RosterChanges {
        added_links: links.iter().map(|&link| link.clone()).collect(),
        ..RosterChanges::default()
    }
}

/// Changes that only remove these links.
fn removing(links: &[&Link]) -> RosterChanges {
    RosterChanges {
        removed_links: links.iter().map(|&link| link.clone()).collect(),
        ..RosterChanges::default()
    }
}

/// Whether `link` is linked, failing the check on an error.
async fn linked(store: &dyn Store, link: &Link) -> bool {
    store
        .is_linked(link)
        .await
        .unwrap_or_else(|error| panic!("is_linked({link:?}) failed: {error}"))
}

/// This scope's links in `roster_state`.
async fn roster_links(store: &dyn Store, scope: &Scope) -> Vec<Link> {
    scoped(roster_state(store).await, scope).links
}

/// A link added by hand that `apply_roster` then adds stays one link, linked, and is the
/// roster's too (in `roster_state.links`). When the roster removes it, it stays linked
/// (by hand) and leaves `roster_state.links`; a link only the roster added is gone once
/// the roster removes it, and can then be added by hand.
pub async fn roster_links_merge_with_links_added_by_hand(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (teacher, students) = people(&*store, &scope, &["s-hand", "s-roster"]).await;
    let by_hand = link(&teacher, &students[0]);
    let roster_only = link(&teacher, &students[1]);
    store.add_link(&by_hand).await.expect("add_link failed");

    apply(&*store, &adding(&[&by_hand, &roster_only])).await;
    assert_eq!(
        scoped_links(&*store, &scope).await,
        vec![by_hand.clone(), roster_only.clone()],
        "apply_roster adding a link that exists by hand must not duplicate it"
    );
    assert!(
        linked(&*store, &by_hand).await,
        "a link by hand the roster also adds must stay linked"
    );
    assert!(linked(&*store, &roster_only).await);
    assert_eq!(
        roster_links(&*store, &scope).await,
        vec![by_hand.clone(), roster_only.clone()],
        "a link by hand the roster adds must count as the roster's too in roster_state"
    );

    apply(&*store, &removing(&[&by_hand, &roster_only])).await;
    assert!(
        linked(&*store, &by_hand).await,
        "a link also added by hand must stay linked when the roster removes it"
    );
    assert!(
        !linked(&*store, &roster_only).await,
        "a link only the roster added must be gone once the roster removes it"
    );
    assert_eq!(
        roster_links(&*store, &scope).await,
        Vec::<Link>::new(),
        "links the roster removed must leave roster_state.links"
    );
    assert_eq!(
        store.list_links(Some(&teacher)).await.unwrap(),
        vec![by_hand.clone()],
        "after the roster removed both, only the link by hand must be listed"
    );

    // Still a link by hand: the roster taking it up and dropping it again leaves it.
    apply(&*store, &adding(&[&by_hand])).await;
    apply(&*store, &removing(&[&by_hand])).await;
    assert!(
        linked(&*store, &by_hand).await,
        "a link by hand must survive the roster adding and removing it again"
    );
    store
        .add_link(&roster_only)
        .await
        .expect("add_link of a link the roster removed must succeed");
    assert!(linked(&*store, &roster_only).await);
}

/// `remove_link` removes a roster link entirely, whether only the roster added it or it
/// was also added by hand: no longer linked, out of `roster_state.links`, and a second
/// `remove_link` finds nothing. A later import deriving it again makes it the roster's
/// alone, so the roster removing it then ends it.
pub async fn remove_link_removes_roster_links_entirely(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (teacher, students) = people(&*store, &scope, &["s-both", "s-kept", "s-only"]).await;
    let both = link(&teacher, &students[0]);
    let kept = link(&teacher, &students[1]);
    let only = link(&teacher, &students[2]);
    store.add_link(&both).await.expect("add_link failed");
    apply(&*store, &adding(&[&both, &kept, &only])).await;

    for gone in [&only, &both] {
        assert!(
            store.remove_link(gone).await.expect("remove_link failed"),
            "remove_link of a roster link must report that it existed: {gone:?}"
        );
        assert!(
            !linked(&*store, gone).await,
            "remove_link must remove a roster link entirely, by hand or not: {gone:?}"
        );
    }
    assert_eq!(
        roster_links(&*store, &scope).await,
        vec![kept.clone()],
        "a roster link removed with remove_link must leave roster_state.links"
    );
    assert_eq!(
        store.list_links(Some(&teacher)).await.unwrap(),
        vec![kept.clone()],
        "a roster link removed with remove_link must no longer be listed"
    );
    assert!(
        !store.remove_link(&both).await.unwrap(),
        "removing a removed roster link again must return false"
    );

    apply(&*store, &adding(&[&both, &only])).await;
    assert!(
        linked(&*store, &both).await && linked(&*store, &only).await,
        "a later import must be able to derive a removed roster link again"
    );
    assert_eq!(
        roster_links(&*store, &scope).await,
        vec![both.clone(), kept.clone(), only.clone()]
    );
    apply(&*store, &removing(&[&both, &only])).await;
    assert!(
        !linked(&*store, &both).await,
        "remove_link must forget that a link was added by hand: derived again and removed \
         by the roster, it must be gone"
    );
    assert!(!linked(&*store, &only).await);
    assert_eq!(roster_links(&*store, &scope).await, vec![kept]);
}

/// `add_link` of a link only the roster added is a [`StoreError::Conflict`] and changes
/// nothing: still linked, once, and still the roster's alone (the roster removing it ends
/// it).
pub async fn add_link_of_a_roster_link_conflicts(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (teacher, students) = people(&*store, &scope, &["s"]).await;
    let roster_link = link(&teacher, &students[0]);
    apply(&*store, &adding(&[&roster_link])).await;

    let result = store.add_link(&roster_link).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "add_link of a link the roster added must be StoreError::Conflict, got {result:?}"
    );
    assert!(
        linked(&*store, &roster_link).await,
        "a conflicting add_link must keep the roster link"
    );
    assert_eq!(
        store.list_links(Some(&teacher)).await.unwrap(),
        vec![roster_link.clone()],
        "a conflicting add_link must not duplicate the roster link"
    );
    assert_eq!(
        roster_links(&*store, &scope).await,
        vec![roster_link.clone()],
        "a conflicting add_link must leave the link the roster's"
    );

    apply(&*store, &removing(&[&roster_link])).await;
    assert!(
        !linked(&*store, &roster_link).await,
        "a conflicting add_link must not mark a roster link as added by hand: the roster \
         removing it must end it"
    );
}
