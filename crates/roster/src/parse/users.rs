//! `users.csv`: people, their classchat userId (from `username`) and role.

use crate::error::Collector;
use crate::fields::Fields;
use crate::model::{FileMode, OneRosterVersion, RosterRole, RosterUser};
use crate::parse::roles::UserRoles;
use crate::table::Table;
use classchat_core::UserId;
use std::collections::HashMap;

/// Parses every row; rows with a problem are recorded and left out. In 1.2 each user's role
/// and orgs come from `roles` (the folded `roles.csv`).
pub(crate) fn parse(
    table: &Table,
    mode: FileMode,
    version: OneRosterVersion,
    roles: Option<&HashMap<String, UserRoles>>,
    errors: &mut Collector,
) -> Vec<RosterUser> {
    let mut users = Vec::with_capacity(table.len());
    for row in table.rows() {
        let mut fields = Fields::new(table, row, errors);
        let sourced_id = fields.required("sourcedId");
        let status = fields.status(mode);
        let enabled = match version {
            OneRosterVersion::V1_1 => fields.boolean("enabledUser"),
            // 1.2 exporters sometimes leave it blank; blank means the default, enabled.
            OneRosterVersion::V1_2 if fields.text("enabledUser").is_empty() => Some(true),
            OneRosterVersion::V1_2 => fields.boolean("enabledUser"),
        };
        let username = fields.text("username");
        let user_id = match UserId::parse(username) {
            Ok(user_id) => Some(user_id),
            Err(error) => {
                fields.error(
                    "username",
                    format!("\"{username}\" cannot be a userId: {error}"),
                );
                None
            }
        };
        let given_name = fields.required("givenName");
        let family_name = fields.required("familyName");
        let role_and_orgs = match version {
            OneRosterVersion::V1_1 => {
                let role_text = fields.text("role");
                let role = RosterRole::parse(role_text);
                if role.is_none() {
                    fields.error("role", format!("\"{role_text}\" is not a OneRoster role"));
                }
                let orgs = fields.required_list("orgSourcedIds");
                role.zip(orgs)
            }
            OneRosterVersion::V1_2 => {
                let found = sourced_id
                    .as_ref()
                    .and_then(|id| roles.and_then(|roles| roles.get(id)))
                    .map(|roles| (roles.role.clone(), roles.org_sourced_ids.clone()));
                if found.is_none() && sourced_id.is_some() && roles.is_some() {
                    fields.error("sourcedId", "no role for this user in roles.csv");
                }
                found
            }
        };
        if let (
            Some(sourced_id),
            Ok(status),
            Some(enabled),
            Some(user_id),
            Some(given_name),
            Some(family_name),
            Some((role, org_sourced_ids)),
        ) = (
            sourced_id,
            status,
            enabled,
            user_id,
            given_name,
            family_name,
            role_and_orgs,
        ) {
            users.push(RosterUser {
                sourced_id,
                status,
                enabled,
                user_id,
                role,
                given_name,
                family_name,
                org_sourced_ids,
                agent_sourced_ids: fields.list("agentSourcedIds"),
                email: fields.optional("email"),
                line: fields.line(),
            });
        }
    }
    users
}
