//! Starting and stopping the servers under test: classchat on a fresh temp database
//! (seeded straight into SQLite, see [`crate::seed`]) and the socket.io peer.

use crate::Common;
use crate::seed::Seed;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The password of every seeded user.
pub const PASSWORD: &str = "classchat-bench-password";

/// A running server process; killed on drop.
pub struct Server {
    /// Base URL, `http://127.0.0.1:<port>`.
    pub http: String,
    /// Process id, for /proc/<pid>/status.
    pub pid: u32,
    /// HS256 secret of classchat's tokens (empty for peers).
    pub jwt_secret: String,
    child: Child,
    /// Keeps the temp directory (database, logs) alive as long as the server.
    pub dir: tempfile::TempDir,
}

impl Server {
    /// The WebSocket URL base, `ws://127.0.0.1:<port>`.
    pub fn ws(&self) -> String {
        self.http.replacen("http://", "ws://", 1)
    }

    /// Stops the server (SIGKILL: nothing to keep) and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await.context("cannot stop the server")?;
        Ok(())
    }
}

/// Starts classchat on a fresh database holding `seed`.
pub async fn start_classchat(common: &Common, seed: &Seed) -> anyhow::Result<Server> {
    let database = seed_classchat(common, seed).await?;
    database.serve(common, None).await
}

/// A seeded classchat database and the token secret its nodes share, before any node
/// serves it: one node serves it alone, or several share it (see [`crate::nodes`]).
pub struct Database {
    /// The temp directory of the database (and of the first node's log).
    pub dir: tempfile::TempDir,
    /// The SQLite file.
    pub db: PathBuf,
    /// The classchat binary, absolute.
    bin: PathBuf,
    /// HS256 secret passed to every node as `--jwt-secret`.
    jwt_secret: String,
    /// More `classchat serve` flags, for the one scenario that needs them (`roster` lifts
    /// the announcement limit): flags rather than environment variables, so a binary
    /// without them fails loudly instead of measuring its defaults.
    pub extra_args: Vec<String>,
}

/// Creates a fresh database holding `seed` in a new temp directory.
pub async fn seed_classchat(common: &Common, seed: &Seed) -> anyhow::Result<Database> {
    let dir = tempfile::Builder::new()
        .prefix("classchat-bench-")
        .tempdir()?;
    let db = dir.path().join("bench.db");
    let bin = absolute(&common.classchat_bin)?;
    // One user through the CLI (this also creates and migrates the database), whose
    // argon2 hash the bulk loader copies to every other user.
    let mut add = Command::new(&bin)
        .args(["user", "add", "--id", "bench-admin", "--role", "admin"])
        .args(["--name", "Bench Admin", "--password-stdin", "--db"])
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if let Some(mut stdin) = add.stdin.take() {
        stdin.write_all(PASSWORD.as_bytes()).await?;
    }
    if !add.wait().await?.success() {
        bail!("`classchat user add` failed");
    }
    let db_for_seed = db.clone();
    let seed = seed.clone();
    tokio::task::spawn_blocking(move || seed.load(&db_for_seed)).await??;
    Ok(Database {
        dir,
        db,
        bin,
        jwt_secret: format!("bench-secret-{}", ulid::Ulid::new()),
        extra_args: Vec::new(),
    })
}

impl Database {
    /// Runs `classchat serve` on this database (fanning out through `redis_url` if set);
    /// the returned server owns the temp directory.
    pub async fn serve(self, common: &Common, redis_url: Option<&str>) -> anyhow::Result<Server> {
        let (child, http, pid) = self
            .spawn(common, redis_url, &self.dir.path().join("server.log"))
            .await?;
        Ok(Server {
            http,
            pid,
            jwt_secret: self.jwt_secret,
            child,
            dir: self.dir,
        })
    }

    /// Runs one of several `classchat serve` nodes on this database, all with the same
    /// secret; its log goes to a temp directory of its own. The database must outlive it.
    pub async fn serve_node(
        &self,
        common: &Common,
        redis_url: Option<&str>,
    ) -> anyhow::Result<Server> {
        let dir = tempfile::Builder::new()
            .prefix("classchat-bench-node-")
            .tempdir()?;
        let (child, http, pid) = self
            .spawn(common, redis_url, &dir.path().join("server.log"))
            .await?;
        Ok(Server {
            http,
            pid,
            jwt_secret: self.jwt_secret.clone(),
            child,
            dir,
        })
    }

    async fn spawn(
        &self,
        common: &Common,
        redis_url: Option<&str>,
        log: &Path,
    ) -> anyhow::Result<(Child, String, u32)> {
        let log = std::fs::File::create(log)?;
        let mut command = Command::new(&self.bin);
        command
            .arg("serve")
            .arg("--db")
            .arg(&self.db)
            .args(["--addr", "127.0.0.1:0", "--send-rate", "0"])
            .args(["--sqlite-synchronous", &common.synchronous])
            .args(["--jwt-secret", &self.jwt_secret])
            .args(&self.extra_args)
            .env_remove("CLASSCHAT_REDIS_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true);
        if let Some(url) = redis_url {
            command.args(["--redis-url", url]);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let http = wait_for_line(&mut child, "classchat listening on ").await?;
        let pid = child.id().context("server exited")?;
        Ok((child, http, pid))
    }
}

/// Starts the socket.io relay (`node server.js`).
pub async fn start_socketio(common: &Common) -> anyhow::Result<Server> {
    let dir = tempfile::Builder::new()
        .prefix("socketio-bench-")
        .tempdir()?;
    let peer = absolute(&common.socketio_dir)?;
    if !peer.join("node_modules/socket.io").exists() {
        bail!(
            "socket.io is not installed in {} (run npm ci there)",
            peer.display()
        );
    }
    let log = std::fs::File::create(dir.path().join("server.log"))?;
    let mut child = Command::new("node")
        .arg(peer.join("server.js"))
        .current_dir(&peer)
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .context("cannot start node")?;
    let http = wait_for_line(&mut child, "socketio listening on ").await?;
    let pid = child.id().context("socket.io exited")?;
    Ok(Server {
        http,
        pid,
        jwt_secret: String::new(),
        child,
        dir,
    })
}

/// Reads the child's stdout until a line starting with `prefix`; returns the rest.
/// The rest of stdout is drained in the background so the child never blocks on it.
async fn wait_for_line(child: &mut Child, prefix: &str) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix(prefix) {
                return Ok::<_, anyhow::Error>(Some(rest.trim().to_string()));
            }
        }
        Ok(None)
    })
    .await
    .context("the server did not report its address within 60 s")??;
    let url = found.context("the server exited before listening")?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(url)
}

/// `path` made absolute against the current directory.
pub fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    })
}

/// Resident set size of a process in KiB (VmRSS of /proc/<pid>/status).
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    status_kib(pid, "VmRSS:")
}

/// The most a process has been resident since it started, in KiB (VmHWM of
/// /proc/<pid>/status): a peak that sampling could miss.
pub fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    status_kib(pid, "VmHWM:")
}

/// A `<field> <n> kB` line of /proc/<pid>/status.
fn status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// Mints a classchat token for `user` (the claims `crates/server/src/auth.rs` verifies).
pub fn token(secret: &str, user: &str, role: &str) -> anyhow::Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let claims = serde_json::json!({"sub": user, "role": role, "iat": now, "exp": now + 86_400});
    Ok(jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
