//! [`plan()`]: a validated import against what earlier imports left, as the changes that
//! would bring the store in line. Pure; the service reads the state and applies the plan.

use super::import::{Day, ImportEnrollment, ImportUser, Mode, RosterImport, Skipped};
use super::{
    AccountChange, Class, ClassChange, Problem, RosterAccount, RosterChanges, RosterState,
    SourcedId,
};
use crate::ids::UserId;
use crate::link::{GuardianLink, Link};
use crate::user::{Role, User};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Most people one class may hold: bounds what one stored class item carries.
pub const MAX_CLASS_MEMBERS: usize = 2_000;

/// Most problems one plan reports, as the bundle reader does.
const MAX_PROBLEMS: usize = 100;

const USERS: &str = "users.csv";
const ENROLLMENTS: &str = "enrollments.csv";

/// What an import would do, and what it noticed on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterPlan {
    /// The changes; empty when the store already matches the bundle.
    pub changes: RosterChanges,
    /// Rows left out on purpose (from the import, passed through).
    pub skipped: Vec<Skipped>,
    /// Things an administrator should know that do not stop the import, such as a username
    /// that changed (an account keeps its userId): the bundle's own
    /// ([`RosterImport::warnings`]) first.
    pub warnings: Vec<Problem>,
}

/// The userIds of accounts the import would create: the service checks which of them are
/// taken by accounts made by hand before planning.
pub fn new_user_ids(import: &RosterImport, state: &RosterState) -> Vec<UserId> {
    let known: HashSet<&SourcedId> = state.accounts.iter().map(|a| &a.sourced_id).collect();
    import
        .users
        .iter()
        .filter(|row| !row.deleted && !known.contains(&row.sourced_id))
        .map(|row| row.user_id.clone())
        .collect()
}

/// Diffs `import` against `state` on `today` (enrolment dates are whole days). `taken`
/// holds userIds of new rows that belong to accounts not from the roster (see
/// [`new_user_ids`]).
///
/// # Errors
/// Every problem that stops the import (at most 100), each with its file and line: a
/// username taken by an account made by hand or by another roster person, an enrolment
/// naming a person or class neither the bundle nor an earlier import has, or a class over
/// [`MAX_CLASS_MEMBERS`].
pub fn plan(
    import: &RosterImport,
    state: &RosterState,
    taken: &HashSet<UserId>,
    today: Day,
) -> Result<RosterPlan, Vec<Problem>> {
    let mut planner = Planner::new(state);
    planner.users(import, taken);
    planner.classes(import);
    planner.enrollments(import, today);
    planner.check_sizes();
    if !planner.problems.is_empty() {
        planner.problems.truncate(MAX_PROBLEMS);
        return Err(planner.problems);
    }
    let guardians = super::guardians::derive(
        import,
        state,
        &planner.accounts,
        &planner.owners,
        &planner.refused,
        &mut planner.warnings,
    );
    let mut warnings = import.warnings.clone();
    warnings.append(&mut planner.warnings);
    let mut changes = planner.changes(state);
    let current: BTreeSet<&GuardianLink> = state.guardians.iter().collect();
    changes.added_guardians = guardians
        .iter()
        .filter(|link| !current.contains(link))
        .cloned()
        .collect();
    changes.removed_guardians = current
        .into_iter()
        .filter(|link| !guardians.contains(*link))
        .cloned()
        .collect();
    Ok(RosterPlan {
        changes,
        skipped: import.skipped.clone(),
        warnings,
    })
}

