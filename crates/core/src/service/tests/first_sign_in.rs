//! Using a sign-in code: a code is never a password, lets its user choose one once, then
//! works no more; it stops at its expiry; every failure gets the one answer a failed
//! login gets, counted by the same sign-in limits; the new password's rules come first;
//! a disabled account keeps its code.

use super::sign_in_codes::{
    NEW_PASSWORD, assert_invalid_credentials, first_sign_in, imported, issue_one, login, record,
    with_password,
};
use super::{School, journal::Journal, now};
use crate::error::ErrorCode;
use crate::hashing::HashingConfig;
use crate::service::{Actor, ChatService, DEFAULT_CODE_VALIDITY};
use crate::store::{AuditAction, Store, UserPatch};
use crate::time::{Clock, Timestamp};
use crate::user::Role;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn a_code_lets_an_imported_user_choose_a_password_once_and_then_sign_in_normally() {
    let school = School::new();
    let admin = school.user("a1", Role::Admin).await;
    let s1 = imported(&school, "s1", Role::Student).await;
    let service = &school.service;

    let issued = issue_one(service, Actor::User(&admin), "s1").await;
    assert_eq!(issued.user_id, s1.id);
    assert_eq!(
        issued.expires_at,
        now().plus_micros(DEFAULT_CODE_VALIDITY.as_micros() as i64)
    );
    assert!(
        !format!("{issued:?}").contains(&issued.code),
        "Debug hides the code"
    );
    let stored = record(&school.store, "s1").await;
    assert!(
        stored.password_hash.starts_with("code$"),
        "{}",
        stored.password_hash
    );
    assert!(
        !stored.password_hash.contains(&issued.code),
        "stored only as a hash"
    );
    let audit = school.store.audit_log().await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (
            audit[0].actor.as_str(),
            audit[0].action,
            audit[0].target.as_str()
        ),
        ("a1", AuditAction::IssueSignInCode, "s1")
    );

    // A code is never a password, however it is typed.
    assert_invalid_credentials(login(service, "s1", &issued.code).await, "code as password");
    assert_invalid_credentials(
        login(service, "s1", &issued.code.replace('-', "")).await,
        "code as password, without dashes",
    );

    // Typed in lower case with spaces, it works, and signs the user in.
    let typed = issued.code.to_lowercase().replace('-', " ");
    let signed_in = first_sign_in(service, "s1", &typed, NEW_PASSWORD)
        .await
        .unwrap();
    assert_eq!(signed_in.user, s1);
    let after = record(&school.store, "s1").await;
    assert_eq!(signed_in.token_version, after.token_version);
    assert!(
        after.password_hash.starts_with("$argon2id$"),
        "{}",
        after.password_hash
    );

    // The new password works; the code works no more.
    let again = login(service, "s1", NEW_PASSWORD).await.unwrap();
    assert_eq!(again.token_version, signed_in.token_version);
    assert_invalid_credentials(
        first_sign_in(service, "s1", &issued.code, "another password").await,
        "a used code",
    );
    assert!(login(service, "s1", NEW_PASSWORD).await.is_ok());
}

/// A clock the test moves.
struct Movable(Mutex<Timestamp>);

