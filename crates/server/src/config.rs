//! The server's settings, already parsed: the binary reads flags and environment, tests
//! build one directly.

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
}

impl ServerConfig {
    /// Settings with the given secret and every other value at its default.
    pub fn with_secret(jwt_secret: Vec<u8>) -> Self {
        Self {
            jwt_secret,
            token_ttl: DEFAULT_TOKEN_TTL,
            cors_origins: Vec::new(),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("jwt_secret", &"***")
            .field("token_ttl", &self.token_ttl)
            .field("cors_origins", &self.cors_origins)
            .finish()
    }
}
