//! The self-hosted many-node deployment: two `classchat serve` processes on one DynamoDB
//! store (the emulator ./scripts/test provides) and one Redis (a private `redis-server`).
//! A message sent through one node reaches a socket on the other at once, and a node that
//! cannot reach its Redis refuses to start and says why.

use crate::process::{self, Running, call, run, succeeds};
use classchat_hub_redis::testing::RedisServer;
use classchat_store_dynamodb::testing;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "a-long-password";

/// `classchat` on the emulator's tables under `prefix`, fanning out through `redis_url`.
pub(crate) fn command(
    prefix: &str,
    dir: &tempfile::TempDir,
    redis_url: &str,
    args: &[&str],
) -> Command {
    let mut command = process::classchat();
    command
        .args(args)
        .env("CLASSCHAT_STORE", "dynamodb")
        .env("CLASSCHAT_DYNAMODB_ENDPOINT", testing::emulator_endpoint())
        .env("CLASSCHAT_TABLE_PREFIX", prefix)
        .env("CLASSCHAT_DB", dir.path().join("node.db"))
        .env(
            "CLASSCHAT_JWT_SECRET",
            "one-secret-for-every-node-of-the-school",
        )
        .env("CLASSCHAT_REDIS_URL", redis_url)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    command
}

/// Signs `user` in at `base` (the password every test user has here).
pub(crate) async fn login(base: &str, user: &str) -> String {
    let (status, reply) = call(
        reqwest::Method::POST,
        format!("{base}/auth/login"),
        None,
        Some(json!({"userId": user, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    reply["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_store_and_one_redis_deliver_each_others_messages_live() {
    let redis = RedisServer::start().await;
    let prefix = testing::fresh_prefix();
    let dir = tempfile::tempdir().unwrap();
    let classchat = |args: &[&str]| command(&prefix, &dir, &redis.url(), args);
    succeeds(&run(&mut classchat(&["tables", "create"]), None));
    for (id, role) in [("t1", "teacher"), ("s1", "student")] {
        let add = ["user", "add", "--id", id, "--role", role, "--name", id];
        let mut add = classchat(&[&add[..], &["--password-stdin"]].concat());
        succeeds(&run(&mut add, Some(&format!("{PASSWORD}\n"))));
    }
    succeeds(&run(
        &mut classchat(&["link", "add", "--teacher", "t1", "--student", "s1"]),
        None,
    ));

    let node_a = Running::start(&mut classchat(&["serve", "--addr", "127.0.0.1:0"]));
    let node_b = Running::start(&mut classchat(&["serve", "--addr", "127.0.0.1:0"]));

    // The teacher is connected to node B…
    let teacher_token = login(&node_a.base, "t1").await;
    let ws_url = format!(
        "{}/chat/ws?token={teacher_token}",
        node_b.base.replacen("http", "ws", 1)
    );
    let (mut teacher, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    teacher
        .send(Message::text(json!({"action": "ping"}).to_string()))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut teacher).await["type"], "pong");

    // …and the student sends through node A.
    let student_token = login(&node_a.base, "s1").await;
    let (status, sent) = call(
        reqwest::Method::POST,
        format!("{}/chat/send", node_a.base),
        Some(&student_token),
        Some(json!({"conversationId": "s1+t1", "author": "s1", "messageBody": "hello from A"})),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let frame = loop {
        let frame = next_frame(&mut teacher).await;
        if frame["type"] != "presence" {
            break frame;
        }
    };
    assert_eq!(frame, json!({"type": "message", "message": sent}));

    assert!(node_a.terminate().success());
    assert!(node_b.terminate().success());
}

#[test]
fn a_node_that_cannot_reach_its_redis_refuses_to_start_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("unix://{}", dir.path().join("no-redis.sock").display());
    let output = run(
        &mut command(
            &testing::fresh_prefix(),
            &dir,
            &missing,
            &["serve", "--store", "sqlite", "--addr", "127.0.0.1:0"],
        ),
        None,
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot start the Redis fan-out") && stderr.contains("no-redis.sock"),
        "{stderr}"
    );
}

/// The next text frame of `socket`, as JSON (within ten seconds).
pub async fn next_frame<S>(socket: &mut S) -> Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket stays open")
            .expect("a readable frame");
        if let Message::Text(text) = next {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}
