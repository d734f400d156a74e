//! School data from the student information system: accounts and classes an import keeps,
//! and how an import becomes changes to the store.
//!
//! The file format (OneRoster CSV) is another crate's business: it turns a bundle into a
//! [`RosterImport`], the rows that matter here with their file and line. [`plan()`] diffs
//! that against what earlier imports left ([`RosterState`]) and yields [`RosterChanges`],
//! which is at once what a store applies and what an administrator reads before applying.
//! The email addresses `users.csv` gives ([`given_emails`]) are compared with the stored
//! ones by the service, which sets those that differ when it applies an import.
//!
//! # Invariants
//! - Everything is keyed by [`SourcedId`]; names and e-mail addresses never match records.
//! - Only what an import created is touched: accounts and links made by hand are left
//!   alone, and an account is disabled, never deleted.
//! - An import sets email addresses and never clears one: a row without an address leaves
//!   what its owner or an admin set.
//! - Links are derived: a teacher and a student are linked while they share a class; a
//!   guardian and a student while either names the other in `agentSourcedIds`.

mod emails;
mod guardians;
mod import;
mod plan;
#[cfg(test)]
mod tests;

pub use emails::{GivenEmail, given_emails};
pub use import::{Day, ImportClass, ImportEnrollment, ImportUser, Mode, RosterImport, Skipped};
pub use plan::{MAX_CLASS_MEMBERS, RosterPlan, new_user_ids, plan};

use crate::ids::UserId;
use crate::link::{GuardianLink, Link};
use crate::notify::EmailAddress;
use crate::store::UserPatch;
use crate::user::User;
use std::fmt;

/// Longest accepted sourcedId or class title, in characters.
pub const MAX_SOURCED_ID_LEN: usize = 255;

/// [`SourcedId::parse`]'s rule as a JSON Schema pattern (with `maxLength` 255): no
/// control character (Unicode category Cc).
pub const SOURCED_ID_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$";

/// The exporter's key of a roster record (OneRoster `sourcedId`): 1–255 characters
/// without control characters. Stable across exports, unlike names and usernames.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcedId(String);

impl SourcedId {
    /// Validates a sourcedId; `None` when it is empty, too long or holds a control
    /// character.
    pub fn parse(raw: &str) -> Option<Self> {
        let length = raw.chars().count();
        ((1..=MAX_SOURCED_ID_LEN).contains(&length) && !raw.chars().any(char::is_control))
            .then(|| Self(raw.to_owned()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourcedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An account an import created, with the key it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterAccount {
    /// The exporter's key of the person.
    pub sourced_id: SourcedId,
    /// The account as it is (or is to be) stored. Imported accounts have no password until
    /// their owner sets one.
    pub user: User,
}

/// A class (section) as stored: who teaches it and who takes it, by userId, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// The exporter's key, which is also the class's id in the API.
    pub sourced_id: SourcedId,
    /// The name people see.
    pub title: String,
    /// Teachers (and aides) with an active enrolment.
    pub teachers: Vec<UserId>,
    /// Students with an active enrolment.
    pub students: Vec<UserId>,
}

impl Class {
    /// The links the class implies: each of its teachers with each of its students.
    pub fn links(&self) -> impl Iterator<Item = Link> + '_ {
        self.teachers.iter().flat_map(move |teacher| {
            self.students.iter().map(move |student| Link {
                teacher: teacher.clone(),
                student: student.clone(),
            })
        })
    }
}

/// What earlier imports left in the store: the baseline a new import is diffed against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterState {
    /// Every account an import created, in sourcedId order.
    pub accounts: Vec<RosterAccount>,
    /// Every stored class, in sourcedId order.
    pub classes: Vec<Class>,
    /// Every link the roster derives (some may also have been added by hand), sorted.
    pub links: Vec<Link>,
    /// Every guardian link the roster derives (some may also have been added by hand),
    /// sorted.
    pub guardians: Vec<GuardianLink>,
}

/// One account an import changes: as it is, and as it will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    /// The exporter's key.
    pub sourced_id: SourcedId,
    /// The account now.
    pub before: User,
    /// The account after the import.
    pub after: User,
}

impl AccountChange {
    /// The store patch that turns `before` into `after`. Disabling the account or changing
    /// its role voids its tokens, as the same change by an admin does.
    pub fn patch(&self) -> UserPatch {
        let changed = |same: bool| !same;
        UserPatch {
            display_name: changed(self.before.display_name == self.after.display_name)
                .then(|| self.after.display_name.clone()),
            role: changed(self.before.role == self.after.role).then_some(self.after.role),
            password_hash: None,
            disabled: changed(self.before.disabled == self.after.disabled)
                .then_some(self.after.disabled),
            revoke_tokens: (self.after.disabled && !self.before.disabled)
                || self.before.role != self.after.role,
        }
    }
}

