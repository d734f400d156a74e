//! `enrollments.csv`.

use crate::error::Collector;
use crate::fields::Fields;
use crate::model::{EnrollmentRole, FileMode, RosterEnrollment};
use crate::table::Table;

/// An enrolment with the reference only cross-file checks use.
#[derive(Debug)]
pub(crate) struct ParsedEnrollment {
    /// The enrolment as modelled.
    pub(crate) enrollment: RosterEnrollment,
    /// `schoolSourcedId`, checked against `orgs.csv`.
    pub(crate) school_sourced_id: String,
}

/// Parses every row; rows with a problem are recorded and left out.
pub(crate) fn parse(
    table: &Table,
    mode: FileMode,
    errors: &mut Collector,
) -> Vec<ParsedEnrollment> {
    let mut enrollments = Vec::with_capacity(table.len());
    for row in table.rows() {
        let mut fields = Fields::new(table, row, errors);
        let sourced_id = fields.required("sourcedId");
        let status = fields.status(mode);
        let class = fields.required("classSourcedId");
        let school = fields.required("schoolSourcedId");
        let user = fields.required("userSourcedId");
        let role_text = fields.text("role");
        let role = EnrollmentRole::parse(role_text);
        if role.is_none() {
            let message = format!(
                "\"{role_text}\" is not one of: student, teacher, aide, administrator, proctor"
            );
            fields.error("role", message);
        }
        let begin = fields.date("beginDate");
        let end = fields.date("endDate");
        let (
            Some(sourced_id),
            Ok(status),
            Some(class),
            Some(school),
            Some(user),
            Some(role),
            Ok(begin),
            Ok(end),
        ) = (sourced_id, status, class, school, user, role, begin, end)
        else {
            continue;
        };
        if let (Some(begin), Some(end)) = (begin, end) {
            if end < begin {
                fields.error("endDate", format!("{end} is before beginDate {begin}"));
                continue;
            }
        }
        enrollments.push(ParsedEnrollment {
            enrollment: RosterEnrollment {
                sourced_id,
                status,
                class_sourced_id: class,
                user_sourced_id: user,
                role,
                begin_date: begin,
                end_date: end,
                line: fields.line(),
            },
            school_sourced_id: school,
        });
    }
    enrollments
}
