//! `orgs.csv`.

use crate::error::Collector;
use crate::fields::Fields;
use crate::model::{FileMode, Org};
use crate::table::Table;

/// The org types OneRoster 1.1 and 1.2 define.
const ORG_TYPES: &[&str] = &[
    "department",
    "school",
    "district",
    "local",
    "state",
    "national",
];

/// Parses every row; rows with a problem are recorded and left out.
pub(crate) fn parse(table: &Table, mode: FileMode, errors: &mut Collector) -> Vec<Org> {
    let mut orgs = Vec::with_capacity(table.len());
    for row in table.rows() {
        let mut fields = Fields::new(table, row, errors);
        let sourced_id = fields.required("sourcedId");
        let status = fields.status(mode);
        let name = fields.required("name");
        let org_type = fields.one_of("type", ORG_TYPES, false);
        if let (Some(sourced_id), Ok(status), Some(name), Some(org_type)) =
            (sourced_id, status, name, org_type)
        {
            orgs.push(Org {
                sourced_id,
                status,
                name,
                org_type,
                parent_sourced_id: fields.optional("parentSourcedId"),
                line: fields.line(),
            });
        }
    }
    orgs
}
