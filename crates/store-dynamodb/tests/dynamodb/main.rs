//! The DynamoDB store against the emulator the test command starts: the shared conformance
//! suite, the table layout, reads past one response, several nodes on one set of tables,
//! roster imports applied in steps, and outages. One test binary for all of them.

mod conformance;
mod fixtures;
mod multi_node;
mod outage;
mod paging;
mod roster;
mod tables;
