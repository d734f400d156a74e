//! The SQLite store on real database files: the shared conformance suite, group commit, the
//! query plans of every statement, file modes, and readiness of the writer.

mod conformance;
mod files;
mod group_commit;
mod query_plans;
mod readiness;
