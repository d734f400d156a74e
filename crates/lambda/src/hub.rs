//! [`ApiGatewayHub`]: the `Hub` of the serverless deployment. Recipients' connections come
//! from the `Connections` table; each gets the event's frame through the API Gateway
//! Management API (`POST /@connections/{id}`), at most [`FAN_OUT_CONCURRENCY`] at a time.
//! A connection API Gateway reports gone (410) is deleted so nobody posts to it again. A
//! revoked user's connections are told why and closed (`DELETE /@connections/{id}`).

use crate::connections::{ConnectionTable, LiveConnection};
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, SdkError};
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use classchat_core::{ChatError, Delivery, Event, Hub, Revocation, UserId};
use classchat_server::ws::frames::{chat_error_frame, event_frame};
use futures::{StreamExt, stream};
use std::sync::{Arc, RwLock};

/// Posts (and GSI queries) in flight at once for one event: enough to reach a class in
/// one round-trip time, few enough not to trip API Gateway's or DynamoDB's rate limits.
pub const FAN_OUT_CONCURRENCY: usize = 16;

/// What became of one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostOutcome {
    /// API Gateway accepted the frame.
    Delivered,
    /// The connection no longer exists (410 GoneException).
    Gone,
    /// Anything else (throttling, network); the client recovers with `sync`.
    Failed(String),
}

/// A client of the Management API of one WebSocket API stage.
#[derive(Debug, Clone)]
pub struct Management {
    client: aws_sdk_apigatewaymanagement::Client,
}

impl Management {
    /// A client for `endpoint` (`https://{domainName}/{stage}`, or a test server), signed
    /// with the credentials of `sdk`.
    pub fn new(sdk: &SdkConfig, endpoint: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk)
            .endpoint_url(endpoint)
            .build();
        Self {
            client: aws_sdk_apigatewaymanagement::Client::from_conf(config),
        }
    }

    /// The Management endpoint of the stage an event came from.
    pub fn endpoint_of(domain_name: &str, stage: &str) -> String {
        format!("https://{domain_name}/{stage}")
    }

    /// Posts one text frame to one connection.
    pub async fn post(&self, connection_id: &str, text: &str) -> PostOutcome {
        let sent = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(text.as_bytes()))
            .send()
            .await;
        match sent {
            Ok(_) => PostOutcome::Delivered,
            Err(SdkError::ServiceError(service))
                if matches!(service.err(), PostToConnectionError::GoneException(_))
                    || service.raw().status().as_u16() == 410 =>
            {
                PostOutcome::Gone
            }
            Err(error) => PostOutcome::Failed(DisplayErrorContext(&error).to_string()),
        }
    }
}

impl Management {
    /// Closes one connection (API Gateway sends the client a close frame); whether it is
    /// gone now (also when it was gone already).
    pub async fn disconnect(&self, connection_id: &str) -> bool {
        match self
            .client
            .delete_connection()
            .connection_id(connection_id)
            .send()
            .await
        {
            Ok(_) => true,
            Err(SdkError::ServiceError(service)) if service.raw().status().as_u16() == 410 => true,
            Err(error) => {
                tracing::warn!(
                    connection = connection_id,
                    detail = %DisplayErrorContext(&error),
                    "cannot close a connection"
                );
                false
            }
        }
    }
}

/// Delivers events to API Gateway WebSocket connections.
pub struct ApiGatewayHub {
    connections: ConnectionTable,
    sdk: SdkConfig,
    management: RwLock<Option<Arc<Management>>>,
}

impl ApiGatewayHub {
    /// A hub over `connections`, posting to `endpoint` when it is known up front (the HTTP
    /// function's configuration); otherwise the WebSocket function calls
    /// [`Self::learn_endpoint`] with its first event's domain and stage.
    pub fn new(sdk: SdkConfig, connections: ConnectionTable, endpoint: Option<&str>) -> Self {
        let management = endpoint.map(|url| Arc::new(Management::new(&sdk, url)));
        Self {
            connections,
            sdk,
            management: RwLock::new(management),
        }
    }

