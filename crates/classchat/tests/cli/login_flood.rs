//! A login flood against the real binary: 200 tasks, each from a loopback address of its
//! own (so no per-address limit bites and the hashing pool is what bounds the flood), send
//! wrong passwords for known and made-up accounts back to back. Meanwhile the server's
//! memory stays flat and health, reads and sends stay within a generous multiple of what
//! they took before the flood; once it stops, another account's correct login (retried
//! after `Retry-After` when the server is busy, as the web client does) gets through; and
//! an account's owner on a device that signed in before gets through during the flood.
//! Exact figures on a release build are in BENCHMARKS.md (`classchat-bench login-flood`).

use crate::process::{self, Running};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Parallel wrong-password logins.
const TASKS: usize = 200;
/// How long the flood runs before and while the probes measure.
const WARM_UP: Duration = Duration::from_secs(1);
const MEASURED: Duration = Duration::from_secs(4);
/// The bounds: the server's peak RSS, and how long the correct login may take.
const PEAK_RSS_KIB: u64 = 300 * 1024;
const LOGIN_WITHIN: Duration = Duration::from_secs(10);
/// A probe's median under the flood may be this many times its median before, or this
/// long, whichever is more (a debug build on a shared machine: only a collapse fails).
const SLOWDOWN: u32 = 20;
const FLOOR: Duration = Duration::from_millis(250);
/// The demo's password, and the accounts the flood guesses at (never alice, whose token
/// the probes use, nor mr.okafor, whose correct login is timed).
const PASSWORD: &str = "classchat-demo";
const GUESSED: [&str; 10] = [
    "ben", "chloe", "david", "emma", "farid", "grace", "hiro", "isla", "jonas", "mrs.chen",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_from_many_addresses_keeps_memory_flat_and_everyone_else_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(dir.path());
    let probe = Probe::new(&server.base).await;
    let before = probe.sample(20).await;

    let flood = Flood::start(&server.base, &GUESSED);
    tokio::time::sleep(WARM_UP).await;
    let started = Instant::now();
    let mut during = Latencies::default();
    while started.elapsed() < MEASURED {
        during.add(probe.sample(1).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answers = flood.stop().await;
    let peak = peak_rss_kib(server.pid());
    // The flood is over: the correct login gets through again at once.
    let after = probe.log_in("mr.okafor", None).await.map(|(took, ..)| took);
    eprintln!(
        "login flood: {answers:?}; peak RSS {} MiB; medians before {before:?}, during \
         {during:?}; correct login after the flood took {after:?}",
        peak / 1024,
    );

    assert!(
        answers.busy.load(Ordering::Relaxed) > 0,
        "the flood never filled the hashing queue, so it proves nothing: {answers:?}"
    );
    assert!(
        peak < PEAK_RSS_KIB,
        "peak RSS {peak} KiB, over {PEAK_RSS_KIB} KiB"
    );
    for (what, before, during) in [
        ("/healthz", before.healthz(), during.healthz()),
        ("a read", before.read(), during.read()),
        ("a send", before.send(), during.send()),
    ] {
        let bound = (before * SLOWDOWN).max(FLOOR);
        assert!(
            during < bound,
            "{what}: median {during:?} under the flood, {before:?} before (bound {bound:?})"
        );
    }
    let after = after.expect("the correct login got through after the flood");
    assert!(after < LOGIN_WITHIN, "{after:?} after the flood");
}

/// The account's owner signs in while 200 addresses guess at it and at others, for as long
/// as the flood lasts: their browser signed in before and shows its device token, so
/// strangers' failures have not paused it and it waits in the hashing pool's priority
/// lane, ahead of the flood's guesses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_device_signs_in_during_a_login_flood_on_its_account() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(dir.path());
    let probe = Probe::new(&server.base).await;
    let (_, _, device) = probe
        .log_in("mr.okafor", None)
        .await
        .expect("mr.okafor signs in before the flood");
    let mut targets = GUESSED.to_vec();
    targets.push("mr.okafor");
    let flood = Flood::start(&server.base, &targets);
    tokio::time::sleep(WARM_UP).await;
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(probe.log_in("mr.okafor", Some(&device)).await);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let answers = flood.stop().await;
    let took: Vec<_> = logins
        .iter()
        .map(|login| login.as_ref().map(|(took, ..)| took))
        .collect();
    eprintln!("login flood: {answers:?}; the known device's logins took {took:?}");
    assert!(
        answers.busy.load(Ordering::Relaxed) > 0 && answers.too_many.load(Ordering::Relaxed) > 0,
        "the flood neither filled the hashing queue nor paused an account: {answers:?}"
    );
    for login in logins {
        let (took, _, _) = login.expect("the known device never got through");
        assert!(took < LOGIN_WITHIN, "the known device took {took:?}");
    }
}

/// `classchat demo` in `dir`, sends unlimited (the probes send more than a user would),
/// its log in `dir/demo.log` (every refused login is a line).
fn demo(dir: &Path) -> Running {
    let db = dir.join("demo.db");
    let mut command = process::classchat();
    command.args(["demo", "--db", db.to_str().unwrap()]).args([
        "--addr",
        "127.0.0.1:0",
        "--send-rate",
        "0",
    ]);
    Running::start_logging(&mut command, &dir.join("demo.log"))
}

/// The flood's tasks.
struct Flood {
    stop: Arc<AtomicBool>,
    answers: Arc<Answers>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Flood {
    /// Starts [`TASKS`] tasks guessing at `targets` (and made-up accounts) on `base`.
    fn start(base: &str, targets: &[&str]) -> Flood {
        let targets: Arc<[String]> = targets.iter().map(|&user| user.to_owned()).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let answers = Arc::new(Answers::default());
        let tasks = (0..TASKS)
            .map(|task| {
                let (base, stop, answers) = (base.to_owned(), stop.clone(), answers.clone());
                let targets = targets.clone();
                tokio::spawn(async move { guess(task, &base, &targets, &stop, &answers).await })
            })
            .collect();
        Flood {
            stop,
            answers,
            tasks,
        }
    }

    /// Stops every task (each finishes its attempt in flight) and counts the answers.
    async fn stop(self) -> Arc<Answers> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        self.answers
    }
}

/// How the flood was answered.
#[derive(Debug, Default)]
struct Answers {
    unauthorized: AtomicU64,
    too_many: AtomicU64,
    busy: AtomicU64,
    other: AtomicU64,
}

/// One flood task: wrong passwords from 127.0.1.<task> (127.0.2.x past 250), alternately
/// for one of `targets` and a made-up account, until told to stop.
async fn guess(task: usize, base: &str, targets: &[String], stop: &AtomicBool, answers: &Answers) {
    let address = Ipv4Addr::new(127, 0, 1 + (task / 250) as u8, 1 + (task % 250) as u8);
    let http = reqwest::Client::builder()
        .local_address(IpAddr::from(address))
        .build()
        .unwrap();
    let url = format!("{base}/auth/login");
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let user = if n % 2 == 1 {
            format!("nobody-{task}-{n}")
        } else {
            targets[(task + n / 2) % targets.len()].clone()
        };
        n += 1;
        let body = json!({"userId": user, "password": format!("wrong-guess-{n}")});
        let counter = match http.post(&url).json(&body).send().await {
            Ok(response) => match response.status().as_u16() {
                401 => &answers.unauthorized,
                429 => &answers.too_many,
                503 => &answers.busy,
                _ => &answers.other,
            },
            Err(_) => &answers.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Requests from 127.0.0.1, the address of nobody in the flood.
struct Probe {
    http: reqwest::Client,
    base: String,
    /// alice's token, for her conversation with ms.rivera.
    token: String,
}

/// Times of `/healthz`, a read and a send.
#[derive(Default)]
struct Latencies {
    healthz: Vec<Duration>,
    read: Vec<Duration>,
    send: Vec<Duration>,
}

impl std::fmt::Debug for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "healthz {:?}, read {:?}, send {:?}",
            self.healthz(),
            self.read(),
            self.send()
        )
    }
}

