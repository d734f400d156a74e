//! The `classchat` binary on DynamoDB, as an operator runs it: `serve` refuses to start
//! without tables and says which are missing, `tables create` makes them (twice is fine),
//! the user/link commands and `serve` work on them, and an outage of DynamoDB mid-run is
//! a 503 that heals by itself without losing an acknowledged message.
//!
//! Runs on a dedicated emulator (paused for the outage), which ./scripts/test provides.

use classchat_store_dynamodb::testing::{self, Emulator};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_classchat");

/// The environment of every command: DynamoDB at `endpoint`, tables under `prefix`.
struct Env {
    endpoint: String,
    prefix: String,
    dir: tempfile::TempDir,
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .env("CLASSCHAT_STORE", "dynamodb")
            .env("CLASSCHAT_DYNAMODB_ENDPOINT", &self.endpoint)
            .env("CLASSCHAT_TABLE_PREFIX", &self.prefix)
            .env("CLASSCHAT_DB", self.dir.path().join("node.db"))
            .env("CLASSCHAT_JWT_SECRET", "a-shared-secret-for-every-node")
            .env("RUST_LOG", "warn")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        command
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start classchat");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("classchat output")
    }
}

#[track_caller]
fn succeeds(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A running `classchat serve` and its base URL; killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(env: &Env) -> Server {
    let mut child = env
        .command(&["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start classchat serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.expect("stdout");
        if let Some(url) = line.strip_prefix("classchat listening on ") {
            std::thread::spawn(move || lines.for_each(drop));
            return Server {
                child,
                base: url.to_owned(),
            };
        }
    }
    let status = child.wait();
    panic!("classchat serve exited before listening: {status:?}");
}

async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_runs_classchat_on_dynamodb_through_an_outage() {
    let emulator = Emulator::start();
    let env = Env {
        endpoint: emulator.endpoint().to_owned(),
        prefix: testing::fresh_prefix(),
        dir: tempfile::tempdir().unwrap(),
    };

    // No tables yet: serve refuses and names every missing one.
    let refused = env.run(&["serve", "--addr", "127.0.0.1:0"], None);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    for table in ["Message", "UserInfo", "Connections"] {
        assert!(
            stderr.contains(&format!("{}{table}", env.prefix)),
            "serve must name the missing table {table}: {stderr}"
        );
    }
    assert!(stderr.contains("classchat tables create"), "{stderr}");

    let created = succeeds(&env.run(&["tables", "create"], None));
    assert!(
        created.contains(&format!("created {}Message", env.prefix)),
        "{created}"
    );
    let again = succeeds(&env.run(&["tables", "create"], None));
    assert!(
        again.contains(&format!("exists  {}UserInfo", env.prefix)),
        "tables create is idempotent: {again}"
    );
    succeeds(&env.run(&["tables", "check"], None));

    for (id, role) in [("t1", "teacher"), ("s1", "student")] {
        succeeds(&env.run(
            &[
                "user",
                "add",
                "--id",
                id,
                "--role",
                role,
                "--name",
                id,
                "--password-stdin",
            ],
            Some("a-long-password\n"),
        ));
    }
    succeeds(&env.run(&["link", "add", "--teacher", "t1", "--student", "s1"], None));
    let listing = succeeds(&env.run(&["user", "list"], None));
    assert!(
        listing.contains("s1") && listing.contains("t1"),
        "{listing}"
    );

    let server = serve(&env);
    let base = server.base.clone();
    let (status, login) = call(
        reqwest::Method::POST,
        format!("{base}/auth/login"),
        None,
        Some(json!({"userId": "s1", "password": "a-long-password"})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    let send = |client_id: &str| {
        call(
            reqwest::Method::POST,
            format!("{base}/chat/send"),
            Some(&token),
            Some(json!({
                "conversationId": "s1+t1",
                "author": "s1",
                "messageBody": format!("message {client_id}"),
                "clientMessageId": client_id,
            })),
        )
    };
    let mut acknowledged = Vec::new();
    for client_id in ["m1", "m2"] {
        let (status, message) = send(client_id).await;
        assert_eq!(status, 201, "{message}");
        acknowledged.push(message);
    }

    emulator.pause();
    let started = Instant::now();
    let (status, error) = send("m3").await;
    assert_eq!(status, 503, "a send during the outage: {error}");
    assert_eq!(error["error"]["code"], "unavailable", "{error}");
    let (status, _) = call(reqwest::Method::GET, format!("{base}/readyz"), None, None).await;
    assert_eq!(status, 503, "not ready while DynamoDB is unreachable");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "failing took {:?}: requests must not hang on a dead store",
        started.elapsed()
    );

    emulator.resume();
    let (status, _) = call(reqwest::Method::GET, format!("{base}/readyz"), None, None).await;
    assert_eq!(status, 200, "ready again without a restart");
    // The client retries the send that got a 503, with the same clientMessageId.
    let (status, message) = send("m3").await;
    assert_eq!(status, 201, "{message}");
    acknowledged.push(message);

    let (status, page) = call(
        reqwest::Method::GET,
        format!("{base}/chat/read?conversationId=s1%2Bt1&limit=50"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["messages"].as_array().unwrap(),
        &acknowledged,
        "every acknowledged message, once, in order"
    );
    drop(server);
}
