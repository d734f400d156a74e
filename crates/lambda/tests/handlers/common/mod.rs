//! Shared test harness: the deployment over the DynamoDB emulator (fresh tables) with its
//! token signing secret read from the emulator's Secrets Manager, a fake API Gateway
//! Management API on loopback that records posts, and the event fixtures.
#![allow(dead_code)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_apigatewaymanagement::config::{Credentials, SharedCredentialsProvider};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use classchat_core::service::{Actor, NewUser};
use classchat_lambda::appsync::AppSyncPublisher;
use classchat_lambda::ws::WsHandler;
use classchat_lambda::{Deployment, JwtSecret, LambdaConfig};
use classchat_store_dynamodb::metering::RequestMeter;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The token signing secret, stored in the emulator's Secrets Manager by every harness.
pub const SECRET: &str = "lambda-test-secret-lambda-test-secret";
pub const PASSWORD: &str = "password-123";
/// Teachers `t1`, `t2`; students `s1`, `s2`. Links: t1–s1, t2–s2.
pub const USERS: [(&str, &str, &str); 4] = [
    ("t1", "Teacher One", "teacher"),
    ("t2", "Teacher Two", "teacher"),
    ("s1", "Student One", "student"),
    ("s2", "Student Two", "student"),
];
pub const LINKS: [(&str, &str); 2] = [("t1", "s1"), ("t2", "s2")];

/// A fixture under tests/fixtures as JSON.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Records every `POST /@connections/{id}` and `DELETE /@connections/{id}`; answers 410
/// for the ids in `gone`. Also stands in for the AppSync API: records every `POST
/// /graphql` (its `Authorization` header and body) and answers `{"data": {}}`.
#[derive(Clone, Default)]
pub struct FakeManagement {
    pub posts: Arc<Mutex<Vec<(String, Value)>>>,
    pub deleted: Arc<Mutex<Vec<String>>>,
    pub gone: Arc<Mutex<HashSet<String>>>,
    pub appsync: Arc<Mutex<Vec<(String, Value)>>>,
}

impl FakeManagement {
    /// Starts the server; its base URL.
    pub async fn start(&self) -> String {
        let app = Router::new()
            .route("/@connections/{id}", post(receive).delete(disconnect))
            .route("/graphql", post(appsync))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    /// The frames posted to `connection`, in order.
    pub fn frames_to(&self, connection: &str) -> Vec<Value> {
        let posts = self.posts.lock().unwrap();
        posts
            .iter()
            .filter(|(id, _)| id == connection)
            .map(|(_, frame)| frame.clone())
            .collect()
    }

    /// Every connection that got a post.
    pub fn recipients(&self) -> HashSet<String> {
        let posts = self.posts.lock().unwrap();
        posts.iter().map(|(id, _)| id.clone()).collect()
    }

    pub fn clear(&self) {
        self.posts.lock().unwrap().clear();
        self.appsync.lock().unwrap().clear();
    }

    /// The AppSync calls so far: each operation's name (its document's first word after
    /// `mutation`) and variables.
    pub fn appsync_calls(&self) -> Vec<(String, Value)> {
        let calls = self.appsync.lock().unwrap();
        calls
            .iter()
            .map(|(_, body)| {
                let document = body["query"].as_str().unwrap_or_default();
                let name = document.split_whitespace().nth(1).unwrap_or_default();
                let name = name.split('(').next().unwrap_or_default().to_owned();
                (name, body["variables"].clone())
            })
            .collect()
    }
}

async fn appsync(
    State(fake): State<FakeManagement>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::Json<Value> {
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = serde_json::from_slice(&body).expect("GraphQL requests are JSON");
    fake.appsync.lock().unwrap().push((authorization, body));
    axum::Json(serde_json::json!({"data": {}}))
}

async fn receive(
    State(fake): State<FakeManagement>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> impl IntoResponse {
    if fake.gone.lock().unwrap().contains(&id) {
        return (
            StatusCode::GONE,
            [("x-amzn-errortype", "GoneException")],
            r#"{"message":null}"#.to_owned(),
        );
    }
    let frame: Value = serde_json::from_slice(&body).expect("frames are JSON");
    fake.posts.lock().unwrap().push((id, frame));
    (StatusCode::OK, [("x-amzn-errortype", "")], String::new())
}

async fn disconnect(State(fake): State<FakeManagement>, Path(id): Path<String>) -> StatusCode {
    if fake.gone.lock().unwrap().contains(&id) {
        return StatusCode::GONE;
    }
    fake.deleted.lock().unwrap().push(id);
    StatusCode::NO_CONTENT
}

/// Everything a test needs.
pub struct Harness {
    pub deployment: Deployment,
    pub config: LambdaConfig,
    pub fake: FakeManagement,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub connections_table: String,
    pub user_info_table: String,
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Counts the deployment's DynamoDB requests (not the harness's own: `dynamo` is
    /// unmetered).
    pub meter: RequestMeter,
}

/// An SDK configuration with the emulator's placeholder credentials (and the HTTP client
/// every configuration is given: the SDK crates are built without a default one).
fn sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(classchat_store_dynamodb::https_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "test",
        )))
        .build()
}

/// A Secrets Manager client on the emulator (moto serves it on the DynamoDB port).
pub fn secrets_client() -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::config::Builder::from(&sdk_config())
        .endpoint_url(classchat_store_dynamodb::testing::emulator_endpoint())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// Stores `value` as a new secret on the emulator; its ARN.
