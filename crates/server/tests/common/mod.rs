//! `spawn_app()`: a real classchat server on port 0 over a fresh SQLite file, a seeded
//! school, and a typed HTTP client — so each test reads like a user story.
#![allow(dead_code)]

pub mod ws;

use classchat_core::hashing::HashingConfig;
use classchat_core::rate::Rate;
use classchat_core::service::{Actor, NewUser};
use classchat_core::{ChatService, Limits, SystemClock};
use classchat_server::{Live, LiveConfig, Server, ServerConfig, build_app};
use classchat_store_sqlite::{SqliteOptions, SqliteStore};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The secret every test server signs with, so tests can forge expired tokens.
pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret";
/// Every seeded user's password.
pub const PASSWORD: &str = "password-123";

/// The seeded school: admin `admin`; teachers `t1`, `t2`; students `s1`, `s2`, `s3`.
/// Links: t1–s1, t1–s2, t2–s2. `s3` is linked to nobody.
pub const USERS: [(&str, &str, &str); 6] = [
    ("admin", "Office", "admin"),
    ("t1", "Teacher One", "teacher"),
    ("t2", "Teacher Two", "teacher"),
    ("s1", "Student One", "student"),
    ("s2", "Student Two", "student"),
    ("s3", "Student Three", "student"),
];
/// (teacher, student) links of the seeded school.
pub const LINKS: [(&str, &str); 3] = [("t1", "s1"), ("t1", "s2"), ("t2", "s2")];

/// A running server and a client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db_path: PathBuf,
    /// The live registry, to count sockets.
    pub live: Live,
    /// The store the server runs on, for tests that check what is stored without going
    /// through (and being audited by) the API.
    pub store: Arc<dyn classchat_core::Store>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

/// A response: status, headers and parsed JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `error.code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }

    /// Asserts the status and error code of a refusal.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

/// Starts a server on a fresh database with the seeded school.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("classchat.db");
    let app = spawn_app_at(db_path).await;
    TestApp {
        _dir: Some(dir),
        ..app
    }
}

/// Starts a server over the database at `db_path` (which may hold data already), without
/// a send rate limit.
pub async fn spawn_app_at(db_path: PathBuf) -> TestApp {
    let limits = Limits {
        send: Rate::UNLIMITED,
        ..Limits::default()
    };
    spawn_app_with(db_path, limits, LiveConfig::default()).await
}

/// Starts a server over the database at `db_path` with these limits.
pub async fn spawn_app_with(db_path: PathBuf, limits: Limits, live_config: LiveConfig) -> TestApp {
    let config = ServerConfig::with_secret(SECRET.to_vec());
    spawn_app_configured(db_path, limits, live_config, config).await
}

/// Starts a server over the database at `db_path` with these limits and server settings
/// (connection limits, proxy header…).
pub async fn spawn_app_configured(
    db_path: PathBuf,
    limits: Limits,
    live_config: LiveConfig,
    config: ServerConfig,
) -> TestApp {
    spawn_app_customised(db_path, live_config, config, |service| {
        service.with_limits(limits)
    })
    .await
}

/// Starts a server without a send rate limit whose passwords are hashed with `hashing`.
pub async fn spawn_app_hashing(db_path: PathBuf, hashing: HashingConfig) -> TestApp {
    let limits = Limits {
        send: Rate::UNLIMITED,
        ..Limits::default()
    };
    let config = ServerConfig::with_secret(SECRET.to_vec());
    spawn_app_customised(db_path, LiveConfig::default(), config, |service| {
        service.with_limits(limits).with_hashing(hashing)
    })
    .await
}

/// Starts a server whose service `customise` finishes (limits, hashing…).
pub async fn spawn_app_customised(
    db_path: PathBuf,
    live_config: LiveConfig,
    config: ServerConfig,
    customise: impl FnOnce(ChatService) -> ChatService,
) -> TestApp {
    // CLASSCHAT_STORE=dynamodb runs every test again on DynamoDB (tables per db_path).
    let store: Arc<dyn classchat_core::Store> = match std::env::var("CLASSCHAT_STORE").as_deref() {
        Ok("dynamodb") => {
            Arc::new(classchat_store_dynamodb::testing::store_for_path(&db_path).await)
        }
        _ => Arc::new(SqliteStore::open(&db_path, SqliteOptions::default()).expect("open store")),
    };
    let live = Live::new(live_config);
    let service =
        customise(ChatService::new(Arc::clone(&store), Arc::new(SystemClock)).with_hub(live.hub()));
    let service = Arc::new(service);
    seed_users(&service).await;
    let app = build_app(service, &live, &config);
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), app)
        .await
        .expect("bind")
        .with_limits(config.connections);
    let addr = server.local_addr().unwrap();
    let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
    let closing = live.clone();
    let handle = tokio::spawn(async move {
        server
            .run(async move {
                let _ = stop.await;
                closing.shut_down();
            })
            .await
            .expect("server");
    });
    TestApp {
        addr,
        client: reqwest::Client::new(),
        db_path,
        live,
        store,
        shutdown: Some(shutdown),
        server: Some(handle),
        _dir: None,
    }
}

