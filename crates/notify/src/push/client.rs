//! [`PushClient`]: delivers one encrypted, signed message to one subscription.

use super::PushError;
use super::guard::{self, GuardedResolver, ResolveError};
use super::outcome::{self, PushOutcome};
use super::vapid::{VapidKeys, audience};
use classchat_core::notify::{EndpointRefused, PushSubscription};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{Response, Url};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use web_push_native::Auth;
use web_push_native::p256::PublicKey;

/// The largest plaintext one `aes128gcm` record of 4,096 bytes holds (RFC 8291 §4: the
/// 86-byte header, the 16-byte tag and the padding delimiter come out of it).
const MAX_PLAINTEXT: usize = 4_096 - 86 - 16 - 1;

/// The longest `TTL` push services keep a message for (four weeks); a longer one is
/// clamped rather than refused.
const MAX_TTL: Duration = Duration::from_secs(28 * 24 * 60 * 60);

/// How much of a refusal's body is kept for the log: enough for a push service's reason.
const DETAIL_BYTES: usize = 512;

/// How push deliveries are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushConfig {
    /// Who push services can contact about our traffic (RFC 8292 `sub`): a `mailto:` or
    /// `https:` URL. Some services refuse requests without one.
    pub subject: String,
    /// Lets `http://` endpoints on loopback through, for tests' own push service
    /// (`CLASSCHAT_PUSH_ALLOW_LOOPBACK=1`). Never set in production: `https://` endpoints
    /// are checked in full either way.
    pub allow_loopback: bool,
    /// The most one delivery (or one registration-time lookup) may take, connection and
    /// answer included, so a slow push service cannot hold a worker.
    pub timeout: Duration,
}

/// How soon the browser should be woken (RFC 8030 §5.3): push services may hold
/// `normal` messages back to save a phone's battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Deliver when convenient for the device.
    Normal,
    /// Deliver now, even to a device saving power.
    High,
}

impl Urgency {
    /// The `Urgency` header value.
    fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::High => "high",
        }
    }
}

/// Delivers Web Push messages. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct PushClient {
    /// The HTTP client: no redirects, no proxy, and every name resolved through the guard.
    http: reqwest::Client,
    /// Our key pair, signing every request.
    keys: Arc<VapidKeys>,
    /// The public key in base64url, computed once.
    public_key: Arc<str>,
    /// The VAPID `sub` claim.
    subject: Arc<str>,
    /// Whether loopback `http://` endpoints are allowed (tests only).
    allow_loopback: bool,
    /// The time limit of a registration-time lookup (requests have it on the client).
    timeout: Duration,
}

impl PushClient {
    /// A client signing with `keys`. Fails if the subject is not a `mailto:` or `https:`
    /// URL, or if the HTTP client cannot be built.
    pub fn new(keys: VapidKeys, config: PushConfig) -> Result<Self, PushError> {
        if !valid_subject(&config.subject) {
            return Err(PushError::InvalidSubject(config.subject));
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_loopback: config.allow_loopback,
            }))
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .user_agent(concat!("classchat/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            public_key: keys.public_base64url().into(),
            keys: Arc::new(keys),
            subject: config.subject.into(),
            allow_loopback: config.allow_loopback,
            timeout: config.timeout,
        })
    }

    /// Our public VAPID key (base64url), for browsers to subscribe with.
    pub fn public_key(&self) -> String {
        self.public_key.to_string()
    }

    /// Whether a browser may register `endpoint`: https, not `localhost`, and a host that
    /// resolves, to public addresses only. Deliveries check again (the name may change),
    /// but refusing now gives the user a reason while they are there to read it.
    pub async fn check_endpoint(&self, endpoint: &str) -> Result<(), EndpointRefused> {
        let checked = guard::check_url(endpoint, self.allow_loopback)?;
        let Some(name) = checked.name else {
            return Ok(());
        };
        match tokio::time::timeout(self.timeout, guard::resolve(&name, self.allow_loopback)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(ResolveError::Forbidden(refused))) => Err(refused),
            Ok(Err(other)) => Err(EndpointRefused(other.to_string())),
            Err(_) => Err(EndpointRefused(format!(
                "the push endpoint host {name} did not resolve within {:?}",
                self.timeout
            ))),
        }
    }

    /// Encrypts `payload` for `subscription` and POSTs it to its push service, which keeps
    /// it for up to `ttl` while the browser is offline. Never errors: the outcome says what
    /// to do with the subscription.
    pub async fn deliver(
        &self,
        subscription: &PushSubscription,
        payload: &[u8],
        ttl: Duration,
        urgency: Urgency,
    ) -> PushOutcome {
        let checked = match guard::check_url(&subscription.endpoint, self.allow_loopback) {
            Ok(checked) => checked,
            Err(EndpointRefused(reason)) => return PushOutcome::Rejected(reason),
        };
        let body = match encrypt(subscription, payload) {
            Ok(body) => body,
            Err(reason) => return PushOutcome::Rejected(reason),
        };
        let origin = audience(&checked.url);
        let outcome = self.post(checked.url, body, ttl, urgency).await;
        tracing::debug!(%origin, ?outcome, "web push delivery");
        outcome
    }

    /// Signs and sends one encrypted body.
    async fn post(&self, url: Url, body: Vec<u8>, ttl: Duration, urgency: Urgency) -> PushOutcome {
        let authorization = self
            .keys
            .authorization(&url, &self.subject, SystemTime::now());
        let sent = self
            .http
            .post(url)
            .header("TTL", ttl.min(MAX_TTL).as_secs())
            .header("Urgency", urgency.as_str())
            .header(CONTENT_ENCODING, "aes128gcm")
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(AUTHORIZATION, authorization)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => return from_error(err),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let detail = if status.is_client_error() {
            read_detail(response).await
        } else {
            String::new()
        };
        outcome::from_response(status, &headers, &detail, SystemTime::now())
    }
}

