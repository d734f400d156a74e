//! The changes as values: their order, the store patch of an account change, the one-line
//! summary, and the skipped rows passed through.

use super::{Bundle, RosterState, account, change, disabled, imported, planned, school};
use crate::roster::{RosterChanges, RosterImport, Skipped};
use crate::store::UserPatch;
use crate::user::{DisplayName, Role, User};

#[test]
fn results_are_sorted_whatever_the_order_of_the_rows() {
    let reversed = |mut import: RosterImport| {
        import.users.reverse();
        import.classes.reverse();
        import.enrollments.reverse();
        import
    };
    let forward = planned(&school().build(), &RosterState::default());
    let backward = planned(&reversed(school().build()), &RosterState::default());
    assert_eq!(backward.changes, forward.changes);

    // Updates, deletions and removals too: every student leaves, every class goes.
    let state = imported();
    let leaving = reversed(
        Bundle::bulk()
            .user("t1", Role::Teacher)
            .user("t2", Role::Teacher)
            .user("a1", Role::Admin)
            .build(),
    );
    let changes = planned(&leaving, &state).changes;
    let sourced_ids: Vec<_> = changes
        .updated_accounts
        .iter()
        .map(|change| change.sourced_id.as_str())
        .collect();
    assert_eq!(sourced_ids, ["p-s1", "p-s2", "p-s3"]);
    let classes: Vec<_> = changes
        .deleted_classes
        .iter()
        .map(|class| class.sourced_id.as_str())
        .collect();
    assert_eq!(classes, ["art", "maths"]);
    assert!(changes.removed_links.is_sorted());
    assert_eq!(changes.removed_links.len(), 4);
}

#[test]
fn a_patch_revokes_tokens_on_disabling_and_role_changes_only() {
    let before = account("s1", Role::Student);
    let renamed = User {
        display_name: DisplayName::parse("Sam").unwrap(),
        ..before.clone()
    };
    let promoted = User {
        role: Role::Teacher,
        ..before.clone()
    };
    let patch = |before: &User, after: &User| change("s1", before.clone(), after.clone()).patch();

    assert_eq!(patch(&before, &before), UserPatch::default());
    assert_eq!(
        patch(&before, &renamed),
        UserPatch {
            display_name: Some(renamed.display_name.clone()),
            ..UserPatch::default()
        }
    );
    assert_eq!(
        patch(&before, &disabled(before.clone())),
        UserPatch {
            disabled: Some(true),
            revoke_tokens: true,
            ..UserPatch::default()
        }
    );
    assert_eq!(
        patch(&disabled(before.clone()), &before),
        UserPatch {
            disabled: Some(false),
            ..UserPatch::default()
        }
    );
    assert_eq!(
        patch(&before, &promoted),
        UserPatch {
            role: Some(Role::Teacher),
            revoke_tokens: true,
            ..UserPatch::default()
        }
    );
    // A disabled account that stays disabled while renamed: nothing to void.
    assert!(!patch(&disabled(before.clone()), &disabled(renamed)).revoke_tokens);
}

#[test]
fn the_summary_counts_each_kind_of_change() {
    assert_eq!(
        RosterChanges::default().summary(),
        "users +0 ~0; classes +0 ~0 -0; links +0 -0"
    );
    let first = planned(&school().build(), &RosterState::default()).changes;
    assert_eq!(
        first.summary(),
        "users +6 ~0; classes +2 ~0 -0; links +4 -0"
    );

    let delta = Bundle::delta()
        .user("s4", Role::Student)
        .user("s5", Role::Student)
        .user("s6", Role::Student)
        .user_with("s1", Role::Student, |row| row.deleted = true)
        .user_with("s2", Role::Student, |row| row.enabled = false)
        .class("music")
        .class_with("art", |row| row.deleted = true)
        .takes("maths", "s4")
        .takes("maths", "s5")
        .takes("maths", "s6")
        .enrol("maths", "s2", false, |row| row.deleted = true)
        .build();
    let changes = planned(&delta, &imported()).changes;
    // +3 users, ~2 (s1, s2); +1 class, ~1 (maths), -1 (art);
    // +3 links (t1–s4..s6), -3 (t1–s2, t2–s2, t2–s3).
    assert_eq!(
        changes.summary(),
        "users +3 ~2; classes +1 ~1 -1; links +3 -3"
    );
}

#[test]
fn skipped_rows_are_passed_through() {
    let skipped = Skipped {
        file: "users.csv".into(),
        line: 9,
        sourced_id: "g-1".into(),
        reason: "family members have no accounts yet".into(),
    };
    let mut import = school().build();
    import.skipped.push(skipped.clone());
    assert_eq!(planned(&import, &RosterState::default()).skipped, [skipped]);
}
