//! `/openapi.json` describes every route and its errors, and the probes answer.

use crate::common::spawn_app;
use reqwest::Method;

const DOCUMENTED: [(&str, &str); 17] = [
    ("get", "/metrics"),
    ("post", "/auth/login"),
    ("get", "/chat/get_teachers"),
    ("get", "/chat/get_students"),
    ("get", "/chat/get_chats"),
    ("get", "/chat/read"),
    ("post", "/chat/send"),
    ("post", "/chat/mark_read"),
    ("get", "/admin/users"),
    ("post", "/admin/users"),
    ("patch", "/admin/users/{userId}"),
    ("get", "/admin/links"),
    ("post", "/admin/links"),
    ("delete", "/admin/links"),
    ("get", "/admin/audit"),
    ("get", "/healthz"),
    ("get", "/readyz"),
];

#[tokio::test]
async fn openapi_document_is_3_1_and_covers_every_route_with_its_errors() {
    let app = spawn_app().await;
    let doc = app.request(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for (method, path) in DOCUMENTED {
        let operation = &doc.body["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        let responses = operation["responses"].as_object().unwrap();
        let needs_auth = path.starts_with("/chat") || path.starts_with("/admin");
        if needs_auth {
            assert!(
                responses.contains_key("401"),
                "{method} {path} documents 401"
            );
            assert!(
                responses.contains_key("403"),
                "{method} {path} documents 403"
            );
            assert!(
                operation["security"].is_array(),
                "{method} {path} needs a bearer token"
            );
        }
        if method == "post" || method == "patch" {
            assert!(
                responses.contains_key("400"),
                "{method} {path} documents 400"
            );
        }
    }
    assert!(doc.body["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());
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
