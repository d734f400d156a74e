//! Roster imports in the store: [`Store::roster_state`] and [`Store::apply_roster`].
//!
//! What `roster_state` lists after `apply_roster` is checked here; changed accounts and
//! classes, and conflicts, in `accounts`; how roster links live alongside links added by
//! hand in `links`, and roster guardian links alongside guardian links by hand in
//! `guardians`; and planning an import against the store in `replan`.
//! Every read of the roster state also checks that it is sorted as [`RosterState`] states.

mod accounts;
mod guardians;
mod links;
mod replan;

pub use accounts::{
    apply_roster_creating_a_taken_user_id_conflicts, apply_roster_replaces_and_deletes_classes,
    apply_roster_updates_accounts_as_their_patch_says,
};
pub use guardians::{
    apply_roster_adds_guardian_links_that_family_links_follow,
    remove_guardian_removes_roster_guardian_links_entirely,
    roster_guardian_links_merge_with_guardian_links_by_hand,
};
pub use links::{
    add_link_of_a_roster_link_conflicts, remove_link_removes_roster_links_entirely,
    roster_links_merge_with_links_added_by_hand,
};
pub use replan::replanning_an_applied_import_changes_nothing;

use crate::fixtures::{Scope, create_user};
use classchat_core::UserId;
use classchat_core::roster::{Class, RosterAccount};
use classchat_core::store::{Link, RosterChanges, RosterState, Side, Store};
use classchat_core::user::{DisplayName, Role, User, UserRecord};
use std::sync::Arc;

/// The roster account of the person `<prefix>-<key>`, with the userId `<prefix>-<name>`
/// and the display name `User <name>`, enabled.
pub(crate) fn account(scope: &Scope, key: &str, name: &str, role: Role) -> RosterAccount {
    RosterAccount {
        sourced_id: scope.sourced_id(key),
        user: User {
            id: scope.id(name),
            display_name: display_name(&format!("User {name}")),
            role,
            disabled: false,
        },
    }
}

/// `account`, disabled.
pub(crate) fn disabled(mut account: RosterAccount) -> RosterAccount {
    account.user.disabled = true;
    account
}

/// A display name the checks know to be valid.
pub(crate) fn display_name(name: &str) -> DisplayName {
    DisplayName::parse(name).expect("test display names are valid")
}

/// The class `<prefix>-<key>` with these members, sorted as a [`Class`] keeps them.
pub(crate) fn class(
    scope: &Scope,
    key: &str,
    title: &str,
    teachers: &[&User],
    students: &[&User],
) -> Class {
    let ids = |users: &[&User]| {
        let mut ids: Vec<UserId> = users.iter().map(|user| user.id.clone()).collect();
        ids.sort();
        ids
    };
    Class {
        sourced_id: scope.sourced_id(key),
        title: title.to_owned(),
        teachers: ids(teachers),
        students: ids(students),
    }
}

/// The link between `teacher` and `student`.
pub(crate) fn link(teacher: &UserId, student: &UserId) -> Link {
    Link {
        teacher: teacher.clone(),
        student: student.clone(),
    }
}

/// Applies changes that must apply.
pub(crate) async fn apply(store: &dyn Store, changes: &RosterChanges) {
    store
        .apply_roster(changes)
        .await
        .unwrap_or_else(|error| panic!("apply_roster({}) failed: {error}", changes.summary()));
}

