//! `registry`: the live registry on its own, in this process, with no sockets and no
//! store: publishing tasks deliver message events to recipients whose queues are drained
//! by a task each (as a socket's writer drains it, minus the write), among idle
//! registered connections. It isolates what the registry's sharding changes: how long a
//! delivery waits for the registry, and how long an event takes from publish to the
//! recipient's writer, at a fixed offered rate or as fast as the publishers can go.

use crate::Common;
use crate::report::{self, Report};
use classchat_core::message::MessageBody;
use classchat_core::{ConversationId, Event, Message, MessageId, Timestamp, UserId};
use classchat_live::{LiveEvent, Outbound, Registry, WireFormat};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Options of `registry`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Registry shards.
    #[arg(long, default_value_t = 16)]
    pub shards: usize,
    /// Idle connections registered meanwhile (they receive nothing).
    #[arg(long, default_value_t = 10_000)]
    pub idle: usize,
    /// Recipients, one connection each, drained by a task each.
    #[arg(long, default_value_t = 1_000)]
    pub recipients: usize,
    /// Publishing tasks.
    #[arg(long, default_value_t = 4)]
    pub publishers: usize,
    /// Offered deliveries per second over all publishers; 0 for as fast as they can.
    #[arg(long, default_value_t = 10_000.0)]
    pub rate: f64,
    /// Seconds to publish for.
    #[arg(long, default_value_t = 5.0)]
    pub secs: f64,
}

/// A stand-in wire format: the drainers encode each event as a socket's writer would.
struct Debugged;

impl WireFormat for Debugged {
    type Frame = Arc<str>;
    fn encode(event: &Event) -> Arc<str> {
        format!("{event:?}").into()
    }
}

/// Runs the scenario and reports it.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let registry = Arc::new(Registry::with_shards(args.shards));
    let mut idle = Vec::with_capacity(args.idle);
    for n in 0..args.idle {
        let user = UserId::parse(&format!("idle{n}"))?;
        idle.extend(registry.register(&user, 256, 10, Timestamp::MIN));
    }
    let latencies = Arc::new(std::sync::Mutex::new(report::histogram()?));
    let drained = Arc::new(AtomicU64::new(0));
    let mut recipients = Vec::with_capacity(args.recipients);
    let mut drainers = Vec::with_capacity(args.recipients);
    for n in 0..args.recipients.max(1) {
        let user = UserId::parse(&format!("t{n}"))?;
        let Some(mut registration) = registry.register(&user, 256, 10, Timestamp::MIN) else {
            anyhow::bail!("cannot register {user}");
        };
        recipients.push((
            ConversationId::new(UserId::parse(&format!("s{n}"))?, user.clone()),
            user,
        ));
        let latencies = Arc::clone(&latencies);
        let drained = Arc::clone(&drained);
        drainers.push(tokio::spawn(async move {
            let mut local = report::histogram().ok();
            while let Some(item) = registration.outbound.recv().await {
                if let Outbound::Event(event) = item {
                    std::hint::black_box(event.encoded::<Debugged>());
                    if let (Event::Message(message), Some(local)) = (event.event(), local.as_mut())
                    {
                        let waited = now_micros().saturating_sub(message.timestamp.as_micros());
                        let _ = local.record(u64::try_from(waited).unwrap_or(0).max(1));
                    }
                    drained.fetch_add(1, Ordering::Relaxed);
                }
            }
            if let (Ok(mut all), Some(local)) = (latencies.lock(), local) {
                let _ = all.add(&local);
            }
        }));
    }
    let recipients = Arc::new(recipients);

    let publishers = args.publishers.max(1);
    let per_publisher = args.rate / publishers as f64;
    let duration = Duration::from_secs_f64(args.secs);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(publishers);
    for index in 0..publishers {
        let registry = Arc::clone(&registry);
        let recipients = Arc::clone(&recipients);
        tasks.push(tokio::spawn(async move {
            publish(&registry, &recipients, index, per_publisher, duration).await
        }));
    }
    let mut deliver_ns = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let mut published = 0u64;
    for task in tasks {
        let (count, histogram) = task.await??;
        published += count;
        deliver_ns.add(&histogram)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    // Let the drainers finish what is queued, then stop them.
    let deadline = Instant::now() + Duration::from_secs(5);
    while drained.load(Ordering::Relaxed) < published && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for (_, user) in recipients.iter() {
        registry.revoke(user, classchat_core::Revocation::SignedOut);
    }
    drop(registry);
    drop(idle);
    for drainer in drainers {
        drainer.abort();
        let _ = drainer.await;
    }
    let waited = latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("latency histogram poisoned"))?
        .clone();

    let mut report = Report::new("registry", "classchat");
    report
        .add("shards", args.shards, "")
        .add("idle", args.idle, "")
        .add("recipients", args.recipients, "")
        .add("publishers", publishers, "")
        .add("rate", args.rate, "/s")
        .add("delivered_per_s", published as f64 / elapsed, "/s")
        .add("deliver_p50_ns", deliver_ns.value_at_quantile(0.5), "ns")
        .add("deliver_p99_ns", deliver_ns.value_at_quantile(0.99), "ns")
        .add("deliver_max_ns", deliver_ns.max(), "ns")
        .latency("queued", &waited)
        .add(
            "lost",
            published.saturating_sub(drained.load(Ordering::Relaxed)),
            "",
        )
        .add("loadavg", report::loadavg(), "");
    report.emit(&args.common)
}

/// One publisher: `rate` deliveries a second (or as many as it can, for 0), spread over
/// the recipients, for `duration`. How many it made, and how long each call took (ns).
async fn publish(
    registry: &Registry,
    recipients: &[(ConversationId, UserId)],
    index: usize,
    rate: f64,
    duration: Duration,
) -> anyhow::Result<(u64, hdrhistogram::Histogram<u64>)> {
    let mut histogram = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let body = MessageBody::parse("a message of about the length people write in a chat")?;
    let started = Instant::now();
    let mut sent = 0u64;
    let mut next = index;
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    while started.elapsed() < duration {
        let due = if rate > 0.0 {
            ticks.tick().await;
            (started.elapsed().as_secs_f64() * rate) as u64
        } else {
            tokio::task::yield_now().await;
            sent + 64
        };
        while sent < due {
            let (conversation, user) = &recipients[next % recipients.len()];
            next = next.wrapping_add(7919);
            let message = Message {
                conversation_id: conversation.clone(),
                timestamp: Timestamp::from_micros(now_micros()).unwrap_or(Timestamp::MIN),
                author: conversation.member().clone(),
                body: body.clone(),
                message_id: MessageId::generate(),
                client_message_id: None,
                announcement_id: None,
                edited_at: None,
                removed_at: None,
            };
            let event = LiveEvent::new(Event::Message(message));
            let call = Instant::now();
            registry.deliver_to(std::slice::from_ref(user), None, &event);
            let took = u64::try_from(call.elapsed().as_nanos()).unwrap_or(u64::MAX);
            let _ = histogram.record(took.max(1));
            sent += 1;
        }
    }
    Ok((sent, histogram))
}

/// Microseconds since the Unix epoch.
fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
        })
}
