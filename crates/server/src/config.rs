//! The server's settings, already parsed: the binary reads flags and environment, tests
//! build one directly.

use axum::http::HeaderName;
use std::time::Duration;

/// Default lifetime of a token.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// How the HTTP server behaves.
#[derive(Clone)]
pub struct ServerConfig {
    /// Secret for signing tokens (HS256). At least 32 bytes is wise.
    pub jwt_secret: Vec<u8>,
    /// How long a token is valid.
    pub token_ttl: Duration,
    /// Origins allowed to call the API from a browser; none by default.
    pub cors_origins: Vec<String>,
    /// Behind a proxy: the header carrying the client's address (`X-Forwarded-For`), whose
    /// rightmost entry is used for the per-address sign-in limit. `None`: the TCP peer.
    pub client_ip_header: Option<HeaderName>,
    /// Limits of HTTP connections and requests.
    pub connections: ConnectionLimits,
    /// More counters for `/metrics`, from parts the server does not know (the notifier).
    pub more_metrics: Option<MetricsHook>,
}

/// Appends counters in the Prometheus text format to `/metrics`: how a part the server
/// does not depend on (a notification channel) reports what it did.
#[derive(Clone)]
pub struct MetricsHook(pub std::sync::Arc<dyn Fn(&mut String) + Send + Sync>);

impl std::fmt::Debug for MetricsHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsHook")
    }
}

/// How many connections the server holds and how long it waits for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections (WebSockets included) at most. At the limit a new connection
    /// closes the longest-idle HTTP connection (one with no request in flight) to make
    /// room, or is refused if there is none. The binary derives it from the open-file
    /// limit, leaving room for the store.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and (HTTP/1.1) how long an
    /// idle keep-alive connection waits for its next request.
    pub header_timeout: Duration,
    /// How long a connection with no request in flight is kept (HTTP/2 has no header
    /// timeout; this closes its idle connections too).
    pub idle_timeout: Duration,
    /// How long one REST request may take, body upload included (`408 timeout`).
    pub request_timeout: Duration,
    /// Concurrent streams of one HTTP/2 connection.
    pub max_http2_streams: u32,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            max_http2_streams: 64,
        }
    }
}

impl ServerConfig {
    /// Settings with the given secret and every other value at its default.
    pub fn with_secret(jwt_secret: Vec<u8>) -> Self {
        Self {
            jwt_secret,
            token_ttl: DEFAULT_TOKEN_TTL,
            cors_origins: Vec::new(),
            client_ip_header: None,
            connections: ConnectionLimits::default(),
            more_metrics: None,
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("jwt_secret", &"***")
            .field("token_ttl", &self.token_ttl)
            .field("cors_origins", &self.cors_origins)
            .field("client_ip_header", &self.client_ip_header)
            .field("connections", &self.connections)
            .field("more_metrics", &self.more_metrics)
            .finish()
    }
}
