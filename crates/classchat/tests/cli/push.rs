//! Notifications from real `classchat serve` processes: two nodes on one DynamoDB store
//! (the emulator) and one Redis. Sharing a VAPID key, they push to a loopback push service
//! that checks the VAPID JWT and decrypts what it receives: a user online on the other
//! node gets no push; once they are away, exactly one. With the SMTP sink the test script
//! starts, they send one email digest for a batch of unread messages, not two.

use crate::multi_node::{self, login, next_frame};
use crate::process::{Running, call, run, succeeds};
use classchat_hub_redis::testing::RedisServer;
use classchat_notify::push::VapidKeys;
use classchat_notify::testing::{Browser, PushService, SmtpSink};
use classchat_store_dynamodb::testing;
use futures::SinkExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "a-long-password";

/// Two nodes of one school (t1 "Ms Rivera" teaching s1 "Sam Student") on the emulator's
/// tables and one Redis, sharing a VAPID key; `env` adds settings to every command.
struct School {
    node_a: Running,
    node_b: Running,
    teacher: String,
    student: String,
    _redis: RedisServer,
    _dir: tempfile::TempDir,
}

async fn school(vapid: &str, env: &[(&str, String)]) -> School {
    let redis = RedisServer::start().await;
    let prefix = testing::fresh_prefix();
    let dir = tempfile::tempdir().unwrap();
    let classchat = |args: &[&str]| {
        let mut command = multi_node::command(&prefix, &dir, &redis.url(), args);
        command
            .env("CLASSCHAT_VAPID_PRIVATE_KEY", vapid)
            .env("CLASSCHAT_PUSH_ALLOW_LOOPBACK", "1")
            .envs(env.iter().map(|(name, value)| (*name, value.as_str())));
        command
    };
    succeeds(&run(&mut classchat(&["tables", "create"]), None));
    for (id, role, name) in [
        ("t1", "teacher", "Ms Rivera"),
        ("s1", "student", "Sam Student"),
    ] {
        let add = ["user", "add", "--id", id, "--role", role, "--name", name];
        let mut add = classchat(&[&add[..], &["--password-stdin"]].concat());
        succeeds(&run(&mut add, Some(&format!("{PASSWORD}\n"))));
    }
    succeeds(&run(
        &mut classchat(&["link", "add", "--teacher", "t1", "--student", "s1"]),
        None,
    ));
    let node_a = Running::start(&mut classchat(&["serve", "--addr", "127.0.0.1:0"]));
    let node_b = Running::start(&mut classchat(&["serve", "--addr", "127.0.0.1:0"]));
    let teacher = login(&node_b.base, "t1").await;
    let student = login(&node_a.base, "s1").await;
    School {
        node_a,
        node_b,
        teacher,
        student,
        _redis: redis,
        _dir: dir,
    }
}

