//! A consistent OneRoster bulk bundle for a made-up district, written in memory.
//!
//! Layout (fixed, so tests can name lines): `orgs.csv` has the district on line 2 and the
//! schools after it; `users.csv` has the admin on line 2, then the teachers, the students
//! and the family members; `classes.csv` has class *k* on line *k* + 2; `enrollments.csv`
//! lists each class's teacher then its students. Everything is derived arithmetically from
//! the indices: no randomness.

use super::csv_text::CsvText;
use super::people::{people, users_1_1, users_1_2};
use crate::bundle::Bundle;
use crate::files::full;
use crate::model::OneRosterVersion;

/// The shape of the district to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolSpec {
    /// 1.1 (role and orgs in `users.csv`) or 1.2 (in `roles.csv`).
    pub version: OneRosterVersion,
    /// Schools, under one district org.
    pub schools: usize,
    /// Teachers, spread round-robin over the schools.
    pub teachers: usize,
    /// Students, spread round-robin over the schools.
    pub students: usize,
    /// Classes, spread round-robin over the schools; each has one teacher of its school.
    pub classes: usize,
    /// Fewest students in a class.
    pub min_class_size: usize,
    /// Most students in a class (sizes cycle between the two).
    pub max_class_size: usize,
    /// Family members (OneRoster `parent`, `guardian`, `relative` in turn), each linked to
    /// the student of the same index by `agentSourcedIds`: on both rows, then on the
    /// student's only, then on the family member's only, in turn. They import as guardian
    /// accounts with one guardian link each; 0 leaves families out.
    pub guardians: usize,
}

impl Default for SchoolSpec {
    /// The district: 3 schools, 60 teachers, 1,500 students, 200 classes of 20–35.
    fn default() -> Self {
        Self {
            version: OneRosterVersion::V1_1,
            schools: 3,
            teachers: 60,
            students: 1500,
            classes: 200,
            min_class_size: 20,
            max_class_size: 35,
            guardians: 6,
        }
    }
}

/// The sourcedId of the one term every class runs in.
pub(crate) const TERM: &str = "term-2026-fall";
/// First day of the term and of every enrolment.
const TERM_START: &str = "2026-08-20";
/// Last day of the term and of every enrolment: far ahead, so that tests importing the
/// bundle on the real date find every enrolment active whenever they run.
const TERM_END: &str = "2099-07-31";

impl SchoolSpec {
    /// The sourcedId of school `index` (0-based).
    pub fn school_id(index: usize) -> String {
        format!("school-{}", index + 1)
    }

    /// The sourcedId of teacher `index`.
    pub fn teacher_id(index: usize) -> String {
        format!("teacher-{:04}", index + 1)
    }

    /// The sourcedId of student `index`.
    pub fn student_id(index: usize) -> String {
        format!("student-{:05}", index + 1)
    }

    /// The sourcedId of class `index`.
    pub fn class_id(index: usize) -> String {
        format!("class-{:04}", index + 1)
    }

    /// The students of class `index`, as student indices.
    pub fn class_students(&self, index: usize) -> Vec<usize> {
        let schools = self.schools.max(1);
        let school = index % schools;
        let pool: Vec<usize> = (school..self.students).step_by(schools).collect();
        let span = self.max_class_size.saturating_sub(self.min_class_size) + 1;
        let size = (self.min_class_size + (index * 7) % span).min(pool.len());
        let start = if pool.is_empty() {
            0
        } else {
            (index / schools) * 13 % pool.len()
        };
        (0..size)
            .map(|offset| pool[(start + offset) % pool.len()])
            .collect()
    }

    /// The teacher of class `index`, as a teacher index: one of its school's teachers.
    pub fn class_teacher(&self, index: usize) -> Option<usize> {
        let schools = self.schools.max(1);
        let school = index % schools;
        let pool: Vec<usize> = (school..self.teachers).step_by(schools).collect();
        (!pool.is_empty()).then(|| pool[(index / schools) % pool.len()])
    }
}

