//! Two classchat nodes behind one Redis, as a many-node deployment runs them: a private
//! `redis-server` on a Unix socket in the database's temp directory, node A and node B
//! serving the same SQLite file with the same token secret and `--redis-url`. An event
//! published on one node reaches the other's connections through Redis pub/sub only.

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

/// Node A, node B and their Redis; every process is killed on drop (nodes first, the
/// database's directory last).
pub struct TwoNodes {
    /// Node A.
    pub a: Server,
    /// Node B: same database, same secret, same Redis.
    pub b: Server,
    redis: Child,
    _database: Database,
}

impl TwoNodes {
    /// Stops both nodes, then Redis (SIGKILL: nothing to keep).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.b.stop().await?;
        self.a.stop().await?;
        self.redis
            .kill()
            .await
            .context("cannot stop redis-server")?;
        Ok(())
    }
}

/// Seeds a fresh database with `seed`, starts Redis beside it, then node A and node B.
pub async fn start_two(common: &Common, seed: &Seed) -> anyhow::Result<TwoNodes> {
    let database = server::seed_classchat(common, seed).await?;
    let socket = database.dir.path().join("redis.sock");
    let redis = start_redis(database.dir.path(), &socket).await?;
    let url = format!("unix://{}", socket.display());
    let a = database.serve_node(common, Some(&url)).await?;
    let b = database.serve_node(common, Some(&url)).await?;
    Ok(TwoNodes {
        a,
        b,
        redis,
        _database: database,
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
