//! The HTTPS client of every AWS call classchat makes: the store's DynamoDB client, the
//! Lambda functions' Secrets Manager and API Gateway Management clients, the credential
//! and region providers behind them (IMDS, ECS, STS, SSO), and the Lambda functions' signed
//! AppSync calls.
//!
//! It is the SDK's own default client (hyper 1 and rustls, the system's roots, smithy's
//! cipher suites, the proxy named in `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, each SDK
//! client's connect and read timeouts) with one difference: rustls runs on *ring* instead
//! of aws-lc-rs. ring is linked anyway (token signatures), so the SDK crates are built
//! without their `default-https-client` feature and a build links one crypto library, not
//! two: 0.9 to 1.2 MB less per Lambda binary (`scripts/build-lambda`).
//! Without that feature an SDK configuration has no HTTP client of its own: every one
//! classchat builds is handed [`https_client`].

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::{
    HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The HTTP client to give every AWS SDK configuration (`http_client(...)` on an
/// `aws_config` loader or a service's config builder): rustls with ring and the system's
/// roots, plain HTTP too (for emulators on loopback).
pub fn https_client() -> SharedHttpClient {
    client(TlsContext::default())
}

/// One connector of the same client, for requests the SDK does not make (the AppSync
/// calls, signed by hand): the same TLS, roots and proxy, no timeouts of its own (the
/// caller bounds each call). Keep it: it holds the connection pool.
pub fn https_connector() -> SharedHttpConnector {
    SharedHttpConnector::new(connector(None, None, &TlsContext::default()))
}

/// The client trusting `tls`'s roots (tests pass a trust store of their own).
pub(crate) fn client(tls: TlsContext) -> SharedHttpClient {
    Builder::new()
        .build_with_connector_fn(move |settings, components| connector(settings, components, &tls))
}

/// A connector as the SDK's default client builds one for each SDK client's settings
/// (`aws_smithy_runtime`'s `default_https_client`), with ring instead of aws-lc-rs.
fn connector(
    settings: Option<&HttpConnectorSettings>,
    components: Option<&RuntimeComponents>,
    tls: &TlsContext,
) -> Connector {
    let mut builder = Connector::builder()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls.clone());
    builder.set_connector_settings(settings.cloned());
    if let Some(components) = components {
        builder.set_sleep_impl(components.sleep_impl());
    }
    // As the default client has it from behavior version 2025-08-07 on.
    builder.set_proxy_config(Some(ProxyConfig::from_env()));
    builder.build()
}
