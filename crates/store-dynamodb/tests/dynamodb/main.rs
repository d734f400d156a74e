//! The DynamoDB store against the emulator the test command starts: the shared conformance
//! suite, the table layout, reads past one response, several nodes on one set of tables,
//! roster imports applied in steps (and cut short in their link and guardian-link steps),
//! classes as members read them, class announcements written in several transactions,
//! family links kept true under racing changes, push subscriptions kept within their limit
//! and with one owner under racing registrations, pending notifications merged and taken
//! once under racing writers and leases won by one node, revisions and report steps made
//! on one reading applied once, retention steps within one transaction and once across
//! nodes, outages, what each operation costs in requests and capacity units, and that the
//! SDK's HTTPS client (rustls with ring) does a real TLS handshake. One test binary for all
//! of them.

mod announcements;
mod classes;
mod conformance;
mod cost;
mod family;
mod fixtures;
mod https;
mod moderation;
mod multi_node;
mod notify;
mod outage;
mod paging;
mod pending;
mod retention;
mod roster;
mod roster_guardians;
mod tables;
