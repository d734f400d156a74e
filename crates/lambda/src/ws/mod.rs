//! The WebSocket API on Lambda. API Gateway keeps the sockets and invokes this function
//! once per event: `$connect` (authenticate, register), `$disconnect` (forget), and one
//! invocation per client frame, routed on `$request.body.action` to `sendMessage`,
//! `typing`, `markRead`, `sync`, `ping` — or `$default` for anything else. Frames are
//! parsed and performed by the server's own protocol code; replies are posted back to the
//! calling connection through the Management API, in order.

mod session;

use crate::config::LambdaConfig;
use crate::deployment::Deployment;
use crate::hub::{ApiGatewayHub, Management};
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use classchat_core::{ChatError, ChatService, ConnectionId};
use classchat_server::auth::Tokens;
use classchat_server::codes::TransportCode;
use classchat_server::dto::{ErrorBody, ErrorDetail};
use classchat_server::ws::actions::{self, FrameSink};
use classchat_server::ws::frames::{ClientFrame, chat_error_frame, frame_error_frame};
use std::sync::Arc;
use std::time::Duration;

/// Handles every event of the WebSocket API.
pub struct WsHandler {
    service: Arc<ChatService>,
    hub: Arc<ApiGatewayHub>,
    tokens: Tokens,
    connection_ttl: Duration,
}

impl WsHandler {
    /// A handler over the deployment's service and hub.
    pub fn new(deployment: &Deployment, config: &LambdaConfig) -> Self {
        Self {
            service: Arc::clone(&deployment.service),
            hub: Arc::clone(&deployment.hub),
            tokens: {
                let server = config.server(deployment.jwt_secret().bytes());
                Tokens::new(&server.jwt_secret, server.token_ttl)
            },
            connection_ttl: config.connection_ttl,
        }
    }

    /// Handles one event and says what API Gateway should answer. For `$connect` a status
    /// other than 200 refuses the socket; for the other routes the status is only logged
    /// by API Gateway, and replies travel as posts to the connection.
    pub async fn handle(&self, event: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
        let context = &event.request_context;
        if let (Some(domain), Some(stage)) = (&context.domain_name, &context.stage) {
            self.hub
                .learn_endpoint(&Management::endpoint_of(domain, stage));
        }
        let Some(connection_id) = context.connection_id.clone() else {
            return error_response(
                400,
                TransportCode::InvalidEvent.as_str(),
                "the event has no connectionId".into(),
            );
        };
        match context.route_key.as_deref().unwrap_or("$default") {
            "$connect" => {
                let token = event.query_string_parameters.first("token");
                session::connect(self, &connection_id, token).await
            }
            "$disconnect" => session::disconnect(self, &connection_id).await,
            route => {
                let body = event.body.as_deref().unwrap_or_default();
                self.frame(&connection_id, route, body).await
            }
        }
    }

    /// One client frame: whose connection it is, then the shared protocol, its replies
    /// posted to the connection as they come (a `sync` a batch at a time).
    async fn frame(&self, connection_id: &str, route: &str, body: &str) -> ApiGatewayProxyResponse {
        let mut sink = Post {
            hub: &self.hub,
            connection_id,
        };
        match session::user_of(self, connection_id).await {
            Err(error) => {
                // The session is over (expired, revoked, disabled): say why, then close.
                let ended = matches!(
                    error,
                    ChatError::Unauthorized { .. } | ChatError::Forbidden { .. }
                );
                sink.deliver(vec![chat_error_frame(&error, None)]).await;
                if ended {
                    self.hub.disconnect(connection_id).await;
                }
            }
            Ok(user) => match ClientFrame::parse(body) {
                Err(error) => {
                    sink.deliver(vec![frame_error_frame(&error)]).await;
                }
                Ok(frame) => {
                    if route == "$default" {
                        tracing::debug!("a known action arrived on $default; performing it");
                    }
                    let origin = ConnectionId::new(connection_id);
                    actions::perform(&self.service, &user, &origin, frame, &mut sink).await;
                }
            },
        }
        respond(200)
    }
}

/// Posts frames to one connection through the Management API, in order; stops at the
/// first that cannot be delivered (the connection is gone).
struct Post<'a> {
    hub: &'a ApiGatewayHub,
    connection_id: &'a str,
}

impl FrameSink for Post<'_> {
    async fn deliver(&mut self, frames: Vec<String>) -> bool {
        for frame in frames {
            if !self.hub.send(self.connection_id, &frame).await {
                return false;
            }
        }
        true
    }
}

/// An answer to API Gateway without a body.
fn respond(status: u16) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(status);
    response
}

/// An error answer in the one shape every transport uses, `{"error":{"code","message"}}`.
fn error_response(status: u16, code: &str, message: String) -> ApiGatewayProxyResponse {
    let mut response = respond(status);
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message,
            problems: None,
        },
    };
    response.body = serde_json::to_string(&body).ok().map(Body::Text);
    response
}

/// The answer for a refused `$connect`, with the status the REST API would give.
fn refuse(error: &ChatError) -> ApiGatewayProxyResponse {
    let status = classchat_server::status_of(error).as_u16();
    error_response(status, error.code().as_str(), error.to_string())
}
