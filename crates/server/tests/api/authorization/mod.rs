//! Who may do what: every route against every kind of caller, as a table, around the
//! conversation `s1+t1` (student s1, teacher t1); read markers that refused calls must not
//! move; and the few routes open without a token. The rules that change over time and the
//! audit trail are told as stories in `authorization_stories`.

use crate::common::{SECRET, TestApp, now_secs, sign_token, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

mod expect;
mod stored;
mod table;

use expect::check;
use stored::{concrete_path, stored_state};
use table::{Expect, SIGNED_IN, routes};

/// An app with one message in `s1+t1` (from s1) and the families of the matrix (g1 is
/// s1's guardian, g2 s2's, g3 nobody's); returns the message's timestamp.
pub async fn app_with_seeded_conversation() -> (TestApp, String) {
    let app = spawn_app().await;
    app.seed_families().await;
    let s1 = app.login("s1").await;
    let seeded = app.send(&s1, "s1+t1", "s1", "seed").await;
    assert_eq!(seeded.status, 201, "{}", seeded.body);
    let timestamp = seeded.body["timestamp"].as_str().unwrap().to_owned();
    (app, timestamp)
}

/// The tokens that look at the school to take its snapshot.
struct Observers {
    admin: String,
    s1: String,
    t1: String,
}

impl Observers {
    async fn log_in(app: &TestApp) -> Self {
        Self {
            admin: app.login("admin").await,
            s1: app.login("s1").await,
            t1: app.login("t1").await,
        }
    }
}

/// What the participants of `s1+t1` see of their conversation: its contact-list entries
/// (last message, unread count) on both sides, and each one's read marker as the other sees
/// it (`peerReadAt`). Lists of their own are never audited, so looking changes nothing.
async fn read_markers(app: &TestApp, s1: &str, t1: &str) -> Value {
    let mut state = json!({});
    for (name, path, token) in [
        ("teachers of s1", "/chat/get_teachers", s1),
        ("chats of t1", "/chat/get_chats", t1),
        ("students of t1", "/chat/get_students", t1),
    ] {
        let reply = app.get(path, token).await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        state[name] = reply.body;
    }
    // The teacher's unread count of the family conversation: a refused read marker
    // would move it.
    state["family of t1"] = app.get("/chat/get_students", t1).await.body;
    for (name, token) in [
        ("t1's marker, as s1 sees it", s1),
        ("s1's marker, as t1 sees it", t1),
    ] {
        let page = app.read(token, "s1+t1", "").await;
        assert_eq!(page.status, 200, "{name}: {}", page.body);
        state[name] = page.body["peerReadAt"].clone();
    }
    state
}

/// What the admin and the participants can observe of the school, and what the store holds
/// of texts, edits, removals, pauses and reports, to prove that refused requests changed
/// nothing.
async fn observable_state(app: &TestApp, observers: &Observers) -> Value {
    let Observers { admin, s1, t1 } = observers;
    json!({
        "messages": app.read_all(s1, "s1+t1").await,
        "read markers": read_markers(app, s1, t1).await,
        "users": app.get("/admin/users", admin).await.body,
        "links": app.get("/admin/links", admin).await.body,
        "guardians": app.get("/admin/guardians", admin).await.body,
        "settings": app.get("/admin/settings", admin).await.body,
        "notifications of s1": app.get("/me/notifications", s1).await.body,
        "notifications of t1": app.get("/me/notifications", t1).await.body,
        "notifications of the admin": app.get("/me/notifications", admin).await.body,
        "family messages": app.read_all(t1, "g1+t1").await,
        "other family messages": app.read_all(t1, "g2+t1").await,
        "audit": app.get("/admin/audit", admin).await.body,
        "stored": stored_state(app).await,
    })
}

#[tokio::test]
async fn callers_without_valid_credentials_get_401_with_a_bearer_challenge_on_every_route() {
    let (app, seeded_timestamp) = app_with_seeded_conversation().await;
    let observers = Observers::log_in(&app).await;
    let past = now_secs() - 60;
    let future = now_secs() + 3600;
    let other_secret = b"not-the-server-secret-not-the-server-secret";
    let bearer = |token: String| Some(format!("Bearer {token}"));
    let credentials: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        (
            "expired token of s1",
            bearer(sign_token(SECRET, "s1", "student", past)),
        ),
        (
            "expired token of admin",
            bearer(sign_token(SECRET, "admin", "admin", past)),
        ),
        (
            "forged token of s1",
            bearer(sign_token(other_secret, "s1", "student", future)),
        ),
        (
            "forged token of admin",
            bearer(sign_token(other_secret, "admin", "admin", future)),
        ),
        ("malformed token", Some("Bearer garbage".to_owned())),
        ("empty bearer token", Some("Bearer".to_owned())),
        (
            "basic credentials",
            Some("Basic czE6cGFzc3dvcmQtMTIz".to_owned()),
        ),
        (
            "valid signature for a user that does not exist",
            bearer(sign_token(SECRET, "ghost", "admin", future)),
        ),
    ];
    let before = observable_state(&app, &observers).await;

    let mut failures = Vec::new();
    let mut cases = 0;
    for route in routes() {
        let path = concrete_path(&app, route.path, &seeded_timestamp).await;
        for (credential, authorization) in &credentials {
            cases += 1;
            let reply = app
                .request_with_authorization(
                    route.method.clone(),
                    &path,
                    authorization.as_deref(),
                    route.body.json("s1", &seeded_timestamp),
                )
                .await;
            let mut outcome = check(&reply, Expect::Refused(401, "unauthorized"));
            let challenge = reply
                .headers
                .get(reqwest::header::WWW_AUTHENTICATE)
                .and_then(|value| value.to_str().ok());
            if outcome.is_ok() && !challenge.is_some_and(|value| value.starts_with("Bearer")) {
                outcome = Err(format!("WWW-Authenticate is {challenge:?}, wanted Bearer"));
            }
            if let Err(why) = outcome {
                failures.push(format!("{} with {credential}: {why}", route.name()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        observable_state(&app, &observers).await,
        before,
        "an unauthenticated request changed the store"
    );
}

#[tokio::test]
async fn signed_in_callers_get_exactly_what_the_matrix_allows() {
    let (app, seeded_timestamp) = app_with_seeded_conversation().await;
    let mut tokens = Vec::new();
    for caller in SIGNED_IN {
        tokens.push(app.login(caller.id()).await);
    }
    let observers = Observers::log_in(&app).await;
    // Every refusal must leave the school as it was; successes move the baseline on.
    let mut state = observable_state(&app, &observers).await;

    let mut failures = Vec::new();
    let mut cases = 0;
    for route in routes() {
        if let Some(setup) = &route.setup {
            let index = SIGNED_IN.iter().position(|caller| *caller == setup.caller);
            let token = &tokens[index.expect("a matrix caller")];
            let path = concrete_path(&app, setup.path, &seeded_timestamp).await;
            let body = setup.body.json(setup.caller.id(), &seeded_timestamp);
            let reply = app
                .request(setup.method.clone(), &path, Some(token), body)
                .await;
            if let Err(why) = check(&reply, setup.expect) {
                failures.push(format!("setup of {}: {why}", route.name()));
            }
            state = observable_state(&app, &observers).await;
        }
        let path = concrete_path(&app, route.path, &seeded_timestamp).await;
        for ((caller, token), expect) in SIGNED_IN.iter().zip(&tokens).zip(route.expect) {
            cases += 1;
            let reply = app
                .request(
                    route.method.clone(),
                    &path,
                    Some(token),
                    route.body.json(caller.id(), &seeded_timestamp),
                )
                .await;
            if let Err(why) = check(&reply, expect) {
                failures.push(format!("{} as {}: {why}", route.name(), caller.id()));
            }
            let after = observable_state(&app, &observers).await;
            if matches!(expect, Expect::Refused(..)) && after != state {
                failures.push(format!(
                    "{} as {} was refused but changed the school\n  before: {state}\n  after:  {after}",
                    route.name(),
                    caller.id()
                ));
            }
            state = after;
            if reply.status.as_u16() != 401
                && reply
                    .headers
                    .contains_key(reqwest::header::WWW_AUTHENTICATE)
            {
                failures.push(format!(
                    "{} as {}: WWW-Authenticate on a {}",
                    route.name(),
                    caller.id(),
                    reply.status
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Only the participants' own sends landed: the seed (which s1 edited, then removed),
    // then one from s1 and one from t1.
    let messages = app.read_all(&tokens[0], "s1+t1").await;
    let written: Vec<_> = messages
        .iter()
        .map(|m| (m["author"].clone(), m["messageBody"].clone()))
        .collect();
    assert_eq!(
        written,
        vec![
            (json!("s1"), json!("")),
            (json!("s1"), json!("from s1")),
            (json!("t1"), json!("from t1")),
            (json!("s1"), json!("graphql from s1")),
            (json!("t1"), json!("graphql from t1")),
            // The rows with guardian oversight on: still only the participants.
            (json!("s1"), json!("from s1")),
            (json!("t1"), json!("from t1")),
            (json!("s1"), json!("oversight s1")),
            (json!("t1"), json!("oversight t1")),
            // The teacher's send while s1+t1 was paused.
            (json!("t1"), json!("from t1")),
        ]
    );
    let admin = &tokens[7];
    let seed = app
        .get(
            &format!("/admin/messages/history?conversationId=s1%2Bt1&timestamp={seeded_timestamp}"),
            admin,
        )
        .await;
    assert_eq!(seed.body["message"]["messageBody"], "seed, edited by s1");
    assert!(
        seed.body["message"]["removedAt"].is_string(),
        "{}",
        seed.body
    );
    assert_eq!(seed.body["versions"][0]["messageBody"], "seed");
    // Each family conversation holds its own two people's messages, and nobody else's.
    let t1 = &tokens[2];
    let t2 = &tokens[3];
    for (token, conversation, expected) in [
        (
            t1,
            "g1+t1",
            vec![("t1", "from t1"), ("g1", "from g1"), ("t1", "from t1")],
        ),
        (t2, "g2+t2", vec![("t2", "from t2"), ("g2", "from g2")]),
        (
            t1,
            "g2+t1",
            vec![("t1", "graphql from t1"), ("g2", "graphql from g2")],
        ),
    ] {
        let written: Vec<_> = app
            .read_all(token, conversation)
            .await
            .iter()
            .map(|m| (m["author"].clone(), m["messageBody"].clone()))
            .collect();
        let expected: Vec<_> = expected
            .iter()
            .map(|(author, body)| (json!(author), json!(body)))
            .collect();
        assert_eq!(written, expected, "{conversation}");
    }
    // Nothing was written into the unlinked pair either.
    let unlinked = app.read(admin, "s1+t2", "").await;
    assert_eq!(unlinked.body["messages"], json!([]), "{}", unlinked.body);
}

#[tokio::test]
async fn refused_mark_reads_move_no_read_marker_and_no_unread_count() {
    let (app, _) = app_with_seeded_conversation().await;
    let (s1, t1) = (app.login("s1").await, app.login("t1").await);
    let reply = app.send(&t1, "s1+t1", "t1", "reply").await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    // Both participants have one unread message and nobody has read anything yet, so any
    // marker a refused call moved would show.
    let before = read_markers(&app, &s1, &t1).await;
    assert_eq!(before["teachers of s1"]["teachers"][0]["unreadCount"], 1);
    assert_eq!(before["chats of t1"]["chats"][0]["unreadCount"], 1);
    assert_eq!(before["t1's marker, as s1 sees it"], Value::Null);
    assert_eq!(before["s1's marker, as t1 sees it"], Value::Null);

    let everything = "9999-12-31T23:59:59.999999Z";
    for outsider in ["s2", "s3", "t2", "admin"] {
        let token = app.login(outsider).await;
        for conversation in ["s1+t1", "t1+s1"] {
            app.post(
                "/chat/mark_read",
                &token,
                json!({"conversationId": conversation, "timestamp": everything}),
            )
            .await
            .assert_error(403, "forbidden");
            assert_eq!(
                read_markers(&app, &s1, &t1).await,
                before,
                "{outsider} marking {conversation} read changed a marker"
            );
        }
    }

    // The snapshot does see a participant's own mark_read.
    let marked = app
        .post(
            "/chat/mark_read",
            &t1,
            json!({"conversationId": "s1+t1", "timestamp": everything}),
        )
        .await;
    assert_eq!(marked.status, 204, "{}", marked.body);
    let after = read_markers(&app, &s1, &t1).await;
    assert_eq!(after["chats of t1"]["chats"][0]["unreadCount"], 0);
    assert_eq!(after["teachers of s1"]["teachers"][0]["unreadCount"], 1);
    assert!(after["t1's marker, as s1 sees it"].is_string(), "{after}");
}

#[tokio::test]
async fn only_probes_the_api_document_the_web_client_and_signing_in_are_open_without_a_token() {
    use crate::openapi::{OPEN_SOCKETS, OPEN_WITH_STORE, OPEN_WITHOUT_STORE, operations};
    let app = spawn_app().await;
    let doc = app.request(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc.status, 200);
    let operations = operations(&doc.body);
    for open in OPEN_WITHOUT_STORE.iter().chain(&OPEN_WITH_STORE) {
        assert!(
            operations
                .iter()
                .any(|((method, path), _)| (method.as_str(), path.as_str()) == *open),
            "{open:?} is documented"
        );
    }

    // A first sign-in needs a code: s3's, issued by the admin.
    let admin = app.login("admin").await;
    let codes = app
        .post("/admin/sign-in-codes", &admin, json!({"userIds": ["s3"]}))
        .await;
    let code = codes
        .body
        .as_str()
        .and_then(|csv| csv.lines().nth(1))
        .and_then(|line| line.split(',').nth(1));
    let code = code
        .unwrap_or_else(|| panic!("no code: {}", codes.body))
        .to_owned();

    let mut failures = Vec::new();
    for ((method, path), _) in &operations {
        let key = (method.as_str(), path.as_str());
        let filler = if path.starts_with("/static/") {
            "app.js"
        } else {
            "s1"
        };
        let mut concrete = path.replace("{}", filler);
        if path == "/unsubscribe" {
            // An unsubscribe link carries its own signed token instead of a bearer one.
            let s1 = classchat_core::UserId::parse("s1").unwrap();
            let token = classchat_core::notify::email::unsubscribe_token(SECRET, &s1);
            concrete = format!("/unsubscribe?token={token}");
        }
        let http_method: Method = method.to_uppercase().parse().unwrap();
        let body = match key {
            ("post", "/auth/login") => {
                Some(json!({"userId": "s1", "password": crate::common::PASSWORD}))
            }
            ("post", "/auth/first-sign-in") => {
                Some(json!({"userId": "s3", "code": code, "newPassword": "password-456"}))
            }
            _ => None,
        };
        let reply = app
            .request_with_authorization(http_method, &concrete, None, body)
            .await;
        let open = OPEN_WITHOUT_STORE.contains(&key) || OPEN_WITH_STORE.contains(&key);
        let outcome = if OPEN_SOCKETS.contains(&key) {
            check(&reply, Expect::Refused(400, "websocket_required"))
        } else if open {
            if reply.status == 200 {
                Ok(())
            } else {
                Err("open on purpose, but refused".to_owned())
            }
        } else {
            check(&reply, Expect::Refused(401, "unauthorized"))
        };
        if let Err(why) = outcome {
            failures.push(format!(
                "{method} {concrete} without a token: {why}: {} {}",
                reply.status, reply.body
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
