//! Bearer tokens: HS256 JWTs signed with the server's secret, and the extractor that turns
//! one into the signed-in [`User`].

use crate::device::DeviceTokens;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use classchat_core::{ChatError, ChatService, SignedIn, Timestamp, User};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The userId.
    pub sub: String,
    /// The role when the token was issued (informational: the current role is looked up).
    pub role: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds.
    pub exp: u64,
    /// The user's token version when it was issued: the token is void once the account's
    /// version moves on (revocation). Tokens from before versions existed count as 0.
    #[serde(default)]
    pub ver: u64,
}

/// Issues and verifies tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    devices: DeviceTokens,
}

/// A freshly issued token.
pub struct IssuedToken {
    /// The JWT.
    pub token: String,
    /// When it expires.
    pub expires_at: Timestamp,
}

impl Tokens {
    /// Tokens signed with `secret`, valid for `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation: hs256_validation(),
            ttl,
            devices: DeviceTokens::new(secret),
        }
    }

    /// The device tokens signed with a key derived from the same secret.
    pub(crate) fn devices(&self) -> &DeviceTokens {
        &self.devices
    }

    /// Issues a token for a signed-in user.
    pub fn issue(&self, signed_in: &SignedIn) -> Result<IssuedToken, ChatError> {
        let user = &signed_in.user;
        let now = since_epoch()?;
        let expires = now + self.ttl;
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role.to_string(),
            iat: now.as_secs(),
            exp: expires.as_secs(),
            ver: signed_in.token_version,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| ChatError::Internal(format!("cannot sign token: {error}")))?;
        let expires_micros =
            i64::try_from(expires.as_secs()).unwrap_or(i64::MAX / 1_000_000) * 1_000_000;
        let expires_at = Timestamp::from_micros(expires_micros)
            .ok_or_else(|| ChatError::Internal("token expiry out of range".into()))?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The claims of a valid, unexpired token signed with our secret.
    pub fn verify(&self, token: &str) -> Result<Claims, ChatError> {
        let expired = || ChatError::unauthorized("the token has expired; sign in again");
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => expired(),
                _ => ChatError::unauthorized("the token is not valid"),
            })?;
        // Not accepted on or after `exp`, which is also when a live connection opened with
        // it closes.
        if !unexpired(claims.exp) {
            return Err(expired());
        }
        Ok(claims)
    }

    /// The session behind a token: its user, looked up so that a disabled account or a
    /// revoked token stops at once, and when the token expires.
    pub async fn authenticate(
        &self,
        service: &ChatService,
        token: &str,
    ) -> Result<Session, ChatError> {
        let claims = self.verify(token)?;
        let user = service.authenticate(&claims.sub, claims.ver).await?;
        Ok(Session {
            user,
            expires_at: UNIX_EPOCH + Duration::from_secs(claims.exp),
            token_version: claims.ver,
        })
    }
}

/// How every token of this server is checked: HS256 only, `exp` and `sub` required, and
/// expiry enforced to the second (no leeway: a token is either valid or not).
pub(crate) fn hs256_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation
}

/// Now, as time since the Unix epoch, for a token's `iat` and `exp`.
pub(crate) fn since_epoch() -> Result<Duration, ChatError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| ChatError::Internal("system clock before 1970".into()))
}

/// Whether a token expiring at `exp` (Unix seconds) is still valid: RFC 7519 refuses it
/// *on or after* `exp` (the library accepts the second itself).
pub(crate) fn unexpired(exp: u64) -> bool {
    since_epoch().map_or(0, |now| now.as_secs()) < exp
}

/// A verified token: who it is for, how long it lasts (a live connection ends then) and
/// the token version it carries (a connection ends when the user's moves on).
#[derive(Debug, Clone)]
pub struct Session {
    /// The signed-in user, as stored now.
    pub user: User,
    /// When the token expires.
    pub expires_at: SystemTime,
    /// The user's token version when the token was issued.
    pub token_version: u64,
}

/// The token in an `Authorization` header value: `Bearer <token>`, the scheme in any case
/// (RFC 9110 §11.1), surrounding spaces ignored. The one parser for every transport.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The signed-in user of a request (`Authorization: Bearer <token>`).
pub struct AuthUser(pub User);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ChatError::unauthorized("missing Authorization: Bearer token"))?;
        let token = header.to_str().ok().and_then(bearer_token).ok_or_else(|| {
            ChatError::unauthorized("the Authorization header must be 'Bearer <token>'")
        })?;
        let session = state.tokens.authenticate(&state.service, token).await?;
        Ok(Self(session.user))
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case_and_nothing_else_is_a_token() {
        assert_eq!(bearer_token("Bearer abc.def"), Some("abc.def"));
        assert_eq!(bearer_token("bearer abc.def "), Some("abc.def"));
        assert_eq!(bearer_token("BEARER  abc.def"), Some("abc.def"));
        for refused in ["Basic abc", "Bearer", "Bearer   ", "abc.def", ""] {
            assert_eq!(bearer_token(refused), None, "{refused:?}");
        }
    }
}
