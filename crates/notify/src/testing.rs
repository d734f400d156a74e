//! A push service on loopback for tests (this crate's and the binary's): it checks every
//! request as a strict real one would — the VAPID JWT (`aud` with the port, `exp`, `sub`,
//! the ES256 signature), `TTL`, `Content-Encoding: aes128gcm` — and decrypts the payload
//! with the subscribing browser's private key. Beside it, [`SmtpSink`] reads back the email
//! the SMTP sink `scripts/test` starts has received. Behind the `test-support` feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use classchat_core::notify::PushSubscription;
use classchat_core::time::Timestamp;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand::RngCore;
use rand::rngs::OsRng;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use web_push_native::Auth;

/// A browser: the key pair and auth secret a `PushSubscription` carries.
pub struct Browser {
    /// The private half, which only the browser has: the push service uses it to decrypt.
    pub secret: p256::SecretKey,
    /// The authentication secret.
    pub auth: [u8; 16],
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with fresh keys.
    pub fn new() -> Self {
        let mut auth = [0u8; 16];
        OsRng.fill_bytes(&mut auth);
        Self {
            secret: p256::SecretKey::random(&mut OsRng),
            auth,
        }
    }

    /// The subscription this browser would hand over for `endpoint`.
    pub fn subscription(&self, endpoint: &str) -> PushSubscription {
        let public = self.secret.public_key().to_encoded_point(false);
        PushSubscription::parse(
            endpoint,
            &URL_SAFE_NO_PAD.encode(public.as_bytes()),
            &URL_SAFE_NO_PAD.encode(self.auth),
            Timestamp::MIN,
        )
        .expect("a well-formed subscription")
    }
}

/// What the push service made of one request.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request path.
    pub path: String,
    /// The request, checked and decrypted, or what was wrong with it (answered `400`).
    pub checked: Result<Request, String>,
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub struct Request {
    /// The `TTL` header, in seconds.
    pub ttl: u64,
    /// The `Urgency` header, if any.
    pub urgency: Option<String>,
    /// The body as sent (for the cross-check).
    pub body: Vec<u8>,
    /// The body decrypted with the browser's private key.
    pub plaintext: Vec<u8>,
    /// The VAPID JWT as sent.
    pub jwt: String,
    /// The `k=` key as sent.
    pub key: String,
}

/// A push service on `127.0.0.1:0`. Every POST is checked (VAPID, headers) and decrypted
/// with its browser's key; the answer is chosen by the path, `/push/<answer>/<id>`:
/// `created` 201, `gone404`, `gone410`, `busy` (429, `Retry-After: 120`), `broken` (500),
/// `moved` (301 to [`PushService::redirect_to`]), `forbidden` (403 with a reason),
/// `slow` (201 after five seconds), `flaky` (503 the first time a path is asked, then
/// 201).
pub struct PushService {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// The port it listens on.
    pub port: u16,
    state: Arc<ServiceState>,
}

struct ServiceState {
    port: u16,
    browser: Browser,
    /// The public key requests must be signed with (the client's).
    expected_key: String,
    redirect_to: Mutex<String>,
    received: Mutex<Vec<Received>>,
}

impl PushService {
    /// Starts a service for `browser`'s subscriptions, expecting requests signed by the
    /// client whose public key is `expected_key`.
    pub async fn start(browser: Browser, expected_key: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local address").port();
        let state = Arc::new(ServiceState {
            port,
            browser,
            expected_key,
            redirect_to: Mutex::new(String::new()),
            received: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            origin: format!("http://127.0.0.1:{port}"),
            port,
            state,
        }
    }

    /// The subscription of this service's browser for `path` on this service.
    pub fn subscription(&self, path: &str) -> PushSubscription {
        self.subscription_at(&format!("{}{path}", self.origin))
    }

    /// The subscription of this service's browser with any endpoint at all.
    pub fn subscription_at(&self, endpoint: &str) -> PushSubscription {
        self.state.browser.subscription(endpoint)
    }

    /// Where `/push/moved/…` redirects.
    pub fn redirect_to(&self, location: &str) {
        *self.state.redirect_to.lock().unwrap() = location.to_owned();
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// The requests so far that passed every check, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.received()
            .into_iter()
            .filter_map(|received| received.checked.ok())
            .collect()
    }

    /// Waits until at least `count` requests arrived (at most ten seconds), then answers
    /// all of them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..1000 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "{count} push requests never arrived: {:#?}",
            self.received()
        );
    }

    /// The one request so far, which must have passed every check.
    pub fn only_request(&self) -> Request {
        let received = self.received();
        assert_eq!(received.len(), 1, "{received:#?}");
        received[0].checked.clone().expect("a valid push request")
    }
}