/// A class an import changes: as it is, and as it will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassChange {
    /// The class now.
    pub before: Class,
    /// The class after the import.
    pub after: Class,
}

/// An email address an import sets (from `users.csv`, where it differs from the stored one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChange {
    /// The account.
    pub user: UserId,
    /// The address it had; `None` when it had none.
    pub before: Option<EmailAddress>,
    /// The address from the bundle.
    pub after: EmailAddress,
}

/// Everything one import changes, each list sorted. A store applies it (atomically, or in
/// steps that converge when the import is planned and applied again), all but `emails`;
/// an administrator reads it first as the import's diff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterChanges {
    /// Accounts to create, without a password.
    pub created_accounts: Vec<RosterAccount>,
    /// Accounts whose name, role or disabled flag changes.
    pub updated_accounts: Vec<AccountChange>,
    /// New classes.
    pub created_classes: Vec<Class>,
    /// Classes whose title or members change.
    pub updated_classes: Vec<ClassChange>,
    /// Classes no longer in the roster.
    pub deleted_classes: Vec<Class>,
    /// Links the roster now derives. A link that already exists (added by hand) stays as
    /// it is and is also counted as the roster's, so the roster never removes it.
    pub added_links: Vec<Link>,
    /// Roster links no class implies any more. A link also added by hand stays.
    pub removed_links: Vec<Link>,
    /// Guardian links the roster now derives; like `added_links`, one that exists already
    /// (by hand) stays and is also counted as the roster's.
    pub added_guardians: Vec<GuardianLink>,
    /// Roster guardian links no row implies any more. One also added by hand stays.
    pub removed_guardians: Vec<GuardianLink>,
    /// Addresses the import sets, by userId. [`plan()`] leaves this empty (it reads no
    /// stored preferences) and a store's `apply_roster` ignores it: when the service
    /// applies an import it compares [`given_emails`] with what is stored, fills this in
    /// and sets each address itself. Empty on a dry run.
    pub emails: Vec<EmailChange>,
}

impl RosterChanges {
    /// Whether applying would write nothing.
    pub fn is_empty(&self) -> bool {
        self.is_empty_but_emails() && self.emails.is_empty()
    }

    /// Whether a store's `apply_roster` would write nothing: everything but `emails` is
    /// empty.
    pub fn is_empty_but_emails(&self) -> bool {
        self.created_accounts.is_empty()
            && self.updated_accounts.is_empty()
            && self.created_classes.is_empty()
            && self.updated_classes.is_empty()
            && self.deleted_classes.is_empty()
            && self.added_links.is_empty()
            && self.removed_links.is_empty()
            && self.added_guardians.is_empty()
            && self.removed_guardians.is_empty()
    }

    /// One line of counts, for the audit log and summaries:
    /// `users +3 ~1; classes +1 ~0 -0; links +4 -1`, then `; guardians +2 -0` when guardian
    /// links change and `; emails ~5` when addresses are set.
    pub fn summary(&self) -> String {
        let mut summary = format!(
            "users +{} ~{}; classes +{} ~{} -{}; links +{} -{}",
            self.created_accounts.len(),
            self.updated_accounts.len(),
            self.created_classes.len(),
            self.updated_classes.len(),
            self.deleted_classes.len(),
            self.added_links.len(),
            self.removed_links.len(),
        );
        if !self.added_guardians.is_empty() || !self.removed_guardians.is_empty() {
            summary.push_str(&format!(
                "; guardians +{} -{}",
                self.added_guardians.len(),
                self.removed_guardians.len()
            ));
        }
        if !self.emails.is_empty() {
            summary.push_str(&format!("; emails ~{}", self.emails.len()));
        }
        summary
    }
}

/// One problem that stops an import, located in the bundle so it can be fixed there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file inside the bundle (`users.csv`).
    pub file: String,
    /// The 1-based line of the record (the header is line 1); `None` for the whole file.
    pub line: Option<u64>,
    /// The column's header name, when the problem is one field.
    pub column: Option<String>,
    /// What is wrong, in words an administrator can act on.
    pub message: String,
}

impl Problem {
    /// A problem with one field of one row.
    pub fn at(file: &str, line: u64, column: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: Some(line),
            column: Some(column.to_owned()),
            message: message.into(),
        }
    }
}

impl std::error::Error for Problem {}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}
