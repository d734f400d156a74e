//! The `classchat` binary on DynamoDB, as an operator runs it: `serve` refuses to start
//! without tables and says which are missing, `tables create` makes them (twice is fine),
//! the user/link commands and `serve` work on them, and an outage of DynamoDB mid-run —
//! hanging (the emulator paused) or refusing connections (the emulator killed, then
//! started again on the same port with the data it had) — is a 503 that heals by itself
//! without losing an acknowledged message.
//!
//! Runs on a dedicated emulator, which ./scripts/test provides.

use crate::process::{self, Running, call, run, succeeds};
use classchat_store_dynamodb::DynamoStore;
use classchat_store_dynamodb::testing::{self, Emulator};
use serde_json::json;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The environment of every command: DynamoDB at `endpoint`, tables under `prefix`.
struct Env {
    endpoint: String,
    prefix: String,
    dir: tempfile::TempDir,
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = process::classchat();
        command
            .args(args)
            .env("CLASSCHAT_STORE", "dynamodb")
            .env("CLASSCHAT_DYNAMODB_ENDPOINT", &self.endpoint)
            .env("CLASSCHAT_TABLE_PREFIX", &self.prefix)
            .env("CLASSCHAT_DB", self.dir.path().join("node.db"))
            .env(
                "CLASSCHAT_JWT_SECRET",
                "a-shared-secret-for-every-node-of-the-school",
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        command
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run(&mut self.command(args), stdin)
    }

    /// A store on the same tables, to look at them directly.
    async fn store(&self) -> DynamoStore {
        DynamoStore::connect(&testing::config(&self.endpoint, &self.prefix))
            .await
            .unwrap()
    }
}

fn serve(env: &Env) -> Running {
    Running::start(&mut env.command(&["serve", "--addr", "127.0.0.1:0"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_and_tables_name_every_table_problem_and_the_fix() {
    let env = Env {
        endpoint: testing::emulator_endpoint(),
        prefix: testing::fresh_prefix(),
        dir: tempfile::tempdir().unwrap(),
    };
    // A Connections table made by hand, without the userId index; the others missing.
    let store = env.store().await;
    testing::create_bare_table(store.client(), &store.tables().connections, "connectionId").await;

    for args in [
        &["serve", "--addr", "127.0.0.1:0"][..],
        &["tables", "check"],
        &["tables", "create"],
    ] {
        let refused = env.run(args, None);
        assert!(!refused.status.success(), "{args:?} must fail");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        let connections = format!("{}Connections has the wrong schema", env.prefix);
        assert!(stderr.contains(&connections), "{args:?}: {stderr}");
        assert!(stderr.contains("userId-index"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("classchat tables create"),
            "{args:?}: {stderr}"
        );
        // create only reports what it cannot fix; the others also name the missing tables.
        if args[0] != "tables" || args[1] != "create" {
            for table in ["Message", "UserInfo"] {
                let missing = format!("{}{table}", env.prefix);
                assert!(
                    stderr.contains(&missing),
                    "{args:?} names {missing}: {stderr}"
                );
            }
        }
    }
    // tables create changed nothing: Message and UserInfo are still missing.
    let checked = env.run(&["tables", "check"], None);
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(
        stderr.contains(&format!("missing DynamoDB table(s): {}Message", env.prefix)),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_runs_classchat_on_dynamodb_through_an_outage() {
    let mut emulator = Emulator::start();
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
    let tables = env.store().await;
    for table in tables.tables().all() {
        let billing = tables
            .client()
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap()
            .table
            .and_then(|table| table.billing_mode_summary)
            .and_then(|summary| summary.billing_mode);
        assert_eq!(
            billing.as_ref().map(|mode| mode.as_str()),
            Some("PAY_PER_REQUEST"),
            "tables create makes {table} on-demand"
        );
    }

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

    let read_all = || {
        call(
            reqwest::Method::GET,
            format!("{base}/chat/read?conversationId=s1%2Bt1&limit=50"),
            Some(&token),
            None,
        )
    };
    let (status, page) = read_all().await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["messages"].as_array().unwrap(),
        &acknowledged,
        "every acknowledged message, once, in order"
    );

    // DynamoDB crashes: connections are refused, which must be a quick 503 too.
    emulator.kill();
    let started = Instant::now();
    let (status, error) = send("m4").await;
    assert_eq!(status, 503, "a send while DynamoDB is down: {error}");
    assert_eq!(error["error"]["code"], "unavailable", "{error}");
    let (status, _) = call(reqwest::Method::GET, format!("{base}/readyz"), None, None).await;
    assert_eq!(status, 503, "not ready while DynamoDB refuses connections");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "failing on refused connections took {:?}",
        started.elapsed()
    );

    emulator.restart();
    let (status, _) = call(reqwest::Method::GET, format!("{base}/readyz"), None, None).await;
    assert_eq!(
        status, 200,
        "ready again once DynamoDB is back, without a restart"
    );
    let (status, message) = send("m4").await;
    assert_eq!(status, 201, "{message}");
    acknowledged.push(message);
    let (status, page) = read_all().await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["messages"].as_array().unwrap(),
        &acknowledged,
        "every acknowledged message survives the crash, once, in order"
    );
    drop(server);

    // The export reads the same tables: every message, in order.
    let exported = succeeds(&env.run(&["export"], None));
    let messages: Vec<serde_json::Value> = exported
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["type"] == "message")
        .map(|mut line| {
            line.as_object_mut().unwrap().remove("type");
            line
        })
        .collect();
    assert_eq!(messages, acknowledged, "the export has every message");
}
