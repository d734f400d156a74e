//! A roster import's email addresses: set on the accounts it owns, never cleared, written
//! only when they change, a malformed one a warning.

use super::School;
use super::roster::{applied, id, import, maths, sid, snapshot};
use crate::notify::{EmailAddress, NotifyPrefs, PrefsPatch};
use crate::roster::{EmailChange, ImportUser, Problem, RosterChanges, RosterImport};
use crate::service::{Actor, RosterOutcome};
use crate::store::{AuditAction, Store};
use crate::user::{DisplayName, Role};

fn email(raw: &str) -> EmailAddress {
    EmailAddress::parse(raw).unwrap()
}

/// `import` with the `users.csv` addresses of `addresses` as (userId, address).
fn with_emails(mut import: RosterImport, addresses: &[(&str, &str)]) -> RosterImport {
    for &(user, address) in addresses {
        let row = import
            .users
            .iter_mut()
            .find(|row| row.user_id.as_str() == user)
            .unwrap();
        row.email = Some(email(address));
    }
    import
}

/// Maths, with addresses for `t1` and `s1` (not `s2`) and for an admin, `a2`.
fn maths_with_emails() -> RosterImport {
    let mut import = maths();
    let admin = ImportUser {
        sourced_id: sid("p-a2"),
        line: 5,
        user_id: id("a2"),
        role: Role::Admin,
        display_name: DisplayName::parse("Name of a2").unwrap(),
        enabled: true,
        deleted: false,
        agents: Vec::new(),
        email: None,
    };
    import.users.push(admin);
    with_emails(
        import,
        &[
            ("t1", "t1@school.example"),
            ("s1", "s1@school.example"),
            ("a2", "a2@school.example"),
        ],
    )
}

async fn address_of(school: &School, user: &str) -> Option<EmailAddress> {
    school.store.notify_prefs(&id(user)).await.unwrap().email
}

#[tokio::test]
async fn an_import_sets_the_addresses_it_gives_and_the_same_import_again_writes_nothing() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let admin = Actor::User(&a1);
    school.store.take_calls();

    let changes = applied(
        import(&school, admin, &maths_with_emails(), false)
            .await
            .unwrap(),
    );
    assert_eq!(
        changes.emails,
        [
            EmailChange {
                user: id("s1"),
                before: None,
                after: email("s1@school.example"),
            },
            EmailChange {
                user: id("t1"),
                before: None,
                after: email("t1@school.example"),
            },
        ]
    );
    assert_eq!(
        changes.summary(),
        "users +4 ~0; classes +1 ~0 -0; links +2 -0; emails ~2"
    );
    let calls = school.store.take_calls();
    let audit_at = calls.iter().position(|&call| call == "append_audit");
    let first_put = calls.iter().position(|&call| call == "put_notify_prefs");
    assert!(audit_at.unwrap() < first_put.unwrap(), "{calls:?}");
    let audit = school.store.audit_log().await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].target, changes.summary());
    let t1 = school.store.notify_prefs(&id("t1")).await.unwrap();
    assert_eq!(
        t1,
        NotifyPrefs {
            email: Some(email("t1@school.example")),
            ..NotifyPrefs::default()
        }
    );
    assert_eq!(
        address_of(&school, "s1").await,
        Some(email("s1@school.example"))
    );
    assert_eq!(address_of(&school, "s2").await, None);
    // Admins get no notifications, so no digests and no address.
    assert_eq!(address_of(&school, "a2").await, None);

    let before = snapshot(&school).await;
    let again = import(&school, admin, &maths_with_emails(), false)
        .await
        .unwrap();
    let RosterOutcome::Planned { plan, applied } = again else {
        panic!("{again:?}");
    };
    assert!(!applied);
    assert_eq!(plan.changes, RosterChanges::default());
    let calls = school.store.take_calls();
    for write in ["apply_roster", "append_audit", "put_notify_prefs"] {
        assert!(!calls.contains(&write), "{calls:?}");
    }
    assert_eq!(snapshot(&school).await, before);
}

