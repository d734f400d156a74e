//! What stops a plan (problems, each at its file, line and column) and what it only
//! reports (warnings).

use super::{Bundle, RosterState, id, imported, person, planned, school, sid, today};
use crate::ids::UserId;
use crate::roster::{Day, MAX_CLASS_MEMBERS, Mode, Problem, RosterChanges, new_user_ids, plan};
use crate::user::Role;
use std::collections::HashSet;

/// The problems of `import` against `state` with `taken` userIds; panics if it plans.
fn refused(
    import: &crate::roster::RosterImport,
    state: &RosterState,
    taken: &[&str],
) -> Vec<Problem> {
    let taken: HashSet<UserId> = taken.iter().map(|raw| id(raw)).collect();
    plan(import, state, &taken, today()).unwrap_err()
}

/// The problem's place: file, line, column.
fn place(problem: &Problem) -> (&str, Option<u64>, Option<&str>) {
    (
        problem.file.as_str(),
        problem.line,
        problem.column.as_deref(),
    )
}

#[test]
fn a_new_row_whose_user_id_is_taken_by_hand_is_a_problem_at_its_username() {
    // s4 is the seventh user: line 8.
    let import = school().user("s4", Role::Student).build();
    let problems = refused(&import, &RosterState::default(), &["s4"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        place(&problems[0]),
        ("users.csv", Some(8), Some("username"))
    );
    assert!(
        problems[0].message.contains("s4"),
        "{}",
        problems[0].message
    );
}

#[test]
fn a_taken_user_id_of_a_known_person_is_no_problem() {
    // new_user_ids never asks about known people; even if it did, they keep their account.
    let state = imported();
    let plan = plan(
        &school().build(),
        &state,
        &HashSet::from([id("s1")]),
        today(),
    )
    .unwrap();
    assert!(plan.changes.is_empty());
}

#[test]
fn a_new_row_whose_user_id_belongs_to_another_roster_person_is_a_problem() {
    let state = imported();
    // Someone new (sourcedId p-new) with s1's userId, on line 8.
    let import = school()
        .user_with("s1", Role::Student, |row| row.sourced_id = sid("p-new"))
        .build();
    let problems = refused(&import, &state, &[]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        place(&problems[0]),
        ("users.csv", Some(8), Some("username"))
    );
    assert!(
        problems[0].message.contains("p-s1"),
        "{}",
        problems[0].message
    );

    // Two new people with one userId in the same file: the second row is the problem.
    let twice = Bundle::bulk()
        .user("s1", Role::Student)
        .user_with("s1", Role::Student, |row| row.sourced_id = sid("p-other"))
        .build();
    let problems = refused(&twice, &RosterState::default(), &[]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        place(&problems[0]),
        ("users.csv", Some(3), Some("username"))
    );
}

#[test]
fn a_username_change_is_a_warning_and_the_account_keeps_its_id() {
    let state = imported();
    // s1 (line 4) now signs in as "sam" in the exporter, and has a new name.
    let mut import = school().build();
    import.users[2].user_id = id("sam");
    import.users[2].display_name = crate::user::DisplayName::parse("Sam").unwrap();
    let plan = planned(&import, &state);
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    let warning = &plan.warnings[0];
    assert_eq!(place(warning), ("users.csv", Some(4), Some("username")));
    assert!(warning.message.contains("sam"), "{}", warning.message);
    assert!(plan.changes.created_accounts.is_empty());
    let [change] = plan.changes.updated_accounts.as_slice() else {
        panic!("{:?}", plan.changes.updated_accounts);
    };
    assert_eq!(change.sourced_id, person("s1"));
    assert_eq!(change.after.id, id("s1"));
    assert_eq!(change.after.display_name.as_str(), "Sam");
    assert!(plan.changes.removed_links.is_empty() && plan.changes.added_links.is_empty());
}

#[test]
fn an_active_delta_enrolment_of_an_unknown_person_or_class_is_a_problem_at_its_column() {
    let state = imported();
    let import = Bundle::new(Mode::Absent, Mode::Absent, Mode::Delta)
        .takes("maths", "nobody")
        .takes("nowhere", "s1")
        .takes("nowhere", "nobody")
        .build();
    let problems = refused(&import, &state, &[]);
    let places: Vec<_> = problems.iter().map(place).collect();
    assert_eq!(
        places,
        [
            ("enrollments.csv", Some(2), Some("userSourcedId")),
            ("enrollments.csv", Some(3), Some("classSourcedId")),
            ("enrollments.csv", Some(4), Some("userSourcedId")),
        ]
    );
    assert!(
        problems[0].message.contains("p-nobody"),
        "{}",
        problems[0].message
    );
    assert!(
        problems[1].message.contains("nowhere"),
        "{}",
        problems[1].message
    );
}

#[test]
fn an_inactive_enrolment_of_an_unknown_person_or_class_is_no_problem() {
    let state = imported();
    let import = Bundle::new(Mode::Absent, Mode::Absent, Mode::Delta)
        .enrol("maths", "nobody", false, |row| row.deleted = true)
        .enrol("nowhere", "s1", false, |row| {
            row.end = Some(Day::new(2025, 6, 30));
        })
        .enrol("nowhere", "s1", true, |row| {
            row.begin = Some(Day::new(2026, 9, 1));
        })
        .build();
    assert_eq!(planned(&import, &state).changes, RosterChanges::default());
}

#[test]
fn a_student_enrolled_as_a_teacher_is_a_warning_and_derives_no_link() {
    // s3 teaches maths on enrolment line 8.
    let import = school().teaches("maths", "s3").build();
    let plan = planned(&import, &RosterState::default());
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    assert_eq!(
        place(&plan.warnings[0]),
        ("enrollments.csv", Some(8), Some("role"))
    );
    let without = planned(&school().build(), &RosterState::default());
    assert_eq!(plan.changes.added_links, without.changes.added_links);
    assert!(
        !plan
            .changes
            .added_links
            .iter()
            .any(|l| l.teacher == id("s3"))
    );
}

/// A class `big` with one teacher and `students` students.
fn big_class(students: usize) -> crate::roster::RosterImport {
    let mut bundle = Bundle::bulk().user("t1", Role::Teacher).class("big");
    bundle = bundle.teaches("big", "t1");
    for n in 0..students {
        let user = format!("s{n}");
        bundle = bundle.user(&user, Role::Student).takes("big", &user);
    }
    bundle.build()
}

#[test]
fn a_class_over_the_most_members_is_a_problem() {
    let full = planned(&big_class(MAX_CLASS_MEMBERS - 1), &RosterState::default());
    assert_eq!(
        full.changes.created_classes[0].students.len(),
        MAX_CLASS_MEMBERS - 1
    );

    let problems = refused(&big_class(MAX_CLASS_MEMBERS), &RosterState::default(), &[]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(place(&problems[0]), ("enrollments.csv", None, None));
    assert!(
        problems[0].message.contains("big"),
        "{}",
        problems[0].message
    );
}

#[test]
fn at_most_a_hundred_problems_are_reported() {
    let mut bundle = Bundle::bulk();
    let mut taken = Vec::new();
    for n in 0..150 {
        bundle = bundle.user(&format!("s{n}"), Role::Student);
        taken.push(format!("s{n}"));
    }
    let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
    let problems = refused(&bundle.build(), &RosterState::default(), &taken);
    assert_eq!(problems.len(), 100);
    assert_eq!(problems[0].line, Some(2));
}

#[test]
fn new_user_ids_are_the_new_rows_that_are_not_deleted() {
    let state = imported();
    let import = school()
        .user("s4", Role::Student)
        .user_with("s5", Role::Student, |row| row.deleted = true)
        .build();
    assert_eq!(new_user_ids(&import, &state), [id("s4")]);
    assert_eq!(
        new_user_ids(&import, &RosterState::default()).len(),
        7,
        "everyone is new to an empty store but the deleted row"
    );
}

#[test]
fn a_problem_reads_as_its_place_and_message() {
    let field = Problem::at("users.csv", 4, "username", "taken");
    assert_eq!(
        field.to_string(),
        "users.csv line 4, column username: taken"
    );
    let whole = Problem {
        file: "enrollments.csv".into(),
        line: None,
        column: None,
        message: "too big".into(),
    };
    assert_eq!(whole.to_string(), "enrollments.csv: too big");
}

#[test]
fn problems_in_one_file_do_not_hide_those_of_another() {
    let state = RosterState::default();
    let import = school()
        .user("s4", Role::Student)
        .takes("nowhere", "s1")
        .build();
    let problems = refused(&import, &state, &["s4"]);
    let files: Vec<_> = problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(files, ["users.csv", "enrollments.csv"]);
}
