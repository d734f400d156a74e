//! `POST /graphql`: queries and mutations over the same `ChatService`, for a signed-in
//! caller (`Authorization: Bearer`, as every REST route). The schema, its limits and its
//! error codes are `classchat-graphql`'s; this route only authenticates and carries JSON.
//! A body that is not a GraphQL request (`{"query", "variables"?, "operationName"?}`) is
//! `400 invalid_json` like any REST body; anything wrong inside the operation is a GraphQL
//! error with `extensions.code`, in a `200` response as GraphQL over HTTP has it.

use crate::auth::AuthUser;
use crate::dto::ErrorBody;
use crate::extract::JsonBody;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use classchat_graphql::{Request, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The GraphQL route.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/graphql", post(execute))
}

/// `POST /graphql` request: one GraphQL operation (GraphQL over HTTP).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphqlRequest {
    /// The GraphQL document (`schema.graphql` in the repository is the schema).
    query: String,
    /// The values of the operation's variables.
    #[schema(value_type = Option<Object>)]
    variables: Option<Map<String, Value>>,
    /// Which operation of the document to run, when it holds several.
    operation_name: Option<String>,
}

/// `POST /graphql` response: what the operation selected, and its errors.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct GraphqlResponse {
    /// The selected fields; null when the operation could not run.
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
    /// Why (part of) the operation failed, if it did.
    errors: Option<Vec<GraphqlError>>,
}

/// One GraphQL error.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct GraphqlError {
    /// What went wrong.
    message: String,
    /// Where in the document.
    #[schema(value_type = Option<Vec<Object>>)]
    locations: Option<Vec<Value>>,
    /// Which field of the response it concerns: names and list indices.
    #[schema(value_type = Option<Vec<Value>>)]
    path: Option<Vec<Value>>,
    /// `code`: the stable code of the REST API (`forbidden`, `not_linked`,
    /// `invalid_message_body`, `rate_limited`, …), or `invalid_request` for a document
    /// that does not parse or validate, or is over a limit.
    #[schema(value_type = Option<Object>)]
    extensions: Option<Value>,
}

/// Runs one GraphQL query or mutation (see `schema.graphql`).
///
/// The same rules, rate limits and audit as the REST routes; errors carry the REST codes
/// in `extensions.code`. Depth (8) and complexity (200 fields) are bounded, and each user
/// may run 20 operations a second after a burst of 60 (`rate_limited`).
#[utoipa::path(post, path = "/graphql", tag = "graphql", request_body = GraphqlRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = GraphqlResponse, description = "the operation's result, errors included"),
        (status = 400, description = "the body is not a GraphQL request (`invalid_json`)", body = ErrorBody),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, description = "the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    ))]
pub(crate) async fn execute(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<GraphqlRequest>,
) -> Json<Response> {
    let mut request = Request::new(body.query).variables(classchat_graphql::Variables::from_json(
        Value::Object(body.variables.unwrap_or_default()),
    ));
    if let Some(name) = body.operation_name {
        request = request.operation_name(name);
    }
    Json(state.graphql.execute(caller, request).await)
}
