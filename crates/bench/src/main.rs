//! `classchat-bench`: the load generator of issue 7 (and the login flood of issue 12).
//!
//! Every scenario starts its own server (classchat on a temp database, or a peer), drives
//! it over loopback only, prints one human line and one JSON line, and tears it down.
//! See BENCHMARKS.md and `scripts/bench`.

mod client;
mod history;
mod idle;
mod lambda;
mod latency;
mod login_flood;
mod matrix;
mod nodes;
mod registry;
mod report;
mod restart;
mod roster;
mod seed;
mod send;
mod server;
mod sio;
mod stages;
mod synapse;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Command line of `classchat-bench`.
#[derive(Parser, Debug)]
#[command(version, about = "Load generator for classchat and its peers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which server a scenario runs against.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// classchat over WebSocket (and REST where the scenario has a REST variant).
    Classchat,
    /// The socket.io relay in bench/peers/socketio.
    Socketio,
    /// matrix-synapse from .venv-synapse (send and latency only).
    Synapse,
}

impl Target {
    /// The name used in results.
    pub fn name(self) -> &'static str {
        match self {
            Target::Classchat => "classchat",
            Target::Socketio => "socketio",
            Target::Synapse => "synapse",
        }
    }
}

/// Options every scenario shares.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// The server to measure.
    #[arg(long, value_enum, default_value = "classchat")]
    pub target: Target,
    /// The classchat binary.
    #[arg(
        long,
        env = "CLASSCHAT_BENCH_SERVER",
        default_value = "target/release/classchat"
    )]
    pub classchat_bin: PathBuf,
    /// The socket.io peer's directory (with node_modules installed).
    #[arg(long, default_value = "bench/peers/socketio")]
    pub socketio_dir: PathBuf,
    /// The Synapse virtualenv.
    #[arg(long, default_value = ".venv-synapse")]
    pub synapse_venv: PathBuf,
    /// SQLite synchronous mode of classchat (full, normal, off).
    #[arg(long, default_value = "full")]
    pub synchronous: String,
    /// Append the JSON result line to this file too.
    #[arg(long)]
    pub json_out: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Open N authenticated sockets, hold them, report server RSS per connection.
    Idle(idle::Args),
    /// K sender/recipient pairs: acked messages per second (WebSocket, then REST).
    Send(send::Args),
    /// Fixed offered rate with idle sockets present: delivery latency percentiles.
    Latency(latency::Args),
    /// Bulk-loaded history, then /chat/read page latency while writes run.
    History(history::Args),
    /// Parallel wrong-password logins: memory, and what everyone else waits meanwhile.
    LoginFlood(login_flood::Args),
    /// The live registry alone, in process: delivery time by shard count.
    Registry(registry::Args),
    /// A district's roster import (CLI and server: time, peak RSS), then class
    /// announcements to 35 listening students: POST and delivery latency.
    Roster(roster::Args),
    /// The Lambda functions' binaries under an emulated Runtime API (on moto): size, cold
    /// starts, warm invocations, peak RSS.
    Lambda(lambda::Args),
    /// Several nodes behind Redis under load; Redis killed and restarted: how many
    /// sockets are closed, and how long until delivery is whole.
    RedisRestart(restart::Args),
    /// Internal: a worker process holding a share of the idle sockets.
    #[command(hide = true)]
    Worker(idle::WorkerArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Idle(args) => idle::run(args).await,
            Command::Send(args) => send::run(args).await,
            Command::Latency(args) => latency::run(args).await,
            Command::History(args) => history::run(args).await,
            Command::LoginFlood(args) => login_flood::run(args).await,
            Command::Registry(args) => registry::run(args).await,
            Command::Roster(args) => roster::run(args).await,
            Command::Lambda(args) => lambda::run(args).await,
            Command::RedisRestart(args) => restart::run(args).await,
            Command::Worker(args) => idle::worker(args).await,
        }
    })
}
