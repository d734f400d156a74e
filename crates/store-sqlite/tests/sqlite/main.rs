//! The SQLite store on real database files: the shared conformance suite and group commit.

mod conformance;
mod group_commit;
