//! One error type for everything wrong with a bundle, and the collector that gathers them.
//!
//! A roster export is fixed by a person in another system, so one refusal should show every
//! problem at once rather than one per upload; the collector keeps going and stops at a cap
//! so a wholly broken file cannot produce a million lines.

use std::fmt;

/// How many errors one read reports before it stops collecting.
pub const MAX_ERRORS: usize = 100;

/// One problem in a bundle, located precisely enough to fix it in a spreadsheet: the
/// importer's [`Problem`](classchat_core::roster::Problem), so a bundle refused here and
/// one refused against the store read the same.
pub use classchat_core::roster::Problem as RosterError;

/// Every problem found in a bundle; returned instead of a roster when there is at least one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RosterErrors {
    /// The problems, in the order they were found (file by file, line by line).
    errors: Vec<RosterError>,
    /// Whether more problems were found than [`MAX_ERRORS`] and the rest were dropped.
    truncated: bool,
}

impl RosterErrors {
    /// The problems found, at most [`MAX_ERRORS`].
    pub fn errors(&self) -> &[RosterError] {
        &self.errors
    }

    /// Whether the list was cut at [`MAX_ERRORS`], so a caller can say "and more".
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for RosterErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        if self.truncated {
            write!(f, "\n… more errors not shown (stopped after {MAX_ERRORS})")?;
        }
        Ok(())
    }
}

/// Gathers errors up to [`MAX_ERRORS`] while a bundle is read.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    /// What was found so far.
    errors: Vec<RosterError>,
    /// Set when an error arrived after the cap.
    truncated: bool,
}

impl Collector {
    /// Records an error located at a whole file, a line, or a field.
    pub(crate) fn push(
        &mut self,
        file: &str,
        line: Option<u64>,
        column: Option<&str>,
        message: impl Into<String>,
    ) {
        if self.errors.len() >= MAX_ERRORS {
            self.truncated = true;
            return;
        }
        self.errors.push(RosterError {
            file: file.to_owned(),
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }

    /// Whether the cap is reached: readers may stop early, nothing more would be kept.
    pub(crate) fn is_full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    /// Ends collection: `Ok(value)` when clean, the errors otherwise.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, RosterErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.into_errors())
        }
    }

    /// The errors gathered, for a read that cannot go on.
    pub(crate) fn into_errors(self) -> RosterErrors {
        RosterErrors {
            errors: self.errors,
            truncated: self.truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_column_one_per_line() {
        let mut collector = Collector::default();
        collector.push(
            "users.csv",
            Some(3),
            Some("role"),
            "unknown role \"wizard\"",
        );
        collector.push("users.csv", None, None, "missing");
        let text = collector.into_errors().to_string();
        assert_eq!(
            text,
            "users.csv line 3, column role: unknown role \"wizard\"\nusers.csv: missing"
        );
    }

    #[test]
    fn collection_stops_at_the_cap() {
        let mut collector = Collector::default();
        for line in 0..(MAX_ERRORS as u64 + 5) {
            collector.push("a.csv", Some(line), None, "bad");
        }
        let errors = collector.into_errors();
        assert_eq!(errors.errors().len(), MAX_ERRORS);
        assert!(errors.truncated());
    }
}
