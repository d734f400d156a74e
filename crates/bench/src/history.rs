//! Scenario `history`: a store bulk-loaded with C conversations × M messages, then
//! `GET /chat/read` pages (newest page or a random older page) timed while writers send.

use crate::report::{self, Report};
use crate::seed::{self, Seed};
use crate::server::{self, Server};
use crate::{Common, Target};
use anyhow::bail;
use classchat_core::Timestamp;
use rand::Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Options of `history`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Conversations.
    #[arg(long, default_value_t = 1000)]
    conversations: usize,
    /// Messages per conversation.
    #[arg(long, default_value_t = 100)]
    per_conversation: usize,
    /// Seconds to read for.
    #[arg(long, default_value_t = 5.0)]
    secs: f64,
    /// Concurrent readers (closed loop).
    #[arg(long, default_value_t = 8)]
    readers: usize,
    /// Concurrent writers (closed loop, REST sends).
    #[arg(long, default_value_t = 2)]
    writers: usize,
    /// Page size.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

/// Runs the scenario.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let common = &args.common;
    if common.target != Target::Classchat {
        bail!("history is measured for classchat only");
    }
    let seed = Seed {
        history_conversations: args.conversations,
        history_messages: args.per_conversation,
        ..Seed::default()
    };
    let load_started = Instant::now();
    let server = Arc::new(server::start_classchat(common, &seed).await?);
    let load_secs = load_started.elapsed().as_secs_f64();
    let db_bytes = std::fs::metadata(server.dir.path().join("bench.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    let base = seed::history_base(args.per_conversation)?;
    let http = reqwest::Client::new();
    let writes = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.secs);
    let mut writers = Vec::new();
    for w in 0..args.writers {
        let (http, server, writes) = (http.clone(), server.clone(), writes.clone());
        let n = args.conversations;
        writers.push(tokio::spawn(async move {
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let i = rand::thread_rng().gen_range(0..n);
                let (student, _, conversation) = seed::history_conversation(i, n);
                let token = server::token(&server.jwt_secret, &student, "student")?;
                let body = serde_json::json!({
                    "conversationId": conversation, "author": student,
                    "messageBody": "a new message while others read",
                    "clientMessageId": format!("h{w}-{seq}"),
                });
                seq += 1;
                let url = format!("{}/chat/send", server.http);
                let r = http.post(url).bearer_auth(token).json(&body).send().await?;
                if r.status().as_u16() == 201 {
                    writes.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..args.readers {
        let (http, server, args) = (http.clone(), server.clone(), args.clone());
        readers.push(tokio::spawn(async move {
            read_loop(&http, &server, &args, base, deadline).await
        }));
    }
    let mut histogram = report::histogram()?;
    let mut errors = 0u64;
    for reader in readers {
        let (h, e) = reader.await??;
        histogram.add(h)?;
        errors += e;
    }
    for writer in writers {
        writer.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let mut report = Report::new("history", "classchat");
    report
        .add(
            "messages",
            (args.conversations * args.per_conversation) as u64,
            "",
        )
        .add("conversations", args.conversations as u64, "")
        .add("db_mib", db_bytes as f64 / 1_048_576.0, "MiB")
        .add("load_secs", load_secs, "s")
        .add("reads_per_s", histogram.len() as f64 / secs, "/s")
        .add("read_errors", errors, "")
        .add(
            "writes_per_s",
            writes.load(Ordering::Relaxed) as f64 / secs,
            "/s",
        )
        .latency("read", &histogram);
    report.emit(common)?;
    match Arc::try_unwrap(server) {
        Ok(server) => server.stop().await,
        Err(_) => Ok(()),
    }
}

/// One reader: random conversation, newest page or a page before a random history message.
async fn read_loop(
    http: &reqwest::Client,
    server: &Server,
    args: &Args,
    base: i64,
    deadline: Instant,
) -> anyhow::Result<(hdrhistogram::Histogram<u64>, u64)> {
    let mut histogram = report::histogram()?;
    let mut errors = 0u64;
    while Instant::now() < deadline {
        let (i, older, j) = {
            let mut rng = rand::thread_rng();
            let i = rng.gen_range(0..args.conversations);
            (
                i,
                rng.gen_bool(0.5),
                rng.gen_range(0..args.per_conversation.max(1)),
            )
        };
        let (student, _, conversation) = seed::history_conversation(i, args.conversations);
        let token = server::token(&server.jwt_secret, &student, "student")?;
        let mut url = format!(
            "{}/chat/read?conversationId={}&limit={}",
            server.http,
            conversation.replace('+', "%2B"),
            args.limit
        );
        if older {
            let before = Timestamp::from_micros(seed::history_ts(base, j))
                .map(|t| t.to_string())
                .unwrap_or_default();
            url.push_str(&format!("&before={before}"));
        }
        let sent = Instant::now();
        let ok = match http.get(url).bearer_auth(token).send().await {
            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
            _ => false,
        };
        if ok {
            histogram.saturating_record((sent.elapsed().as_micros() as u64).max(1));
        } else {
            errors += 1;
        }
    }
    Ok((histogram, errors))
}
