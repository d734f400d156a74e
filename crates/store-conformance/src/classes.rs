//! Classes as their members read them: [`Store::class`] and [`Store::classes_of`] after
//! roster imports created, changed and deleted classes.

use crate::fixtures::Scope;
use crate::roster::{account, apply, class};
use classchat_core::UserId;
use classchat_core::roster::{Class, ClassChange, SourcedId};
use classchat_core::store::{RosterChanges, Store};
use classchat_core::user::Role;
use std::sync::Arc;

/// `class(id)`, which must not fail.
async fn read_class(store: &dyn Store, id: &SourcedId) -> Option<Class> {
    store
        .class(id)
        .await
        .unwrap_or_else(|error| panic!("class({id}) failed: {error}"))
}

/// `classes_of(user)`, which must not fail.
async fn classes_of(store: &dyn Store, user: &UserId) -> Vec<Class> {
    store
        .classes_of(user)
        .await
        .unwrap_or_else(|error| panic!("classes_of({user}) failed: {error}"))
}

/// After `apply_roster`, `class` reads a class as stored and `classes_of` lists the classes
/// each member teaches or takes, whole and in sourcedId order. An updated class is listed
/// by its new members only (someone removed from it no longer lists it); a deleted class
/// is gone from both; someone in no class lists none.
pub async fn classes_of_lists_the_classes_each_member_is_in(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let t1 = account(&scope, "p-t1", "t1", Role::Teacher);
    let t2 = account(&scope, "p-t2", "t2", Role::Teacher);
    let s1 = account(&scope, "p-s1", "s1", Role::Student);
    let s2 = account(&scope, "p-s2", "s2", Role::Student);
    let s3 = account(&scope, "p-s3", "s3", Role::Student);
    let none = account(&scope, "p-s4", "s4", Role::Student);
    let algebra = class(&scope, "c-a", "Algebra", &[&t1.user], &[&s2.user, &s1.user]);
    let biology = class(&scope, "c-b", "Biology", &[&t2.user], &[&s3.user, &s1.user]);
    let chemistry = class(
        &scope,
        "c-c",
        "Chemistry",
        &[&t2.user, &t1.user],
        &[&s1.user],
    );
    apply(
        &*store,
        &RosterChanges {
            created_accounts: vec![
                s1.clone(),
                s2.clone(),
                s3.clone(),
                none.clone(),
                t1.clone(),
                t2.clone(),
            ],
            created_classes: vec![algebra.clone(), biology.clone(), chemistry.clone()],
            ..RosterChanges::default()
        },
    )
    .await;

    assert_eq!(
        read_class(&*store, &algebra.sourced_id).await,
        Some(algebra.clone()),
        "class must read a class apply_roster created, its members sorted"
    );
    assert_eq!(
        read_class(&*store, &scope.sourced_id("c-none")).await,
        None,
        "class of a sourcedId no import created must be None"
    );
    let expect = |user: &UserId, classes: &[&Class], when: &str| {
        let user = user.clone();
        let classes: Vec<Class> = classes.iter().map(|class| (*class).clone()).collect();
        let store = Arc::clone(&store);
        let when = when.to_owned();
        async move {
            assert_eq!(
                classes_of(&*store, &user).await,
                classes,
                "{when}: classes_of({user}) must list exactly the classes {user} teaches or \
                 takes, whole, in sourcedId order"
            );
        }
    };
    let created = "after creating classes";
    expect(&s1.user.id, &[&algebra, &biology, &chemistry], created).await;
    expect(&s2.user.id, &[&algebra], created).await;
    expect(&t1.user.id, &[&algebra, &chemistry], created).await;
    expect(&t2.user.id, &[&biology, &chemistry], created).await;
    expect(&none.user.id, &[], created).await;

    // Algebra loses t1 and s1 and gains t2 and s3; Biology goes.
    let algebra_2 = class(
        &scope,
        "c-a",
        "Algebra II",
        &[&t2.user],
        &[&s2.user, &s3.user],
    );
    apply(
        &*store,
        &RosterChanges {
            updated_classes: vec![ClassChange {
                before: algebra,
                after: algebra_2.clone(),
            }],
            deleted_classes: vec![biology.clone()],
            ..RosterChanges::default()
        },
    )
    .await;
    assert_eq!(
        read_class(&*store, &biology.sourced_id).await,
        None,
        "class of a deleted class must be None"
    );
    assert_eq!(
        read_class(&*store, &algebra_2.sourced_id).await,
        Some(algebra_2.clone()),
        "class must read an updated class as it is now"
    );
    let changed = "after updating Algebra and deleting Biology";
    expect(&s1.user.id, &[&chemistry], changed).await;
    expect(&s2.user.id, &[&algebra_2], changed).await;
    expect(&s3.user.id, &[&algebra_2], changed).await;
    expect(&t1.user.id, &[&chemistry], changed).await;
    expect(&t2.user.id, &[&algebra_2, &chemistry], changed).await;

    apply(
        &*store,
        &RosterChanges {
            deleted_classes: vec![algebra_2, chemistry],
            ..RosterChanges::default()
        },
    )
    .await;
    let gone = "after deleting every class";
    for user in [&s1, &s2, &s3, &t1, &t2] {
        expect(&user.user.id, &[], gone).await;
    }
}
