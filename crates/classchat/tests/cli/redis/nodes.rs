//! A small cluster for tests: one store (a real SQLite file) shared by several nodes, each
//! a real server on port 0 with its own registry and a `RedisHub`.

use classchat_core::service::{Actor, NewUser};
use classchat_core::{ChatService, Store, SystemClock};
use classchat_hub_redis::{RedisHub, RedisHubConfig};
use classchat_server::{Live, LiveConfig, Server, ServerConfig, build_app};
use classchat_store_sqlite::{SqliteOptions, SqliteStore};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

const SECRET: &[u8] = b"a test secret shared by every node of the cluster";
const PASSWORD: &str = "correct horse battery";

/// The school: (id, name, role) and (teacher, student) links.
const USERS: [(&str, &str, &str); 6] = [
    ("admin", "Office", "admin"),
    ("t1", "Teacher One", "teacher"),
    ("t2", "Teacher Two", "teacher"),
    ("s1", "Student One", "student"),
    ("s2", "Student Two", "student"),
    ("s3", "Student Three", "student"),
];
const LINKS: [(&str, &str); 2] = [("t1", "s1"), ("t1", "s2")];

/// The shared store, seeded, and the place it lives.
pub struct Cluster {
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// A fresh seeded store.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(dir.path().join("classchat.db"), SqliteOptions::default())
                .expect("open store"),
        );
        let service = ChatService::new(Arc::clone(&store), Arc::new(SystemClock));
        for (user_id, display_name, role) in USERS {
            let new = NewUser {
                user_id,
                display_name,
                role,
                password: PASSWORD,
            };
            service
                .create_user(Actor::Operator, new)
                .await
                .expect("seed user");
        }
        for (teacher, student) in LINKS {
            service
                .add_link(Actor::Operator, teacher, student)
                .await
                .expect("seed link");
        }
        Self { store, _dir: dir }
    }

    /// Starts a node on this store, fanning out through the Redis at `redis_url`.
    pub async fn node(&self, redis_url: &str) -> Node {
        let live = Live::new(LiveConfig::default());
        let config = RedisHubConfig {
            url: redis_url.to_owned(),
            namespace: "classchat:test".to_owned(),
        };
        let hub = RedisHub::connect(&config, Arc::clone(live.registry()))
            .await
            .expect("connect the hub");
        hub.use_store(Arc::clone(&self.store));
        let service =
            ChatService::new(Arc::clone(&self.store), Arc::new(SystemClock)).with_hub(hub.clone());
        let app = build_app(
            Arc::new(service),
            &live,
            &ServerConfig::with_secret(SECRET.to_vec()),
        );
        let server = Server::bind("127.0.0.1:0".parse().expect("address"), app)
            .await
            .expect("bind");
        let addr = server.local_addr().expect("bound address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let closing = live.clone();
        tokio::spawn(async move {
            let _ = server
                .run(async move {
                    let _ = stopped.await;
                    closing.shut_down();
                })
                .await;
        });
        Node {
            addr,
            live,
            http: reqwest::Client::new(),
            hub,
            _stop: stop,
        }
    }
}

/// One running node.
pub struct Node {
    pub addr: SocketAddr,
    pub live: Live,
    pub hub: Arc<RedisHub>,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Node {
    /// Logs `user` in on this node; the token is good on every node.
    pub async fn login(&self, user: &str) -> String {
        let reply: Value = self
            .http
            .post(format!("http://{}/auth/login", self.addr))
            .json(&json!({"userId": user, "password": PASSWORD}))
            .send()
            .await
            .expect("login request")
            .json()
            .await
            .expect("login JSON");
        reply["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {reply}"))
            .to_owned()
    }

    /// `POST /chat/send` on this node; returns the status and the JSON body.
    pub async fn send(
        &self,
        token: &str,
        conversation: &str,
        author: &str,
        body: &str,
    ) -> (u16, Value) {
        let response = self
            .http
            .post(format!("http://{}/chat/send", self.addr))
            .bearer_auth(token)
            .json(&json!({"conversationId": conversation, "author": author, "messageBody": body}))
            .send()
            .await
            .expect("send request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}
