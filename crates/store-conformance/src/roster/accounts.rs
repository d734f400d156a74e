//! Accounts and classes an import changes, and an import colliding with an account made
//! by hand.

use super::{
    account, apply, class, disabled, display_name, link, roster_state, scoped, scoped_users,
};
use crate::fixtures::{Scope, record};
use classchat_core::roster::{AccountChange, ClassChange, RosterAccount};
use classchat_core::store::{RosterChanges, Store, StoreError, UserPatch};
use classchat_core::user::{Role, User, UserRecord};
use std::sync::Arc;

/// An account change in `apply_roster` changes the user exactly as
/// `AccountChange::patch()` says: name, role and disabled flag as `after` has them, the
/// password hash as it is, the token version one up when the account is disabled or its
/// role changes (once, even with other changes), unchanged otherwise.
pub async fn apply_roster_updates_accounts_as_their_patch_says(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let renamed = account(&scope, "p1", "s-renamed", Role::Student);
    let promoted = account(&scope, "p2", "t-promoted", Role::Teacher);
    let off = account(&scope, "p3", "s-off", Role::Student);
    let on = disabled(account(&scope, "p4", "s-on", Role::Student));
    let both = account(&scope, "p5", "t-both", Role::Teacher);
    let kept = account(&scope, "p6", "s-kept", Role::Student);
    let created = vec![renamed, promoted, off, on, both, kept.clone()];
    apply(
        &*store,
        &RosterChanges {
            created_accounts: created.clone(),
            ..RosterChanges::default()
        },
    )
    .await;
    // One owner set a password and signed out everywhere since.
    let owner_hash = "$argon2id$set-by-the-owner".to_owned();
    let signed_out = UserPatch {
        password_hash: Some(owner_hash.clone()),
        revoke_tokens: true,
        ..UserPatch::default()
    };
    store
        .update_user(&created[2].user.id, &signed_out)
        .await
        .expect("update_user failed");

    let change = |account: &RosterAccount, edit: &dyn Fn(&mut User)| {
        let mut after = account.user.clone();
        edit(&mut after);
        AccountChange {
            sourced_id: account.sourced_id.clone(),
            before: account.user.clone(),
            after,
        }
    };
    let changes = vec![
        change(&created[0], &|user| {
            user.display_name = display_name("Renamed")
        }),
        change(&created[1], &|user| user.role = Role::Admin),
        change(&created[2], &|user| user.disabled = true),
        change(&created[3], &|user| user.disabled = false),
        change(&created[4], &|user| {
            user.display_name = display_name("Both Changed");
            user.disabled = true;
        }),
    ];
    apply(
        &*store,
        &RosterChanges {
            updated_accounts: changes.clone(),
            ..RosterChanges::default()
        },
    )
    .await;

    // (password hash, token version) each account must have now.
    let expected = [("", 0), ("", 1), (owner_hash.as_str(), 2), ("", 0), ("", 1)];
    for (change, (hash, version)) in changes.iter().zip(expected) {
        let id = &change.after.id;
        assert_eq!(
            store.get_user(id).await.expect("get_user failed"),
            Some(UserRecord {
                user: change.after.clone(),
                password_hash: hash.to_owned(),
                token_version: version,
            }),
            "apply_roster must change {id} exactly as AccountChange::patch() says: {:?}",
            change.patch()
        );
    }
    assert_eq!(
        store.get_user(&kept.user.id).await.unwrap(),
        Some(record_of(&kept.user, "", 0)),
        "apply_roster must not touch an account it does not change"
    );
    let mut now: Vec<RosterAccount> = changes
        .iter()
        .map(|change| RosterAccount {
            sourced_id: change.sourced_id.clone(),
            user: change.after.clone(),
        })
        .collect();
    now.push(kept);
    assert_eq!(
        scoped(roster_state(&*store).await, &scope).accounts,
        now,
        "roster_state must list the accounts as they are after apply_roster changed them"
    );
    assert_eq!(
        scoped_users(&*store, &scope, Some(Role::Admin)).await,
        vec![changes[1].after.clone()],
        "list_users(admin) must list an account whose role apply_roster changed to admin"
    );
}

/// The record `user` must be stored as.
fn record_of(user: &User, hash: &str, token_version: u64) -> UserRecord {
    UserRecord {
        user: user.clone(),
        password_hash: hash.to_owned(),
        token_version,
    }
}

