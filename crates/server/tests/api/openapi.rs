//! `/openapi.json`, fetched from the running server, describes every route of the router
//! (read from the server's sources, so a new route cannot be left out) and every error each
//! route can return; and the probes answer.

use crate::common::spawn_app;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Routes open to anyone, without a token, that never touch the store: probes, metrics,
/// this document and the web client's files. (`POST /auth/login` and `GET /readyz` need no
/// token either, but they read the store.)
pub const OPEN_WITHOUT_STORE: [(&str, &str); 5] = [
    ("get", "/healthz"),
    ("get", "/openapi.json"),
    ("get", "/metrics"),
    ("get", "/"),
    ("get", "/static/{}"),
];

/// Routes that need no token but read the store.
pub const OPEN_WITH_STORE: [(&str, &str); 2] = [("post", "/auth/login"), ("get", "/readyz")];

/// `path` with every `{parameter}` (axum's `{name}` and `{*name}`, OpenAPI's `{name}`)
/// written `{}`, so the router's and the document's spellings compare equal.
pub fn normalise(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        out.push_str("{}");
        rest = rest[open..]
            .find('}')
            .map_or("", |close| &rest[open + close + 1..]);
    }
    out.push_str(rest);
    out
}

fn source_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files.extend(source_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The index just past the bracketed group opening at `open` (`(`, `{` or `[`), skipping
/// string literals.
fn skip_group(text: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut index = open;
    while index < text.len() {
        match text[index] {
            b'"' => {
                index += 1;
                while index < text.len() && text[index] != b'"' {
                    index += if text[index] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
        index += 1;
    }
    panic!("unbalanced brackets");
}

/// Every `(method, path)` the router serves, from the `.route("path", get(…).post(…))`
/// calls in the server's sources.
pub fn router_routes() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut routes = BTreeSet::new();
    for file in source_files(&src) {
        let text = std::fs::read_to_string(&file).expect("read source");
        for unknown in [
            ".nest(",
            ".nest_service(",
            ".route_service(",
            ".fallback_service(",
        ] {
            assert!(
                !text.contains(unknown),
                "{}: `{unknown}` adds routes this test cannot see; teach router_routes about it",
                file.display()
            );
        }
        let bytes = text.as_bytes();
        for (at, _) in text.match_indices(".route(") {
            let rest = text[at + ".route(".len()..].trim_start();
            let path = rest
                .strip_prefix('"')
                .and_then(|rest| rest.split_once('"'))
                .map(|(path, _)| path)
                .unwrap_or_else(|| {
                    panic!("{}: a route whose path is not a literal", file.display())
                });
            // After the path: `, method(handler).method(handler)…`.
            let mut index = text.len() - rest.len() + 1 + path.len() + 1;
            index += text[index..].find(',').expect("route arguments") + 1;
            loop {
                while bytes[index].is_ascii_whitespace() || bytes[index] == b'.' {
                    index += 1;
                }
                let name_len = text[index..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap();
                let method = &text[index..index + name_len];
                if method.is_empty() || bytes[index + name_len] != b'(' {
                    break;
                }
                routes.insert((method.to_owned(), normalise(path)));
                index = skip_group(bytes, index + name_len);
                let next = text[index..].trim_start();
                if !next.starts_with('.') {
                    break;
                }
            }
        }
    }
    assert!(
        routes.len() >= 20,
        "only {routes:?}: is the scanner broken?"
    );
    routes
}

/// The operations of the document: `(method, normalised path) → operation`.
pub fn operations(doc: &Value) -> Vec<((String, String), Value)> {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            operations.push(((method.clone(), normalise(path)), operation.clone()));
        }
    }
    operations
}

#[tokio::test]
async fn openapi_document_covers_every_route_of_the_router_with_its_errors() {
    let app = spawn_app().await;
    let doc = app.request(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc.status, 200);
    let doc = doc.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let operations = operations(&doc);

    // The document and the router list the same routes.
    let documented: BTreeSet<_> = operations.iter().map(|(key, _)| key.clone()).collect();
    let served = router_routes();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && phantom.is_empty(),
        "served but not documented: {undocumented:?}\ndocumented but not served: {phantom:?}"
    );

    let mut failures = Vec::new();
    for ((method, path), operation) in &operations {
        let key = (method.as_str(), path.as_str());
        let responses = operation["responses"].as_object().expect("responses");
        // (status, why the route can answer it)
        let mut required = Vec::new();
        if !OPEN_WITHOUT_STORE.contains(&key) {
            required.push(("503", "it reads the store"));
        }
        if !OPEN_WITHOUT_STORE.contains(&key) && !OPEN_WITH_STORE.contains(&key) {
            required.push(("401", "it needs a token"));
            required.push(("403", "a disabled account is refused"));
            if !operation["security"].is_array() {
                failures.push(format!("{method} {path} declares no security"));
            }
        }
        if method == "post" || method == "patch" {
            required.push(("400", "its JSON body can be malformed"));
            required.push(("413", "its body can be too large"));
            if !operation["requestBody"].is_object() {
                failures.push(format!("{method} {path} declares no request body"));
            }
        }
        for (status, why) in required {
            if !responses.contains_key(status) {
                failures.push(format!(
                    "{method} {path} does not document {status} ({why})"
                ));
            }
        }
        for (status, response) in responses {
            let reference = response["$ref"].as_str().unwrap_or_default();
            if let Some(name) = reference.strip_prefix("#/components/responses/")
                && !doc["components"]["responses"][name].is_object()
            {
                failures.push(format!(
                    "{method} {path} {status}: {reference} is not defined"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let send = &doc["paths"]["/chat/send"]["post"];
    for status in [
        "400", "401", "403", "404", "409", "413", "422", "429", "503",
    ] {
        assert!(
            send["responses"][status].is_object(),
            "send documents {status}"
        );
    }
    let replay_header = send["responses"]["201"]["headers"]
        .as_object()
        .expect("201 headers")
        .keys()
        .any(|name| name.eq_ignore_ascii_case(classchat_server::IDEMPOTENT_REPLAY_HEADER));
    assert!(replay_header, "send's 201 documents Idempotent-Replayed");
    let rate_limited = &doc["components"]["responses"]["RateLimited"];
    assert!(
        rate_limited["headers"]["Retry-After"].is_object(),
        "{rate_limited}"
    );

    let socket = &doc["paths"]["/chat/ws"]["get"];
    for status in ["101", "400", "401", "403", "503"] {
        assert!(
            socket["responses"][status].is_object(),
            "/chat/ws documents {status}"
        );
    }
    assert!(
        socket["parameters"][0]["name"] == "token",
        "/chat/ws documents its token parameter: {socket}"
    );

    let description = doc["info"]["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("405 method_not_allowed") && description.contains("404 not_found"),
        "the document says what any path answers to another method: {description}"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
}

#[tokio::test]
async fn every_documented_path_answers_another_method_with_405() {
    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let mut failures = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let methods = item.as_object().expect("path item");
        let other = ["put", "patch", "delete", "post"]
            .into_iter()
            .find(|method| !methods.contains_key(*method))
            .expect("a method the path does not serve");
        let concrete = path.replace("{userId}", "s1").replace("{file}", "app.js");
        let reply = app
            .request(other.to_uppercase().parse().unwrap(), &concrete, None, None)
            .await;
        if (reply.status.as_u16(), reply.code()) != (405, "method_not_allowed") {
            failures.push(format!(
                "{other} {concrete}: {} {}",
                reply.status, reply.body
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn probes_answer() {
    let app = spawn_app().await;
    let health = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (health.status.as_u16(), health.body["status"].as_str()),
        (200, Some("ok"))
    );
    let ready = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (ready.status.as_u16(), ready.body["status"].as_str()),
        (200, Some("ready"))
    );
    let metrics = app.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains("classchat_http_responses_total{class=\"2xx\"}"),
        "{text}"
    );
    assert!(text.contains("classchat_websocket_connections 0"), "{text}");
}

/// `schema` with a `$ref` (at its top, or as the non-null branch of a nullable `oneOf`)
/// replaced by what it points to.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
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

fn parameter<'a>(doc: &'a Value, method: &str, path: &str, name: &str) -> &'a Value {
    parameters(doc, method, path)
        .into_iter()
        .find(|parameter| parameter["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

/// The schema of property `name` of the JSON request body of `method path`.
fn body_property<'a>(doc: &'a Value, method: &str, path: &str, name: &str) -> &'a Value {
    let body = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    let body = resolve(doc, body);
    resolve(doc, &body["properties"][name])
}

fn required_fields(doc: &Value, method: &str, path: &str) -> BTreeSet<String> {
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
    assert_eq!(query_parameters, 16, "every query parameter is counted");

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
        ("get", "/admin/links", "userId", false),
        ("delete", "/admin/links", "teacherId", true),
        ("delete", "/admin/links", "studentId", true),
        ("get", "/admin/audit", "limit", false),
        ("get", "/admin/audit", "before", false),
        ("get", "/chat/ws", "token", false),
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
    let role = serde_json::json!({"type": "string", "enum": ["student", "teacher", "admin"]});
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
        ("patch", "/admin/users/{userId}", vec![]),
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
