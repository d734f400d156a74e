//! Several classchat nodes behind one Redis, as a many-node deployment runs them: a
//! private `redis-server` on a Unix socket in the database's temp directory, and the nodes
//! serving the same SQLite file with the same token secret and `--redis-url`. An event
//! published on one node reaches the others' connections through Redis pub/sub only.

use crate::Common;
use crate::seed::Seed;
use crate::server::{self, Database, Server};
use anyhow::{Context, bail};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::process::{Child, Command};

/// How long `redis-server` may take to answer its first PING.
const REDIS_START: Duration = Duration::from_secs(10);

/// The nodes and their Redis; every process is killed on drop (nodes first, the
/// database's directory last).
pub struct Nodes {
    /// The nodes: same database, same secret, same Redis.
    pub nodes: Vec<Server>,
    redis: Child,
    socket: std::path::PathBuf,
    database: Database,
}

impl Nodes {
    /// Stops every node, then Redis (SIGKILL: nothing to keep).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        while let Some(node) = self.nodes.pop() {
            node.stop().await?;
        }
        self.redis
            .kill()
            .await
            .context("cannot stop redis-server")?;
        Ok(())
    }
}

impl Nodes {
    /// Kills Redis (SIGKILL, as a crash), keeps it down for `down`, starts it again on the
    /// same socket, empty, and returns once it answers PING: when it was back.
    pub async fn restart_redis(&mut self, down: Duration) -> anyhow::Result<Instant> {
        self.redis
            .kill()
            .await
            .context("cannot kill redis-server")?;
        let _ = std::fs::remove_file(&self.socket);
        tokio::time::sleep(down).await;
        self.redis = start_redis(self.database.dir.path(), &self.socket).await?;
        Ok(Instant::now())
    }
}

/// What Redis itself counted during a run (`INFO`): how much pub/sub cost it.
#[derive(Debug, Default, Clone, Copy)]
pub struct RedisStats {
    /// `PUBLISH` commands served (`cmdstat_publish` calls).
    pub publishes: u64,
    /// Bytes Redis wrote to its clients (`total_net_output_bytes`): every copy of every
    /// event it handed a subscriber is in it.
    pub output_bytes: u64,
    /// Channels with at least one subscriber (`pubsub_channels`).
    pub channels: u64,
}

impl Nodes {
    /// Redis's own counters now.
    pub async fn redis_stats(&self) -> anyhow::Result<RedisStats> {
        let info = info(&self.socket).await?;
        let field = |name: &str| -> u64 {
            info.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0)
        };
        let publishes = info
            .lines()
            .find_map(|line| line.strip_prefix("cmdstat_publish:calls="))
            .and_then(|rest| rest.split(',').next())
            .and_then(|calls| calls.parse().ok())
            .unwrap_or(0);
        Ok(RedisStats {
            publishes,
            output_bytes: field("total_net_output_bytes"),
            channels: field("pubsub_channels"),
        })
    }
}

/// `INFO everything` from the Redis on `socket`, as text.
async fn info(socket: &Path) -> anyhow::Result<String> {
    let exchange = async {
        let mut stream = UnixStream::connect(socket).await?;
        stream.write_all(b"INFO everything\r\n").await?;
        let mut reply = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        // A bulk string: `$<length>\r\n<text>\r\n`.
        loop {
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                break;
            }
            reply.extend_from_slice(&chunk[..read]);
            if let Some(header_end) = reply.windows(2).position(|w| w == b"\r\n") {
                let length: usize = std::str::from_utf8(&reply[1..header_end])
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .unwrap_or(0);
                if reply.len() >= header_end + 2 + length {
                    break;
                }
            }
        }
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&reply).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .context("Redis did not answer INFO in time")?
        .context("cannot read INFO from Redis")
}

/// Seeds a fresh database with `seed`, starts Redis beside it, then `count` nodes.
pub async fn start(common: &Common, seed: &Seed, count: usize) -> anyhow::Result<Nodes> {
    let database = server::seed_classchat(common, seed).await?;
    let socket = database.dir.path().join("redis.sock");
    let redis = start_redis(database.dir.path(), &socket).await?;
    let url = format!("unix://{}", socket.display());
    let mut nodes = Vec::with_capacity(count);
    for _ in 0..count {
        nodes.push(database.serve_node(common, Some(&url)).await?);
    }
    Ok(Nodes {
        nodes,
        redis,
        socket,
        database,
    })
}

/// Starts `redis-server` listening on `socket` only (no TCP port, nothing saved), its
/// working directory and log in `dir`, and waits until it answers PING.
async fn start_redis(dir: &Path, socket: &Path) -> anyhow::Result<Child> {
    let log = std::fs::File::create(dir.join("redis.log"))?;
    let mut child = Command::new("redis-server")
        .args(["--port", "0", "--unixsocket"])
        .arg(socket)
        .args([
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir)
        .stdout(log)
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run redis-server (Debian package redis-server)")?;
    let deadline = Instant::now() + REDIS_START;
    loop {
        if ping(socket).await {
            return Ok(child);
        }
        if let Some(status) = child.try_wait()? {
            bail!(
                "redis-server exited with {status}; see {}",
                dir.join("redis.log").display()
            );
        }
        if Instant::now() > deadline {
            bail!("redis-server did not answer PING within {REDIS_START:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// True once Redis on `socket` answers `PING` with `+PONG`.
async fn ping(socket: &Path) -> bool {
    let exchange = async {
        let mut stream = UnixStream::connect(socket).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).await?;
        Ok::<_, std::io::Error>(reply.starts_with(b"+PONG"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), exchange).await,
        Ok(Ok(true))
    )
}
