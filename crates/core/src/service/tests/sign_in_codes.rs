//! Issuing sign-in codes: a code replaces the password and ends every session; it is for
//! admins (students and teachers only) and the operator (anyone); a batch is all or
//! nothing, each code audited before any is stored; and which accounts wait for one.
//! (Using a code: `first_sign_in`.) The helpers here serve both.

use super::{School, journal::Journal};
use crate::LoginAttempt;
use crate::error::{ChatError, ErrorCode};
use crate::hub::Revocation;
use crate::ids::UserId;
use crate::service::{Actor, ChatService, FirstSignIn, NewUser, SignInCode, SignedIn};
use crate::store::{Store, UserPatch};
use crate::user::{DisplayName, Role, User, UserRecord};
use std::collections::BTreeSet;
use std::time::Duration;

/// The password users choose in these tests.
pub(super) const NEW_PASSWORD: &str = "my own password";

/// An account as a roster import creates it: no password.
pub(super) async fn imported(school: &School, id: &str, role: Role) -> User {
    let user = User {
        id: UserId::parse(id).unwrap(),
        display_name: DisplayName::parse(&format!("Name of {id}")).unwrap(),
        role,
        disabled: false,
    };
    let record = UserRecord {
        user: user.clone(),
        password_hash: String::new(),
        token_version: 0,
    };
    school.store.create_user(&record).await.unwrap();
    user
}

/// An account with the password `password`, hashed as the service does.
pub(super) async fn with_password(service: &ChatService, id: &str, role: &str, password: &str) {
    let new = NewUser {
        user_id: id,
        display_name: id,
        role,
        password,
    };
    service.create_user(Actor::Operator, new).await.unwrap();
}

/// The stored record of `id`.
pub(super) async fn record(store: &Journal, id: &str) -> UserRecord {
    store
        .get_user(&UserId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
}

/// The one code issued by `actor` for `id`.
pub(super) async fn issue_one(service: &ChatService, actor: Actor<'_>, id: &str) -> SignInCode {
    let mut codes = service
        .issue_sign_in_codes(actor, &[id], None)
        .await
        .unwrap();
    assert_eq!(codes.len(), 1);
    codes.remove(0)
}

/// A first sign-in with no client address.
pub(super) async fn first_sign_in(
    service: &ChatService,
    id: &str,
    code: &str,
    new_password: &str,
) -> Result<SignedIn, ChatError> {
    service
        .first_sign_in(FirstSignIn {
            user_id: id,
            code,
            new_password,
            client: None,
        })
        .await
}

/// A password sign-in with no client address and no device.
pub(super) async fn login(
    service: &ChatService,
    id: &str,
    password: &str,
) -> Result<SignedIn, ChatError> {
    service
        .login(LoginAttempt {
            user_id: id,
            password,
            client: None,
            device: None,
        })
        .await
}

/// Asserts `result` is the one refusal of a failed sign-in.
#[track_caller]
pub(super) fn assert_invalid_credentials(result: Result<SignedIn, ChatError>, what: &str) {
    let refused = result.expect_err(what);
    assert_eq!(refused.code(), ErrorCode::InvalidCredentials, "{what}");
}

#[tokio::test]
async fn issuing_a_code_replaces_the_password_and_ends_every_session() {
    let school = School::new();
    let service = &school.service;
    with_password(service, "t1", "teacher", "old password").await;
    let before = login(service, "t1", "old password").await.unwrap();

    let issued = issue_one(service, Actor::Operator, "t1").await;
    let after = record(&school.store, "t1").await;
    assert_eq!(after.token_version, before.token_version + 1);
    let revoked = school.hub.revoked.lock().unwrap().clone();
    assert_eq!(
        revoked,
        [(after.user.id.clone(), Revocation::PasswordChanged)]
    );
    assert_eq!(
        service
            .authenticate("t1", before.token_version)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Unauthorized
    );
    assert_invalid_credentials(login(service, "t1", "old password").await, "old password");
    assert_eq!(school.store.audit_log().await[0].actor, "cli");
    assert!(
        first_sign_in(service, "t1", &issued.code, NEW_PASSWORD)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn only_admins_for_students_and_teachers_and_the_operator_for_anyone_issue_codes() {
    let school = School::new();
    let service = &school.service;
    let a1 = school.user("a1", Role::Admin).await;
    let a2 = school.user("a2", Role::Admin).await;
    let t1 = school.user("t1", Role::Teacher).await;
    let s1 = school.user("s1", Role::Student).await;
    school.link(&t1, &s1).await;
    let hashes_before: Vec<_> = stored_hashes(&school.store, ["a1", "a2", "t1", "s1"]).await;
    school.store.take_calls();
    // A student or a teacher: refused before anything is read, for anyone, themselves and
    // their own linked peer included.
    for caller in [&s1, &t1] {
        for target in ["s1", "t1", "a1"] {
            let refused = service
                .issue_sign_in_codes(Actor::User(caller), &[target], None)
                .await
                .unwrap_err();
            assert_eq!(
                refused.code(),
                ErrorCode::Forbidden,
                "{} for {target}",
                caller.id
            );
        }
    }
    assert_eq!(school.store.take_calls(), Vec::<&str>::new());
    // An admin: not for an admin, themselves included, even within a list of students.
    for targets in [&["a1"][..], &["a2"], &["s1", "a2"]] {
        let refused = service
            .issue_sign_in_codes(Actor::User(&a1), targets, None)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Forbidden, "{targets:?}");
    }
    let calls = school.store.take_calls();
    assert!(calls.iter().all(|call| *call == "get_user"), "{calls:?}");
    assert_eq!(
        stored_hashes(&school.store, ["a1", "a2", "t1", "s1"]).await,
        hashes_before
    );
    assert!(school.store.audit_log().await.is_empty());
    // What is allowed.
    let codes = service
        .issue_sign_in_codes(Actor::User(&a1), &["s1", "t1"], None)
        .await
        .unwrap();
    assert_eq!(codes.len(), 2);
    assert_eq!(
        issue_one(service, Actor::Operator, "a2").await.user_id,
        a2.id
    );
}

/// The stored hashes of `ids`, in order.
pub(super) async fn stored_hashes<const N: usize>(store: &Journal, ids: [&str; N]) -> Vec<String> {
    let mut hashes = Vec::with_capacity(N);
    for id in ids {
        hashes.push(record(store, id).await.password_hash);
    }
    hashes
}

#[tokio::test]
async fn a_bad_id_anywhere_in_the_list_issues_nothing() {
    let school = School::new();
    let service = &school.service;
    let a1 = school.user("a1", Role::Admin).await;
    imported(&school, "s1", Role::Student).await;
    imported(&school, "s2", Role::Student).await;
    let cases: [(&[&str], ErrorCode, &str); 4] = [
        (&["s1", "ghost", "s2"], ErrorCode::NotFound, "ghost"),
        (&["s1", "not valid"], ErrorCode::InvalidUserId, "userIds[1]"),
        (&[], ErrorCode::InvalidRequest, "1 to 1000"),
        (&["s1"; 1001], ErrorCode::InvalidRequest, "1 to 1000"),
    ];
    for (ids, code, named) in cases {
        let refused = service
            .issue_sign_in_codes(Actor::User(&a1), ids, None)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), code, "{refused}");
        assert!(refused.to_string().contains(named), "{refused}");
    }
    for hours in [0, 721] {
        let refused = service
            .issue_sign_in_codes(
                Actor::User(&a1),
                &["s1"],
                Some(Duration::from_secs(hours * 3600)),
            )
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::InvalidRequest, "{hours} h");
    }
    assert!(school.store.audit_log().await.is_empty());
    assert_eq!(stored_hashes(&school.store, ["s1", "s2"]).await, ["", ""]);
    // An id listed twice gets one code.
    let codes = service
        .issue_sign_in_codes(Actor::User(&a1), &["s2", "s1", "s2"], None)
        .await
        .unwrap();
    let ids: Vec<_> = codes.iter().map(|code| code.user_id.as_str()).collect();
    assert_eq!(ids, ["s2", "s1"]);
    assert_ne!(codes[0].code, codes[1].code);
    assert_eq!(school.store.audit_log().await.len(), 2);
}

