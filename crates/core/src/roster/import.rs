//! [`RosterImport`]: the rows of a validated bundle that decide accounts, classes and
//! links, each with its line, in the file format's terms no longer.

use super::{Problem, SourcedId};
use crate::ids::UserId;
use crate::notify::EmailAddress;
use crate::time::Timestamp;
use crate::user::{DisplayName, Role};

/// How a file of the bundle is to be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The complete set: what earlier imports created and the file lacks is gone.
    Bulk,
    /// Changes only: rows are added or updated, rows marked deleted are removed.
    Delta,
    /// Not in the bundle: nothing of this kind changes.
    Absent,
}

/// A calendar day as a sortable number, `YYYYMMDD` (2026-09-01 is 20260901): enrolment
/// dates are whole days, compared and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub u32);

impl Day {
    /// The day from its parts (not checked: the file format checked them).
    pub fn new(year: u16, month: u8, day: u8) -> Self {
        Self(u32::from(year) * 10_000 + u32::from(month) * 100 + u32::from(day))
    }

    /// The UTC calendar day of an instant: the day enrolment dates are compared with.
    pub fn of(at: Timestamp) -> Self {
        let at =
            ::time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.as_micros()) * 1_000)
                .unwrap_or(::time::OffsetDateTime::UNIX_EPOCH);
        let year = u16::try_from(at.year()).unwrap_or(0);
        Self::new(year, u8::from(at.month()), at.day())
    }
}

/// A person with a classchat account, from `users.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportUser {
    /// The exporter's key.
    pub sourced_id: SourcedId,
    /// The line of the row, for problems.
    pub line: u64,
    /// The userId they sign in with (`username`).
    pub user_id: UserId,
    /// Student, teacher, guardian (OneRoster `parent`, `guardian` or `relative`) or admin.
    pub role: Role,
    /// The name others see.
    pub display_name: DisplayName,
    /// `enabledUser`: `false` keeps the account disabled.
    pub enabled: bool,
    /// A delta row marked `tobedeleted`: the account is disabled.
    pub deleted: bool,
    /// `agentSourcedIds`: for a student, their parents and guardians; for a guardian,
    /// the students they are responsible for. A guardian link is derived from either side.
    pub agents: Vec<SourcedId>,
    /// `email`: where their email digests go. `None` when the field is blank (an import
    /// never clears an address someone set by hand) or is no address (a warning instead).
    pub email: Option<EmailAddress>,
}

/// A class (section), from `classes.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportClass {
    /// The exporter's key.
    pub sourced_id: SourcedId,
    /// The line of the row, for problems.
    pub line: u64,
    /// The name people see.
    pub title: String,
    /// A delta row marked `tobedeleted`: the class goes.
    pub deleted: bool,
}

/// One person's place in one class, from `enrollments.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportEnrollment {
    /// The line of the row, for problems.
    pub line: u64,
    /// The class.
    pub class: SourcedId,
    /// The person.
    pub user: SourcedId,
    /// Teaches the class (teacher or aide) rather than takes it.
    pub teaches: bool,
    /// The first day it counts, if bounded.
    pub begin: Option<Day>,
    /// The last day it counts, if bounded.
    pub end: Option<Day>,
    /// A delta row marked `tobedeleted`.
    pub deleted: bool,
}

impl ImportEnrollment {
    /// Whether the enrolment counts on `today`: not deleted, and within its dates.
    pub fn is_active_on(&self, today: Day) -> bool {
        !self.deleted
            && self.begin.is_none_or(|begin| begin <= today)
            && self.end.is_none_or(|end| today <= end)
    }
}

/// A row the import leaves out, and why: reported so nobody wonders where it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file (`users.csv`).
    pub file: String,
    /// The line of the row.
    pub line: u64,
    /// The row's sourcedId.
    pub sourced_id: String,
    /// Why it was left out.
    pub reason: String,
}

/// The part of a validated bundle an import acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterImport {
    /// How `users.csv` applies.
    pub users_mode: Mode,
    /// People with accounts (other roles are in `skipped`).
    pub users: Vec<ImportUser>,
    /// How `classes.csv` applies.
    pub classes_mode: Mode,
    /// Classes.
    pub classes: Vec<ImportClass>,
    /// How `enrollments.csv` applies.
    pub enrollments_mode: Mode,
    /// Enrolments of people with accounts, as teacher or student (others are skipped).
    pub enrollments: Vec<ImportEnrollment>,
    /// Rows left out on purpose, such as roles classchat has no account for.
    pub skipped: Vec<Skipped>,
    /// What reading the bundle noticed that does not stop the import, such as an email
    /// address that is no address (the account is imported without it); the plan passes
    /// them on ahead of its own.
    pub warnings: Vec<Problem>,
}
