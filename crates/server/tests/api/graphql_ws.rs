//! `GET /graphql`, the `graphql-transport-ws` socket, end to end with a protocol client:
//! the handshake and its close codes, subscriptions that get exactly their own events
//! (sent over REST, `/chat/ws` and GraphQL, each once, in order), refusals, and the socket
//! closing when the session ends.

use crate::common::ws::{WsClient, wait_for_connections};
use crate::common::{SECRET, TestApp, now_secs, sign_token, spawn_app, spawn_app_with};
use classchat_core::Limits;
use classchat_server::LiveConfig;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const WAIT: Duration = Duration::from_secs(10);

/// A `graphql-transport-ws` client (the families tests use it too).
pub(crate) struct Gql {
    stream: WebSocketStream<TcpStream>,
}

/// The upgrade request of a GraphQL socket, with `authorization` as its header if given.
fn upgrade_request(
    app: &TestApp,
    authorization: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    if let Some(authorization) = authorization {
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(authorization).unwrap(),
        );
    }
    request
}

impl Gql {
    /// Opens the socket (no `connection_init` yet).
    pub(crate) async fn open(app: &TestApp) -> Self {
        let request = upgrade_request(app, None);
        let tcp = TcpStream::connect(app.addr).await.unwrap();
        let (stream, response) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Self { stream }
    }

    /// Opens and initialises with `token`, expecting the ack.
    pub(crate) async fn connect(app: &TestApp, token: &str) -> Self {
        let mut client = Self::open(app).await;
        client
            .send(json!({"type": "connection_init", "payload": {"token": token}}))
            .await;
        assert_eq!(client.next().await, json!({"type": "connection_ack"}));
        client
    }

