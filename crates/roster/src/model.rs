//! The typed roster a valid bundle becomes: what the importer diffs against the store.
//!
//! Every record keeps its `line` so a later check (against the store, say) can still point
//! at the row that caused it.

use crate::date::Date;
use classchat_core::UserId;
use classchat_core::user::Role;
use std::collections::BTreeMap;

/// A whole, validated bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    /// The OneRoster version the manifest declares.
    pub version: OneRosterVersion,
    /// How each file is to be applied, by file name (`users.csv`), from the manifest's
    /// `file.*` entries; a known file the manifest does not list is `Absent`.
    pub files: BTreeMap<String, FileMode>,
    /// Schools, districts and other organisations.
    pub orgs: Vec<Org>,
    /// People, with their classchat identity and role.
    pub users: Vec<RosterUser>,
    /// Classes (sections).
    pub classes: Vec<RosterClass>,
    /// Who is in which class, in which role, when.
    pub enrollments: Vec<RosterEnrollment>,
    /// Terms, semesters and school years, when `academicSessions.csv` is in the bundle.
    pub academic_sessions: Vec<AcademicSession>,
}

impl Roster {
    /// How `file` (`users.csv`) is to be applied; `Absent` for a file the manifest omits.
    pub fn mode(&self, file: &str) -> FileMode {
        self.files.get(file).copied().unwrap_or(FileMode::Absent)
    }
}

/// The versions of OneRoster CSV this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneRosterVersion {
    /// 1.1: role and orgs are columns of `users.csv`.
    V1_1,
    /// 1.2: role and orgs come from `roles.csv`.
    V1_2,
}

/// How the manifest says a file is to be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// The complete set: what is not in it is gone.
    Bulk,
    /// Changes only, with `tobedeleted` rows for removals.
    Delta,
    /// Not supplied; the file may be missing from the bundle.
    Absent,
}

/// A row's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The record exists (the only status a bulk file may carry).
    Active,
    /// A delta removes the record.
    ToBeDeleted,
}

/// An organisation: a school, district, department, ….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// The exporter's key.
    pub sourced_id: String,
    /// The row's status; `None` when blank (bulk files usually leave it so).
    pub status: Option<Status>,
    /// The display name.
    pub name: String,
    /// `school`, `district`, … as written (lower-cased), already checked to be a known type.
    pub org_type: String,
    /// The parent organisation (a school's district), if any.
    pub parent_sourced_id: Option<String>,
    /// The line of the row in `orgs.csv`.
    pub line: u64,
}

/// A person in the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterUser {
    /// The exporter's key; users are matched on it, never on name or e-mail.
    pub sourced_id: String,
    /// The row's status; `None` when blank.
    pub status: Option<Status>,
    /// `enabledUser`: `false` means the account exists but is disabled.
    pub enabled: bool,
    /// The classchat userId, from `username`.
    pub user_id: UserId,
    /// What kind of account this person gets.
    pub role: RosterRole,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// The organisations (schools) the person belongs to.
    pub org_sourced_ids: Vec<String>,
    /// `agentSourcedIds`, a comma list (blank items dropped): related people, a student's
    /// parents and guardians or a guardian's children. Either side names a guardian link.
    pub agent_sourced_ids: Vec<String>,
    /// `email` as written, `None` when blank. Whether it is an address classchat can send
    /// to is the import's question: a malformed one is a warning there, not an error.
    pub email: Option<String>,
    /// The line of the row in `users.csv`.
    pub line: u64,
}

/// A OneRoster user role, mapped onto classchat's account types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterRole {
    /// `student`.
    Student,
    /// `teacher` or `aide`.
    Teacher,
    /// `administrator` (and 1.2's district, site and system administrators).
    Admin,
    /// A family member (`parent`, `guardian` or `relative`): a guardian account, linked to
    /// the students `agentSourcedIds` names on either side.
    Family(FamilyRole),
    /// A valid OneRoster role classchat has no account for (`proctor`; 1.2's `counselor`,
    /// `principal`): accepted so a standard export is not refused, and skipped by the import.
    Other(String),
}

impl RosterRole {
    /// Maps a OneRoster role name (case-insensitive); `None` for a name OneRoster lacks.
    pub fn parse(text: &str) -> Option<Self> {
        let role = match text.to_ascii_lowercase().as_str() {
            "student" => Self::Student,
            "teacher" | "aide" => Self::Teacher,
            "administrator"
            | "districtadministrator"
            | "siteadministrator"
            | "systemadministrator" => Self::Admin,
            "parent" => Self::Family(FamilyRole::Parent),
            "guardian" => Self::Family(FamilyRole::Guardian),
            "relative" => Self::Family(FamilyRole::Relative),
            other @ ("proctor" | "counselor" | "principal") => Self::Other(other.to_owned()),
            _ => return None,
        };
        Some(role)
    }

