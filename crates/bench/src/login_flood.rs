//! Scenario `login-flood`: N tasks each sending wrong-password logins back to back for S
//! seconds, while five probes from 127.0.0.1 time what everyone else gets: `/healthz`, a
//! read, a send, the correct login of an account nobody floods from a new device, and
//! that of an account the flood guesses at from the device its owner signed in on before
//! (its device token). Logins are retried after `Retry-After` on 503 `busy` or 429, as the
//! web client retries: the time to success is what a user waits. The same probes run
//! before the flood for a baseline.
//!
//! Two shapes, each on a fresh server: every task from one address (127.0.0.2: what the
//! per-address limit is for), or every task from an address of its own (127.0.x.y: no
//! address limit bites, so the hashing pool is what bounds it). Tasks alternate known
//! accounts (paused after a few failures) and made-up ones (never the same twice). The
//! server's RSS is sampled meanwhile; past `--max-rss-mib` the flood stops early (a
//! binary without limits grows by gigabytes).

use crate::report::{self, Report};
use crate::seed::Seed;
use crate::server::{self, PASSWORD, Server};
use crate::{Common, Target};
use anyhow::{Context, bail};
use clap::ValueEnum;
use hdrhistogram::Histogram;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Seeded pairs `s-<i>`/`t-<i>`: pair 0 is the read and send probes', `t-1` the login
/// probe's, the others are the flood's known accounts.
const PAIRS: usize = 20;
/// The account whose correct login is timed; never flooded.
const LOGIN_PROBE: &str = "t-1";
/// The account whose owner signs in from a known device (its device token, from a
/// sign-in before the baseline); the flood guesses at it like at the others.
const DEVICE_PROBE: &str = "t-2";
/// Pause between two probes of one kind (a login probe hashes, so it waits longer).
const PROBE_PAUSE: Duration = Duration::from_millis(10);
const LOGIN_PAUSE: Duration = Duration::from_millis(100);
/// A login probe still failing after this long gives up (and is counted).
const LOGIN_GIVE_UP: Duration = Duration::from_secs(60);

/// Options of `login-flood`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Parallel wrong-password logins (tasks, each sending the next as soon as the last
    /// is answered).
    #[arg(long, default_value_t = 200)]
    pub tasks: usize,
    /// Seconds the flood lasts.
    #[arg(long, default_value_t = 10.0)]
    pub secs: f64,
    /// Seconds of probes before the flood (the baseline).
    #[arg(long, default_value_t = 5.0)]
    pub baseline_secs: f64,
    /// Seconds after the flood before the server's RSS is read again.
    #[arg(long, default_value_t = 3.0)]
    pub settle_secs: f64,
    /// Where the flood comes from.
    #[arg(long, value_enum, default_value = "both")]
    pub shape: Shapes,
    /// Stop the flood early once the server's RSS passes this many MiB.
    #[arg(long, default_value_t = 12_000)]
    pub max_rss_mib: u64,
}

/// Which shapes to run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shapes {
    /// Every task from 127.0.0.2.
    One,
    /// Each task from an address of its own.
    Many,
    /// One, then many, each on a fresh server.
    Both,
}

/// Runs the scenario.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.common.target != Target::Classchat {
        bail!("login-flood is measured for classchat only");
    }
    if args.tasks > 250 * 254 {
        bail!("at most {} tasks (one loopback address each)", 250 * 254);
    }
    for (shape, spread) in [(Shapes::One, false), (Shapes::Many, true)] {
        if args.shape == shape || args.shape == Shapes::Both {
            run_shape(&args, spread).await?;
        }
    }
    Ok(())
}

/// The source address of flood task `task`.
fn flood_address(task: usize, spread: bool) -> IpAddr {
    if spread {
        // 127.0.1.1 onwards: never 127.0.0.x, where the probes and the other shape are.
        Ipv4Addr::new(127, 0, 1 + (task / 250) as u8, 1 + (task % 250) as u8).into()
    } else {
        Ipv4Addr::new(127, 0, 0, 2).into()
    }
}

