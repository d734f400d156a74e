//! Ending a user's sessions reaches every node: an admin disabling an account, changing
//! its role or password on one node, or the user signing out there, closes their sockets
//! on the other node within a second (1008), and nobody else's.

use crate::redis::client::Client;
use crate::redis::nodes::Cluster;
use classchat_hub_redis::testing::RedisServer;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_password_role_and_logout_close_sockets_on_every_node() {
    let redis = RedisServer::start().await;
    let cluster = Cluster::new().await;
    let a = cluster.node(&redis.url()).await;
    let b = cluster.node(&redis.url()).await;
    let admin = a.login("admin").await;
    let http = reqwest::Client::new();
    let patch = async |user: &str, changes: serde_json::Value| {
        let response = http
            .patch(format!("http://{}/admin/users/{user}", a.addr))
            .bearer_auth(&admin)
            .json(&changes)
            .send()
            .await
            .expect("patch");
        assert_eq!(response.status(), 200);
    };
    let logout = async |token: &str| {
        let response = http
            .post(format!("http://{}/auth/logout", a.addr))
            .bearer_auth(token)
            .send()
            .await
            .expect("logout");
        assert_eq!(response.status(), 204);
    };
    let bystander_token = b.login("t2").await;
    let mut bystander = Client::connect(b.addr, &bystander_token).await;

    for (user, why) in [
        ("s1", "disable"),
        ("t1", "password"),
        ("s3", "role"),
        ("s2", "logout"),
    ] {
        let token = b.login(user).await;
        // One socket on each node; the change is made through node A.
        let mut far = Client::connect(b.addr, &token).await;
        let mut near = Client::connect(a.addr, &token).await;
        let since = Instant::now();
        match why {
            "disable" => patch(user, json!({"disabled": true})).await,
            "password" => patch(user, json!({"password": "another password"})).await,
            "role" => patch(user, json!({"role": "teacher"})).await,
            _ => logout(&token).await,
        }
        for socket in [&mut far, &mut near] {
            assert_eq!(socket.expect_close().await, Some(1008), "{user} ({why})");
            assert!(
                since.elapsed() <= Duration::from_secs(1),
                "{user} ({why}): closed after {:?}",
                since.elapsed()
            );
        }
    }
    // Presence frames may have come and gone; what matters is that the bystander's socket
    // is still open.
    bystander.send(json!({"action": "ping"})).await;
    loop {
        let frame = bystander.next().await;
        if frame["type"] == "pong" {
            break;
        }
    }
}