/// The state after the import, built up file by file.
struct Planner {
    /// Accounts after the import, by sourcedId.
    accounts: BTreeMap<SourcedId, User>,
    /// Which sourcedId holds each userId, for accounts after the import.
    owners: HashMap<UserId, SourcedId>,
    /// Classes after the import: title, teachers, students.
    classes: BTreeMap<SourcedId, Members>,
    /// People whose users.csv row was refused.
    refused: HashSet<SourcedId>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

#[derive(Debug, Clone, Default)]
struct Members {
    title: String,
    teachers: BTreeSet<UserId>,
    students: BTreeSet<UserId>,
}

impl Planner {
    fn new(state: &RosterState) -> Self {
        let accounts: BTreeMap<SourcedId, User> = state
            .accounts
            .iter()
            .map(|account| (account.sourced_id.clone(), account.user.clone()))
            .collect();
        let owners = accounts
            .iter()
            .map(|(sourced_id, user)| (user.id.clone(), sourced_id.clone()))
            .collect();
        let classes = state
            .classes
            .iter()
            .map(|class| {
                let members = Members {
                    title: class.title.clone(),
                    teachers: class.teachers.iter().cloned().collect(),
                    students: class.students.iter().cloned().collect(),
                };
                (class.sourced_id.clone(), members)
            })
            .collect();
        Self {
            accounts,
            owners,
            classes,
            refused: HashSet::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn users(&mut self, import: &RosterImport, taken: &HashSet<UserId>) {
        if import.users_mode == Mode::Absent {
            return;
        }
        let mut seen = HashSet::new();
        for row in &import.users {
            seen.insert(&row.sourced_id);
            self.user(row, taken);
        }
        if import.users_mode == Mode::Bulk {
            for (sourced_id, user) in &mut self.accounts {
                if !seen.contains(sourced_id) {
                    user.disabled = true;
                }
            }
        }
    }

    fn user(&mut self, row: &ImportUser, taken: &HashSet<UserId>) {
        if row.deleted {
            if let Some(user) = self.accounts.get_mut(&row.sourced_id) {
                user.disabled = true;
            }
            return;
        }
        if let Some(user) = self.accounts.get_mut(&row.sourced_id) {
            if user.id != row.user_id {
                self.warnings.push(Problem::at(
                    USERS,
                    row.line,
                    "username",
                    format!(
                        "the username changed from {} to {}; an account cannot be renamed, \
                         so it keeps {}",
                        user.id, row.user_id, user.id
                    ),
                ));
            }
            user.display_name = row.display_name.clone();
            user.role = row.role;
            user.disabled = !row.enabled;
            return;
        }
        if let Some(owner) = self.owners.get(&row.user_id) {
            self.problems.push(Problem::at(
                USERS,
                row.line,
                "username",
                format!(
                    "the userId {} belongs to the person with sourcedId {owner} from an \
                     earlier import",
                    row.user_id
                ),
            ));
            self.refused.insert(row.sourced_id.clone());
            return;
        }
        if taken.contains(&row.user_id) {
            self.problems.push(Problem::at(
                USERS,
                row.line,
                "username",
                format!(
                    "the userId {} belongs to an account created by hand; rename one of them",
                    row.user_id
                ),
            ));
            self.refused.insert(row.sourced_id.clone());
            return;
        }
        let user = User {
            id: row.user_id.clone(),
            display_name: row.display_name.clone(),
            role: row.role,
            disabled: !row.enabled,
        };
        self.owners
            .insert(row.user_id.clone(), row.sourced_id.clone());
        self.accounts.insert(row.sourced_id.clone(), user);
    }

    fn classes(&mut self, import: &RosterImport) {
        match import.classes_mode {
            Mode::Absent => {}
            Mode::Bulk => {
                let mut kept = BTreeMap::new();
                for row in import.classes.iter().filter(|row| !row.deleted) {
                    let mut members = self.classes.remove(&row.sourced_id).unwrap_or_default();
                    members.title.clone_from(&row.title);
                    kept.insert(row.sourced_id.clone(), members);
                }
                self.classes = kept;
            }
            Mode::Delta => {
                for row in &import.classes {
                    if row.deleted {
                        self.classes.remove(&row.sourced_id);
                    } else {
                        self.classes
                            .entry(row.sourced_id.clone())
                            .or_default()
                            .title
                            .clone_from(&row.title);
                    }
                }
            }
        }
    }

    fn enrollments(&mut self, import: &RosterImport, today: Day) {
        match import.enrollments_mode {
            Mode::Absent => return,
            Mode::Bulk => {
                for members in self.classes.values_mut() {
                    members.teachers.clear();
                    members.students.clear();
                }
            }
            Mode::Delta => {}
        }
        // Ended and deleted rows first, then active ones: a person who left a class and
        // joined it again has both rows, and the active one wins whatever their order.
        // In a bulk file the members were cleared, so only active rows matter at all.
        let (active, inactive): (Vec<_>, Vec<_>) = import
            .enrollments
            .iter()
            .partition(|row| row.is_active_on(today));
        if import.enrollments_mode == Mode::Delta {
            for row in inactive {
                self.enrollment(row, false);
            }
        }
        for row in active {
            self.enrollment(row, true);
        }
    }

    fn enrollment(&mut self, row: &ImportEnrollment, active: bool) {
        if self.refused.contains(&row.user) {
            // Its users.csv row is a problem already; its enrolments would only repeat it.
            return;
        }
        let user = self
            .accounts
            .get(&row.user)
            .map(|user| (user.id.clone(), user.role));
        let Some((user_id, role)) = user else {
            if active {
                self.problems.push(Problem::at(
                    ENROLLMENTS,
                    row.line,
                    "userSourcedId",
                    format!(
                        "no person has the sourcedId {} in this bundle or an earlier import",
                        row.user
                    ),
                ));
            }
            return;
        };
        let Some(members) = self.classes.get_mut(&row.class) else {
            if active {
                self.problems.push(Problem::at(
                    ENROLLMENTS,
                    row.line,
                    "classSourcedId",
                    format!(
                        "no class has the sourcedId {} in this bundle or an earlier import",
                        row.class
                    ),
                ));
            }
            return;
        };
        if !active {
            members.teachers.remove(&user_id);
            members.students.remove(&user_id);
            return;
        }
        let expected = if row.teaches {
            Role::Teacher
        } else {
            Role::Student
        };
        if role != expected {
            self.warnings.push(Problem::at(
                ENROLLMENTS,
                row.line,
                "role",
                format!("{user_id} is a {role} enrolled as a {expected}; no link is derived"),
            ));
        }
        if row.teaches {
            members.teachers.insert(user_id);
        } else {
            members.students.insert(user_id);
        }
    }

    fn check_sizes(&mut self) {
        for (sourced_id, members) in &self.classes {
            let size = members.teachers.len() + members.students.len();
            if size > MAX_CLASS_MEMBERS {
                self.problems.push(Problem {
                    file: ENROLLMENTS.to_owned(),
                    line: None,
                    column: None,
                    message: format!(
                        "the class {sourced_id} would have {size} members; at most \
                         {MAX_CLASS_MEMBERS} are allowed"
                    ),
                });
            }
        }
    }

    fn changes(self, state: &RosterState) -> RosterChanges {
        let mut changes = RosterChanges::default();
        let before: BTreeMap<&SourcedId, &User> = state
            .accounts
            .iter()
            .map(|account| (&account.sourced_id, &account.user))
            .collect();
        let roles: HashMap<&UserId, Role> = self
            .accounts
            .values()
            .map(|user| (&user.id, user.role))
            .collect();
        for (sourced_id, after) in &self.accounts {
            match before.get(sourced_id) {
                None => changes.created_accounts.push(RosterAccount {
                    sourced_id: sourced_id.clone(),
                    user: after.clone(),
                }),
                Some(&previous) if previous != after => {
                    changes.updated_accounts.push(AccountChange {
                        sourced_id: sourced_id.clone(),
                        before: previous.clone(),
                        after: after.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        let mut derived = BTreeSet::new();
        let mut previous: BTreeMap<&SourcedId, &Class> = state
            .classes
            .iter()
            .map(|class| (&class.sourced_id, class))
            .collect();
        for (sourced_id, members) in &self.classes {
            let class = Class {
                sourced_id: sourced_id.clone(),
                title: members.title.clone(),
                teachers: members.teachers.iter().cloned().collect(),
                students: members.students.iter().cloned().collect(),
            };
            derived.extend(class.links().filter(|link| {
                roles.get(&link.teacher) == Some(&Role::Teacher)
                    && roles.get(&link.student) == Some(&Role::Student)
            }));
            match previous.remove(sourced_id) {
                None => changes.created_classes.push(class),
                Some(old) if *old != class => changes.updated_classes.push(ClassChange {
                    before: old.clone(),
                    after: class,
                }),
                Some(_) => {}
            }
        }
        changes.deleted_classes = previous.into_values().cloned().collect();
        let current: BTreeSet<&Link> = state.links.iter().collect();
        changes.added_links = derived
            .iter()
            .filter(|link| !current.contains(link))
            .cloned()
            .collect();
        changes.removed_links = current
            .into_iter()
            .filter(|link| !derived.contains(*link))
            .cloned()
            .collect();
        changes
    }
}
