//! Deliveries to a push service on loopback, and what each of its answers means.

use crate::support::{Browser, PushService, client};
use classchat_notify::push::{PushClient, PushOutcome, PushPayload, Urgency, VapidKeys};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(3_600);

async fn service_and_client() -> (PushService, PushClient) {
    let keys = VapidKeys::generate();
    let service = PushService::start(Browser::new(), keys.public_base64url()).await;
    (service, client(keys, true, Duration::from_secs(5)))
}

fn payload() -> PushPayload {
    PushPayload {
        title: "Ms Rivera".to_owned(),
        body: "Field trip forms are due Friday ✏️".to_owned(),
        conversation_id: "s1+t1".to_owned(),
        message_id: "01J9Z8X7W6V5T4S3R2Q1P0N9M8".to_owned(),
        url: "/chat/s1+t1".to_owned(),
        tag: "conversation:s1+t1".to_owned(),
    }
}

#[tokio::test]
async fn a_message_arrives_signed_and_decrypts_to_the_exact_payload() {
    let (service, client) = service_and_client().await;
    let bytes = payload().to_bytes();
    let outcome = client
        .deliver(
            &service.subscription("/push/created/1"),
            &bytes,
            TTL,
            Urgency::High,
        )
        .await;
    assert_eq!(outcome, PushOutcome::Delivered);

    let request = service.only_request();
    assert_eq!(request.plaintext, bytes);
    assert_eq!(request.ttl, 3_600);
    assert_eq!(request.urgency.as_deref(), Some("high"));
    assert_eq!(request.key, client.public_key());
}

#[tokio::test]
async fn localhost_is_reached_through_the_guarded_resolver_with_the_test_setting() {
    let (service, client) = service_and_client().await;
    let endpoint = format!("http://localhost:{}/push/created/2", service.port);
    let outcome = client
        .deliver(
            &service.subscription_at(&endpoint),
            b"{}",
            TTL,
            Urgency::Normal,
        )
        .await;
    assert_eq!(outcome, PushOutcome::Delivered);
    let request = service.only_request();
    assert_eq!(request.plaintext, b"{}");
    assert_eq!(request.urgency.as_deref(), Some("normal"));
}

#[tokio::test]
async fn an_expired_subscription_is_gone() {
    let (service, client) = service_and_client().await;
    for path in ["/push/gone404/1", "/push/gone410/1"] {
        let outcome = client
            .deliver(&service.subscription(path), b"{}", TTL, Urgency::Normal)
            .await;
        assert_eq!(outcome, PushOutcome::Gone, "{path}");
    }
    assert!(service.received().iter().all(|r| r.checked.is_ok()));
}

#[tokio::test]
async fn a_busy_or_broken_push_service_is_retried_later() {
    let (service, client) = service_and_client().await;
    let busy = client
        .deliver(
            &service.subscription("/push/busy/1"),
            b"{}",
            TTL,
            Urgency::Normal,
        )
        .await;
    assert_eq!(
        busy,
        PushOutcome::RetryLater(Some(Duration::from_secs(120)))
    );
    let broken = client
        .deliver(
            &service.subscription("/push/broken/1"),
            b"{}",
            TTL,
            Urgency::Normal,
        )
        .await;
    assert_eq!(broken, PushOutcome::RetryLater(None));
}

#[tokio::test]
async fn a_redirect_is_rejected_and_not_followed() {
    let (service, client) = service_and_client().await;
    let elsewhere = PushService::start(Browser::new(), client.public_key()).await;
    service.redirect_to(&format!("{}/push/created/9", elsewhere.origin));
    let outcome = client
        .deliver(
            &service.subscription("/push/moved/1"),
            b"{}",
            TTL,
            Urgency::Normal,
        )
        .await;
    assert!(
        matches!(&outcome, PushOutcome::Rejected(reason) if reason.contains("301") && reason.contains("redirect")),
        "{outcome:?}"
    );
    let received = service.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/push/moved/1");
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn another_refusal_is_rejected_with_the_services_reason() {
    let (service, client) = service_and_client().await;
    let outcome = client
        .deliver(
            &service.subscription("/push/forbidden/1"),
            b"{}",
            TTL,
            Urgency::Normal,
        )
        .await;
    assert_eq!(
        outcome,
        PushOutcome::Rejected(
            "the push service answered 403 Forbidden: VAPID key mismatch".to_owned()
        )
    );
}

#[tokio::test]
async fn the_test_push_service_refuses_a_request_signed_with_another_key() {
    // The service's checks are real: a client with other keys is turned away.
    let (service, _) = service_and_client().await;
    let stranger = client(VapidKeys::generate(), true, Duration::from_secs(5));
    let outcome = stranger
        .deliver(
            &service.subscription("/push/created/1"),
            b"{}",
            TTL,
            Urgency::Normal,
        )
        .await;
    assert!(
        matches!(&outcome, PushOutcome::Rejected(reason) if reason.contains("k is not")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn without_the_test_setting_loopback_is_refused_before_any_request() {
    let keys = VapidKeys::generate();
    let service = PushService::start(Browser::new(), keys.public_base64url()).await;
    let client = client(keys, false, Duration::from_secs(5));
    for endpoint in [
        format!("{}/push/created/1", service.origin),
        format!("https://127.0.0.1:{}/push/created/1", service.port),
        format!("http://localhost:{}/push/created/1", service.port),
    ] {
        let outcome = client
            .deliver(
                &service.subscription_at(&endpoint),
                b"{}",
                TTL,
                Urgency::Normal,
            )
            .await;
        assert!(
            matches!(outcome, PushOutcome::Rejected(_)),
            "{endpoint}: {outcome:?}"
        );
    }
    assert!(service.received().is_empty());
}

#[tokio::test]
async fn an_unreachable_or_slow_push_service_is_a_failure_to_retry() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().port();
    drop(listener);
    let keys = VapidKeys::generate();
    let service = PushService::start(Browser::new(), keys.public_base64url()).await;
    let client = client(keys, true, Duration::from_millis(500));

    let nobody = service.subscription_at(&format!("http://127.0.0.1:{closed}/push/created/1"));
    let outcome = client.deliver(&nobody, b"{}", TTL, Urgency::Normal).await;
    assert!(
        matches!(&outcome, PushOutcome::Failed(reason) if !reason.contains("/push/")),
        "{outcome:?} (the endpoint URL must stay out of the reason)"
    );

    let outcome = client
        .deliver(
            &service.subscription("/push/slow/1"),
            b"{}",
            TTL,
            Urgency::Normal,
        )
        .await;
    assert_eq!(
        outcome,
        PushOutcome::Failed("the push service did not answer in time".to_owned())
    );
}

#[tokio::test]
async fn a_payload_too_large_for_one_record_is_rejected_unsent() {
    let (service, client) = service_and_client().await;
    let outcome = client
        .deliver(
            &service.subscription("/push/created/1"),
            &[b'x'; 4_000],
            TTL,
            Urgency::Normal,
        )
        .await;
    assert!(matches!(outcome, PushOutcome::Rejected(_)), "{outcome:?}");
    assert!(service.received().is_empty());
}