/// In `apply_roster`, an updated class replaces the stored one whole (title and members,
/// nothing merged, possibly emptied), a deleted class is gone, and neither touches other
/// classes or the accounts.
pub async fn apply_roster_replaces_and_deletes_classes(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let t1 = account(&scope, "p-t1", "t1", Role::Teacher);
    let t2 = account(&scope, "p-t2", "t2", Role::Teacher);
    let s1 = account(&scope, "p-s1", "s1", Role::Student);
    let s2 = account(&scope, "p-s2", "s2", Role::Student);
    let s3 = account(&scope, "p-s3", "s3", Role::Student);
    let algebra = class(&scope, "c-a", "Algebra", &[&t1.user], &[&s1.user, &s2.user]);
    let biology = class(&scope, "c-b", "Biology", &[&t2.user], &[&s3.user]);
    let chemistry = class(
        &scope,
        "c-c",
        "Chemistry",
        &[&t1.user, &t2.user],
        &[&s1.user],
    );
    // In sourcedId order, as a plan lists them.
    let accounts = vec![s1.clone(), s2.clone(), s3.clone(), t1.clone(), t2.clone()];
    apply(
        &*store,
        &RosterChanges {
            created_accounts: accounts.clone(),
            created_classes: vec![algebra.clone(), biology.clone(), chemistry.clone()],
            ..RosterChanges::default()
        },
    )
    .await;

    let algebra_2 = class(
        &scope,
        "c-a",
        "Algebra II",
        &[&t2.user],
        &[&s2.user, &s3.user],
    );
    let chemistry_2 = class(&scope, "c-c", "Chemistry", &[], &[]);
    apply(
        &*store,
        &RosterChanges {
            updated_classes: vec![
                ClassChange {
                    before: algebra,
                    after: algebra_2.clone(),
                },
                ClassChange {
                    before: chemistry,
                    after: chemistry_2.clone(),
                },
            ],
            deleted_classes: vec![biology],
            ..RosterChanges::default()
        },
    )
    .await;
    let state = scoped(roster_state(&*store).await, &scope);
    assert_eq!(
        state.classes,
        vec![algebra_2.clone(), chemistry_2.clone()],
        "apply_roster must replace an updated class whole and remove a deleted one"
    );
    assert_eq!(
        state.accounts, accounts,
        "changing classes must not change the roster's accounts"
    );

    apply(
        &*store,
        &RosterChanges {
            deleted_classes: vec![algebra_2],
            ..RosterChanges::default()
        },
    )
    .await;
    assert_eq!(
        scoped(roster_state(&*store).await, &scope).classes,
        vec![chemistry_2],
        "apply_roster must remove a deleted class and keep the others"
    );
}

/// `apply_roster` creating an account whose userId is taken (by an account made by hand)
/// fails with [`StoreError::Conflict`] and leaves that account as it was. (Only that: a
/// store applying in steps may have written other changes.)
pub async fn apply_roster_creating_a_taken_user_id_conflicts(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let existing = record(&scope.id("s-taken"), "Made By Hand", Role::Student);
    store
        .create_user(&existing)
        .await
        .expect("create_user failed");
    let teacher = account(&scope, "p1", "t-new", Role::Teacher);
    let mut clash = account(&scope, "p2", "s-taken", Role::Teacher);
    clash.user.display_name = display_name("From The Roster");
    let fresh = account(&scope, "p3", "s-fresh", Role::Student);
    let changes = RosterChanges {
        created_accounts: vec![teacher.clone(), clash.clone(), fresh.clone()],
        created_classes: vec![class(
            &scope,
            "c",
            "Class",
            &[&teacher.user],
            &[&clash.user, &fresh.user],
        )],
        added_links: vec![
            link(&teacher.user.id, &fresh.user.id),
            link(&teacher.user.id, &clash.user.id),
        ],
        ..RosterChanges::default()
    };
    let result = store.apply_roster(&changes).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "apply_roster creating an account whose userId exists must be StoreError::Conflict, \
         got {result:?}"
    );
    assert_eq!(
        store.get_user(&existing.user.id).await.unwrap(),
        Some(existing),
        "a conflicting apply_roster must leave the existing account untouched"
    );
}
