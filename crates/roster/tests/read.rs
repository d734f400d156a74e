//! Reading whole bundles: the generated district, its zip round trip, 1.2, and every
//! malformation refused with its file and line.

use classchat_roster::testing::{Malformation, SchoolSpec, generate, to_zip};
use classchat_roster::{
    Bundle, BundleLimits, Date, FamilyRole, FileMode, OneRosterVersion, RosterErrors, RosterRole,
    read,
};
use std::collections::HashSet;

fn read_zip(bytes: &[u8]) -> Result<classchat_roster::Roster, RosterErrors> {
    Bundle::from_zip(bytes, &BundleLimits::default()).and_then(|bundle| read(&bundle))
}

fn small() -> SchoolSpec {
    SchoolSpec {
        teachers: 6,
        students: 60,
        classes: 6,
        guardians: 3,
        ..SchoolSpec::default()
    }
}

#[test]
fn the_default_district_reads_with_the_right_counts() {
    let spec = SchoolSpec::default();
    let roster = read(&generate(&spec)).unwrap();
    assert_eq!(roster.version, OneRosterVersion::V1_1);
    assert_eq!(roster.orgs.len(), 4, "a district and 3 schools");
    assert_eq!(roster.users.len(), 1 + 60 + 1500 + 6);
    assert_eq!(roster.classes.len(), 200);
    assert_eq!(roster.academic_sessions.len(), 1);
    let count = |role: RosterRole| roster.users.iter().filter(|u| u.role == role).count();
    assert_eq!(count(RosterRole::Student), 1500);
    assert_eq!(count(RosterRole::Teacher), 60, "teachers and aides");
    assert_eq!(count(RosterRole::Admin), 1);
    assert_eq!(count(RosterRole::Family(FamilyRole::Guardian)), 2);
    let students: usize = (0..200).map(|class| spec.class_students(class).len()).sum();
    assert_eq!(roster.enrollments.len(), 200 + students);
    for class in 0..200 {
        assert!((20..=35).contains(&spec.class_students(class).len()));
    }
    let enrolled: HashSet<&str> = roster
        .enrollments
        .iter()
        .map(|e| e.user_sourced_id.as_str())
        .collect();
    assert!(enrolled.len() > 1400, "most students are in some class");
    assert_eq!(roster.mode("users.csv"), FileMode::Bulk);
    assert_eq!(roster.mode("demographics.csv"), FileMode::Absent);
    let term_start = Date::parse("2026-08-20");
    assert!(
        roster
            .enrollments
            .iter()
            .all(|e| e.begin_date == term_start)
    );
    assert!(roster.enrollments[0].is_active_on(Date::parse("2026-09-01").unwrap()));
    assert!(!roster.enrollments[0].is_active_on(Date::parse("2099-08-01").unwrap()));
}

#[test]
fn the_zip_round_trip_reads_the_same_roster() {
    let bundle = generate(&SchoolSpec::default());
    let zipped = to_zip(&bundle);
    assert_eq!(read_zip(&zipped).unwrap(), read(&bundle).unwrap());
}

#[test]
fn a_zip_with_one_top_folder_reads() {
    let bundle = generate(&small());
    let nested = Bundle::from_files(
        bundle
            .files()
            .map(|(name, bytes)| (format!("export/{name}"), bytes)),
    );
    let roster = read_zip(&to_zip(&nested)).unwrap();
    assert_eq!(roster.classes.len(), 6);
}

#[test]
fn a_bom_crlf_and_quoted_lists_are_read() {
    let mut bundle = generate(&small());
    let users = bundle.file("users.csv").unwrap().to_vec();
    let text = String::from_utf8(users).unwrap().replace('\n', "\r\n");
    bundle.insert(
        "users.csv",
        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
    );
    let roster = read(&bundle).unwrap();
    let admin = roster
        .users
        .iter()
        .find(|u| u.role == RosterRole::Admin)
        .unwrap();
    assert_eq!(admin.org_sourced_ids, ["school-1", "school-2", "school-3"]);
    assert_eq!(admin.line, 2);
    let student = roster
        .users
        .iter()
        .find(|u| u.sourced_id == "student-00001")
        .unwrap();
    assert_eq!(student.agent_sourced_ids, ["family-1"]);
    assert_eq!(student.user_id.as_str(), "student.00001");
}

