//! From a read roster to the importer's rows: parents, guardians and relatives become
//! guardian accounts with the people their `agentSourcedIds` name, what classchat
//! leaves out is reported as skipped, and an `email` that is no address is a warning.

use classchat_core::roster::{RosterImport, SourcedId};
use classchat_core::user::Role;
use classchat_roster::testing::{SchoolSpec, generate};
use classchat_roster::{Bundle, OneRosterVersion, Status, prepare, read, to_import};

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

/// `users.csv` with `email` of the row of `sourced_id` set to `email`, whatever the layout.
fn set_email(bundle: &mut Bundle, sourced_id: &str, email: &str) {
    let users = text(bundle, "users.csv");
    let mut reader = csv::Reader::from_reader(users.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = header.iter().position(|name| name == "email").unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for record in reader.records() {
        let mut fields: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        if fields[0] == sourced_id {
            fields[column] = email.to_owned();
        }
        writer.write_record(&fields).unwrap();
    }
    bundle.insert("users.csv", writer.into_inner().unwrap());
}

fn email_of(import: &RosterImport, sourced_id: &str) -> Option<String> {
    let user = import
        .users
        .iter()
        .find(|user| user.sourced_id.as_str() == sourced_id)
        .unwrap_or_else(|| panic!("{sourced_id} is imported"));
    user.email.as_ref().map(ToString::to_string)
}

#[test]
fn the_email_column_gives_each_account_its_address_in_either_layout() {
    for version in [OneRosterVersion::V1_1, OneRosterVersion::V1_2] {
        let mut bundle = generate(&SchoolSpec { version, ..small() });
        set_email(&mut bundle, "student-00001", " ada.student@school.example ");
        set_email(&mut bundle, "family-1", "parent+1@home.example");
        let import = prepare(&bundle).unwrap();
        assert_eq!(
            email_of(&import, "student-00001").as_deref(),
            Some("ada.student@school.example"),
            "{version:?}"
        );
        assert_eq!(
            email_of(&import, "family-1").as_deref(),
            Some("parent+1@home.example")
        );
        // Blank: no address (the import leaves whatever is stored).
        assert_eq!(email_of(&import, "student-00002"), None);
        assert!(import.warnings.is_empty(), "{:?}", import.warnings);
    }
}

#[test]
fn an_address_that_is_no_address_is_a_warning_and_the_account_is_still_imported() {
    let mut bundle = generate(&small());
    set_email(&mut bundle, "student-00002", "ada at school");
    set_email(
        &mut bundle,
        "teacher-0001",
        "t1@school.example;t1@home.example",
    );
    let line_of = |sourced_id: &str| {
        let roster = read(&bundle).unwrap();
        let user = roster.users.iter().find(|u| u.sourced_id == sourced_id);
        user.unwrap().line
    };
    let (student_line, teacher_line) = (line_of("student-00002"), line_of("teacher-0001"));

    let import = prepare(&bundle).unwrap();
    assert_eq!(email_of(&import, "student-00002"), None);
    assert_eq!(email_of(&import, "teacher-0001"), None);
    let places: Vec<_> = import
        .warnings
        .iter()
        .map(|warning| {
            let column = warning.column.as_deref();
            (warning.file.as_str(), warning.line, column)
        })
        .collect();
    assert_eq!(
        places,
        [
            ("users.csv", Some(teacher_line), Some("email")),
            ("users.csv", Some(student_line), Some("email")),
        ]
    );
    assert!(
        import.warnings[1].message.contains("\"ada at school\""),
        "{}",
        import.warnings[1]
    );
    assert!(import.warnings[1].message.contains("imported without"));
}

#[test]
fn a_deleted_rows_address_is_not_even_checked() {
    let mut bundle = generate(&small());
    set_email(&mut bundle, "student-00003", "not an address");
    let mut roster = read(&bundle).unwrap();
    let row = (roster.users.iter_mut())
        .find(|user| user.sourced_id == "student-00003")
        .unwrap();
    row.status = Some(Status::ToBeDeleted);
    let import = to_import(&roster).unwrap();
    assert_eq!(email_of(&import, "student-00003"), None);
    assert!(import.warnings.is_empty(), "{:?}", import.warnings);
}
