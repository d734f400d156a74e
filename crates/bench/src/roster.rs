//! Scenario `roster` (issue 15): a generated district (`--users`, `--enrolments`, classes
//! of `--class-size` students) imported with `classchat roster import` — a dry run on an
//! empty database, the import, the same import again — each as a child process timed
//! with its peak RSS; then the same three through `POST /admin/roster` on a server, with
//! the server's RSS; then, on that server, a teacher's class announcements to one class
//! whose students all listen on `/chat/ws`: the POST's latency and the time until the
//! last student has its copy.

use crate::client::{self, Event};
use crate::latency::now_micros;
use crate::report::{self, Report};
use crate::seed::Seed;
use crate::server::{self, Server};
use crate::{Common, Target};
use anyhow::{Context, bail};
use classchat_roster::testing::{SchoolSpec, generate, to_zip};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::process::Command;

/// Options of `roster`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Accounts in the district: one admin, 4.8 % teachers, the rest students.
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Enrolments (each class's teacher and its students), rounded to whole classes.
    #[arg(long, default_value_t = 50_000)]
    pub enrolments: usize,
    /// Students in every class (the announcement goes to one class of this size).
    #[arg(long, default_value_t = 35)]
    pub class_size: usize,
    /// Announcements, one at a time, each waiting for the previous one's 201.
    #[arg(long, default_value_t = 200)]
    pub announcements: usize,
    /// How long to wait for the last copies after the last 201, in seconds.
    #[arg(long, default_value_t = 5.0)]
    pub settle_secs: f64,
}

/// Schools of the generated district (the generator's default).
const SCHOOLS: usize = 3;

/// The district `args` asks for: classes all of `class_size` students, so that the class
/// announced to has exactly that many, and as many classes as the enrolments need.
fn district(args: &Args) -> anyhow::Result<SchoolSpec> {
    let teachers = ((args.users as f64 * 0.048).round() as usize).max(SCHOOLS);
    let Some(students) = args.users.checked_sub(1 + teachers) else {
        bail!("--users {} leaves no students", args.users);
    };
    if students / SCHOOLS < args.class_size {
        bail!(
            "{students} students over {SCHOOLS} schools cannot fill classes of {}",
            args.class_size
        );
    }
    let classes = (args.enrolments as f64 / (args.class_size + 1) as f64).round() as usize;
    Ok(SchoolSpec {
        schools: SCHOOLS,
        teachers,
        students,
        classes: classes.max(1),
        min_class_size: args.class_size,
        max_class_size: args.class_size,
        guardians: 0,
        ..SchoolSpec::default()
    })
}

/// Enrolment rows the generator writes for `spec` (teachers' and students').
fn enrolments(spec: &SchoolSpec) -> usize {
    (0..spec.classes)
        .map(|class| {
            usize::from(spec.class_teacher(class).is_some()) + spec.class_students(class).len()
        })
        .sum()
}