#[test]
fn a_1_2_bundle_takes_roles_and_orgs_from_roles_csv() {
    let spec = SchoolSpec {
        version: OneRosterVersion::V1_2,
        ..small()
    };
    let bundle = generate(&spec);
    assert!(bundle.file("roles.csv").is_some());
    let roster = read(&bundle).unwrap();
    assert_eq!(roster.version, OneRosterVersion::V1_2);
    let v11 = read(&generate(&small())).unwrap();
    let roles = |r: &classchat_roster::Roster| -> Vec<(String, RosterRole, Vec<String>)> {
        r.users
            .iter()
            .map(|u| {
                (
                    u.sourced_id.clone(),
                    u.role.clone(),
                    u.org_sourced_ids.clone(),
                )
            })
            .collect()
    };
    assert_eq!(roles(&roster), roles(&v11));
}

#[test]
fn disabled_users_and_family_roles_are_kept() {
    let mut bundle = generate(&small());
    let text = String::from_utf8(bundle.file("users.csv").unwrap().to_vec()).unwrap();
    bundle.insert(
        "users.csv",
        text.replacen("active,,true,", "active,,FALSE,", 2),
    );
    let roster = read(&bundle).unwrap();
    assert!(!roster.users[0].enabled && !roster.users[1].enabled && roster.users[2].enabled);
    let family = roster
        .users
        .iter()
        .filter(|u| matches!(u.role, RosterRole::Family(_)))
        .count();
    assert_eq!(family, 3);
}

fn assert_every_malformation_is_refused(spec: &SchoolSpec) {
    let bundle = generate(spec);
    for malformation in Malformation::ALL {
        let expected = malformation.expected();
        let errors = match read_zip(&malformation.apply(&bundle)) {
            Ok(_) => panic!("{malformation:?} was accepted"),
            Err(errors) => errors,
        };
        let named = errors
            .errors()
            .iter()
            .any(|error| error.file == expected.file && error.line == expected.line);
        assert!(
            named,
            "{malformation:?}: expected {expected:?}, got:\n{errors}"
        );
    }
}

#[test]
fn every_malformation_is_refused_naming_its_file_and_line() {
    assert_every_malformation_is_refused(&small());
}

#[test]
fn every_malformation_of_the_default_district_is_refused_too() {
    assert_every_malformation_is_refused(&SchoolSpec::default());
}

#[test]
fn a_row_with_a_wrong_field_count_is_one_error_not_a_cascade() {
    let errors = read_zip(&Malformation::WrongColumnCount.apply(&generate(&small()))).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "classes.csv line 2, column periods: 13 fields, but the header has 14"
    );
}

#[test]
fn errors_are_collected_not_stopped_at_the_first() {
    let mut bundle = generate(&small());
    let text = String::from_utf8(bundle.file("users.csv").unwrap().to_vec()).unwrap();
    let text = text
        .replacen(",teacher,", ",wizard,", 1)
        .replacen(",true,", ",maybe,", 3);
    bundle.insert("users.csv", text);
    bundle.remove("academicSessions.csv");
    let errors = read(&bundle).unwrap_err();
    let shown = errors.to_string();
    assert!(
        shown.contains("users.csv line 3, column role: \"wizard\""),
        "{shown}"
    );
    assert!(
        shown.contains("users.csv line 4, column enabledUser: \"maybe\""),
        "{shown}"
    );
    assert!(
        shown.contains("academicSessions.csv: missing, but manifest.csv line 4"),
        "{shown}"
    );
    assert_eq!(shown.lines().count(), errors.errors().len());
}

#[test]
fn two_users_with_one_username_is_one_error_naming_both_lines() {
    let bundle = generate(&small());
    let zipped = Malformation::DuplicateUsername.apply(&bundle);
    let errors = read_zip(&zipped).unwrap_err();
    assert_eq!(errors.errors().len(), 1, "{errors}");
    let message = &errors.errors()[0].message;
    assert!(message.contains("lines 3 and 4"), "{message}");
    assert_eq!(errors.errors()[0].column.as_deref(), Some("username"));
}

#[test]
fn a_delta_file_needs_a_status_and_may_delete() {
    let mut bundle = generate(&small());
    let manifest = String::from_utf8(bundle.file("manifest.csv").unwrap().to_vec()).unwrap();
    bundle.insert(
        "manifest.csv",
        manifest.replace("file.users,bulk", "file.users,delta"),
    );
    let users = String::from_utf8(bundle.file("users.csv").unwrap().to_vec()).unwrap();
    let users = users
        .replacen(",active,", ",tobedeleted,", 2)
        .replacen(",active,", ",,", 1);
    bundle.insert("users.csv", users);
    let errors = read(&bundle).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "users.csv line 4, column status: required in a delta file: active or tobedeleted"
    );
}

