//! [`prepare`]: a validated [`Roster`] as the rows the importer acts on
//! ([`RosterImport`]), with what classchat has no account for reported as skipped.
//! Parents, guardians and relatives become guardian accounts; their `agentSourcedIds`
//! (and their children's) are passed on for the plan to derive guardian links from.
//!
//! The checks here are the ones only classchat's own rules can make (display names,
//! the length of keys and titles); they are reported like every other bundle problem.
//! An `email` that is no address is the exception: the account does not need one, so it
//! is imported without it and the address is a warning (file, line, column) instead.

use crate::bundle::Bundle;
use crate::error::{Collector, RosterErrors};
use crate::model::{EnrollmentRole, FileMode, Roster, RosterRole, RosterUser, Status};
use crate::read::read;
use classchat_core::notify::EmailAddress;
use classchat_core::notify::email::MAX_EMAIL_LEN;
use classchat_core::roster::{
    Day, ImportClass, ImportEnrollment, ImportUser, MAX_SOURCED_ID_LEN, Mode, Problem,
    RosterImport, Skipped, SourcedId,
};
use classchat_core::user::DisplayName;
use std::collections::HashSet;

const USERS: &str = "users.csv";
const CLASSES: &str = "classes.csv";
const ENROLLMENTS: &str = "enrollments.csv";

/// Reads and validates a bundle, then maps it onto classchat's accounts, classes and
/// enrolments: the whole front half of an import.
///
/// # Errors
/// Every problem found, each with its file, line and column.
pub fn prepare(bundle: &Bundle) -> Result<RosterImport, RosterErrors> {
    to_import(&read(bundle)?)
}

/// Maps a validated roster onto the importer's rows. An `email` that is no address is
/// left out, with a warning in [`RosterImport::warnings`].
///
/// # Errors
/// A name classchat cannot show, or a key or title over 255 characters, each located.
pub fn to_import(roster: &Roster) -> Result<RosterImport, RosterErrors> {
    let mut errors = Collector::default();
    let mut warnings = Vec::new();
    let mut skipped = Vec::new();
    let mut people = HashSet::new();
    let mut users = Vec::new();
    for row in &roster.users {
        let Some(role) = row.role.chat_role() else {
            let reason = "classchat has no account for this role";
            skipped.push(skip(USERS, row.line, &row.sourced_id, reason));
            continue;
        };
        let Some(sourced_id) = key(&mut errors, USERS, row.line, "sourcedId", &row.sourced_id)
        else {
            continue;
        };
        let agents = agents(&mut errors, row.line, &row.agent_sourced_ids);
        let name = format!("{} {}", row.given_name.trim(), row.family_name.trim());
        let Ok(display_name) = DisplayName::parse(&name) else {
            errors.push(
                USERS,
                Some(row.line),
                Some("givenName"),
                "givenName and familyName together must make a name of 1–100 characters \
                 without control, bidi or zero-width characters",
            );
            continue;
        };
        people.insert(row.sourced_id.as_str());
        let deleted = row.status == Some(Status::ToBeDeleted);
        users.push(ImportUser {
            sourced_id,
            line: row.line,
            user_id: row.user_id.clone(),
            role,
            display_name,
            enabled: row.enabled,
            deleted,
            agents,
            // A deleted row's address would never be used: not even checked.
            email: if deleted {
                None
            } else {
                email(&mut warnings, row)
            },
        });
    }
    let mut classes = Vec::new();
    for row in &roster.classes {
        let Some(sourced_id) = key(&mut errors, CLASSES, row.line, "sourcedId", &row.sourced_id)
        else {
            continue;
        };
        let title = row.title.trim();
        if SourcedId::parse(title).is_none() {
            errors.push(
                CLASSES,
                Some(row.line),
                Some("title"),
                format!("a title is 1–{MAX_SOURCED_ID_LEN} characters without control characters"),
            );
            continue;
        }
        classes.push(ImportClass {
            sourced_id,
            line: row.line,
            title: title.to_owned(),
            deleted: row.status == Some(Status::ToBeDeleted),
        });
    }
    let skipped_people: HashSet<&str> = roster
        .users
        .iter()
        .filter(|row| row.role.chat_role().is_none())
        .map(|row| row.sourced_id.as_str())
        .collect();
    // A guardian reaches a class's teacher through a child; an enrolment of their own
    // would only be refused by the plan as a role mismatch.
    let family: HashSet<&str> = roster
        .users
        .iter()
        .filter(|row| matches!(row.role, RosterRole::Family(_)))
        .map(|row| row.sourced_id.as_str())
        .collect();
    let mut enrollments = Vec::new();
    for row in &roster.enrollments {
        let teaches = match row.role {
            EnrollmentRole::Student => false,
            EnrollmentRole::Teacher | EnrollmentRole::Aide => true,
            EnrollmentRole::Administrator | EnrollmentRole::Proctor => {
                let reason = "only teachers, aides and students are linked through classes";
                skipped.push(skip(ENROLLMENTS, row.line, &row.sourced_id, reason));
                continue;
            }
        };
        if skipped_people.contains(row.user_sourced_id.as_str()) {
            let reason = "the person has no classchat account";
            skipped.push(skip(ENROLLMENTS, row.line, &row.sourced_id, reason));
            continue;
        }
        if family.contains(row.user_sourced_id.as_str()) {
            let reason = "guardians are linked to their children by agentSourcedIds, not classes";
            skipped.push(skip(ENROLLMENTS, row.line, &row.sourced_id, reason));
            continue;
        }
        let user = key(
            &mut errors,
            ENROLLMENTS,
            row.line,
            "userSourcedId",
            &row.user_sourced_id,
        );
        let class = key(
            &mut errors,
            ENROLLMENTS,
            row.line,
            "classSourcedId",
            &row.class_sourced_id,
        );
        let (Some(user), Some(class)) = (user, class) else {
            continue;
        };
        let day = |date: crate::Date| Day::new(date.year(), date.month(), date.day());
        enrollments.push(ImportEnrollment {
            line: row.line,
            class,
            user,
            teaches,
            begin: row.begin_date.map(day),
            end: row.end_date.map(day),
            deleted: row.status == Some(Status::ToBeDeleted),
        });
    }
    errors.finish(RosterImport {
        users_mode: mode(roster.mode(USERS)),
        users,
        classes_mode: mode(roster.mode(CLASSES)),
        classes,
        enrollments_mode: mode(roster.mode(ENROLLMENTS)),
        enrollments,
        skipped,
        warnings,
    })
}

