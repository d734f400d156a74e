//! One parser per file: a decoded [`Table`](crate::table::Table) in, typed records out,
//! every bad field recorded with its line and column. Cross-file checks are elsewhere
//! ([`crate::references`]).

pub(crate) mod classes;
pub(crate) mod enrollments;
pub(crate) mod orgs;
pub(crate) mod roles;
pub(crate) mod sessions;
pub(crate) mod users;
