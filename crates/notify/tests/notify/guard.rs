//! The endpoint guard as registration meets it: `PushClient::check_endpoint`.

use crate::support::client;
use classchat_notify::push::VapidKeys;
use std::time::Duration;

async fn refusal(endpoint: &str, allow_loopback: bool) -> String {
    let client = client(
        VapidKeys::generate(),
        allow_loopback,
        Duration::from_secs(5),
    );
    match client.check_endpoint(endpoint).await {
        Ok(()) => panic!("{endpoint} was accepted (allow_loopback: {allow_loopback})"),
        Err(refused) => refused.0,
    }
}

#[tokio::test]
async fn internal_addresses_localhost_and_plain_http_are_refused() {
    for (endpoint, why) in [
        ("https://127.0.0.1/push/1", "(loopback)"),
        ("https://10.0.0.1/", "(private)"),
        ("https://[::1]/", "(loopback)"),
        ("https://[::ffff:192.168.1.1]/", "(private)"),
        ("https://169.254.169.254/", "(link-local)"),
        ("https://100.64.0.1/", "carrier-grade NAT"),
        ("https://[fd00::1]/", "unique local"),
        ("https://localhost/", "localhost"),
        ("http://example.com/", "must use https"),
    ] {
        let reason = refusal(endpoint, false).await;
        assert!(reason.contains(why), "{endpoint}: {reason}");
    }
}

#[tokio::test]
async fn loopback_http_is_allowed_only_with_the_test_setting() {
    let endpoint = "http://127.0.0.1:40123/push/1";
    assert!(refusal(endpoint, false).await.contains("must use https"));
    let testing = client(VapidKeys::generate(), true, Duration::from_secs(5));
    assert_eq!(testing.check_endpoint(endpoint).await, Ok(()));
    assert_eq!(
        testing
            .check_endpoint("http://localhost:40123/push/1")
            .await,
        Ok(())
    );
    // https endpoints are checked in full even then.
    assert!(
        refusal("https://127.0.0.1:40123/push/1", true)
            .await
            .contains("(loopback)")
    );
    assert!(
        refusal("http://10.0.0.1:40123/push/1", true)
            .await
            .contains("loopback only")
    );
}

#[tokio::test]
async fn a_public_endpoint_passes_and_a_name_that_does_not_resolve_is_refused() {
    let client = client(VapidKeys::generate(), false, Duration::from_secs(5));
    // An IP literal needs no DNS.
    assert_eq!(
        client.check_endpoint("https://8.8.8.8/push/abc").await,
        Ok(())
    );
    assert_eq!(
        client
            .check_endpoint("https://[2606:4700:4700::1111]:8443/p")
            .await,
        Ok(())
    );
    // `.invalid` never resolves (RFC 6761); no network is needed to learn that.
    let reason = refusal("https://push.service.invalid/send/abc", false).await;
    assert!(
        reason.contains("push.service.invalid") && reason.contains("resolve"),
        "{reason}"
    );
}
