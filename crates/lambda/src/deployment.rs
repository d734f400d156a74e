//! Wiring shared by both functions: one store, one hub, one `ChatService` per process,
//! built once at cold start and reused by every invocation.

use crate::config::LambdaConfig;
use crate::connections::ConnectionTable;
use crate::error::LambdaError;
use crate::hub::ApiGatewayHub;
use aws_config::{BehaviorVersion, SdkConfig};
use classchat_core::{ChatService, SystemClock};
use classchat_store_dynamodb::DynamoStore;
use std::sync::Arc;

/// The service and the hub it publishes to.
#[derive(Clone)]
pub struct Deployment {
    /// The use-cases, publishing through [`Self::hub`].
    pub service: Arc<ChatService>,
    /// The API Gateway hub (the WebSocket function also posts replies through it).
    pub hub: Arc<ApiGatewayHub>,
}

impl Deployment {
    /// Builds everything from the environment's AWS configuration (the function role's
    /// credentials and region) and `config`. Makes no request.
    pub async fn connect(config: &LambdaConfig) -> Result<Self, LambdaError> {
        let store = DynamoStore::connect(&config.dynamo).await?;
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Ok(Self::from_parts(
            store,
            sdk,
            config.management_endpoint.as_deref(),
        ))
    }

    /// Builds everything over a store and SDK configuration made elsewhere (tests point
    /// both at emulators on loopback).
    pub fn from_parts(store: DynamoStore, sdk: SdkConfig, management: Option<&str>) -> Self {
        let connections = ConnectionTable::new(store.client().clone(), store.tables());
        let hub = Arc::new(ApiGatewayHub::new(sdk, connections, management));
        let service = ChatService::new(Arc::new(store), Arc::new(SystemClock))
            .with_hub(Arc::clone(&hub) as Arc<dyn classchat_core::Hub>);
        Self {
            service: Arc::new(service),
            hub,
        }
    }
}