impl Clock for Movable {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn an_expired_code_is_refused_like_a_wrong_one() {
    let store = Arc::new(Journal::default());
    let clock = Arc::new(Movable(Mutex::new(now())));
    let service = ChatService::new(
        Arc::clone(&store) as Arc<dyn Store>,
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .with_hashing(HashingConfig {
        threads: 1,
        queue: 1,
    });
    with_password(&service, "s1", "student", "old password").await;
    let codes = service
        .issue_sign_in_codes(Actor::Operator, &["s1"], Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert_eq!(codes[0].expires_at, now().plus_micros(3_600_000_000));
    // The expiry is the first instant it no longer works.
    *clock.0.lock().unwrap() = codes[0].expires_at;
    assert_invalid_credentials(
        first_sign_in(&service, "s1", &codes[0].code, NEW_PASSWORD).await,
        "expired code",
    );
    *clock.0.lock().unwrap() = codes[0].expires_at.plus_micros(-1);
    assert!(
        first_sign_in(&service, "s1", &codes[0].code, NEW_PASSWORD)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn every_failed_first_sign_in_gets_the_same_answer() {
    let school = School::new();
    let service = &school.service;
    imported(&school, "s1", Role::Student).await;
    imported(&school, "s2", Role::Student).await;
    with_password(service, "t1", "teacher", "old password").await;
    with_password(service, "t2", "teacher", "old password").await;
    let s1 = issue_one(service, Actor::Operator, "s1").await;
    let other = issue_one(service, Actor::Operator, "t1").await;
    let refusals = [
        first_sign_in(service, "s1", "ABCD-EFGH-JKMN", NEW_PASSWORD).await,
        first_sign_in(service, "s1", "not a code", NEW_PASSWORD).await,
        first_sign_in(service, "s1", &other.code, NEW_PASSWORD).await,
        first_sign_in(service, "nobody", &s1.code, NEW_PASSWORD).await,
        first_sign_in(service, "not an id!", &s1.code, NEW_PASSWORD).await,
        // No code issued: an account without a password, or with one.
        first_sign_in(service, "s2", &s1.code, NEW_PASSWORD).await,
        first_sign_in(service, "t2", &s1.code, NEW_PASSWORD).await,
    ];
    let mut messages = Vec::new();
    for refusal in refusals {
        let refusal = refusal.unwrap_err();
        assert_eq!(refusal.code(), ErrorCode::InvalidCredentials, "{refusal}");
        messages.push(refusal.to_string());
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "{messages:?}");
    // None of it spent the code.
    assert!(
        first_sign_in(service, "s1", &s1.code, NEW_PASSWORD)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_new_password_is_checked_before_the_code_or_the_account() {
    let school = School::new();
    let service = &school.service;
    imported(&school, "s1", Role::Student).await;
    let issued = issue_one(service, Actor::Operator, "s1").await;
    school.store.take_calls();
    let refused = first_sign_in(service, "s1", &issued.code, "short")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidPassword);
    assert_eq!(
        school.store.take_calls(),
        Vec::<&str>::new(),
        "nothing read"
    );
    assert!(
        first_sign_in(service, "s1", &issued.code, NEW_PASSWORD)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_disabled_account_is_told_so_after_a_right_code_and_keeps_it() {
    let school = School::new();
    let service = &school.service;
    let s1 = imported(&school, "s1", Role::Student).await;
    let issued = issue_one(service, Actor::Operator, "s1").await;
    let disable = |disabled| UserPatch {
        disabled: Some(disabled),
        ..UserPatch::default()
    };
    school
        .store
        .update_user(&s1.id, &disable(true))
        .await
        .unwrap();
    let refused = first_sign_in(service, "s1", &issued.code, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::AccountDisabled);
    assert_invalid_credentials(
        first_sign_in(service, "s1", "ABCD-EFGH-JKMN", NEW_PASSWORD).await,
        "a wrong code to a disabled account",
    );
    school
        .store
        .update_user(&s1.id, &disable(false))
        .await
        .unwrap();
    assert!(
        first_sign_in(service, "s1", &issued.code, NEW_PASSWORD)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn first_sign_ins_and_logins_share_the_accounts_sign_in_limit() {
    let school = School::new();
    let service = &school.service;
    imported(&school, "s1", Role::Student).await;
    let issued = issue_one(service, Actor::Operator, "s1").await;
    // Five failures in a row, either way in, pause the account (the clock stands still).
    for _ in 0..3 {
        assert_invalid_credentials(login(service, "s1", "a guess").await, "guess");
    }
    for _ in 0..2 {
        assert_invalid_credentials(
            first_sign_in(service, "s1", "ABCD-EFGH-JKMN", NEW_PASSWORD).await,
            "guessed code",
        );
    }
    let paused = first_sign_in(service, "s1", &issued.code, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(paused.code(), ErrorCode::TooManyAttempts);
    assert_eq!(
        login(service, "s1", NEW_PASSWORD).await.unwrap_err().code(),
        ErrorCode::TooManyAttempts
    );
}