#[test]
fn a_file_at_the_size_limit_is_accepted_and_one_byte_more_is_not() {
    let bundle = Bundle::from_files([("manifest.csv", vec![b'x'; 100])]);
    let zipped = to_zip(&bundle);
    let limits = |max| BundleLimits {
        max_file_bytes: max,
        ..BundleLimits::default()
    };
    assert!(Bundle::from_zip(&zipped, &limits(100)).is_ok());
    let errors = Bundle::from_zip(&zipped, &limits(99)).unwrap_err();
    assert_eq!(errors.errors()[0].file, "manifest.csv");
    let total = BundleLimits {
        max_total_bytes: 99,
        ..BundleLimits::default()
    };
    assert!(Bundle::from_zip(&zipped, &total).is_err());
}

#[test]
fn a_1_2_primary_role_wins_over_a_secondary_one() {
    let spec = SchoolSpec {
        version: OneRosterVersion::V1_2,
        ..small()
    };
    let mut bundle = generate(&spec);
    let roles = String::from_utf8(bundle.file("roles.csv").unwrap().to_vec()).unwrap();
    // The first teacher gets an earlier secondary role as a student at another school.
    let extra = "role-x,active,,teacher-0001,secondary,student,,,school-3,\n";
    let (header, rest) = roles.split_once('\n').unwrap();
    bundle.insert("roles.csv", format!("{header}\n{extra}{rest}"));
    let roster = read(&bundle).unwrap();
    let teacher = roster
        .users
        .iter()
        .find(|u| u.sourced_id == "teacher-0001")
        .unwrap();
    assert_eq!(teacher.role, RosterRole::Teacher);
    assert_eq!(teacher.org_sourced_ids, ["school-1", "school-3"]);
}

#[test]
fn a_1_2_user_without_a_role_is_refused() {
    let spec = SchoolSpec {
        version: OneRosterVersion::V1_2,
        ..small()
    };
    let mut bundle = generate(&spec);
    let roles = String::from_utf8(bundle.file("roles.csv").unwrap().to_vec()).unwrap();
    let kept: Vec<&str> = roles
        .lines()
        .filter(|line| !line.contains(",teacher-0002,"))
        .collect();
    bundle.insert("roles.csv", kept.join("\n"));
    let errors = read(&bundle).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "users.csv line 4, column sourcedId: no role for this user in roles.csv"
    );
}

#[test]
fn errors_stop_at_the_cap_and_say_so() {
    let mut bundle = generate(&SchoolSpec::default());
    let users = String::from_utf8(bundle.file("users.csv").unwrap().to_vec()).unwrap();
    bundle.insert("users.csv", users.replace(",student,", ",pupil,"));
    let errors = read(&bundle).unwrap_err();
    assert_eq!(errors.errors().len(), classchat_roster::MAX_ERRORS);
    assert!(errors.truncated());
    assert!(errors.to_string().ends_with("(stopped after 100)"));
}

#[test]
fn a_zip_naming_one_file_twice_is_refused() {
    // The writer refuses duplicate names, so write two and rename one in the bytes (names
    // are not covered by the CRC).
    let bundle = Bundle::from_files([("users.csv", "a"), ("userz.csv", "b")]);
    let mut zipped = to_zip(&bundle);
    let (from, to) = (b"userz.csv", b"users.csv");
    for start in 0..zipped.len() - from.len() {
        if &zipped[start..start + from.len()] == from {
            zipped[start..start + from.len()].copy_from_slice(to);
        }
    }
    let errors = Bundle::from_zip(&zipped, &BundleLimits::default()).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "(zip archive): a file name appears twice in the zip; which copy is meant?"
    );
}

#[test]
fn sizes_declared_in_zip_headers_are_not_trusted() {
    let bundle = Bundle::from_files([("manifest.csv", vec![b'x'; 5000])]);
    let mut zipped = to_zip(&bundle);
    // Claim 10 bytes uncompressed in the local header (offset 22) and the central
    // directory (offset 24).
    for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let at = zipped
            .windows(4)
            .position(|window| window == signature)
            .unwrap()
            + offset;
        zipped[at..at + 4].copy_from_slice(&10u32.to_le_bytes());
    }
    let limits = BundleLimits {
        max_file_bytes: 100,
        ..BundleLimits::default()
    };
    let errors = Bundle::from_zip(&zipped, &limits).unwrap_err();
    assert_eq!(errors.errors()[0].file, "manifest.csv", "{errors}");
    assert_eq!(errors.errors()[0].line, None);
    assert!(
        errors.errors()[0].message.contains("larger than 100 bytes"),
        "{errors}"
    );
}