fn mode(mode: FileMode) -> Mode {
    match mode {
        FileMode::Bulk => Mode::Bulk,
        FileMode::Delta => Mode::Delta,
        FileMode::Absent => Mode::Absent,
    }
}

fn skip(file: &str, line: u64, sourced_id: &str, reason: &str) -> Skipped {
    Skipped {
        file: file.to_owned(),
        line,
        sourced_id: sourced_id.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The row's `email`, if it is an address; one that is not is a warning at the field,
/// and left out.
fn email(warnings: &mut Vec<Problem>, row: &RosterUser) -> Option<EmailAddress> {
    let raw = row.email.as_deref()?;
    let parsed = EmailAddress::parse(raw).ok();
    if parsed.is_none() {
        warnings.push(Problem::at(
            USERS,
            row.line,
            "email",
            format!(
                "\"{raw}\" is not an email address (name@domain.example, at most \
                 {MAX_EMAIL_LEN} characters); the account is imported without one"
            ),
        ));
    }
    parsed
}

/// The sourcedIds of `agentSourcedIds` (already split, blanks dropped), each one a key
/// classchat can store; one that is not is an error at the field, and left out.
fn agents(errors: &mut Collector, line: u64, raw: &[String]) -> Vec<SourcedId> {
    raw.iter()
        .filter_map(|agent| key(errors, USERS, line, "agentSourcedIds", agent))
        .collect()
}

/// A sourcedId classchat can store, or an error at its field.
fn key(
    errors: &mut Collector,
    file: &str,
    line: u64,
    column: &str,
    raw: &str,
) -> Option<SourcedId> {
    let parsed = SourcedId::parse(raw);
    if parsed.is_none() {
        errors.push(
            file,
            Some(line),
            Some(column),
            format!("a sourcedId is 1–{MAX_SOURCED_ID_LEN} characters without control characters"),
        );
    }
    parsed
}

impl RosterErrors {
    /// The problems in the importer's terms (the same type), for a caller that merges
    /// them with the plan's.
    pub fn problems(&self) -> Vec<Problem> {
        self.errors().to_vec()
    }
}
