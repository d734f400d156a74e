//! Scenario `send`: K sender/recipient pairs, each sender keeping a window of messages in
//! flight; a message counts only when its ack (= durably stored, for classchat) arrives.
//! Then the same over REST (`POST /chat/send`, 201) for classchat.

use crate::client::{self, Event, source_ip};
use crate::report::Report;
use crate::seed::Seed;
use crate::server::{self, Server};
use crate::{Common, Target};
use anyhow::bail;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Options of `send`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Sender/recipient pairs.
    #[arg(long, default_value_t = 50)]
    pub pairs: usize,
    /// Seconds to send for.
    #[arg(long, default_value_t = 5.0)]
    pub secs: f64,
    /// Unacknowledged messages each sender keeps in flight (WebSocket).
    #[arg(long, default_value_t = 8)]
    pub window: usize,
}

/// Runs the scenario.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let common = &args.common;
    let seed = Seed {
        pairs: args.pairs,
        ..Seed::default()
    };
    let server = match common.target {
        Target::Classchat => server::start_classchat(common, &seed).await?,
        Target::Socketio => server::start_socketio(common).await?,
        Target::Synapse => return crate::synapse::send(&args).await,
    };
    let (acked, delivered, errors, secs) = over_ws(&args, &server).await?;
    let mut report = Report::new("send", common.target.name());
    report
        .add("transport", "websocket", "")
        .add("pairs", args.pairs as u64, "")
        .add("window", args.window as u64, "");
    if common.target == Target::Classchat {
        report.add("synchronous", common.synchronous.as_str(), "");
    }
    report
        .add("acked", acked, "")
        .add("delivered", delivered, "")
        .add("errors", errors, "")
        .add("acked_per_s", acked as f64 / secs, "/s");
    report.emit(common)?;
    if common.target == Target::Classchat {
        let (created, failed, secs) = over_rest(&args, &server).await?;
        let mut report = Report::new("send", "classchat");
        report
            .add("transport", "rest", "")
            .add("pairs", args.pairs as u64, "")
            .add("synchronous", common.synchronous.as_str(), "")
            .add("acked", created, "")
            .add("errors", failed, "")
            .add("acked_per_s", created as f64 / secs, "/s");
        report.emit(common)?;
    }
    server.stop().await
}

/// Auth of a pair member: a token for classchat, the user id (and its room) for socket.io.
pub fn auth(server: &Server, target: Target, user: &str, role: &str) -> anyhow::Result<String> {
    match target {
        Target::Classchat => server::token(&server.jwt_secret, user, role),
        _ => Ok(user.to_string()),
    }
}

/// Connects pair `i`: (sender of `s-i`, recipient receiver of `t-i`), both on `server`.
pub async fn connect_pair(
    server: &Server,
    target: Target,
    i: usize,
) -> anyhow::Result<(client::Sender, client::Receiver, client::Receiver, String)> {
    connect_pair_across(server, server, target, i).await
}

/// Connects pair `i` with the sender `s-i` on `sender_server` and the recipient `t-i` on
/// `recipient_server` (the same server, or two nodes sharing a database and a secret).
pub async fn connect_pair_across(
    sender_server: &Server,
    recipient_server: &Server,
    target: Target,
    i: usize,
) -> anyhow::Result<(client::Sender, client::Receiver, client::Receiver, String)> {
    let conversation = format!("s-{i}+t-{i}");
    let student = auth(sender_server, target, &format!("s-{i}"), "student")?;
    let teacher = auth(recipient_server, target, &format!("t-{i}"), "teacher")?;
    let (tx, rx) = client::connect(target, &sender_server.ws(), &student, "", source_ip(i)).await?;
    let (_, recipient) = client::connect(
        target,
        &recipient_server.ws(),
        &teacher,
        &conversation,
        source_ip(i + 1),
    )
    .await?;
    Ok((tx, rx, recipient, conversation))
}

async fn over_ws(args: &Args, server: &Server) -> anyhow::Result<(u64, u64, u64, f64)> {
    let acked = Arc::new(AtomicU64::new(0));
    let delivered = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut pairs = Vec::new();
    for i in 0..args.pairs {
        pairs.push(connect_pair(server, args.common.target, i).await?);
    }
    // Let presence frames settle before the clock starts.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.secs);
    let mut tasks = Vec::new();
    for (i, (tx, mut rx, mut recipient, conversation)) in pairs.into_iter().enumerate() {
        let delivered = delivered.clone();
        tokio::spawn(async move {
            while let Ok(Some(event)) = recipient.next().await {
                if matches!(event, Event::Message(_)) {
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let (acked, errors, window) = (acked.clone(), errors.clone(), args.window);
        tasks.push(tokio::spawn(async move {
            let mut seq = 0u64;
            for _ in 0..window {
                tx.send(&conversation, "benchmark message", &format!("{i}-{seq}"))?;
                seq += 1;
            }
            let stop = tokio::time::sleep_until(deadline.into());
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    _ = &mut stop => break,
                    event = rx.next() => match event? {
                        Some(Event::Ack) => {
                            acked.fetch_add(1, Ordering::Relaxed);
                            tx.send(&conversation, "benchmark message", &format!("{i}-{seq}"))?;
                            seq += 1;
                        }
                        Some(Event::Error(error)) => {
                            if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                                eprintln!("send: first refusal: {error}");
                            }
                        }
                        Some(_) => {}
                        None => bail!("sender {i} disconnected"),
                    }
                }
            }
            tx.close();
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let acked = acked.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok((
        acked,
        delivered.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        secs,
    ))
}

async fn over_rest(args: &Args, server: &Server) -> anyhow::Result<(u64, u64, f64)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.pairs * 2)
        .build()?;
    let created = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.secs);
    let mut tasks = Vec::new();
    for i in 0..args.pairs {
        let token = server::token(&server.jwt_secret, &format!("s-{i}"), "student")?;
        let url = format!("{}/chat/send", server.http);
        let (http, created, failed) = (http.clone(), created.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let body = serde_json::json!({
                    "conversationId": format!("s-{i}+t-{i}"),
                    "author": format!("s-{i}"),
                    "messageBody": "benchmark message over REST",
                    "clientMessageId": format!("r{i}-{seq}"),
                });
                seq += 1;
                let response = http.post(&url).bearer_auth(&token).json(&body).send().await;
                match response {
                    Ok(r) if r.status().as_u16() == 201 => created.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok((
        created.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        secs,
    ))
}
