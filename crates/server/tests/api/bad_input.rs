//! Bad input: every malformed or invalid request gets its documented status and error code,
//! a clean `{"error":{"code","message"}}` body (never a 500, never SQL), and leaves the store
//! exactly as it was.

use crate::common::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// A running school with a short conversation s1+t1 and tokens for the people who look at it.
struct School {
    app: TestApp,
    s1: String,
    t1: String,
    admin: String,
}

async fn school() -> School {
    let app = spawn_app().await;
    let (s1, t1, admin) = (
        app.login("s1").await,
        app.login("t1").await,
        app.login("admin").await,
    );
    assert_eq!(
        app.send(&s1, "s1+t1", "s1", "hello teacher").await.status,
        201
    );
    assert_eq!(
        app.send(&t1, "s1+t1", "t1", "hello student").await.status,
        201
    );
    School { app, s1, t1, admin }
}

/// Everything observable about the store, gathered the way participants and the admin see
/// it. No admin read of a conversation here: that would add an audit entry itself.
async fn snapshot(school: &School) -> Value {
    let School { app, s1, t1, admin } = school;
    let mut state = json!({
        "s1+t1 as s1": app.read_all(s1, "s1+t1").await,
        "s1's read marker, as t1 sees it": app.read(t1, "s1+t1", "").await.body["peerReadAt"],
    });
    for (name, path, token) in [
        ("chats of t1", "/chat/get_chats", t1),
        ("teachers of s1", "/chat/get_teachers", s1),
        ("users", "/admin/users?limit=200", admin),
        ("links", "/admin/links", admin),
        ("audit", "/admin/audit?limit=200", admin),
    ] {
        let reply = app.get(path, token).await;
        assert_eq!(reply.status, 200, "snapshot {name}: {}", reply.body);
        state[name] = reply.body;
    }
    state
}

/// Who sends a bad request.
#[derive(Debug, Clone, Copy)]
enum Who {
    S1,
    Admin,
    /// No token: someone signing in.
    Nobody,
}

