//! `$connect` and `$disconnect`: the connection's row in `Connections` (PutItem, GetItem,
//! DeleteItem) and the presence announcements of a user's first and last connection.

use super::{WsHandler, refuse, respond};
use crate::connections::{CONNECTED_AT, ConnectionError, EXPIRES_AT, TOKEN_VERSION, USER_ID};
use aws_lambda_events::apigw::ApiGatewayProxyResponse;
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::{ChatError, User};
use classchat_server::auth::Session;
use classchat_store_dynamodb::{CONNECTION_ID, TTL_ATTRIBUTE};
use std::time::{SystemTime, UNIX_EPOCH};

/// Authenticates the token from `?token=` and registers the connection; 401/403 refuse it.
pub(super) async fn connect(
    handler: &WsHandler,
    connection_id: &str,
    token: Option<&str>,
) -> ApiGatewayProxyResponse {
    let session = match authenticate(handler, token).await {
        Ok(session) => session,
        Err(error) => return refuse(&error),
    };
    let user = &session.user;
    let expires = session
        .expires_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let now = now_secs();
    // API Gateway's own limit, or the token's end if that comes first.
    let ttl = now
        .saturating_add(handler.connection_ttl.as_secs())
        .min(expires);
    let put = handler
        .hub
        .connections()
        .client
        .put_item()
        .table_name(&handler.hub.connections().table)
        .item(CONNECTION_ID, AttributeValue::S(connection_id.to_owned()))
        .item(USER_ID, AttributeValue::S(user.id.to_string()))
        .item(CONNECTED_AT, AttributeValue::N(now.to_string()))
        .item(TTL_ATTRIBUTE, AttributeValue::N(ttl.to_string()))
        .item(EXPIRES_AT, AttributeValue::N(expires.to_string()))
        .item(
            TOKEN_VERSION,
            AttributeValue::N(session.token_version.to_string()),
        )
        .send()
        .await;
    if let Err(error) = put {
        let error = ConnectionError::from_sdk("PutItem", error);
        tracing::warn!(%error, "cannot register a connection");
        return refuse(&ChatError::Unavailable);
    }
    announce_if_alone(handler, user, true).await;
    respond(200)
}

/// Forgets the connection; the last one of a user takes them offline.
pub(super) async fn disconnect(
    handler: &WsHandler,
    connection_id: &str,
) -> ApiGatewayProxyResponse {
    let user = user_of(handler, connection_id).await.ok();
    if let Err(error) = handler.hub.connections().forget(connection_id).await {
        tracing::warn!(%error, "cannot delete a closed connection; its TTL will");
    }
    if let Some(user) = user {
        announce_if_alone(handler, &user, false).await;
    }
    respond(200)
}

/// The signed-in user of a registered connection, looked up again so that a disabled
/// account, a revoked token (its version moved on) or an expired one stops at its next
/// frame.
pub(super) async fn user_of(handler: &WsHandler, connection_id: &str) -> Result<User, ChatError> {
    let table = handler.hub.connections();
    let found = table
        .client
        .get_item()
        .table_name(&table.table)
        .key(CONNECTION_ID, AttributeValue::S(connection_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| {
            let error = ConnectionError::from_sdk("GetItem", error);
            tracing::warn!(%error, "cannot look a connection up");
            ChatError::Unavailable
        })?;
    let item = found
        .item()
        .ok_or_else(|| ChatError::unauthorized("this connection is not registered; reconnect"))?;
    let number = |name: &str| {
        item.get(name)
            .and_then(|value| value.as_n().ok())
            .and_then(|raw| raw.parse::<u64>().ok())
    };
    let user_id = item
        .get(USER_ID)
        .and_then(|value| value.as_s().ok())
        .ok_or_else(|| ChatError::unauthorized("this connection is not registered; reconnect"))?;
    // Connections registered before expiry was recorded last as long as their TTL.
    if number(EXPIRES_AT).is_some_and(|expires| now_secs() >= expires) {
        return Err(ChatError::unauthorized(
            "the token has expired; sign in again and reconnect",
        ));
    }
    let version = number(TOKEN_VERSION).unwrap_or(0);
    handler.service.authenticate(user_id, version).await
}

/// The session behind the token of `?token=`, through the server's one token→user path.
async fn authenticate(handler: &WsHandler, token: Option<&str>) -> Result<Session, ChatError> {
    let token =
        token.ok_or_else(|| ChatError::unauthorized("missing token: connect with ?token=<jwt>"))?;
    handler.tokens.authenticate(&handler.service, token).await
}

/// Announces presence when `user` has no other connection (after connecting: exactly
/// this one; after disconnecting: none).
async fn announce_if_alone(handler: &WsHandler, user: &User, online: bool) {
    let remaining = match handler.hub.connections().of_user(&user.id).await {
        Ok(connections) => connections.len(),
        Err(error) => {
            tracing::warn!(%error, "cannot count connections; not announcing presence");
            return;
        }
    };
    let alone = if online {
        remaining <= 1
    } else {
        remaining == 0
    };
    let announced = if online {
        handler.service.connection_opened(user, alone).await
    } else {
        handler.service.connection_closed(user, alone).await
    };
    if let Err(error) = announced {
        tracing::warn!(%error, "cannot announce presence");
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}
