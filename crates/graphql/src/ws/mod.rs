//! GraphQL over WebSocket, `graphql-transport-ws` (the protocol of the npm `graphql-ws`
//! package). `protocol`: its messages and close codes; `session`: one connection, over
//! the live core.

pub mod protocol;
pub mod session;
