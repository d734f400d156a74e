//! Events cross nodes: every connection of both participants gets a message, wherever it
//! is connected, and nobody else does.

use crate::redis::client::{Client, presence};
use crate::redis::nodes::Cluster;
use classchat_hub_redis::testing::RedisServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_reaches_every_participant_connection_on_every_node_and_nobody_else() {
    let redis = RedisServer::start().await;
    let cluster = Cluster::new().await;
    let a = cluster.node(&redis.url()).await;
    let b = cluster.node(&redis.url()).await;
    let (t1, s1, s2) = (
        a.login("t1").await,
        b.login("s1").await,
        b.login("s2").await,
    );

    let mut teacher_desk = Client::connect(a.addr, &t1).await;
    let mut teacher_phone = Client::connect(b.addr, &t1).await;
    let mut student_phone = Client::connect(b.addr, &s1).await;
    assert_eq!(teacher_desk.next().await, presence("s1", true));
    assert_eq!(teacher_phone.next().await, presence("s1", true));
    let mut student_laptop = Client::connect(a.addr, &s1).await;
    let mut classmate = Client::connect(b.addr, &s2).await;
    assert_eq!(teacher_desk.next().await, presence("s2", true));
    assert_eq!(teacher_phone.next().await, presence("s2", true));

    student_phone
        .send(json!({
            "action": "sendMessage",
            "conversationId": "s1+t1",
            "messageBody": "across the cluster",
            "clientMessageId": "m1",
        }))
        .await;
    let ack = student_phone.next().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let message = ack["message"].clone();
    assert_eq!(teacher_desk.next_message().await, message);
    assert_eq!(teacher_phone.next_message().await, message);
    assert_eq!(student_laptop.next_message().await, message);
    classmate.expect_silence().await;
    student_phone.expect_silence().await;

    // A REST send on one node reaches the sockets on the other, sender's included.
    let (status, sent) = a.send(&t1, "s1+t1", "t1", "seen from node B?").await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(student_phone.next_message().await, sent);
    assert_eq!(teacher_phone.next_message().await, sent);
    assert_eq!(student_laptop.next_message().await, sent);
    assert_eq!(teacher_desk.next_message().await, sent);
    classmate.expect_silence().await;

    // Typing goes to the other participant's connections only, across nodes.
    student_laptop
        .send(json!({"action": "typing", "conversationId": "s1+t1"}))
        .await;
    let typing = json!({"type": "typing", "conversationId": "s1+t1", "userId": "s1"});
    assert_eq!(teacher_phone.next().await, typing);
    assert_eq!(teacher_desk.next().await, typing);
    student_phone.expect_silence().await;
    classmate.expect_silence().await;
}
