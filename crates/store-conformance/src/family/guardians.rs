//! Guardian links: [`Store::add_guardian`], [`Store::remove_guardian`] and
//! [`Store::list_guardian_links`].

use super::guardian_link;
use crate::fixtures::{Scope, create_user};
use classchat_core::store::{GuardianLink, Link, Store, StoreError};
use classchat_core::user::{Role, User};
use std::sync::Arc;

/// A guardian `g` and a student `s` of a fresh scope.
async fn guardian_and_child(store: &dyn Store, scope: &Scope) -> (User, User) {
    let guardian = create_user(store, &scope.id("g"), "Gwen Guardian", Role::Guardian).await;
    let student = create_user(store, &scope.id("s"), "Sam Student", Role::Student).await;
    (guardian, student)
}

/// `list_guardian_links` lists one user's guardian links (as guardian or as child), or
/// every one, sorted (guardian, student); guardian links are no teacher links.
pub async fn list_guardian_links_by_user_and_all_sorted(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let mut users = Vec::new();
    for (name, role) in [
        ("g2", Role::Guardian),
        ("g1", Role::Guardian),
        ("s3", Role::Student),
        ("s1", Role::Student),
        ("s2", Role::Student),
        ("lonely", Role::Student),
    ] {
        users.push(create_user(&*store, &scope.id(name), &format!("User {name}"), role).await);
    }
    let find = |name: &str| {
        users
            .iter()
            .find(|user| user.id == scope.id(name))
            .expect("created")
    };
    let (g1, g2) = (find("g1"), find("g2"));
    let (s1, s2, s3) = (find("s1"), find("s2"), find("s3"));
    // Added out of order.
    for link in [
        guardian_link(g2, s1),
        guardian_link(g1, s3),
        guardian_link(g1, s1),
        guardian_link(g2, s2),
    ] {
        store
            .add_guardian(&link)
            .await
            .unwrap_or_else(|error| panic!("add_guardian({link:?}) failed: {error}"));
    }

    let of = |user: &User| {
        let store = Arc::clone(&store);
        let user = user.id.clone();
        async move { store.list_guardian_links(Some(&user)).await.unwrap() }
    };
    assert_eq!(
        of(g1).await,
        vec![guardian_link(g1, s1), guardian_link(g1, s3)],
        "list_guardian_links(guardian) must list the guardian's children, sorted"
    );
    assert_eq!(
        of(s1).await,
        vec![guardian_link(g1, s1), guardian_link(g2, s1)],
        "list_guardian_links(student) must list the student's guardians, sorted"
    );
    assert_eq!(of(s2).await, vec![guardian_link(g2, s2)]);
    assert_eq!(
        of(find("lonely")).await,
        Vec::<GuardianLink>::new(),
        "a user without guardian links has none"
    );
    assert_eq!(
        store.list_links(Some(&g1.id)).await.unwrap(),
        Vec::<Link>::new(),
        "a guardian link is not a teacher's link"
    );

    let all = store.list_guardian_links(None).await.unwrap();
    for pair in all.windows(2) {
        assert!(
            pair[0] < pair[1],
            "list_guardian_links(None) must be sorted by (guardian, student) without \
             duplicates, got {:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    let mine: Vec<GuardianLink> = all
        .into_iter()
        .filter(|link| scope.owns(&link.guardian) || scope.owns(&link.student))
        .collect();
    assert_eq!(
        mine,
        vec![
            guardian_link(g1, s1),
            guardian_link(g1, s3),
            guardian_link(g2, s1),
            guardian_link(g2, s2),
        ],
        "list_guardian_links(None) must include every guardian link"
    );
}

/// Adding a guardian link that exists is a [`StoreError::Conflict`] and leaves one link.
pub async fn add_guardian_twice_conflicts(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (guardian, student) = guardian_and_child(&*store, &scope).await;
    let link = guardian_link(&guardian, &student);
    store
        .add_guardian(&link)
        .await
        .expect("first add_guardian failed");
    let again = store.add_guardian(&link).await;
    assert!(
        matches!(again, Err(StoreError::Conflict(_))),
        "a second add_guardian of the same pair must be StoreError::Conflict, got {again:?}"
    );
    assert_eq!(
        store.list_guardian_links(Some(&guardian.id)).await.unwrap(),
        vec![link],
        "a conflicting add_guardian must keep the link, once"
    );
}

/// `remove_guardian` says whether the link existed and removes only it; a removed link
/// can be added again.
pub async fn remove_guardian_reports_whether_it_existed(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (guardian, student) = guardian_and_child(&*store, &scope).await;
    let sibling = create_user(&*store, &scope.id("s2"), "Sibling", Role::Student).await;
    let gone = guardian_link(&guardian, &student);
    let kept = guardian_link(&guardian, &sibling);
    store.add_guardian(&gone).await.unwrap();
    store.add_guardian(&kept).await.unwrap();

    assert!(
        store.remove_guardian(&gone).await.unwrap(),
        "remove_guardian of an existing link must return true"
    );
    assert!(
        !store.remove_guardian(&gone).await.unwrap(),
        "removing the same guardian link again must return false"
    );
    let never = GuardianLink {
        guardian: guardian.id.clone(),
        student: scope.id("nobody"),
    };
    assert!(
        !store.remove_guardian(&never).await.unwrap(),
        "remove_guardian of a link that never existed must return false"
    );
    assert_eq!(
        store.list_guardian_links(Some(&guardian.id)).await.unwrap(),
        vec![kept.clone()],
        "remove_guardian must remove that link and no other"
    );
    assert_eq!(
        store.list_guardian_links(Some(&student.id)).await.unwrap(),
        Vec::<GuardianLink>::new(),
        "a removed guardian link is gone from the child's side too"
    );

    store
        .add_guardian(&gone)
        .await
        .expect("re-adding a removed guardian link must succeed");
    assert_eq!(
        store.list_guardian_links(Some(&guardian.id)).await.unwrap(),
        vec![gone, kept]
    );
}
