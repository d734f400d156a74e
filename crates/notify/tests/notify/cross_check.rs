//! An independent implementation reads what we write: Python's `http_ece` decrypts our
//! `aes128gcm` bodies and `cryptography` verifies our ES256 VAPID JWTs
//! (`ece_check.py`, run with the `.venv` that `scripts/moto install` creates). A missing
//! interpreter or module fails the test: a check that can silently skip is no check.

use crate::support::{Browser, PushService, client};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use classchat_notify::push::{PushOutcome, PushPayload, Urgency, VapidKeys};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use web_push_native::Auth;
use web_push_native::p256::{PublicKey, SecretKey};

/// RFC 8291 Appendix A: the user agent's key pair and authentication secret…
const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
const UA_PUBLIC: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
/// …and the message it encrypts for them, as the RFC prints it.
const RFC_PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
const RFC_BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

fn b64(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// Runs `ece_check.py` on `request` with the workspace's `.venv` Python.
fn independently(request: &Value) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/notify/ece_check.py");
    assert!(
        python.exists(),
        "{} is missing: the Web Push cross-check needs Python's http_ece; run scripts/moto install",
        python.display()
    );
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("could not run {}: {err}", python.display()));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("write the request");
    let output = child.wait_with_output().expect("ece_check.py");
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => serde_json::from_slice(&output.stdout).expect("ece_check.py's JSON"),
        Some(3) => panic!(
            "http_ece (or cryptography) is not installed in {}: run scripts/moto install\n{stderr}",
            python.display()
        ),
        _ => panic!("the independent implementation disagrees: {stderr}"),
    }
}

#[test]
fn the_rfc_8291_example_key_pair_is_consistent() {
    let secret = SecretKey::from_slice(&unb64(UA_PRIVATE)).unwrap();
    let public = PublicKey::from_sec1_bytes(&unb64(UA_PUBLIC)).unwrap();
    assert_eq!(secret.public_key(), public);
}

#[test]
fn http_ece_decrypts_what_web_push_native_encrypts_and_both_read_the_rfc_example() {
    let public = PublicKey::from_sec1_bytes(&unb64(UA_PUBLIC)).unwrap();
    let secret = SecretKey::from_slice(&unb64(UA_PRIVATE)).unwrap();
    let auth = Auth::clone_from_slice(&unb64(AUTH));

    // A payload as large as they get, with text that is not ASCII.
    let payload = PushPayload {
        title: "Mme Lefèvre".to_owned(),
        body: "Réunion parents-professeurs 🍉 ".repeat(200),
        conversation_id: "g1+t1".to_owned(),
        message_id: "01J9Z8X7W6V5T4S3R2Q1P0N9M8".to_owned(),
        url: "/chat/g1+t1".to_owned(),
        tag: "conversation:g1+t1".to_owned(),
    }
    .to_bytes();
    let ours = web_push_native::encrypt(payload.clone(), &public, &auth).unwrap();

    // Our dependency reads the RFC's own ciphertext too.
    let rfc = web_push_native::decrypt(unb64(RFC_BODY), &secret, &auth).unwrap();
    assert_eq!(rfc, RFC_PLAINTEXT.as_bytes());

    let answer = independently(&json!({
        "decrypt": [
            {"body": b64(&ours), "private_key": UA_PRIVATE, "auth": AUTH},
            {"body": RFC_BODY, "private_key": UA_PRIVATE, "auth": AUTH},
        ],
    }));
    assert_eq!(unb64(answer["plaintexts"][0].as_str().unwrap()), payload);
    assert_eq!(
        unb64(answer["plaintexts"][1].as_str().unwrap()),
        RFC_PLAINTEXT.as_bytes()
    );
}

#[tokio::test]
async fn what_the_client_sends_is_read_by_independent_implementations() {
    let keys = VapidKeys::generate();
    let browser = Browser::new();
    let private = b64(&browser.secret.to_bytes());
    let auth = b64(&browser.auth);
    let service = PushService::start(browser, keys.public_base64url()).await;
    let client = client(keys, true, Duration::from_secs(5));
    let payload = br#"{"title":"Mr Okafor","body":"Bring your lab coat"}"#;
    let outcome = client
        .deliver(
            &service.subscription("/push/created/1"),
            payload,
            Duration::from_secs(60),
            Urgency::Normal,
        )
        .await;
    assert_eq!(outcome, PushOutcome::Delivered);
    let sent = service.only_request();

    let answer = tokio::task::spawn_blocking(move || {
        independently(&json!({
            "decrypt": [{"body": b64(&sent.body), "private_key": private, "auth": auth}],
            "verify": [{"jwt": sent.jwt, "key": sent.key}],
        }))
    })
    .await
    .unwrap();
    assert_eq!(unb64(answer["plaintexts"][0].as_str().unwrap()), payload);
    let claims = &answer["claims"][0];
    assert_eq!(claims["aud"], service.origin.as_str());
    assert_eq!(claims["sub"], "mailto:ops@school.example");
}