/// RFC 8292 §2.1: a `mailto:` or `https:` URL.
fn valid_subject(subject: &str) -> bool {
    match subject.strip_prefix("mailto:") {
        Some(address) => address.contains('@') && !address.contains(char::is_whitespace),
        None => {
            Url::parse(subject).is_ok_and(|url| url.scheme() == "https" && url.host().is_some())
        }
    }
}

/// The `aes128gcm` body of `payload` for the subscription's keys, or why it cannot be made.
fn encrypt(subscription: &PushSubscription, payload: &[u8]) -> Result<Vec<u8>, String> {
    if payload.len() > MAX_PLAINTEXT {
        return Err(format!(
            "the payload is {} bytes; push services take at most {MAX_PLAINTEXT}",
            payload.len()
        ));
    }
    let public = PublicKey::from_sec1_bytes(&subscription.p256dh_bytes())
        .map_err(|_| "the subscription's p256dh is not a P-256 public key".to_owned())?;
    let auth = subscription.auth_bytes();
    if auth.len() != 16 {
        return Err("the subscription's auth secret is not 16 bytes".to_owned());
    }
    let auth = Auth::clone_from_slice(&auth);
    web_push_native::encrypt(payload.to_vec(), &public, &auth)
        .map_err(|err| format!("the payload could not be encrypted: {err}"))
}

/// The outcome of a request that got no answer. A name the guard refused is a
/// rejection (it will not become reachable by waiting); anything else may pass.
fn from_error(err: reqwest::Error) -> PushOutcome {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(current) = source {
        if let Some(ResolveError::Forbidden(EndpointRefused(reason))) = current.downcast_ref() {
            return PushOutcome::Rejected(reason.clone());
        }
        source = current.source();
    }
    if err.is_timeout() {
        return PushOutcome::Failed("the push service did not answer in time".to_owned());
    }
    // The URL (a capability: whoever has it can push to the browser) stays out of logs.
    let err = err.without_url();
    let mut reason = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(current) = source {
        reason.push_str(": ");
        reason.push_str(&current.to_string());
        source = current.source();
    }
    PushOutcome::Failed(reason)
}

/// The start of a response body (at most [`DETAIL_BYTES`], lossily decoded), without
/// reading more of a body that may be large.
async fn read_detail(mut response: Response) -> String {
    let mut detail = Vec::new();
    while detail.len() < DETAIL_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => detail.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    detail.truncate(DETAIL_BYTES);
    String::from_utf8_lossy(&detail).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_mailto_or_https_urls() {
        for ok in [
            "mailto:ops@school.example",
            "https://school.example/contact",
        ] {
            assert!(valid_subject(ok), "{ok}");
        }
        for bad in [
            "",
            "mailto:",
            "mailto:nobody",
            "http://school.example",
            "ops@school.example",
        ] {
            assert!(!valid_subject(bad), "{bad}");
        }
    }

    #[test]
    fn a_client_refuses_a_bad_subject() {
        let config = PushConfig {
            subject: "ops".to_owned(),
            allow_loopback: false,
            timeout: Duration::from_secs(1),
        };
        assert!(matches!(
            PushClient::new(VapidKeys::generate(), config),
            Err(PushError::InvalidSubject(_))
        ));
    }

    #[tokio::test]
    async fn a_name_the_resolver_refuses_is_a_rejection_not_a_failure() {
        // Straight to the HTTP client, past the URL check: what a name re-pointed at an
        // internal address after registration meets.
        let client = PushClient::new(
            VapidKeys::generate(),
            PushConfig {
                subject: "mailto:ops@school.example".to_owned(),
                allow_loopback: false,
                timeout: Duration::from_secs(5),
            },
        )
        .unwrap();
        let url = Url::parse("http://localhost:9/push").unwrap();
        let outcome = client
            .post(url, Vec::new(), Duration::ZERO, Urgency::Normal)
            .await;
        match outcome {
            PushOutcome::Rejected(reason) => {
                assert!(reason.contains("localhost resolves to"), "{reason}");
                assert!(
                    reason.contains("not a public address (loopback)"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
