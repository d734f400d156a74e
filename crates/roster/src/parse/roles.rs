//! `roles.csv` (OneRoster 1.2): a user's roles per organisation, folded into the one role
//! and org list a 1.1 `users.csv` row would carry. The primary role wins; without one, the
//! first secondary role does.

use crate::error::Collector;
use crate::fields::Fields;
use crate::model::{FileMode, RosterRole};
use crate::table::Table;
use std::collections::HashMap;

/// One user's roles, folded.
#[derive(Debug, Clone)]
pub(crate) struct UserRoles {
    /// The role the user gets.
    pub(crate) role: RosterRole,
    /// Whether `role` came from a primary row (a later primary row is a conflict).
    primary: bool,
    /// Every organisation of the user's roles, the chosen role's first.
    pub(crate) org_sourced_ids: Vec<String>,
}

/// A row's references, for cross-file checks.
#[derive(Debug)]
pub(crate) struct RoleRef {
    /// `userSourcedId`.
    pub(crate) user_sourced_id: String,
    /// `orgSourcedId`.
    pub(crate) org_sourced_id: String,
    /// The row's line.
    pub(crate) line: u64,
}

/// Parses every row into roles by `userSourcedId`, and the rows' references.
pub(crate) fn parse(
    table: &Table,
    mode: FileMode,
    errors: &mut Collector,
) -> (HashMap<String, UserRoles>, Vec<RoleRef>) {
    let mut by_user: HashMap<String, UserRoles> = HashMap::new();
    let mut refs = Vec::with_capacity(table.len());
    for row in table.rows() {
        let mut fields = Fields::new(table, row, errors);
        let _ = fields.required("sourcedId");
        let status = fields.status(mode);
        let user = fields.required("userSourcedId");
        let primary = fields.one_of("roleType", &["primary", "secondary"], false);
        let role_text = fields.text("role");
        let role = RosterRole::parse(role_text);
        if role.is_none() {
            fields.error("role", format!("\"{role_text}\" is not a OneRoster role"));
        }
        let org = fields.required("orgSourcedId");
        let (Some(user), Ok(status), Some(primary), Some(role), Some(org)) =
            (user, status, primary, role, org)
        else {
            continue;
        };
        refs.push(RoleRef {
            user_sourced_id: user.clone(),
            org_sourced_id: org.clone(),
            line: fields.line(),
        });
        if status == Some(crate::model::Status::ToBeDeleted) {
            continue;
        }
        let primary = primary == "primary";
        match by_user.get_mut(&user) {
            None => {
                by_user.insert(
                    user,
                    UserRoles {
                        role,
                        primary,
                        org_sourced_ids: vec![org],
                    },
                );
            }
            Some(existing) => {
                if primary && existing.primary {
                    fields.error("roleType", format!("a second primary role for {user}"));
                    continue;
                }
                if primary {
                    existing.role = role;
                    existing.primary = true;
                    existing.org_sourced_ids.retain(|known| *known != org);
                    existing.org_sourced_ids.insert(0, org);
                } else if !existing.org_sourced_ids.contains(&org) {
                    existing.org_sourced_ids.push(org);
                }
            }
        }
    }
    (by_user, refs)
}