async fn send(base: &str, token: &str, body: &str) {
    let (status, sent) = call(
        reqwest::Method::POST,
        format!("{base}/chat/send"),
        Some(token),
        Some(json!({"conversationId": "s1+t1", "author": "s1", "messageBody": body})),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
}

async fn metrics(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_push_once_to_someone_away_and_never_to_someone_online_elsewhere() {
    let keys = VapidKeys::generate();
    let School {
        node_a,
        node_b,
        teacher,
        student,
        // Bound, not `..`: Redis and the tables' folder must outlive the nodes.
        _redis,
        _dir,
    } = school(&keys.private_base64url(), &[]).await;

    // Both nodes hand browsers the same key, the one the push service expects.
    for base in [&node_a.base, &node_b.base] {
        let (status, settings) = call(
            reqwest::Method::GET,
            format!("{base}/me/notifications"),
            Some(&teacher),
            None,
        )
        .await;
        assert_eq!(status, 200, "{settings}");
        assert_eq!(settings["vapidPublicKey"], keys.public_base64url());
    }
    let service = PushService::start(Browser::new(), keys.public_base64url()).await;
    let subscription = service.subscription("/push/created/t1");
    let (status, created) = call(
        reqwest::Method::POST,
        format!("{}/me/push-subscriptions", node_b.base),
        Some(&teacher),
        Some(json!({
            "endpoint": subscription.endpoint,
            "expirationTime": null,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");

    // The teacher is online on node B; the student writes through node A: no push.
    let url = format!(
        "{}/chat/ws?token={teacher}",
        node_b.base.replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    socket
        .send(Message::text(json!({"action": "ping"}).to_string()))
        .await
        .unwrap();
    while next_frame(&mut socket).await["type"] != "pong" {}
    send(&node_a.base, &student, "are you there?").await;
    while next_frame(&mut socket).await["type"] != "message" {}
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(service.received().is_empty(), "{:#?}", service.received());
    assert!(
        metrics(&node_a.base)
            .await
            .contains("classchat_notices_total{outcome=\"online\"} 1")
    );

    // Away from every node: one push, from the node that stored the message.
    socket.close(None).await.unwrap();
    drop(socket);
    // (Leaving is noticed through Redis: until it is, a send is still "online".)
    let mut pushed = Vec::new();
    'away: for attempt in 0..10 {
        send(&node_a.base, &student, &format!("still there? {attempt}")).await;
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            pushed = service.requests();
            if !pushed.is_empty() {
                break 'away;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(service.received().len(), 1, "{:#?}", service.received());
    let payload: Value = serde_json::from_slice(&pushed[0].plaintext).unwrap();
    assert_eq!(payload["title"], "Sam Student");
    assert_eq!(payload["body"], "New message");
    assert_eq!(payload["url"], "/#/c/s1%2Bt1");
    let counters = metrics(&node_a.base).await;
    assert!(
        counters.contains("classchat_push_total{outcome=\"delivered\"} 1"),
        "{counters}"
    );
    assert!(
        !metrics(&node_b.base)
            .await
            .contains("outcome=\"delivered\"} 1")
    );

    assert!(node_a.terminate().success());
    assert!(node_b.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_send_one_email_digest_for_a_batch_of_unread_messages() {
    let sink = SmtpSink::from_env();
    let env = [
        ("CLASSCHAT_PUSH", "off".to_owned()),
        ("CLASSCHAT_SMTP_URL", sink.url()),
        (
            "CLASSCHAT_MAIL_FROM",
            "classchat <noreply@school.example>".to_owned(),
        ),
        (
            "CLASSCHAT_PUBLIC_URL",
            "https://chat.school.example/".to_owned(),
        ),
        ("CLASSCHAT_DIGEST_AFTER", "1s".to_owned()),
        ("CLASSCHAT_NOTIFY_EVERY", "100ms".to_owned()),
    ];
    let School {
        node_a,
        node_b,
        teacher,
        student,
        // Bound, not `..`: Redis and the tables' folder must outlive the nodes.
        _redis,
        _dir,
    } = school(&VapidKeys::generate().private_base64url(), &env).await;
    let email = format!(
        "t1-{}@school.example",
        testing::fresh_prefix().trim_end_matches('_')
    );
    let (status, settings) = call(
        reqwest::Method::PATCH,
        format!("{}/me/notifications", node_b.base),
        Some(&teacher),
        Some(json!({"email": email})),
    )
    .await;
    assert_eq!(status, 200, "{settings}");

    for (node, body) in [(&node_a, "one"), (&node_b, "two"), (&node_a, "three")] {
        send(&node.base, &student, body).await;
    }
    let mails = sink.wait_for(&email, 1).await;
    // Both nodes look every 100 ms: give the other one many chances to send it again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        sink.received(&email).len(),
        1,
        "one digest, not one per node"
    );
    assert_eq!(mails[0].subject, "3 unread messages on classchat");
    assert!(
        mails[0]
            .text
            .contains("https://chat.school.example/#/c/s1%2Bt1"),
        "{}",
        mails[0].text
    );
    let sent: u32 = [&node_a, &node_b]
        .iter()
        .map(|node| async move { metrics(&node.base).await })
        .collect::<futures::future::JoinAll<_>>()
        .await
        .iter()
        .filter(|text| text.contains("classchat_digest_emails_total{outcome=\"sent\"} 1"))
        .count() as u32;
    assert_eq!(sent, 1);

    assert!(node_a.terminate().success());
    assert!(node_b.terminate().success());
}
