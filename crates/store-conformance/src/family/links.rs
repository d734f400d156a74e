//! Family links: [`Store::family_links`], derived from guardian links and teacher links.

use super::{add_guardian, family_link, family_links, guardian_link, sorted};
use crate::fixtures::{Scope, create_user, link};
use classchat_core::store::{FamilyLink, Link, Store};
use classchat_core::user::{Role, User};
use std::sync::Arc;

/// The teacher link of `teacher` and `student`.
fn teacher_link(teacher: &User, student: &User) -> Link {
    Link {
        teacher: teacher.id.clone(),
        student: student.id.clone(),
    }
}

/// A family link for each child a guardian and a teacher share (two children taught by one
/// teacher make two), listed from the guardian's side and from the teacher's, sorted;
/// nothing for a student, a teacher of other children, or a stranger.
pub async fn family_links_pair_guardians_with_their_childrens_teachers(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let guardian = create_user(&*store, &scope.id("g"), "Gwen Guardian", Role::Guardian).await;
    let a = create_user(&*store, &scope.id("a"), "Ann", Role::Student).await;
    let b = create_user(&*store, &scope.id("b"), "Bo", Role::Student).await;
    let c = create_user(&*store, &scope.id("c"), "Cy", Role::Student).await;
    let t = create_user(&*store, &scope.id("t"), "Tess Teacher", Role::Teacher).await;
    let u = create_user(&*store, &scope.id("u"), "Uma Teacher", Role::Teacher).await;
    let v = create_user(&*store, &scope.id("v"), "Vic Teacher", Role::Teacher).await;
    add_guardian(&*store, &guardian, &a).await;
    add_guardian(&*store, &guardian, &b).await;
    for (teacher, student) in [(&t, &a), (&t, &b), (&u, &a), (&u, &c), (&v, &c)] {
        link(&*store, teacher, student).await;
    }

    assert_eq!(
        family_links(&*store, &guardian.id).await,
        sorted(vec![
            family_link(&guardian, &t, &a),
            family_link(&guardian, &t, &b),
            family_link(&guardian, &u, &a),
        ]),
        "a guardian has a family link per (teacher, child) of their children's teacher \
         links, sorted"
    );
    assert_eq!(
        family_links(&*store, &t.id).await,
        sorted(vec![
            family_link(&guardian, &t, &a),
            family_link(&guardian, &t, &b),
        ]),
        "a teacher of two children of one guardian has two family links with them"
    );
    assert_eq!(
        family_links(&*store, &u.id).await,
        vec![family_link(&guardian, &u, &a)],
        "a teacher's family links come only from students who have a guardian"
    );
    for (nobody, what) in [
        (&v.id, "a teacher of children without guardians"),
        (&a.id, "a student"),
        (&scope.id("stranger"), "a user who does not exist"),
    ] {
        assert_eq!(
            family_links(&*store, nobody).await,
            Vec::<FamilyLink>::new(),
            "{what} has no family links"
        );
    }
}

/// Two guardians of one child each have their own family link with the child's teacher,
/// and removing one guardian leaves the other's.
pub async fn each_guardian_of_a_child_has_their_own_family_links(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let g = create_user(&*store, &scope.id("g"), "Gwen Guardian", Role::Guardian).await;
    let h = create_user(&*store, &scope.id("h"), "Hal Guardian", Role::Guardian).await;
    let a = create_user(&*store, &scope.id("a"), "Ann", Role::Student).await;
    let t = create_user(&*store, &scope.id("t"), "Tess Teacher", Role::Teacher).await;
    link(&*store, &t, &a).await;
    add_guardian(&*store, &g, &a).await;
    add_guardian(&*store, &h, &a).await;

    assert_eq!(
        family_links(&*store, &g.id).await,
        vec![family_link(&g, &t, &a)]
    );
    assert_eq!(
        family_links(&*store, &h.id).await,
        vec![family_link(&h, &t, &a)],
        "the second guardian has a family link of their own"
    );
    assert_eq!(
        family_links(&*store, &t.id).await,
        sorted(vec![family_link(&g, &t, &a), family_link(&h, &t, &a)]),
        "the teacher has one family link per guardian of the child"
    );

    assert!(store.remove_guardian(&guardian_link(&h, &a)).await.unwrap());
    assert_eq!(
        family_links(&*store, &h.id).await,
        Vec::<FamilyLink>::new(),
        "a removed guardian has no family links left"
    );
    assert_eq!(
        family_links(&*store, &t.id).await,
        vec![family_link(&g, &t, &a)],
        "removing one guardian leaves the other's family link"
    );
}

/// A family link is gone as soon as either link under it is (the teacher's link to the
/// child, or the guardian's), and back when that link is added again.
pub async fn family_links_end_with_either_link(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let g = create_user(&*store, &scope.id("g"), "Gwen Guardian", Role::Guardian).await;
    let a = create_user(&*store, &scope.id("a"), "Ann", Role::Student).await;
    let b = create_user(&*store, &scope.id("b"), "Bo", Role::Student).await;
    let t = create_user(&*store, &scope.id("t"), "Tess Teacher", Role::Teacher).await;
    for child in [&a, &b] {
        link(&*store, &t, child).await;
        add_guardian(&*store, &g, child).await;
    }

    assert!(store.remove_link(&teacher_link(&t, &a)).await.unwrap());
    for user in [&g, &t] {
        assert_eq!(
            family_links(&*store, &user.id).await,
            vec![family_link(&g, &t, &b)],
            "without the teacher's link to the child, {} keeps only the other child's \
             family link",
            user.id
        );
    }

    assert!(store.remove_guardian(&guardian_link(&g, &b)).await.unwrap());
    for user in [&g, &t] {
        assert_eq!(
            family_links(&*store, &user.id).await,
            Vec::<FamilyLink>::new(),
            "without the guardian link, {} has no family link left",
            user.id
        );
    }

    store.add_link(&teacher_link(&t, &a)).await.unwrap();
    assert_eq!(
        family_links(&*store, &g.id).await,
        vec![family_link(&g, &t, &a)],
        "adding the teacher's link again brings the family link back"
    );
    add_guardian(&*store, &g, &b).await;
    assert_eq!(
        family_links(&*store, &t.id).await,
        sorted(vec![family_link(&g, &t, &a), family_link(&g, &t, &b)]),
        "adding the guardian link again brings the family link back"
    );
}
