//! First sign-in over HTTP: an admin gets one-time sign-in codes as CSV, a user sets their
//! password with one and is signed in exactly as by `POST /auth/login`; issuing ends the
//! account's sessions; bad requests issue nothing; first sign-ins count against the
//! sign-in limits of the account and the address; the document states both routes.

use crate::common::{PASSWORD, Reply, SECRET, TestApp, spawn_app, spawn_app_configured};
use classchat_core::login_guard::LoginLimits;
use classchat_core::rate::Rate;
use classchat_core::{Clock, Limits, Timestamp};
use classchat_server::{LiveConfig, ServerConfig};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::IpAddr;

const NEW_PASSWORD: &str = "my-own-password";

/// `POST /admin/sign-in-codes` as `token` with this body.
async fn issue(app: &TestApp, token: &str, body: Value) -> Reply {
    app.post("/admin/sign-in-codes", token, body).await
}

/// The records of a CSV answer: `(userId, code, expiresAt)`, after checking the header.
fn records(reply: &Reply) -> Vec<(String, String, String)> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let csv = reply.body.as_str().expect("a CSV body");
    let mut lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.pop(), Some(""), "every line ends with CRLF: {csv:?}");
    assert_eq!(lines.remove(0), "userId,code,expiresAt", "{csv:?}");
    lines
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "{line:?}");
            (
                fields[0].to_owned(),
                fields[1].to_owned(),
                fields[2].to_owned(),
            )
        })
        .collect()
}

/// The code the admin gets for `user_id`.
async fn code_for(app: &TestApp, user_id: &str) -> String {
    let admin = app.login("admin").await;
    let reply = issue(app, &admin, json!({"userIds": [user_id]})).await;
    records(&reply).remove(0).1
}

