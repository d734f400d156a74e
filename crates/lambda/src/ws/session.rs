//! `$connect` and `$disconnect`: the connection's row in `Connections` (PutItem, GetItem,
//! DeleteItem) and the presence announcements of a user's first and last connection.

use super::{WsHandler, refuse, respond};
use crate::connections::{CONNECTED_AT, ConnectionError, USER_ID};
use aws_lambda_events::apigw::ApiGatewayProxyResponse;
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::{ChatError, User};
use classchat_store_dynamodb::{CONNECTION_ID, TTL_ATTRIBUTE};
use std::time::{SystemTime, UNIX_EPOCH};

/// Authenticates the token from `?token=` and registers the connection; 401/403 refuse it.
pub(super) async fn connect(
    handler: &WsHandler,
    connection_id: &str,
    token: Option<&str>,
) -> ApiGatewayProxyResponse {
    let user = match authenticate(handler, token).await {
        Ok(user) => user,
        Err(error) => return refuse(&error),
    };
    let now = now_secs();
    let ttl = now.saturating_add(handler.connection_ttl.as_secs());
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
        .send()
        .await;
    if let Err(error) = put {
        let error = ConnectionError::from_sdk("PutItem", error);
        tracing::warn!(%error, "cannot register a connection");
        return refuse(&ChatError::Unavailable);
    }
    announce_if_alone(handler, &user, true).await;
    respond(200, None)
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
    respond(200, None)
}

/// The signed-in user of a registered connection, looked up again so a disabled account
/// stops at its next frame.
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
    let user_id = found
        .item()
        .and_then(|item| item.get(USER_ID))
        .and_then(|value| value.as_s().ok())
        .ok_or_else(|| ChatError::unauthorized("this connection is not registered; reconnect"))?;
    handler.service.authenticate(user_id).await
}

async fn authenticate(handler: &WsHandler, token: Option<&str>) -> Result<User, ChatError> {
    let token =
        token.ok_or_else(|| ChatError::unauthorized("missing token: connect with ?token=<jwt>"))?;
    let claims = handler.tokens.verify(token)?;
    handler.service.authenticate(&claims.sub).await
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