/// Runs the scenario.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let common = &args.common;
    if common.target != Target::Classchat {
        bail!("roster is for --target classchat only");
    }
    now_micros();
    let spec = district(&args)?;
    let dir = tempfile::Builder::new()
        .prefix("classchat-bench-roster-")
        .tempdir()?;
    let zip_path = dir.path().join("district.zip");
    let zip = to_zip(&generate(&spec));
    std::fs::write(&zip_path, &zip)?;
    let users = 1 + spec.teachers + spec.students;
    let enrolled = enrolments(&spec);
    eprintln!(
        "roster: {users} users ({} teachers, {} students, 1 admin), {} classes, {enrolled} \
         enrolments, zip {} KiB",
        spec.teachers,
        spec.students,
        spec.classes,
        zip.len() / 1024
    );
    let mut report = Report::new("roster", common.target.name());
    report
        .add("users", users as u64, "")
        .add("teachers", spec.teachers as u64, "")
        .add("students", spec.students as u64, "")
        .add("classes", spec.classes as u64, "")
        .add("enrolments", enrolled as u64, "")
        .add("zip_bytes", zip.len() as u64, "B");

    // The CLI: a child process per run, on a database of its own.
    let bin = server::absolute(&common.classchat_bin)?;
    let db = dir.path().join("cli.db");
    for (name, dry_run) in [("dry_run", true), ("import", false), ("reimport", false)] {
        let run = import_cli(&bin, &zip_path, &db, dry_run, &common.synchronous).await?;
        eprintln!("roster: cli {name}: {:.2} s, {}", run.secs, run.summary);
        report
            .add(&format!("cli_{name}_ms"), run.secs * 1e3, "ms")
            .add(&format!("cli_{name}_peak_rss_kib"), run.peak_kib, "KiB")
            .add(&format!("cli_{name}_summary"), run.summary, "");
    }
    report
        .add("peak_rss_from", peak_source(), "")
        .add("db_bytes", db_bytes(&db), "B");

    // The server: the same three uploads, then the announcements on what they imported.
    let mut database = server::seed_classchat(common, &Seed::default()).await?;
    // The default limit (10, then one every 6 s) would make the run last minutes; the
    // default request timeout (30 s) would cut an import that slow short with a 408.
    database
        .extra_args
        .extend(["--announce-rate", "0", "--request-timeout", "10m"].map(String::from));
    let server = database.serve(common, None).await?;
    let http = reqwest::Client::new();
    let admin = server::token(&server.jwt_secret, "bench-admin", "admin")?;
    report.add("server_rss_start_kib", server::rss_kib(server.pid)?, "KiB");
    let mut imported = None;
    for (name, dry_run) in [("dry_run", true), ("import", false), ("reimport", false)] {
        let started = Instant::now();
        let response = http
            .post(format!("{}/admin/roster?dryRun={dry_run}", server.http))
            .bearer_auth(&admin)
            .header("content-type", "application/zip")
            .body(zip.clone())
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        let secs = started.elapsed().as_secs_f64();
        if !status.is_success() {
            bail!("POST /admin/roster ({name}): {status} {body}");
        }
        let summary = body["summary"].as_str().unwrap_or_default().to_string();
        eprintln!("roster: server {name}: {secs:.2} s, {summary}");
        report
            .add(&format!("server_{name}_ms"), secs * 1e3, "ms")
            .add(&format!("server_{name}_summary"), summary, "")
            .add(
                &format!("server_{name}_applied"),
                body["applied"].clone(),
                "",
            )
            .add(
                &format!("server_rss_after_{name}_kib"),
                server::rss_kib(server.pid)?,
                "KiB",
            )
            .add(
                &format!("server_peak_after_{name}_kib"),
                server::peak_rss_kib(server.pid)?,
                "KiB",
            );
        if name == "import" {
            imported = Some(body);
        }
    }

    let imported = imported.context("no import report")?;
    let (class, teacher, students) = pick_class(&imported, args.class_size)?;
    let announced = announce(&server, &http, &class, &teacher, &students, &args).await?;
    report
        .add("class", class, "")
        .add("class_students", students.len() as u64, "")
        .add("announcements", args.announcements as u64, "")
        .add("copies_expected", announced.expected, "")
        .add("copies_lost", announced.lost, "")
        .latency("announce_post", &announced.post)
        .latency("announce_delivery", &announced.delivery);
    report.emit(common)?;
    server.stop().await
}

/// One timed run of `classchat roster import`.
struct CliRun {
    /// Wall time of the child, seconds.
    secs: f64,
    /// Its peak resident set, KiB.
    peak_kib: u64,
    /// The first line it printed (`roster import: applied: users +…`).
    summary: String,
}

/// GNU time, which reports a child's peak RSS (`ru_maxrss` from `wait4`) after it exits:
/// the one exact way to get it without `unsafe` calls here. Installed on this project's
/// machines; without it the peak is sampled from /proc instead (see [`peak_source`]).
const GNU_TIME: &str = "/usr/bin/time";

/// Where the CLI's peak RSS comes from: `time` (exact) or `polled` (VmHWM sampled every
/// 2 ms while the child runs, which misses growth in its last 2 ms).
fn peak_source() -> &'static str {
    if Path::new(GNU_TIME).exists() {
        "time"
    } else {
        "polled"
    }
}

