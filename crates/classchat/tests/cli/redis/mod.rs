//! Several classchat nodes sharing one store and one real Redis: events cross nodes to
//! every participant connection (and nobody else's), presence is cluster-wide, and a node
//! that loses Redis sends its clients to catch up from the store. Each test starts its own
//! `redis-server` (on a Unix socket in a temporary directory) and two nodes, each a real
//! server on port 0.

mod client;
mod fan_out;
mod nodes;
mod outage;
mod presence;
mod revocation;
