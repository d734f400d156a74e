//! The `classchat` binary run as a user runs it: CLI commands, `serve` on SQLite and on the
//! DynamoDB emulator, shutdown and restart.

mod cli;
mod dynamodb;
mod export;
mod fd_limit;
mod multi_node;
mod process;
