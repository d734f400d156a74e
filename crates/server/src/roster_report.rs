//! The JSON of a roster import's outcome: the diff an administrator reads before applying
//! (`POST /admin/roster?dryRun=true`, `classchat roster import --dry-run --json`) and the
//! record of what was applied. One shape for the API, the CLI and the admin page.

use crate::dto::{GuardianLinkDto, LinkDto};
use classchat_core::UserId;
use classchat_core::roster::{
    AccountChange, Class, ClassChange, Problem, RosterAccount, RosterPlan, Skipped,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// What an import did, or would do on a dry run.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RosterReport {
    /// Whether this was a dry run (nothing is ever written on one).
    pub dry_run: bool,
    /// Whether the changes are now in the store: false on a dry run, and when there was
    /// nothing to change (the store already matched the bundle).
    pub applied: bool,
    /// The counts in one line, as the audit entry `roster.import` records them.
    #[schema(example = "users +3 ~1; classes +1 ~0 -0; links +4 -1; guardians +2 -0")]
    pub summary: String,
    /// The counts.
    pub counts: RosterCounts,
    /// Accounts created and changed.
    pub users: UserChanges,
    /// Classes created, changed and deleted.
    pub classes: ClassChanges,
    /// Links the roster adds and removes. A removed link that an admin also added by hand
    /// stays.
    pub links: LinkChanges,
    /// Guardian links (from `agentSourcedIds`) the roster adds and removes. A removed one
    /// that an admin also made by hand stays.
    pub guardians: GuardianLinkChanges,
    /// Rows left out on purpose, such as proctors and administrators' enrolments.
    pub skipped: Vec<SkippedRow>,
    /// What an administrator should know that does not stop the import.
    pub warnings: Vec<RosterProblem>,
}

/// How many of each change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RosterCounts {
    /// Accounts created.
    pub users_created: usize,
    /// Accounts whose name, role or disabled flag changes.
    pub users_updated: usize,
    /// Of those, accounts being disabled (absent from a bulk file, deleted, or
    /// `enabledUser=false`).
    pub users_disabled: usize,
    /// Classes created.
    pub classes_created: usize,
    /// Classes whose title or members change.
    pub classes_updated: usize,
    /// Classes deleted.
    pub classes_deleted: usize,
    /// Links added.
    pub links_added: usize,
    /// Links removed.
    pub links_removed: usize,
    /// Guardian links added.
    pub guardians_added: usize,
    /// Guardian links removed.
    pub guardians_removed: usize,
    /// Rows skipped.
    pub skipped: usize,
}

/// Accounts the import creates or changes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserChanges {
    /// New accounts, without a password until their owner sets one.
    pub created: Vec<RosterUser>,
    /// Changed accounts, with what changes.
    pub updated: Vec<UserUpdate>,
}

/// An account from the roster.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RosterUser {
    /// The exporter's key.
    pub sourced_id: String,
    /// The userId.
    pub user_id: String,
    /// student, teacher, guardian or admin.
    pub role: String,
    /// The name shown.
    pub display_name: String,
    /// Whether the account is disabled.
    pub disabled: bool,
}

/// One changed account; only the fields that change are present.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdate {
    /// The exporter's key.
    pub sourced_id: String,
    /// The userId (never changes).
    pub user_id: String,
    /// The display name, from and to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Change<String>>,
    /// The role, from and to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Change<String>>,
    /// The disabled flag, from and to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Change<bool>>,
}

/// A value before and after.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Change<T> {
    /// Now.
    pub from: T,
    /// After the import.
    pub to: T,
}

/// Classes the import creates, changes or deletes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassChanges {
    /// New classes with their members.
    pub created: Vec<ClassDto>,
    /// Changed classes: who joins and who leaves.
    pub updated: Vec<ClassUpdate>,
    /// Classes no longer in the roster.
    pub deleted: Vec<ClassDto>,
}

/// A class with its members.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassDto {
    /// The exporter's key, which is the class's id.
    pub class_id: String,
    /// The name shown.
    pub title: String,
    /// Its teachers' userIds.
    pub teachers: Vec<String>,
    /// Its students' userIds.
    pub students: Vec<String>,
}

/// One changed class.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassUpdate {
    /// The class's id.
    pub class_id: String,
    /// The title after the import.
    pub title: String,
    /// The title before, when it changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_title: Option<String>,
    /// Teachers who join.
    pub teachers_added: Vec<String>,
    /// Teachers who leave.
    pub teachers_removed: Vec<String>,
    /// Students who join.
    pub students_added: Vec<String>,
    /// Students who leave.
    pub students_removed: Vec<String>,
}

/// Links added and removed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkChanges {
    /// Links the roster now derives.
    pub added: Vec<LinkDto>,
    /// Roster links no class implies any more.
    pub removed: Vec<LinkDto>,
}

/// Guardian links added and removed, as `links` for teachers' links.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardianLinkChanges {
    /// Guardian links the roster now derives: a guardian's or a student's row names the
    /// other.
    pub added: Vec<GuardianLinkDto>,
    /// Roster guardian links no row names any more.
    pub removed: Vec<GuardianLinkDto>,
}

