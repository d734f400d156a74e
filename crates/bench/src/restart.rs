//! Scenario `redis-restart`: targeted recovery, measured. `--nodes` classchat nodes behind
//! one private redis-server hold `--idle` sockets and `--pairs` sender/recipient pairs
//! (senders on the first node, recipient i on node 1 + i mod (N − 1), so every message
//! crosses Redis). Messages flow at `--rate`; after `--before-secs` Redis is killed
//! (SIGKILL, as a crash), stays down `--down-secs`, and comes back empty; messages flow on
//! for `--after-secs`.
//!
//! A pair's socket that the server closes reconnects at once, as the web client does, and
//! a recipient then sends `sync` from a second before the last message it got (it keeps
//! what it already has). Idle sockets do not reconnect: the worker
//! processes count how many were closed.
//!
//! Reported: idle sockets closed, pair sockets reconnected, messages acked and lost (acked
//! but never received, live or by sync), duplicates (what syncs replayed that had arrived), the delivery latency of every message and of
//! those sent once Redis was back, and `whole_after`: from Redis's return until the last
//! message acked before it had been received. A message acked and never received fails
//! the run.

use crate::client::{self, Event, Receiver, Sender};
use crate::latency::now_micros;
use crate::nodes;
use crate::report::{self, Report};
use crate::seed::Seed;
use crate::send::auth;
use crate::server::Server;
use crate::{Common, Target, idle};
use anyhow::bail;
use classchat_core::{Clock, SystemClock, Timestamp};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Options of `redis-restart`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Offered rate, messages per second.
    #[arg(long, default_value_t = 2000.0)]
    pub rate: f64,
    /// Sender/recipient pairs the messages are spread over.
    #[arg(long, default_value_t = 200)]
    pub pairs: usize,
    /// Idle sockets held open meanwhile, spread over the nodes.
    #[arg(long, default_value_t = 10000)]
    pub idle: usize,
    /// Most idle sockets per worker process.
    #[arg(long, default_value_t = 8000)]
    pub per_worker: usize,
    /// classchat nodes (2 to 8).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(2..=8))]
    pub nodes: u8,
    /// Seconds of traffic before Redis is killed.
    #[arg(long, default_value_t = 5.0)]
    pub before_secs: f64,
    /// Seconds Redis stays down.
    #[arg(long, default_value_t = 2.0)]
    pub down_secs: f64,
    /// Seconds of traffic once Redis is back.
    #[arg(long, default_value_t = 10.0)]
    pub after_secs: f64,
}

/// Where a run's pairs write what they saw.
#[derive(Default)]
struct Tally {
    /// Message numbers the server acknowledged.
    acked: Mutex<HashSet<u64>>,
    /// Reconnects of the senders' and the recipients' sockets.
    sender_reconnects: AtomicU64,
    recipient_reconnects: AtomicU64,
    /// Sends refused with an error frame.
    errors: AtomicU64,
    /// When each message number first reached its recipient (µs, [`now_micros`]).
    received: Mutex<HashMap<u64, u64>>,
    /// Messages that reached their recipient again (a sync replaying what it had).
    duplicates: AtomicU64,
    /// When the server closed each recipient's socket (µs, [`now_micros`]).
    closed_at: Mutex<Vec<u64>>,
}

