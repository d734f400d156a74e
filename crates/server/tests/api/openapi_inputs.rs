//! The inputs of `/openapi.json`: every query parameter is declared in the query with its
//! real `required`, and every input carries the constraints the server applies, from the
//! same constants the core checks its validators against. (`scripts/openapi-check` then
//! holds the whole document to the server's behaviour with schemathesis.)

use crate::common::spawn_app;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

/// `schema` with a `$ref` (at its top, or as the non-null branch of a nullable `oneOf`)
/// replaced by what it points to.
pub(crate) fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = schema["oneOf"]
        .as_array()
        .and_then(|branches| branches.iter().find(|branch| branch["type"] != "null"))
        .unwrap_or(schema);
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
            let target = &doc["components"]["schemas"][name];
            assert!(target.is_object(), "{reference} is not defined");
            target
        }
        None => schema,
    }
}

/// The parameters of `method path`, by name.
fn parameters<'a>(doc: &'a Value, method: &str, path: &str) -> Vec<&'a Value> {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .map(|parameters| parameters.iter().collect())
        .unwrap_or_default()
}

pub(crate) fn parameter<'a>(doc: &'a Value, method: &str, path: &str, name: &str) -> &'a Value {
    parameters(doc, method, path)
        .into_iter()
        .find(|parameter| parameter["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

/// The schema of property `name` of the JSON request body of `method path`.
pub(crate) fn body_property<'a>(doc: &'a Value, method: &str, path: &str, name: &str) -> &'a Value {
    let body = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    let body = resolve(doc, body);
    resolve(doc, &body["properties"][name])
}

