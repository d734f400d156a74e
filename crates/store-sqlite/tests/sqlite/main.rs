//! The SQLite store on real database files: the shared conformance suite, group commit, and
//! the query plans of every statement.

mod conformance;
mod group_commit;
mod query_plans;
