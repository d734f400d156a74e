//! `POST /graphql`: queries and mutations over the same `ChatService`, for a signed-in
//! caller (`Authorization: Bearer`, as every REST route). `GET /graphql`: the WebSocket of
//! subscriptions (`graphql-transport-ws`), authenticated by its `connection_init`. The schema, its limits and its
//! error codes are `classchat-graphql`'s; this route only authenticates and carries JSON.
//! A body that is not a GraphQL request (`{"query", "variables"?, "operationName"?}`) is
//! `400 invalid_json` like any REST body; anything wrong inside the operation is a GraphQL
//! error with `extensions.code`, in a `200` response as GraphQL over HTTP has it.

use crate::auth::{AuthUser, Tokens};
use crate::dto::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use async_trait::async_trait;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response as HttpResponse;
use axum::routing::post;
use axum::{Json, Router};
use classchat_core::{ChatError, ChatService, Timestamp};
use classchat_graphql::ws::protocol::SUBPROTOCOL;
use classchat_graphql::{Authenticate, Authenticated, Incoming, Outgoing, Request, Response};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::UNIX_EPOCH;
use tokio::sync::mpsc;
use utoipa::ToSchema;

/// The GraphQL route.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/graphql", post(execute).get(subscribe))
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

/// The server's token check for GraphQL sockets: the same `Tokens::authenticate` as every
/// route and `/chat/ws`.
struct TokenCheck {
    tokens: Arc<Tokens>,
    service: Arc<ChatService>,
}

#[async_trait]
impl Authenticate for TokenCheck {
    async fn authenticate(&self, token: &str) -> Result<Authenticated, ChatError> {
        let session = self.tokens.authenticate(&self.service, token).await?;
        let micros = session
            .expires_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
            });
        Ok(Authenticated {
            user: session.user,
            expires_at: Timestamp::from_micros(micros).unwrap_or(Timestamp::MIN),
            token_version: session.token_version,
        })
    }
}

/// Opens a GraphQL socket (`graphql-transport-ws`).
///
/// The token comes in the `connection_init` payload (`{"token": …}`; browsers cannot set
/// headers on a WebSocket) or the `Authorization: Bearer` header, which is checked before
/// the upgrade (401/403, and 429 for a user at the cap of live connections). Subscriptions:
/// `messageAdded(conversationId)` and `inbox` (see `schema.graphql`). Close codes as the
/// protocol defines them: 4400, 4401, 4403, 4408, 4409, 4429.
#[utoipa::path(get, path = "/graphql", tag = "graphql",
    security((), ("bearer" = [])),
    responses(
        (status = 101, description = "switching protocols: the socket is open"),
        (status = 400, description = "not a WebSocket upgrade request (`websocket_required`)", body = ErrorBody),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, description = "the account of the `Authorization` token is disabled (`account_disabled`)", body = ErrorBody),
        (status = 429, description = "the user of the `Authorization` token has as many live connections as one user may (`too_many_connections`); without the header the socket opens and closes with 4403 after `connection_init`", body = ErrorBody),
        (status = 503, description = "the store is unavailable, or the server is shutting down (`unavailable`)", body = ErrorBody),
    ))]
pub(crate) async fn subscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<HttpResponse> {
    if state.live.is_shutting_down() {
        return Err(ChatError::Unavailable.into());
    }
    let upgrade = upgrade.map_err(|rejection| ApiError::NotWebSocket(rejection.body_text()))?;
    let header_token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(crate::auth::bearer_token)
        .map(str::to_owned);
    // A token in the header is checked before the upgrade, as on `/chat/ws`; without one
    // the socket opens and `connection_init` must carry it.
    if let Some(token) = &header_token {
        let session = state.tokens.authenticate(&state.service, token).await?;
        let cap = state.live.config().connections_per_user;
        if state.live.registry().connections_of(&session.user.id) >= cap {
            return Err(ApiError::TooManyConnections(cap));
        }
    }
    let max = state.live.config().max_message_bytes;
    Ok(upgrade
        .protocols([SUBPROTOCOL])
        .read_buffer_size(1024)
        .max_frame_size(max)
        .max_message_size(max)
        .on_upgrade(move |socket| serve(socket, state, header_token)))
}

/// Bridges the socket and the GraphQL session: the session reads the client's frames and
/// queues what to write; a task writes it.
async fn serve(socket: WebSocket, state: AppState, header_token: Option<String>) {
    let _open = state.live.connection_opened();
    let (mut sink, stream) = socket.split();
    let (outgoing, mut queue) = mpsc::channel(state.live.config().queue_capacity);
    // A peer that stopped reading blocks a write once the socket buffers are full; a write
    // stuck for two ping intervals (as long as a silent peer is given on `/chat/ws`) means
    // it is gone, and the socket is dropped rather than held.
    let stall_limit = state.live.config().ping_interval * 2;
    let writer = tokio::spawn(async move {
        while let Some(item) = queue.recv().await {
            let (message, last) = match item {
                Outgoing::Text(text) => (Message::Text(Utf8Bytes::from(text)), false),
                Outgoing::Ping => (Message::Ping(Default::default()), false),
                Outgoing::Close(code, reason) => {
                    let close = CloseFrame {
                        code,
                        reason: Utf8Bytes::from(reason),
                    };
                    (Message::Close(Some(close)), true)
                }
            };
            match tokio::time::timeout(stall_limit, sink.send(message)).await {
                Ok(Ok(())) if !last => {}
                Ok(Ok(())) => break,
                Ok(Err(_)) | Err(_) => return,
            }
        }
        let _ = tokio::time::timeout(stall_limit, sink.close()).await;
    });
    let incoming = stream.map(|message| match message {
        Ok(Message::Text(text)) => Incoming::Text(text.to_string()),
        Ok(Message::Binary(_)) => Incoming::Binary,
        Ok(Message::Ping(_) | Message::Pong(_)) => Incoming::Alive,
        Ok(Message::Close(_)) | Err(_) => Incoming::Closed,
    });
    let check = TokenCheck {
        tokens: Arc::clone(&state.tokens),
        service: Arc::clone(&state.service),
    };
    state
        .graphql
        .serve_socket(
            &state.live,
            &check,
            header_token,
            Box::pin(incoming),
            outgoing,
        )
        .await;
    let _ = writer.await;
}