impl Latencies {
    fn add(&mut self, other: Latencies) {
        self.healthz.extend(other.healthz);
        self.read.extend(other.read);
        self.send.extend(other.send);
    }

    fn healthz(&self) -> Duration {
        median(&self.healthz)
    }

    fn read(&self) -> Duration {
        median(&self.read)
    }

    fn send(&self) -> Duration {
        median(&self.send)
    }
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

impl Probe {
    async fn new(base: &str) -> Probe {
        let http = reqwest::Client::builder()
            .local_address(IpAddr::from(Ipv4Addr::LOCALHOST))
            .build()
            .unwrap();
        let mut probe = Probe {
            http,
            base: base.to_owned(),
            token: String::new(),
        };
        let (_, token, _) = probe.log_in("alice", None).await.expect("alice signs in");
        probe.token = token;
        probe
    }

    /// Signs `user` in with the right password (showing `device`'s token, if given),
    /// retrying after `Retry-After` while the server answers 503 `busy`: how long it took,
    /// the token and the device token, or `None` past [`LOGIN_WITHIN`] twice over.
    async fn log_in(&self, user: &str, device: Option<&str>) -> Option<(Duration, String, String)> {
        let started = Instant::now();
        while started.elapsed() < 2 * LOGIN_WITHIN {
            let response = self
                .http
                .post(format!("{}/auth/login", self.base))
                .json(&json!({"userId": user, "password": PASSWORD, "deviceToken": device}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok()?.parse().ok())
                .map(Duration::from_secs);
            let body: Value = response.json().await.unwrap();
            match (status, wait) {
                (200, _) => {
                    let token = body["token"].as_str().unwrap().to_owned();
                    let device = body["deviceToken"].as_str().unwrap().to_owned();
                    return Some((started.elapsed(), token, device));
                }
                (503, Some(wait)) => {
                    assert_eq!(body["error"]["code"], "busy", "{body}");
                    tokio::time::sleep(wait).await;
                }
                _ => panic!("{user}'s correct login got {status}: {body}"),
            }
        }
        None
    }

    /// `times` rounds of `/healthz`, a page of alice's conversation, and a message from
    /// her, each timed.
    async fn sample(&self, times: usize) -> Latencies {
        let mut latencies = Latencies::default();
        for _ in 0..times {
            let health = self.http.get(format!("{}/healthz", self.base));
            latencies.healthz.push(self.timed(health, 200).await);
            let read = self
                .http
                .get(format!(
                    "{}/chat/read?conversationId=alice%2Bms.rivera",
                    self.base
                ))
                .bearer_auth(&self.token);
            latencies.read.push(self.timed(read, 200).await);
            let send = self
                .http
                .post(format!("{}/chat/send", self.base))
                .bearer_auth(&self.token)
                .json(&json!({
                    "conversationId": "alice+ms.rivera",
                    "author": "alice",
                    "messageBody": "still there?",
                }));
            latencies.send.push(self.timed(send, 201).await);
        }
        latencies
    }

    async fn timed(&self, request: reqwest::RequestBuilder, expected: u16) -> Duration {
        let started = Instant::now();
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        let took = started.elapsed();
        assert_eq!(status, expected, "{body}");
        took
    }
}

/// The most the process has been resident (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("a VmHWM line")
}
