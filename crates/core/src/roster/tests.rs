//! `plan()` on imports built by hand: what a bulk bundle creates, updates, disables and
//! drops against what earlier imports left. Delta files, dates and absent files are in
//! `delta`, problems and warnings in `problems`, the changes as values in `changes`.
//!
//! People get the sourcedId `p-` and their userId; a class's sourcedId is its short name.
//! [`applied`] plays the store: the state an import's changes leave.

mod changes;
mod delta;
mod emails;
mod guardians;
mod problems;

use super::{
    AccountChange, Class, Day, ImportClass, ImportEnrollment, ImportUser, Mode, RosterAccount,
    RosterChanges, RosterImport, RosterPlan, RosterState, SourcedId, plan,
};
use crate::ids::UserId;
use crate::link::Link;
use crate::user::{DisplayName, Role, User};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The day every plan here is made on.
fn today() -> Day {
    Day::new(2026, 3, 2)
}

fn sid(raw: &str) -> SourcedId {
    SourcedId::parse(raw).unwrap()
}

fn id(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

/// The sourcedId of the person whose userId is `user`.
fn person(user: &str) -> SourcedId {
    sid(&format!("p-{user}"))
}

fn link(teacher: &str, student: &str) -> Link {
    Link {
        teacher: id(teacher),
        student: id(student),
    }
}

/// The account a [`Bundle::user`] row describes.
fn account(user: &str, role: Role) -> User {
    User {
        id: id(user),
        display_name: DisplayName::parse(&format!("Name of {user}")).unwrap(),
        role,
        disabled: false,
    }
}

fn roster_account(user: &str, role: Role) -> RosterAccount {
    RosterAccount {
        sourced_id: person(user),
        user: account(user, role),
    }
}

/// A class as stored, with the title [`Bundle::class`] gives it.
fn class(name: &str, teachers: &[&str], students: &[&str]) -> Class {
    Class {
        sourced_id: sid(name),
        title: format!("Title of {name}"),
        teachers: teachers.iter().map(|user| id(user)).collect(),
        students: students.iter().map(|user| id(user)).collect(),
    }
}

/// A bundle under construction; each row gets the line it would have in its file (the
/// header is line 1).
struct Bundle(RosterImport);

impl Bundle {
    fn new(users_mode: Mode, classes_mode: Mode, enrollments_mode: Mode) -> Self {
        Self(RosterImport {
            users_mode,
            users: Vec::new(),
            classes_mode,
            classes: Vec::new(),
            enrollments_mode,
            enrollments: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
        })
    }

    fn bulk() -> Self {
        Self::new(Mode::Bulk, Mode::Bulk, Mode::Bulk)
    }

    fn delta() -> Self {
        Self::new(Mode::Delta, Mode::Delta, Mode::Delta)
    }

    /// An enabled person `user`, named `Name of {user}`.
    fn user(self, user: &str, role: Role) -> Self {
        self.user_with(user, role, |_| {})
    }

    fn user_with(mut self, user: &str, role: Role, edit: impl FnOnce(&mut ImportUser)) -> Self {
        let mut row = ImportUser {
            sourced_id: person(user),
            line: self.0.users.len() as u64 + 2,
            user_id: id(user),
            role,
            display_name: DisplayName::parse(&format!("Name of {user}")).unwrap(),
            enabled: true,
            deleted: false,
            agents: Vec::new(),
            email: None,
        };
        edit(&mut row);
        self.0.users.push(row);
        self
    }

    /// A class titled `Title of {name}`.
    fn class(self, name: &str) -> Self {
        self.class_with(name, |_| {})
    }

    fn class_with(mut self, name: &str, edit: impl FnOnce(&mut ImportClass)) -> Self {
        let mut row = ImportClass {
            sourced_id: sid(name),
            line: self.0.classes.len() as u64 + 2,
            title: format!("Title of {name}"),
            deleted: false,
        };
        edit(&mut row);
        self.0.classes.push(row);
        self
    }

    fn teaches(self, class: &str, user: &str) -> Self {
        self.enrol(class, user, true, |_| {})
    }

    fn takes(self, class: &str, user: &str) -> Self {
        self.enrol(class, user, false, |_| {})
    }

    /// An undated enrolment of `user` in `class`, then `edit`ed.
    fn enrol(
        mut self,
        class: &str,
        user: &str,
        teaches: bool,
        edit: impl FnOnce(&mut ImportEnrollment),
    ) -> Self {
        let mut row = ImportEnrollment {
            line: self.0.enrollments.len() as u64 + 2,
            class: sid(class),
            user: person(user),
            teaches,
            begin: None,
            end: None,
            deleted: false,
        };
        edit(&mut row);
        self.0.enrollments.push(row);
        self
    }

    fn build(self) -> RosterImport {
        self.0
    }
}

/// Two classes sharing `s2`: maths (`t1`; `s1`, `s2`) and art (`t2`; `s2`, `s3`), and an
/// admin in neither. Six users on lines 2–7, six enrolments on lines 2–7.
fn school() -> Bundle {
    Bundle::bulk()
        .user("t1", Role::Teacher)
        .user("t2", Role::Teacher)
        .user("s1", Role::Student)
        .user("s2", Role::Student)
        .user("s3", Role::Student)
        .user("a1", Role::Admin)
        .class("maths")
        .class("art")
        .teaches("maths", "t1")
        .takes("maths", "s1")
        .takes("maths", "s2")
        .teaches("art", "t2")
        .takes("art", "s2")
        .takes("art", "s3")
}

/// The plan of `import` against `state`, with no userId taken by hand; panics on problems.
fn planned(import: &RosterImport, state: &RosterState) -> RosterPlan {
    plan(import, state, &HashSet::new(), today()).unwrap()
}

/// What a store holds after applying `changes` to `state`.
fn applied(state: &RosterState, changes: &RosterChanges) -> RosterState {
    let mut accounts: BTreeMap<SourcedId, User> = state
        .accounts
        .iter()
        .map(|account| (account.sourced_id.clone(), account.user.clone()))
        .collect();
    for account in &changes.created_accounts {
        assert!(
            accounts
                .insert(account.sourced_id.clone(), account.user.clone())
                .is_none()
        );
    }
    for change in &changes.updated_accounts {
        let user = accounts.get_mut(&change.sourced_id).unwrap();
        assert_eq!(*user, change.before);
        *user = change.after.clone();
    }
    let mut classes: BTreeMap<SourcedId, Class> = state
        .classes
        .iter()
        .map(|class| (class.sourced_id.clone(), class.clone()))
        .collect();
    for class in &changes.created_classes {
        assert!(
            classes
                .insert(class.sourced_id.clone(), class.clone())
                .is_none()
        );
    }
    for change in &changes.updated_classes {
        let old = classes.insert(change.after.sourced_id.clone(), change.after.clone());
        assert_eq!(old.as_ref(), Some(&change.before));
    }
    for class in &changes.deleted_classes {
        assert!(classes.remove(&class.sourced_id).is_some());
    }
    let mut links: BTreeSet<Link> = state.links.iter().cloned().collect();
    for link in &changes.added_links {
        assert!(links.insert(link.clone()));
    }
    for link in &changes.removed_links {
        assert!(links.remove(link));
    }
    let mut guardians: BTreeSet<crate::link::GuardianLink> =
        state.guardians.iter().cloned().collect();
    for link in &changes.added_guardians {
        assert!(guardians.insert(link.clone()));
    }
    for link in &changes.removed_guardians {
        assert!(guardians.remove(link));
    }
    RosterState {
        accounts: accounts
            .into_iter()
            .map(|(sourced_id, user)| RosterAccount { sourced_id, user })
            .collect(),
        classes: classes.into_values().collect(),
        links: links.into_iter().collect(),
        guardians: guardians.into_iter().collect(),
    }
}

/// What importing [`school`] into an empty store leaves.
fn imported() -> RosterState {
    let empty = RosterState::default();
    applied(&empty, &planned(&school().build(), &empty).changes)
}

fn disabled(mut user: User) -> User {
    user.disabled = true;
    user
}

fn change(user: &str, before: User, after: User) -> AccountChange {
    AccountChange {
        sourced_id: person(user),
        before,
        after,
    }
}

#[test]
fn a_bulk_import_into_an_empty_state_creates_accounts_classes_and_the_links_of_shared_classes() {
    let plan = planned(&school().build(), &RosterState::default());
    let expected = RosterChanges {
        created_accounts: vec![
            roster_account("a1", Role::Admin),
            roster_account("s1", Role::Student),
            roster_account("s2", Role::Student),
            roster_account("s3", Role::Student),
            roster_account("t1", Role::Teacher),
            roster_account("t2", Role::Teacher),
        ],
        created_classes: vec![
            class("art", &["t2"], &["s2", "s3"]),
            class("maths", &["t1"], &["s1", "s2"]),
        ],
        added_links: vec![
            link("t1", "s1"),
            link("t1", "s2"),
            link("t2", "s2"),
            link("t2", "s3"),
        ],
        ..RosterChanges::default()
    };
    assert_eq!(plan.changes, expected);
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    assert!(plan.skipped.is_empty());
}

#[test]
fn planning_the_same_import_against_what_it_produced_changes_nothing() {
    let state = imported();
    assert_eq!(state.accounts.len(), 6);
    let again = planned(&school().build(), &state);
    assert_eq!(again.changes, RosterChanges::default());
    assert!(again.changes.is_empty());
    assert!(again.warnings.is_empty());

    // The same holds after a delta that changes every kind of thing.
    let delta = Bundle::delta()
        .user("s4", Role::Student)
        .user_with("s1", Role::Student, |row| row.deleted = true)
        .class("music")
        .class_with("art", |row| row.deleted = true)
        .teaches("music", "t2")
        .takes("music", "s4")
        .enrol("maths", "s2", false, |row| row.deleted = true)
        .build();
    let changes = planned(&delta, &state).changes;
    assert!(!changes.is_empty());
    let after = applied(&state, &changes);
    assert_eq!(planned(&delta, &after).changes, RosterChanges::default());
}

#[test]
fn bulk_users_absent_from_the_file_are_disabled_never_removed() {
    let state = imported();
    let mut import = school().build();
    import.users.retain(|row| row.user_id != id("s3"));
    import.classes_mode = Mode::Absent;
    import.classes.clear();
    import.enrollments_mode = Mode::Absent;
    import.enrollments.clear();

    let changes = planned(&import, &state).changes;
    let s3 = account("s3", Role::Student);
    assert_eq!(
        changes,
        RosterChanges {
            updated_accounts: vec![change("s3", s3.clone(), disabled(s3.clone()))],
            ..RosterChanges::default()
        }
    );
    let after = applied(&state, &changes);
    assert_eq!(after.accounts.len(), 6, "nobody is removed");
    // Still absent: still disabled, nothing more to do.
    assert!(planned(&import, &after).changes.is_empty());
}

#[test]
fn accounts_disabled_in_the_file_are_created_disabled_and_follow_the_file() {
    let import = Bundle::bulk()
        .user_with("s1", Role::Student, |row| row.enabled = false)
        .user("s2", Role::Student)
        .build();
    let changes = planned(&import, &RosterState::default()).changes;
    assert_eq!(
        changes.created_accounts,
        [
            RosterAccount {
                sourced_id: person("s1"),
                user: disabled(account("s1", Role::Student)),
            },
            roster_account("s2", Role::Student),
        ]
    );

    // The file enables s1 and disables s2.
    let state = applied(&RosterState::default(), &changes);
    let flipped = Bundle::bulk()
        .user("s1", Role::Student)
        .user_with("s2", Role::Student, |row| row.enabled = false)
        .build();
    let (s1, s2) = (account("s1", Role::Student), account("s2", Role::Student));
    assert_eq!(
        planned(&flipped, &state).changes.updated_accounts,
        [
            change("s1", disabled(s1.clone()), s1),
            change("s2", s2.clone(), disabled(s2)),
        ]
    );
}

#[test]
fn bulk_classes_and_enrolments_replace_what_earlier_imports_left() {
    let state = imported();
    let mut import = school().build();
    import.classes.retain(|row| row.sourced_id != sid("art"));
    import.enrollments.retain(|row| row.class != sid("art"));
    import.enrollments.retain(|row| row.user != person("s2"));
    let changes = planned(&import, &state).changes;
    assert_eq!(
        changes,
        RosterChanges {
            updated_classes: vec![super::ClassChange {
                before: class("maths", &["t1"], &["s1", "s2"]),
                after: class("maths", &["t1"], &["s1"]),
            }],
            deleted_classes: vec![class("art", &["t2"], &["s2", "s3"])],
            removed_links: vec![link("t1", "s2"), link("t2", "s2"), link("t2", "s3")],
            ..RosterChanges::default()
        }
    );
}

#[test]
fn a_role_change_updates_the_account_and_the_links_it_implies() {
    let state = imported();
    let mut import = school().build();
    import.users[0].role = Role::Student; // t1
    let plan = planned(&import, &state);
    let t1 = account("t1", Role::Teacher);
    let demoted = User {
        role: Role::Student,
        ..t1.clone()
    };
    assert_eq!(plan.changes.updated_accounts, [change("t1", t1, demoted)]);
    assert!(plan.changes.updated_accounts[0].patch().revoke_tokens);
    assert_eq!(
        plan.changes.removed_links,
        [link("t1", "s1"), link("t1", "s2")]
    );
    // The enrolment as a teacher no longer fits the role.
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    assert_eq!(plan.warnings[0].line, Some(2));
}

#[test]
fn a_link_is_derived_only_between_a_teacher_and_a_student() {
    let import = Bundle::bulk()
        .user("t1", Role::Teacher)
        .user("t2", Role::Teacher)
        .user("s1", Role::Student)
        .user("s2", Role::Student)
        .user("a1", Role::Admin)
        .class("club")
        .teaches("club", "t1")
        .teaches("club", "t2")
        .teaches("club", "a1")
        .takes("club", "s1")
        .takes("club", "s2")
        .takes("club", "t2")
        .takes("club", "a1")
        .build();
    let plan = planned(&import, &RosterState::default());
    assert_eq!(
        plan.changes.added_links,
        [
            link("t1", "s1"),
            link("t1", "s2"),
            link("t2", "s1"),
            link("t2", "s2"),
        ]
    );
    // The admin as teacher and as student, the teacher as student.
    assert_eq!(plan.warnings.len(), 3, "{:?}", plan.warnings);
}

#[test]
fn the_sourced_id_pattern_states_what_parse_accepts() {
    let pattern = regex_lite::Regex::new(super::SOURCED_ID_PATTERN).unwrap();
    for raw in ["class-0001", "a b", "Ünïcode ✓", "x/y?z#", "\u{A0}", "é"] {
        assert!(SourcedId::parse(raw).is_some(), "{raw:?}");
        assert!(pattern.is_match(raw), "{raw:?}");
    }
    for raw in ["", "a\u{0}b", "tab\there", "\u{7F}", "\u{85}", "\u{9F}x"] {
        assert!(SourcedId::parse(raw).is_none(), "{raw:?}");
        assert!(!pattern.is_match(raw), "{raw:?}");
    }
}
