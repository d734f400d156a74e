//! The web client: static files from `crates/server/web/`, embedded in the binary at build
//! time (no build step, no files to deploy), served at `/` and `/static/…`.
//!
//! Every response carries a strict Content-Security-Policy: scripts and styles only from
//! this origin, no inline script, no framing, and connections only to this origin (which
//! covers its own `ws:`/`wss:`) plus the API and WebSocket origins that `index.html`'s
//! `classchat-api` and `classchat-ws` meta tags name, if any. Files are revalidated with an
//! ETag (their SHA-256), so a new binary's client is picked up at once and unchanged files
//! cost a 304.
//!
//! The service worker (`sw.js`, which shows Web Push notifications) is served at
//! `/static/sw.js` like any other file, with `Service-Worker-Allowed: /` so that the client
//! can register it for the whole origin: `navigator.serviceWorker.ready` then resolves on
//! the page at `/`. Serving it there rather than at `/sw.js` adds no route.

use crate::state::AppState;
use axum::Router;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use std::sync::LazyLock;

/// The embedded files.
#[derive(RustEmbed)]
#[folder = "web/"]
struct WebAssets;

/// What the client may load: only this origin, nothing inline. `{connect}` is replaced by
/// the origins the client may talk to (see [`connect_sources`]).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src {connect}; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The service worker, and the header that lets it control the whole origin from `/static/`.
const SERVICE_WORKER: &str = "sw.js";
const SERVICE_WORKER_ALLOWED: HeaderName = HeaderName::from_static("service-worker-allowed");

/// The policy for the embedded client, worked out once from its `index.html`.
static POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let html = WebAssets::get("index.html")
        .map(|file| String::from_utf8_lossy(&file.data).into_owned())
        .unwrap_or_default();
    let policy = CONTENT_SECURITY_POLICY.replace("{connect}", &connect_sources(&html));
    // Every part is checked to be plain ASCII without separators, so this cannot fail; the
    // fallback is the same policy with connections to this origin only.
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        )
    })
});

/// The web client's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|headers: HeaderMap| async move { serve("index.html", &headers) }),
        )
        .route(
            "/static/{*file}",
            get(
                |file: Result<Path<String>, PathRejection>, headers: HeaderMap| async move {
                    // A name whose percent-encoding is not UTF-8 names no file either.
                    match file {
                        Ok(Path(file)) => serve(&file, &headers),
                        Err(_) => crate::error::ApiError::RouteNotFound.into_response(),
                    }
                },
            ),
        )
}

/// The paths of the embedded files under `/static/`, for the OpenAPI document.
pub(crate) fn file_names() -> Vec<String> {
    WebAssets::iter().map(|name| name.into_owned()).collect()
}

fn serve(file: &str, request_headers: &HeaderMap) -> Response {
    let Some(asset) = WebAssets::get(file) else {
        return crate::error::ApiError::RouteNotFound.into_response();
    };
    let hash = asset.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        hash.iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, POLICY.clone());
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if file == SERVICE_WORKER {
        headers.insert(SERVICE_WORKER_ALLOWED, HeaderValue::from_static("/"));
    }
    let matches = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|candidate| candidate.trim() == etag));
    if matches {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let content_type = match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (StatusCode::OK, headers, asset.data.into_owned()).into_response()
}

/// `connect-src`: `'self'` (in CSP3 it also matches `ws:`/`wss:` to this host and port),
/// plus the origin of each URL that the `classchat-api` and `classchat-ws` meta tags give
/// (a deployment serving these files away from its API, or with its socket on another
/// host, as API Gateway's WebSocket APIs are). Empty tags add nothing, so the default is
/// this origin only, never any host.
fn connect_sources(html: &str) -> String {
    let mut sources = vec!["'self'".to_owned()];
    for name in ["classchat-api", "classchat-ws"] {
        let origin = meta_content(html, name).and_then(origin_of);
        if let Some(origin) = origin.filter(|origin| !sources.contains(origin)) {
            sources.push(origin);
        }
    }
    sources.join(" ")
}

/// The `content` of `<meta name="{name}" content="…">` in `html`, as the client reads it.
fn meta_content<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let content = &tag[tag.find("content=\"")? + "content=\"".len()..];
    Some(content[..content.find('"')?].trim())
}

/// `scheme://host[:port]` of an absolute http(s) or ws(s) URL; `None` for anything else
/// (an empty tag, a relative path, characters that do not belong in a host).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https" | "ws" | "wss") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_ok = !authority.is_empty()
        && !authority.contains('@')
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    host_ok.then(|| format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::{connect_sources, origin_of, serve};
    use axum::http::HeaderMap;

    fn page(api: &str, ws: &str) -> String {
        format!(
            "<head>\n<meta name=\"classchat-api\" content=\"{api}\">\n\
             <meta name=\"classchat-ws\" content=\"{ws}\">\n</head>"
        )
    }

    #[test]
    fn empty_meta_tags_allow_this_origin_only() {
        assert_eq!(connect_sources(&page("", "")), "'self'");
        assert_eq!(connect_sources("<html></html>"), "'self'");
    }

    #[test]
    fn meta_tags_add_exactly_their_origins() {
        let html = page(
            "https://api.example.org/prod/",
            "wss://abc123.execute-api.eu-west-1.amazonaws.com/live",
        );
        assert_eq!(
            connect_sources(&html),
            "'self' https://api.example.org wss://abc123.execute-api.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            connect_sources(&page("", "wss://ws.example.org:8443/chat/ws?x=1")),
            "'self' wss://ws.example.org:8443"
        );
    }

    #[test]
    fn only_the_service_worker_may_control_the_whole_origin() {
        let worker = serve("sw.js", &HeaderMap::new());
        assert_eq!(worker.status(), 200);
        assert_eq!(worker.headers()["service-worker-allowed"], "/");
        assert!(
            worker.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
        let script = serve("app.js", &HeaderMap::new());
        assert!(script.headers().get("service-worker-allowed").is_none());
    }

    #[test]
    fn anything_but_a_plain_absolute_origin_is_ignored() {
        for bad in [
            "",
            "/chat/ws",
            "javascript:alert(1)",
            "ftp://example.org",
            "wss://",
            "wss://user@evil.example",
            "wss://a.example; script-src *",
            "https://a.example,b.example",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }
}
