//! Who may do what: every route against every kind of caller, as a table, around the
//! conversation `s1+t1` (student s1, teacher t1), plus focused stories for the rules that
//! change over time (unlinking, disabling) and for the audit trail of admin reads.

use crate::common::{SECRET, TestApp, now_secs, sign_token, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// A signed-in caller of the matrix. s2 is linked to t1 (but not part of `s1+t1`); t2 is
/// linked to s2 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    S1,
    S2,
    T1,
    T2,
    Admin,
}

/// The columns of the matrix, in order.
const SIGNED_IN: [Caller; 5] = [
    Caller::S1,
    Caller::S2,
    Caller::T1,
    Caller::T2,
    Caller::Admin,
];

impl Caller {
    fn id(self) -> &'static str {
        match self {
            Self::S1 => "s1",
            Self::S2 => "s2",
            Self::T1 => "t1",
            Self::T2 => "t2",
            Self::Admin => "admin",
        }
    }
}

/// What a route must answer one caller.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Success with this status.
    Ok(u16),
    /// Refusal with this status and error code.
    Refused(u16, &'static str),
}

const OK: Expect = Expect::Ok(200);
const CREATED: Expect = Expect::Ok(201);
const NO_CONTENT: Expect = Expect::Ok(204);
const FORBIDDEN: Expect = Expect::Refused(403, "forbidden");
const NOT_LINKED: Expect = Expect::Refused(403, "not_linked");
/// Listing teachers of someone who is not a student (or students of a non-teacher).
const WRONG_ROLE: Expect = Expect::Refused(400, "invalid_request");