/// Runs `classchat roster import ZIP [--dry-run] --db DB` and measures it.
async fn import_cli(
    bin: &Path,
    zip: &Path,
    db: &Path,
    dry_run: bool,
    synchronous: &str,
) -> anyhow::Result<CliRun> {
    let rusage = db.with_extension("rusage");
    let mut command = if peak_source() == "time" {
        let mut command = Command::new(GNU_TIME);
        command.args(["-f", "%e %M", "-o"]).arg(&rusage).arg(bin);
        command
    } else {
        Command::new(bin)
    };
    command
        .args(["roster", "import"])
        .arg(zip)
        .arg("--db")
        .arg(db)
        .args(["--sqlite-synchronous", synchronous])
        .args(dry_run.then_some("--dry-run"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let pid = child.id().context("the import exited at once")?;
    let (polled, sampler) = poll_peak(pid);
    let output = child.wait_with_output().await?;
    let secs = started.elapsed().as_secs_f64();
    sampler.abort();
    if !output.status.success() {
        bail!(
            "`classchat roster import` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let peak_kib = if peak_source() == "time" {
        let text = std::fs::read_to_string(&rusage)?;
        text.split_whitespace()
            .nth(1)
            .and_then(|kib| kib.parse().ok())
            .with_context(|| format!("unexpected output of {GNU_TIME}: {text}"))?
    } else {
        polled.load(Ordering::Relaxed)
    };
    let summary = String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    Ok(CliRun {
        secs,
        peak_kib,
        summary,
    })
}

/// Samples VmHWM of `pid` every 2 ms, until aborted or until the process is gone (or
/// has exited: a zombie has no VmHWM); the first value is the highest sample. Used only
/// without GNU time (with it, `pid` is `time` itself and the sample is ignored).
fn poll_peak(pid: u32) -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let highest = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&highest);
    let sampler = tokio::spawn(async move {
        while let Ok(kib) = server::peak_rss_kib(pid) {
            seen.fetch_max(kib, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    (highest, sampler)
}

/// The database file and its WAL, in bytes.
fn db_bytes(db: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    [db.to_path_buf(), wal]
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|meta| meta.len())
        .sum()
}

/// A class of the import report with exactly `size` students and a teacher: its id, its
/// (first) teacher and its students.
fn pick_class(report: &Value, size: usize) -> anyhow::Result<(String, String, Vec<String>)> {
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let classes = report["classes"]["created"]
        .as_array()
        .context("the import created no classes")?;
    for class in classes {
        let students = strings(&class["students"]);
        let teachers = strings(&class["teachers"]);
        if let (true, Some(teacher)) = (students.len() == size, teachers.first()) {
            let id = class["classId"].as_str().unwrap_or_default().to_string();
            return Ok((id, teacher.clone(), students));
        }
    }
    bail!("no imported class has a teacher and {size} students")
}

/// What the announcements came to.
struct Announced {
    /// Request → 201 with the body read, µs.
    post: hdrhistogram::Histogram<u64>,
    /// Request sent → the last student's copy arrived, µs (announcements fully delivered).
    delivery: hdrhistogram::Histogram<u64>,
    /// Copies that should have arrived: students × announcements.
    expected: u64,
    /// Copies that did not arrive within `--settle-secs` of the last 201.
    lost: u64,
}

/// Connects every student of `class` to `/chat/ws`, then has `teacher` announce to it
/// `--announcements` times, one after another.
async fn announce(
    server: &Server,
    http: &reqwest::Client,
    class: &str,
    teacher: &str,
    students: &[String],
    args: &Args,
) -> anyhow::Result<Announced> {
    let n = args.announcements;
    // arrivals[s * n + i]: when student s got announcement i (µs since the epoch), 0: not yet.
    let arrivals: Arc<Vec<AtomicU64>> =
        Arc::new((0..students.len() * n).map(|_| 0.into()).collect());
    let received = Arc::new(AtomicU64::new(0));
    let mut listeners = Vec::new();
    for (s, student) in students.iter().enumerate() {
        let token = server::token(&server.jwt_secret, student, "student")?;
        let (sender, mut receiver) = client::connect(
            Target::Classchat,
            &server.ws(),
            &token,
            "",
            client::source_ip(s),
        )
        .await
        .with_context(|| format!("student {student} cannot connect"))?;
        let (arrivals, received) = (Arc::clone(&arrivals), Arc::clone(&received));
        listeners.push(tokio::spawn(async move {
            let _keep_open = sender;
            while let Ok(Some(event)) = receiver.next().await {
                let Event::Message(body) = event else {
                    continue;
                };
                let Some(i) = body
                    .strip_prefix("a=")
                    .and_then(|i| i.parse::<usize>().ok())
                else {
                    continue;
                };
                if i < n && arrivals[s * n + i].swap(now_micros().max(1), Ordering::Relaxed) == 0 {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let token = server::token(&server.jwt_secret, teacher, "teacher")?;
    let url = format!("{}/classes/{class}/announce", server.http);
    let run = ulid::Ulid::new();
    let mut post = report::histogram()?;
    let mut sent_at = Vec::with_capacity(n);
    for i in 0..n {
        let body = serde_json::json!({
            "messageBody": format!("a={i}"),
            "clientMessageId": format!("bench-{run}-{i}"),
        });
        let started = now_micros();
        let response = http
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        post.saturating_record(now_micros().saturating_sub(started).max(1));
        if status != reqwest::StatusCode::CREATED {
            bail!("announcement {i}: {status} {text}");
        }
        sent_at.push(started);
    }
    let expected = (students.len() * n) as u64;
    let until = Instant::now() + Duration::from_secs_f64(args.settle_secs);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for listener in &listeners {
        listener.abort();
    }
    let mut delivery = report::histogram()?;
    for (i, sent) in sent_at.iter().enumerate() {
        // Fully delivered announcements only: a missing copy counts as lost instead.
        let copies: Option<Vec<u64>> = (0..students.len())
            .map(|s| {
                let at = arrivals[s * n + i].load(Ordering::Relaxed);
                (at > 0).then_some(at)
            })
            .collect();
        if let Some(last) = copies.and_then(|copies| copies.into_iter().max()) {
            delivery.saturating_record(last.saturating_sub(*sent).max(1));
        }
    }
    let lost = expected.saturating_sub(received.load(Ordering::Relaxed));
    Ok(Announced {
        post,
        delivery,
        expected,
        lost,
    })
}
