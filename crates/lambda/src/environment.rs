//! The AWS configuration of a Lambda execution environment, read from the variables the
//! Lambda service sets: the region (`AWS_REGION`) and the execution role's credentials
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), with the project's
//! HTTPS client. Service endpoints may be overridden as the SDK's own configuration
//! allows, by `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` (the tests point Secrets
//! Manager at the emulator this way).
//!
//! Why not aws-config's default chain: on Lambda the environment always answers, and the
//! rest of the chain (profile files, SSO, STS web identity, ECS and EC2 metadata) never
//! applies, yet linking it took 0.63-0.65 MB of every function (BENCHMARKS.md, "fourth
//! cut"), and looking through it a little of every cold start.

use crate::error::LambdaError;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

/// The SDK configuration of this execution environment; fails the cold start, with the
/// reason, when `AWS_REGION` is missing.
pub fn sdk_config() -> Result<SdkConfig, LambdaError> {
    sdk_config_from(|name| std::env::var(name).ok())
}

/// [`sdk_config`] with the variables looked up by `lookup`.
fn sdk_config_from(lookup: impl Fn(&str) -> Option<String>) -> Result<SdkConfig, LambdaError> {
    let region = lookup("AWS_REGION")
        .filter(|region| !region.is_empty())
        .ok_or_else(|| {
            LambdaError::Config(
                "AWS_REGION is not set (the Lambda service sets it in every function)".into(),
            )
        })?;
    Ok(SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(classchat_store_dynamodb::https_client())
        .build())
}

/// The endpoint configured for the service whose variable suffix is `service`
/// (`SECRETS_MANAGER`): `AWS_ENDPOINT_URL_<service>`, else `AWS_ENDPOINT_URL`.
pub fn endpoint_url(service: &str) -> Option<String> {
    endpoint_url_from(service, |name| std::env::var(name).ok())
}

fn endpoint_url_from(service: &str, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    lookup(&format!("AWS_ENDPOINT_URL_{service}"))
        .or_else(|| lookup("AWS_ENDPOINT_URL"))
        .filter(|url| !url.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_region_comes_from_aws_region_and_is_required() {
        let sdk = sdk_config_from(env(&[("AWS_REGION", "eu-west-2")])).unwrap();
        assert_eq!(sdk.region().map(Region::as_ref), Some("eu-west-2"));
        assert!(sdk.credentials_provider().is_some());
        let error = sdk_config_from(env(&[])).unwrap_err();
        assert!(error.to_string().contains("AWS_REGION"), "{error}");
    }

    #[test]
    fn a_service_endpoint_overrides_the_general_one() {
        let both = env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:2"),
        ]);
        assert_eq!(
            endpoint_url_from("SECRETS_MANAGER", &both).as_deref(),
            Some("http://127.0.0.1:2")
        );
        let general = env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
        assert_eq!(
            endpoint_url_from("SECRETS_MANAGER", &general).as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(endpoint_url_from("SECRETS_MANAGER", env(&[])), None);
    }
}