#[tokio::test]
async fn an_import_never_clears_an_address_and_changes_nothing_else_of_the_preferences() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let admin = Actor::User(&a1);
    applied(import(&school, admin, &maths(), false).await.unwrap());
    // s1 turns push off; an admin sets where s1's digests go.
    let s1 = school
        .store
        .get_user(&id("s1"))
        .await
        .unwrap()
        .unwrap()
        .user;
    let push_off = PrefsPatch {
        push: Some(false),
        ..PrefsPatch::default()
    };
    school
        .service
        .update_notify_settings(&s1, push_off)
        .await
        .unwrap();
    school
        .service
        .set_email(admin, "s1", Some("s1@home.example"))
        .await
        .unwrap();
    let audited = school.store.audit_log().await.len();
    school.store.take_calls();

    // A file without an address for s1 leaves the one set by hand.
    let again = import(&school, admin, &maths(), false).await.unwrap();
    assert!(matches!(
        again,
        RosterOutcome::Planned { applied: false, .. }
    ));
    assert!(!school.store.take_calls().contains(&"put_notify_prefs"));
    assert_eq!(
        address_of(&school, "s1").await,
        Some(email("s1@home.example"))
    );

    // A file with another address for s1 sets it, and only it: audited, no roster write.
    let school_address = with_emails(maths(), &[("s1", "s1@school.example")]);
    let changes = applied(
        import(&school, admin, &school_address, false)
            .await
            .unwrap(),
    );
    assert_eq!(
        changes.emails,
        [EmailChange {
            user: id("s1"),
            before: Some(email("s1@home.example")),
            after: email("s1@school.example"),
        }]
    );
    assert_eq!(
        changes.summary(),
        "users +0 ~0; classes +0 ~0 -0; links +0 -0; emails ~1"
    );
    let calls = school.store.take_calls();
    assert!(!calls.contains(&"apply_roster"), "{calls:?}");
    assert_eq!(
        calls
            .iter()
            .filter(|&&call| call == "put_notify_prefs")
            .count(),
        1,
        "{calls:?}"
    );
    let prefs = school.store.notify_prefs(&id("s1")).await.unwrap();
    assert_eq!(
        prefs,
        NotifyPrefs {
            push: false,
            email: Some(email("s1@school.example")),
            ..NotifyPrefs::default()
        }
    );
    let audit = school.store.audit_log().await;
    assert_eq!(audit.len(), audited + 1);
    assert_eq!(audit[0].action, AuditAction::ImportRoster);
    assert_eq!(audit[0].target, changes.summary());
}

#[tokio::test]
async fn a_dry_run_reads_no_preferences_and_sets_no_address() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let before = snapshot(&school).await;

    let outcome = import(&school, Actor::User(&a1), &maths_with_emails(), true)
        .await
        .unwrap();
    let RosterOutcome::Planned { plan, applied } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(!applied);
    assert!(plan.changes.emails.is_empty());
    let calls = school.store.take_calls();
    assert!(
        !calls.contains(&"notify_prefs") && !calls.contains(&"put_notify_prefs"),
        "{calls:?}"
    );
    assert_eq!(snapshot(&school).await, before);
    assert_eq!(address_of(&school, "t1").await, None);
}

#[tokio::test]
async fn a_malformed_address_is_a_warning_and_the_account_is_still_imported() {
    let school = School::new();
    // The bundle reader left s2's address out (users.csv line 4) and said why.
    let warning = Problem::at("users.csv", 4, "email", "\"s2@\" is not an email address");
    let mut bundle = with_emails(maths(), &[("s1", "s1@school.example")]);
    bundle.warnings.push(warning.clone());

    let outcome = import(&school, Actor::Operator, &bundle, false)
        .await
        .unwrap();
    let RosterOutcome::Planned { plan, applied } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(applied);
    assert_eq!(plan.warnings, [warning]);
    assert_eq!(plan.changes.created_accounts.len(), 3);
    assert!(school.store.get_user(&id("s2")).await.unwrap().is_some());
    assert_eq!(address_of(&school, "s2").await, None);
    assert_eq!(
        address_of(&school, "s1").await,
        Some(email("s1@school.example"))
    );
}