/// One shape on a fresh server: baseline, flood, settle, report.
async fn run_shape(args: &Args, spread: bool) -> anyhow::Result<()> {
    let common = &args.common;
    let seed = Seed {
        pairs: PAIRS,
        ..Seed::default()
    };
    let server = server::start_classchat(common, &seed).await?;
    let device = device_token(&server).await?;

    let (stop, stopped) = watch::channel(false);
    let probes = Probes::start(&server, device.as_deref(), stopped)?;
    tokio::time::sleep(Duration::from_secs_f64(args.baseline_secs)).await;
    stop.send_replace(true);
    let baseline = probes.finish().await?;
    let rss_base = server::rss_kib(server.pid)?;

    let (stop, stopped) = watch::channel(false);
    let answers = Arc::new(Answers::default());
    let mut flood = Vec::new();
    for task in 0..args.tasks {
        let http = reqwest::Client::builder()
            .local_address(flood_address(task, spread))
            .build()?;
        let (url, answers, stopped) = (
            format!("{}/auth/login", server.http),
            answers.clone(),
            stopped.clone(),
        );
        flood.push(tokio::spawn(async move {
            guess(task, &http, &url, &answers, stopped).await;
        }));
    }
    let probes = Probes::start(&server, device.as_deref(), stopped)?;
    let started = Instant::now();
    let aborted = watch_memory(&server, args, started).await?;
    stop.send_replace(true);
    let flood_secs = started.elapsed().as_secs_f64();
    for task in flood {
        task.await?;
    }
    let during = probes.finish().await?;
    tokio::time::sleep(Duration::from_secs_f64(args.settle_secs)).await;
    let rss_after = server::rss_kib(server.pid)?;
    let rss_peak = server::peak_rss_kib(server.pid)?;

    let mut report = Report::new("login-flood", "classchat");
    let mib = |kib: u64| kib as f64 / 1024.0;
    let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    report
        .add("shape", if spread { "many" } else { "one" }, "")
        .add("tasks", args.tasks as u64, "")
        .add("flood_secs", flood_secs, "s")
        .add("aborted", aborted, "")
        .add(
            "attempts_per_s",
            answers.total() as f64 / flood_secs.max(0.001),
            "/s",
        )
        .add("answers_200", count(&answers.ok), "")
        .add("answers_401", count(&answers.unauthorized), "")
        .add("answers_429", count(&answers.too_many), "")
        .add("answers_503", count(&answers.busy), "")
        .add("answers_other", count(&answers.other), "")
        .add("errors", count(&answers.errors), "")
        .add("rss_base_mib", mib(rss_base), "MiB")
        .add("rss_peak_mib", mib(rss_peak), "MiB")
        .add("rss_after_mib", mib(rss_after), "MiB")
        .add("login_retries", during.login.retries, "")
        .add("login_gave_up", during.login.gave_up, "")
        .add("login_after_stop", during.login.after_stop, "")
        .add("device_known", device.is_some(), "")
        .add("device_retries", during.device.retries, "")
        .add("device_gave_up", during.device.gave_up, "")
        .add("device_after_stop", during.device.after_stop, "")
        .add("probe_errors", baseline.errors + during.errors, "");
    for (prefix, figures) in [("base", &baseline), ("flood", &during)] {
        report
            .latency(&format!("{prefix}_healthz"), &figures.healthz)
            .latency(&format!("{prefix}_read"), &figures.read)
            .latency(&format!("{prefix}_send"), &figures.send)
            .latency(&format!("{prefix}_login"), &figures.login.times)
            .latency(&format!("{prefix}_device_login"), &figures.device.times);
    }
    report.emit(common)?;
    server.stop().await
}

/// Waits out the flood, sampling the server's RSS; true if it passed `--max-rss-mib` and
/// the flood was cut short.
async fn watch_memory(server: &Server, args: &Args, started: Instant) -> anyhow::Result<bool> {
    let deadline = started + Duration::from_secs_f64(args.secs);
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    while Instant::now() < deadline {
        ticker.tick().await;
        let rss = server::rss_kib(server.pid)?;
        if rss / 1024 > args.max_rss_mib {
            eprintln!(
                "login-flood: server RSS {} MiB passed --max-rss-mib {} after {:.1} s: flood stopped",
                rss / 1024,
                args.max_rss_mib,
                started.elapsed().as_secs_f64()
            );
            return Ok(true);
        }
    }
    Ok(false)
}

/// Counts of the flood's answers.
#[derive(Default)]
struct Answers {
    ok: AtomicU64,
    unauthorized: AtomicU64,
    too_many: AtomicU64,
    busy: AtomicU64,
    other: AtomicU64,
    /// Requests that got no HTTP answer (connection refused or reset).
    errors: AtomicU64,
}

