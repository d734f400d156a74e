//! Scenario `latency`: a fixed offered rate R (open loop, round-robin over K pairs) with N
//! idle sockets present; the body carries the send instant, the recipient records
//! sender-send → recipient-receive in an HdrHistogram (µs). Loss = sent − received.

use crate::client::Event;
use crate::report::{self, Report};
use crate::seed::Seed;
use crate::send::connect_pair;
use crate::server;
use crate::{Common, Target, idle};
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
    let server = match common.target {
        Target::Classchat => server::start_classchat(common, &seed).await?,
        Target::Socketio => server::start_socketio(common).await?,
        Target::Synapse => return crate::synapse::latency(&args).await,
    };
    let held = idle::hold(&server, common.target, args.idle, args.per_worker).await?;
    let mut senders = Vec::new();
    let mut recipients = Vec::new();
    for i in 0..args.pairs {
        let (tx, mut rx, recipient, conversation) = connect_pair(&server, common.target, i).await?;
        // Acks are not measured here; drain them.
        tokio::spawn(async move { while let Ok(Some(_)) = rx.next().await {} });
        senders.push((tx, conversation));
        recipients.push(recipient);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let send_secs = args.secs;
    let collect_until = Instant::now() + Duration::from_secs_f64(send_secs + 3.0);
    let mut collectors = Vec::new();
    for mut recipient in recipients {
        collectors.push(tokio::spawn(async move {
            let mut histogram = report::histogram()?;
            let deadline = tokio::time::sleep_until(collect_until.into());
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    _ = &mut deadline => break,
                    event = recipient.next() => match event {
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
            Ok::<_, anyhow::Error>(histogram)
        }));
    }
    // Open loop: every millisecond, send what the offered rate owes by now.
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
    let mut histogram = report::histogram()?;
    for collector in collectors {
        histogram.add(collector.await??)?;
    }
    let received = histogram.len();
    let mut report = Report::new("latency", common.target.name());
    report
        .add("rate", args.rate, "/s")
        .add("achieved_rate", sent as f64 / offered_secs, "/s")
        .add("idle", held.opened, "")
        .add("pairs", args.pairs as u64, "")
        .add("sent", sent, "")
        .add("lost", sent.saturating_sub(received), "")
        .latency("delivery", &histogram);
    report.emit(common)?;
    drop(held);
    server.stop().await
}