async fn receive(
    State(state): State<Arc<ServiceState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let checked = check(&state, &headers, &body);
    let problem = checked.as_ref().err().cloned();
    state.received.lock().unwrap().push(Received {
        path: path.clone(),
        checked,
    });
    if let Some(problem) = problem {
        return (StatusCode::BAD_REQUEST, problem).into_response();
    }
    let answer = path.split('/').nth(2).unwrap_or_default();
    match answer {
        "created" => (StatusCode::CREATED, [(header::LOCATION, "/message/1")]).into_response(),
        "gone404" => StatusCode::NOT_FOUND.into_response(),
        "gone410" => StatusCode::GONE.into_response(),
        "busy" => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "120")],
        )
            .into_response(),
        "broken" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        "moved" => {
            let location = state.redirect_to.lock().unwrap().clone();
            (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, location)],
            )
                .into_response()
        }
        "forbidden" => (StatusCode::FORBIDDEN, "VAPID key mismatch").into_response(),
        "flaky" => {
            let earlier = state
                .received
                .lock()
                .unwrap()
                .iter()
                .filter(|seen| seen.path == path)
                .count();
            if earlier > 1 {
                StatusCode::CREATED.into_response()
            } else {
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        }
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            StatusCode::CREATED.into_response()
        }
        _ => (StatusCode::NOT_FOUND, "no such test answer").into_response(),
    }
}

/// Checks one request as a push service does, and decrypts it.
fn check(state: &ServiceState, headers: &HeaderMap, body: &[u8]) -> Result<Request, String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let host = header("host").ok_or("no Host")?;
    if host != format!("127.0.0.1:{}", state.port) && host != format!("localhost:{}", state.port) {
        return Err(format!("unexpected Host {host}"));
    }
    let (jwt, key) = header("authorization")
        .as_deref()
        .and_then(|auth| auth.strip_prefix("vapid t="))
        .and_then(|rest| rest.split_once(", k="))
        .map(|(t, k)| (t.to_owned(), k.to_owned()))
        .ok_or("Authorization is not `vapid t=…, k=…`")?;
    if key != state.expected_key {
        return Err("k is not the application server key the browser subscribed with".into());
    }
    check_jwt(&jwt, &key, &format!("http://{host}"))?;

    let ttl = header("ttl")
        .and_then(|ttl| ttl.parse::<u64>().ok())
        .ok_or("TTL is missing or not a number")?;
    if header("content-encoding").as_deref() != Some("aes128gcm") {
        return Err("Content-Encoding is not aes128gcm".into());
    }
    let auth = Auth::clone_from_slice(&state.browser.auth);
    let plaintext = web_push_native::decrypt(body.to_vec(), &state.browser.secret, &auth)
        .map_err(|err| format!("the body does not decrypt: {err}"))?;
    Ok(Request {
        ttl,
        urgency: header("urgency"),
        body: body.to_vec(),
        plaintext,
        jwt,
        key,
    })
}

/// RFC 8292 §2: an ES256 JWT for our origin, expiring within a day, with a contact.
fn check_jwt(jwt: &str, key: &str, origin: &str) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("the JWT does not have three parts".into());
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| "not base64url".to_owned())
    };
    let header: serde_json::Value =
        serde_json::from_slice(&decode(header)?).map_err(|e| e.to_string())?;
    if header["alg"] != "ES256" || header["typ"] != "JWT" {
        return Err(format!("unexpected JOSE header {header}"));
    }
    let claims: serde_json::Value =
        serde_json::from_slice(&decode(claims)?).map_err(|e| e.to_string())?;
    if claims["aud"] != origin {
        return Err(format!("aud is {}, not {origin}", claims["aud"]));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = claims["exp"].as_u64().ok_or("exp is not a number")?;
    if exp <= now || exp > now + 24 * 3600 {
        return Err(format!(
            "exp {exp} is not within the next 24 hours of {now}"
        ));
    }
    if claims["sub"].as_str().is_none_or(str::is_empty) {
        return Err("sub is missing".into());
    }
    let verifying = VerifyingKey::from_sec1_bytes(&decode(key)?).map_err(|e| e.to_string())?;
    let signature = Signature::from_slice(&decode(signature)?).map_err(|e| e.to_string())?;
    let input = format!("{}.{}", parts[0], parts[1]);
    verifying
        .verify(input.as_bytes(), &signature)
        .map_err(|_| "the ES256 signature does not verify with k".to_owned())
}

// The SMTP sink's reader, for the email tests (`testing/smtp_sink.rs`).
mod smtp_sink;
pub use smtp_sink::{ReceivedMail, SmtpSink};
