//! Presence is cluster-wide: a user is online while connected to any node, and exactly
//! one announcement is made when that changes.

use crate::redis::client::{Client, presence};
use crate::redis::nodes::Cluster;
use classchat_hub_redis::testing::RedisServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_is_online_while_connected_to_any_node() {
    let redis = RedisServer::start().await;
    let cluster = Cluster::new().await;
    let a = cluster.node(&redis.url()).await;
    let b = cluster.node(&redis.url()).await;
    let (t1, s1) = (a.login("t1").await, a.login("s1").await);
    let mut teacher = Client::connect(a.addr, &t1).await;

    let phone = Client::connect(b.addr, &s1).await;
    assert_eq!(teacher.next().await, presence("s1", true));
    // A second device on the other node: still the same online user.
    let laptop = Client::connect(a.addr, &s1).await;
    teacher.expect_silence().await;

    // Someone connecting later learns who is online, wherever they are connected.
    let mut teacher_tablet = Client::connect(b.addr, &t1).await;
    teacher_tablet
        .send(json!({"action": "sync", "since": "2000-01-01T00:00:00.000000Z"}))
        .await;
    assert_eq!(teacher_tablet.next().await, presence("s1", true));

    phone.close().await;
    teacher.expect_silence().await;
    laptop.close().await;
    assert_eq!(teacher.next().await, presence("s1", false));
    assert_eq!(teacher_tablet.next().await, presence("s1", false));
}
