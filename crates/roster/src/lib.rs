//! Reads and validates a OneRoster CSV bundle (1.1, and 1.2 where cheap) into a typed
//! [`Roster`]: the first step of a roster import. No store, no HTTP, no file-system access:
//! callers hand over bytes, and get back either a roster that passed every check or every
//! problem, each naming its file, line and column.
//!
//! # Layout
//! - [`bundle`]: [`Bundle`], the files of an export by name; [`archive`] unpacks a zip into
//!   one, within [`BundleLimits`] (no zip bombs).
//! - [`read()`](read::read): the whole pipeline; `manifest` (version, file modes), `table`
//!   (strict CSV decoding), `fields` (typed, located field access), `parse/*` (one parser
//!   per file), `unique` (duplicate ids), `references` (dangling references).
//! - [`model`]: the roster's types; [`date`]: a validated `YYYY-MM-DD`.
//! - [`error`]: [`RosterError`], [`RosterErrors`] and the collector behind them.
//! - [`import`]: [`prepare`], the roster as the rows classchat's importer acts on
//!   (`classchat_core::roster::RosterImport`): parents, guardians and relatives as
//!   guardian accounts, `agentSourcedIds` as the people each row names, `email` as where
//!   digests go (one that is no address is a warning, not an error).
//! - `testing` (feature `test-support`): a generated school and a catalogue of breakage.
//!
//! # Invariant
//! Pure: bytes in, values out. Deciding what an import changes against the store belongs
//! to the core's `roster::plan`.

pub mod archive;
pub mod bundle;
pub mod date;
pub mod error;
mod fields;
mod files;
pub mod import;
mod manifest;
pub mod model;
mod parse;
pub mod read;
mod references;
mod table;
mod unique;

#[cfg(feature = "test-support")]
pub mod testing;

pub use archive::BundleLimits;
pub use bundle::Bundle;
pub use date::Date;
pub use error::{MAX_ERRORS, RosterError, RosterErrors};
pub use import::{prepare, to_import};
pub use model::{
    AcademicSession, EnrollmentRole, FamilyRole, FileMode, OneRosterVersion, Org, Roster,
    RosterClass, RosterEnrollment, RosterRole, RosterUser, Status,
};
pub use read::read;
