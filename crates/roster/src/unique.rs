//! Keys that must be unique: `sourcedId` within a file, and the userId across users.
//!
//! Each duplicate is one error on the later row that names the earlier one, so both rows
//! can be found from a single line of the report.

use crate::error::Collector;
use crate::model::RosterUser;
use crate::table::Table;
use std::collections::HashMap;

/// Records every `sourcedId` of `table` seen on an earlier line.
pub(crate) fn sourced_ids(table: &Table, errors: &mut Collector) {
    let mut first: HashMap<&str, u64> = HashMap::new();
    for (id, line) in table.ids() {
        if let Some(earlier) = first.get(id) {
            let message = format!("sourcedId \"{id}\" is also on line {earlier}");
            errors.push(&table.file, Some(line), Some("sourcedId"), message);
        } else {
            first.insert(id, line);
        }
    }
}

/// Records every user whose userId (`username`) an earlier row already claims.
pub(crate) fn user_ids(file: &str, users: &[RosterUser], errors: &mut Collector) {
    let mut first: HashMap<&str, u64> = HashMap::new();
    for user in users {
        let user_id = user.user_id.as_str();
        if let Some(earlier) = first.get(user_id) {
            let message = format!(
                "username \"{user_id}\" is claimed by lines {earlier} and {} (one userId, two people)",
                user.line
            );
            errors.push(file, Some(user.line), Some("username"), message);
        } else {
            first.insert(user_id, user.line);
        }
    }
}
