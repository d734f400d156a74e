//! Safeguarding end to end: edits and removals that are never silent, paused
//! conversations, reports and the admin moderation queue, and the school's flag words —
//! over REST and `/chat/ws`, with the audit log each step leaves.

use crate::common::ws::{FRAME_WAIT, WsClient, connect, presence};
use crate::common::{Reply, TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

mod edits;
mod pauses;
mod reports;

/// The seeded school, signed in as the participants of `s1+t1` and the admin.
struct School {
    app: TestApp,
    s1: String,
    t1: String,
    admin: String,
}

impl School {
    async fn open() -> Self {
        let app = spawn_app().await;
        let (s1, t1, admin) = (
            app.login("s1").await,
            app.login("t1").await,
            app.login("admin").await,
        );
        Self { app, s1, t1, admin }
    }

    /// Sends `text` into `s1+t1` as `author` and returns the stored message.
    async fn send(&self, author: &str, text: &str) -> Value {
        let token = self.token(author);
        let sent = self.app.send(token, "s1+t1", author, text).await;
        assert_eq!(sent.status, 201, "{}", sent.body);
        sent.body
    }

    fn token(&self, user: &str) -> &str {
        match user {
            "s1" => &self.s1,
            "t1" => &self.t1,
            "admin" => &self.admin,
            other => panic!("no token for {other}"),
        }
    }

    /// `POST /chat/edit` of the message at `timestamp` in `s1+t1`.
    async fn edit(&self, token: &str, timestamp: &str, text: &str) -> Reply {
        self.app
            .post(
                "/chat/edit",
                token,
                json!({"conversationId": "s1+t1", "timestamp": timestamp, "messageBody": text}),
            )
            .await
    }

    /// `POST /chat/remove` of the message at `timestamp` in `s1+t1`.
    async fn remove(&self, token: &str, timestamp: &str) -> Reply {
        self.app
            .post(
                "/chat/remove",
                token,
                json!({"conversationId": "s1+t1", "timestamp": timestamp}),
            )
            .await
    }

    /// `PATCH /admin/settings` with `patch`, as the admin.
    async fn settings(&self, patch: Value) -> Reply {
        self.app
            .request(
                Method::PATCH,
                "/admin/settings",
                Some(&self.admin),
                Some(patch),
            )
            .await
    }

    /// The audit log, oldest first, as `(actor, action, target)`.
    async fn audit(&self) -> Vec<(String, String, String)> {
        let reply = self.app.get("/admin/audit?limit=200", &self.admin).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let mut entries: Vec<_> = reply.body["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|entry| {
                let field = |name: &str| entry[name].as_str().unwrap_or_default().to_owned();
                (field("actor"), field("action"), field("target"))
            })
            .collect();
        entries.reverse();
        entries
    }

    /// Whether the audit log holds `action` by `actor` on `target`.
    async fn audited(&self, actor: &str, action: &str, target: &str) -> bool {
        self.audit()
            .await
            .contains(&(actor.to_owned(), action.to_owned(), target.to_owned()))
    }

    /// Sockets of t1 and s1, each ready (t1 has seen s1 come online).
    async fn sockets(&self) -> (WsClient, WsClient) {
        let mut teacher = connect(&self.app, "t1").await;
        let student = connect(&self.app, "s1").await;
        assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("s1", true));
        (teacher, student)
    }
}

/// The timestamp of a stored message.
fn timestamp(message: &Value) -> String {
    message["timestamp"]
        .as_str()
        .unwrap_or_else(|| panic!("no timestamp in {message}"))
        .to_owned()
}

/// The query string naming a message of `s1+t1`, for `/admin/messages/history`.
fn history_path(timestamp: &str) -> String {
    format!("/admin/messages/history?conversationId=s1%2Bt1&timestamp={timestamp}")
}