#[tokio::test]
async fn accounts_awaiting_a_password_are_those_without_one_or_with_an_expired_code() {
    let school = School::new();
    let service = &school.service;
    school.user("a1", Role::Admin).await;
    imported(&school, "s1", Role::Student).await;
    imported(&school, "s2", Role::Student).await;
    let off = imported(&school, "s3", Role::Student).await;
    imported(&school, "t1", Role::Teacher).await;
    let admin = imported(&school, "z-admin", Role::Admin).await;
    school
        .store
        .update_user(
            &off.id,
            &UserPatch {
                disabled: Some(true),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    issue_one(service, Actor::Operator, "s2").await;
    // An expired code: s2's, with an expiry long past.
    let current = record(&school.store, "s2").await.password_hash;
    let (_, phc) = current
        .strip_prefix("code$")
        .unwrap()
        .split_once('$')
        .unwrap();
    school
        .store
        .update_user(
            &UserId::parse("t1").unwrap(),
            &UserPatch {
                password_hash: Some(format!("code$1${phc}")),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let waiting = service
        .accounts_awaiting_password(Actor::Operator)
        .await
        .unwrap();
    let waiting: Vec<_> = waiting.iter().map(UserId::as_str).collect();
    assert_eq!(waiting, ["s1", "t1", admin.id.as_str()]);
    let a1 = record(&school.store, "a1").await.user;
    let for_admin = service
        .accounts_awaiting_password(Actor::User(&a1))
        .await
        .unwrap();
    let for_admin: Vec<_> = for_admin.iter().map(UserId::as_str).collect();
    assert_eq!(for_admin, ["s1", "t1"], "an admin gets no admin's account");
}

#[tokio::test]
async fn every_code_is_audited_before_any_is_stored_and_none_without_the_audit_log() {
    let school = School::new();
    let service = &school.service;
    for id in ["s1", "s2", "s3"] {
        imported(&school, id, Role::Student).await;
    }
    school.store.take_calls();
    service
        .issue_sign_in_codes(Actor::Operator, &["s1", "s2", "s3"], None)
        .await
        .unwrap();
    let calls = school.store.take_calls();
    let writes: Vec<_> = calls
        .iter()
        .filter(|call| matches!(**call, "append_audit" | "update_user"))
        .collect();
    assert_eq!(
        writes,
        [
            &"append_audit",
            &"append_audit",
            &"append_audit",
            &"update_user",
            &"update_user",
            &"update_user"
        ],
        "{calls:?}"
    );
    let targets: BTreeSet<_> = school
        .store
        .audit_log()
        .await
        .into_iter()
        .map(|entry| entry.target)
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from(["s1".into(), "s2".into(), "s3".into()])
    );

    // With the audit log unavailable, no code is stored.
    let before = stored_hashes(&school.store, ["s1", "s2", "s3"]).await;
    school.store.break_audit();
    let refused = service
        .issue_sign_in_codes(Actor::Operator, &["s1", "s2", "s3"], None)
        .await
        .unwrap_err();
    assert_eq!(refused, ChatError::Unavailable);
    assert_eq!(
        stored_hashes(&school.store, ["s1", "s2", "s3"]).await,
        before
    );
}