/// Creates the seeded users and links unless they exist (a restarted app keeps them).
async fn seed_users(service: &ChatService) {
    for (user_id, display_name, role) in USERS {
        let new = NewUser {
            user_id,
            display_name,
            role,
            password: PASSWORD,
        };
        match service.create_user(Actor::Operator, new).await {
            Ok(_) => {}
            Err(error) if error.code() == classchat_core::ErrorCode::Conflict => {}
            Err(error) => panic!("seeding {user_id}: {error}"),
        }
    }
    for (teacher, student) in LINKS {
        match service.add_link(Actor::Operator, teacher, student).await {
            Ok(_) => {}
            Err(error) if error.code() == classchat_core::ErrorCode::Conflict => {}
            Err(error) => panic!("linking {teacher}+{student}: {error}"),
        }
    }
}

/// The families some tests add to the seeded school (`TestApp::seed_families`):
/// guardians `g1` (of s1), `g2` (of s2) and `g3` (of nobody), password [`PASSWORD`].
pub const GUARDIANS: [(&str, &str, Option<&str>); 3] = [
    ("g1", "Guardian One", Some("s1")),
    ("g2", "Guardian Two", Some("s2")),
    ("g3", "Guardian Three", None),
];

impl TestApp {
    /// Adds [`GUARDIANS`] through the admin API, as a school would.
    pub async fn seed_families(&self) {
        let admin = self.login("admin").await;
        for (user_id, display_name, child) in GUARDIANS {
            let created = self
                .post(
                    "/admin/users",
                    &admin,
                    json!({"userId": user_id, "displayName": display_name, "role": "guardian", "password": PASSWORD}),
                )
                .await;
            assert_eq!(created.status, 201, "{}", created.body);
            if let Some(child) = child {
                let linked = self
                    .post(
                        "/admin/guardians",
                        &admin,
                        json!({"guardianId": user_id, "studentId": child}),
                    )
                    .await;
                assert_eq!(linked.status, 201, "{}", linked.body);
            }
        }
    }

    /// `http://addr{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        into_reply(request.send().await.expect("request")).await
    }

    /// Sends a request with the `Authorization` header exactly as given (or none), for
    /// tests of malformed credentials.
    pub async fn request_with_authorization(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(authorization) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        into_reply(request.send().await.expect("request")).await
    }

    /// Sends a raw body (for malformed-JSON tests).
    pub async fn post_raw(&self, path: &str, token: &str, body: impl Into<reqwest::Body>) -> Reply {
        self.post_raw_as(path, Some(token), body).await
    }

    /// Sends a raw body with an optional bearer token (for malformed logins, which have none).
    pub async fn post_raw_as(
        &self,
        path: &str,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        into_reply(request.send().await.expect("request")).await
    }

    /// `POST` of raw bytes with this `Content-Type` (a roster zip), with an optional token.
    pub async fn post_bytes(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        into_reply(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    /// `POST /auth/login` from the loopback address `from` (any of 127.0.0.0/8), so tests
    /// can be several clients as far as per-address limits go.
    pub async fn login_from(&self, from: std::net::IpAddr, user_id: &str, password: &str) -> Reply {
        self.login_body_from(from, json!({"userId": user_id, "password": password}))
            .await
    }

    /// `POST /auth/login` with this body from the loopback address `from`.
    pub async fn login_body_from(&self, from: std::net::IpAddr, body: Value) -> Reply {
        let client = reqwest::Client::builder()
            .local_address(from)
            .build()
            .expect("client");
        let response = client
            .post(self.url("/auth/login"))
            .json(&body)
            .send()
            .await
            .expect("request");
        into_reply(response).await
    }

    /// Logs in and returns the token.
    pub async fn login(&self, user_id: &str) -> String {
        let reply = self
            .request(
                Method::POST,
                "/auth/login",
                None,
                Some(json!({"userId": user_id, "password": PASSWORD})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login {user_id}: {}",
            reply.body
        );
        reply.body["token"].as_str().expect("token").to_owned()
    }

    /// `POST /chat/send` as `author` with `token`.
    pub async fn send(&self, token: &str, conversation: &str, author: &str, text: &str) -> Reply {
        self.post(
            "/chat/send",
            token,
            json!({"conversationId": conversation, "author": author, "messageBody": text}),
        )
        .await
    }

    /// `GET /chat/read` with the conversation id properly escaped and extra query text.
    pub async fn read(&self, token: &str, conversation: &str, extra: &str) -> Reply {
        let path = format!(
            "/chat/read?conversationId={}{extra}",
            conversation.replace('+', "%2B")
        );
        self.get(&path, token).await
    }

    /// Every message of a conversation, oldest first, by paging back with `before`.
    pub async fn read_all(&self, token: &str, conversation: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let extra = match &before {
                Some(cursor) => format!("&limit=200&before={cursor}"),
                None => "&limit=200".to_owned(),
            };
            let reply = self.read(token, conversation, &extra).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let page = reply.body["messages"].as_array().expect("messages").clone();
            let has_more = reply.body["hasMore"].as_bool().expect("hasMore");
            before = page
                .first()
                .map(|m| m["timestamp"].as_str().unwrap().to_owned());
            all.splice(0..0, page);
            if !has_more {
                return all;
            }
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }
}

async fn into_reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// Signs a token with `secret` for `sub`, expiring at Unix second `exp`.
pub fn sign_token(secret: &[u8], sub: &str, role: &str, exp: u64) -> String {
    let claims = classchat_server::auth::Claims {
        sub: sub.into(),
        role: role.into(),
        iat: 0,
        exp,
        ver: 0,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
