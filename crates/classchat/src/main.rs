//! The `classchat` binary: reads configuration, opens the store, and runs a command.
//!
//! # Layout
//! - `cli`: flags and environment variables (clap).
//! - `serve`: opening the store and running the HTTP server until a signal.
//! - `demo`: seeding a fresh demo school.
//! - `admin`: the `user`, `link` and `settings` commands.
//! - `export`: the whole school as JSON Lines; `export_scoped`: one person's or one
//!   conversation's history as JSON Lines, CSV or an HTML transcript.
//! - `roster`: importing a OneRoster CSV bundle.
//! - `secret`: the token signing secret (at least 32 bytes): given, read from a file, or
//!   generated once and kept beside the database.
//! - `files`: files classchat writes (exports, the secret) are created owner-only.
//! - `open_files`: raising the open-file limit at start-up.
//! - `tables`: creating and checking the DynamoDB tables.

/// jemalloc rather than glibc's malloc: with tens of thousands of idle sockets, each a few
/// small long-lived allocations interleaved with the short-lived ones of its handshake,
/// glibc's per-thread arenas keep about a fifth more resident memory (`classchat-bench
/// idle`, BENCHMARKS.md "Idle sockets (issue 19)").
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod admin;
mod cli;
mod demo;
mod export;
mod export_scoped;
mod files;
mod open_files;
mod retention;
mod roster;
mod safeguarding;
mod secret;
mod serve;
mod tables;
mod vapid;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => serve::serve(args).await,
        Command::Demo(args) => demo::demo(args).await,
        Command::User(command) => admin::user(command).await,
        Command::Link(command) => admin::link(command).await,
        Command::Settings(command) => admin::settings(command).await,
        Command::Tables(command) => tables::tables(command).await,
        Command::Export(args) => export::export(args).await,
        Command::Roster(command) => roster::roster(command).await,
        Command::Hold(command) => safeguarding::hold(command).await,
        Command::Retention(command) => safeguarding::retention(command).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("classchat: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default: info).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
