//! The people of a generated district, and `users.csv` (with `roles.csv` in 1.2) for them.

use super::csv_text::CsvText;
use super::generate::{SchoolSpec, school_of};
use crate::files::full;

/// One row of `users.csv`, before it is written in either version's layout.
pub(super) struct Person {
    /// `sourcedId`.
    id: String,
    /// `role`.
    role: &'static str,
    /// `orgSourcedIds`, a comma list.
    orgs: String,
    /// `username`.
    username: String,
    /// `givenName`.
    given: String,
    /// `familyName`.
    family: String,
    /// `agentSourcedIds`, a comma list.
    agents: String,
    /// `grades`.
    grades: &'static str,
}

/// Everyone, in `users.csv` order: the admin, teachers, students, family members.
pub(super) fn people(spec: &SchoolSpec) -> Vec<Person> {
    let schools: Vec<String> = (0..spec.schools).map(SchoolSpec::school_id).collect();
    let mut people = vec![Person {
        id: "admin-1".into(),
        role: "administrator",
        orgs: schools.join(","),
        username: "district.admin".into(),
        given: "Dana".into(),
        family: "Admin".into(),
        agents: String::new(),
        grades: "",
    }];
    people.extend((0..spec.teachers).map(|index| Person {
        id: SchoolSpec::teacher_id(index),
        role: if index % 10 == 9 { "aide" } else { "teacher" },
        orgs: school_of(spec, index),
        username: format!("teacher.{:04}", index + 1),
        given: format!("Terry{}", index + 1),
        family: format!("Teacher{}", index + 1),
        agents: String::new(),
        grades: "",
    }));
    people.extend((0..spec.students).map(|index| Person {
        id: SchoolSpec::student_id(index),
        role: "student",
        orgs: school_of(spec, index),
        username: format!("student.{:05}", index + 1),
        given: format!("Sam{}", index + 1),
        family: format!("Student{}", index + 1),
        agents: if index < spec.guardians && names(index).0 {
            family_id(index)
        } else {
            String::new()
        },
        grades: if index % 2 == 0 { "09" } else { "10" },
    }));
    people.extend((0..spec.guardians.min(spec.students)).map(|index| Person {
        id: family_id(index),
        role: ["parent", "guardian", "relative"][index % 3],
        orgs: school_of(spec, index),
        username: format!("family.{}", index + 1),
        given: format!("Pat{}", index + 1),
        family: format!("Student{}", index + 1),
        agents: if names(index).1 {
            SchoolSpec::student_id(index)
        } else {
            String::new()
        },
        grades: "",
    }));
    people
}

/// Which side names the link of family member `index`, as (the student names the family
/// member, the family member names the student): both, then only the student, then only
/// the family member, in turn, so an import must derive the link from either side.
fn names(index: usize) -> (bool, bool) {
    match index % 3 {
        0 => (true, true),
        1 => (true, false),
        _ => (false, true),
    }
}

/// The sourcedId of the family member of student `index`.
fn family_id(index: usize) -> String {
    format!("family-{}", index + 1)
}

/// `users.csv` in the 1.1 layout.
pub(super) fn users_1_1(people: &[Person]) -> Vec<u8> {
    let mut users = CsvText::new(full::USERS);
    for p in people {
        users.row(&[
            &p.id,
            "active",
            "",
            "true",
            &p.orgs,
            p.role,
            &p.username,
            "",
            &p.given,
            &p.family,
            "",
            "",
            "",
            "",
            "",
            &p.agents,
            p.grades,
            "",
        ]);
    }
    users.into_bytes()
}

/// `users.csv` and `roles.csv` in the 1.2 layout: the first org's role is primary.
pub(super) fn users_1_2(people: &[Person]) -> (Vec<u8>, Vec<u8>) {
    let mut users = CsvText::new(USERS_1_2);
    let mut roles = CsvText::new(full::ROLES);
    for p in people {
        let primary_org = p.orgs.split(',').next().unwrap_or_default();
        users.row(&[
            &p.id,
            "active",
            "",
            "true",
            &p.username,
            "",
            &p.given,
            &p.family,
            "",
            "",
            "",
            "",
            "",
            &p.agents,
            p.grades,
            "",
            "",
            "",
            "",
            "",
            "",
            primary_org,
            "",
        ]);
        for (index, org) in p.orgs.split(',').enumerate() {
            let role_id = format!("role-{}-{org}", p.id);
            let kind = if index == 0 { "primary" } else { "secondary" };
            roles.row(&[&role_id, "active", "", &p.id, kind, p.role, "", "", org, ""]);
        }
    }
    (users.into_bytes(), roles.into_bytes())
}

/// `users.csv` header of OneRoster 1.2.
const USERS_1_2: &str = "sourcedId,status,dateLastModified,enabledUser,username,userIds,\
    givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,\
    userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,\
    preferredFamilyName,primaryOrgSourcedId,pronouns";
