//! Scenario `latency`: a fixed offered rate R (open loop, round-robin over K pairs) with N
//! idle sockets present; the body carries the send instant, the recipient records
//! sender-send → recipient-receive in an HdrHistogram (µs). Loss = sent − received.
//! With `--nodes N` (classchat, 2 to 8), the idle sockets are spread evenly over the
//! nodes, every sender is on the first node and pair i's recipient on node 1 + i mod
//! (N − 1), so every message crosses Redis pub/sub (see [`crate::nodes`]); the report
//! adds each node's RSS per socket, the connect rate, and Redis's own counters. The
//! senders share a node because the nodes share one SQLite file, which takes writes from
//! one process at a time: spread over the nodes, they would measure SQLite's file lock,
//! not the fan-out (a many-node deployment stores in DynamoDB).
//! With `--graphql` (classchat), each recipient also holds a GraphQL socket subscribed to
//! `messageAdded` of its conversation, and the same messages' latency to it is reported
//! beside `/chat/ws`'s (`graphql_delivery_*`), from the same run.

use crate::client::{self, Event, Receiver};
use crate::nodes::{self, Nodes};
use crate::report::{self, Report};
use crate::seed::Seed;
use crate::send::{auth, connect_pair_across};
use crate::server::{self, Server};
use crate::stages::Stages;
use crate::{Common, Target, idle};
use anyhow::bail;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Options of `latency`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Offered rate, messages per second.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Seconds to send for.
    #[arg(long, default_value_t = 5.0)]
    pub secs: f64,
    /// Sender/recipient pairs the messages are spread over.
    #[arg(long, default_value_t = 100)]
    pub pairs: usize,
    /// Idle sockets held open meanwhile.
    #[arg(long, default_value_t = 1000)]
    pub idle: usize,
    /// Most idle sockets per worker process.
    #[arg(long, default_value_t = 8000)]
    pub per_worker: usize,
    /// classchat nodes: 1, or up to 8 sharing the database and fanning out through a
    /// private redis-server (senders on the first node, recipients on the others).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub nodes: u8,
    /// Also deliver to a GraphQL `messageAdded` subscription of each recipient, and report
    /// its latency beside the `/chat/ws` socket's (classchat only).
    #[arg(long)]
    pub graphql: bool,
}

/// The server(s) under test: one, or several nodes behind Redis.
enum Servers {
    One(Box<Server>),
    Many(Box<Nodes>),
}

impl Servers {
    /// Every node.
    fn all(&self) -> Vec<&Server> {
        match self {
            Servers::One(server) => vec![server],
            Servers::Many(nodes) => nodes.nodes.iter().collect(),
        }
    }

