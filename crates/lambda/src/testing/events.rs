//! API Gateway events as the service sends them, shaped from the recorded fixtures in
//! `tests/fixtures`: what the integration tests and `classchat-bench lambda` hand the
//! functions.

use serde_json::{Value, json};

/// A recorded HTTP API (v2) event.
const HTTP_EVENT: &str = include_str!("../../tests/fixtures/http-api-v2-login.json");
/// A recorded WebSocket `$connect` event.
pub const WS_CONNECT: &str = include_str!("../../tests/fixtures/ws-connect.json");
/// A recorded WebSocket `$disconnect` event.
pub const WS_DISCONNECT: &str = include_str!("../../tests/fixtures/ws-disconnect.json");
/// A recorded WebSocket `$default` message event.
pub const WS_MESSAGE: &str = include_str!("../../tests/fixtures/ws-message.json");

/// Why an event could not be made: a fixture that is not what it should be.
#[derive(Debug, thiserror::Error)]
#[error("a recorded API Gateway event is malformed: {0}")]
pub struct FixtureError(String);

/// An HTTP API (v2) event for `method path` (a query string may follow `?`) with `token`
/// as a bearer token and a raw `body`.
pub fn http_event(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<Value, FixtureError> {
    let mut event = parse(HTTP_EVENT)?;
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    event["rawPath"] = raw_path.into();
    event["rawQueryString"] = query.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = raw_path.into();
    event["pathParameters"]["proxy"] = raw_path.trim_start_matches('/').into();
    let headers = event["headers"]
        .as_object_mut()
        .ok_or_else(|| FixtureError("no headers".into()))?;
    headers.remove("content-length");
    if let Some(token) = token {
        headers.insert("authorization".into(), format!("Bearer {token}").into());
    }
    event["body"] = body.map_or(Value::Null, Into::into);
    Ok(event)
}

/// A WebSocket event from `fixture` ([`WS_CONNECT`], …) for `connection`, with `token`
/// in the query string (a `$connect`), or none at all.
pub fn ws_event(
    fixture: &str,
    connection: &str,
    token: Option<&str>,
) -> Result<Value, FixtureError> {
    let mut event = parse(fixture)?;
    event["requestContext"]["connectionId"] = connection.into();
    match token {
        Some(token) => {
            event["queryStringParameters"]["token"] = token.into();
            event["multiValueQueryStringParameters"]["token"] = json!([token]);
        }
        None => {
            if let Some(event) = event.as_object_mut() {
                event.remove("queryStringParameters");
                event.remove("multiValueQueryStringParameters");
            }
        }
    }
    Ok(event)
}

fn parse(fixture: &str) -> Result<Value, FixtureError> {
    serde_json::from_str(fixture).map_err(|error| FixtureError(error.to_string()))
}