/// The whole roster state, checked to be sorted as [`RosterState`] states.
pub(crate) async fn roster_state(store: &dyn Store) -> RosterState {
    let state = store
        .roster_state()
        .await
        .unwrap_or_else(|error| panic!("roster_state failed: {error}"));
    let classes = store
        .classes()
        .await
        .unwrap_or_else(|error| panic!("classes failed: {error}"));
    assert_eq!(
        classes, state.classes,
        "classes must list exactly roster_state's classes, in the same order"
    );
    for pair in state.accounts.windows(2) {
        assert!(
            pair[0].sourced_id < pair[1].sourced_id,
            "roster_state must list accounts in sourcedId order without duplicates, got {} \
             before {}",
            pair[0].sourced_id,
            pair[1].sourced_id
        );
    }
    for pair in state.classes.windows(2) {
        assert!(
            pair[0].sourced_id < pair[1].sourced_id,
            "roster_state must list classes in sourcedId order without duplicates, got {} \
             before {}",
            pair[0].sourced_id,
            pair[1].sourced_id
        );
    }
    for class in &state.classes {
        for members in [&class.teachers, &class.students] {
            assert!(
                members.windows(2).all(|pair| pair[0] < pair[1]),
                "roster_state must list the members of class {} sorted, got {members:?}",
                class.sourced_id
            );
        }
    }
    for pair in state.links.windows(2) {
        assert!(
            pair[0] < pair[1],
            "roster_state must list links sorted without duplicates, got {:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    for pair in state.guardians.windows(2) {
        assert!(
            pair[0] < pair[1],
            "roster_state must list guardian links sorted without duplicates, got {:?} \
             before {:?}",
            pair[0],
            pair[1]
        );
    }
    state
}

/// The part of `state` that belongs to `scope`.
pub(crate) fn scoped(state: RosterState, scope: &Scope) -> RosterState {
    RosterState {
        accounts: (state.accounts.into_iter())
            .filter(|account| scope.owns_key(account.sourced_id.as_str()))
            .collect(),
        classes: (state.classes.into_iter())
            .filter(|class| scope.owns_key(class.sourced_id.as_str()))
            .collect(),
        links: (state.links.into_iter())
            .filter(|link| scope.owns(&link.teacher) || scope.owns(&link.student))
            .collect(),
        guardians: (state.guardians.into_iter())
            .filter(|link| scope.owns(&link.guardian) || scope.owns(&link.student))
            .collect(),
    }
}

/// The links of this scope, as `list_links` has them.
pub(crate) async fn scoped_links(store: &dyn Store, scope: &Scope) -> Vec<Link> {
    let all = store.list_links(None).await.expect("list_links failed");
    all.into_iter()
        .filter(|link| scope.owns(&link.teacher) || scope.owns(&link.student))
        .collect()
}

/// The users of this scope, optionally of one role, as `list_users` has them.
pub(crate) async fn scoped_users(
    store: &dyn Store,
    scope: &Scope,
    role: Option<Role>,
) -> Vec<User> {
    let users = store
        .list_users(role, Some(&scope.floor()), 1_000)
        .await
        .expect("list_users failed");
    users
        .into_iter()
        .filter(|user| scope.owns(&user.id))
        .collect()
}

/// The peers `user` is linked to on `side`, as `linked_contacts` lists them.
async fn peers(store: &dyn Store, user: &UserId, side: Side) -> Vec<User> {
    let contacts = store
        .linked_contacts(user, side)
        .await
        .unwrap_or_else(|error| panic!("linked_contacts({user}) failed: {error}"));
    contacts.into_iter().map(|contact| contact.peer).collect()
}

/// `roster_state` of an empty store is empty. After `apply_roster` creates accounts,
/// classes and links (over two imports whose keys interleave), it lists exactly those —
/// not an account or link made by hand — accounts and classes in sourcedId order, class
/// members and links sorted. Created accounts read back with an empty password hash and
/// token version 0 and are listed by `list_users`; their links are seen by `is_linked`,
/// `list_links` and `linked_contacts`. Needs the fresh store the harness gives each check.
pub async fn roster_state_lists_what_apply_roster_created(store: Arc<dyn Store>) {
    let scope = Scope::new();
    assert_eq!(
        roster_state(&*store).await,
        RosterState::default(),
        "roster_state of an empty store must be empty"
    );

    let by_hand = create_user(&*store, &scope.id("t-hand"), "User t-hand", Role::Teacher).await;
    // sourcedId order (p1..p5) differs from userId order (a-, s-, t-).
    let ada = disabled(account(&scope, "p1", "t-ada", Role::Teacher));
    let cat = account(&scope, "p2", "s-cat", Role::Student);
    let bob = account(&scope, "p3", "t-bob", Role::Teacher);
    let ann = account(&scope, "p4", "s-ann", Role::Student);
    let eve = account(&scope, "p5", "a-eve", Role::Admin);
    let math = class(
        &scope,
        "c-math",
        "Math",
        &[&bob.user],
        &[&cat.user, &ann.user],
    );
    let art = class(
        &scope,
        "c-art",
        "Art",
        &[&bob.user, &ada.user],
        &[&cat.user],
    );
    let ada_cat = link(&ada.user.id, &cat.user.id);
    let bob_ann = link(&bob.user.id, &ann.user.id);
    let bob_cat = link(&bob.user.id, &cat.user.id);

    let first = RosterChanges {
        created_accounts: vec![cat.clone(), bob.clone(), ann.clone()],
        created_classes: vec![math.clone()],
        added_links: vec![bob_ann.clone(), bob_cat.clone()],
        ..RosterChanges::default()
    };
    apply(&*store, &first).await;
    let second = RosterChanges {
        created_accounts: vec![ada.clone(), eve.clone()],
        created_classes: vec![art.clone()],
        added_links: vec![ada_cat.clone()],
        ..RosterChanges::default()
    };
    apply(&*store, &second).await;
    let hand_ann = link(&by_hand.id, &ann.user.id);
    store.add_link(&hand_ann).await.expect("add_link failed");

    let expected = RosterState {
        accounts: vec![
            ada.clone(),
            cat.clone(),
            bob.clone(),
            ann.clone(),
            eve.clone(),
        ],
        classes: vec![art, math],
        links: vec![ada_cat.clone(), bob_ann.clone(), bob_cat.clone()],
        guardians: Vec::new(),
    };
    assert_eq!(
        roster_state(&*store).await,
        expected,
        "roster_state must list exactly the accounts, classes and links apply_roster created"
    );

    for account in &expected.accounts {
        let id = &account.user.id;
        assert_eq!(
            store.get_user(id).await.expect("get_user failed"),
            Some(UserRecord {
                user: account.user.clone(),
                password_hash: String::new(),
                token_version: 0,
            }),
            "an account apply_roster created must read back as given, with an empty password \
             hash and token version 0 ({id})"
        );
    }
    let everyone = [
        &eve.user, &ann.user, &cat.user, &ada.user, &bob.user, &by_hand,
    ];
    assert_eq!(
        scoped_users(&*store, &scope, None).await,
        everyone.map(Clone::clone).to_vec(),
        "list_users must list the accounts apply_roster created, in userId order"
    );
    assert_eq!(
        scoped_users(&*store, &scope, Some(Role::Student)).await,
        vec![ann.user.clone(), cat.user.clone()],
        "list_users(student) must list the students apply_roster created"
    );

    for roster_link in &expected.links {
        assert!(
            store
                .is_linked(roster_link)
                .await
                .expect("is_linked failed"),
            "a link apply_roster added must be linked: {roster_link:?}"
        );
    }
    assert_eq!(
        scoped_links(&*store, &scope).await,
        vec![
            ada_cat.clone(),
            bob_ann.clone(),
            bob_cat.clone(),
            hand_ann.clone()
        ],
        "list_links(None) must list roster links and links by hand together, sorted"
    );
    assert_eq!(
        store.list_links(Some(&cat.user.id)).await.unwrap(),
        vec![ada_cat, bob_cat],
        "list_links(student) must list the student's roster links"
    );
    assert_eq!(
        peers(&*store, &bob.user.id, Side::Teacher).await,
        vec![ann.user.clone(), cat.user.clone()],
        "linked_contacts(teacher) must list the students roster links give them"
    );
    assert_eq!(
        peers(&*store, &ann.user.id, Side::Student).await,
        vec![bob.user.clone(), by_hand.clone()],
        "linked_contacts(student) must list teachers by roster link and by hand"
    );
}