pub async fn create_secret(value: &str) -> String {
    let name = format!(
        "classchat-jwt-{}",
        classchat_store_dynamodb::testing::fresh_prefix()
    );
    let endpoint = classchat_store_dynamodb::testing::emulator_endpoint();
    classchat_lambda::testing::create_secret(&endpoint, "us-east-1", &name, value)
        .await
        .expect("create a secret on the emulator")
}

impl Harness {
    /// Fresh tables on the emulator, the secret in its Secrets Manager (read back the way
    /// a cold start reads it), the seeded school, the fake Management API.
    pub async fn start() -> Self {
        let store = classchat_store_dynamodb::testing::fresh_store().await;
        let dynamo = store.client().clone();
        let connections_table = store.tables().connections.clone();
        let user_info_table = store.tables().user_info.clone();
        let fake = FakeManagement::default();
        let endpoint = fake.start().await;
        let secrets = secrets_client();
        let arn = create_secret(SECRET).await;
        let config = LambdaConfig::from_lookup(|name| match name {
            "CLASSCHAT_JWT_SECRET_ARN" => Some(arn.clone()),
            "CLASSCHAT_WS_ENDPOINT" => Some(endpoint.clone()),
            _ => None,
        })
        .expect("config");
        let meter = RequestMeter::new();
        let store = store.with_meter(&meter);
        let jwt_secret = JwtSecret::fetch(&secrets, &config.jwt_secret_arn)
            .await
            .expect("read the secret");
        let appsync = AppSyncPublisher::with_credentials(
            &format!("{endpoint}/graphql"),
            "us-east-1",
            SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "test")),
        )
        .expect("a publisher");
        let deployment = Deployment::from_parts(
            store,
            sdk_config(),
            config.management_endpoint.as_deref(),
            jwt_secret,
            Some(appsync),
        );
        seed(&deployment).await;
        Self {
            deployment,
            config,
            fake,
            dynamo,
            connections_table,
            user_info_table,
            secrets,
            meter,
        }
    }

    pub fn ws(&self) -> WsHandler {
        WsHandler::new(&self.deployment, &self.config)
    }

    pub fn http(&self) -> axum::Router {
        classchat_lambda::http::app(&self.deployment, &self.config)
    }

    /// A token for `user`, issued exactly as the login route issues them.
    pub async fn token(&self, user: &str) -> String {
        let user = self
            .deployment
            .service
            .authenticate(user, 0)
            .await
            .expect("seeded user");
        let signed_in = classchat_core::SignedIn {
            user,
            token_version: 0,
        };
        classchat_server::auth::Tokens::new(SECRET.as_bytes(), std::time::Duration::from_secs(600))
            .issue(&signed_in)
            .expect("issue")
            .token
    }

    /// The connection ids in the Connections table.
    pub async fn stored_connections(&self) -> HashSet<String> {
        let scan = self
            .dynamo
            .scan()
            .table_name(&self.connections_table)
            .send()
            .await
            .expect("scan Connections");
        scan.items()
            .iter()
            .filter_map(|item| item.get("connectionId")?.as_s().ok().cloned())
            .collect()
    }

    /// The Connections item of `connection`, if there is one (a consistent read).
    pub async fn connection_item(
        &self,
        connection: &str,
    ) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.dynamo
            .get_item()
            .table_name(&self.connections_table)
            .key(
                "connectionId",
                aws_sdk_dynamodb::types::AttributeValue::S(connection.into()),
            )
            .consistent_read(true)
            .send()
            .await
            .expect("read the Connections item")
            .item
    }

    /// Runs `$connect` for `user` on `connection`; the status.
    pub async fn connect(&self, user: &str, connection: &str) -> i64 {
        let token = self.token(user).await;
        self.connect_with(&token, connection).await
    }

    /// Runs `$connect` with `token` on `connection`; the status.
    pub async fn connect_with(&self, token: &str, connection: &str) -> i64 {
        let mut event = fixture("ws-connect.json");
        event["queryStringParameters"]["token"] = token.into();
        event["multiValueQueryStringParameters"]["token"] = serde_json::json!([token]);
        event["requestContext"]["connectionId"] = connection.into();
        let response = self
            .ws()
            .handle(serde_json::from_value(event).unwrap())
            .await;
        response.status_code
    }

    /// Runs `$disconnect` on `connection`; the status.
    pub async fn disconnect(&self, connection: &str) -> i64 {
        let mut event = fixture("ws-disconnect.json");
        event["requestContext"]["connectionId"] = connection.into();
        let response = self
            .ws()
            .handle(serde_json::from_value(event).unwrap())
            .await;
        response.status_code
    }

    /// Sends `frame` on `connection` through `route`; the status.
    pub async fn frame(&self, connection: &str, route: &str, frame: &Value) -> i64 {
        let mut event = fixture("ws-message.json");
        event["requestContext"]["connectionId"] = connection.into();
        event["requestContext"]["routeKey"] = route.into();
        event["body"] = frame.to_string().into();
        let response = self
            .ws()
            .handle(serde_json::from_value(event).unwrap())
            .await;
        response.status_code
    }
}

async fn seed(deployment: &Deployment) {
    for (user_id, display_name, role) in USERS {
        let new = NewUser {
            user_id,
            display_name,
            role,
            password: PASSWORD,
        };
        deployment
            .service
            .create_user(Actor::Operator, new)
            .await
            .unwrap_or_else(|e| panic!("seed {user_id}: {e}"));
    }
    for (teacher, student) in LINKS {
        deployment
            .service
            .add_link(Actor::Operator, teacher, student)
            .await
            .unwrap_or_else(|e| panic!("link {teacher}+{student}: {e}"));
    }
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
