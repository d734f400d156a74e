//! Delta files, enrolment dates and absent files: what a bundle that is not the whole
//! picture changes, and what it leaves alone.

use super::{
    Bundle, RosterState, account, applied, change, class, disabled, imported, link, planned,
    roster_account, school, today,
};
use crate::roster::{Class, ClassChange, Day, ImportEnrollment, Mode, RosterChanges};
use crate::user::{DisplayName, Role, User};

#[test]
fn delta_rows_upsert_and_leave_the_unmentioned_alone() {
    let state = imported();
    let import = Bundle::delta()
        .user_with("s1", Role::Student, |row| {
            row.display_name = DisplayName::parse("Sam One").unwrap();
        })
        .user("s4", Role::Student)
        .class_with("maths", |row| row.title = "Algebra".into())
        .class("music")
        .teaches("music", "t1")
        .takes("music", "s4")
        .build();
    let s1 = account("s1", Role::Student);
    let renamed = User {
        display_name: DisplayName::parse("Sam One").unwrap(),
        ..s1.clone()
    };
    let maths = class("maths", &["t1"], &["s1", "s2"]);
    let expected = RosterChanges {
        created_accounts: vec![roster_account("s4", Role::Student)],
        updated_accounts: vec![change("s1", s1, renamed)],
        created_classes: vec![class("music", &["t1"], &["s4"])],
        updated_classes: vec![ClassChange {
            after: Class {
                title: "Algebra".into(),
                ..maths.clone()
            },
            before: maths,
        }],
        added_links: vec![link("t1", "s4")],
        ..RosterChanges::default()
    };
    assert_eq!(planned(&import, &state).changes, expected);
}

#[test]
fn a_deleted_delta_user_is_disabled_and_kept() {
    let state = imported();
    let import = Bundle::delta()
        .user_with("s1", Role::Student, |row| row.deleted = true)
        .user_with("s9", Role::Student, |row| row.deleted = true)
        .build();
    let changes = planned(&import, &state).changes;
    let s1 = account("s1", Role::Student);
    assert_eq!(
        changes.updated_accounts,
        [change("s1", s1.clone(), disabled(s1))]
    );
    assert!(
        changes.created_accounts.is_empty(),
        "a deleted stranger is nobody"
    );
    assert_eq!(applied(&state, &changes).accounts.len(), 6);
}

#[test]
fn a_deleted_delta_class_goes_with_the_links_only_it_implied() {
    // t1 teaches art too: t1–s2 is still implied by maths once art goes.
    let state = applied(
        &RosterState::default(),
        &planned(
            &school().teaches("art", "t1").build(),
            &RosterState::default(),
        )
        .changes,
    );
    assert!(state.links.contains(&link("t1", "s3")));
    let import = Bundle::new(Mode::Absent, Mode::Delta, Mode::Absent)
        .class_with("art", |row| row.deleted = true)
        .build();
    let changes = planned(&import, &state).changes;
    assert_eq!(
        changes,
        RosterChanges {
            deleted_classes: vec![class("art", &["t1", "t2"], &["s2", "s3"])],
            removed_links: vec![link("t1", "s3"), link("t2", "s2"), link("t2", "s3")],
            ..RosterChanges::default()
        }
    );
}

#[test]
fn a_deleted_or_ended_delta_enrolment_drops_the_member_and_its_links() {
    let state = imported();
    let yesterday = Day::new(2026, 3, 1);
    let import = Bundle::new(Mode::Absent, Mode::Absent, Mode::Delta)
        .enrol("maths", "s1", false, |row| row.deleted = true)
        .enrol("art", "s3", false, |row| row.end = Some(yesterday))
        .build();
    let changes = planned(&import, &state).changes;
    assert_eq!(
        changes,
        RosterChanges {
            updated_classes: vec![
                ClassChange {
                    before: class("art", &["t2"], &["s2", "s3"]),
                    after: class("art", &["t2"], &["s2"]),
                },
                ClassChange {
                    before: class("maths", &["t1"], &["s1", "s2"]),
                    after: class("maths", &["t1"], &["s2"]),
                },
            ],
            removed_links: vec![link("t1", "s1"), link("t2", "s3")],
            ..RosterChanges::default()
        }
    );
}

#[test]
fn an_enrolment_counts_only_from_its_begin_day_to_its_end_day() {
    let (yesterday, tomorrow) = (Day::new(2026, 3, 1), Day::new(2026, 3, 3));
    let dated = |begin: Option<Day>, end: Option<Day>| {
        move |row: &mut ImportEnrollment| {
            row.begin = begin;
            row.end = end;
        }
    };
    let import = Bundle::new(Mode::Bulk, Mode::Bulk, Mode::Bulk)
        .user("t1", Role::Teacher)
        .user("early", Role::Student)
        .user("late", Role::Student)
        .user("today", Role::Student)
        .user("during", Role::Student)
        .class("maths")
        .teaches("maths", "t1")
        .enrol("maths", "early", false, dated(Some(tomorrow), None))
        .enrol("maths", "late", false, dated(None, Some(yesterday)))
        .enrol("maths", "today", false, dated(Some(today()), Some(today())))
        .enrol(
            "maths",
            "during",
            false,
            dated(Some(yesterday), Some(tomorrow)),
        )
        .build();
    let changes = planned(&import, &RosterState::default()).changes;
    assert_eq!(
        changes.created_classes,
        [class("maths", &["t1"], &["during", "today"])]
    );
    assert_eq!(
        changes.added_links,
        [link("t1", "during"), link("t1", "today")]
    );
}

#[test]
fn an_absent_file_changes_nothing_of_its_kind() {
    let state = imported();
    // Each file left out in turn: the rest says what is there already.
    let without_users = {
        let mut import = school().build();
        import.users_mode = Mode::Absent;
        import.users.clear();
        import
    };
    let without_classes = {
        let mut import = school().build();
        import.classes_mode = Mode::Absent;
        import.classes.clear();
        import
    };
    let without_enrollments = {
        let mut import = school().build();
        import.enrollments_mode = Mode::Absent;
        import.enrollments.clear();
        import
    };
    for import in [without_users, without_classes, without_enrollments] {
        assert_eq!(
            planned(&import, &state).changes,
            RosterChanges::default(),
            "{import:?}"
        );
    }
    let nothing = Bundle::new(Mode::Absent, Mode::Absent, Mode::Absent).build();
    assert!(planned(&nothing, &state).changes.is_empty());
}

#[test]
fn an_ended_enrolment_does_not_undo_an_active_one_of_the_same_pair() {
    // s1 left maths last term and came back: two enrolment records, in either order.
    let last_term = |row: &mut ImportEnrollment| {
        row.begin = Some(Day::new(2025, 9, 1));
        row.end = Some(Day::new(2026, 1, 31));
    };
    let base = || {
        Bundle::bulk()
            .user("t1", Role::Teacher)
            .user("s1", Role::Student)
            .class("maths")
            .teaches("maths", "t1")
    };
    let old_first = base()
        .enrol("maths", "s1", false, last_term)
        .takes("maths", "s1")
        .build();
    let new_first = base()
        .takes("maths", "s1")
        .enrol("maths", "s1", false, last_term)
        .build();
    for import in [old_first, new_first] {
        let changes = planned(&import, &RosterState::default()).changes;
        assert_eq!(
            changes.created_classes,
            [class("maths", &["t1"], &["s1"])],
            "{:?}",
            import.enrollments
        );
        assert_eq!(changes.added_links, [link("t1", "s1")]);
    }
}
