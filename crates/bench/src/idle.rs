//! Scenario `idle`: N authenticated sockets held open, spread over several loopback source
//! addresses and several worker processes (the open-file limit is per process); reports the
//! server's RSS per connection and the connect rate.

use crate::client::{self, source_ip};
use crate::report::Report;
use crate::seed::Seed;
use crate::server::{self, Server};
use crate::{Common, Target};
use anyhow::{Context, bail};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

/// Options of `idle`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Sockets to open.
    #[arg(long, default_value_t = 1000)]
    n: usize,
    /// Most sockets one worker process holds (its open-file limit is 20,000).
    #[arg(long, default_value_t = 8000)]
    per_worker: usize,
    /// Seconds to hold the sockets before measuring RSS.
    #[arg(long, default_value_t = 2)]
    hold_secs: u64,
}

/// Options of the hidden `worker` command.
#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    #[arg(long, value_enum)]
    target: Target,
    /// `ws://127.0.0.1:<port>`.
    #[arg(long)]
    url: String,
    /// First user index (`idle-<i>`).
    #[arg(long)]
    from: usize,
    /// One past the last user index.
    #[arg(long)]
    to: usize,
    /// Connections in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
}

/// Runs the scenario.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let common = &args.common;
    let seed = Seed {
        idle_users: args.n,
        ..Seed::default()
    };
    let server = match common.target {
        Target::Classchat => server::start_classchat(common, &seed).await?,
        Target::Socketio => server::start_socketio(common).await?,
        Target::Synapse => bail!("idle is measured for classchat and socket.io only"),
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server::rss_kib(server.pid)?;
    let started = Instant::now();
    let held = hold(&server, common.target, args.n, args.per_worker).await?;
    let (opened, failed, first_error) = (held.opened, held.failed, held.first_error.clone());
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(args.hold_secs)).await;
    let after = server::rss_kib(server.pid)?;
    let alive = std::path::Path::new(&format!("/proc/{}", server.pid)).exists();
    let fds = std::fs::read_dir(format!("/proc/{}/fd", server.pid))
        .map(|d| d.count())
        .unwrap_or(0);
    report(
        &args,
        &server,
        opened,
        failed,
        &first_error,
        connect_secs,
        before,
        after,
    )
    .add("server_alive", alive, "")
    .add("server_fds", fds as u64, "")
    .add("server_log", log_tail(&server), "")
    .emit(common)?;
    drop(held);
    server.stop().await
}

/// The size and last line of the server's log (its stderr, at `warn`, in the temp dir).
fn log_tail(server: &Server) -> String {
    let log = std::fs::read_to_string(server.dir.path().join("server.log")).unwrap_or_default();
    let last: String = log
        .lines()
        .last()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    format!("{} lines; last: {last}", log.lines().count())
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &Args,
    _server: &Server,
    opened: u64,
    failed: u64,
    first_error: &str,
    connect_secs: f64,
    before: u64,
    after: u64,
) -> Report {
    let mut report = Report::new("idle", args.common.target.name());
    let per_conn = if opened > 0 {
        (after.saturating_sub(before)) as f64 / opened as f64
    } else {
        0.0
    };
    report
        .add("requested", args.n as u64, "")
        .add("opened", opened, "")
        .add("failed", failed, "")
        .add("connect_per_s", opened as f64 / connect_secs, "/s")
        .add("rss_before_kib", before, "KiB")
        .add("rss_after_kib", after, "KiB")
        .add("rss_per_conn_kib", per_conn, "KiB");
    if !first_error.is_empty() {
        report.add("first_error", first_error, "");
    }
    report
}

/// Idle sockets held by worker processes; closed when dropped.
pub struct Held {
    /// Sockets open.
    pub opened: u64,
    /// Sockets that failed to open.
    pub failed: u64,
    /// The first failure, if any.
    pub first_error: String,
    /// Each worker's stdin (a line asks for its count of closed sockets) and stdout.
    control: Vec<(ChildStdin, Lines<BufReader<ChildStdout>>)>,
    _children: Vec<tokio::process::Child>,
}

