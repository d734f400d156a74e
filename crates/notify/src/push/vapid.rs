//! VAPID (RFC 8292): the key pair browsers subscribe with, and the short-lived JWT that
//! proves to a push service that a request comes from the holder of that key.
//!
//! The JWT is built here rather than by `web-push-native`'s `vapid` feature, which names
//! the audience without the port: a push service at `http://127.0.0.1:PORT` (every test)
//! would rightly refuse it.

use super::PushError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::rngs::OsRng;
use reqwest::Url;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a signed JWT is valid. RFC 8292 allows at most 24 hours; half of that leaves
/// room for a push service whose clock is ahead of ours.
const JWT_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The JOSE header of every VAPID JWT, already base64url-encoded:
/// `{"typ":"JWT","alg":"ES256"}`.
const JWT_HEADER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9";

/// Our P-256 key pair: the public half is the `applicationServerKey` browsers subscribe
/// with, so it must stay the same across restarts and nodes (a new key orphans every
/// existing subscription); the private half signs each request.
#[derive(Clone)]
pub struct VapidKeys {
    /// The private scalar; the public key is derived from it.
    signing: SigningKey,
}

impl VapidKeys {
    /// A fresh key pair, for `classchat` to print once for the operator to configure (and
    /// for tests).
    pub fn generate() -> Self {
        Self {
            signing: SigningKey::random(&mut OsRng),
        }
    }

    /// The key pair of a configured private key: the 32-byte scalar in base64url, as
    /// [`Self::private_base64url`] prints it (padding is tolerated, since some tools add it).
    pub fn from_base64url(private_key: &str) -> Result<Self, PushError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(private_key.trim().trim_end_matches('='))
            .map_err(|_| PushError::InvalidKey("it is not base64url".to_owned()))?;
        if bytes.len() != 32 {
            return Err(PushError::InvalidKey(format!(
                "it is {} bytes, not 32",
                bytes.len()
            )));
        }
        let signing = SigningKey::from_slice(&bytes).map_err(|_| {
            PushError::InvalidKey("it is not a P-256 scalar (zero or above the order)".to_owned())
        })?;
        Ok(Self { signing })
    }

    /// The private scalar in base64url without padding: what configuration holds.
    pub fn private_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.to_bytes())
    }

    /// The public key as an uncompressed point (65 bytes) in base64url without padding:
    /// what browsers take as `applicationServerKey`, and the `k=` of every request.
    pub fn public_base64url(&self) -> String {
        let point = self.signing.verifying_key().to_encoded_point(false);
        URL_SAFE_NO_PAD.encode(point.as_bytes())
    }

    /// The `Authorization` header value for a request to `endpoint`, valid from `now`:
    /// `vapid t=<jwt>, k=<public key>`.
    pub(crate) fn authorization(&self, endpoint: &Url, subject: &str, now: SystemTime) -> String {
        let jwt = self.jwt(&audience(endpoint), subject, now);
        format!("vapid t={jwt}, k={}", self.public_base64url())
    }

    /// An ES256 JWT for `aud`, expiring [`JWT_LIFETIME`] after `now`.
    fn jwt(&self, aud: &str, subject: &str, now: SystemTime) -> String {
        let exp = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(JWT_LIFETIME)
            .as_secs();
        let claims = serde_json::json!({ "aud": aud, "exp": exp, "sub": subject });
        let signing_input = format!(
            "{JWT_HEADER}.{}",
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // ES256 is SHA-256 then ECDSA over P-256; JOSE wants r || s, 32 bytes each.
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }
}

impl fmt::Debug for VapidKeys {
    /// Shows the public key only: the private one must not reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public", &self.public_base64url())
            .finish_non_exhaustive()
    }
}

/// The JWT audience for an endpoint: its origin, `scheme://host` with the port only when
/// it is not the scheme's default (the URL parser already drops a default port).
pub(crate) fn audience(endpoint: &Url) -> String {
    endpoint.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn a_key_survives_its_base64url_form() {
        let keys = VapidKeys::generate();
        let private = keys.private_base64url();
        assert_eq!(private.len(), 43);
        let again = VapidKeys::from_base64url(&private).unwrap();
        assert_eq!(again.public_base64url(), keys.public_base64url());
        let padded = VapidKeys::from_base64url(&format!("{private}=")).unwrap();
        assert_eq!(padded.public_base64url(), keys.public_base64url());

        let public = URL_SAFE_NO_PAD.decode(keys.public_base64url()).unwrap();
        assert_eq!(public.len(), 65);
        assert_eq!(public[0], 4);
        assert!(!format!("{keys:?}").contains(&private));
    }

    #[test]
    fn unusable_private_keys_are_refused() {
        for bad in ["", "!!!!", &URL_SAFE_NO_PAD.encode([1u8; 31])] {
            assert!(VapidKeys::from_base64url(bad).is_err(), "{bad:?}");
        }
        assert!(VapidKeys::from_base64url(&URL_SAFE_NO_PAD.encode([0u8; 32])).is_err());
        assert!(VapidKeys::from_base64url(&URL_SAFE_NO_PAD.encode([0xffu8; 32])).is_err());
    }

    #[test]
    fn the_audience_is_the_origin_with_a_port_only_when_not_default() {
        let aud = |url: &str| audience(&Url::parse(url).unwrap());
        assert_eq!(
            aud("https://fcm.googleapis.com/fcm/send/abc"),
            "https://fcm.googleapis.com"
        );
        assert_eq!(aud("https://push.example:443/x"), "https://push.example");
        assert_eq!(
            aud("https://push.example:8443/x?y#z"),
            "https://push.example:8443"
        );
        assert_eq!(
            aud("http://127.0.0.1:38211/push/1"),
            "http://127.0.0.1:38211"
        );
        assert_eq!(aud("http://localhost:80/p"), "http://localhost");
        assert_eq!(aud("https://[::1]:9000/p"), "https://[::1]:9000");
        assert_eq!(aud("https://PUSH.Example/p"), "https://push.example");
    }

    #[test]
    fn the_jwt_is_signed_es256_with_the_expected_claims() {
        let keys = VapidKeys::generate();
        let endpoint = Url::parse("https://push.example:8443/send/1").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let header = keys.authorization(&endpoint, "mailto:ops@school.example", now);
        let (t, k) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap();
        assert_eq!(k, keys.public_base64url());

        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let jose: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(jose, serde_json::json!({"typ": "JWT", "alg": "ES256"}));
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({
                "aud": "https://push.example:8443",
                "exp": 1_700_000_000 + 12 * 3600,
                "sub": "mailto:ops@school.example",
            })
        );

        let public = URL_SAFE_NO_PAD.decode(k).unwrap();
        let verifying = VerifyingKey::from_sec1_bytes(&public).unwrap();
        let raw = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert_eq!(raw.len(), 64);
        let signature = Signature::from_slice(&raw).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        verifying.verify(input.as_bytes(), &signature).unwrap();
    }
}
