//! `import_roster`: an admin's or the operator's import is audited once with its counts and
//! applied; an import that changes nothing, a dry run, a refused plan and a forbidden actor
//! write nothing; imports are rate-limited per actor; disabled accounts lose their sessions
//! and link changes reach both sides; imported accounts cannot sign in until they have a
//! password; the addresses `users.csv` gives are set, never cleared, and only once.

use super::{School, now};
use crate::error::{ChatError, ErrorCode};
use crate::hub::{Event, Revocation};
use crate::ids::UserId;
use crate::roster::{
    Day, ImportClass, ImportEnrollment, ImportUser, Mode, RosterChanges, RosterImport, RosterState,
    SourcedId,
};
use crate::service::{Actor, LoginAttempt, RosterOutcome};
use crate::store::{AuditAction, AuditEntry, Link, Store};
use crate::user::{DisplayName, Role, User};

pub(super) fn id(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

pub(super) fn sid(raw: &str) -> SourcedId {
    SourcedId::parse(raw).unwrap()
}

fn link(teacher: &str, student: &str) -> Link {
    Link {
        teacher: id(teacher),
        student: id(student),
    }
}

/// A bulk bundle: `users` as (userId, role) with sourcedId `p-{userId}`, one class `maths`,
/// and `enrolments` in it as (userId, teaches).
fn bundle(users: &[(&str, Role)], enrolments: &[(&str, bool)]) -> RosterImport {
    RosterImport {
        users_mode: Mode::Bulk,
        users: users
            .iter()
            .zip(2..)
            .map(|(&(user, role), line)| ImportUser {
                sourced_id: sid(&format!("p-{user}")),
                line,
                user_id: id(user),
                role,
                display_name: DisplayName::parse(&format!("Name of {user}")).unwrap(),
                enabled: true,
                deleted: false,
                agents: Vec::new(),
                email: None,
            })
            .collect(),
        classes_mode: Mode::Bulk,
        classes: vec![ImportClass {
            sourced_id: sid("maths"),
            line: 2,
            title: "Maths".into(),
            deleted: false,
        }],
        enrollments_mode: Mode::Bulk,
        enrollments: enrolments
            .iter()
            .zip(2..)
            .map(|(&(user, teaches), line)| ImportEnrollment {
                line,
                class: sid("maths"),
                user: sid(&format!("p-{user}")),
                teaches,
                begin: None,
                end: None,
                deleted: false,
            })
            .collect(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    }
}

/// `t1` teaching `s1` and `s2` in maths.
pub(super) fn maths() -> RosterImport {
    bundle(
        &[
            ("t1", Role::Teacher),
            ("s1", Role::Student),
            ("s2", Role::Student),
        ],
        &[("t1", true), ("s1", false), ("s2", false)],
    )
}

/// Everything an import could have written.
#[derive(Debug, PartialEq)]
pub(super) struct Snapshot {
    roster: RosterState,
    users: Vec<User>,
    links: Vec<Link>,
    audit: Vec<AuditEntry>,
}

pub(super) async fn snapshot(school: &School) -> Snapshot {
    let store = &school.store;
    let snapshot = Snapshot {
        roster: store.roster_state().await.unwrap(),
        users: store.list_users(None, None, 1000).await.unwrap(),
        links: store.list_links(None).await.unwrap(),
        audit: store.audit_log().await,
    };
    store.take_calls();
    snapshot
}

/// Imports as the API and the CLI do: a ticket for `actor`, then the import.
pub(super) async fn import(
    school: &School,
    actor: Actor<'_>,
    import: &RosterImport,
    dry_run: bool,
) -> Result<RosterOutcome, ChatError> {
    let ticket = school.service.begin_import(actor)?;
    school.service.import_roster(ticket, import, dry_run).await
}

/// The changes of an import that was applied; panics on any other outcome.
pub(super) fn applied(outcome: RosterOutcome) -> RosterChanges {
    match outcome {
        RosterOutcome::Planned {
            plan,
            applied: true,
        } => plan.changes,
        other => panic!("not applied: {other:?}"),
    }
}

/// The link events published so far, as (recipients, teacher, student, linked), and
/// forgets them.
fn announced(school: &School) -> Vec<(Vec<UserId>, Link, bool)> {
    std::mem::take(&mut *school.hub.published.lock().unwrap())
        .into_iter()
        .map(|(delivery, event)| match event {
            Event::Link {
                conversation_id,
                linked,
            } => (delivery.recipients, Link::of(&conversation_id), linked),
            other => panic!("not a link event: {other:?}"),
        })
        .collect()
}

/// How both sides of `link` are told it came or went.
fn told(link: &Link, linked: bool) -> (Vec<UserId>, Link, bool) {
    (
        vec![link.student.clone(), link.teacher.clone()],
        link.clone(),
        linked,
    )
}

#[tokio::test]
async fn an_admins_import_is_audited_once_with_its_counts_then_applied() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    school.store.take_calls();

    let changes = applied(
        import(&school, Actor::User(&a1), &maths(), false)
            .await
            .unwrap(),
    );
    assert_eq!(
        changes.summary(),
        "users +3 ~0; classes +1 ~0 -0; links +2 -0"
    );
    let calls = school.store.take_calls();
    let audit_at = calls.iter().position(|&call| call == "append_audit");
    let apply_at = calls.iter().position(|&call| call == "apply_roster");
    assert!(audit_at.unwrap() < apply_at.unwrap(), "{calls:?}");

    let audit = school.store.audit_log().await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, AuditAction::ImportRoster);
    assert_eq!(audit[0].action.as_str(), "roster.import");
    assert_eq!(audit[0].actor, "a1");
    assert_eq!(audit[0].target, changes.summary());
    assert_eq!(audit[0].at, now());

    let after = snapshot(&school).await;
    assert_eq!(after.roster.accounts.len(), 3);
    assert_eq!(after.roster.classes.len(), 1);
    assert_eq!(after.links, [link("t1", "s1"), link("t1", "s2")]);
    assert_eq!(after.roster.links, after.links);
    assert_eq!(after.users.len(), 4);
    let s1 = school.store.get_user(&id("s1")).await.unwrap().unwrap();
    assert_eq!((s1.password_hash.as_str(), s1.token_version), ("", 0));
}

