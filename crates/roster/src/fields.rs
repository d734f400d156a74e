//! Typed access to the fields of one row, recording a located error for each bad value.
//!
//! Parsers ask for what they need (`required`, `status`, `date`, …) and get `None` back on
//! a problem that is already recorded, so they read as a list of fields and keep going.

use crate::date::Date;
use crate::error::Collector;
use crate::model::{FileMode, Status};
use crate::table::{Row, Table, split_list};

/// One row of one table, with the error collector at hand.
pub(crate) struct Fields<'a> {
    /// The table the row is from.
    table: &'a Table,
    /// The row.
    row: &'a Row,
    /// Where problems go.
    errors: &'a mut Collector,
}

impl<'a> Fields<'a> {
    /// Fields of `row`.
    pub(crate) fn new(table: &'a Table, row: &'a Row, errors: &'a mut Collector) -> Self {
        Self { table, row, errors }
    }

    /// The row's line.
    pub(crate) fn line(&self) -> u64 {
        self.row.line
    }

    /// Records a problem with `column` of this row.
    pub(crate) fn error(&mut self, column: &str, message: impl Into<String>) {
        self.errors
            .push(&self.table.file, Some(self.row.line), Some(column), message);
    }

    /// The field as written (trimmed), empty when blank or when the column is absent.
    pub(crate) fn text(&self, column: &str) -> &'a str {
        self.table.get(self.row, column)
    }

    /// A field that must not be blank.
    pub(crate) fn required(&mut self, column: &str) -> Option<String> {
        let text = self.text(column);
        if text.is_empty() {
            self.error(column, "required, but blank");
            return None;
        }
        Some(text.to_owned())
    }

    /// A field that may be blank.
    pub(crate) fn optional(&self, column: &str) -> Option<String> {
        let text = self.text(column);
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// A comma list (`"org1,org2"`), empty when blank.
    pub(crate) fn list(&self, column: &str) -> Vec<String> {
        split_list(self.text(column))
    }

    /// A comma list that must have at least one item.
    pub(crate) fn required_list(&mut self, column: &str) -> Option<Vec<String>> {
        let items = self.list(column);
        if items.is_empty() {
            self.error(column, "required, but blank");
            return None;
        }
        Some(items)
    }

    /// `status` under the file's mode: a bulk file holds only current records (blank or
    /// `active`); a delta must say `active` or `tobedeleted` for each row.
    pub(crate) fn status(&mut self, mode: FileMode) -> Result<Option<Status>, ()> {
        let text = self.text("status");
        let status = match text.to_ascii_lowercase().as_str() {
            "" => None,
            "active" => Some(Status::Active),
            "tobedeleted" => Some(Status::ToBeDeleted),
            _ => {
                self.error("status", format!("\"{text}\"; active or tobedeleted"));
                return Err(());
            }
        };
        match (mode, status) {
            (FileMode::Delta, None) => {
                self.error("status", "required in a delta file: active or tobedeleted");
                Err(())
            }
            (FileMode::Bulk, Some(Status::ToBeDeleted)) => {
                let message = "tobedeleted in a bulk file; a bulk file lists current records \
                               only (leave the row out instead)";
                self.error("status", message);
                Err(())
            }
            _ => Ok(status),
        }
    }

    /// A `YYYY-MM-DD` date that may be blank.
    pub(crate) fn date(&mut self, column: &str) -> Result<Option<Date>, ()> {
        let text = self.text(column);
        if text.is_empty() {
            return Ok(None);
        }
        match Date::parse(text) {
            Some(date) => Ok(Some(date)),
            None => {
                self.error(column, format!("\"{text}\" is not a date as YYYY-MM-DD"));
                Err(())
            }
        }
    }

    /// A `YYYY-MM-DD` date that must be there.
    pub(crate) fn required_date(&mut self, column: &str) -> Option<Date> {
        if self.text(column).is_empty() {
            self.error(column, "required, but blank");
            return None;
        }
        self.date(column).ok().flatten()
    }

    /// A boolean written `true`/`false` in any case; `None` (recorded) otherwise.
    pub(crate) fn boolean(&mut self, column: &str) -> Option<bool> {
        let text = self.text(column);
        if text.eq_ignore_ascii_case("true") {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            self.error(column, format!("\"{text}\"; true or false"));
            None
        }
    }

    /// Checks the field is one of `allowed` (case-insensitive) and returns it as `allowed`
    /// spells it; blank (returned empty) is accepted only when `blank_ok`.
    pub(crate) fn one_of(
        &mut self,
        column: &str,
        allowed: &[&str],
        blank_ok: bool,
    ) -> Option<String> {
        let text = self.text(column);
        if text.is_empty() && blank_ok {
            return Some(String::new());
        }
        match allowed.iter().find(|name| name.eq_ignore_ascii_case(text)) {
            Some(name) => Some((*name).to_owned()),
            None => {
                let message = format!("\"{text}\" is not one of: {}", allowed.join(", "));
                self.error(column, message);
                None
            }
        }
    }
}
