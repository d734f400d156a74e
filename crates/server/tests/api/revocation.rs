//! Sessions end everywhere at once: disabling an account, changing its role or its
//! password, and signing out close the user's open sockets within a second (1008 with the
//! reason) and void every token issued before on REST; a socket also closes when its
//! token expires.

use crate::common::ws::{WsClient, connect};
use crate::common::{PASSWORD, SECRET, TestApp, now_secs, sign_token, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How soon a revoked socket must close.
const WITHIN: Duration = Duration::from_secs(1);

async fn patch_user(app: &TestApp, admin: &str, user: &str, changes: Value) {
    let reply = app
        .request(
            Method::PATCH,
            &format!("/admin/users/{user}"),
            Some(admin),
            Some(changes),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// Two sockets of `user` (two devices), opened with `token`.
async fn two_devices(app: &TestApp, token: &str) -> [WsClient; 2] {
    [
        WsClient::connect(app.addr, token).await,
        WsClient::connect(app.addr, token).await,
    ]
}

/// Both sockets close with 1008 and a reason naming `why`, within [`WITHIN`] of `since`.
async fn assert_ended(sockets: &mut [WsClient; 2], since: Instant, why: &str) {
    for socket in sockets.iter_mut() {
        let code = socket.expect_close(Duration::from_secs(5)).await;
        assert!(
            since.elapsed() <= WITHIN,
            "closed after {:?}",
            since.elapsed()
        );
        assert_eq!(code, Some(1008));
        let reason = socket.close_reason().unwrap_or_default();
        assert!(reason.contains(why), "close reason: {reason:?}");
    }
}

#[tokio::test]
async fn disabling_an_account_closes_its_sockets_and_its_token_stops_working() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let token = app.login("s1").await;
    let mut sockets = two_devices(&app, &token).await;
    let since = Instant::now();
    patch_user(&app, &admin, "s1", json!({"disabled": true})).await;
    assert_ended(&mut sockets, since, "disabled").await;
    app.get("/chat/get_teachers", &token)
        .await
        .assert_error(403, "account_disabled");
    // Enabled again, the old token stays void: a new sign-in is needed.
    patch_user(&app, &admin, "s1", json!({"disabled": false})).await;
    app.get("/chat/get_teachers", &token)
        .await
        .assert_error(401, "unauthorized");
    let fresh = app.login("s1").await;
    assert_eq!(app.get("/chat/get_teachers", &fresh).await.status, 200);
}

#[tokio::test]
async fn a_password_reset_closes_the_sockets_and_voids_older_tokens() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let token = app.login("t1").await;
    let mut sockets = two_devices(&app, &token).await;
    let bystander = connect(&app, "t2").await;
    let since = Instant::now();
    patch_user(
        &app,
        &admin,
        "t1",
        json!({"password": "a brand new password"}),
    )
    .await;
    assert_ended(&mut sockets, since, "password").await;
    app.get("/chat/get_chats", &token)
        .await
        .assert_error(401, "unauthorized");
    let relogin = app
        .request(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"userId": "t1", "password": "a brand new password"})),
        )
        .await;
    assert_eq!(relogin.status, 200, "{}", relogin.body);
    // Other users are untouched.
    assert_eq!(bystander.close_code(), None);
}

#[tokio::test]
async fn a_role_change_closes_the_sockets_and_voids_older_tokens() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    // s3 has no links, so the role may change.
    let token = app.login("s3").await;
    let mut sockets = two_devices(&app, &token).await;
    let since = Instant::now();
    patch_user(&app, &admin, "s3", json!({"role": "teacher"})).await;
    assert_ended(&mut sockets, since, "role").await;
    app.get("/chat/get_teachers", &token)
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn a_rename_ends_nothing() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let token = app.login("s1").await;
    let mut socket = WsClient::connect(app.addr, &token).await;
    patch_user(&app, &admin, "s1", json!({"displayName": "Student Uno"})).await;
    socket.expect_silence(Duration::from_millis(700)).await;
    assert_eq!(socket.close_code(), None);
    assert_eq!(app.get("/chat/get_teachers", &token).await.status, 200);
}

#[tokio::test]
async fn logout_signs_out_every_device() {
    let app = spawn_app().await;
    let laptop = app.login("s2").await;
    let phone = app.login("s2").await;
    let mut sockets = [
        WsClient::connect(app.addr, &laptop).await,
        WsClient::connect(app.addr, &phone).await,
    ];
    let since = Instant::now();
    let reply = app
        .request(Method::POST, "/auth/logout", Some(&laptop), None)
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert_ended(&mut sockets, since, "signed out").await;
    for token in [&laptop, &phone] {
        app.get("/chat/get_teachers", token)
            .await
            .assert_error(401, "unauthorized");
        let refused = WsClient::try_connect(app.addr, token).await;
        assert!(refused.is_err(), "a void token opened a socket");
    }
    // Logging out needs a valid token; signing in again works.
    app.request(Method::POST, "/auth/logout", Some(&laptop), None)
        .await
        .assert_error(401, "unauthorized");
    let again = app
        .request(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"userId": "s2", "password": PASSWORD})),
        )
        .await;
    assert_eq!(again.status, 200);
}

#[tokio::test]
async fn a_socket_closes_when_its_token_expires() {
    let app = spawn_app().await;
    let expires = now_secs() + 2;
    let token = sign_token(SECRET, "s1", "student", expires);
    let mut socket = WsClient::connect(app.addr, &token).await;
    let code = socket.expect_close(Duration::from_secs(6)).await;
    assert_eq!(code, Some(1008));
    let reason = socket.close_reason().unwrap_or_default();
    assert!(reason.contains("expired"), "close reason: {reason:?}");
    assert!(
        now_secs() + 1 >= expires,
        "closed before the token expired ({} < {expires})",
        now_secs()
    );
    app.get("/chat/get_teachers", &token)
        .await
        .assert_error(401, "unauthorized");
}
