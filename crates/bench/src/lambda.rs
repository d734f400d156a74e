//! Scenario `lambda` (issue 19): the REST and WebSocket functions' real binaries under the
//! Lambda Runtime API emulator (`classchat_lambda::testing`), on the DynamoDB emulator
//! (fresh tables, the signing secret in its Secrets Manager) with a loopback Management
//! API. Per binary: its size; cold starts (the init duration, then the first invocation,
//! and the peak RSS of each); then warm invocations, timed from the event handed out to
//! the response posted, as Lambda bills them. moto takes milliseconds per request, so the
//! routes that touch DynamoDB mostly measure moto; `GET /healthz` and a `$connect` without
//! a token touch nothing and isolate the binary's own cost.

use crate::Common;
use crate::report::{self, Report};
use anyhow::{Context, bail};
use classchat_core::service::{Actor, NewUser};
use classchat_core::{ChatService, SystemClock};
use classchat_lambda::testing::{
    FunctionSpec, ManagementSink, RuntimeEmulator, WS_CONNECT, WS_DISCONNECT, create_secret,
    http_event, ws_event,
};
use classchat_store_dynamodb::DynamoStore;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// Options of `lambda`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// The REST function's binary (`scripts/build-lambda` builds it).
    #[arg(long, default_value = "build/lambda/classchat-http/bootstrap")]
    pub http_bin: PathBuf,
    /// The WebSocket function's binary.
    #[arg(long, default_value = "build/lambda/classchat-ws/bootstrap")]
    pub ws_bin: PathBuf,
    /// The DynamoDB emulator (moto, which also serves Secrets Manager).
    #[arg(long, env = "CLASSCHAT_TEST_DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: String,
    /// Cold starts per binary.
    #[arg(long, default_value_t = 10)]
    pub cold_starts: usize,
    /// Warm invocations of each kind (reads, sends, connects, …).
    #[arg(long, default_value_t = 200)]
    pub invocations: usize,
}

const REGION: &str = "us-east-1";
const PASSWORD: &str = "bench-password-1";
const TEACHER: &str = "t1";
/// Sends per student: under the per-user burst (30), so no send is rate limited.
const SENDS_PER_STUDENT: usize = 25;

/// Runs the scenario and reports each binary.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let students = args.invocations.div_ceil(SENDS_PER_STUDENT).max(1);
    let world = World::set_up(&args, students).await?;
    let http_size = size(&args.http_bin)?;
    let ws_size = size(&args.ws_bin)?;

    let mut http_report = Report::new("lambda", "classchat-http");
    http_report.add("size_bytes", http_size, "B");
    let healthz = http_event("GET", "/healthz", None, None)?;
    cold_starts(
        &args,
        &world,
        &args.http_bin,
        "classchat-http",
        &healthz,
        &mut http_report,
    )
    .await?;
    let mut ws_report = Report::new("lambda", "classchat-ws");
    ws_report.add("size_bytes", ws_size, "B");
    let anonymous = ws_event(WS_CONNECT, "bench-anonymous", None)?;
    cold_starts(
        &args,
        &world,
        &args.ws_bin,
        "classchat-ws",
        &anonymous,
        &mut ws_report,
    )
    .await?;

    // Warm: both functions at once, the teacher's socket open so every send is delivered.
    let rest = world.start(&args.http_bin, "classchat-http").await?;
    let socket = world.start(&args.ws_bin, "classchat-ws").await?;
    let teacher = login(&rest, TEACHER).await?;
    let mut tokens = Vec::with_capacity(students);
    for n in 1..=students {
        tokens.push(login(&rest, &format!("s{n}")).await?);
    }
    expect(
        &socket,
        &ws_event(WS_CONNECT, "bench-teacher", Some(&teacher))?,
        200,
    )
    .await?;

    let mut nodb = report::histogram()?;
    let mut sends = report::histogram()?;
    let mut reads = report::histogram()?;
    for _ in 0..args.invocations {
        record(&mut nodb, expect(&rest, &healthz, 200).await?)?;
    }
    for n in 0..args.invocations {
        let student = n / SENDS_PER_STUDENT + 1;
        let body = json!({"conversationId": format!("s{student}+{TEACHER}"),
            "author": format!("s{student}"), "messageBody": format!("bench {n}")});
        let token = tokens.get(student - 1).context("a student's token")?;
        let event = http_event("POST", "/chat/send", Some(token), Some(&body.to_string()))?;
        record(&mut sends, expect(&rest, &event, 201).await?)?;
    }
    let read = http_event(
        "GET",
        "/chat/read?conversationId=s1%2Bt1&limit=50",
        Some(&teacher),
        None,
    )?;
    for _ in 0..args.invocations {
        record(&mut reads, expect(&rest, &read, 200).await?)?;
    }
    let delivered = world.sink.posts_to("bench-teacher");

    let mut anonymous_connects = report::histogram()?;
    let mut connects = report::histogram()?;
    let mut disconnects = report::histogram()?;
    for _ in 0..args.invocations {
        record(
            &mut anonymous_connects,
            expect(&socket, &anonymous, 401).await?,
        )?;
    }
    let student = tokens.first().context("a student's token")?;
    for n in 0..args.invocations {
        let connection = format!("bench-{n}");
        let connect = ws_event(WS_CONNECT, &connection, Some(student))?;
        record(&mut connects, expect(&socket, &connect, 200).await?)?;
        let disconnect = ws_event(WS_DISCONNECT, &connection, None)?;
        record(&mut disconnects, expect(&socket, &disconnect, 200).await?)?;
    }

    let rest = rest.stop().await?;
    http_report
        .add("warm_peak_rss_kib", rest.peak_rss_bytes / 1024, "KiB")
        .latency("warm_healthz", &nodb)
        .latency("warm_send", &sends)
        .latency("warm_read", &reads)
        .add("delivered", delivered, "");
    http_report.emit(&args.common)?;
    let socket = socket.stop().await?;
    ws_report
        .add("warm_peak_rss_kib", socket.peak_rss_bytes / 1024, "KiB")
        .latency("warm_connect_no_token", &anonymous_connects)
        .latency("warm_connect", &connects)
        .latency("warm_disconnect", &disconnects);
    ws_report.emit(&args.common)
}

