//! Guardian links from `agentSourcedIds`: named from either side, derived whole in a bulk
//! file, restated per row in a delta, kept without `users.csv`, and warned about when a
//! name leads nowhere or pairs the wrong roles.

use super::*;
use crate::link::GuardianLink;

fn guardian(guardian: &str, student: &str) -> GuardianLink {
    GuardianLink {
        guardian: id(guardian),
        student: id(student),
    }
}

/// `g1` names `s1`; `s2` names `g1` and `g2`; `g3` names nobody.
fn families() -> Bundle {
    school()
        .user_with("g1", Role::Guardian, |row| row.agents = vec![person("s1")])
        .user_with("g2", Role::Guardian, |_| {})
        .user_with("g3", Role::Guardian, |_| {})
}

fn with_agents(bundle: Bundle, user: &str, agents: &[&str]) -> Bundle {
    let mut import = bundle.build();
    let row = import
        .users
        .iter_mut()
        .find(|row| row.user_id.as_str() == user)
        .unwrap();
    row.agents = agents.iter().map(|agent| person(agent)).collect();
    Bundle(import)
}

#[test]
fn either_side_names_the_link_and_importing_again_changes_nothing() {
    let empty = RosterState::default();
    let import = with_agents(families(), "s2", &["g1", "g2"]).build();
    let first = planned(&import, &empty);
    assert_eq!(
        first.changes.added_guardians,
        [
            guardian("g1", "s1"),
            guardian("g1", "s2"),
            guardian("g2", "s2")
        ]
    );
    assert!(first.changes.removed_guardians.is_empty());
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    assert!(first.changes.summary().ends_with("; guardians +3 -0"));
    let state = applied(&empty, &first.changes);
    let second = planned(&import, &state);
    assert!(second.changes.is_empty(), "{:?}", second.changes);
}

#[test]
fn a_bulk_file_drops_relations_no_row_names_any_more() {
    let empty = RosterState::default();
    let state = applied(
        &empty,
        &planned(
            &with_agents(families(), "s2", &["g1", "g2"]).build(),
            &empty,
        )
        .changes,
    );
    // g1 no longer names s1, and s2 names only g2.
    let import = with_agents(with_agents(families(), "g1", &[]), "s2", &["g2"]).build();
    let changes = planned(&import, &state).changes;
    assert!(changes.added_guardians.is_empty());
    assert_eq!(
        changes.removed_guardians,
        [guardian("g1", "s1"), guardian("g1", "s2")]
    );
}

#[test]
fn a_delta_row_restates_its_own_relations_and_leaves_the_rest() {
    let empty = RosterState::default();
    let state = applied(
        &empty,
        &planned(
            &with_agents(families(), "s2", &["g1", "g2"]).build(),
            &empty,
        )
        .changes,
    );
    // s2's row now names g3 alone: its links to g1 and g2 go, g1–s1 stays.
    let delta = Bundle::delta()
        .user_with("s2", Role::Student, |row| row.agents = vec![person("g3")])
        .build();
    let changes = planned(&delta, &state).changes;
    assert_eq!(changes.added_guardians, [guardian("g3", "s2")]);
    assert_eq!(
        changes.removed_guardians,
        [guardian("g1", "s2"), guardian("g2", "s2")]
    );
    // A delta without users.csv changes no guardian link.
    let classes_only = Bundle::new(Mode::Absent, Mode::Delta, Mode::Delta)
        .class("art")
        .build();
    let changes = planned(&classes_only, &state).changes;
    assert!(changes.added_guardians.is_empty() && changes.removed_guardians.is_empty());
}

#[test]
fn names_that_lead_nowhere_or_pair_the_wrong_roles_are_warnings() {
    let empty = RosterState::default();
    let import = with_agents(
        with_agents(families(), "g2", &["nobody", "t1", "g3"]),
        "s3",
        &["s1"],
    )
    .build();
    let plan = planned(&import, &empty);
    assert_eq!(plan.changes.added_guardians, [guardian("g1", "s1")]);
    let warnings: Vec<(u64, &str)> = plan
        .warnings
        .iter()
        .map(|warning| (warning.line.unwrap(), warning.column.as_deref().unwrap()))
        .collect();
    // g2 is on line 9 (after six school users and g1), s3 on line 6.
    assert_eq!(
        warnings,
        [
            (6, "agentSourcedIds"),
            (9, "agentSourcedIds"),
            (9, "agentSourcedIds"),
            (9, "agentSourcedIds"),
        ]
    );
    assert!(plan.warnings[1].message.contains("p-nobody"));
}

#[test]
fn a_guardian_who_becomes_a_teacher_loses_the_roster_links() {
    let empty = RosterState::default();
    let state = applied(&empty, &planned(&families().build(), &empty).changes);
    assert_eq!(state.guardians, [guardian("g1", "s1")]);
    let import = Bundle::new(Mode::Delta, Mode::Absent, Mode::Absent)
        .user_with("g1", Role::Teacher, |row| row.agents = vec![person("s1")])
        .build();
    let plan = planned(&import, &state);
    assert_eq!(plan.changes.removed_guardians, [guardian("g1", "s1")]);
    assert_eq!(plan.warnings.len(), 1);
}
