//! The rules of `update_user`: nobody disables or demotes themselves (the operator may),
//! a role changes only while the user has no links, and a change that alters what a
//! session may do (disabling, a new role) ends the user's sessions.

use super::School;
use crate::error::ErrorCode;
use crate::hub::Revocation;
use crate::service::{Actor, UserChanges};
use crate::store::Store;
use crate::user::{Role, User};

fn changes<'a>(role: Option<&'a str>, disabled: Option<bool>) -> UserChanges<'a> {
    UserChanges {
        role,
        disabled,
        ..UserChanges::default()
    }
}

async fn school() -> (School, User, User, User) {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let t1 = school.user("t1", Role::Teacher).await;
    let s1 = school.user("s1", Role::Student).await;
    school.link(&t1, &s1).await;
    (school, a1, t1, s1)
}

async fn token_version(school: &School, user: &User) -> u64 {
    school
        .store
        .get_user(&user.id)
        .await
        .unwrap()
        .unwrap()
        .token_version
}

#[tokio::test]
async fn an_admin_may_not_disable_or_demote_themselves() {
    let (school, a1, _, _) = school().await;
    for change in [
        changes(None, Some(true)),
        changes(Some("teacher"), None),
        changes(Some("student"), Some(false)),
    ] {
        let refused = school
            .service
            .update_user(Actor::User(&a1), "a1", change)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Conflict, "{change:?}");
    }
    let me = school.store.get_user(&a1.id).await.unwrap().unwrap();
    assert_eq!((me.user.role, me.user.disabled), (Role::Admin, false));
    assert!(school.store.audit_log().await.is_empty());
}

#[tokio::test]
async fn an_admin_may_rename_themselves_and_keep_their_role() {
    let (school, a1, _, _) = school().await;
    let keep = UserChanges {
        display_name: Some("The Office"),
        role: Some("admin"),
        disabled: Some(false),
        ..UserChanges::default()
    };
    let me = school
        .service
        .update_user(Actor::User(&a1), "a1", keep)
        .await
        .unwrap();
    assert_eq!(me.display_name.as_str(), "The Office");
    assert_eq!(token_version(&school, &a1).await, 0, "nothing to end");
}

#[tokio::test]
async fn another_admin_or_the_operator_may_disable_or_demote_an_admin() {
    let (school, _, _, _) = school().await;
    let a2 = school.user("a2", Role::Admin).await;
    let demoted = school
        .service
        .update_user(Actor::User(&a2), "a1", changes(Some("teacher"), None))
        .await
        .unwrap();
    assert_eq!(demoted.role, Role::Teacher);
    let disabled = school
        .service
        .update_user(Actor::Operator, "a2", changes(None, Some(true)))
        .await
        .unwrap();
    assert!(disabled.disabled);
    let log = school.store.audit_log().await;
    assert_eq!(
        log.iter()
            .map(|entry| entry.actor.as_str())
            .collect::<Vec<_>>(),
        ["cli", "a2"]
    );
}

#[tokio::test]
async fn a_role_changes_only_once_the_user_has_no_links() {
    let (school, a1, t1, s1) = school().await;
    let admin = Actor::User(&a1);
    for (user, role) in [("t1", "student"), ("s1", "teacher"), ("s1", "admin")] {
        let refused = school
            .service
            .update_user(admin, user, changes(Some(role), None))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Conflict, "{user} -> {role}");
    }
    // The same role is no change, links or not.
    school
        .service
        .update_user(admin, "t1", changes(Some("teacher"), None))
        .await
        .unwrap();
    assert_eq!(token_version(&school, &t1).await, 0);
    school.unlink(&t1, &s1).await;
    let changed = school
        .service
        .update_user(admin, "t1", changes(Some("student"), None))
        .await
        .unwrap();
    assert_eq!(changed.role, Role::Student);
}

#[tokio::test]
async fn a_new_role_or_disabling_ends_the_users_sessions_and_re_enabling_does_not() {
    let (school, a1, t1, s1) = school().await;
    let admin = Actor::User(&a1);
    school.unlink(&t1, &s1).await;
    school
        .service
        .update_user(admin, "t1", changes(Some("admin"), None))
        .await
        .unwrap();
    school
        .service
        .update_user(admin, "s1", changes(None, Some(true)))
        .await
        .unwrap();
    school
        .service
        .update_user(admin, "s1", changes(None, Some(false)))
        .await
        .unwrap();
    let revoked = school.hub.revoked.lock().unwrap().clone();
    let revoked: Vec<(&str, Revocation)> = revoked
        .iter()
        .map(|(id, why)| (id.as_str(), *why))
        .collect();
    assert_eq!(
        revoked,
        [
            ("t1", Revocation::RoleChanged),
            ("s1", Revocation::Disabled)
        ]
    );
    assert_eq!(token_version(&school, &t1).await, 1);
    assert_eq!(
        token_version(&school, &s1).await,
        1,
        "re-enabling keeps the version"
    );
}

#[tokio::test]
async fn an_unknown_user_is_a_404_and_only_admins_or_the_operator_may_change_users() {
    let (school, _, t1, s1) = school().await;
    let refused = school
        .service
        .update_user(Actor::Operator, "ghost", changes(None, Some(true)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotFound);
    for caller in [&t1, &s1] {
        let refused = school
            .service
            .update_user(Actor::User(caller), "s1", changes(None, Some(true)))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Forbidden);
    }
    assert!(school.store.audit_log().await.is_empty());
}
