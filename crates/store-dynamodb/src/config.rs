//! Configuration of the DynamoDB store and construction of its SDK client.
//!
//! The client retries throttling and 5xx answers itself (standard retry mode, a few
//! attempts with short jittered backoff) and has tight timeouts, so that a DynamoDB that
//! is unreachable turns into a quick 503 instead of requests hanging for minutes — and
//! because nothing is cached between calls, the store recovers by itself as soon as the
//! endpoint answers again.

use crate::error::SetupError;
use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use std::time::Duration;

/// The region used when none is configured anywhere, so a local emulator works without
/// any AWS set-up.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where the store's tables are and how to reach them.
#[derive(Debug, Clone, Default)]
pub struct DynamoConfig {
    /// A custom endpoint URL, e.g. `http://127.0.0.1:5000` for an emulator; `None` for AWS.
    pub endpoint: Option<String>,
    /// Prepended to every table name (`cc_` → `cc_Message`), so several deployments can
    /// share an account.
    pub table_prefix: String,
    /// The AWS region; `None` uses the standard chain (`AWS_REGION`, profile, …) and
    /// falls back to [`DEFAULT_REGION`].
    pub region: Option<String>,
    /// How long to wait and how often to retry; `None` for [`Timeouts::default`].
    pub timeouts: Option<Timeouts>,
}

/// How patient the client is. The defaults make a dead endpoint fail in about 3 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a TCP (and TLS) connection.
    pub connect: Duration,
    /// One attempt of one call, from sending to the last byte of the answer.
    pub attempt: Duration,
    /// One call, all its retries included.
    pub operation: Duration,
    /// Attempts per call (1 = no retry).
    pub max_attempts: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(1_000),
            attempt: Duration::from_millis(1_500),
            operation: Duration::from_millis(3_000),
            max_attempts: 3,
        }
    }
}

/// The three table names, prefix applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// Messages: `conversationId` / `timestamp`.
    pub message: String,
    /// Profiles, links, conversation summaries, dedup items, listings, audit: `userId` / `sk`.
    pub user_info: String,
    /// WebSocket connections (serverless mode): `connectionId`, GSI `userId-index`.
    pub connections: String,
}

impl TableNames {
    /// The names under `prefix`, checked against DynamoDB's naming rules so that a bad
    /// prefix fails at start-up rather than on the first request.
    pub fn with_prefix(prefix: &str) -> Result<Self, SetupError> {
        let valid = prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid || prefix.len() > 200 {
            return Err(SetupError::Config(format!(
                "CLASSCHAT_TABLE_PREFIX may only contain letters, digits, '_', '-' and '.' \
                 (at most 200), not {prefix:?}"
            )));
        }
        Ok(Self {
            message: format!("{prefix}Message"),
            user_info: format!("{prefix}UserInfo"),
            connections: format!("{prefix}Connections"),
        })
    }

    /// All three, in the order they are reported.
    pub fn all(&self) -> [&str; 3] {
        [&self.message, &self.user_info, &self.connections]
    }
}

/// Retries of `timeouts`: quick, since a store call is on a request's path.
fn retry_config(timeouts: Timeouts) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(timeouts.max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(500))
}

/// The timeouts of `timeouts`.
fn timeout_config(timeouts: Timeouts) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(timeouts.connect)
        .operation_attempt_timeout(timeouts.attempt)
        .operation_timeout(timeouts.operation)
        .build()
}

/// Builds the SDK client for `config` over an SDK configuration made elsewhere (its
/// region, credentials and HTTP client), with `config`'s endpoint, region and timeouts.
pub(crate) fn client_from(sdk: &SdkConfig, config: &DynamoConfig) -> aws_sdk_dynamodb::Client {
    let timeouts = config.timeouts.unwrap_or_default();
    let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk)
        .retry_config(retry_config(timeouts))
        .timeout_config(timeout_config(timeouts));
    if let Some(region) = &config.region {
        builder = builder.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &config.endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

/// Builds the SDK client for `config`.
pub(crate) async fn client(config: &DynamoConfig) -> aws_sdk_dynamodb::Client {
    let timeouts = config.timeouts.unwrap_or_default();
    let https = crate::https_client();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https.clone())
        .retry_config(retry_config(timeouts))
        .timeout_config(timeout_config(timeouts));
    let local = config.endpoint.as_deref().is_some_and(is_loopback);
    loader = match (&config.region, local) {
        (Some(region), _) => loader.region(Region::new(region.clone())),
        // An emulator on this machine: never probe the EC2 metadata service for a region.
        (None, true) => loader.region(Region::new(
            env_region().unwrap_or_else(|| DEFAULT_REGION.to_owned()),
        )),
        (None, false) => loader.region(default_region_chain(https)),
    };
    if let Some(endpoint) = &config.endpoint {
        loader = loader.endpoint_url(endpoint);
        // An emulator accepts any signature; without credentials in the environment, sign
        // with placeholders instead of searching (and failing) through the whole chain.
        if local && !env_has_credentials() {
            loader = loader.credentials_provider(Credentials::new(
                "classchat-local",
                "classchat-local",
                None,
                None,
                "classchat-local-emulator",
            ));
        }
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}

/// The SDK's default region chain (environment, profile, EC2 instance metadata), then
/// [`DEFAULT_REGION`]. Spelled out because the chain's instance-metadata lookup needs an
/// HTTP client and the SDK crates are built without a default one (see `https`).
fn default_region_chain(https: aws_sdk_dynamodb::config::SharedHttpClient) -> RegionProviderChain {
    let imds = ProviderConfig::without_region().with_http_client(https);
    RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(ProfileFileRegionProvider::new())
        .or_else(ImdsRegionProvider::builder().configure(&imds).build())
        .or_else(Region::new(DEFAULT_REGION))
}

/// Whether `endpoint` points at this machine (an emulator, never AWS itself).
fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    let host = match rest.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => rest.split([':', '/']).next().unwrap_or_default(),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
}

fn env_has_credentials() -> bool {
    ["AWS_ACCESS_KEY_ID", "AWS_PROFILE"]
        .into_iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_table_names() {
        let names = TableNames::with_prefix("cc_").unwrap();
        assert_eq!(names.all(), ["cc_Message", "cc_UserInfo", "cc_Connections"]);
        assert_eq!(
            TableNames::with_prefix("").unwrap().message,
            "Message",
            "the prefix defaults to nothing"
        );
        assert!(TableNames::with_prefix("bad prefix").is_err());
        assert!(TableNames::with_prefix("a#b").is_err());
    }

    #[test]
    fn recognises_loopback_endpoints() {
        for local in [
            "http://127.0.0.1:5000",
            "http://localhost:8000/",
            "http://[::1]:9000",
            "127.0.0.2:1",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in [
            "https://dynamodb.eu-west-1.amazonaws.com",
            "http://10.0.0.1:8000",
            "http://localhost.example.com",
        ] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }
}