/// A bad request.
enum Request {
    /// A JSON value as the body.
    Json(Method, &'static str, Value),
    /// Raw bytes as a `POST` body, declared as JSON.
    Raw(&'static str, Vec<u8>),
    /// No body.
    Bare(Method, String),
}

/// A bad request and the refusal it must get.
struct Case {
    name: &'static str,
    who: Who,
    request: Request,
    status: u16,
    code: &'static str,
}

fn case(status: u16, code: &'static str, name: &'static str, who: Who, request: Request) -> Case {
    Case {
        name,
        who,
        request,
        status,
        code,
    }
}

/// `POST /chat/send` as s1 with this body.
fn send(body: Value) -> Request {
    Request::Json(Method::POST, "/chat/send", body)
}

/// A send as s1 into s1+t1 with this messageBody.
fn send_text(text: String) -> Request {
    send(json!({"conversationId": "s1+t1", "author": "s1", "messageBody": text}))
}

/// A send as s1 with this conversationId.
fn send_to(conversation: &str) -> Request {
    send(json!({"conversationId": conversation, "author": "s1", "messageBody": "hi"}))
}

fn raw_send(body: impl Into<Vec<u8>>) -> Request {
    Request::Raw("/chat/send", body.into())
}

fn get(path: impl Into<String>) -> Request {
    Request::Bare(Method::GET, path.into())
}

fn new_user(user_id: &str, role: &str, password: &str) -> Request {
    Request::Json(
        Method::POST,
        "/admin/users",
        json!({"userId": user_id, "displayName": "New Person", "role": role, "password": password}),
    )
}

/// A new student `s9` called `name`.
fn named(name: &str) -> Request {
    Request::Json(
        Method::POST,
        "/admin/users",
        json!({"userId": "s9", "displayName": name, "role": "student", "password": "password-123"}),
    )
}

/// A send as s1 into s1+t1 with this clientMessageId.
fn send_with_client_id(client_message_id: String) -> Request {
    send(
        json!({"conversationId": "s1+t1", "author": "s1", "messageBody": "hi", "clientMessageId": client_message_id}),
    )
}

fn post(path: &'static str, body: Value) -> Request {
    Request::Json(Method::POST, path, body)
}

/// `POST /auth/login` with this body.
fn login(body: Value) -> Request {
    post("/auth/login", body)
}

/// `POST /chat/mark_read` as s1 with this body.
fn mark_read(body: Value) -> Request {
    post("/chat/mark_read", body)
}

/// Every bad request, with the status and code it must get.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Who::{Admin, Nobody, S1};
    let one_mib = format!(r#"{{"conversationId":"s1+t1","author":"s1","messageBody":"{}"}}"#, "a".repeat(1024 * 1024));
    let big_timestamp = format!(r#"{{"conversationId":"s1+t1","timestamp":"{}"}}"#, "1".repeat(1024 * 1024));
    let big_password = format!(r#"{{"userId":"s1","password":"{}"}}"#, "p".repeat(1024 * 1024));
    let password = crate::common::PASSWORD;
    vec![
        // Not JSON, or not the expected JSON.
        case(400, "invalid_json",              "malformed JSON",                         S1, raw_send(r#"{"conversationId":"#)),
        case(400, "invalid_json",              "empty request body",                     S1, raw_send("")),
        case(400, "invalid_json",              "messageBody is a number",                S1, send(json!({"conversationId": "s1+t1", "author": "s1", "messageBody": 5}))),
        case(400, "invalid_json",              "conversationId is an array",             S1, send(json!({"conversationId": [], "author": "s1", "messageBody": "hi"}))),
        case(400, "invalid_json",              "clientMessageId is a number",            S1, send(json!({"conversationId": "s1+t1", "author": "s1", "messageBody": "hi", "clientMessageId": 7}))),
        case(400, "invalid_json",              "conversationId missing",                 S1, send(json!({"author": "s1", "messageBody": "hi"}))),
        case(400, "invalid_json",              "author missing",                         S1, send(json!({"conversationId": "s1+t1", "messageBody": "hi"}))),
        case(400, "invalid_json",              "messageBody missing",                    S1, send(json!({"conversationId": "s1+t1", "author": "s1"}))),
        case(400, "invalid_json",              "body is an empty array",                 S1, raw_send("[]")),
        case(400, "invalid_json",              "body is a string",                       S1, raw_send(r#""x""#)),
        case(400, "invalid_json",              "body is null",                           S1, raw_send("null")),
        case(400, "invalid_json",              "body is an array of the field values",   S1, raw_send(r#"["s1+t1","s1","smuggled",null]"#)),
        // The message text.
        case(422, "invalid_message_body",      "messageBody empty",                      S1, send_text(String::new())),
        case(422, "invalid_message_body",      "messageBody only whitespace",            S1, send_text(" \n\t\u{3000} ".into())),
        case(422, "invalid_message_body",      "messageBody of 4001 characters",         S1, send_text("a".repeat(4001))),
        case(422, "invalid_message_body",      "messageBody of 4001 emoji",              S1, send_text("😀".repeat(4001))),
        case(413, "payload_too_large",         "1 MiB body",                             S1, raw_send(one_mib)),
        case(422, "invalid_message_body",      "messageBody with a NUL",                 S1, send_text("a\u{0}b".into())),
        case(422, "invalid_message_body",      "messageBody that is only a NUL",         S1, send_text("\u{0}".into())),
        case(422, "invalid_message_body",      "messageBody with a terminal escape",     S1, send_text("\u{1B}[2J\u{1B}[Hhello".into())),
        case(422, "invalid_message_body",      "messageBody with a backspace",           S1, send_text("paid\u{8}\u{8}\u{8}\u{8}owed".into())),
        case(422, "invalid_message_body",      "messageBody with DEL",                   S1, send_text("a\u{7F}b".into())),
        case(422, "invalid_message_body",      "messageBody with a C1 control",          S1, send_text("a\u{85}b".into())),
        case(422, "invalid_message_body",      "messageBody of 4001 characters padded",  S1, send_text(format!(" {} ", "a".repeat(3999)))),
        // The conversationId.
        case(400, "invalid_conversation_id",   "conversationId with 0 parts",            S1, send_to("")),
        case(400, "invalid_conversation_id",   "conversationId with 1 part",             S1, send_to("s1")),
        case(400, "invalid_conversation_id",   "conversationId with 3 parts",            S1, send_to("s1+t1+t2")),
        case(400, "invalid_conversation_id",   "conversationId with one user twice",     S1, send_to("s1+s1")),
        // A stranger's id, whoever it is, gets the one refusal (see `enumeration`).
        case(403, "forbidden",                 "conversationId with an unknown user",    S1, send_to("s1+nobody")),
        case(403, "forbidden",                 "conversationId of two students",         S1, send_to("s1+s2")),
        // The clientMessageId.
        case(400, "invalid_client_message_id", "clientMessageId of 65 characters",       S1, send_with_client_id("c".repeat(65))),
        case(400, "invalid_client_message_id", "clientMessageId empty",                  S1, send_with_client_id(String::new())),
        // Reading.
        case(400, "invalid_limit",             "read with limit=0",                      S1, get("/chat/read?conversationId=s1%2Bt1&limit=0")),
        case(400, "invalid_limit",             "read with limit=201",                    S1, get("/chat/read?conversationId=s1%2Bt1&limit=201")),
        case(400, "invalid_limit",             "read with limit=abc",                    S1, get("/chat/read?conversationId=s1%2Bt1&limit=abc")),
        case(400, "invalid_cursor",            "read with a leap second",                S1, get("/chat/read?conversationId=s1%2Bt1&before=2016-12-31T23:59:60Z")),
        case(400, "invalid_cursor",            "read with a space for the T",            S1, get("/chat/read?conversationId=s1%2Bt1&before=2026-01-01%2000:00:00Z")),
        case(400, "invalid_cursor",            "read with February 30th",                S1, get("/chat/read?conversationId=s1%2Bt1&after=2026-02-30T00:00:00Z")),
        case(400, "invalid_cursor",            "read with 10 fraction digits",           S1, get("/chat/read?conversationId=s1%2Bt1&after=2026-01-01T00:00:00.1234567890Z")),
        case(400, "invalid_cursor",            "read with before=notatimestamp",         S1, get("/chat/read?conversationId=s1%2Bt1&before=notatimestamp")),
        case(400, "invalid_cursor",            "read with after=123abc",                 S1, get("/chat/read?conversationId=s1%2Bt1&after=123abc")),
        case(400, "invalid_conversation_id",   "read without conversationId",            S1, get("/chat/read")),
        case(403, "forbidden",                 "read with an unknown user",              S1, get("/chat/read?conversationId=s1%2Bnobody")),
        case(404, "not_found",                 "read with an unknown user, by an admin", Admin, get("/chat/read?conversationId=s1%2Bnobody")),
        case(400, "invalid_conversation_id",   "read of two students, by an admin",      Admin, get("/chat/read?conversationId=s1%2Bs2")),
        // Read markers.
        case(400, "invalid_cursor",            "mark_read with a bad timestamp",         S1, mark_read(json!({"conversationId": "s1+t1", "timestamp": "yesterday"}))),
        case(400, "invalid_json",              "mark_read without a timestamp",          S1, mark_read(json!({"conversationId": "s1+t1"}))),
        case(400, "invalid_json",              "mark_read without a conversationId",     S1, mark_read(json!({"timestamp": "2026-01-01T00:00:00.000000Z"}))),
        case(400, "invalid_json",              "mark_read timestamp is a number",        S1, mark_read(json!({"conversationId": "s1+t1", "timestamp": 1_767_225_600}))),
        case(400, "invalid_json",              "mark_read conversationId is null",       S1, mark_read(json!({"conversationId": null, "timestamp": "2026-01-01T00:00:00.000000Z"}))),
        case(400, "invalid_json",              "mark_read body is not JSON",             S1, Request::Raw("/chat/mark_read", br#"{"conversationId":"s1+t1","#.to_vec())),
        case(400, "invalid_json",              "mark_read body is an array",             S1, Request::Raw("/chat/mark_read", br#"["s1+t1","2026-01-01T00:00:00.000000Z"]"#.to_vec())),
        case(400, "invalid_conversation_id",   "mark_read with a 3-part conversationId", S1, mark_read(json!({"conversationId": "s1+t1+t2", "timestamp": "2026-01-01T00:00:00.000000Z"}))),
        case(403, "forbidden",                 "mark_read with an unknown user",         S1, mark_read(json!({"conversationId": "s1+nobody", "timestamp": "2026-01-01T00:00:00.000000Z"}))),
        case(413, "payload_too_large",         "1 MiB mark_read body",                   S1, Request::Raw("/chat/mark_read", big_timestamp.into_bytes())),
        // Signing in.
        case(400, "invalid_json",              "login body is not JSON",                 Nobody, Request::Raw("/auth/login", br#"{"userId":"#.to_vec())),
        case(400, "invalid_json",              "login with an empty body",               Nobody, Request::Raw("/auth/login", Vec::new())),
        case(400, "invalid_json",              "login body is an array",                 Nobody, Request::Raw("/auth/login", br#"["s1","password-123"]"#.to_vec())),
        case(400, "invalid_json",              "login userId is a number",               Nobody, login(json!({"userId": 7, "password": password}))),
        case(400, "invalid_json",              "login password is a number",             Nobody, login(json!({"userId": "s1", "password": 123}))),
        case(400, "invalid_json",              "login password is null",                 Nobody, login(json!({"userId": "s1", "password": null}))),
        case(400, "invalid_json",              "login without a userId",                 Nobody, login(json!({"password": password}))),
        case(400, "invalid_json",              "login without a password",               Nobody, login(json!({"userId": "s1"}))),
        case(413, "payload_too_large",         "1 MiB login body",                       Nobody, Request::Raw("/auth/login", big_password.into_bytes())),
        case(401, "invalid_credentials",       "login with a wrong password",            Nobody, login(json!({"userId": "s1", "password": "not-the-password"}))),
        case(401, "invalid_credentials",       "login with an empty password",           Nobody, login(json!({"userId": "s1", "password": ""}))),
        case(401, "invalid_credentials",       "login of an unknown user",               Nobody, login(json!({"userId": "nobody", "password": password}))),
        case(401, "invalid_credentials",       "login with a malformed userId",          Nobody, login(json!({"userId": "s 1", "password": password}))),
        // Administration.
        case(400, "invalid_user_id",           "new user with a bad userId",             Admin, new_user("a b", "student", "password-123")),
        case(400, "invalid_role",              "new user with a bad role",               Admin, new_user("s9", "principal", "password-123")),
        case(422, "invalid_password",          "new user with a short password",         Admin, new_user("s9", "student", "short")),
        case(422, "invalid_password",          "new user with a 1025-character password", Admin, new_user("s9", "student", &"p".repeat(1025))),
        case(400, "invalid_user_id",           "new user whose userId has an RLO",       Admin, new_user("s\u{202E}9", "student", "password-123")),
        case(400, "invalid_user_id",           "new user whose userId has a zero-width space", Admin, new_user("s\u{200B}9", "student", "password-123")),
        case(400, "invalid_user_id",           "new user whose userId has a NUL",        Admin, new_user("s9\u{0}", "student", "password-123")),
        case(422, "invalid_display_name",      "new user named with a NUL",              Admin, named("Ms\u{0}Smith")),
        case(422, "invalid_display_name",      "new user named with an escape",          Admin, named("Ms\u{1B}[31mSmith")),
        case(422, "invalid_display_name",      "new user named with a C1 control",       Admin, named("Ms\u{9B}Smith")),
        case(422, "invalid_display_name",      "new user named with an RLO",             Admin, named("\u{202E}htimS sM")),
        case(422, "invalid_display_name",      "new user named with an LRI",             Admin, named("Ms \u{2066}Smith")),
        case(422, "invalid_display_name",      "new user named with an Arabic letter mark", Admin, named("Ms\u{061C}Smith")),
        case(422, "invalid_display_name",      "new user named with a right-to-left mark", Admin, named("Ms\u{200F}Smith")),
        case(422, "invalid_display_name",      "new user named with a zero-width space", Admin, named("Ms\u{200B}Smith")),
        case(422, "invalid_display_name",      "new user named with a zero-width joiner", Admin, named("Ms\u{200D}Smith")),
        case(422, "invalid_display_name",      "new user named with a word joiner",      Admin, named("Ms\u{2060}Smith")),
        case(422, "invalid_display_name",      "new user named with a BOM",              Admin, named("\u{FEFF}Ms Smith")),
        case(422, "invalid_display_name",      "rename to a name with an RLO",           Admin, Request::Json(Method::PATCH, "/admin/users/s2", json!({"displayName": "\u{202E}1s"}))),
        case(422, "invalid_display_name",      "rename to a name with a NUL",            Admin, Request::Json(Method::PATCH, "/admin/users/s2", json!({"displayName": "s\u{0}2"}))),
        case(400, "invalid_path",              "update of a userId that is not UTF-8",   Admin, Request::Json(Method::PATCH, "/admin/users/%FF", json!({"displayName": "Nobody"}))),
        case(409, "conflict",                  "new user that exists",                   Admin, new_user("s2", "student", "password-123")),
        case(409, "conflict",                  "link that exists",                       Admin, post("/admin/links", json!({"teacherId": "t1", "studentId": "s1"}))),
        case(404, "not_found",                 "update of an unknown user",              Admin, Request::Json(Method::PATCH, "/admin/users/nobody", json!({"displayName": "Nobody"}))),
        case(404, "not_found",                 "removal of a link that does not exist",  Admin, Request::Bare(Method::DELETE, "/admin/links?teacherId=t2&studentId=s1".into())),
        // Routing.
        case(404, "not_found",                 "unknown route",                          S1, get("/chat/nope")),
        case(404, "not_found",                 "static file whose name is not UTF-8",    Nobody, get("/static/%FF")),
        case(405, "method_not_allowed",        "wrong method",                           S1, Request::Bare(Method::DELETE, "/chat/send".into())),
    ]
}

/// Why an error body is not `{"error":{"code","message"}}` with a non-empty code and
/// message and nothing internal in it.
fn error_body_problem(body: &Value) -> Option<String> {
    let Some(object) = body.as_object() else {
        return Some("the body is not a JSON object".into());
    };
    if object.len() != 1 {
        return Some("the body has fields besides `error`".into());
    }
    let Some(error) = body["error"].as_object() else {
        return Some("`error` is not an object".into());
    };
    let mut keys: Vec<_> = error.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["code", "message"] {
        return Some(format!("`error` has the fields {keys:?}"));
    }
    for field in ["code", "message"] {
        if error[field].as_str().is_none_or(str::is_empty) {
            return Some(format!("`error.{field}` is not a non-empty string"));
        }
    }
    let text = body.to_string().to_lowercase();
    ["sql", "constraint", "rusqlite", "panicked", "backtrace"]
        .into_iter()
        .find(|leak| text.contains(leak))
        .map(|leak| format!("the body mentions {leak:?}"))
}

#[tokio::test]
async fn every_bad_request_is_refused_with_its_code_and_changes_nothing() {
    let school = school().await;
    let app = &school.app;
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let token = match case.who {
            Who::S1 => Some(school.s1.as_str()),
            Who::Admin => Some(school.admin.as_str()),
            Who::Nobody => None,
        };
        let before = snapshot(&school).await;
        let reply = match &case.request {
            Request::Json(method, path, body) => {
                app.request(method.clone(), path, token, Some(body.clone()))
                    .await
            }
            Request::Raw(path, bytes) => app.post_raw_as(path, token, bytes.clone()).await,
            Request::Bare(method, path) => app.request(method.clone(), path, token, None).await,
        };
        let after = snapshot(&school).await;

        let status = reply.status.as_u16();
        if status >= 500 {
            failures.push(format!(
                "{}: a {status} for bad input: {}",
                case.name, reply.body
            ));
        } else if (status, reply.code()) != (case.status, case.code) {
            failures.push(format!(
                "{}: got {status} {:?}, wanted {} {:?}; body {}",
                case.name,
                reply.code(),
                case.status,
                case.code,
                reply.body
            ));
        }
        if let Some(problem) = error_body_problem(&reply.body) {
            failures.push(format!("{}: {problem}; body {}", case.name, reply.body));
        }
        for (part, was) in before.as_object().unwrap() {
            if after[part] != *was {
                failures.push(format!(
                    "{}: {part} changed\n  before: {was}\n  after:  {}",
                    case.name, after[part]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_message_of_exactly_4000_characters_is_accepted_even_as_emoji() {
    let school = school().await;
    let app = &school.app;
    for text in ["a".repeat(4000), "😀".repeat(4000)] {
        let sent = app.send(&school.s1, "s1+t1", "s1", &text).await;
        assert_eq!(
            sent.status,
            201,
            "{} characters: {}",
            text.chars().count(),
            sent.body
        );
        let stored = sent.body["messageBody"].as_str().unwrap();
        assert_eq!(stored, text.trim());
        assert_eq!(stored.chars().count(), 4000);
    }
    // The limit counts what was sent, surrounding whitespace included; it is then trimmed.
    let padded = format!(" {}\n", "é".repeat(3998));
    let sent = app.send(&school.s1, "s1+t1", "s1", &padded).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["messageBody"].as_str().unwrap(), padded.trim());
    let messages = app.read_all(&school.t1, "s1+t1").await;
    assert_eq!(messages.len(), 5);
    assert_eq!(
        messages[3]["messageBody"].as_str().unwrap().chars().count(),
        4000
    );
}

#[tokio::test]
async fn bidi_and_zero_width_characters_in_a_message_are_kept_and_line_breaks_normalised() {
    let school = school().await;
    let app = &school.app;
    for (sent, stored) in [
        (
            "see \u{202E}txet desrever\u{202C} here",
            "see \u{202E}txet desrever\u{202C} here",
        ),
        ("שלום \u{200F}!", "שלום \u{200F}!"),
        (
            "👩\u{200D}🏫 zero\u{200B}width",
            "👩\u{200D}🏫 zero\u{200B}width",
        ),
        ("tab\tand\r\nCRLF\rand CR\r\n", "tab\tand\nCRLF\nand CR"),
    ] {
        let reply = app.send(&school.s1, "s1+t1", "s1", sent).await;
        assert_eq!(reply.status, 201, "{sent:?}: {}", reply.body);
        assert_eq!(reply.body["messageBody"], stored, "{sent:?}");
    }
    let messages = app.read_all(&school.t1, "s1+t1").await;
    assert_eq!(messages.len(), 6);
    assert_eq!(messages[5]["messageBody"], "tab\tand\nCRLF\nand CR");
}

#[tokio::test]
async fn a_timestamp_an_offset_moves_out_of_range_reads_like_the_ends_of_time() {
    let school = school().await;
    let app = &school.app;
    let all = app.read_all(&school.s1, "s1+t1").await;
    for (query, expected) in [
        ("after=0000-01-01T00:00:00%2B23:59", all.len()),
        ("before=0000-01-01T00:00:00%2B01:00", 0),
        ("after=9999-12-31T23:59:59-23:59", 0),
        ("before=9999-12-31T23:59:59-01:00", all.len()),
    ] {
        let reply = app
            .get(
                &format!("/chat/read?conversationId=s1%2Bt1&{query}"),
                &school.s1,
            )
            .await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        assert_eq!(
            reply.body["messages"].as_array().unwrap().len(),
            expected,
            "{query}"
        );
    }
}

#[tokio::test]
async fn refused_requests_leave_the_conversation_usable() {
    let school = school().await;
    let app = &school.app;
    let before = snapshot(&school).await;
    app.post_raw("/chat/send", &school.s1, r#"{"conversationId":"#)
        .await
        .assert_error(400, "invalid_json");
    app.send(&school.s1, "s1+t1", "s1", "")
        .await
        .assert_error(422, "invalid_message_body");
    assert_eq!(snapshot(&school).await, before);
    let sent = app
        .send(&school.s1, "s1+t1", "s1", "and now a real one")
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let messages = app.read_all(&school.t1, "s1+t1").await;
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[2]["messageBody"], "and now a real one");
}
