//! The AppSync API's `AWS_LAMBDA` authorizer (`classchat-appsync-authorizer`): a classchat
//! token, verified as `classchat serve` verifies it (signature, `exp`, then the user as
//! stored now: a disabled account or a revoked token is refused), becomes the
//! `resolverContext` the resolvers and filters read (`appsync/README.md`, "The
//! authorizer"). Nothing is cached (`ttlOverride` 0): a revocation stops the next request.

use crate::config::LambdaConfig;
use crate::deployment::load;
use crate::error::LambdaError;
use classchat_core::{ChatService, SystemClock};
use classchat_server::auth::{Tokens, bearer_token};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What AppSync sends: the client's `Authorization` value (the rest is not relied on).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerRequest {
    /// `<token>` or `Bearer <token>`.
    #[serde(default)]
    pub authorization_token: String,
}

/// The authorizer's answer.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    /// Whether the request may run.
    pub is_authorized: bool,
    /// `userId`, `role`, `tokenVersion`, `expiresAt` (`YYYY-MM-DDThh:mm:ssZ`), all strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolver_context: Option<BTreeMap<String, String>>,
    /// Seconds AppSync may cache the answer: never.
    pub ttl_override: u64,
}

impl AuthorizerResponse {
    fn refused() -> Self {
        Self {
            is_authorized: false,
            resolver_context: None,
            ttl_override: 0,
        }
    }
}

/// Verifies classchat tokens for AppSync.
pub struct Authorizer {
    service: Arc<ChatService>,
    tokens: Tokens,
}

impl Authorizer {
    /// An authorizer over `service`, verifying with `tokens` (the stack's secret).
    pub fn new(service: Arc<ChatService>, tokens: Tokens) -> Self {
        Self { service, tokens }
    }

    /// The authorizer of the stack: the store and the secret, and nothing that delivers
    /// (it only reads the token's user).
    pub async fn connect(config: &LambdaConfig) -> Result<Self, LambdaError> {
        let (_, store, secret) = load(config).await?;
        let service = ChatService::new(Arc::new(store), Arc::new(SystemClock));
        let server = config.server(secret.bytes());
        Ok(Self::new(
            Arc::new(service),
            Tokens::new(&server.jwt_secret, server.token_ttl),
        ))
    }

    /// Answers one authorization request. Anything wrong, the store's unavailability
    /// included, refuses: it fails closed.
    pub async fn authorize(&self, request: &AuthorizerRequest) -> AuthorizerResponse {
        let raw = request.authorization_token.trim();
        let token = bearer_token(raw).unwrap_or(raw);
        match self.tokens.authenticate(&self.service, token).await {
            Ok(session) => {
                let context = BTreeMap::from([
                    ("userId".to_owned(), session.user.id.to_string()),
                    ("role".to_owned(), session.user.role.as_str().to_owned()),
                    ("tokenVersion".to_owned(), session.token_version.to_string()),
                    (
                        "expiresAt".to_owned(),
                        humantime::format_rfc3339_seconds(session.expires_at).to_string(),
                    ),
                ]);
                AuthorizerResponse {
                    is_authorized: true,
                    resolver_context: Some(context),
                    ttl_override: 0,
                }
            }
            Err(error) => {
                tracing::debug!(%error, "AppSync request refused");
                AuthorizerResponse::refused()
            }
        }
    }
}
