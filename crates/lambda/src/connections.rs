//! The `Connections` table as the fan-out needs it: whose connections are live (Query on
//! the `userId-index` GSI) and forgetting one that API Gateway says is gone (DeleteItem).
//! Registering a connection is in `ws::session`, the only function that writes one, so that
//! the IAM check can tell which function calls what.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::UserId;
use classchat_store_dynamodb::{CONNECTION_ID, CONNECTIONS_BY_USER, TableNames};
use std::collections::HashMap;

/// The attribute holding the connection's user (the GSI's partition key).
pub const USER_ID: &str = "userId";
/// When the connection was made, Unix seconds.
pub const CONNECTED_AT: &str = "connectedAt";
/// When the token the connection was opened with expires, Unix seconds: frames after it
/// are refused and the connection is closed.
pub const EXPIRES_AT: &str = "expiresAt";
/// The token version the connection was opened with: once the account's moves on
/// (revocation), frames are refused and the connection is closed.
pub const TOKEN_VERSION: &str = "tokenVersion";

/// A failed request to the Connections table.
#[derive(Debug, thiserror::Error)]
#[error("Connections table: {0}")]
pub struct ConnectionError(pub String);

impl ConnectionError {
    pub(crate) fn from_sdk(operation: &str, error: impl std::error::Error) -> Self {
        Self(format!("{operation}: {}", DisplayErrorContext(&error)))
    }
}

/// Access to the `Connections` table.
#[derive(Debug, Clone)]
pub struct ConnectionTable {
    pub(crate) client: Client,
    pub(crate) table: String,
}

/// One live connection of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveConnection {
    /// API Gateway's connectionId.
    pub connection_id: String,
    /// Whose it is.
    pub user: UserId,
}

impl ConnectionTable {
    /// The table named in `tables`, reached with `client` (the store's client, so both
    /// share one connection pool and configuration).
    pub fn new(client: Client, tables: &TableNames) -> Self {
        Self {
            client,
            table: tables.connections.clone(),
        }
    }

    /// Every live connection of `user`, through the GSI (eventually consistent: a
    /// connection made a moment ago may be missed, and is caught up by the client's `sync`).
    pub async fn of_user(&self, user: &UserId) -> Result<Vec<LiveConnection>, ConnectionError> {
        let mut found = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(CONNECTIONS_BY_USER)
                .key_condition_expression("#u = :u")
                .expression_attribute_names("#u", USER_ID)
                .expression_attribute_values(":u", AttributeValue::S(user.to_string()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|error| ConnectionError::from_sdk("Query userId-index", error))?;
            found.extend(page.items().iter().filter_map(|item| {
                let AttributeValue::S(id) = item.get(CONNECTION_ID)? else {
                    return None;
                };
                Some(LiveConnection {
                    connection_id: id.clone(),
                    user: user.clone(),
                })
            }));
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(found),
            }
        }
    }

    /// Deletes a connection: on `$disconnect`, and when API Gateway answers 410 Gone.
    pub async fn forget(&self, connection_id: &str) -> Result<(), ConnectionError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(CONNECTION_ID, AttributeValue::S(connection_id.to_owned()))
            .send()
            .await
            .map_err(|error| ConnectionError::from_sdk("DeleteItem", error))?;
        Ok(())
    }
}
