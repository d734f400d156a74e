//! `send` and `latency` against Synapse, over the Matrix client-server API: one private
//! room per pair, `PUT /rooms/{room}/send/m.room.message/{txn}` (200 once persisted) and a
//! `/sync` long-poll per recipient.

use crate::latency::{self as lat, now_micros};
use crate::report::{self, Report};
use crate::send;
use crate::synapse::{self, MatrixUser, Synapse};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const API: &str = "/_matrix/client/v3";
const FILTER: &str = r#"{"presence":{"types":[]},"account_data":{"types":[]},"room":{"timeline":{"limit":1000},"state":{"types":[]},"ephemeral":{"types":[]}}}"#;

/// A pair: the sender, the recipient, their room.
struct Pair {
    sender: MatrixUser,
    recipient: MatrixUser,
    room: String,
}

async fn pairs(synapse: &Synapse, http: &reqwest::Client, n: usize) -> anyhow::Result<Vec<Pair>> {
    let mut pairs = Vec::new();
    for i in 0..n {
        let sender = synapse.register(http, &format!("s{i}")).await?;
        let recipient = synapse.register(http, &format!("t{i}")).await?;
        let created: Value = ok_json(
            http.post(format!("{}{API}/createRoom", synapse.http))
                .bearer_auth(&sender.token)
                .json(&json!({"preset": "private_chat", "invite": [recipient.user_id]})),
        )
        .await?;
        let room = created["room_id"]
            .as_str()
            .context("no room_id")?
            .to_string();
        ok_json(
            http.post(format!("{}{API}/join/{}", synapse.http, enc(&room)))
                .bearer_auth(&recipient.token)
                .json(&json!({})),
        )
        .await?;
        pairs.push(Pair {
            sender,
            recipient,
            room,
        });
    }
    Ok(pairs)
}

async fn ok_json(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let response = request.send().await?;
    let status = response.status();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("synapse answered {status}: {value}");
    }
    Ok(value)
}

fn enc(raw: &str) -> String {
    raw.replace('!', "%21").replace(':', "%3A")
}

/// Sends one text message; true on 200.
async fn put_message(
    http: &reqwest::Client,
    base: &str,
    pair: &Pair,
    txn: &str,
    body: &str,
) -> bool {
    let url = format!(
        "{base}{API}/rooms/{}/send/m.room.message/{txn}",
        enc(&pair.room)
    );
    let request = http
        .put(url)
        .bearer_auth(&pair.sender.token)
        .json(&json!({"msgtype": "m.text", "body": body}));
    matches!(request.send().await, Ok(r) if r.status().is_success())
}

/// Durable send throughput on Synapse: `pairs × window` closed-loop senders.
pub async fn send(args: &send::Args) -> anyhow::Result<()> {
    let synapse = synapse::start(&args.common).await?;
    let http = reqwest::Client::new();
    let pairs = Arc::new(pairs(&synapse, &http, args.pairs).await?);
    let (acked, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.secs);
    let mut tasks = Vec::new();
    for p in 0..pairs.len() {
        for w in 0..args.window {
            let (http, pairs, base) = (http.clone(), pairs.clone(), synapse.http.clone());
            let (acked, failed) = (acked.clone(), failed.clone());
            tasks.push(tokio::spawn(async move {
                let mut seq = 0u64;
                while Instant::now() < deadline {
                    let txn = format!("w{w}-{seq}");
                    seq += 1;
                    if put_message(&http, &base, &pairs[p], &txn, "benchmark message").await {
                        acked.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
    }
    for task in tasks {
        task.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let acked = acked.load(Ordering::Relaxed);
    let rss = crate::server::rss_kib(synapse.pid).unwrap_or(0);
    Report::new("send", "synapse")
        .add("server_rss_kib", rss, "KiB")
        .add("transport", "http", "")
        .add("pairs", args.pairs as u64, "")
        .add("window", args.window as u64, "")
        .add("acked", acked, "")
        .add("errors", failed.load(Ordering::Relaxed), "")
        .add("acked_per_s", acked as f64 / secs, "/s")
        .emit(&args.common)
}

/// Delivery latency on Synapse: open-loop sends at the offered rate, `/sync` receivers.
pub async fn latency(args: &lat::Args) -> anyhow::Result<()> {
    now_micros();
    let synapse = synapse::start(&args.common).await?;
    let http = reqwest::Client::new();
    let pairs = Arc::new(pairs(&synapse, &http, args.pairs).await?);
    let collect_until = Instant::now() + Duration::from_secs_f64(args.secs + 5.0);
    let mut collectors = Vec::new();
    for p in 0..pairs.len() {
        let (http, pairs, base) = (http.clone(), pairs.clone(), synapse.http.clone());
        collectors.push(tokio::spawn(async move {
            sync_loop(&http, &base, &pairs[p].recipient.token, collect_until).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let (mut sent, mut next) = (0u64, 0usize);
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while started.elapsed().as_secs_f64() < args.secs {
        ticker.tick().await;
        let owed = (started.elapsed().as_secs_f64() * args.rate) as u64;
        while sent < owed {
            let (http, pairs, base) = (http.clone(), pairs.clone(), synapse.http.clone());
            let p = next % pairs.len();
            next += 1;
            let txn = format!("l-{sent}");
            tokio::spawn(async move {
                let body = format!("t={}", now_micros());
                put_message(&http, &base, &pairs[p], &txn, &body).await
            });
            sent += 1;
        }
    }
    let offered_secs = started.elapsed().as_secs_f64();
    let mut histogram = report::histogram()?;
    for collector in collectors {
        histogram.add(collector.await??)?;
    }
    let received = histogram.len();
    Report::new("latency", "synapse")
        .add("rate", args.rate, "/s")
        .add("achieved_rate", sent as f64 / offered_secs, "/s")
        .add("nodes", 1u64, "")
        .add("idle", 0u64, "")
        .add("pairs", args.pairs as u64, "")
        .add("sent", sent, "")
        .add("lost", sent.saturating_sub(received), "")
        .latency("delivery", &histogram)
        .emit(&args.common)
}

/// Long-polls `/sync` until `until`, recording the latency of every `t=<µs>` message.
async fn sync_loop(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    until: Instant,
) -> anyhow::Result<hdrhistogram::Histogram<u64>> {
    let mut histogram = report::histogram()?;
    let url = format!("{base}{API}/sync");
    let first: Value = ok_json(
        http.get(&url)
            .bearer_auth(token)
            .query(&[("timeout", "0"), ("filter", FILTER)]),
    )
    .await?;
    let mut since = first["next_batch"].as_str().unwrap_or_default().to_string();
    while Instant::now() < until {
        let request = http.get(&url).bearer_auth(token).query(&[
            ("timeout", "2000"),
            ("filter", FILTER),
            ("since", since.as_str()),
        ]);
        let Ok(value) = ok_json(request).await else {
            continue;
        };
        let received = now_micros();
        if let Some(rooms) = value["rooms"]["join"].as_object() {
            for room in rooms.values() {
                for event in room["timeline"]["events"].as_array().into_iter().flatten() {
                    let body = event["content"]["body"].as_str().unwrap_or_default();
                    if let Some(sent) = body.strip_prefix("t=").and_then(|v| v.parse::<u64>().ok())
                    {
                        histogram.saturating_record(received.saturating_sub(sent).max(1));
                    }
                }
            }
        }
        since = value["next_batch"].as_str().unwrap_or(&since).to_string();
    }
    Ok(histogram)
}
