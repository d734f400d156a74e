//! Wiring shared by the functions: one store, one hub, one `ChatService` and the token
//! signing secret per process, built once at cold start and reused by every invocation.
//! With an AppSync API (`CLASSCHAT_APPSYNC_URL`), the service's hub also publishes there.

use crate::appsync::{AppSyncHub, AppSyncPublisher};
use crate::config::LambdaConfig;
use crate::connections::ConnectionTable;
use crate::error::LambdaError;
use crate::hub::ApiGatewayHub;
use crate::secret::JwtSecret;
use aws_config::SdkConfig;
use classchat_core::{ChatService, SystemClock};
use classchat_store_dynamodb::DynamoStore;
use std::sync::Arc;

/// The service, the hub it publishes to, and the secret tokens are signed with.
#[derive(Clone)]
pub struct Deployment {
    /// The use-cases, publishing through [`Self::hub`].
    pub service: Arc<ChatService>,
    /// The API Gateway hub (the WebSocket function also posts replies through it).
    pub hub: Arc<ApiGatewayHub>,
    /// Read once from Secrets Manager and kept for the life of the process.
    jwt_secret: JwtSecret,
}

impl Deployment {
    /// Builds everything from the environment's AWS configuration (the function role's
    /// credentials and region) and `config`. Makes one request: reading the token signing
    /// secret, which fails the cold start (with the reason in the log) if it cannot be
    /// read or is shorter than 32 bytes.
    pub async fn connect(config: &LambdaConfig) -> Result<Self, LambdaError> {
        let (sdk, store, jwt_secret) = load(config).await?;
        let appsync = match &config.appsync_url {
            Some(url) => Some(AppSyncPublisher::new(&sdk, url).map_err(|error| {
                LambdaError::Config(format!("CLASSCHAT_APPSYNC_URL is set, but {error}"))
            })?),
            None => None,
        };
        Ok(Self::from_parts(
            store,
            sdk,
            config.management_endpoint.as_deref(),
            jwt_secret,
            appsync,
        ))
    }

    /// Builds everything over a store, SDK configuration and secret obtained elsewhere
    /// (tests point the first two at emulators on loopback), publishing to `appsync` too
    /// when given.
    pub fn from_parts(
        store: DynamoStore,
        sdk: SdkConfig,
        management: Option<&str>,
        jwt_secret: JwtSecret,
        appsync: Option<AppSyncPublisher>,
    ) -> Self {
        let connections = ConnectionTable::new(store.client().clone(), store.tables());
        let hub = Arc::new(ApiGatewayHub::new(sdk, connections, management));
        let service_hub: Arc<dyn classchat_core::Hub> = match appsync {
            Some(appsync) => Arc::new(AppSyncHub::new(
                Arc::clone(&hub) as Arc<dyn classchat_core::Hub>,
                appsync,
            )),
            None => Arc::clone(&hub) as Arc<dyn classchat_core::Hub>,
        };
        let service =
            ChatService::new(Arc::new(store), Arc::new(SystemClock)).with_hub(service_hub);
        Self {
            service: Arc::new(service),
            hub,
            jwt_secret,
        }
    }

    /// The secret every function signs and verifies tokens with.
    pub fn jwt_secret(&self) -> &JwtSecret {
        &self.jwt_secret
    }
}

/// What every function needs first: the AWS configuration of the execution environment
/// (see `environment`), the store,
/// and the token signing secret (read from Secrets Manager: one request, which fails the
/// cold start with the reason if the secret cannot be read or is shorter than 32 bytes).
pub async fn load(
    config: &LambdaConfig,
) -> Result<(SdkConfig, DynamoStore, JwtSecret), LambdaError> {
    let sdk = crate::environment::sdk_config()?;
    let mut secrets = aws_sdk_secretsmanager::config::Builder::from(&sdk);
    if let Some(endpoint) = crate::environment::endpoint_url("SECRETS_MANAGER") {
        secrets = secrets.endpoint_url(endpoint);
    }
    let secrets = aws_sdk_secretsmanager::Client::from_conf(secrets.build());
    let jwt_secret = JwtSecret::fetch(&secrets, &config.jwt_secret_arn).await?;
    let store = DynamoStore::connect_with(&sdk, &config.dynamo)?;
    Ok((sdk, store, jwt_secret))
}
