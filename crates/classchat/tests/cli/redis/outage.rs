//! Redis is not the source of truth: when it goes away, sends still succeed and are
//! stored; nodes close their sockets with 1012 so clients reconnect and catch up from the
//! store; when it is back, events cross nodes again.

use crate::redis::client::Client;
use crate::redis::nodes::Cluster;
use classchat_hub_redis::testing::RedisServer;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_redis_sends_clients_to_catch_up_and_nothing_sent_is_lost() {
    let mut redis = RedisServer::start().await;
    let cluster = Cluster::new().await;
    let a = cluster.node(&redis.url()).await;
    let b = cluster.node(&redis.url()).await;
    let (t1, s1) = (b.login("t1").await, a.login("s1").await);
    let mut teacher = Client::connect(b.addr, &t1).await;
    let (status, before) = a.send(&s1, "s1+t1", "s1", "before the outage").await;
    assert_eq!(status, 201, "{before}");
    assert_eq!(teacher.next_message().await, before);

    redis.kill();
    assert_eq!(teacher.expect_close().await, Some(1012));
    let (status, during) = a.send(&s1, "s1+t1", "s1", "while Redis is down").await;
    assert_eq!(status, 201, "the store is the source of truth: {during}");

    redis.restart().await;
    // Both nodes resubscribe by themselves (and close what connected meanwhile).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(a.hub.is_listening() && b.hub.is_listening()) {
        assert!(Instant::now() < deadline, "the nodes never resubscribed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(a.live.connection_count() + b.live.connection_count(), 0);

    // The client reconnects and catches up from the store.
    let mut teacher = Client::connect(b.addr, &t1).await;
    teacher
        .send(json!({"action": "sync", "since": before["timestamp"]}))
        .await;
    assert_eq!(teacher.next_message().await, during);

    // Events cross nodes live again.
    let (status, after) = a.send(&s1, "s1+t1", "s1", "after the outage").await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(teacher.next_message().await, after);
    teacher.expect_silence().await;
}
