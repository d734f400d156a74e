//! Test support (feature `test-support`): a generated school bundle and a catalogue of ways
//! to break it, for this crate's tests and the importer's.
//!
//! Everything is deterministic, so a failing test fails the same way twice.

mod csv_text;
mod generate;
mod malformation;
mod people;
mod zip_writer;

pub use generate::{SchoolSpec, generate};
pub use malformation::{Expected, Malformation};
pub use zip_writer::to_zip;