/// Writes the bundle `spec` describes (manifest, orgs, users, classes, enrollments,
/// academicSessions, courses, and roles in 1.2).
pub fn generate(spec: &SchoolSpec) -> Bundle {
    let v12 = spec.version == OneRosterVersion::V1_2;
    let mut bundle = Bundle::default();
    bundle.insert("manifest.csv", manifest(v12));
    bundle.insert("orgs.csv", orgs(spec));
    let mut sessions = CsvText::new(full::ACADEMIC_SESSIONS);
    sessions.row(&[
        TERM,
        "active",
        "",
        "Fall 2026",
        "term",
        TERM_START,
        TERM_END,
        "",
        "2027",
    ]);
    bundle.insert("academicSessions.csv", sessions.into_bytes());
    bundle.insert("courses.csv", courses(spec));
    let people = people(spec);
    if v12 {
        let (users, roles) = users_1_2(&people);
        bundle.insert("users.csv", users);
        bundle.insert("roles.csv", roles);
    } else {
        bundle.insert("users.csv", users_1_1(&people));
    }
    let (classes, enrollments) = classes_and_enrollments(spec);
    bundle.insert("classes.csv", classes);
    bundle.insert("enrollments.csv", enrollments);
    bundle
}

/// The school of the person or class with this index: round-robin.
pub(super) fn school_of(spec: &SchoolSpec, index: usize) -> String {
    SchoolSpec::school_id(index % spec.schools.max(1))
}

/// `orgs.csv`: the district, then its schools.
fn orgs(spec: &SchoolSpec) -> Vec<u8> {
    let mut orgs = CsvText::new(full::ORGS);
    orgs.row(&[
        "district-1",
        "active",
        "",
        "Example District",
        "district",
        "D1",
        "",
    ]);
    for index in 0..spec.schools {
        let (id, name) = (
            SchoolSpec::school_id(index),
            format!("School {}", index + 1),
        );
        orgs.row(&[&id, "active", "", &name, "school", &id, "district-1"]);
    }
    orgs.into_bytes()
}

/// `courses.csv`: one course per school, so classes' `courseSourcedId` can be checked.
fn courses(spec: &SchoolSpec) -> Vec<u8> {
    let mut courses = CsvText::new(full::COURSES);
    for index in 0..spec.schools {
        let school = SchoolSpec::school_id(index);
        let id = format!("course-{school}");
        courses.row(&[
            &id,
            "active",
            "",
            "",
            "General studies",
            &id,
            "09,10",
            &school,
            "",
            "",
        ]);
    }
    courses.into_bytes()
}

/// `classes.csv` and `enrollments.csv`: each class's teacher, then its students.
fn classes_and_enrollments(spec: &SchoolSpec) -> (Vec<u8>, Vec<u8>) {
    let mut classes = CsvText::new(full::CLASSES);
    let mut enrollments = CsvText::new(full::ENROLLMENTS);
    for index in 0..spec.classes {
        let id = SchoolSpec::class_id(index);
        let school = school_of(spec, index);
        let course = format!("course-{school}");
        let title = format!("Class {}", index + 1);
        classes.row(&[
            &id,
            "active",
            "",
            &title,
            "09,10",
            &course,
            &id,
            "scheduled",
            "",
            &school,
            TERM,
            "",
            "",
            "1",
        ]);
        let mut enrol = |user: String, role: &str| {
            let enrollment = format!("enr-{id}-{user}");
            enrollments.row(&[
                &enrollment,
                "active",
                "",
                &id,
                &school,
                &user,
                role,
                "",
                TERM_START,
                TERM_END,
            ]);
        };
        if let Some(teacher) = spec.class_teacher(index) {
            enrol(SchoolSpec::teacher_id(teacher), "teacher");
        }
        for student in spec.class_students(index) {
            enrol(SchoolSpec::student_id(student), "student");
        }
    }
    (classes.into_bytes(), enrollments.into_bytes())
}

/// The manifest: every 1.1 file listed, the ones written as bulk.
fn manifest(v12: bool) -> Vec<u8> {
    let mut text = CsvText::new("propertyName,value");
    text.row(&["manifest.version", "1.0"]);
    text.row(&["oneroster.version", if v12 { "1.2" } else { "1.1" }]);
    for (file, mode) in [
        ("academicSessions", "bulk"),
        ("categories", "absent"),
        ("classes", "bulk"),
        ("classResources", "absent"),
        ("courses", "bulk"),
        ("courseResources", "absent"),
        ("demographics", "absent"),
        ("enrollments", "bulk"),
        ("lineItems", "absent"),
        ("orgs", "bulk"),
        ("resources", "absent"),
        ("results", "absent"),
        ("users", "bulk"),
    ] {
        text.row(&[&format!("file.{file}"), mode]);
    }
    if v12 {
        text.row(&["file.roles", "bulk"]);
    }
    text.row(&["source.systemName", "classchat-testing"]);
    text.row(&["source.systemCode", "generated"]);
    text.into_bytes()
}
