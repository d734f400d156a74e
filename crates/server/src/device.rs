//! Device tokens: the server's memory that a browser has signed in to an account before.
//!
//! A successful sign-in hands the client a device token alongside its bearer token; the
//! client keeps it (across sign-outs) and shows it on its next sign-in to that account. A
//! sign-in with a valid one is counted apart from everyone else's attempts on the account
//! and waits in the hashing pool's priority lane, so a flood of guesses against an
//! account, from one address or ten thousand, neither pauses nor queues out its owner.
//!
//! A device token is not a credential: the password is still required with it, and it
//! never works as a bearer token (it is signed with a key derived apart from the bearer
//! key, and carries a `typ` the bearer side never accepts). A stolen one buys the thief a
//! pause ladder of their own, no more guesses than anyone else.

use crate::auth::{hs256_validation, since_epoch, unexpired};
use classchat_core::{ChatError, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a device stays known without signing in again: a school year and a summer.
const DEVICE_TTL: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// The longest device token accepted, in bytes (the ones issued are about 250).
pub const MAX_DEVICE_TOKEN_LEN: usize = 1024;

/// The `typ` claim of a device token.
const DEVICE_TYPE: &str = "device";

/// What a device token says.
#[derive(Debug, Serialize, Deserialize)]
struct DeviceClaims {
    /// The account the device signed in to.
    sub: String,
    /// The device's random id (128 bits, hex).
    dev: String,
    /// Always [`DEVICE_TYPE`].
    typ: String,
    /// Issued at, Unix seconds.
    iat: u64,
    /// Expires at, Unix seconds.
    exp: u64,
}

/// Issues and checks device tokens.
pub(crate) struct DeviceTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl DeviceTokens {
    /// Device tokens signed with a key derived from the server's `secret` (HMAC keys of
    /// different bytes), so neither kind of token verifies as the other.
    pub(crate) fn new(secret: &[u8]) -> Self {
        let key = [secret, b"/classchat-device-token"].concat();
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation: hs256_validation(),
        }
    }

    /// A device token for `user`: for the device `known` if the client showed a valid
    /// one (its lifetime starts again), otherwise for a new device.
    pub(crate) fn issue(&self, user: &UserId, known: Option<&str>) -> Result<String, ChatError> {
        let now = since_epoch()?;
        let dev = known.map_or_else(new_device_id, str::to_owned);
        let claims = DeviceClaims {
            sub: user.to_string(),
            dev,
            typ: DEVICE_TYPE.to_owned(),
            iat: now.as_secs(),
            exp: (now + DEVICE_TTL).as_secs(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| ChatError::Internal(format!("cannot sign device token: {error}")))
    }

    /// The device id in `token`, if it is a valid, unexpired device token for `user_id`;
    /// anything else (another account's, forged, expired, too long) is simply no device.
    pub(crate) fn verify(&self, token: &str, user_id: &str) -> Option<String> {
        if token.len() > MAX_DEVICE_TOKEN_LEN {
            return None;
        }
        let claims = decode::<DeviceClaims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        let valid = claims.typ == DEVICE_TYPE
            && claims.sub == user_id
            && unexpired(claims.exp)
            && claims.dev.len() == 32
            && claims.dev.bytes().all(|byte| byte.is_ascii_hexdigit());
        valid.then_some(claims.dev)
    }
}

/// 128 random bits, as hex.
fn new_device_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_device_token_names_its_device_for_its_account_only() {
        let tokens = DeviceTokens::new(SECRET);
        let user = UserId::parse("s1").unwrap();
        let token = tokens.issue(&user, None).unwrap();
        let device = tokens.verify(&token, "s1").unwrap();
        assert_eq!(device.len(), 32);
        assert_eq!(tokens.verify(&token, "s2"), None);
        // Signing in again from the device keeps its id.
        let again = tokens.issue(&user, Some(&device)).unwrap();
        assert_eq!(tokens.verify(&again, "s1"), Some(device.clone()));
        // Another secret's, a tampered one, garbage and an oversized one are no device.
        let other = DeviceTokens::new(b"another secret, thirty-two bytes!");
        assert_eq!(other.verify(&token, "s1"), None);
        let mut tampered = token.clone();
        tampered.pop();
        assert_eq!(tokens.verify(&tampered, "s1"), None);
        assert_eq!(tokens.verify("garbage", "s1"), None);
        assert_eq!(
            tokens.verify(&"a".repeat(MAX_DEVICE_TOKEN_LEN + 1), "s1"),
            None
        );
    }

    #[test]
    fn a_new_device_gets_a_new_id() {
        let tokens = DeviceTokens::new(SECRET);
        let user = UserId::parse("s1").unwrap();
        let first = tokens.verify(&tokens.issue(&user, None).unwrap(), "s1");
        let second = tokens.verify(&tokens.issue(&user, None).unwrap(), "s1");
        assert_ne!(first, second);
    }
}
