//! Redis is not the source of truth: when it goes away, sends still succeed and are
//! stored. Once it is back, recovery is targeted: only the users who were sent something
//! meanwhile have their sockets closed with 1012 (their clients reconnect and catch up
//! from the store); everyone else stays connected, and events cross nodes again.

use crate::redis::client::{Client, presence};
use crate::redis::nodes::Cluster;
use classchat_hub_redis::testing::RedisServer;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_losing_redis_only_the_users_who_missed_something_reconnect() {
    let mut redis = RedisServer::start().await;
    let cluster = Cluster::new().await;
    let a = cluster.node(&redis.url()).await;
    let b = cluster.node(&redis.url()).await;
    let (t1, s1, s2) = (
        b.login("t1").await,
        a.login("s1").await,
        b.login("s2").await,
    );
    let mut teacher = Client::connect(b.addr, &t1).await;
    let mut bystander = Client::connect(b.addr, &s2).await;
    let _ = teacher.next().await; // s2 came online
    let (status, before) = a.send(&s1, "s1+t1", "s1", "before the outage").await;
    assert_eq!(status, 201, "{before}");
    assert_eq!(teacher.next_message().await, before);

    redis.kill();
    let (status, during) = a.send(&s1, "s1+t1", "s1", "while Redis is down").await;
    assert_eq!(status, 201, "the store is the source of truth: {during}");
    // An outage of a couple of seconds, longer than the allowance for nodes' clocks.
    tokio::time::sleep(Duration::from_secs(2)).await;

    redis.restart().await;
    // Both nodes resubscribe by themselves; the teacher, who was sent something, is
    // sent to catch up; the bystander, who was not, stays connected.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(a.hub.is_listening() && b.hub.is_listening()) {
        assert!(Instant::now() < deadline, "the nodes never resubscribed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(teacher.expect_close().await, Some(1012));
    // The close says where to sync from: no later than the message missed. (A client's
    // newest message can be newer than what it missed: one from its own node, or one that
    // arrived once Redis was back and before this close.)
    let reason = teacher.close_reason().expect("a close reason").to_owned();
    let since = reason
        .split_once(" since ")
        .and_then(|(_, rest)| rest.split(';').next())
        .unwrap_or_else(|| panic!("no time to sync from in {reason:?}"))
        .to_owned();
    let missed = during["timestamp"].as_str().unwrap();
    assert!(
        since.as_str() < missed,
        "sync from {since}, missed {missed}"
    );
    while b.hub.resync_counts().0 < 2 {
        assert!(
            Instant::now() < deadline,
            "node B never looked for lost events"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        b.live.connection_count(),
        1,
        "the bystander stays connected"
    );

    // The teacher reconnects and catches up from the store, from where the close said
    // (what it had already, the message before the outage, may come again: clients
    // dedupe by messageId), and is not sent away again by the other node's late resync
    // of the same lost event.
    let mut teacher = Client::connect(b.addr, &t1).await;
    teacher
        .send(json!({"action": "sync", "since": since}))
        .await;
    let mut replayed = teacher.next_message().await;
    if replayed == before {
        replayed = teacher.next_message().await;
    }
    assert_eq!(replayed, during);

    // Events cross nodes live again, to the reconnected teacher and the bystander alike.
    let (status, after) = a.send(&s1, "s1+t1", "s1", "after the outage").await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(teacher.next_message().await, after);
    let (status, to_s2) = a.send(&t1, "s2+t1", "t1", "still there?").await;
    assert_eq!(status, 201, "{to_s2}");
    // The bystander saw the teacher leave and come back; then the message.
    assert_eq!(bystander.next().await, presence("t1", false));
    assert_eq!(bystander.next().await, presence("t1", true));
    assert_eq!(bystander.next_message().await, to_s2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(b.live.connection_count(), 2, "nobody was sent away twice");
}
