//! The `classchat` binary run as a user runs it: CLI commands, `serve` on SQLite and on the
//! DynamoDB emulator, shutdown and restart, the signing secret, file modes, the demo's
//! binding, the open-file limit, and a login flood.

mod cli;
mod demo_binding;
mod dynamodb;
mod export;
mod export_scoped;
mod fd_limit;
mod files;
mod login_flood;
mod multi_node;
mod process;
mod push;
mod redis;
mod roster;
mod safeguarding;
mod secret;
mod sign_in_codes;