    pub(crate) async fn send(&mut self, message: Value) {
        self.stream
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    pub(crate) async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}))
            .await;
    }

    /// The next text message.
    pub(crate) async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a message in time")
                .expect("the socket open")
                .expect("a frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next two text messages, in the order of their operation ids (operations run
    /// side by side, so their messages may come in either order).
    pub(crate) async fn next_two(&mut self) -> [Value; 2] {
        let mut got = [self.next().await, self.next().await];
        got.sort_by_key(|message| message["id"].as_str().unwrap_or_default().to_owned());
        got
    }

    /// Reads until the server closes; its close code and reason.
    pub(crate) async fn closed(&mut self) -> (u16, String) {
        self.closed_within(WAIT).await
    }

    /// [`Self::closed`], waiting up to `limit`.
    pub(crate) async fn closed_within(&mut self, limit: Duration) -> (u16, String) {
        loop {
            let message = tokio::time::timeout(limit, self.stream.next())
                .await
                .expect("a close in time");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (frame.code.into(), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                    panic!("closed without a code")
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Nothing arrives for a while.
    pub(crate) async fn silent(&mut self) {
        if let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(Duration::from_millis(700), self.stream.next()).await
        {
            panic!("unexpected {text}");
        }
    }
}

pub(crate) const MESSAGE_ADDED: &str =
    "subscription($id: String!) { messageAdded(conversationId: $id) { messageBody author } }";
const INBOX: &str = "subscription { inbox { __typename ... on MessageEvent { message { messageBody } } ... on PresenceEvent { userId online } } }";

#[tokio::test]
async fn a_teacher_gets_each_message_once_whichever_transport_sent_it() {
    let app = spawn_app().await;
    let teacher = app.login("t1").await;
    let student = app.login("s1").await;
    let mut socket = Gql::connect(&app, &teacher).await;
    socket
        .subscribe("m", MESSAGE_ADDED, json!({"id": "t1+s1"}))
        .await;
    socket.subscribe("i", INBOX, json!({})).await;
    // Subscriptions start at once; a ping round trip makes sure they are running.
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.next().await, json!({"type": "pong"}));

    assert_eq!(
        app.send(&student, "s1+t1", "s1", "over REST").await.status,
        201
    );
    let mut chat = WsClient::connect(app.addr, &student).await;
    chat.send_json(json!({"action": "sendMessage", "conversationId": "s1+t1", "messageBody": "over the socket"}))
        .await;
    let sent = app
        .post(
            "/graphql",
            &student,
            json!({"query": "mutation { sendMessage(input: {conversationId: \"s1+t1\", messageBody: \"over GraphQL\"}) { messageId } }"}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    // Another conversation of the teacher: in the inbox, not in messageAdded.
    let other = app.login("s2").await;
    app.send(&other, "s2+t1", "s2", "from s2").await;

    let mut added = Vec::new();
    let mut inbox = Vec::new();
    let mut presence = 0;
    while added.len() < 3 || inbox.len() < 4 {
        let message = socket.next().await;
        assert_eq!(message["type"], "next", "{message}");
        match message["id"].as_str() {
            Some("m") => {
                added.push(message["payload"]["data"]["messageAdded"]["messageBody"].clone())
            }
            // The inbox also tells of s1 coming online (the `/chat/ws` socket).
            Some("i") => {
                let event = &message["payload"]["data"]["inbox"];
                match event["__typename"].as_str() {
                    Some("MessageEvent") => inbox.push(event["message"]["messageBody"].clone()),
                    Some("PresenceEvent") => presence += 1,
                    _ => panic!("{message}"),
                }
            }
            _ => panic!("{message}"),
        }
    }
    assert_eq!(
        added,
        [
            json!("over REST"),
            json!("over the socket"),
            json!("over GraphQL")
        ]
    );
    assert_eq!(
        inbox,
        [
            json!("over REST"),
            json!("over the socket"),
            json!("over GraphQL"),
            json!("from s2")
        ]
    );
    assert!(presence <= 1, "{presence} presence events");
    socket.silent().await;

    // `complete` stops one; the other goes on.
    socket.send(json!({"id": "m", "type": "complete"})).await;
    app.send(&student, "s1+t1", "s1", "after").await;
    let message = socket.next().await;
    assert_eq!(message["id"], "i", "{message}");
    socket.silent().await;
    app.stop().await;
}

#[tokio::test]
async fn only_participants_follow_a_conversation() {
    let app = spawn_app().await;
    let other = app.login("s2").await;
    let admin = app.login("admin").await;
    for token in [&other, &admin] {
        let mut socket = Gql::connect(&app, token).await;
        socket
            .subscribe("m", MESSAGE_ADDED, json!({"id": "s1+t1"}))
            .await;
        let refused = socket.next().await;
        assert_eq!(refused["type"], "next", "{refused}");
        assert_eq!(
            refused["payload"]["errors"][0]["extensions"]["code"],
            "forbidden"
        );
        assert_eq!(socket.next().await, json!({"type": "complete", "id": "m"}));
    }
    app.stop().await;
}

#[tokio::test]
async fn the_handshake_closes_with_the_protocols_codes() {
    let app = spawn_app().await;
    let token = app.login("s1").await;

    let mut bad = Gql::open(&app).await;
    bad.send(json!({"type": "connection_init", "payload": {"token": "not a token"}}))
        .await;
    assert_eq!(bad.closed().await.0, 4403);

    let mut early = Gql::open(&app).await;
    early.subscribe("1", INBOX, json!({})).await;
    assert_eq!(early.closed().await.0, 4401);

    let mut twice = Gql::connect(&app, &token).await;
    twice
        .send(json!({"type": "connection_init", "payload": {"token": token}}))
        .await;
    assert_eq!(twice.closed().await.0, 4429);

    let mut duplicate = Gql::connect(&app, &token).await;
    duplicate.subscribe("1", INBOX, json!({})).await;
    duplicate.subscribe("1", INBOX, json!({})).await;
    assert_eq!(duplicate.closed().await.0, 4409);

    let mut garbage = Gql::connect(&app, &token).await;
    garbage.send(json!({"type": "dance"})).await;
    assert_eq!(garbage.closed().await.0, 4400);
    app.stop().await;
}

#[tokio::test]
async fn disabling_the_subscriber_ends_the_socket_with_the_reason() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let admin = app.login("admin").await;
    let mut socket = Gql::connect(&app, &student).await;
    socket.subscribe("i", INBOX, json!({})).await;
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.next().await, json!({"type": "pong"}));
    let disabled = app
        .request(
            reqwest::Method::PATCH,
            "/admin/users/s1",
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 4403);
    assert!(reason.contains("disabled"), "{reason}");
    app.stop().await;
}

#[tokio::test]
async fn a_short_lived_token_ends_the_socket_at_its_expiry() {
    let app = spawn_app().await;
    let token = sign_token(SECRET, "s1", "student", now_secs() + 2);
    let mut socket = Gql::connect(&app, &token).await;
    socket.subscribe("i", INBOX, json!({})).await;
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 4403);
    assert!(reason.contains("expired"), "{reason}");
    app.stop().await;
}

#[tokio::test]
async fn a_silent_client_is_closed_after_ten_seconds() {
    let app = spawn_app().await;
    let mut socket = Gql::open(&app).await;
    let started = std::time::Instant::now();
    let (code, _) = socket.closed_within(Duration::from_secs(30)).await;
    assert_eq!(code, 4408);
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_bad_header_token_is_refused_before_the_upgrade() {
    let app = spawn_app().await;
    let request = upgrade_request(&app, Some("Bearer not-a-token"));
    let tcp = TcpStream::connect(app.addr).await.unwrap();
    match tokio_tungstenite::client_async(request, tcp).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    // A good one in the header needs no token in connection_init.
    let token = app.login("s1").await;
    let request = upgrade_request(&app, Some(&format!("Bearer {token}")));
    let tcp = TcpStream::connect(app.addr).await.unwrap();
    let (stream, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    let mut socket = Gql { stream };
    socket.send(json!({"type": "connection_init"})).await;
    assert_eq!(socket.next().await, json!({"type": "connection_ack"}));
    app.stop().await;
}

/// A server pinging every 200 ms, and holding at most two connections per user.
async fn spawn_quick_app(dir: &tempfile::TempDir) -> TestApp {
    let live = LiveConfig {
        ping_interval: Duration::from_millis(200),
        connections_per_user: 2,
        ..LiveConfig::default()
    };
    spawn_app_with(dir.path().join("classchat.db"), Limits::default(), live).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_answering_pings_is_closed_and_a_reading_one_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_quick_app(&dir).await;
    let silent_token = app.login("s1").await;
    let reading_token = app.login("t1").await;
    let mut silent = Gql::connect(&app, &silent_token).await;
    let mut reading = Gql::connect(&app, &reading_token).await;

    // The reading client answers the server's pings while it listens (tungstenite does, as
    // browsers do); the silent one reads nothing, so it never answers.
    for _ in 0..3 {
        reading.silent().await;
    }
    wait_for_connections(&app, 1, WAIT).await;
    let (code, reason) = silent.closed().await;
    assert_eq!(code, 1001, "{reason}");

    reading.send(json!({"type": "ping"})).await;
    assert_eq!(reading.next().await, json!({"type": "pong"}));
    app.stop().await;
}

#[tokio::test]
async fn a_user_at_the_connection_cap_is_refused_before_the_upgrade_when_the_header_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_quick_app(&dir).await;
    let token = app.login("s1").await;
    let _first = Gql::connect(&app, &token).await;
    let _second = Gql::connect(&app, &token).await;

    let request = upgrade_request(&app, Some(&format!("Bearer {token}")));
    let tcp = TcpStream::connect(app.addr).await.unwrap();
    match tokio_tungstenite::client_async(request, tcp).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["error"]["code"], "too_many_connections");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    // Named only by `connection_init`, the user is known after the upgrade: 4403 and why.
    let mut third = Gql::open(&app).await;
    third
        .send(json!({"type": "connection_init", "payload": {"token": token}}))
        .await;
    let (code, reason) = third.closed().await;
    assert_eq!(code, 4403);
    assert!(reason.contains("connections"), "{reason}");
    app.stop().await;
}

#[tokio::test]
async fn unlinking_ends_a_subscription_to_the_conversation_and_tells_every_channel() {
    let app = spawn_app().await;
    let teacher = app.login("t1").await;
    let admin = app.login("admin").await;
    let mut socket = Gql::connect(&app, &teacher).await;
    socket
        .subscribe("m", MESSAGE_ADDED, json!({"id": "s1+t1"}))
        .await;
    socket
        .subscribe("other", MESSAGE_ADDED, json!({"id": "s2+t1"}))
        .await;
    socket
        .subscribe(
            "i",
            "subscription { inbox { ... on LinkEvent { conversationId linked } } }",
            json!({}),
        )
        .await;
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.next().await, json!({"type": "pong"}));
    let mut chat = WsClient::connect(app.addr, &teacher).await;

    let unlinked = app
        .request(
            reqwest::Method::DELETE,
            "/admin/links?teacherId=t1&studentId=s1",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(unlinked.status, 204, "{}", unlinked.body);

    // The inbox hears of it; the subscription to that conversation ends with the reason
    // (an `error`, which is its end); the one to another conversation goes on.
    let got = socket.next_two().await;
    assert_eq!(
        got[0],
        json!({"id": "i", "type": "next", "payload": {"data": {"inbox": {"conversationId": "s1+t1", "linked": false}}}})
    );
    assert_eq!(got[1]["id"], "m");
    assert_eq!(got[1]["type"], "next", "{}", got[1]);
    assert_eq!(
        got[1]["payload"]["errors"][0]["extensions"]["code"],
        "not_linked"
    );
    assert_eq!(socket.next().await, json!({"id": "m", "type": "complete"}));
    // `/chat/ws` clients are told too.
    assert_eq!(
        chat.next_frame(Duration::from_secs(10)).await,
        json!({"type": "link", "conversationId": "s1+t1", "linked": false})
    );

    let sent = app.send(&teacher, "s2+t1", "t1", "still here").await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    // The inbox gets it too (as an event this query selects nothing of).
    let got = socket.next_two().await;
    assert_eq!(got[0]["payload"]["data"], json!({"inbox": {}}));
    assert_eq!(got[1]["id"], "other");
    assert_eq!(
        got[1]["payload"]["data"]["messageAdded"]["messageBody"],
        "still here"
    );
    socket.silent().await;
    app.stop().await;
}
