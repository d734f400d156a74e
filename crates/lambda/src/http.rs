//! The REST API on Lambda: exactly the server's router ([`classchat_server::build_app`]),
//! fed API Gateway events by `lambda_http` (HTTP API payload v2 or REST API v1; the
//! library tells them apart by shape).

use crate::config::LambdaConfig;
use crate::deployment::Deployment;
use axum::Router;
use classchat_server::{Live, LiveConfig, build_app};
use lambda_http::RequestExt;
use lambda_http::http::Uri;
use lambda_http::request::RequestContext;
use tower::ServiceExt;

/// The server's router over the deployment's service. Its `/chat/ws` route answers
/// `websocket_required` here: on AWS, sockets go to the WebSocket API instead.
pub fn app(deployment: &Deployment, config: &LambdaConfig) -> Router {
    let server = config.server(deployment.jwt_secret().bytes());
    // No socket is ever accepted here, so this registry stays empty; events leave through
    // the deployment's API Gateway hub instead.
    let live = Live::new(LiveConfig::default());
    build_app(std::sync::Arc::clone(&deployment.service), &live, &server)
}

/// Serves one request already converted from an API Gateway event, as the runtime does.
/// The router never fails (errors are HTTP answers), hence no error type.
pub async fn handle(app: &Router, request: lambda_http::Request) -> axum::response::Response {
    let request = without_stage(request);
    match app
        .clone()
        .oneshot(request.map(axum::body::Body::new))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The request with a named stage's `/{stage}` path prefix removed. `lambda_http` puts
/// the stage back into REST API (v1) paths, and HTTP API paths carry it for any stage but
/// `$default`; the router's routes are the same on every stage.
fn without_stage(request: lambda_http::Request) -> lambda_http::Request {
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.stage.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage.filter(|stage| stage != "$default" && !stage.is_empty()) else {
        return request;
    };
    let (mut parts, body) = request.into_parts();
    let rest = match parts.uri.path().strip_prefix(&format!("/{stage}")) {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => return lambda_http::Request::from_parts(parts, body),
    };
    let path_and_query = match parts.uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest,
    };
    let mut uri = parts.uri.clone().into_parts();
    if let Ok(path_and_query) = path_and_query.parse() {
        uri.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(uri) {
            parts.uri = uri;
        }
    }
    lambda_http::Request::from_parts(parts, body)
}

/// Converts the JSON of an API Gateway event (any supported payload version) into a
/// request, as the runtime does before calling [`handle`].
pub fn request_from_event(json: &str) -> Result<lambda_http::Request, serde_json::Error> {
    lambda_http::request::from_str(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_rest_api_stage_from_the_path() {
        let event = include_str!("../tests/fixtures/rest-api-v1-get-teachers.json");
        let request = request_from_event(event).unwrap();
        assert_eq!(request.uri().path(), "/prod/chat/get_teachers");
        assert_eq!(without_stage(request).uri().path(), "/chat/get_teachers");
    }

    #[test]
    fn keeps_default_stage_paths_and_queries() {
        let event = include_str!("../tests/fixtures/http-api-v2-read.json");
        let request = without_stage(request_from_event(event).unwrap());
        assert_eq!(request.uri().path(), "/chat/read");
        assert_eq!(
            request.uri().query(),
            Some("conversationId=s1%2Bt1&limit=50")
        );
    }
}
