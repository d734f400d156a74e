//! Guessing is slowed down before any password is hashed: an account pauses after a few
//! failures (longer each time, even for the right password), an address that fails too
//! often is paused, both answer the same whether the account exists, and when hashing is
//! saturated a login is refused at once rather than queued without end.

use crate::common::{PASSWORD, Reply, SECRET, USERS, spawn_app, spawn_app_configured};
use classchat_core::Limits;
use classchat_core::hashing::HashingConfig;
use classchat_core::login_guard::LoginLimits;
use classchat_core::rate::Rate;
use classchat_server::{LiveConfig, ServerConfig};
use std::net::IpAddr;

fn address(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

fn retry_after(reply: &Reply) -> u64 {
    reply
        .headers
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", reply.headers))
}

#[tokio::test]
async fn five_wrong_passwords_pause_the_account_even_for_the_right_one() {
    let app = spawn_app().await;
    let here = address(1);
    for attempt in 1..=5 {
        let reply = app.login_from(here, "s1", "wrong-password").await;
        reply.assert_error(401, "invalid_credentials");
        assert!(
            reply.headers.get("retry-after").is_none(),
            "attempt {attempt}"
        );
    }
    let paused = app.login_from(here, "s1", PASSWORD).await;
    paused.assert_error(429, "too_many_attempts");
    assert!(
        (1..=2).contains(&retry_after(&paused)),
        "{:?}",
        paused.headers
    );
    assert!(paused.body.get("token").is_none());
    // The pause is the account's: another account from the same address signs in.
    assert_eq!(app.login_from(here, "s2", PASSWORD).await.status, 200);
    // After the pause the right password works and clears the count.
    tokio::time::sleep(std::time::Duration::from_secs(retry_after(&paused))).await;
    assert_eq!(app.login_from(here, "s1", PASSWORD).await.status, 200);
    app.login_from(here, "s1", "wrong-password")
        .await
        .assert_error(401, "invalid_credentials");
}

#[tokio::test]
async fn an_unknown_account_is_paused_exactly_like_a_known_one() {
    let app = spawn_app().await;
    let mut answers = Vec::new();
    for user in ["s1", "nobody"] {
        for _ in 0..5 {
            app.login_from(address(1), user, "wrong-password")
                .await
                .assert_error(401, "invalid_credentials");
        }
        let paused = app.login_from(address(1), user, "wrong-password").await;
        paused.assert_error(429, "too_many_attempts");
        let wait = retry_after(&paused);
        answers.push((paused.body, wait));
    }
    assert_eq!(
        answers[0], answers[1],
        "the answers tell the accounts apart"
    );
}

#[tokio::test]
async fn an_address_that_fails_too_often_is_paused_and_others_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        send: Rate::UNLIMITED,
        login: LoginLimits {
            per_client: Rate {
                per_second: 0.5,
                burst: 4.0,
            },
            ..LoginLimits::default()
        },
        ..Limits::default()
    };
    let config = ServerConfig::with_secret(SECRET.to_vec());
    let app =
        spawn_app_configured(dir.path().join("db"), limits, LiveConfig::default(), config).await;
    let guesser = address(2);
    // Four accounts, one guess each: no account is paused, the address is.
    for user in ["s1", "s2", "t1", "nobody"] {
        app.login_from(guesser, user, "wrong-password")
            .await
            .assert_error(401, "invalid_credentials");
    }
    let paused = app.login_from(guesser, "t2", PASSWORD).await;
    paused.assert_error(429, "too_many_attempts");
    assert!(
        (1..=2).contains(&retry_after(&paused)),
        "{:?}",
        paused.headers
    );
    // Someone else, elsewhere, signs in.
    assert_eq!(app.login_from(address(3), "t2", PASSWORD).await.status, 200);
    // Successful sign-ins do not use up an address's attempts.
    for _ in 0..10 {
        assert_eq!(app.login_from(address(4), "s3", PASSWORD).await.status, 200);
    }
}

#[tokio::test]
async fn behind_a_proxy_the_forwarded_address_is_the_one_limited() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        login: LoginLimits {
            per_client: Rate {
                per_second: 0.1,
                burst: 2.0,
            },
            ..LoginLimits::default()
        },
        ..Limits::default()
    };
    let config = ServerConfig {
        client_ip_header: Some(classchat_server::HeaderName::from_static("x-forwarded-for")),
        ..ServerConfig::with_secret(SECRET.to_vec())
    };
    let app =
        spawn_app_configured(dir.path().join("db"), limits, LiveConfig::default(), config).await;
    let attempt = async |forwarded: &str, user: &str| {
        let response = app
            .client
            .post(app.url("/auth/login"))
            .header("x-forwarded-for", forwarded)
            .json(&serde_json::json!({"userId": user, "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    };
    // What the client claims (left) is ignored; the proxy's entry (right) counts.
    assert_eq!(attempt("1.1.1.1, 192.0.2.10", "a").await, 401);
    assert_eq!(attempt("2.2.2.2, 192.0.2.10", "b").await, 401);
    assert_eq!(attempt("3.3.3.3, 192.0.2.10", "c").await, 429);
    assert_eq!(attempt("192.0.2.11", "d").await, 401);
}

#[tokio::test]
async fn a_saturated_hashing_pool_refuses_at_once_with_503_busy() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::common::spawn_app_hashing(
        dir.path().join("db"),
        HashingConfig {
            threads: 1,
            queue: 1,
        },
    )
    .await;
    // Every seeded account twice, from twelve addresses: no account or address limit
    // applies, only the pool's.
    let attempts = (0..12u8).map(|n| {
        let app = &app;
        let (user, _, _) = USERS[usize::from(n) % USERS.len()];
        async move { app.login_from(address(10 + n), user, PASSWORD).await }
    });
    let replies = futures::future::join_all(attempts).await;
    let busy: Vec<&Reply> = replies.iter().filter(|reply| reply.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "twelve logins at once through one thread and a queue of one"
    );
    for reply in &busy {
        reply.assert_error(503, "busy");
        assert_eq!(retry_after(reply), 1);
    }
    assert!(
        replies
            .iter()
            .all(|reply| reply.status == 200 || reply.status == 503),
        "{:?}",
        replies.iter().map(|reply| reply.status).collect::<Vec<_>>()
    );
    // Once the burst is over, the same account signs in.
    assert_eq!(app.login_from(address(1), "t1", PASSWORD).await.status, 200);
}