/// Runs the scenario.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let common = &args.common;
    if common.target != Target::Classchat {
        bail!("redis-restart is for --target classchat only");
    }
    now_micros();
    let seed = Seed {
        idle_users: args.idle,
        pairs: args.pairs,
        ..Seed::default()
    };
    let count = usize::from(args.nodes);
    let mut nodes = nodes::start(common, &seed, count).await?;
    let mut held = Vec::new();
    for (k, node) in nodes.nodes.iter().enumerate() {
        let users = k * args.idle / count..(k + 1) * args.idle / count;
        held.push(idle::hold_range(node, common.target, users, args.per_worker).await?);
    }
    let idle_open: u64 = held.iter().map(|h| h.opened).sum();
    let tally = Arc::new(Tally::default());
    let total = args.before_secs + args.down_secs + args.after_secs;
    let (stop, stopping) = watch::channel(false);
    let mut queues = Vec::new();
    let mut senders = Vec::new();
    let mut recipients = Vec::new();
    for i in 0..args.pairs {
        let (from, to) = (&nodes.nodes[0], &nodes.nodes[1 + i % (count - 1)]);
        let (tx, queue) = mpsc::unbounded_channel();
        queues.push(tx);
        senders.push(tokio::spawn(sender(
            Peer::new(from, "s", i)?,
            queue,
            Arc::clone(&tally),
        )));
        recipients.push(tokio::spawn(recipient(
            Peer::new(to, "t", i)?,
            stopping.clone(),
            Arc::clone(&tally),
        )));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Open loop at the offered rate; Redis is restarted from its own task meanwhile.
    let down = Duration::from_secs_f64(args.down_secs);
    let kill_after = Duration::from_secs_f64(args.before_secs);
    let started = Instant::now();
    let restart = tokio::spawn(async move {
        tokio::time::sleep(kill_after).await;
        let killed = Instant::now();
        let back = nodes.restart_redis(down).await;
        (nodes, killed, back)
    });
    let mut sent_at: Vec<u64> = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while started.elapsed().as_secs_f64() < total {
        ticker.tick().await;
        let owed = (started.elapsed().as_secs_f64() * args.rate) as u64;
        while (sent_at.len() as u64) < owed {
            let n = sent_at.len() as u64;
            sent_at.push(now_micros());
            let _ = queues[n as usize % queues.len()].send(n);
        }
    }
    drop(queues);
    let (nodes, killed, back) = restart.await?;
    let back = back?;
    let down_measured = back.duration_since(killed);
    let back_micros = now_micros().saturating_sub(back.elapsed().as_micros() as u64);
    for sender in senders {
        sender.await?;
    }
    // Until everything acked has arrived, or for at most 20 s more.
    let waiting = Instant::now();
    let acked = std::mem::take(&mut *tally.acked.lock().map_err(|_| poisoned())?);
    while waiting.elapsed() < Duration::from_secs(20) {
        let whole = {
            let received = tally.received.lock().map_err(|_| poisoned())?;
            acked.iter().all(|n| received.contains_key(n))
        };
        if whole {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    for recipient in recipients {
        recipient.await?;
    }
    let received = std::mem::take(&mut *tally.received.lock().map_err(|_| poisoned())?);
    let mut all = report::histogram()?;
    let mut after = report::histogram()?;
    let (mut lost, mut whole_after) = (0u64, 0u64);
    for &n in &acked {
        let sent = sent_at[n as usize];
        match received.get(&n) {
            None => lost += 1,
            Some(&at) => {
                let latency = at.saturating_sub(sent).max(1);
                all.saturating_record(latency);
                if sent >= back_micros {
                    after.saturating_record(latency);
                } else {
                    whole_after = whole_after.max(at.saturating_sub(back_micros));
                }
            }
        }
    }
    // How long after Redis was back the server closed the recipients it closed.
    let mut closes = report::histogram()?;
    for &at in tally.closed_at.lock().map_err(|_| poisoned())?.iter() {
        closes.saturating_record(at.saturating_sub(back_micros).max(1));
    }
    let mut idle_closed = 0;
    for h in &mut held {
        idle_closed += h.closed().await?;
    }
    let mut report = Report::new("redis-restart", common.target.name());
    report
        .add("nodes", u64::from(args.nodes), "")
        .add("idle", idle_open, "")
        .add("idle_closed", idle_closed, "")
        .add("pairs", args.pairs as u64, "")
        .add(
            "sender_reconnects",
            tally.sender_reconnects.load(Ordering::Relaxed),
            "",
        )
        .add(
            "recipient_reconnects",
            tally.recipient_reconnects.load(Ordering::Relaxed),
            "",
        )
        .add("redis_down_ms", down_measured.as_millis() as u64, "ms")
        .add("rate", args.rate, "/s")
        .add("sent", sent_at.len() as u64, "")
        .add("acked", acked.len() as u64, "")
        .add("send_errors", tally.errors.load(Ordering::Relaxed), "")
        .add("lost", lost, "")
        .add("duplicates", tally.duplicates.load(Ordering::Relaxed), "")
        .add("whole_after_ms", whole_after / 1000, "ms")
        .latency("closed_after_back", &closes)
        .latency("delivery", &all)
        .latency("after_restart", &after);
    report.emit(common)?;
    drop(held);
    nodes.stop().await?;
    if lost > 0 {
        bail!("{lost} acknowledged messages never reached their recipient");
    }
    Ok(())
}

fn poisoned() -> anyhow::Error {
    anyhow::anyhow!("a pair's task panicked")
}

/// One end of a pair: whom to connect as, where.
struct Peer {
    url: String,
    token: String,
    conversation: String,
    source: std::net::Ipv4Addr,
}

impl Peer {
    /// `s-i` (a student, sending) or `t-i` (a teacher, receiving) on `server`.
    fn new(server: &Server, side: &str, i: usize) -> anyhow::Result<Self> {
        let role = if side == "s" { "student" } else { "teacher" };
        Ok(Self {
            url: server.ws(),
            token: auth(server, Target::Classchat, &format!("{side}-{i}"), role)?,
            conversation: format!("s-{i}+t-{i}"),
            source: client::source_ip(i + usize::from(side == "t")),
        })
    }

    /// Connects, retrying every 100 ms (a node may be busy recovering).
    async fn connect(&self) -> (Sender, Receiver) {
        loop {
            let attempt =
                client::connect(Target::Classchat, &self.url, &self.token, "", self.source);
            if let Ok(Ok(pair)) = tokio::time::timeout(Duration::from_secs(10), attempt).await {
                return pair;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A sender: sends the numbers it is given, records which the server acked (acks come in
/// the order of the sends), and reconnects when its socket is closed. What was sent but not
/// acked on a closed socket is not owed.
async fn sender(peer: Peer, mut queue: mpsc::UnboundedReceiver<u64>, tally: Arc<Tally>) {
    let (mut tx, mut rx) = peer.connect().await;
    let mut pending = VecDeque::new();
    loop {
        tokio::select! {
            next = queue.recv() => match next {
                None => break,
                Some(n) => {
                    let body = format!("t={} n={n}", now_micros());
                    if tx.send(&peer.conversation, &body, &format!("r-{n}")).is_ok() {
                        pending.push_back(n);
                    }
                }
            },
            event = rx.next() => if !answered(event, &mut pending, &tally) {
                pending.clear();
                tally.sender_reconnects.fetch_add(1, Ordering::Relaxed);
                (tx, rx) = peer.connect().await;
            },
        }
    }
    // The last acks.
    let deadline = tokio::time::sleep(Duration::from_secs(5));
    tokio::pin!(deadline);
    while !pending.is_empty() {
        tokio::select! {
            _ = &mut deadline => break,
            event = rx.next() => if !answered(event, &mut pending, &tally) {
                break;
            },
        }
    }
    tx.close();
}

/// Takes one event of a sender's socket: an ack or an error answers the oldest pending
/// send (acks come in the order of the sends). False once the socket is closed.
fn answered(
    event: anyhow::Result<Option<Event>>,
    pending: &mut VecDeque<u64>,
    tally: &Tally,
) -> bool {
    match event {
        Ok(Some(Event::Ack)) => {
            if let (Some(n), Ok(mut acked)) = (pending.pop_front(), tally.acked.lock()) {
                acked.insert(n);
            }
            true
        }
        Ok(Some(Event::Error(_))) => {
            pending.pop_front();
            tally.errors.fetch_add(1, Ordering::Relaxed);
            true
        }
        Ok(Some(_)) => true,
        _ => false,
    }
}

/// A recipient: records in the tally when each message number first arrived, until told
/// to stop; reconnects and syncs when its socket is closed.
async fn recipient(peer: Peer, mut stopping: watch::Receiver<bool>, tally: Arc<Tally>) {
    let (mut tx, mut rx) = peer.connect().await;
    // When the last message arrived: a reconnect syncs from a second before it (the
    // server stamps messages with the same machine's clock).
    let mut last_seen = SystemClock.now();
    loop {
        tokio::select! {
            _ = stopping.changed() => break,
            event = rx.next() => match event {
                Ok(Some(Event::Message(body))) => {
                    if let (Some(n), Ok(mut received)) = (number(&body), tally.received.lock()) {
                        match received.entry(n) {
                            Entry::Occupied(_) => {
                                tally.duplicates.fetch_add(1, Ordering::Relaxed);
                            }
                            Entry::Vacant(slot) => {
                                slot.insert(now_micros());
                            }
                        }
                    }
                    last_seen = SystemClock.now();
                }
                Ok(Some(_)) => {}
                _ => {
                    tally.recipient_reconnects.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut closed_at) = tally.closed_at.lock() {
                        closed_at.push(now_micros());
                    }
                    // From the newest message it holds (less a second for the clocks), or
                    // from where the server says events were missed, if that is earlier.
                    let newest = last_seen.plus_micros(-1_000_000);
                    let since = rx
                        .close_reason()
                        .and_then(since_in)
                        .map_or(newest, |told| told.min(newest));
                    (tx, rx) = peer.connect().await;
                    let _ = tx.sync(&since.to_string());
                }
            },
        }
    }
    tx.close();
}

/// The time a close reason says events were missed since (`… since <timestamp>; …`).
fn since_in(reason: &str) -> Option<Timestamp> {
    let (_, rest) = reason.split_once(" since ")?;
    Timestamp::parse(rest.split(';').next()?).ok()
}

/// The message number in a body `t=<µs> n=<number>`.
fn number(body: &str) -> Option<u64> {
    body.split_whitespace()
        .find_map(|part| part.strip_prefix("n="))
        .and_then(|n| n.parse().ok())
}