#[tokio::test]
async fn the_same_import_again_changes_nothing_and_is_not_audited() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let admin = Actor::User(&a1);
    applied(import(&school, admin, &maths(), false).await.unwrap());
    let before = snapshot(&school).await;

    let again = import(&school, admin, &maths(), false).await.unwrap();
    let RosterOutcome::Planned { plan, applied } = again else {
        panic!("{again:?}");
    };
    assert!(!applied);
    assert_eq!(plan.changes, RosterChanges::default());
    let calls = school.store.take_calls();
    assert!(!calls.contains(&"apply_roster"), "{calls:?}");
    assert_eq!(snapshot(&school).await, before);
}

#[tokio::test]
async fn a_dry_run_plans_and_writes_nothing() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let before = snapshot(&school).await;

    let outcome = import(&school, Actor::User(&a1), &maths(), true)
        .await
        .unwrap();
    let RosterOutcome::Planned { plan, applied } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(!applied);
    assert_eq!(plan.changes.created_accounts.len(), 3);
    let calls = school.store.take_calls();
    assert!(
        !calls.contains(&"apply_roster") && !calls.contains(&"append_audit"),
        "{calls:?}"
    );
    assert_eq!(snapshot(&school).await, before);
    assert!(school.hub.published.lock().unwrap().is_empty());
}

