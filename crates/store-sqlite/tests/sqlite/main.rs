//! The SQLite store on real database files: the shared conformance suite, group commit,
//! checkpoints off the writer's path, the query plans of every statement, file modes, and
//! readiness of the writer.

mod checkpoints;
mod conformance;
mod files;
mod group_commit;
mod query_plans;
mod readiness;
