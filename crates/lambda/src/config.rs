//! The functions' settings, read from the environment that `template.yaml` sets.

use crate::error::LambdaError;
use classchat_server::config::DEFAULT_TOKEN_TTL;
use classchat_server::{ConnectionLimits, ServerConfig};
use classchat_store_dynamodb::DynamoConfig;
use std::time::Duration;

/// How long a connection item lives when `$disconnect` never arrives (API Gateway closes
/// idle connections after 10 minutes and any connection after 2 hours).
pub const DEFAULT_CONNECTION_TTL: Duration = Duration::from_secs(2 * 60 * 60);

/// Settings of both functions. Nothing here is secret.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// The Secrets Manager secret holding the HS256 token secret
    /// (`CLASSCHAT_JWT_SECRET_ARN`), shared by both functions so a token from the REST
    /// login opens the WebSocket. Only the ARN is in the environment; the value is read at
    /// cold start (see [`crate::secret`]).
    pub jwt_secret_arn: String,
    /// Where the tables are (`CLASSCHAT_TABLE_PREFIX`, optional `CLASSCHAT_DYNAMODB_ENDPOINT`).
    pub dynamo: DynamoConfig,
    /// The Management API endpoint (`CLASSCHAT_WS_ENDPOINT`, `https://{api}.execute-api.
    /// {region}.amazonaws.com/{stage}`). Required by the HTTP function to deliver REST
    /// sends live; the WebSocket function falls back to its events' domain and stage.
    pub management_endpoint: Option<String>,
    /// Browser origins allowed by CORS (`CLASSCHAT_CORS_ORIGINS`, comma-separated).
    pub cors_origins: Vec<String>,
    /// Lifetime of a connection item without `$disconnect`.
    pub connection_ttl: Duration,
    /// How long a token lasts (`CLASSCHAT_TOKEN_TTL`, as `serve --token-ttl`: `45m`,
    /// `12h`, `7d`).
    pub token_ttl: Duration,
    /// The AppSync API's GraphQL URL (`CLASSCHAT_APPSYNC_URL`): when set, every live event
    /// and revocation is also published there (`appsync/README.md`).
    pub appsync_url: Option<String>,
}

impl LambdaConfig {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, LambdaError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the settings through `lookup`, so tests need not touch the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, LambdaError> {
        let jwt_secret_arn = lookup("CLASSCHAT_JWT_SECRET_ARN").ok_or_else(|| {
            LambdaError::Config(
                "CLASSCHAT_JWT_SECRET_ARN is not set: the functions read the token signing \
                 secret from this Secrets Manager secret (template.yaml sets it)"
                    .into(),
            )
        })?;
        let connection_ttl = match lookup("CLASSCHAT_CONNECTION_TTL_SECS") {
            None => DEFAULT_CONNECTION_TTL,
            Some(text) => Duration::from_secs(text.parse().map_err(|_| {
                LambdaError::Config(format!("CLASSCHAT_CONNECTION_TTL_SECS: {text:?}"))
            })?),
        };
        let token_ttl = match lookup("CLASSCHAT_TOKEN_TTL") {
            None => DEFAULT_TOKEN_TTL,
            Some(text) => humantime::parse_duration(&text)
                .ok()
                .filter(|ttl| !ttl.is_zero())
                .ok_or_else(|| {
                    LambdaError::Config(format!(
                        "CLASSCHAT_TOKEN_TTL: {text:?} is not a duration such as 45m, 12h or 7d"
                    ))
                })?,
        };
        Ok(Self {
            jwt_secret_arn,
            dynamo: DynamoConfig {
                endpoint: lookup("CLASSCHAT_DYNAMODB_ENDPOINT"),
                table_prefix: lookup("CLASSCHAT_TABLE_PREFIX").unwrap_or_default(),
                region: lookup("AWS_REGION"),
                timeouts: None,
            },
            management_endpoint: lookup("CLASSCHAT_WS_ENDPOINT"),
            appsync_url: lookup("CLASSCHAT_APPSYNC_URL"),
            cors_origins: lookup("CLASSCHAT_CORS_ORIGINS")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|o| !o.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            connection_ttl,
            token_ttl,
        })
    }

    /// The server's own configuration as both functions run it, signing with `jwt_secret`
    /// (read from Secrets Manager at cold start): the same token lifetime and CORS
    /// origins on REST and on the WebSocket API. API Gateway appends the caller's address
    /// to `X-Forwarded-For` (the TCP peer is the gateway itself), and it holds the
    /// connections, so the server's connection limits are its defaults.
    pub fn server(&self, jwt_secret: &[u8]) -> ServerConfig {
        ServerConfig {
            jwt_secret: jwt_secret.to_vec(),
            token_ttl: self.token_ttl,
            cors_origins: self.cors_origins.clone(),
            client_ip_header: Some(axum::http::HeaderName::from_static("x-forwarded-for")),
            connections: ConnectionLimits::default(),
            more_metrics: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:classchat-jwt-AbCdEf";

    #[test]
    fn reads_the_templates_variables() {
        let config = LambdaConfig::from_lookup(lookup(&[
            ("CLASSCHAT_JWT_SECRET_ARN", ARN),
            ("CLASSCHAT_TABLE_PREFIX", "cc_"),
            (
                "CLASSCHAT_WS_ENDPOINT",
                "https://abc.execute-api.eu-west-1.amazonaws.com/live",
            ),
            (
                "CLASSCHAT_CORS_ORIGINS",
                "https://a.example, https://b.example",
            ),
        ]))
        .unwrap();
        assert_eq!(config.dynamo.table_prefix, "cc_");
        assert_eq!(config.cors_origins.len(), 2);
        assert_eq!(config.connection_ttl, DEFAULT_CONNECTION_TTL);
        assert_eq!(config.token_ttl, DEFAULT_TOKEN_TTL);
        assert_eq!(config.jwt_secret_arn, ARN);
    }

    #[test]
    fn the_token_lifetime_is_the_servers_setting() {
        let config = LambdaConfig::from_lookup(lookup(&[
            ("CLASSCHAT_JWT_SECRET_ARN", ARN),
            ("CLASSCHAT_TOKEN_TTL", "45m"),
        ]))
        .unwrap();
        assert_eq!(config.token_ttl, Duration::from_secs(45 * 60));
        let server = config.server(b"0123456789abcdef0123456789abcdef");
        assert_eq!(server.token_ttl, Duration::from_secs(45 * 60));
        for bad in ["forever", "0s", "-5m"] {
            let error = LambdaConfig::from_lookup(lookup(&[
                ("CLASSCHAT_JWT_SECRET_ARN", ARN),
                ("CLASSCHAT_TOKEN_TTL", bad),
            ]))
            .unwrap_err();
            assert!(error.to_string().contains("CLASSCHAT_TOKEN_TTL"), "{error}");
        }
    }

    #[test]
    fn the_secret_comes_only_from_secrets_manager() {
        let error = LambdaConfig::from_lookup(lookup(&[])).unwrap_err();
        assert!(
            error.to_string().contains("CLASSCHAT_JWT_SECRET_ARN"),
            "{error}"
        );
        // A secret in the environment itself is not a way to configure the functions.
        let plain = LambdaConfig::from_lookup(lookup(&[(
            "CLASSCHAT_JWT_SECRET",
            "0123456789abcdef0123456789abcdef",
        )]));
        assert!(plain.is_err());
    }
}