    async fn stop(self) -> anyhow::Result<()> {
        match self {
            Servers::One(server) => server.stop().await,
            Servers::Many(nodes) => nodes.stop().await,
        }
    }
}

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Microseconds since this process's epoch (sender and recipient share the process).
pub fn now_micros() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// Runs the scenario.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let common = &args.common;
    now_micros();
    let seed = Seed {
        idle_users: args.idle,
        pairs: args.pairs,
        ..Seed::default()
    };
    if args.nodes != 1 && common.target != Target::Classchat {
        bail!("--nodes {} is for --target classchat only", args.nodes);
    }
    if args.graphql && common.target != Target::Classchat {
        bail!("--graphql is for --target classchat only");
    }
    let servers = match common.target {
        Target::Classchat if args.nodes > 1 => Servers::Many(Box::new(
            nodes::start(common, &seed, usize::from(args.nodes)).await?,
        )),
        Target::Classchat => Servers::One(Box::new(server::start_classchat(common, &seed).await?)),
        Target::Socketio => Servers::One(Box::new(server::start_socketio(common).await?)),
        Target::Synapse => return crate::synapse::latency(&args).await,
    };
    let all = servers.all();
    let count = all.len();
    let rss_before = all
        .iter()
        .map(|node| server::rss_kib(node.pid))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let connecting = Instant::now();
    let mut held = Vec::new();
    for (k, node) in all.iter().enumerate() {
        let users = k * args.idle / count..(k + 1) * args.idle / count;
        held.push(idle::hold_range(node, common.target, users, args.per_worker).await?);
    }
    let connect_secs = connecting.elapsed().as_secs_f64();
    let opened: u64 = held.iter().map(|h| h.opened).sum();
    let failed: u64 = held.iter().map(|h| h.failed).sum();
    let rss_per_socket: Vec<String> = all
        .iter()
        .zip(&rss_before)
        .zip(&held)
        .map(|((node, before), held)| {
            let after = server::rss_kib(node.pid).unwrap_or(0);
            format!(
                "{:.1}",
                after.saturating_sub(*before) as f64 / held.opened.max(1) as f64
            )
        })
        .collect();
    let mut senders = Vec::new();
    let mut recipients = Vec::new();
    let mut subscribers = Vec::new();
    for i in 0..args.pairs {
        let recipient = if count > 1 { 1 + i % (count - 1) } else { 0 };
        let (sender_node, recipient_node) = (all[0], all[recipient]);
        let (tx, mut rx, recipient, conversation) =
            connect_pair_across(sender_node, recipient_node, common.target, i).await?;
        // Acks are not measured here; drain them.
        tokio::spawn(async move { while let Ok(Some(_)) = rx.next().await {} });
        if args.graphql {
            let token = auth(recipient_node, common.target, &format!("t-{i}"), "teacher")?;
            let source = client::source_ip(i + 2);
            subscribers.push(
                client::subscribe_graphql(&recipient_node.ws(), &token, &conversation, source)
                    .await?,
            );
        }
        senders.push((tx, conversation));
        recipients.push(recipient);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let send_secs = args.secs;
    let collect_until = Instant::now() + Duration::from_secs_f64(send_secs + 3.0);
    let collectors: Vec<_> = recipients
        .into_iter()
        .map(|recipient| collect(recipient, collect_until))
        .collect();
    let graphql_collectors: Vec<_> = subscribers
        .into_iter()
        .map(|subscriber| collect(subscriber, collect_until))
        .collect();
    // Open loop: every millisecond, send what the offered rate owes by now.
    let redis_before = match &servers {
        Servers::Many(nodes) => Some(nodes.redis_stats().await?),
        Servers::One(_) => None,
    };
    let bases: Vec<&str> = servers.all().iter().map(|s| s.http.as_str()).collect();
    let metrics_client = reqwest::Client::new();
    let stages_before = match common.target {
        Target::Classchat => Some(Stages::read(&metrics_client, &bases).await?),
        _ => None,
    };
    let started = Instant::now();
    let mut sent = 0u64;
    let mut next = 0usize;
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while started.elapsed().as_secs_f64() < send_secs {
        ticker.tick().await;
        let owed = (started.elapsed().as_secs_f64() * args.rate) as u64;
        while sent < owed {
            let (tx, conversation) = &senders[next % senders.len()];
            next += 1;
            tx.send(
                conversation,
                &format!("t={}", now_micros()),
                &format!("l-{sent}"),
            )?;
            sent += 1;
        }
    }
    let offered_secs = started.elapsed().as_secs_f64();
    let before = redis_before;
    let histogram = merged(collectors).await?;
    let graphql = merged(graphql_collectors).await?;
    let received = histogram.len();
    let mut report = Report::new("latency", common.target.name());
    report
        .add("rate", args.rate, "/s")
        .add("achieved_rate", sent as f64 / offered_secs, "/s")
        .add("nodes", u64::from(args.nodes), "")
        .add("idle", opened, "")
        .add("idle_failed", failed, "")
        .add("connect_per_s", opened as f64 / connect_secs, "/s")
        .add(
            "rss_per_socket_kib_by_node",
            rss_per_socket.join(" "),
            "KiB",
        )
        .add("pairs", args.pairs as u64, "")
        .add("sent", sent, "")
        .add("lost", sent.saturating_sub(received), "")
        .latency("delivery", &histogram);
    if args.graphql {
        report
            .add("graphql_lost", sent.saturating_sub(graphql.len()), "")
            .latency("graphql_delivery", &graphql)
            .add(
                "graphql_p99_ratio",
                graphql.value_at_quantile(0.99) as f64
                    / histogram.value_at_quantile(0.99).max(1) as f64,
                "",
            );
    }
    if let (Servers::Many(nodes), Some(before)) = (&servers, before) {
        // Redis's own view: with a channel per user, an event is written once, to the
        // node holding its recipient, not to every node.
        let after = nodes.redis_stats().await?;
        let publishes = after.publishes.saturating_sub(before.publishes);
        let bytes = after.output_bytes.saturating_sub(before.output_bytes);
        report
            .add("redis_publishes", publishes, "")
            .add(
                "redis_output_bytes_per_message",
                bytes as f64 / sent.max(1) as f64,
                "B",
            )
            .add("redis_channels", after.channels, "");
    }
    if let Some(before) = stages_before {
        Stages::read(&metrics_client, &bases)
            .await?
            .report_since(&before, &mut report);
    }
    report.emit(common)?;
    drop(held);
    servers.stop().await
}

/// Records, until `until`, the latency of every timed message `receiver` gets.
fn collect(
    mut receiver: Receiver,
    until: Instant,
) -> tokio::task::JoinHandle<anyhow::Result<hdrhistogram::Histogram<u64>>> {
    tokio::spawn(async move {
        let mut histogram = report::histogram()?;
        let deadline = tokio::time::sleep_until(until.into());
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                event = receiver.next() => match event {
                    Ok(Some(Event::Message(body))) => {
                        if let Some(sent) = body.strip_prefix("t=").and_then(|v| v.parse::<u64>().ok()) {
                            histogram.saturating_record(now_micros().saturating_sub(sent).max(1));
                        }
                    }
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
        }
        Ok(histogram)
    })
}

/// The collectors' histograms, merged.
async fn merged(
    collectors: Vec<tokio::task::JoinHandle<anyhow::Result<hdrhistogram::Histogram<u64>>>>,
) -> anyhow::Result<hdrhistogram::Histogram<u64>> {
    let mut histogram = report::histogram()?;
    for collector in collectors {
        histogram.add(collector.await??)?;
    }
    Ok(histogram)
}