impl Answers {
    fn record(&self, status: u16) {
        let counter = match status {
            200 => &self.ok,
            401 => &self.unauthorized,
            429 => &self.too_many,
            503 => &self.busy,
            _ => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn total(&self) -> u64 {
        [
            &self.ok,
            &self.unauthorized,
            &self.too_many,
            &self.busy,
            &self.other,
        ]
        .iter()
        .map(|counter| counter.load(Ordering::Relaxed))
        .sum()
    }
}

/// One flood task: wrong passwords, alternately for a known account and a made-up one,
/// each sent as soon as the last is answered, until told to stop (an attempt in flight
/// then is abandoned).
async fn guess(
    task: usize,
    http: &reqwest::Client,
    url: &str,
    answers: &Answers,
    mut stopped: watch::Receiver<bool>,
) {
    for n in 0usize.. {
        let user = if n % 2 == 0 {
            // Pairs 2.. : the probes' accounts are never guessed.
            let pair = 2 + (task + n / 2) % (PAIRS - 2);
            format!("{}-{pair}", if n % 4 == 0 { "s" } else { "t" })
        } else {
            format!("nobody-{task}-{n}")
        };
        let body = serde_json::json!({"userId": user, "password": format!("wrong-guess-{n}")});
        let attempt = async {
            let response = http.post(url).json(&body).send().await?;
            let status = response.status().as_u16();
            response.bytes().await?;
            Ok::<_, reqwest::Error>(status)
        };
        tokio::select! {
            () = stop_signal(&mut stopped) => return,
            answer = attempt => match answer {
                Ok(status) => answers.record(status),
                Err(_) => {
                    answers.errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
}

/// What the probes measured, in µs.
struct Figures {
    healthz: Histogram<u64>,
    read: Histogram<u64>,
    send: Histogram<u64>,
    /// The login of an account nobody floods, from a new device.
    login: LoginFigures,
    /// The login of a flooded account from its known device.
    device: LoginFigures,
    /// Probes that failed (another answer than 2xx, or a 401 to the right password).
    errors: u64,
}

/// What one login probe measured.
struct LoginFigures {
    /// Time from the first attempt to the token, retries included.
    times: Histogram<u64>,
    /// 503/429 answers (and refused connections) it waited out.
    retries: u64,
    /// Logins that gave up after [`LOGIN_GIVE_UP`].
    gave_up: u64,
    /// Logins that got through only once the flood had stopped (their time is a lower
    /// bound of what a user would wait while it lasts).
    after_stop: u64,
}

/// What the probes count besides their times.
#[derive(Default)]
struct Counters {
    login: LoginCounters,
    device: LoginCounters,
    errors: AtomicU64,
}

/// What one login probe counts besides its times.
#[derive(Default)]
struct LoginCounters {
    retries: AtomicU64,
    gave_up: AtomicU64,
    after_stop: AtomicU64,
}

impl LoginCounters {
    fn figures(&self, times: Histogram<u64>) -> LoginFigures {
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        LoginFigures {
            times,
            retries: count(&self.retries),
            gave_up: count(&self.gave_up),
            after_stop: count(&self.after_stop),
        }
    }
}

/// Signs [`DEVICE_PROBE`] in once, before any flood: its device token, or `None` from a
/// classchat that has no device tokens (then its probe is a flooded account's login from
/// a new device).
async fn device_token(server: &Server) -> anyhow::Result<Option<String>> {
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/auth/login", server.http))
        .json(&serde_json::json!({"userId": DEVICE_PROBE, "password": PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(reply["deviceToken"].as_str().map(str::to_owned))
}

/// The five probes running from 127.0.0.1 until told to stop.
struct Probes {
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Histogram<u64>>>>,
    counters: Arc<Counters>,
}

impl Probes {
    fn start(
        server: &Server,
        device: Option<&str>,
        stopped: watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .local_address(IpAddr::from(Ipv4Addr::LOCALHOST))
            .build()?;
        let token = server::token(&server.jwt_secret, "s-0", "student")?;
        let counters = Arc::new(Counters::default());
        let healthz = {
            let request = http.get(format!("{}/healthz", server.http));
            let counters = counters.clone();
            repeat(stopped.clone(), PROBE_PAUSE, move || {
                succeeded(request.try_clone(), counters.clone())
            })
        };
        let read = {
            let url = format!(
                "{}/chat/read?conversationId=s-0%2Bt-0&limit=50",
                server.http
            );
            let request = http.get(url).bearer_auth(&token);
            let counters = counters.clone();
            repeat(stopped.clone(), PROBE_PAUSE, move || {
                succeeded(request.try_clone(), counters.clone())
            })
        };
        let send = {
            let (http, url) = (http.clone(), format!("{}/chat/send", server.http));
            let counters = counters.clone();
            repeat(stopped.clone(), PROBE_PAUSE, move || {
                let body = serde_json::json!({
                    "conversationId": "s-0+t-0", "author": "s-0",
                    "messageBody": "a message while the logins flood in",
                    "clientMessageId": ulid::Ulid::new().to_string(),
                });
                let request = http.post(&url).bearer_auth(&token).json(&body);
                succeeded(Some(request), counters.clone())
            })
        };
        let login_probe = |body: serde_json::Value, device: bool| {
            let request = http.post(format!("{}/auth/login", server.http)).json(&body);
            let (counters, flood_over) = (counters.clone(), stopped.clone());
            repeat(stopped.clone(), LOGIN_PAUSE, move || {
                let counters = counters.clone();
                log_in(request.try_clone(), counters, device, flood_over.clone())
            })
        };
        let login = login_probe(
            serde_json::json!({"userId": LOGIN_PROBE, "password": PASSWORD}),
            false,
        );
        let device = login_probe(
            serde_json::json!({"userId": DEVICE_PROBE, "password": PASSWORD, "deviceToken": device}),
            true,
        );
        Ok(Self {
            tasks: vec![healthz, read, send, login, device],
            counters,
        })
    }

    /// Waits for the probes (the one in flight completes) and collects their figures.
    async fn finish(self) -> anyhow::Result<Figures> {
        let mut histograms = Vec::new();
        for task in self.tasks {
            histograms.push(task.await??);
        }
        let mut histograms = histograms.into_iter();
        let mut next = || histograms.next().context("a probe is missing");
        Ok(Figures {
            healthz: next()?,
            read: next()?,
            send: next()?,
            login: self.counters.login.figures(next()?),
            device: self.counters.device.figures(next()?),
            errors: self.counters.errors.load(Ordering::Relaxed),
        })
    }
}

/// Resolves once the stop signal is given (or its sender is gone).
async fn stop_signal(stopped: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; it is dropped here, not held across the
    // caller's awaits.
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Runs `once` every `pause` until told to stop, recording how long each successful run
/// took (a run answers whether it succeeded).
fn repeat<F, Fut>(
    mut stopped: watch::Receiver<bool>,
    pause: Duration,
    mut once: F,
) -> tokio::task::JoinHandle<anyhow::Result<Histogram<u64>>>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    tokio::spawn(async move {
        let mut histogram = report::histogram()?;
        while !*stopped.borrow() {
            let started = Instant::now();
            if once().await {
                histogram.saturating_record((started.elapsed().as_micros() as u64).max(1));
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                () = stop_signal(&mut stopped) => {}
            }
        }
        Ok(histogram)
    })
}

/// Sends a probe's request: whether it got a 2xx answer (its body read); counted as an
/// error if not.
async fn succeeded(request: Option<reqwest::RequestBuilder>, counters: Arc<Counters>) -> bool {
    let ok = match request {
        Some(request) => match request.send().await {
            Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
            Err(_) => false,
        },
        None => false,
    };
    if !ok {
        counters.errors.fetch_add(1, Ordering::Relaxed);
    }
    ok
}

/// A login probe (`device`: the known device's, else [`LOGIN_PROBE`]'s): the correct
/// password until it is accepted, waiting `Retry-After` (1 s if absent) after 503 `busy`
/// or 429, and a second after a refused connection; false if it gave up or got another
/// answer (an error). Counts it when it got through only after `stopped` was given.
async fn log_in(
    request: Option<reqwest::RequestBuilder>,
    all: Arc<Counters>,
    device: bool,
    stopped: watch::Receiver<bool>,
) -> bool {
    let counters = if device { &all.device } else { &all.login };
    let started = Instant::now();
    while let Some(attempt) = request
        .as_ref()
        .and_then(reqwest::RequestBuilder::try_clone)
    {
        if started.elapsed() > LOGIN_GIVE_UP {
            counters.gave_up.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let wait = match attempt.send().await {
            Ok(response) if response.status().is_success() => {
                if *stopped.borrow() {
                    counters.after_stop.fetch_add(1, Ordering::Relaxed);
                }
                return response.bytes().await.is_ok();
            }
            Ok(response) if matches!(response.status().as_u16(), 429 | 503) => response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse().ok())
                .map_or(Duration::from_secs(1), Duration::from_secs),
            Ok(_) => break,
            Err(_) => Duration::from_secs(1),
        };
        counters.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(wait).await;
    }
    all.errors.fetch_add(1, Ordering::Relaxed);
    false
}
