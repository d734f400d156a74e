//! Email addresses from `users.csv`: which accounts an import gives one, how they count in
//! the summary, and the bundle's own warnings passed on ahead of the plan's.

use super::*;
use crate::notify::EmailAddress;
use crate::roster::{EmailChange, GivenEmail, Problem, given_emails};

fn email(raw: &str) -> EmailAddress {
    EmailAddress::parse(raw).unwrap()
}

fn with_email(user: &str) -> impl FnOnce(&mut ImportUser) {
    let address = email(&format!("{user}@school.example"));
    move |row| row.email = Some(address)
}

fn given(user: &str, created: bool) -> GivenEmail {
    GivenEmail {
        user: id(user),
        email: email(&format!("{user}@school.example")),
        created,
    }
}

#[test]
fn an_import_gives_addresses_to_the_accounts_it_owns_and_to_no_admin() {
    // t1 and s1 come from an earlier import, s4 is new; s2 has no address, a1 is an admin.
    let earlier = imported();
    let import = Bundle::bulk()
        .user_with("t1", Role::Teacher, with_email("t1"))
        .user_with("s4", Role::Student, with_email("s4"))
        .user_with("s1", Role::Student, with_email("s1"))
        .user("s2", Role::Student)
        .user_with("a1", Role::Admin, with_email("a1"))
        .build();
    let plan = planned(&import, &earlier);
    assert_eq!(
        given_emails(&import, &earlier, &plan.changes),
        [given("s1", false), given("s4", true), given("t1", false)]
    );
}

#[test]
fn an_account_keeps_its_user_id_and_a_deleted_row_gives_nothing() {
    let earlier = imported();
    // s1's username changed; s2's row deletes the account.
    let import = Bundle::delta()
        .user_with("s1", Role::Student, |row| {
            row.user_id = id("s1.new");
            row.email = Some(email("s1@school.example"));
        })
        .user_with("s2", Role::Student, |row| {
            row.deleted = true;
            row.email = Some(email("s2@school.example"));
        })
        .build();
    let plan = planned(&import, &earlier);
    assert_eq!(
        given_emails(&import, &earlier, &plan.changes),
        [given("s1", false)]
    );
}

#[test]
fn without_users_csv_no_address_is_given() {
    let earlier = imported();
    let mut import = Bundle::new(Mode::Absent, Mode::Delta, Mode::Delta)
        .user_with("s1", Role::Student, with_email("s1"))
        .build();
    let plan = planned(&import, &earlier);
    assert!(given_emails(&import, &earlier, &plan.changes).is_empty());
    import.users_mode = Mode::Delta;
    assert_eq!(
        given_emails(&import, &earlier, &plan.changes),
        [given("s1", false)]
    );
}

#[test]
fn addresses_set_count_in_the_summary_but_are_no_store_change() {
    let changes = RosterChanges {
        emails: vec![EmailChange {
            user: id("s1"),
            before: None,
            after: email("s1@school.example"),
        }],
        ..RosterChanges::default()
    };
    assert!(!changes.is_empty());
    assert!(changes.is_empty_but_emails());
    assert_eq!(
        changes.summary(),
        "users +0 ~0; classes +0 ~0 -0; links +0 -0; emails ~1"
    );
    assert!(RosterChanges::default().is_empty_but_emails());
}

#[test]
fn the_bundles_warnings_come_first_in_the_plan() {
    let bad_address = Problem::at("users.csv", 3, "email", "not an address");
    let mut import = school()
        .user_with("g1", Role::Guardian, |row| {
            row.agents = vec![person("nobody")]
        })
        .build();
    import.warnings.push(bad_address.clone());
    let plan = planned(&import, &RosterState::default());
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    assert_eq!(plan.warnings[0], bad_address);
    assert_eq!(plan.warnings[1].column.as_deref(), Some("agentSourcedIds"));
}
