//! Extractors that turn every malformed request into an [`ApiError`] with our JSON error
//! body, instead of axum's plain-text rejections.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The largest request body accepted. A 4000-character message is at most 24 KiB of JSON
/// even with every character escaped, so this leaves room without inviting abuse.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body. Any `Content-Type` is accepted (curl's `-d` sends a form type), but the
/// bytes must be a JSON object of the expected shape. `LIMIT` is the body limit the route
/// applies (a route with a larger one than [`BODY_LIMIT`] sets it with its own
/// `DefaultBodyLimit` layer), so that a refusal names the limit in force.
pub struct JsonBody<T, const LIMIT: usize = BODY_LIMIT>(pub T);

impl<S: Send + Sync, T: DeserializeOwned, const LIMIT: usize> FromRequest<S>
    for JsonBody<T, LIMIT>
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection: BytesRejection| {
                    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::PayloadTooLarge(LIMIT)
                    } else {
                        ApiError::MalformedBody(rejection.body_text())
                    }
                })?;
        // Every request body of the API is a JSON object. Derived `Deserialize` would also
        // take an array of the field values in declaration order (`["s1+t1","s1","hi",null]`
        // as a send), which would make field order part of the API; refuse it up front.
        let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
        if first.is_some_and(|&byte| byte != b'{') {
            return Err(ApiError::MalformedBody(
                "the body must be a JSON object".to_owned(),
            ));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|error| ApiError::MalformedBody(describe_json_error(&error)))
    }
}

fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof => format!("the body is not valid JSON: {error}"),
        Category::Data => format!("the body does not have the expected fields: {error}"),
        Category::Io => "the body could not be read".to_owned(),
    }
}

/// Path parameters. axum's own `Path` answers a segment whose percent-encoding is not
/// UTF-8 (`/admin/users/%FF`) in plain text; this answers with our JSON error.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(params)| PathParams(params))
            .map_err(|rejection| ApiError::MalformedPath(rejection.body_text()))
    }
}

/// Query-string parameters.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(QueryParams)
            .map_err(|error| {
                ApiError::MalformedQuery(format!("the query string is malformed: {error}"))
            })
    }
}
