//! The embedded web client as a browser fetches it: the right content types, revalidation
//! with an ETag, a strict Content-Security-Policy on every file, a JSON 404 for files that
//! do not exist, and a page with no inline script for that policy to forbid.

use crate::common::{TestApp, spawn_app};
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HeaderMap, IF_NONE_MATCH,
    X_CONTENT_TYPE_OPTIONS,
};

/// GETs `path` with optional extra headers; returns status, headers and the raw body.
async fn fetch(
    app: &TestApp,
    path: &str,
    if_none_match: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(etag) = if_none_match {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    (status, headers, body)
}

fn header(headers: &HeaderMap, name: impl reqwest::header::AsHeaderName) -> &str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// The sources of one CSP directive, e.g. `["'self'"]` for `connect-src 'self'`.
fn directive<'a>(policy: &'a str, name: &str) -> Vec<&'a str> {
    policy
        .split(';')
        .map(str::split_whitespace)
        .find_map(|mut parts| (parts.next() == Some(name)).then(|| parts.collect()))
        .unwrap_or_else(|| panic!("{name} is missing from {policy}"))
}

/// Asserts what every served file carries: the strict policy, nosniff, revalidation.
#[track_caller]
fn assert_protected(headers: &HeaderMap) {
    let policy = header(headers, CONTENT_SECURITY_POLICY);
    assert_eq!(directive(policy, "script-src"), ["'self'"], "{policy}");
    assert_eq!(directive(policy, "default-src"), ["'self'"], "{policy}");
    assert_eq!(directive(policy, "object-src"), ["'none'"], "{policy}");
    assert_eq!(directive(policy, "frame-ancestors"), ["'none'"], "{policy}");
    assert!(!policy.contains("'unsafe-inline'"), "{policy}");
    assert!(!policy.contains("'unsafe-eval'"), "{policy}");
    // Connections go to named origins only: never a whole scheme (`ws:`) or any host.
    for source in directive(policy, "connect-src") {
        assert!(
            source == "'self'" || source.contains("://"),
            "connect-src allows {source}: {policy}"
        );
        assert!(
            !source.contains('*'),
            "connect-src allows {source}: {policy}"
        );
    }
    assert_eq!(header(headers, X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(header(headers, CACHE_CONTROL), "no-cache");
    let etag = header(headers, ETAG);
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "a quoted ETag: {etag:?}"
    );
}

/// Every `on…=` attribute in `html` (inline event handlers, which the policy would block).
fn event_handler_attributes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut found = Vec::new();
    for (at, _) in lower.match_indices("on") {
        let after_space = at > 0 && bytes[at - 1].is_ascii_whitespace();
        let name_len = bytes[at + 2..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let rest = lower[at + 2 + name_len..].trim_start();
        if after_space && name_len > 0 && rest.starts_with('=') {
            found.push(lower[at..at + 2 + name_len].to_owned());
        }
    }
    found
}

/// The text between each `<script …>` and its `</script>`, with the opening tag.
fn scripts(html: &str) -> Vec<(String, String)> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|i| from + i) {
        let open_end = start + lower[start..].find('>').expect("a closed <script> tag");
        let close = open_end + lower[open_end..].find("</script>").expect("a </script>");
        found.push((
            lower[start..=open_end].to_owned(),
            html[open_end + 1..close].to_owned(),
        ));
        from = close;
    }
    found
}

#[tokio::test]
async fn the_page_is_html_under_a_strict_policy_with_no_inline_script() {
    let app = spawn_app().await;
    let (status, headers, html) = fetch(&app, "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, CONTENT_TYPE), "text/html; charset=utf-8");
    assert_protected(&headers);

    let scripts = scripts(&html);
    assert!(!scripts.is_empty(), "the page loads its module");
    for (tag, body) in &scripts {
        assert!(
            tag.contains(" src=\"/static/"),
            "script from this origin: {tag}"
        );
        assert!(body.trim().is_empty(), "inline script in {tag}: {body}");
    }
    assert_eq!(event_handler_attributes(&html), Vec::<String>::new());
    assert!(!html.to_ascii_lowercase().contains("javascript:"));
}

#[tokio::test]
async fn scripts_styles_and_images_have_their_content_types() {
    let app = spawn_app().await;
    for (path, content_type) in [
        ("/static/app.js", "text/javascript; charset=utf-8"),
        ("/static/views/chat.js", "text/javascript; charset=utf-8"),
        ("/static/style.css", "text/css; charset=utf-8"),
        ("/static/logo.svg", "image/svg+xml"),
    ] {
        let (status, headers, body) = fetch(&app, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&headers, CONTENT_TYPE), content_type, "{path}");
        assert_protected(&headers);
        assert!(!body.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn a_matching_etag_is_answered_304_without_a_body() {
    let app = spawn_app().await;
    for path in ["/", "/static/app.js", "/static/style.css"] {
        let (_, headers, _) = fetch(&app, path, None).await;
        let etag = header(&headers, ETAG).to_owned();

        let (status, revalidated, body) = fetch(&app, path, Some(&etag)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty(), "{path}");
        assert_eq!(header(&revalidated, ETAG), etag, "{path}");
        assert_protected(&revalidated);

        // One of several candidates matches too; a stale one gets the file again.
        let list = format!("\"0000\", {etag}");
        assert_eq!(
            fetch(&app, path, Some(&list)).await.0,
            StatusCode::NOT_MODIFIED
        );
        let (status, _, body) = fetch(&app, path, Some("\"stale\"")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn unknown_files_are_a_json_404() {
    let app = spawn_app().await;
    for path in [
        "/static/nope.js",
        "/static/views/",
        "/static/%2e%2e/src/web.rs",
        "/static/..%2F..%2FCargo.toml",
    ] {
        let (status, headers, body) = fetch(&app, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            header(&headers, CONTENT_TYPE).starts_with("application/json"),
            "{path}"
        );
        let error: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
        assert_eq!(error["error"]["code"], "not_found", "{path}: {body}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}