    /// The classchat role this person signs in with; `None` for people the import skips.
    pub fn chat_role(&self) -> Option<Role> {
        match self {
            Self::Student => Some(Role::Student),
            Self::Teacher => Some(Role::Teacher),
            Self::Admin => Some(Role::Admin),
            Self::Family(_) => Some(Role::Guardian),
            Self::Other(_) => None,
        }
    }
}

/// Which kind of family member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyRole {
    /// `parent`.
    Parent,
    /// `guardian`.
    Guardian,
    /// `relative`.
    Relative,
}

/// A class (section), the unit teacher–student links are derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterClass {
    /// The exporter's key.
    pub sourced_id: String,
    /// The row's status; `None` when blank.
    pub status: Option<Status>,
    /// The class's name as shown to people.
    pub title: String,
    /// The school the class belongs to.
    pub school_sourced_id: String,
    /// The terms the class runs in.
    pub term_sourced_ids: Vec<String>,
    /// The line of the row in `classes.csv`.
    pub line: u64,
}

/// One person's membership of one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEnrollment {
    /// The exporter's key.
    pub sourced_id: String,
    /// The row's status; `None` when blank.
    pub status: Option<Status>,
    /// The class.
    pub class_sourced_id: String,
    /// The person.
    pub user_sourced_id: String,
    /// The role in that class.
    pub role: EnrollmentRole,
    /// The first day of the enrolment, if bounded.
    pub begin_date: Option<Date>,
    /// The last day of the enrolment, if bounded.
    pub end_date: Option<Date>,
    /// The line of the row in `enrollments.csv`.
    pub line: u64,
}

impl RosterEnrollment {
    /// Whether the enrolment counts on `today`: not being deleted, and within its dates.
    pub fn is_active_on(&self, today: Date) -> bool {
        self.status != Some(Status::ToBeDeleted)
            && self.begin_date.is_none_or(|begin| begin <= today)
            && self.end_date.is_none_or(|end| today <= end)
    }
}

/// A role within a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentRole {
    /// Takes the class.
    Student,
    /// Teaches the class.
    Teacher,
    /// Assists the teacher (a teacher in classchat).
    Aide,
    /// Administers the class.
    Administrator,
    /// Supervises assessments; no link in classchat.
    Proctor,
}

impl EnrollmentRole {
    /// Parses an enrolment role (case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        let role = match text.to_ascii_lowercase().as_str() {
            "student" => Self::Student,
            "teacher" => Self::Teacher,
            "aide" => Self::Aide,
            "administrator" => Self::Administrator,
            "proctor" => Self::Proctor,
            _ => return None,
        };
        Some(role)
    }
}

/// A term, semester, grading period or school year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcademicSession {
    /// The exporter's key.
    pub sourced_id: String,
    /// The row's status; `None` when blank.
    pub status: Option<Status>,
    /// Its name (`Fall 2026`).
    pub title: String,
    /// The first day.
    pub start_date: Date,
    /// The last day, never before `start_date`.
    pub end_date: Date,
    /// The line of the row in `academicSessions.csv`.
    pub line: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oneroster_roles_map_onto_classchat_roles() {
        let cases = [
            ("student", Some(Role::Student)),
            ("Teacher", Some(Role::Teacher)),
            ("aide", Some(Role::Teacher)),
            ("administrator", Some(Role::Admin)),
            ("siteAdministrator", Some(Role::Admin)),
            ("parent", Some(Role::Guardian)),
            ("guardian", Some(Role::Guardian)),
            ("Relative", Some(Role::Guardian)),
            ("proctor", None),
        ];
        for (text, chat_role) in cases {
            let role = RosterRole::parse(text).unwrap();
            assert_eq!(role.chat_role(), chat_role, "{text}");
        }
        assert_eq!(
            RosterRole::parse("GUARDIAN"),
            Some(RosterRole::Family(FamilyRole::Guardian))
        );
        assert_eq!(RosterRole::parse("wizard"), None);
        assert_eq!(RosterRole::parse(""), None);
    }

    #[test]
    fn enrollment_roles_parse_case_insensitively() {
        assert_eq!(EnrollmentRole::parse("Aide"), Some(EnrollmentRole::Aide));
        assert_eq!(EnrollmentRole::parse("guardian"), None);
    }
}
