//! `/openapi.json`, fetched from the running server, describes every route of the router
//! (read from the server's sources, so a new route cannot be left out) and every error each
//! route can return; and the probes answer.

use crate::common::spawn_app;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Routes open to anyone, without a token, that never touch the store: probes, metrics,
/// this document, the web client's files, and the page an unsubscribe link opens (its
/// signature is checked, nothing is read). (`POST /auth/login`, `POST
/// /auth/first-sign-in`, `POST /unsubscribe` and `GET /readyz` need no token either, but
/// they read the store.)
pub const OPEN_WITHOUT_STORE: [(&str, &str); 6] = [
    ("get", "/healthz"),
    ("get", "/openapi.json"),
    ("get", "/metrics"),
    ("get", "/"),
    ("get", "/static/{}"),
    ("get", "/unsubscribe"),
];

/// Sockets whose token may come after the upgrade, in the protocol's first message
/// (`connection_init` of `graphql-transport-ws`): a plain request without a token gets
/// `400 websocket_required`, not 401.
pub const OPEN_SOCKETS: [(&str, &str); 1] = [("get", "/graphql")];

/// Routes that need no token but read the store.
pub const OPEN_WITH_STORE: [(&str, &str); 4] = [
    ("post", "/auth/login"),
    ("post", "/auth/first-sign-in"),
    ("get", "/readyz"),
    ("post", "/unsubscribe"),
];

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

/// Routes that take no request body although their method could.
const WITHOUT_BODY: &[(&str, &str)] = &[
    ("post", "/auth/logout"),
    ("post", "/unsubscribe"),
    ("post", "/admin/retention/preview"),
];

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
        let mut required = vec![("408", "every request has a time limit")];
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
        if (method == "post" || method == "patch") && !WITHOUT_BODY.contains(&key) {
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
    assert!(
        text.contains("# TYPE classchat_live_queued_seconds histogram")
            && text.contains("# TYPE classchat_live_since_arrival_seconds histogram"),
        "{text}"
    );
}
