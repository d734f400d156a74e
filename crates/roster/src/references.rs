//! Dangling references between files: every `…SourcedId` must name a row that exists.
//!
//! Only a bulk file is the complete set, so only a bulk file can prove a reference
//! dangling. A reference into a delta file, or into a file the bundle leaves out, may name
//! a record an earlier import stored: checking it is the importer's job, against the store.

use crate::error::Collector;
use crate::files::{CLASSES, ENROLLMENTS, ORGS, ROLES, USERS};
use crate::model::{Org, RosterUser};
use crate::parse::classes::ParsedClass;
use crate::parse::enrollments::ParsedEnrollment;
use crate::parse::roles::RoleRef;
use std::collections::HashSet;

/// The ids one file defines, when that file is complete enough to check against.
#[derive(Debug, Default)]
pub(crate) struct Target {
    /// The file's name, for messages.
    file: &'static str,
    /// The ids, or `None` when the file is not bulk (references to it cannot be checked).
    ids: Option<HashSet<String>>,
}

impl Target {
    /// The ids of `file`, or no check when `ids` is `None`.
    pub(crate) fn new(file: &'static str, ids: Option<HashSet<String>>) -> Self {
        Self { file, ids }
    }

    /// Records an error when `id` is not defined by this (complete) file.
    fn check(&self, errors: &mut Collector, at: (&str, u64, &str), id: &str) {
        let Some(ids) = &self.ids else { return };
        if !ids.contains(id) {
            let (file, line, column) = at;
            let message = format!("\"{id}\" is not a sourcedId in {}", self.file);
            errors.push(file, Some(line), Some(column), message);
        }
    }
}

/// The files references can point into.
#[derive(Debug, Default)]
pub(crate) struct Targets {
    /// `orgs.csv`.
    pub(crate) orgs: Target,
    /// `users.csv`.
    pub(crate) users: Target,
    /// `classes.csv`.
    pub(crate) classes: Target,
    /// `academicSessions.csv`.
    pub(crate) sessions: Target,
    /// `courses.csv`.
    pub(crate) courses: Target,
}

/// What refers to something, parsed.
pub(crate) struct Sources<'a> {
    /// Orgs (`parentSourcedId`).
    pub(crate) orgs: &'a [Org],
    /// Users (`orgSourcedIds`, `agentSourcedIds`).
    pub(crate) users: &'a [RosterUser],
    /// Classes (school, terms, course).
    pub(crate) classes: &'a [ParsedClass],
    /// Enrolments (class, user, school).
    pub(crate) enrollments: &'a [ParsedEnrollment],
    /// 1.2 role rows (user, org).
    pub(crate) roles: &'a [RoleRef],
    /// Whether users' orgs came from `roles` (1.2), so are checked there, on its lines.
    pub(crate) orgs_from_roles: bool,
}

/// Records every reference from `sources` that a complete target file does not define.
pub(crate) fn check(targets: &Targets, sources: &Sources<'_>, errors: &mut Collector) {
    for org in sources.orgs {
        if let Some(parent) = &org.parent_sourced_id {
            targets
                .orgs
                .check(errors, (ORGS, org.line, "parentSourcedId"), parent);
        }
    }
    for user in sources.users {
        // In 1.2 a user's orgs come from roles.csv, whose rows are checked below instead.
        if !sources.orgs_from_roles {
            for org in &user.org_sourced_ids {
                targets
                    .orgs
                    .check(errors, (USERS, user.line, "orgSourcedIds"), org);
            }
        }
        for agent in &user.agent_sourced_ids {
            targets
                .users
                .check(errors, (USERS, user.line, "agentSourcedIds"), agent);
        }
    }
    for parsed in sources.classes {
        let class = &parsed.class;
        let at = |column| (CLASSES, class.line, column);
        targets
            .orgs
            .check(errors, at("schoolSourcedId"), &class.school_sourced_id);
        for term in &class.term_sourced_ids {
            targets.sessions.check(errors, at("termSourcedIds"), term);
        }
        if let Some(course) = &parsed.course_sourced_id {
            targets.courses.check(errors, at("courseSourcedId"), course);
        }
    }
    for parsed in sources.enrollments {
        let enrollment = &parsed.enrollment;
        let at = |column| (ENROLLMENTS, enrollment.line, column);
        targets
            .classes
            .check(errors, at("classSourcedId"), &enrollment.class_sourced_id);
        targets
            .users
            .check(errors, at("userSourcedId"), &enrollment.user_sourced_id);
        targets
            .orgs
            .check(errors, at("schoolSourcedId"), &parsed.school_sourced_id);
    }
    for role in sources.roles {
        targets.users.check(
            errors,
            (ROLES, role.line, "userSourcedId"),
            &role.user_sourced_id,
        );
        targets.orgs.check(
            errors,
            (ROLES, role.line, "orgSourcedId"),
            &role.org_sourced_id,
        );
    }
}
