//! `academicSessions.csv`: terms, semesters, grading periods and school years.

use crate::error::Collector;
use crate::fields::Fields;
use crate::model::{AcademicSession, FileMode};
use crate::table::Table;

/// The session types OneRoster defines.
const SESSION_TYPES: &[&str] = &["gradingPeriod", "semester", "schoolYear", "term"];

/// Parses every row; rows with a problem are recorded and left out.
pub(crate) fn parse(table: &Table, mode: FileMode, errors: &mut Collector) -> Vec<AcademicSession> {
    let mut sessions = Vec::with_capacity(table.len());
    for row in table.rows() {
        let mut fields = Fields::new(table, row, errors);
        let sourced_id = fields.required("sourcedId");
        let status = fields.status(mode);
        let title = fields.required("title");
        let session_type = fields.one_of("type", SESSION_TYPES, false);
        let start_date = fields.required_date("startDate");
        let end_date = fields.required_date("endDate");
        let school_year = fields.required("schoolYear");
        if let Some(year) = &school_year {
            if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
                fields.error("schoolYear", format!("\"{year}\" is not a year as YYYY"));
            }
        }
        let (Some(sourced_id), Ok(status), Some(title), Some(_), Some(start), Some(end), Some(_)) = (
            sourced_id,
            status,
            title,
            session_type,
            start_date,
            end_date,
            school_year,
        ) else {
            continue;
        };
        if end < start {
            fields.error("endDate", format!("{end} is before startDate {start}"));
            continue;
        }
        sessions.push(AcademicSession {
            sourced_id,
            status,
            title,
            start_date: start,
            end_date: end,
            line: fields.line(),
        });
    }
    sessions
}
