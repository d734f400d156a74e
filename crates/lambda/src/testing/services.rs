//! The AWS services a function talks to, stood in for on loopback: the token signing secret
//! stored in an emulator's Secrets Manager (moto serves it on its DynamoDB port), and a
//! Management API that accepts every post ([`ManagementSink`]). Callers that need to look
//! at the frames (the handler tests) keep their own recording server.

use super::EmulatorError;
use aws_credential_types::Credentials;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Stores `value` as a new secret named `name` in the Secrets Manager at `endpoint` (an
/// emulator: placeholder credentials); its ARN, for `CLASSCHAT_JWT_SECRET_ARN`.
pub async fn create_secret(
    endpoint: &str,
    region: &str,
    name: &str,
    value: &str,
) -> Result<String, EmulatorError> {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
        .endpoint_url(endpoint)
        .http_client(classchat_store_dynamodb::https_client())
        .build();
    let created = aws_sdk_secretsmanager::Client::from_conf(config)
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .map_err(|error| {
            EmulatorError::Service(format!(
                "create the secret {name} at {endpoint}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&error)
            ))
        })?;
    created
        .arn()
        .map(str::to_owned)
        .ok_or_else(|| EmulatorError::Service(format!("{endpoint} returned no ARN for {name}")))
}

/// A Management API on loopback that accepts every `POST /@connections/{id}` (and
/// `DELETE`) and counts the posts per connection. Stops when dropped.
pub struct ManagementSink {
    url: String,
    posts: Arc<Mutex<HashMap<String, usize>>>,
    server: tokio::task::JoinHandle<()>,
}

impl ManagementSink {
    /// Serves on `127.0.0.1` (a free port).
    pub async fn start() -> Result<Self, EmulatorError> {
        let posts = Arc::new(Mutex::new(HashMap::new()));
        let app = Router::new()
            .route(
                "/@connections/{id}",
                post(receive).delete(|| async { StatusCode::NO_CONTENT }),
            )
            .with_state(Arc::clone(&posts));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| EmulatorError::Start {
                what: "the Management API sink".into(),
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Start {
                what: "the Management API sink".into(),
                source,
            })?;
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the Management API sink stopped");
            }
        });
        Ok(Self {
            url: format!("http://{addr}"),
            posts,
            server,
        })
    }

    /// Its base URL: the value of `CLASSCHAT_WS_ENDPOINT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Frames posted to `connection` so far.
    pub fn posts_to(&self, connection: &str) -> usize {
        let posts = self
            .posts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        posts.get(connection).copied().unwrap_or_default()
    }
}

impl Drop for ManagementSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(
    State(posts): State<Arc<Mutex<HashMap<String, usize>>>>,
    Path(id): Path<String>,
) -> StatusCode {
    let mut posts = posts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *posts.entry(id).or_default() += 1;
    StatusCode::OK
}