#[tokio::test]
async fn only_an_admin_or_the_operator_may_import() {
    let school = School::new();
    let s9 = school.user("s9", Role::Student).await;
    let t9 = school.user("t9", Role::Teacher).await;
    let before = snapshot(&school).await;
    for actor in [&s9, &t9] {
        for dry_run in [false, true] {
            let refused = import(&school, Actor::User(actor), &maths(), dry_run)
                .await
                .unwrap_err();
            assert_eq!(refused.code(), ErrorCode::Forbidden, "{actor:?}");
        }
    }
    assert_eq!(school.store.take_calls(), Vec::<&str>::new());
    assert_eq!(snapshot(&school).await, before);
}

#[tokio::test]
async fn imports_are_rate_limited_per_actor_dry_runs_included() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let a2 = school.user("a2", Role::Admin).await;
    for _ in 0..6 {
        import(&school, Actor::User(&a1), &maths(), true)
            .await
            .unwrap();
    }
    let refused = school.service.begin_import(Actor::User(&a1)).unwrap_err();
    assert_eq!(refused, ChatError::RateLimited);
    // Another admin has their own allowance.
    import(&school, Actor::User(&a2), &maths(), true)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_operator_may_import_and_is_audited_as_cli() {
    let school = School::new();
    applied(
        import(&school, Actor::Operator, &maths(), false)
            .await
            .unwrap(),
    );
    let audit = school.store.audit_log().await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].actor.as_str(), audit[0].action),
        ("cli", AuditAction::ImportRoster)
    );
    assert_eq!(school.store.list_links(None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_user_id_taken_by_hand_refuses_the_import_and_writes_nothing() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    // s1 (users.csv line 3) was created by hand.
    school.user("s1", Role::Student).await;
    let before = snapshot(&school).await;

    let outcome = import(&school, Actor::User(&a1), &maths(), false)
        .await
        .unwrap();
    let RosterOutcome::Refused(problems) = outcome else {
        panic!("{outcome:?}");
    };
    // The row itself, and nothing that only follows from it (its enrolments).
    let places: Vec<_> = problems
        .iter()
        .map(|problem| {
            (
                problem.file.as_str(),
                problem.line,
                problem.column.as_deref(),
            )
        })
        .collect();
    assert_eq!(places, [("users.csv", Some(3), Some("username"))]);
    assert!(
        problems[0].message.contains("s1"),
        "{}",
        problems[0].message
    );
    let calls = school.store.take_calls();
    assert!(
        !calls.contains(&"apply_roster") && !calls.contains(&"append_audit"),
        "{calls:?}"
    );
    assert_eq!(snapshot(&school).await, before);
}

#[tokio::test]
async fn a_bulk_import_ends_the_sessions_of_those_it_disables_and_announces_link_changes() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let admin = Actor::User(&a1);
    applied(import(&school, admin, &maths(), false).await.unwrap());
    assert_eq!(
        announced(&school),
        [told(&link("t1", "s1"), true), told(&link("t1", "s2"), true)]
    );
    assert!(school.hub.revoked.lock().unwrap().is_empty());

    // s2 has left the school; s3 joined maths.
    let next = bundle(
        &[
            ("t1", Role::Teacher),
            ("s1", Role::Student),
            ("s3", Role::Student),
        ],
        &[("t1", true), ("s1", false), ("s3", false)],
    );
    let changes = applied(import(&school, admin, &next, false).await.unwrap());
    assert_eq!(
        changes.summary(),
        "users +1 ~1; classes +0 ~1 -0; links +1 -1"
    );

    let s2 = school.store.get_user(&id("s2")).await.unwrap().unwrap();
    assert!(s2.user.disabled);
    assert_eq!(s2.token_version, 1);
    assert_eq!(
        *school.hub.revoked.lock().unwrap(),
        [(id("s2"), Revocation::Disabled)]
    );
    assert_eq!(
        announced(&school),
        [
            told(&link("t1", "s3"), true),
            told(&link("t1", "s2"), false)
        ]
    );
    assert_eq!(
        school.store.list_links(None).await.unwrap(),
        [link("t1", "s1"), link("t1", "s3")]
    );
}