    /// Sets the Management endpoint unless one is configured already.
    pub fn learn_endpoint(&self, endpoint: &str) {
        let known = self.management.read().map(|m| m.is_some()).unwrap_or(true);
        if known {
            return;
        }
        if let Ok(mut slot) = self.management.write() {
            slot.get_or_insert_with(|| Arc::new(Management::new(&self.sdk, endpoint)));
        }
    }

    /// The connections table this hub reads.
    pub fn connections(&self) -> &ConnectionTable {
        &self.connections
    }

    fn management(&self) -> Option<Arc<Management>> {
        self.management.read().ok().and_then(|m| m.clone())
    }

    /// Posts `text` to one connection, deleting it when it is gone. Whether it arrived.
    pub async fn send(&self, connection_id: &str, text: &str) -> bool {
        let Some(management) = self.management() else {
            tracing::warn!("no Management API endpoint known; set CLASSCHAT_WS_ENDPOINT");
            return false;
        };
        match management.post(connection_id, text).await {
            PostOutcome::Delivered => true,
            PostOutcome::Gone => {
                tracing::debug!(connection = connection_id, "connection gone; forgetting it");
                if let Err(error) = self.connections.forget(connection_id).await {
                    tracing::warn!(%error, "cannot delete a gone connection");
                }
                false
            }
            PostOutcome::Failed(detail) => {
                tracing::warn!(connection = connection_id, %detail, "cannot post to connection");
                false
            }
        }
    }

    /// Closes a connection whose session ended, and forgets it.
    pub async fn disconnect(&self, connection_id: &str) {
        if let Some(management) = self.management() {
            management.disconnect(connection_id).await;
        }
        if let Err(error) = self.connections.forget(connection_id).await {
            tracing::warn!(%error, "cannot delete a closed connection; its TTL will");
        }
    }

    /// The live connections of `users`, queried concurrently; a failed query skips that
    /// user (best effort, like every delivery). Items are owned so the futures are `Send`
    /// for any borrow of the caller's slice.
    async fn connections_of(&self, users: &[UserId]) -> Vec<LiveConnection> {
        stream::iter(users.to_vec())
            .map(|user| {
                let table = self.connections.clone();
                async move { table.of_user(&user).await }
            })
            .buffer_unordered(FAN_OUT_CONCURRENCY)
            .filter_map(|found| async move {
                found
                    .inspect_err(|error| tracing::warn!(%error, "cannot look up connections"))
                    .ok()
            })
            .flat_map(stream::iter)
            .collect()
            .await
    }
}

#[async_trait]
impl Hub for ApiGatewayHub {
    async fn publish(&self, delivery: &Delivery, event: &Event) {
        let text = event_frame(event).to_text();
        let skip = delivery.skip.as_ref().map(|id| id.as_str());
        let targets: Vec<String> = self
            .connections_of(&delivery.recipients)
            .await
            .into_iter()
            .map(|connection| connection.connection_id)
            .filter(|id| Some(id.as_str()) != skip)
            .collect();
        let text = text.as_str();
        stream::iter(targets)
            .map(|id| async move { self.send(&id, text).await })
            .buffer_unordered(FAN_OUT_CONCURRENCY)
            .for_each(|_| async {})
            .await;
    }

    /// Tells each of the user's connections why its session ended, then closes it.
    async fn revoke(&self, user: &UserId, why: Revocation) {
        let frame = chat_error_frame(&ChatError::unauthorized(why.reason()), None);
        let frame = frame.as_str();
        stream::iter(self.connections_of(std::slice::from_ref(user)).await)
            .map(|connection| async move {
                self.send(&connection.connection_id, frame).await;
                self.disconnect(&connection.connection_id).await;
            })
            .buffer_unordered(FAN_OUT_CONCURRENCY)
            .for_each(|_| async {})
            .await;
    }

    async fn online(&self, users: &[UserId]) -> Vec<UserId> {
        let mut online: Vec<UserId> = self
            .connections_of(users)
            .await
            .into_iter()
            .map(|connection| connection.user)
            .collect();
        online.sort();
        online.dedup();
        online
    }
}
