//! [`read`]: a bundle in, a whole validated roster (or every problem) out.
//!
//! Order: the manifest (without it nothing else can be interpreted), which files must be
//! there, each file on its own, then what spans files (unique userIds, references). Nothing
//! is returned unless all of it passed, so an importer never applies half a bundle.

use crate::bundle::Bundle;
use crate::error::{Collector, RosterErrors};
use crate::files::{
    ACADEMIC_SESSIONS, ACADEMIC_SESSIONS_COLUMNS, CLASSES, CLASSES_COLUMNS, CORE_FILES, COURSES,
    COURSES_COLUMNS, ENROLLMENTS, ENROLLMENTS_COLUMNS, KNOWN_FILES, MANIFEST, ORGS, ORGS_COLUMNS,
    ROLES, ROLES_COLUMNS, USERS, USERS_COLUMNS_1_1, USERS_COLUMNS_1_2,
};
use crate::manifest::{self, Manifest};
use crate::model::{FileMode, OneRosterVersion, Roster};
use crate::parse::{classes, enrollments, orgs, roles, sessions, users};
use crate::references::{self, Sources, Target, Targets};
use crate::table::Table;
use crate::unique;
use std::collections::HashSet;

/// Parses and validates the whole bundle. Returns the roster only when nothing is wrong;
/// otherwise every problem found (up to [`crate::MAX_ERRORS`]), each naming its file, line
/// and column.
///
/// # Errors
/// Every problem found, in file order: the manifest, missing or unexpected files, headers,
/// values, duplicate ids and userIds, then references between files.
pub fn read(bundle: &Bundle) -> Result<Roster, RosterErrors> {
    let mut errors = Collector::default();
    let Some(manifest) = manifest::read(bundle, &mut errors) else {
        return Err(errors.into_errors());
    };
    check_presence(bundle, &manifest, &mut errors);
    let version = manifest.version;
    let users_columns = match version {
        OneRosterVersion::V1_1 => USERS_COLUMNS_1_1,
        OneRosterVersion::V1_2 => USERS_COLUMNS_1_2,
    };
    let mut table = |name: &str, columns: &[&str]| -> Option<Table> {
        if manifest.mode(name) == FileMode::Absent {
            return None;
        }
        let table = Table::parse(name, bundle.file(name)?, columns, &mut errors)?;
        unique::sourced_ids(&table, &mut errors);
        Some(table)
    };
    let orgs_table = table(ORGS, ORGS_COLUMNS);
    let users_table = table(USERS, users_columns);
    let classes_table = table(CLASSES, CLASSES_COLUMNS);
    let enrollments_table = table(ENROLLMENTS, ENROLLMENTS_COLUMNS);
    let sessions_table = table(ACADEMIC_SESSIONS, ACADEMIC_SESSIONS_COLUMNS);
    let courses_table = table(COURSES, COURSES_COLUMNS);
    let roles_table = match version {
        OneRosterVersion::V1_1 => None,
        OneRosterVersion::V1_2 => table(ROLES, ROLES_COLUMNS),
    };

    let mode = |name: &str| manifest.mode(name);
    let (user_roles, role_refs) = match &roles_table {
        Some(table) => {
            let (by_user, refs) = roles::parse(table, mode(ROLES), &mut errors);
            (Some(by_user), refs)
        }
        None => (None, Vec::new()),
    };
    let orgs = orgs_table.as_ref().map_or_else(Vec::new, |table| {
        orgs::parse(table, mode(ORGS), &mut errors)
    });
    let users = users_table.as_ref().map_or_else(Vec::new, |table| {
        users::parse(
            table,
            mode(USERS),
            version,
            user_roles.as_ref(),
            &mut errors,
        )
    });
    let classes = classes_table.as_ref().map_or_else(Vec::new, |table| {
        classes::parse(table, mode(CLASSES), &mut errors)
    });
    let enrollments = enrollments_table.as_ref().map_or_else(Vec::new, |table| {
        enrollments::parse(table, mode(ENROLLMENTS), &mut errors)
    });
    let academic_sessions = sessions_table.as_ref().map_or_else(Vec::new, |table| {
        sessions::parse(table, mode(ACADEMIC_SESSIONS), &mut errors)
    });

    unique::user_ids(USERS, &users, &mut errors);
    let complete = |name: &str, table: &Option<Table>| -> Option<HashSet<String>> {
        let table = table.as_ref()?;
        (manifest.mode(name) == FileMode::Bulk)
            .then(|| table.ids().map(|(id, _)| id.to_owned()).collect())
    };
    let targets = Targets {
        orgs: Target::new(ORGS, complete(ORGS, &orgs_table)),
        users: Target::new(USERS, complete(USERS, &users_table)),
        classes: Target::new(CLASSES, complete(CLASSES, &classes_table)),
        sessions: Target::new(
            ACADEMIC_SESSIONS,
            complete(ACADEMIC_SESSIONS, &sessions_table),
        ),
        courses: Target::new(COURSES, complete(COURSES, &courses_table)),
    };
    let sources = Sources {
        orgs: &orgs,
        users: &users,
        classes: &classes,
        enrollments: &enrollments,
        roles: &role_refs,
        orgs_from_roles: version == OneRosterVersion::V1_2,
    };
    references::check(&targets, &sources, &mut errors);

    let files = manifest
        .files
        .iter()
        .map(|(name, (mode, _))| (name.clone(), *mode))
        .collect();
    errors.finish(Roster {
        version,
        files,
        orgs,
        users,
        classes: classes.into_iter().map(|parsed| parsed.class).collect(),
        enrollments: enrollments
            .into_iter()
            .map(|parsed| parsed.enrollment)
            .collect(),
        academic_sessions,
    })
}

/// Checks the bundle holds exactly the files the manifest lists as bulk or delta.
fn check_presence(bundle: &Bundle, manifest: &Manifest, errors: &mut Collector) {
    for name in CORE_FILES {
        if manifest.line(name).is_none() {
            let property = format!("file.{}", name.trim_end_matches(".csv"));
            let message = format!("no {property} entry; it must say bulk, delta or absent");
            errors.push(MANIFEST, None, Some("propertyName"), message);
        }
    }
    for known in KNOWN_FILES {
        let name = format!("{known}.csv");
        let present = bundle.file(&name).is_some();
        match (manifest.mode(&name), manifest.line(&name)) {
            (FileMode::Bulk | FileMode::Delta, Some(line)) if !present => {
                let mode = if manifest.mode(&name) == FileMode::Bulk {
                    "bulk"
                } else {
                    "delta"
                };
                let message = format!("missing, but manifest.csv line {line} marks it {mode}");
                errors.push(&name, None, None, message);
            }
            (FileMode::Absent, Some(line)) if present => {
                let message = format!("{name} is in the bundle, but this line marks it absent");
                errors.push(MANIFEST, Some(line), Some("value"), message);
            }
            (FileMode::Absent, None) if present => {
                let message = format!("{name} is in the bundle, but the manifest does not list it");
                errors.push(MANIFEST, None, Some("propertyName"), message);
            }
            _ => {}
        }
    }
    let roles_needed = manifest.version == OneRosterVersion::V1_2
        && manifest.mode(USERS) != FileMode::Absent
        && manifest.mode(ROLES) == FileMode::Absent;
    if roles_needed {
        let message = "OneRoster 1.2 users need roles.csv (bulk or delta): roles come from it";
        errors.push(ROLES, None, None, message);
    }
}