/// A row left out.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedRow {
    /// The file.
    pub file: String,
    /// The line.
    pub line: u64,
    /// The row's sourcedId.
    pub sourced_id: String,
    /// Why.
    pub reason: String,
}

/// A problem or warning, located in the bundle.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RosterProblem {
    /// The file inside the bundle, such as `users.csv`.
    pub file: String,
    /// The line (the header is line 1); absent when the whole file is meant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The column's header name, when one field is meant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl From<&Problem> for RosterProblem {
    fn from(problem: &Problem) -> Self {
        Self {
            file: problem.file.clone(),
            line: problem.line,
            column: problem.column.clone(),
            message: problem.message.clone(),
        }
    }
}

impl RosterReport {
    /// The report of `plan`.
    pub fn new(plan: &RosterPlan, dry_run: bool, applied: bool) -> Self {
        let changes = &plan.changes;
        let disabled = changes
            .updated_accounts
            .iter()
            .filter(|change| change.after.disabled && !change.before.disabled)
            .count();
        Self {
            dry_run,
            applied,
            summary: changes.summary(),
            counts: RosterCounts {
                users_created: changes.created_accounts.len(),
                users_updated: changes.updated_accounts.len(),
                users_disabled: disabled,
                classes_created: changes.created_classes.len(),
                classes_updated: changes.updated_classes.len(),
                classes_deleted: changes.deleted_classes.len(),
                links_added: changes.added_links.len(),
                links_removed: changes.removed_links.len(),
                guardians_added: changes.added_guardians.len(),
                guardians_removed: changes.removed_guardians.len(),
                skipped: plan.skipped.len(),
            },
            users: UserChanges {
                created: changes.created_accounts.iter().map(roster_user).collect(),
                updated: changes.updated_accounts.iter().map(user_update).collect(),
            },
            classes: ClassChanges {
                created: changes.created_classes.iter().map(class_dto).collect(),
                updated: changes.updated_classes.iter().map(class_update).collect(),
                deleted: changes.deleted_classes.iter().map(class_dto).collect(),
            },
            links: LinkChanges {
                added: changes.added_links.iter().map(LinkDto::from).collect(),
                removed: changes.removed_links.iter().map(LinkDto::from).collect(),
            },
            guardians: GuardianLinkChanges {
                added: (changes.added_guardians.iter())
                    .map(GuardianLinkDto::from)
                    .collect(),
                removed: (changes.removed_guardians.iter())
                    .map(GuardianLinkDto::from)
                    .collect(),
            },
            skipped: plan.skipped.iter().map(skipped_row).collect(),
            warnings: plan.warnings.iter().map(RosterProblem::from).collect(),
        }
    }
}

fn roster_user(account: &RosterAccount) -> RosterUser {
    let user = &account.user;
    RosterUser {
        sourced_id: account.sourced_id.to_string(),
        user_id: user.id.to_string(),
        role: user.role.to_string(),
        display_name: user.display_name.to_string(),
        disabled: user.disabled,
    }
}

fn user_update(change: &AccountChange) -> UserUpdate {
    let (before, after) = (&change.before, &change.after);
    fn changed<T: PartialEq>(from: T, to: T) -> Option<Change<T>> {
        (from != to).then_some(Change { from, to })
    }
    UserUpdate {
        sourced_id: change.sourced_id.to_string(),
        user_id: before.id.to_string(),
        display_name: changed(
            before.display_name.to_string(),
            after.display_name.to_string(),
        ),
        role: changed(before.role.to_string(), after.role.to_string()),
        disabled: changed(before.disabled, after.disabled),
    }
}

fn ids(list: &[UserId]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn class_dto(class: &Class) -> ClassDto {
    ClassDto {
        class_id: class.sourced_id.to_string(),
        title: class.title.clone(),
        teachers: ids(&class.teachers),
        students: ids(&class.students),
    }
}

/// Who is in `after` and not in `before`, in order.
fn joined(before: &[UserId], after: &[UserId]) -> Vec<String> {
    let before: BTreeSet<&UserId> = before.iter().collect();
    after
        .iter()
        .filter(|id| !before.contains(id))
        .map(ToString::to_string)
        .collect()
}

fn class_update(change: &ClassChange) -> ClassUpdate {
    let (before, after) = (&change.before, &change.after);
    ClassUpdate {
        class_id: after.sourced_id.to_string(),
        title: after.title.clone(),
        previous_title: (before.title != after.title).then(|| before.title.clone()),
        teachers_added: joined(&before.teachers, &after.teachers),
        teachers_removed: joined(&after.teachers, &before.teachers),
        students_added: joined(&before.students, &after.students),
        students_removed: joined(&after.students, &before.students),
    }
}

fn skipped_row(skipped: &Skipped) -> SkippedRow {
    SkippedRow {
        file: skipped.file.clone(),
        line: skipped.line,
        sourced_id: skipped.sourced_id.clone(),
        reason: skipped.reason.clone(),
    }
}