#[tokio::test]
async fn a_role_change_by_the_roster_ends_the_accounts_sessions() {
    let school = School::new();
    applied(
        import(&school, Actor::Operator, &maths(), false)
            .await
            .unwrap(),
    );
    let promoted = bundle(
        &[
            ("t1", Role::Teacher),
            ("s1", Role::Teacher),
            ("s2", Role::Student),
        ],
        &[("t1", true), ("s2", false)],
    );
    applied(
        import(&school, Actor::Operator, &promoted, false)
            .await
            .unwrap(),
    );
    assert_eq!(
        *school.hub.revoked.lock().unwrap(),
        [(id("s1"), Revocation::RoleChanged)]
    );
    let s1 = school.store.get_user(&id("s1")).await.unwrap().unwrap();
    assert_eq!((s1.user.role, s1.token_version), (Role::Teacher, 1));
}

#[tokio::test]
async fn a_link_also_added_by_hand_is_not_announced_as_gone_when_the_roster_drops_it() {
    let school = School::new();
    let a1 = school.user("a1", Role::Admin).await;
    let admin = Actor::User(&a1);
    let people = [("t1", Role::Teacher), ("s1", Role::Student)];
    // The people, without enrolments; then an admin links them by hand.
    applied(
        import(&school, admin, &bundle(&people, &[]), false)
            .await
            .unwrap(),
    );
    school.service.add_link(admin, "t1", "s1").await.unwrap();
    // The roster comes to say so too, then stops saying so.
    let enrolled = bundle(&people, &[("t1", true), ("s1", false)]);
    let changes = applied(import(&school, admin, &enrolled, false).await.unwrap());
    assert_eq!(changes.added_links, [link("t1", "s1")]);
    school.hub.published.lock().unwrap().clear();

    let changes = applied(
        import(&school, admin, &bundle(&people, &[]), false)
            .await
            .unwrap(),
    );
    assert_eq!(changes.removed_links, [link("t1", "s1")]);
    assert!(announced(&school).is_empty());
    assert_eq!(
        school.store.list_links(None).await.unwrap(),
        [link("t1", "s1")]
    );
    // No longer the roster's: a later import does not drop it either.
    assert!(school.store.roster_state().await.unwrap().links.is_empty());
}

#[tokio::test]
async fn enrolment_dates_are_compared_with_the_day_of_the_services_clock() {
    assert_eq!(Day::of(now()), Day::new(2026, 3, 2));
    let school = School::new();
    let mut dated = maths();
    dated.enrollments[1].begin = Some(Day::new(2026, 3, 2)); // s1 from today
    dated.enrollments[2].begin = Some(Day::new(2026, 3, 3)); // s2 from tomorrow
    applied(
        import(&school, Actor::Operator, &dated, false)
            .await
            .unwrap(),
    );
    assert_eq!(
        school.store.list_links(None).await.unwrap(),
        [link("t1", "s1")]
    );
}

#[tokio::test]
async fn an_imported_account_cannot_sign_in_with_any_password() {
    let school = School::new();
    applied(
        import(&school, Actor::Operator, &maths(), false)
            .await
            .unwrap(),
    );
    // The empty hash, the password the timing hash was once made of, anything. (The
    // password behind today's DUMMY_HASH is not recorded anywhere; the service refuses
    // an account without a password whatever the verification against it says.)
    for (user, password) in [
        ("s1", ""),
        ("s1", "classchat-timing-equaliser"),
        ("s1", "correct horse battery staple"),
        ("s2", "Name of s2"),
        ("t1", "$argon2id$"),
    ] {
        let attempt = LoginAttempt {
            user_id: user,
            password,
            client: None,
            device: None,
        };
        let refused = school.service.login(attempt).await.unwrap_err();
        assert_eq!(
            refused.code(),
            ErrorCode::InvalidCredentials,
            "{user} {password:?}"
        );
    }
}
