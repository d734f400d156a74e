//! A browser's Web Push subscription, as `PushSubscription.toJSON()` gives it: where to
//! deliver (`endpoint`) and the keys to encrypt for (`keys.p256dh`, `keys.auth`).
//!
//! Only the shape is checked here; whether an endpoint may be reached (https, not a
//! loopback, private or link-local address) is the push channel's to decide, at
//! registration and again at every delivery.

use crate::error::{ChatError, ErrorCode};
use crate::time::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};

/// The longest endpoint accepted (push services use a few hundred characters).
pub const MAX_ENDPOINT_LEN: usize = 1024;
/// The most subscriptions one user keeps (one per browser); registering one more
/// replaces the oldest.
pub const MAX_SUBSCRIPTIONS_PER_USER: usize = 10;
/// What the OpenAPI document states for an endpoint.
pub const ENDPOINT_PATTERN: &str = "^https?://[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]+$";
/// What the OpenAPI document states for the keys: base64url, with or without padding.
pub const KEY_PATTERN: &str = "^[A-Za-z0-9_-]+={0,2}$";

/// Bytes of an uncompressed P-256 public key (`0x04`, x, y).
const P256DH_BYTES: usize = 65;
/// Bytes of the authentication secret.
const AUTH_BYTES: usize = 16;

/// A validated subscription of one browser of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    /// The push service URL to POST to; unique across users (a browser belongs to whoever
    /// registered it last).
    pub endpoint: String,
    /// The browser's P-256 public key, base64url without padding.
    pub p256dh: String,
    /// The browser's authentication secret, base64url without padding.
    pub auth: String,
    /// When it was registered (the oldest is replaced beyond the per-user limit).
    pub created: Timestamp,
}

impl PushSubscription {
    /// Checks the shape of a subscription as a browser hands it over.
    pub fn parse(
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        created: Timestamp,
    ) -> Result<Self, ChatError> {
        let endpoint = parse_endpoint(endpoint)?;
        let p256dh = key(p256dh, P256DH_BYTES, "keys.p256dh")?;
        if p256dh.first() != Some(&4) {
            return Err(invalid("keys.p256dh is an uncompressed P-256 public key"));
        }
        let auth = key(auth, AUTH_BYTES, "keys.auth")?;
        Ok(Self {
            endpoint,
            p256dh: URL_SAFE_NO_PAD.encode(p256dh),
            auth: URL_SAFE_NO_PAD.encode(auth),
            created,
        })
    }

    /// The browser's public key, decoded.
    pub fn p256dh_bytes(&self) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(&self.p256dh).unwrap_or_default()
    }

    /// The authentication secret, decoded.
    pub fn auth_bytes(&self) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(&self.auth).unwrap_or_default()
    }
}

/// Checks an endpoint's shape: an absolute `https://` (or `http://`, which only a test
/// setting lets through delivery) URL of at most [`MAX_ENDPOINT_LEN`] characters with no
/// whitespace or control character.
pub fn parse_endpoint(raw: &str) -> Result<String, ChatError> {
    let scheme_ok = raw.starts_with("https://") || raw.starts_with("http://");
    // What ECMA-262's `\s` matches (White_Space and the byte-order mark) and controls.
    let clean = !raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\u{feff}');
    let length = raw.chars().count();
    if length > MAX_ENDPOINT_LEN || !scheme_ok || !clean || raw.ends_with("://") {
        return Err(invalid(
            "endpoint is the push service's https URL from PushSubscription.toJSON()",
        ));
    }
    Ok(raw.to_owned())
}

fn key(raw: &str, bytes: usize, name: &str) -> Result<Vec<u8>, ChatError> {
    let decoded = if raw.ends_with('=') {
        URL_SAFE.decode(raw)
    } else {
        URL_SAFE_NO_PAD.decode(raw)
    };
    match decoded {
        Ok(decoded) if decoded.len() == bytes => Ok(decoded),
        _ => Err(invalid(&format!("{name} is {bytes} bytes in base64url"))),
    }
}

fn invalid(message: &str) -> ChatError {
    ChatError::validation(ErrorCode::InvalidRequest, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256DH: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    #[test]
    fn a_browser_subscription_is_accepted_and_normalised() {
        let padded_auth = format!("{AUTH}==");
        let sub = PushSubscription::parse(
            "https://push.example/send/abc",
            P256DH,
            &padded_auth,
            Timestamp::MIN,
        )
        .unwrap();
        assert_eq!(sub.auth, AUTH);
        assert_eq!(sub.p256dh_bytes().len(), 65);
        assert_eq!(sub.auth_bytes().len(), 16);
    }

    #[test]
    fn the_endpoint_rule_and_its_pattern_agree() {
        let pattern = regex_lite::Regex::new(ENDPOINT_PATTERN).unwrap();
        for raw in [
            "https://push.example/x",
            "http://127.0.0.1:9/x",
            "https://",
            "https://a b",
            "https://a\u{1}b",
            "https://a\u{feff}",
            "https://a\u{85}",
            "https://a\u{a0}",
            "https://é",
            "ftp://x",
        ] {
            assert_eq!(
                pattern.is_match(raw),
                parse_endpoint(raw).is_ok(),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn bad_shapes_are_refused() {
        let ok = "https://push.example/x";
        for endpoint in ["", "ftp://x", "https://", "https://a b", "push.example/x"] {
            assert!(PushSubscription::parse(endpoint, P256DH, AUTH, Timestamp::MIN).is_err());
        }
        let long = format!("https://push.example/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert!(PushSubscription::parse(&long, P256DH, AUTH, Timestamp::MIN).is_err());
        assert!(PushSubscription::parse(ok, AUTH, AUTH, Timestamp::MIN).is_err());
        assert!(PushSubscription::parse(ok, P256DH, P256DH, Timestamp::MIN).is_err());
        assert!(PushSubscription::parse(ok, "!!", AUTH, Timestamp::MIN).is_err());
        let compressed = format!("A{}", &P256DH[1..]);
        assert!(PushSubscription::parse(ok, &compressed, AUTH, Timestamp::MIN).is_err());
    }
}