/// `POST /auth/first-sign-in` from the loopback address `from`, without a token.
async fn first_sign_in_from(app: &TestApp, from: IpAddr, body: Value) -> Reply {
    let client = reqwest::Client::builder()
        .local_address(from)
        .build()
        .expect("client");
    let response = client
        .post(app.url("/auth/first-sign-in"))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

async fn first_sign_in(app: &TestApp, user_id: &str, code: &str, new_password: &str) -> Reply {
    let body = json!({"userId": user_id, "code": code, "newPassword": new_password});
    app.request(Method::POST, "/auth/first-sign-in", None, Some(body))
        .await
}

fn address(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

#[tokio::test]
async fn an_admin_gets_codes_as_csv_and_a_student_sets_a_password_with_one() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let before = classchat_core::SystemClock.now();
    let reply = issue(
        &app,
        &admin,
        // 24.0 is the integer 24 to JSON Schema, and so to the server.
        json!({"userIds": ["s3", "t2"], "validForHours": 24.0}),
    )
    .await;
    let header = |name: &str| reply.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(header("cache-control"), Some("no-store"));
    let codes = records(&reply);
    let ids: Vec<_> = codes.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, ["s3", "t2"]);
    for (_, code, expires_at) in &codes {
        assert_eq!(code.len(), 14, "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || c.is_ascii_uppercase() || c.is_ascii_digit()),
            "{code}"
        );
        let expires = Timestamp::parse(expires_at).unwrap();
        assert_eq!(
            expires.to_string(),
            *expires_at,
            "RFC 3339 UTC, fixed width"
        );
        let hours = (expires.as_micros() - before.as_micros()) as f64 / 3.6e9;
        assert!((23.9..24.1).contains(&hours), "{expires_at}");
    }
    let audit = app.get("/admin/audit", &admin).await.body;
    let issued: BTreeSet<_> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "user.sign_in_code")
        .map(|entry| {
            (
                entry["actor"].as_str().unwrap(),
                entry["target"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(issued, BTreeSet::from([("admin", "s3"), ("admin", "t2")]));

    // The code replaced the password, and is no password itself.
    let s3_code = &codes[0].1;
    for password in [PASSWORD, s3_code.as_str()] {
        app.login_from(address(1), "s3", password)
            .await
            .assert_error(401, "invalid_credentials");
    }

    // First sign-in answers as a login does, with a token that works.
    let signed_in = first_sign_in(&app, "s3", s3_code, NEW_PASSWORD).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let login = app.login_from(address(2), "s1", PASSWORD).await;
    let keys = |body: &Value| {
        body.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&signed_in.body), keys(&login.body));
    assert_eq!(
        signed_in.body["user"],
        json!({"userId": "s3", "displayName": "Student Three", "role": "student"})
    );
    let token = signed_in.body["token"].as_str().unwrap();
    assert_eq!(app.get("/chat/get_teachers", token).await.status, 200);

    // The new password signs in; the code is used up.
    assert_eq!(
        app.login_from(address(3), "s3", NEW_PASSWORD).await.status,
        200
    );
    first_sign_in(&app, "s3", s3_code, "yet-another-password")
        .await
        .assert_error(401, "invalid_credentials");
    // The other code still works, typed loosely.
    let loose = codes[1].1.to_lowercase().replace('-', " ");
    assert_eq!(
        first_sign_in(&app, "t2", &loose, NEW_PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn issuing_a_code_ends_the_accounts_sessions() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    assert_eq!(app.get("/chat/get_teachers", &s1).await.status, 200);
    let code = code_for(&app, "s1").await;
    app.get("/chat/get_teachers", &s1)
        .await
        .assert_error(401, "unauthorized");
    let signed_in = first_sign_in(&app, "s1", &code, NEW_PASSWORD).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    // The old token stays void; the new one works.
    app.get("/chat/get_teachers", &s1)
        .await
        .assert_error(401, "unauthorized");
    let token = signed_in.body["token"].as_str().unwrap();
    assert_eq!(app.get("/chat/get_teachers", token).await.status, 200);
}

#[tokio::test]
async fn a_bad_request_issues_no_code_at_all() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let audit_before = app.get("/admin/audit", &admin).await.body;
    let too_many: Vec<String> = (0..1001).map(|n| format!("u{n}")).collect();
    for (body, status, code, named) in [
        (
            json!({"userIds": ["s3", "ghost"]}),
            404,
            "not_found",
            "ghost",
        ),
        (
            json!({"userIds": ["s3", "no way"]}),
            400,
            "invalid_user_id",
            "userIds[1]",
        ),
        (
            json!({"userIds": ["s3", "admin"]}),
            403,
            "forbidden",
            "operator",
        ),
        (json!({"userIds": []}), 400, "invalid_request", "1 to 1000"),
        (
            json!({"userIds": too_many}),
            400,
            "invalid_request",
            "1 to 1000",
        ),
        (
            json!({"userIds": ["s3"], "validForHours": 0}),
            400,
            "invalid_request",
            "720",
        ),
        (
            json!({"userIds": ["s3"], "validForHours": 721}),
            400,
            "invalid_request",
            "720",
        ),
        (
            json!({"userIds": ["s3"], "validForHours": -5}),
            400,
            "invalid_request",
            "720",
        ),
        (
            json!({"userIds": ["s3"], "validForHours": 1.5}),
            400,
            "invalid_request",
            "720",
        ),
        (
            json!({"userIds": ["s3"], "validForHours": "48"}),
            400,
            "invalid_json",
            "",
        ),
        (json!({"userIds": "s3"}), 400, "invalid_json", ""),
        (json!({}), 400, "invalid_json", ""),
    ] {
        let reply = issue(&app, &admin, body.clone()).await;
        reply.assert_error(status, code);
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{body}: {message}");
    }
    assert_eq!(app.get("/admin/audit", &admin).await.body, audit_before);
    // s3 still has their password.
    assert_eq!(app.login_from(address(1), "s3", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn first_sign_ins_count_against_the_accounts_sign_in_limit() {
    let app = spawn_app().await;
    let code = code_for(&app, "s3").await;
    let here = address(1);
    let wrong = json!({"userId": "s3", "code": "ABCD-EFGH-JKMN", "newPassword": NEW_PASSWORD});
    for _ in 0..3 {
        first_sign_in_from(&app, here, wrong.clone())
            .await
            .assert_error(401, "invalid_credentials");
    }
    for _ in 0..2 {
        app.login_from(here, "s3", "a-guess")
            .await
            .assert_error(401, "invalid_credentials");
    }
    // Five failures either way in pause the account, even for the right code.
    let right = json!({"userId": "s3", "code": code, "newPassword": NEW_PASSWORD});
    let paused = first_sign_in_from(&app, here, right.clone()).await;
    paused.assert_error(429, "too_many_attempts");
    assert!(
        paused.headers.contains_key("retry-after"),
        "{:?}",
        paused.headers
    );
    // An unknown account gets the same answers.
    let nobody = json!({"userId": "nobody", "code": "ABCD-EFGH-JKMN", "newPassword": NEW_PASSWORD});
    for _ in 0..5 {
        first_sign_in_from(&app, here, nobody.clone())
            .await
            .assert_error(401, "invalid_credentials");
    }
    first_sign_in_from(&app, here, nobody)
        .await
        .assert_error(429, "too_many_attempts");
}

#[tokio::test]
async fn first_sign_ins_count_against_the_addresss_sign_in_limit() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        send: Rate::UNLIMITED,
        login: LoginLimits {
            per_client: Rate {
                per_second: 0.01,
                burst: 3.0,
            },
            ..LoginLimits::default()
        },
        ..Limits::default()
    };
    let config = ServerConfig::with_secret(SECRET.to_vec());
    let app =
        spawn_app_configured(dir.path().join("db"), limits, LiveConfig::default(), config).await;
    let code = code_for(&app, "s3").await;
    let guesser = address(2);
    // Three accounts, one wrong code each: the address, not any account, is paused.
    for user in ["s1", "s2", "nobody"] {
        let body = json!({"userId": user, "code": "ABCD-EFGH-JKMN", "newPassword": NEW_PASSWORD});
        first_sign_in_from(&app, guesser, body)
            .await
            .assert_error(401, "invalid_credentials");
    }
    let right = json!({"userId": "s3", "code": code, "newPassword": NEW_PASSWORD});
    first_sign_in_from(&app, guesser, right.clone())
        .await
        .assert_error(429, "too_many_attempts");
    app.login_from(guesser, "t1", PASSWORD)
        .await
        .assert_error(429, "too_many_attempts");
    // From elsewhere the code works.
    assert_eq!(
        first_sign_in_from(&app, address(3), right).await.status,
        200
    );
}

#[tokio::test]
async fn a_short_new_password_is_refused_and_the_code_kept() {
    let app = spawn_app().await;
    let code = code_for(&app, "s3").await;
    first_sign_in(&app, "s3", &code, "short")
        .await
        .assert_error(422, "invalid_password");
    let malformed = app
        .post_raw_as("/auth/first-sign-in", None, r#"{"userId":"s3","code":"x"}"#)
        .await;
    malformed.assert_error(400, "invalid_json");
    assert_eq!(
        first_sign_in(&app, "s3", &code, NEW_PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn the_document_states_both_routes_and_their_inputs() {
    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                doc["components"]["schemas"][name].clone()
            }
            None => schema.clone(),
        }
    };
    let body = |path: &str| {
        resolve(&doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"])
    };

    let issue = body("/admin/sign-in-codes");
    assert_eq!(issue["required"], json!(["userIds"]), "{issue}");
    let user_ids = &issue["properties"]["userIds"];
    assert_eq!(
        (&user_ids["minItems"], &user_ids["maxItems"]),
        (&json!(1), &json!(1000)),
        "{user_ids}"
    );
    let item = resolve(&user_ids["items"]);
    assert_eq!(item["pattern"], classchat_core::ids::USER_ID_PATTERN);
    let hours = &issue["properties"]["validForHours"];
    assert_eq!(
        (&hours["minimum"], &hours["maximum"]),
        (&json!(1), &json!(720)),
        "{hours}"
    );
    let csv = &doc["paths"]["/admin/sign-in-codes"]["post"]["responses"]["200"]["content"];
    assert!(csv["text/csv"].is_object(), "{csv}");

    let first = body("/auth/first-sign-in");
    let mut required = first["required"].as_array().unwrap().to_vec();
    required.sort_by_key(|name| name.to_string());
    assert_eq!(
        required,
        [json!("code"), json!("newPassword"), json!("userId")]
    );
    let code = resolve(&first["properties"]["code"]);
    assert_eq!(
        code["pattern"],
        classchat_core::service::SIGN_IN_CODE_PATTERN
    );
    assert_eq!(
        (&code["minLength"], &code["maxLength"]),
        (&json!(12), &json!(48))
    );
    let password = resolve(&first["properties"]["newPassword"]);
    assert_eq!(
        (&password["minLength"], &password["maxLength"]),
        (&json!(8), &json!(1024))
    );
    assert!(
        doc["paths"]["/auth/first-sign-in"]["post"]["security"].is_null(),
        "open route"
    );
}

#[tokio::test]
async fn a_thousand_of_the_longest_user_ids_fit_in_one_call_and_more_is_413() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let longest = |n: usize| format!("{n:0>128}");
    let ids: Vec<String> = (0..1000).map(longest).collect();
    // Read whole and checked: the first id is unknown (nobody has it).
    let reply = issue(&app, &admin, json!({ "userIds": ids })).await;
    reply.assert_error(404, "not_found");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&longest(0)),
        "{}",
        reply.body
    );
    let padding = " ".repeat(160 * 1024);
    let oversized = format!(r#"{{"userIds": ["s3"]{padding}}}"#);
    let reply = app
        .post_raw("/admin/sign-in-codes", &admin, oversized)
        .await;
    reply.assert_error(413, "payload_too_large");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("163840"),
        "{}",
        reply.body
    );
}