/// The JSON body of a matrix request.
enum Body {
    None,
    /// A send into this conversation, written as the caller.
    SendAsCaller(&'static str),
    /// A send into s1+t1 with someone else than the caller as author.
    SendAsSomeoneElse,
    /// Marks s1+t1 read up to the seeded message.
    MarkRead,
    /// This JSON, whoever calls.
    Json(Value),
}

impl Body {
    fn json(&self, caller: &str, seeded_timestamp: &str) -> Option<Value> {
        match self {
            Self::None => None,
            Self::SendAsCaller(conversation) => Some(json!({
                "conversationId": conversation, "author": caller, "messageBody": format!("from {caller}"),
            })),
            Self::SendAsSomeoneElse => {
                let author = if caller == "s1" { "t1" } else { "s1" };
                Some(json!({
                    "conversationId": "s1+t1", "author": author, "messageBody": format!("{caller} as {author}"),
                }))
            }
            Self::MarkRead => {
                Some(json!({"conversationId": "s1+t1", "timestamp": seeded_timestamp}))
            }
            Self::Json(value) => Some(value.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::None | Self::MarkRead | Self::Json(_) => String::new(),
            Self::SendAsCaller(conversation) => format!(" {conversation} as the caller"),
            Self::SendAsSomeoneElse => " s1+t1 as someone else".to_owned(),
        }
    }
}

/// One row of the matrix: a request and what each signed-in caller gets.
struct Route {
    method: Method,
    path: &'static str,
    body: Body,
    /// The answers for s1, s2, t1, t2 and admin, in that order.
    expect: [Expect; 5],
}

impl Route {
    fn name(&self) -> String {
        format!("{} {}{}", self.method, self.path, self.body.describe())
    }
}

fn route(request: &'static str, body: Body, expect: [Expect; 5]) -> Route {
    let (method, path) = request.split_once(' ').expect("METHOD path");
    Route {
        method: method.parse().expect("method"),
        path,
        body,
        expect,
    }
}

/// Every route × every signed-in caller. Rows run top to bottom, in an order where the
/// admin's successful changes do not disturb later rows (the link t2–s3 is added before it
/// is removed; nothing here touches s1+t1 or its link).
#[rustfmt::skip]
fn routes() -> Vec<Route> {
    use Body::{MarkRead, SendAsCaller, SendAsSomeoneElse};
    let none = || Body::None;
    let new_user = json!({"userId": "s4", "displayName": "Student Four", "role": "student", "password": "password-456"});
    vec![
        //                                                                                               s1          s2          t1          t2          admin
        route("GET /chat/get_teachers",                       none(),                           [OK,         OK,         WRONG_ROLE, WRONG_ROLE, WRONG_ROLE]),
        route("GET /chat/get_teachers?user_name=s1",          none(),                           [OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /chat/get_students",                       none(),                           [WRONG_ROLE, WRONG_ROLE, OK,         OK,         WRONG_ROLE]),
        route("GET /chat/get_chats?user_name=t1",             none(),                           [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  OK        ]),
        // s2 is linked to t1, and still has no business in s1+t1.
        route("GET /chat/read?conversationId=s1%2Bt1",        none(),                           [OK,         FORBIDDEN,  OK,         FORBIDDEN,  OK        ]),
        route("POST /chat/send",                              SendAsCaller("s1+t1"),            [CREATED,    FORBIDDEN,  CREATED,    FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/send",                              SendAsSomeoneElse,                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/mark_read",                         MarkRead,                         [NO_CONTENT, FORBIDDEN,  NO_CONTENT, FORBIDDEN,  FORBIDDEN ]),
        // s1 and t2 are not linked: they are refused as `not_linked`, outsiders as `forbidden`.
        route("GET /chat/read?conversationId=s1%2Bt2",        none(),                           [NOT_LINKED, FORBIDDEN,  FORBIDDEN,  NOT_LINKED, OK        ]),
        route("POST /chat/send",                              SendAsCaller("s1+t2"),            [NOT_LINKED, FORBIDDEN,  FORBIDDEN,  NOT_LINKED, FORBIDDEN ]),
        route("GET /admin/users",                             none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/users",                            Body::Json(new_user),             [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  CREATED   ]),
        route("PATCH /admin/users/s3",                        Body::Json(json!({"displayName": "Renamed"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /admin/links",                             none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/links",                            Body::Json(json!({"teacherId": "t2", "studentId": "s3"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  CREATED   ]),
        route("DELETE /admin/links?teacherId=t2&studentId=s3", none(),                          [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NO_CONTENT]),
        route("GET /admin/audit",                             none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
    ]
}

/// An app with one message in `s1+t1` (from s1); returns its timestamp.
async fn app_with_seeded_conversation() -> (TestApp, String) {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    let seeded = app.send(&s1, "s1+t1", "s1", "seed").await;
    assert_eq!(seeded.status, 201, "{}", seeded.body);
    let timestamp = seeded.body["timestamp"].as_str().unwrap().to_owned();
    (app, timestamp)
}

/// What the admin and the participants can observe of the school, to prove that refused
/// requests changed nothing.
async fn observable_state(app: &TestApp, admin: &str, s1: &str) -> Value {
    json!({
        "messages": app.read_all(s1, "s1+t1").await,
        "users": app.get("/admin/users", admin).await.body,
        "links": app.get("/admin/links", admin).await.body,
        "audit": app.get("/admin/audit", admin).await.body,
    })
}

/// Checks one reply against an expectation; `Err` describes the mismatch.
fn check(reply: &crate::common::Reply, expect: Expect) -> Result<(), String> {
    let status = reply.status.as_u16();
    let (wanted_status, wanted_code) = match expect {
        Expect::Ok(status) => (status, None),
        Expect::Refused(status, code) => (status, Some(code)),
    };
    if status != wanted_status {
        return Err(format!(
            "status {status}, wanted {wanted_status}; body {}",
            reply.body
        ));
    }
    if let Some(code) = wanted_code {
        if reply.code() != code {
            return Err(format!(
                "code {:?}, wanted {code:?}; body {}",
                reply.code(),
                reply.body
            ));
        }
        if reply.body["error"]["message"]
            .as_str()
            .is_none_or(str::is_empty)
        {
            return Err(format!("no error message; body {}", reply.body));
        }
    }
    Ok(())
}

#[tokio::test]
async fn callers_without_valid_credentials_get_401_with_a_bearer_challenge_on_every_route() {
    let (app, seeded_timestamp) = app_with_seeded_conversation().await;
    let (admin, s1) = (app.login("admin").await, app.login("s1").await);
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
    let before = observable_state(&app, &admin, &s1).await;

    let mut failures = Vec::new();
    let mut cases = 0;
    for route in routes() {
        for (credential, authorization) in &credentials {
            cases += 1;
            let reply = app
                .request_with_authorization(
                    route.method.clone(),
                    route.path,
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
        observable_state(&app, &admin, &s1).await,
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

    let mut failures = Vec::new();
    let mut cases = 0;
    for route in routes() {
        for ((caller, token), expect) in SIGNED_IN.iter().zip(&tokens).zip(route.expect) {
            cases += 1;
            let reply = app
                .request(
                    route.method.clone(),
                    route.path,
                    Some(token),
                    route.body.json(caller.id(), &seeded_timestamp),
                )
                .await;
            if let Err(why) = check(&reply, expect) {
                failures.push(format!("{} as {}: {why}", route.name(), caller.id()));
            }
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

    // Only the participants' own sends landed: the seed, then one from s1 and one from t1.
    let messages = app.read_all(&tokens[0], "s1+t1").await;
    let written: Vec<_> = messages
        .iter()
        .map(|m| (m["author"].clone(), m["messageBody"].clone()))
        .collect();
    assert_eq!(
        written,
        vec![
            (json!("s1"), json!("seed")),
            (json!("s1"), json!("from s1")),
            (json!("t1"), json!("from t1"))
        ]
    );
    // Nothing was written into the unlinked pair either.
    let admin = &tokens[4];
    let unlinked = app.read(admin, "s1+t2", "").await;
    assert_eq!(unlinked.body["messages"], json!([]), "{}", unlinked.body);
}

/// The `action`/`target` pairs of the audit log, newest first.
async fn audit_trail(app: &TestApp, admin: &str) -> Vec<(String, String, String)> {
    let audit = app.get("/admin/audit?limit=200", admin).await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap().to_owned();
            (field("actor"), field("action"), field("target"))
        })
        .collect()
}

#[tokio::test]
async fn an_admin_reading_a_conversation_is_written_to_the_audit_log() {
    let (app, _) = app_with_seeded_conversation().await;
    let admin = app.login("admin").await;
    let before = audit_trail(&app, &admin).await;

    let read = app.read(&admin, "s1+t1", "").await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["messages"][0]["messageBody"], "seed");

    let after = audit_trail(&app, &admin).await;
    assert_eq!(
        after.len(),
        before.len() + 1,
        "exactly one new entry: {after:?}"
    );
    assert_eq!(
        after[0],
        ("admin".into(), "conversation.read".into(), "s1+t1".into())
    );
}

#[tokio::test]
async fn an_admin_listing_someone_elses_teachers_or_chats_is_audited_as_contacts_read() {
    let (app, _) = app_with_seeded_conversation().await;
    let admin = app.login("admin").await;
    let before = audit_trail(&app, &admin).await;

    let teachers = app.get("/chat/get_teachers?user_name=s1", &admin).await;
    assert_eq!(teachers.status, 200, "{}", teachers.body);
    assert_eq!(teachers.body["teachers"][0]["userId"], "t1");
    let after_teachers = audit_trail(&app, &admin).await;
    assert_eq!(after_teachers.len(), before.len() + 1, "{after_teachers:?}");
    assert_eq!(
        after_teachers[0],
        ("admin".into(), "contacts.read".into(), "s1".into())
    );

    let chats = app.get("/chat/get_chats?user_name=t1", &admin).await;
    assert_eq!(chats.status, 200, "{}", chats.body);
    assert_eq!(chats.body["chats"][0]["conversationId"], "s1+t1");
    let after_chats = audit_trail(&app, &admin).await;
    assert_eq!(after_chats.len(), before.len() + 2, "{after_chats:?}");
    assert_eq!(
        after_chats[0],
        ("admin".into(), "contacts.read".into(), "t1".into())
    );
}

#[tokio::test]
async fn participants_reading_their_own_conversation_and_lists_are_not_audited() {
    let (app, _) = app_with_seeded_conversation().await;
    let (admin, s1, t1) = (
        app.login("admin").await,
        app.login("s1").await,
        app.login("t1").await,
    );
    let before = audit_trail(&app, &admin).await;
    assert_eq!(app.read(&s1, "s1+t1", "").await.status, 200);
    assert_eq!(app.read(&t1, "s1+t1", "").await.status, 200);
    assert_eq!(
        app.get("/chat/get_teachers?user_name=s1", &s1).await.status,
        200
    );
    assert_eq!(app.get("/chat/get_chats", &t1).await.status, 200);
    assert_eq!(audit_trail(&app, &admin).await, before);
}

#[tokio::test]
async fn refused_reads_are_not_audited_and_reveal_nothing() {
    let (app, _) = app_with_seeded_conversation().await;
    let (admin, s2) = (app.login("admin").await, app.login("s2").await);
    let before = audit_trail(&app, &admin).await;
    let refused = app.read(&s2, "s1+t1", "").await;
    refused.assert_error(403, "forbidden");
    assert!(refused.body.get("messages").is_none(), "{}", refused.body);
    assert!(
        !refused.body.to_string().contains("seed"),
        "{}",
        refused.body
    );
    assert_eq!(audit_trail(&app, &admin).await, before);
}

#[tokio::test]
async fn a_student_cannot_reach_an_unlinked_teacher_in_either_id_order() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    for conversation in ["s1+t2", "t2+s1"] {
        app.read(&s1, conversation, "")
            .await
            .assert_error(403, "not_linked");
        app.send(&s1, conversation, "s1", "let me in")
            .await
            .assert_error(403, "not_linked");
    }
    // And the teacher-first spelling of someone else's conversation is no back door.
    let s2 = app.login("s2").await;
    app.read(&s2, "t1+s1", "")
        .await
        .assert_error(403, "forbidden");
    app.send(&s2, "t1+s1", "s2", "let me in")
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn after_unlinking_the_conversation_stays_readable_but_nobody_can_send() {
    let (app, _) = app_with_seeded_conversation().await;
    let (admin, s1, t1) = (
        app.login("admin").await,
        app.login("s1").await,
        app.login("t1").await,
    );

    let removed = app
        .request(
            Method::DELETE,
            "/admin/links?teacherId=t1&studentId=s1",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);

    for (who, token) in [("s1", &s1), ("t1", &t1)] {
        let read = app.read(token, "s1+t1", "").await;
        assert_eq!(
            read.status, 200,
            "{who} reads after unlinking: {}",
            read.body
        );
        assert_eq!(read.body["messages"][0]["messageBody"], "seed", "{who}");
        app.send(token, "s1+t1", who, "still there?")
            .await
            .assert_error(403, "not_linked");
    }
    assert_eq!(
        app.read_all(&s1, "s1+t1").await.len(),
        1,
        "no send got through"
    );
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_their_token_stops_working() {
    let (app, _) = app_with_seeded_conversation().await;
    let (admin, s1) = (app.login("admin").await, app.login("s1").await);

    let disabled = app
        .request(
            Method::PATCH,
            "/admin/users/s1",
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["disabled"], true);

    let login = app
        .request(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"userId": "s1", "password": crate::common::PASSWORD})),
        )
        .await;
    login.assert_error(403, "account_disabled");
    assert!(login.body.get("token").is_none());

    app.get("/chat/get_teachers", &s1)
        .await
        .assert_error(403, "account_disabled");
    app.read(&s1, "s1+t1", "")
        .await
        .assert_error(403, "account_disabled");
    app.send(&s1, "s1+t1", "s1", "am I still here?")
        .await
        .assert_error(403, "account_disabled");
    let messages = app.read_all(&app.login("t1").await, "s1+t1").await;
    assert_eq!(messages.len(), 1, "the disabled user's send was not stored");

    // Re-enabling lets them sign in again.
    let enabled = app
        .request(
            Method::PATCH,
            "/admin/users/s1",
            Some(&admin),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    app.login("s1").await;
}
