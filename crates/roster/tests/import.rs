//! From a read roster to the importer's rows: parents, guardians and relatives become
//! guardian accounts with the people their `agentSourcedIds` name, and what classchat
//! leaves out is reported as skipped.

use classchat_core::roster::{RosterImport, SourcedId};
use classchat_core::user::Role;
use classchat_roster::testing::{SchoolSpec, generate};
use classchat_roster::{Bundle, prepare, read, to_import};

fn small() -> SchoolSpec {
    SchoolSpec {
        teachers: 6,
        students: 60,
        classes: 6,
        guardians: 3,
        ..SchoolSpec::default()
    }
}

fn text(bundle: &Bundle, file: &str) -> String {
    String::from_utf8(bundle.file(file).unwrap().to_vec()).unwrap()
}

/// `users.csv` with the row of `sourced_id` edited.
fn edit_user(bundle: &mut Bundle, sourced_id: &str, edit: impl Fn(&str) -> String) {
    let prefix = format!("{sourced_id},");
    let users: String = text(bundle, "users.csv")
        .lines()
        .map(|line| {
            let line = if line.starts_with(&prefix) {
                edit(line)
            } else {
                line.to_owned()
            };
            format!("{line}\n")
        })
        .collect();
    bundle.insert("users.csv", users);
}

fn agents_of(import: &RosterImport, sourced_id: &str) -> Vec<String> {
    let user = import
        .users
        .iter()
        .find(|user| user.sourced_id.as_str() == sourced_id)
        .unwrap_or_else(|| panic!("{sourced_id} is imported"));
    user.agents.iter().map(ToString::to_string).collect()
}

#[test]
fn parents_guardians_and_relatives_import_as_guardians_named_from_either_side() {
    let import = prepare(&generate(&small())).unwrap();
    let guardians: Vec<(&str, &str)> = import
        .users
        .iter()
        .filter(|user| user.role == Role::Guardian)
        .map(|user| (user.sourced_id.as_str(), user.user_id.as_str()))
        .collect();
    assert_eq!(
        guardians,
        [
            ("family-1", "family.1"),
            ("family-2", "family.2"),
            ("family-3", "family.3"),
        ]
    );
    assert!(
        import.skipped.iter().all(|row| row.file != "users.csv"),
        "{:?}",
        import.skipped
    );
    // Both rows name the first link, only the student's the second, only the relative's
    // the third (see `SchoolSpec::guardians`).
    assert_eq!(agents_of(&import, "family-1"), ["student-00001"]);
    assert_eq!(agents_of(&import, "student-00001"), ["family-1"]);
    assert_eq!(agents_of(&import, "family-2"), Vec::<String>::new());
    assert_eq!(agents_of(&import, "student-00002"), ["family-2"]);
    assert_eq!(agents_of(&import, "family-3"), ["student-00003"]);
    assert_eq!(agents_of(&import, "student-00003"), Vec::<String>::new());
    assert_eq!(agents_of(&import, "teacher-0001"), Vec::<String>::new());
}

#[test]
fn an_agent_list_tolerates_spaces_around_commas_and_empty_entries() {
    let mut bundle = generate(&small());
    edit_user(&mut bundle, "family-1", |line| {
        line.replacen(
            ",student-00001,",
            ",\" student-00001 , ,student-00004,, \",",
            1,
        )
    });
    let import = prepare(&bundle).unwrap();
    assert_eq!(
        agents_of(&import, "family-1"),
        ["student-00001", "student-00004"]
    );
}

#[test]
fn an_agent_that_cannot_be_a_sourced_id_is_refused_at_its_field() {
    let mut roster = read(&generate(&small())).unwrap();
    let line = {
        let parent = roster
            .users
            .iter_mut()
            .find(|user| user.sourced_id == "family-3")
            .unwrap();
        parent.agent_sourced_ids.push("x".repeat(256));
        parent.agent_sourced_ids.push("bell\u{7}".to_owned());
        parent.line
    };
    let errors = to_import(&roster).unwrap_err();
    assert_eq!(errors.errors().len(), 2, "{errors}");
    for error in errors.errors() {
        assert_eq!(error.file, "users.csv");
        assert_eq!(error.line, Some(line));
        assert_eq!(error.column.as_deref(), Some("agentSourcedIds"));
        assert!(error.message.contains("sourcedId"), "{error}");
    }
}

#[test]
fn an_agent_with_a_control_character_is_refused_from_the_csv_too() {
    let mut bundle = generate(&small());
    edit_user(&mut bundle, "student-00001", |line| {
        line.replacen(",family-1,", ",\"family-1,fam\u{1}ly\",", 1)
    });
    let errors = prepare(&bundle).unwrap_err();
    assert!(
        errors.errors().iter().any(|error| error.file == "users.csv"
            && error.column.as_deref() == Some("agentSourcedIds")
            && error.line.is_some()),
        "{errors}"
    );
}

#[test]
fn a_guardian_enrolled_in_a_class_is_skipped_not_linked() {
    let mut bundle = generate(&small());
    let mut enrollments = text(&bundle, "enrollments.csv");
    enrollments.push_str(
        "enr-family-1,active,,class-0001,school-1,family-1,student,,2026-08-20,2099-07-31\n",
    );
    let line = enrollments.lines().count() as u64;
    bundle.insert("enrollments.csv", enrollments);
    let import = prepare(&bundle).unwrap();
    let family = SourcedId::parse("family-1").unwrap();
    assert!(import.enrollments.iter().all(|row| row.user != family));
    let skipped: Vec<_> = import
        .skipped
        .iter()
        .filter(|row| row.file == "enrollments.csv")
        .collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].sourced_id, "enr-family-1");
    assert_eq!(skipped[0].line, line);
    assert!(skipped[0].reason.contains("agentSourcedIds"), "{skipped:?}");
}
