//! The messages and close codes of `graphql-transport-ws`, as the protocol document of
//! `graphql-ws` defines them
//! (<https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md>). A message that is
//! not one of them closes the socket with 4400 and says why.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The WebSocket subprotocol.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// Close code: a message the protocol does not allow (with the reason).
pub const CLOSE_BAD_REQUEST: u16 = 4400;
/// Close code: `subscribe` before the server acknowledged `connection_init`.
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// Close code: `connection_init` refused (a bad or expired token, a disabled account), or
/// the session ended while the socket was open.
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// Close code: no `connection_init` within the allowed time.
pub const CLOSE_INIT_TIMEOUT: u16 = 4408;
/// Close code: a `subscribe` with the id of a subscription still running.
pub const CLOSE_SUBSCRIBER_EXISTS: u16 = 4409;
/// Close code: a second `connection_init`.
pub const CLOSE_TOO_MANY_INITS: u16 = 4429;

/// A message from the client.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// The first message: its payload carries `{"token": …}`.
    ConnectionInit {
        /// The client's parameters.
        #[serde(default)]
        payload: Option<Map<String, Value>>,
    },
    /// A keep-alive; answered with `pong`.
    Ping {
        /// Anything; echoed back.
        #[serde(default)]
        payload: Option<Map<String, Value>>,
    },
    /// The answer to the server's `ping`.
    Pong {
        /// Anything.
        #[serde(default)]
        payload: Option<Map<String, Value>>,
    },
    /// Starts an operation under `id`.
    Subscribe {
        /// The client's id for it, unique among its running operations.
        id: String,
        /// The operation.
        payload: SubscribePayload,
    },
    /// Stops the operation `id`.
    Complete {
        /// Which.
        id: String,
    },
}

/// What a `subscribe` asks for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribePayload {
    /// The GraphQL document.
    pub query: String,
    /// The values of its variables.
    #[serde(default)]
    pub variables: Option<Map<String, Value>>,
    /// Which operation of the document.
    #[serde(default)]
    pub operation_name: Option<String>,
    /// Protocol extensions (ignored).
    #[serde(default)]
    pub extensions: Option<Map<String, Value>>,
}

/// A message to the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage<'a> {
    /// `connection_init` accepted.
    ConnectionAck,
    /// A keep-alive.
    Ping,
    /// The answer to the client's `ping`.
    Pong {
        /// The client's payload, echoed.
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<&'a Map<String, Value>>,
    },
    /// A result of operation `id` (an event of a subscription, or the one answer of a
    /// query or mutation).
    Next {
        /// Which operation.
        id: &'a str,
        /// The GraphQL response.
        payload: &'a Value,
    },
    /// Operation `id` could not start; nothing more comes for it.
    Error {
        /// Which operation.
        id: &'a str,
        /// The GraphQL errors.
        payload: &'a Value,
    },
    /// Operation `id` is over.
    Complete {
        /// Which operation.
        id: &'a str,
    },
}

/// Why a text is not a client message: the socket closes with [`CLOSE_BAD_REQUEST`] and this
/// as the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadMessage(pub String);

impl ClientMessage {
    /// Reads a text frame.
    pub fn parse(text: &str) -> Result<Self, BadMessage> {
        serde_json::from_str(text).map_err(|error| {
            let mut reason = format!("invalid message: {error}");
            // A close reason is at most 123 bytes.
            while reason.len() > 120 {
                reason.pop();
            }
            BadMessage(reason)
        })
    }
}

impl ServerMessage<'_> {
    /// The text frame.
    pub fn to_text(&self) -> String {
        // Serialising these plain values cannot fail; an empty object keeps the socket
        // protocol-correct if it ever did.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_client_message() {
        let init = ClientMessage::parse(r#"{"type":"connection_init","payload":{"token":"t"}}"#);
        let Ok(ClientMessage::ConnectionInit {
            payload: Some(payload),
        }) = init
        else {
            panic!("{init:?}");
        };
        assert_eq!(payload["token"], "t");
        assert_eq!(
            ClientMessage::parse(r#"{"type":"connection_init"}"#),
            Ok(ClientMessage::ConnectionInit { payload: None })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"ping"}"#),
            Ok(ClientMessage::Ping { payload: None })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"pong","payload":{"a":1}}"#),
            Ok(ClientMessage::Pong {
                payload: json!({"a": 1}).as_object().cloned()
            })
        );
        let subscribe = ClientMessage::parse(
            r#"{"id":"1","type":"subscribe","payload":{"query":"subscription { inbox { __typename } }","variables":{"x":1}}}"#,
        );
        let Ok(ClientMessage::Subscribe { id, payload }) = subscribe else {
            panic!("{subscribe:?}");
        };
        assert_eq!(id, "1");
        assert!(payload.query.starts_with("subscription"));
        assert_eq!(payload.variables, json!({"x": 1}).as_object().cloned());
        assert_eq!(
            ClientMessage::parse(r#"{"id":"1","type":"complete"}"#),
            Ok(ClientMessage::Complete { id: "1".into() })
        );
    }

    #[test]
    fn anything_else_is_a_bad_message_with_a_short_reason() {
        for text in [
            "not json",
            "{}",
            r#"{"type":"start","id":"1"}"#,
            r#"{"type":"subscribe","payload":{"query":"{ me }"}}"#,
            r#"{"type":"complete"}"#,
            r#"{"type":"ping","extra":1}"#,
            &format!(r#"{{"type":"{}"}}"#, "x".repeat(500)),
        ] {
            let BadMessage(reason) = ClientMessage::parse(text).unwrap_err();
            assert!(reason.starts_with("invalid message"), "{reason}");
            assert!(reason.len() <= 123, "{} bytes", reason.len());
        }
    }

    #[test]
    fn server_messages_have_the_protocols_shape() {
        assert_eq!(
            ServerMessage::ConnectionAck.to_text(),
            r#"{"type":"connection_ack"}"#
        );
        assert_eq!(ServerMessage::Ping.to_text(), r#"{"type":"ping"}"#);
        assert_eq!(
            ServerMessage::Pong { payload: None }.to_text(),
            r#"{"type":"pong"}"#
        );
        let data = json!({"data": {"inbox": null}});
        assert_eq!(
            ServerMessage::Next {
                id: "7",
                payload: &data
            }
            .to_text(),
            r#"{"type":"next","id":"7","payload":{"data":{"inbox":null}}}"#
        );
        assert_eq!(
            ServerMessage::Complete { id: "7" }.to_text(),
            r#"{"type":"complete","id":"7"}"#
        );
    }
}
