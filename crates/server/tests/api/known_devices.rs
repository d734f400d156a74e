//! Known devices: a sign-in returns a device token, and a sign-in that shows it is
//! counted apart from everyone else's attempts on the account, so strangers' guesses
//! cannot pause its owner out. The token is no credential and no bearer token.

use crate::common::ws::WsClient;
use crate::common::{PASSWORD, spawn_app};
use serde_json::json;
use std::net::IpAddr;

fn address(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

#[tokio::test]
async fn a_known_device_signs_in_while_strangers_have_paused_the_account() {
    let app = spawn_app().await;
    let first = app.login_from(address(1), "s1", PASSWORD).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let device = first.body["deviceToken"].as_str().unwrap().to_owned();
    let other_account = app.login_from(address(1), "s2", PASSWORD).await.body["deviceToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // A stranger elsewhere guesses until the account pauses.
    for _ in 0..5 {
        app.login_from(address(2), "s1", "wrong-password")
            .await
            .assert_error(401, "invalid_credentials");
    }
    app.login_from(address(3), "s1", PASSWORD)
        .await
        .assert_error(429, "too_many_attempts");
    // Another account's device token, or a forged one, is no device of s1's.
    for shown in [other_account.as_str(), "not.a.token", ""] {
        app.login_body_from(
            address(3),
            json!({"userId": "s1", "password": PASSWORD, "deviceToken": shown}),
        )
        .await
        .assert_error(429, "too_many_attempts");
    }
    // The owner's device is not paused, and keeps being known.
    let again = app
        .login_body_from(
            address(4),
            json!({"userId": "s1", "password": PASSWORD, "deviceToken": device}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    let renewed = again.body["deviceToken"].as_str().unwrap();
    let third = app
        .login_body_from(
            address(4),
            json!({"userId": "s1", "password": PASSWORD, "deviceToken": renewed}),
        )
        .await;
    assert_eq!(third.status, 200, "{}", third.body);
}

#[tokio::test]
async fn a_known_device_still_needs_the_password_and_has_a_pause_of_its_own() {
    let app = spawn_app().await;
    let device = app.login_from(address(1), "s1", PASSWORD).await.body["deviceToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_device =
        |password: &str| json!({"userId": "s1", "password": password, "deviceToken": device});
    for _ in 0..5 {
        app.login_body_from(address(1), with_device("wrong-password"))
            .await
            .assert_error(401, "invalid_credentials");
    }
    app.login_body_from(address(1), with_device(PASSWORD))
        .await
        .assert_error(429, "too_many_attempts");
    // The account's other devices are not paused by this one's failures.
    assert_eq!(app.login_from(address(2), "s1", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_device_token_is_not_a_bearer_token() {
    let app = spawn_app().await;
    let device = app.login_from(address(1), "s1", PASSWORD).await.body["deviceToken"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get("/chat/get_teachers", &device)
        .await
        .assert_error(401, "unauthorized");
    assert!(WsClient::try_connect(app.addr, &device).await.is_err());
}

#[tokio::test]
async fn an_oversized_device_token_is_a_clear_error() {
    let app = spawn_app().await;
    let reply = app
        .login_body_from(
            address(1),
            json!({"userId": "s1", "password": PASSWORD, "deviceToken": "a".repeat(1025)}),
        )
        .await;
    reply.assert_error(400, "invalid_request");
    // Nothing was counted against the account.
    assert_eq!(app.login_from(address(1), "s1", PASSWORD).await.status, 200);
}
