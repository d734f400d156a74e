//! GraphQL subscriptions over WebSocket, `graphql-transport-ws` (the protocol of the npm
//! `graphql-ws` package). `protocol`: its messages and close codes. The session that runs
//! them over the live core comes next (issue 14).

pub mod protocol;
