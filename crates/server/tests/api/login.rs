//! Signing in: the right password gets a token; a wrong password and an unknown user get the
//! same refusal, so the answer never tells which userIds exist; a disabled account is named
//! only to someone who knows its password. (Malformed login bodies are in `bad_input`.)

use crate::common::{PASSWORD, Reply, TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn login(app: &TestApp, body: Value) -> Reply {
    app.request(Method::POST, "/auth/login", None, Some(body))
        .await
}

#[tokio::test]
async fn the_right_password_gets_a_token_for_that_user() {
    let app = spawn_app().await;
    let reply = login(&app, json!({"userId": "t1", "password": PASSWORD})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["user"],
        json!({"userId": "t1", "displayName": "Teacher One", "role": "teacher"})
    );
    assert!(
        reply.body["expiresAt"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );
    let token = reply.body["token"].as_str().expect("token");
    let chats = app.get("/chat/get_chats", token).await;
    assert_eq!(chats.status, 200, "the token works: {}", chats.body);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let app = spawn_app().await;
    let wrong_password = login(&app, json!({"userId": "s1", "password": "not-it"})).await;
    wrong_password.assert_error(401, "invalid_credentials");
    let unknown_user = login(&app, json!({"userId": "nobody", "password": PASSWORD})).await;
    unknown_user.assert_error(401, "invalid_credentials");
    // Word for word the same, so a caller cannot probe which userIds exist.
    assert_eq!(wrong_password.body, unknown_user.body);
    // Another user's password is just a wrong password.
    let other = login(
        &app,
        json!({"userId": "s1", "password": format!("{PASSWORD} ")}),
    )
    .await;
    assert_eq!(other.body, wrong_password.body);
    for reply in [&wrong_password, &unknown_user] {
        assert!(reply.body.get("token").is_none(), "{}", reply.body);
    }
}

#[tokio::test]
async fn a_disabled_account_is_named_only_to_someone_who_knows_its_password() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let disabled = app
        .request(
            Method::PATCH,
            "/admin/users/s2",
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);

    login(&app, json!({"userId": "s2", "password": PASSWORD}))
        .await
        .assert_error(403, "account_disabled");
    let wrong = login(&app, json!({"userId": "s2", "password": "not-it"})).await;
    wrong.assert_error(401, "invalid_credentials");
    assert!(wrong.body.get("token").is_none(), "{}", wrong.body);
}