/// The emulators' side of the run: fresh tables with the users, the secret, the sink.
struct World {
    env: Vec<(String, String)>,
    sink: ManagementSink,
}

impl World {
    /// Tables under a fresh prefix with a teacher and `students` students linked to them,
    /// the signing secret in the emulator's Secrets Manager, the Management API sink.
    async fn set_up(args: &Args, students: usize) -> anyhow::Result<Self> {
        let endpoint = args.dynamodb_endpoint.trim_end_matches('/').to_owned();
        let prefix = classchat_store_dynamodb::testing::fresh_prefix();
        let store = DynamoStore::connect(&classchat_store_dynamodb::testing::config(
            &endpoint, &prefix,
        ))
        .await?;
        store
            .create_tables()
            .await
            .with_context(|| format!("create the tables on {endpoint}"))?;
        let service = ChatService::new(Arc::new(store), Arc::new(SystemClock));
        let mut users = vec![(TEACHER.to_owned(), "teacher")];
        users.extend((1..=students).map(|n| (format!("s{n}"), "student")));
        for (user_id, role) in &users {
            let new = NewUser {
                user_id,
                display_name: user_id,
                role,
                password: PASSWORD,
            };
            service.create_user(Actor::Operator, new).await?;
            if *role == "student" {
                service.add_link(Actor::Operator, TEACHER, user_id).await?;
            }
        }
        let secret = format!("{}{}", ulid::Ulid::new(), ulid::Ulid::new());
        let name = format!("classchat-bench-{prefix}");
        let arn = create_secret(&endpoint, REGION, &name, &secret).await?;
        let sink = ManagementSink::start().await?;
        let env = [
            ("CLASSCHAT_JWT_SECRET_ARN", arn),
            ("CLASSCHAT_DYNAMODB_ENDPOINT", endpoint.clone()),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint),
            ("CLASSCHAT_TABLE_PREFIX", prefix),
            ("CLASSCHAT_WS_ENDPOINT", sink.url().to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ];
        Ok(Self {
            env: env.map(|(k, v)| (k.to_owned(), v)).into(),
            sink,
        })
    }

    /// A cold start of `bin`.
    async fn start(&self, bin: &std::path::Path, name: &str) -> anyhow::Result<RuntimeEmulator> {
        let mut spec = FunctionSpec::new(bin, name);
        spec.region = REGION.to_owned();
        spec.env.clone_from(&self.env);
        Ok(RuntimeEmulator::start(spec).await?)
    }
}

/// `cold_starts` cold starts of `bin`, each answering `first` once: the init duration, the
/// first invocation's, and the largest peak RSS.
async fn cold_starts(
    args: &Args,
    world: &World,
    bin: &std::path::Path,
    name: &str,
    first: &Value,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut init = report::histogram()?;
    let mut first_invoke = report::histogram()?;
    let mut peak_rss = 0;
    for _ in 0..args.cold_starts.max(1) {
        let function = world.start(bin, name).await?;
        record(&mut init, function.init_duration())?;
        let invocation = function.call(first).await?;
        invocation
            .outcome
            .with_context(|| format!("the first invocation of {name}"))?;
        record(&mut first_invoke, invocation.duration)?;
        peak_rss = peak_rss.max(function.stop().await?.peak_rss_bytes);
    }
    report
        .latency("init", &init)
        .latency("first_invoke", &first_invoke)
        .add("cold_peak_rss_kib", peak_rss / 1024, "KiB");
    Ok(())
}

/// Invokes `function` with `event`, which must answer `status`: how long it took.
async fn expect(
    function: &RuntimeEmulator,
    event: &Value,
    status: i64,
) -> anyhow::Result<std::time::Duration> {
    let invocation = function.call(event).await?;
    let body = invocation.outcome?;
    let response: Value = serde_json::from_slice(&body)?;
    if response["statusCode"].as_i64() != Some(status) {
        bail!(
            "expected {status}, got {response}\n--- the function's output ---\n{}",
            function.logs()
        );
    }
    Ok(invocation.duration)
}

async fn login(function: &RuntimeEmulator, user: &str) -> anyhow::Result<String> {
    let body = json!({"userId": user, "password": PASSWORD}).to_string();
    let event = http_event("POST", "/auth/login", None, Some(&body))?;
    let response = function.invoke(&event).await?;
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or_default())
        .with_context(|| format!("the login of {user}: {response}"))?;
    body["token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("the login of {user}: {body}"))
}

fn record(histogram: &mut Histogram<u64>, took: std::time::Duration) -> anyhow::Result<()> {
    histogram.record((took.as_micros() as u64).max(1))?;
    Ok(())
}

fn size(bin: &std::path::Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(bin)
        .with_context(|| format!("{} (build it with scripts/build-lambda)", bin.display()))?
        .len())
}
