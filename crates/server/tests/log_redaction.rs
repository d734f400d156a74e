//! Tokens never reach the logs: request logs carry the path but not the query string, so
//! `/chat/ws?token=…` and any other query stays out of them.

mod common;

use common::spawn_app;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tokens_in_query_strings_never_appear_in_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    // Everything at TRACE, except the test's own WebSocket client, which logs the URL it
    // dials (that is the client's log, not the server's).
    let filter = tracing_subscriber::EnvFilter::new("trace,tungstenite::handshake::client=off");
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || writer.clone())
        .init();

    let app = spawn_app().await;
    let token = app.login("s1").await;
    // A WebSocket handshake carrying the token in its query string…
    let url = format!("ws://{}/chat/ws?token={token}", app.addr);
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    drop(socket);
    // …and a REST call with a query string.
    let read = app
        .get("/chat/read?conversationId=s1%2Bt1&limit=5", &token)
        .await;
    assert_eq!(read.status, 200);
    app.stop().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("/chat/ws"), "the request was logged: {logs}");
    let leaks: Vec<&str> = logs.lines().filter(|line| line.contains(&token)).collect();
    assert!(
        leaks.is_empty(),
        "the token leaked into the logs: {leaks:#?}"
    );
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        !logs.contains(signature),
        "part of the token leaked into the logs"
    );
}
