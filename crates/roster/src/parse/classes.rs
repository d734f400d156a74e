//! `classes.csv`.

use crate::error::Collector;
use crate::fields::Fields;
use crate::model::{FileMode, RosterClass};
use crate::table::Table;

/// The class types OneRoster defines.
const CLASS_TYPES: &[&str] = &["homeroom", "scheduled"];

/// A class with the references only cross-file checks use.
#[derive(Debug)]
pub(crate) struct ParsedClass {
    /// The class as modelled.
    pub(crate) class: RosterClass,
    /// `courseSourcedId`, checked against `courses.csv` when that file is in the bundle.
    pub(crate) course_sourced_id: Option<String>,
}

/// Parses every row; rows with a problem are recorded and left out.
pub(crate) fn parse(table: &Table, mode: FileMode, errors: &mut Collector) -> Vec<ParsedClass> {
    let mut classes = Vec::with_capacity(table.len());
    for row in table.rows() {
        let mut fields = Fields::new(table, row, errors);
        let sourced_id = fields.required("sourcedId");
        let status = fields.status(mode);
        let title = fields.required("title");
        let class_type = fields.one_of("classType", CLASS_TYPES, true);
        let school = fields.required("schoolSourcedId");
        let terms = fields.required_list("termSourcedIds");
        if let (Some(sourced_id), Ok(status), Some(title), Some(_), Some(school), Some(terms)) =
            (sourced_id, status, title, class_type, school, terms)
        {
            classes.push(ParsedClass {
                class: RosterClass {
                    sourced_id,
                    status,
                    title,
                    school_sourced_id: school,
                    term_sourced_ids: terms,
                    line: fields.line(),
                },
                course_sourced_id: fields.optional("courseSourcedId"),
            });
        }
    }
    classes
}