pub(crate) fn required_fields(doc: &Value, method: &str, path: &str) -> BTreeSet<String> {
    let body = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    resolve(doc, body)["required"]
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_query_parameter_is_in_the_query_with_its_real_required_flag() {
    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let mut failures = Vec::new();
    let mut query_parameters = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("path item") {
            for parameter in parameters(&doc, method, path) {
                let name = parameter["name"].as_str().unwrap_or_default();
                let placeholder = format!("{{{name}}}");
                match parameter["in"].as_str() {
                    Some("path") if path.contains(&placeholder) => {}
                    Some("query") if !path.contains(&placeholder) => query_parameters += 1,
                    other => failures.push(format!("{method} {path}: {name} is in {other:?}")),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(query_parameters, 40, "every query parameter is counted");

    // Required exactly when leaving it out is refused.
    for (method, path, name, required) in [
        ("get", "/chat/read", "conversationId", true),
        ("get", "/chat/read", "limit", false),
        ("get", "/chat/read", "before", false),
        ("get", "/chat/read", "after", false),
        ("get", "/chat/get_teachers", "user_name", false),
        ("get", "/chat/get_students", "user_name", false),
        ("get", "/chat/get_chats", "user_name", false),
        ("get", "/admin/users", "role", false),
        ("get", "/admin/users", "limit", false),
        ("get", "/admin/users", "after", false),
        ("get", "/admin/users", "q", false),
        ("get", "/admin/users", "status", false),
        ("get", "/admin/users", "classId", false),
        ("get", "/admin/links", "userId", false),
        ("get", "/admin/links", "classId", false),
        ("get", "/admin/classes", "q", false),
        ("get", "/admin/classes", "limit", false),
        ("get", "/admin/classes", "after", false),
        ("delete", "/admin/links", "teacherId", true),
        ("delete", "/admin/links", "studentId", true),
        ("get", "/admin/guardians", "userId", false),
        ("delete", "/admin/guardians", "guardianId", true),
        ("delete", "/admin/guardians", "studentId", true),
        ("get", "/admin/audit", "limit", false),
        ("get", "/admin/audit", "before", false),
        ("get", "/chat/ws", "token", false),
        ("post", "/admin/roster", "dryRun", false),
        ("delete", "/me/push-subscriptions", "endpoint", true),
        ("get", "/unsubscribe", "token", true),
        ("post", "/unsubscribe", "token", true),
        ("get", "/admin/reports", "state", false),
        ("get", "/admin/reports", "before", false),
        ("get", "/admin/reports", "limit", false),
        ("get", "/admin/reports/{reportId}", "context", false),
        ("get", "/admin/messages/history", "conversationId", true),
        ("get", "/admin/messages/history", "timestamp", true),
        // Exactly one of the two, which no single flag can say (`400 invalid_request`).
        ("delete", "/admin/holds", "userId", false),
        ("delete", "/admin/holds", "conversationId", false),
    ] {
        let parameter = parameter(&doc, method, path, name);
        assert_eq!(parameter["in"], "query", "{method} {path} {name}");
        assert_eq!(
            parameter["required"].as_bool().unwrap_or(false),
            required,
            "{method} {path} {name}: {parameter}"
        );
    }
}

#[tokio::test]
async fn every_input_carries_the_constraints_the_server_applies() {
    use classchat_core::conversation::CONVERSATION_ID_PATTERN;
    use classchat_core::ids::{CLIENT_MESSAGE_ID_PATTERN, USER_ID_PATTERN};
    use classchat_core::notify::schedule::CLOCK_PATTERN;
    use classchat_core::notify::subscription::{ENDPOINT_PATTERN, KEY_PATTERN};
    use classchat_core::text::{DISPLAY_NAME_PATTERN, MESSAGE_BODY_PATTERN};
    use classchat_core::time::TIMESTAMP_PATTERN;

    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let string = |pattern: &str, min: u64, max: u64| serde_json::json!({"type": "string", "pattern": pattern, "minLength": min, "maxLength": max});
    let user_id = string(USER_ID_PATTERN, 1, 128);
    let conversation_id = string(CONVERSATION_ID_PATTERN, 3, 257);
    let timestamp = string(TIMESTAMP_PATTERN, 20, 35);
    let limit = serde_json::json!({"type": "integer", "minimum": 1, "maximum": 200});
    let role =
        serde_json::json!({"type": "string", "enum": ["student", "teacher", "guardian", "admin"]});
    let display_name = string(DISPLAY_NAME_PATTERN, 1, 100);
    let password = serde_json::json!({"type": "string", "minLength": 8, "maxLength": 1024});

    let query = |method: &str, path: &str, name: &str| {
        resolve(&doc, &parameter(&doc, method, path, name)["schema"]).clone()
    };
    let body =
        |method: &str, path: &str, name: &str| body_property(&doc, method, path, name).clone();
    let cases = [
        (
            "GET /chat/read conversationId",
            query("get", "/chat/read", "conversationId"),
            &conversation_id,
        ),
        (
            "GET /chat/read limit",
            query("get", "/chat/read", "limit"),
            &limit,
        ),
        (
            "GET /chat/read before",
            query("get", "/chat/read", "before"),
            &timestamp,
        ),
        (
            "GET /chat/read after",
            query("get", "/chat/read", "after"),
            &timestamp,
        ),
        (
            "GET /chat/get_teachers user_name",
            query("get", "/chat/get_teachers", "user_name"),
            &user_id,
        ),
        (
            "GET /chat/get_students user_name",
            query("get", "/chat/get_students", "user_name"),
            &user_id,
        ),
        (
            "GET /chat/get_chats user_name",
            query("get", "/chat/get_chats", "user_name"),
            &user_id,
        ),
        (
            "GET /admin/users role",
            query("get", "/admin/users", "role"),
            &role,
        ),
        (
            "GET /admin/users limit",
            query("get", "/admin/users", "limit"),
            &limit,
        ),
        (
            "GET /admin/users after",
            query("get", "/admin/users", "after"),
            &user_id,
        ),
        (
            "GET /admin/links userId",
            query("get", "/admin/links", "userId"),
            &user_id,
        ),
        (
            "DELETE /admin/links teacherId",
            query("delete", "/admin/links", "teacherId"),
            &user_id,
        ),
        (
            "DELETE /admin/links studentId",
            query("delete", "/admin/links", "studentId"),
            &user_id,
        ),
        (
            "GET /admin/audit limit",
            query("get", "/admin/audit", "limit"),
            &limit,
        ),
        (
            "PATCH /admin/users/{userId} userId",
            query("patch", "/admin/users/{userId}", "userId"),
            &user_id,
        ),
        (
            "POST /chat/send conversationId",
            body("post", "/chat/send", "conversationId"),
            &conversation_id,
        ),
        (
            "POST /chat/send author",
            body("post", "/chat/send", "author"),
            &user_id,
        ),
        (
            "POST /chat/send messageBody",
            body("post", "/chat/send", "messageBody"),
            &string(MESSAGE_BODY_PATTERN, 1, 4000),
        ),
        (
            "POST /chat/send clientMessageId",
            body("post", "/chat/send", "clientMessageId"),
            &string(CLIENT_MESSAGE_ID_PATTERN, 1, 64),
        ),
        (
            "POST /chat/mark_read conversationId",
            body("post", "/chat/mark_read", "conversationId"),
            &conversation_id,
        ),
        (
            "POST /chat/mark_read timestamp",
            body("post", "/chat/mark_read", "timestamp"),
            &timestamp,
        ),
        (
            "POST /admin/users userId",
            body("post", "/admin/users", "userId"),
            &user_id,
        ),
        (
            "POST /admin/users displayName",
            body("post", "/admin/users", "displayName"),
            &display_name,
        ),
        (
            "POST /admin/users role",
            body("post", "/admin/users", "role"),
            &role,
        ),
        (
            "POST /admin/users password",
            body("post", "/admin/users", "password"),
            &password,
        ),
        (
            "PATCH /admin/users/{userId} displayName",
            body("patch", "/admin/users/{userId}", "displayName"),
            &display_name,
        ),
        (
            "PATCH /admin/users/{userId} role",
            body("patch", "/admin/users/{userId}", "role"),
            &role,
        ),
        (
            "PATCH /admin/users/{userId} password",
            body("patch", "/admin/users/{userId}", "password"),
            &password,
        ),
        (
            "POST /admin/links teacherId",
            body("post", "/admin/links", "teacherId"),
            &user_id,
        ),
        (
            "POST /admin/links studentId",
            body("post", "/admin/links", "studentId"),
            &user_id,
        ),
        (
            "GET /admin/guardians userId",
            query("get", "/admin/guardians", "userId"),
            &user_id,
        ),
        (
            "DELETE /admin/guardians guardianId",
            query("delete", "/admin/guardians", "guardianId"),
            &user_id,
        ),
        (
            "DELETE /admin/guardians studentId",
            query("delete", "/admin/guardians", "studentId"),
            &user_id,
        ),
        (
            "POST /admin/guardians guardianId",
            body("post", "/admin/guardians", "guardianId"),
            &user_id,
        ),
        (
            "POST /admin/guardians studentId",
            body("post", "/admin/guardians", "studentId"),
            &user_id,
        ),
        (
            "PATCH /admin/settings guardianOversight",
            body("patch", "/admin/settings", "guardianOversight"),
            &serde_json::json!({"type": ["boolean", "null"]}),
        ),
        (
            "POST /me/push-subscriptions endpoint",
            body("post", "/me/push-subscriptions", "endpoint"),
            &string(ENDPOINT_PATTERN, 8, 1024),
        ),
        (
            "DELETE /me/push-subscriptions endpoint",
            query("delete", "/me/push-subscriptions", "endpoint"),
            &string(ENDPOINT_PATTERN, 8, 1024),
        ),
        (
            "POST /me/push-subscriptions keys.p256dh",
            resolve(
                &doc,
                &body("post", "/me/push-subscriptions", "keys")["properties"]["p256dh"],
            )
            .clone(),
            &string(KEY_PATTERN, 1, 128),
        ),
        (
            "PATCH /me/notifications hours.hours[].from",
            resolve(
                &doc,
                &resolve(
                    &doc,
                    &body("patch", "/me/notifications", "hours")["properties"]["hours"]["items"],
                )["properties"]["from"],
            )
            .clone(),
            &string(CLOCK_PATTERN, 5, 5),
        ),
        (
            "PATCH /me/notifications hours.hours[].days",
            resolve(
                &doc,
                &resolve(
                    &doc,
                    &body("patch", "/me/notifications", "hours")["properties"]["hours"]["items"],
                )["properties"]["days"],
            )
            .clone(),
            &serde_json::json!({"type": "array", "minItems": 1, "maxItems": 7, "uniqueItems": true}),
        ),
        (
            "PATCH /me/notifications hours.hours",
            resolve(&doc, &body("patch", "/me/notifications", "hours"))["properties"]["hours"]
                .clone(),
            &serde_json::json!({"type": "array", "minItems": 1, "maxItems": 14}),
        ),
    ];
    let mut failures = Vec::new();
    for (what, schema, expected) in &cases {
        for (key, value) in expected.as_object().expect("an object") {
            if &schema[key] != value {
                failures.push(format!("{what}: {key} is {}, not {value}", schema[key]));
            }
        }
    }
    for (method, path, fields) in [
        ("post", "/auth/login", vec!["password", "userId"]),
        (
            "post",
            "/chat/send",
            vec!["author", "conversationId", "messageBody"],
        ),
        (
            "post",
            "/chat/mark_read",
            vec!["conversationId", "timestamp"],
        ),
        (
            "post",
            "/admin/users",
            vec!["displayName", "password", "role", "userId"],
        ),
        ("post", "/admin/links", vec!["studentId", "teacherId"]),
        ("post", "/admin/guardians", vec!["guardianId", "studentId"]),
        ("patch", "/admin/users/{userId}", vec![]),
        ("patch", "/admin/settings", vec![]),
        ("patch", "/me/notifications", vec![]),
        ("post", "/me/push-subscriptions", vec!["endpoint", "keys"]),
    ] {
        let required: Vec<_> = required_fields(&doc, method, path).into_iter().collect();
        if required != fields {
            failures.push(format!(
                "{method} {path}: required {required:?}, not {fields:?}"
            ));
        }
    }
    let audit_before = query("get", "/admin/audit", "before");
    if audit_before["minLength"] != 26 || audit_before["maxLength"] != 26 {
        failures.push(format!(
            "GET /admin/audit before is not a ULID: {audit_before}"
        ));
    }
    let files = &parameter(&doc, "get", "/static/{file}", "file")["schema"]["enum"];
    if !files
        .as_array()
        .is_some_and(|files| files.iter().any(|file| file == "app.js"))
    {
        failures.push(format!("/static/{{file}} does not list the files: {files}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
