//! Links between teachers and students.

use crate::fixtures::{Scope, create_user};
use classchat_core::store::{Link, Store, StoreError};
use classchat_core::user::{Role, User};
use std::sync::Arc;

fn link_of(teacher: &User, student: &User) -> Link {
    Link {
        teacher: teacher.id.clone(),
        student: student.id.clone(),
    }
}

async fn users(store: &dyn Store, scope: &Scope, names: &[(&str, Role)]) -> Vec<User> {
    let mut created = Vec::new();
    for (name, role) in names {
        created.push(create_user(store, &scope.id(name), &format!("User {name}"), *role).await);
    }
    created
}

/// After `add_link`, `is_linked` is true for exactly that (teacher, student) pair.
pub async fn add_link_then_is_linked(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let [teacher, s1, s2] = <[User; 3]>::try_from(
        users(
            &*store,
            &scope,
            &[
                ("t", Role::Teacher),
                ("s1", Role::Student),
                ("s2", Role::Student),
            ],
        )
        .await,
    )
    .unwrap();
    let link = link_of(&teacher, &s1);
    assert!(
        !store.is_linked(&link).await.unwrap(),
        "is_linked must be false before add_link"
    );
    store.add_link(&link).await.expect("add_link failed");
    assert!(
        store.is_linked(&link).await.unwrap(),
        "is_linked must be true after add_link"
    );
    assert!(
        !store.is_linked(&link_of(&teacher, &s2)).await.unwrap(),
        "linking one student must not link another"
    );
    let reversed = Link {
        teacher: s1.id.clone(),
        student: teacher.id.clone(),
    };
    assert!(
        !store.is_linked(&reversed).await.unwrap(),
        "is_linked must respect which side is the teacher"
    );
}

/// Adding a link that exists is a [`StoreError::Conflict`] and leaves one link.
pub async fn add_link_twice_conflicts(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let created = users(
        &*store,
        &scope,
        &[("t", Role::Teacher), ("s", Role::Student)],
    )
    .await;
    let link = link_of(&created[0], &created[1]);
    store.add_link(&link).await.expect("first add_link failed");
    let again = store.add_link(&link).await;
    assert!(
        matches!(again, Err(StoreError::Conflict(_))),
        "a second add_link of the same pair must be StoreError::Conflict, got {again:?}"
    );
    assert!(
        store.is_linked(&link).await.unwrap(),
        "a conflicting add_link must keep the link"
    );
    assert_eq!(
        store.list_links(Some(&created[0].id)).await.unwrap(),
        vec![link],
        "a conflicting add_link must not duplicate the link"
    );
}

/// `remove_link` says whether the link existed and removes only it.
pub async fn remove_link_reports_whether_it_existed(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let created = users(
        &*store,
        &scope,
        &[
            ("t", Role::Teacher),
            ("s1", Role::Student),
            ("s2", Role::Student),
        ],
    )
    .await;
    let (teacher, s1, s2) = (&created[0], &created[1], &created[2]);
    let gone = link_of(teacher, s1);
    let kept = link_of(teacher, s2);
    store.add_link(&gone).await.unwrap();
    store.add_link(&kept).await.unwrap();

    assert!(
        store.remove_link(&gone).await.unwrap(),
        "remove_link of an existing link must return true"
    );
    assert!(
        !store.is_linked(&gone).await.unwrap(),
        "a removed link must no longer be linked"
    );
    assert!(
        !store.remove_link(&gone).await.unwrap(),
        "removing the same link again must return false"
    );
    let never = Link {
        teacher: teacher.id.clone(),
        student: scope.id("nobody"),
    };
    assert!(
        !store.remove_link(&never).await.unwrap(),
        "remove_link of a link that never existed must return false"
    );
    assert!(
        store.is_linked(&kept).await.unwrap(),
        "remove_link must not touch other links"
    );
    assert_eq!(
        store.list_links(Some(&teacher.id)).await.unwrap(),
        vec![kept]
    );

    // A removed link can be added again.
    store
        .add_link(&gone)
        .await
        .expect("re-adding a removed link must succeed");
    assert!(store.is_linked(&gone).await.unwrap());
}

/// `list_links` returns one user's links (from either side) or all links, sorted by
/// (teacher, student).
pub async fn list_links_by_user_and_all_sorted(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let created = users(
        &*store,
        &scope,
        &[
            ("t2", Role::Teacher),
            ("t1", Role::Teacher),
            ("s3", Role::Student),
            ("s1", Role::Student),
            ("s2", Role::Student),
            ("lonely", Role::Student),
        ],
    )
    .await;
    let find = |name: &str| {
        created
            .iter()
            .find(|u| u.id == scope.id(name))
            .expect("created")
    };
    let (t1, t2) = (find("t1"), find("t2"));
    let (s1, s2, s3) = (find("s1"), find("s2"), find("s3"));
    // Added out of order.
    for link in [
        link_of(t2, s1),
        link_of(t1, s3),
        link_of(t1, s1),
        link_of(t2, s2),
    ] {
        store.add_link(&link).await.unwrap();
    }

    assert_eq!(
        store.list_links(Some(&t1.id)).await.unwrap(),
        vec![link_of(t1, s1), link_of(t1, s3)],
        "list_links(teacher) must list the teacher's links sorted"
    );
    assert_eq!(
        store.list_links(Some(&s1.id)).await.unwrap(),
        vec![link_of(t1, s1), link_of(t2, s1)],
        "list_links(student) must list the student's links sorted"
    );
    assert_eq!(
        store.list_links(Some(&s2.id)).await.unwrap(),
        vec![link_of(t2, s2)]
    );
    assert_eq!(
        store.list_links(Some(&find("lonely").id)).await.unwrap(),
        Vec::<Link>::new(),
        "a user without links has none"
    );

    let all = store.list_links(None).await.unwrap();
    for pair in all.windows(2) {
        assert!(
            pair[0] < pair[1],
            "list_links(None) must be sorted by (teacher, student) without duplicates, got {:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    let mine: Vec<Link> = all
        .into_iter()
        .filter(|link| scope.owns(&link.teacher) || scope.owns(&link.student))
        .collect();
    assert_eq!(
        mine,
        vec![
            link_of(t1, s1),
            link_of(t1, s3),
            link_of(t2, s1),
            link_of(t2, s2)
        ],
        "list_links(None) must include every link"
    );
}