impl Held {
    /// How many of the held sockets the server has closed so far, over all workers.
    pub async fn closed(&mut self) -> anyhow::Result<u64> {
        let mut closed = 0;
        for (stdin, stdout) in &mut self.control {
            stdin.write_all(b"closed\n").await?;
            let line = stdout.next_line().await?.context("a worker exited early")?;
            closed += line
                .strip_prefix("closed ")
                .and_then(|count| count.parse::<u64>().ok())
                .with_context(|| format!("a worker answered {line:?}"))?;
        }
        Ok(closed)
    }
}

/// Opens `n` idle sockets (`idle-<i>`) through worker processes of at most `per_worker`
/// sockets each, and returns once all are open (or failed).
pub async fn hold(
    server: &Server,
    target: Target,
    n: usize,
    per_worker: usize,
) -> anyhow::Result<Held> {
    hold_range(server, target, 0..n, per_worker).await
}

/// Opens the idle sockets of users `users` (numbered as [`hold`] numbers them) to
/// `server`: several nodes each hold their own share of one school's idle users.
pub async fn hold_range(
    server: &Server,
    target: Target,
    users: std::ops::Range<usize>,
    per_worker: usize,
) -> anyhow::Result<Held> {
    let n = users.len();
    let workers = n.div_ceil(per_worker.max(1)).max(1);
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    let mut readers = Vec::new();
    for w in 0..workers {
        let from = users.start + w * n / workers;
        let to = users.start + (w + 1) * n / workers;
        let mut child = Command::new(&exe)
            .args(["worker", "--target", target.name(), "--url"])
            .arg(server.ws())
            .args(["--from", &from.to_string(), "--to", &to.to_string()])
            .env("CLASSCHAT_BENCH_SECRET", &server.jwt_secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start a worker")?;
        let stdout = child.stdout.take().context("worker stdout")?;
        let stdin = child.stdin.take().context("worker stdin")?;
        readers.push((stdin, BufReader::new(stdout).lines()));
        children.push(child);
    }
    let (mut opened, mut failed, mut first_error) = (0u64, 0u64, String::new());
    for (_, lines) in &mut readers {
        let line = lines.next_line().await?.context("a worker exited early")?;
        let mut parts = line.splitn(4, ' ');
        let _ready = parts.next();
        opened += parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        failed += parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        if first_error.is_empty() {
            first_error = parts.next().unwrap_or_default().to_string();
        }
    }
    Ok(Held {
        opened,
        failed,
        first_error,
        control: readers,
        _children: children,
    })
}

/// The worker: opens its share, prints `ready <opened> <failed> <first error>`, holds the
/// sockets until its stdin closes, and answers each line of its stdin with `closed <n>`:
/// how many of its sockets the server has closed.
pub async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    let secret = std::env::var("CLASSCHAT_BENCH_SECRET").unwrap_or_default();
    let limit = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let closed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in args.from..args.to {
        let (limit, url, secret) = (limit.clone(), args.url.clone(), secret.clone());
        let closed = closed.clone();
        let target = args.target;
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let user = format!("idle-{i}");
            let auth = match target {
                Target::Classchat => server::token(&secret, &user, "student")?,
                _ => user,
            };
            let connect = client::connect(target, &url, &auth, "", source_ip(i));
            let (sender, receiver) = tokio::time::timeout(Duration::from_secs(15), connect)
                .await
                .map_err(|_| anyhow::anyhow!("no WebSocket handshake within 15 s"))
                .and_then(|r| r)
                .with_context(|| format!("socket {i}"))?;
            tokio::spawn(async move {
                client::drain(receiver).await;
                closed.fetch_add(1, Ordering::Relaxed);
            });
            Ok::<_, anyhow::Error>(sender)
        }));
    }
    let (mut held, mut failed, mut first_error) = (Vec::new(), 0u64, String::new());
    for task in tasks {
        match task.await? {
            Ok(sender) => held.push(sender),
            Err(error) => {
                failed += 1;
                if first_error.is_empty() {
                    first_error = format!("{error:#}").replace('\n', " ");
                }
            }
        }
    }
    println!("ready {} {failed} {first_error}", held.len());
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(_)) = stdin.next_line().await {
        println!("closed {}", closed.load(Ordering::Relaxed));
    }
    for sender in &held {
        sender.close();
    }
    Ok(())
}
