//! [`AppSyncPublisher`]: classchat's calls to its AppSync API (`appsync/README.md`, "What
//! the backend calls"): each live event becomes `publishInboxEvent`, a message also
//! `publishMessage`, an edit `publishMessageEdited`, a removal `publishMessageRemoved`
//! (which AppSync's enhanced filters hand to the participants' subscriptions only), an
//! unlink also `endLink`, a revocation `endUserSessions`. Each call is a GraphQL POST signed
//! with SigV4 (service `appsync`) by the function role's credentials, and sent through a
//! connector of the SDK's own HTTPS client (`classchat_store_dynamodb::https_connector`:
//! rustls with ring, the system's roots). Best effort, like every delivery: a failed call
//! is logged, never turned into the send's answer.

use super::documents::{
    END_LINK, END_USER_SESSIONS, PUBLISH_INBOX_EVENT, PUBLISH_MESSAGE, PUBLISH_MESSAGE_EDITED,
    PUBLISH_MESSAGE_REMOVED,
};
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::{HttpConnector, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use classchat_core::moderation::Pause;
use classchat_core::{Delivery, Event, Message, Revocation, UserId};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

/// How long one call may take before it is given up (and logged).
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a call failed (logged, never returned to a client).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No credentials to sign with.
    #[error("no credentials: {0}")]
    Credentials(String),
    /// The request could not be signed.
    #[error("cannot sign: {0}")]
    Signing(String),
    /// The request did not get an answer.
    #[error("request failed: {0}")]
    Http(String),
    /// AppSync answered, with an error.
    #[error("AppSync answered {status}: {body}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The answer (GraphQL errors).
        body: String,
    },
}

/// A signed client of one AppSync API's GraphQL endpoint.
#[derive(Clone)]
pub struct AppSyncPublisher {
    url: String,
    region: String,
    credentials: SharedCredentialsProvider,
    /// Holds the connection pool: cloned with the publisher, built once.
    http: SharedHttpConnector,
}

impl std::fmt::Debug for AppSyncPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSyncPublisher")
            .field("url", &self.url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl AppSyncPublisher {
    /// A publisher to `url` (the API's `GraphQLUrl`), signing with `sdk`'s credentials and
    /// region; refused when `sdk` has neither (nothing could be signed).
    pub fn new(sdk: &SdkConfig, url: &str) -> Result<Self, PublishError> {
        let credentials = sdk
            .credentials_provider()
            .ok_or_else(|| PublishError::Credentials("no credentials provider".into()))?;
        let region = sdk
            .region()
            .ok_or_else(|| PublishError::Signing("no region".into()))?
            .to_string();
        Self::with_credentials(url, &region, credentials)
    }

    /// A publisher signing with `credentials` in `region` (tests and tools).
    pub fn with_credentials(
        url: &str,
        region: &str,
        credentials: SharedCredentialsProvider,
    ) -> Result<Self, PublishError> {
        Ok(Self {
            url: url.to_owned(),
            region: region.to_owned(),
            credentials,
            http: classchat_store_dynamodb::https_connector(),
        })
    }

    /// Publishes a live event to the subscriptions AppSync holds, as the table of
    /// `appsync/README.md` says: a message to `messageAdded` and `inbox`, an edit to
    /// `messageEdited` and `inbox`, a removal to `messageRemoved` and `inbox`, every other
    /// event to `inbox`; an unlink also ends the subscriptions to its conversation.
    pub async fn publish(&self, delivery: &Delivery, event: &Event) {
        // The two subscriptions a message, an edit or a removal feeds are independent: both
        // calls at once.
        let message = async {
            match event {
                Event::Message(message) => {
                    let input = json!({ "input": message_input(message) });
                    self.logged("publishMessage", PUBLISH_MESSAGE, input).await;
                }
                Event::Edited(message) => {
                    let input = json!({ "input": message_input(message) });
                    self.logged("publishMessageEdited", PUBLISH_MESSAGE_EDITED, input)
                        .await;
                }
                Event::Removed(message) => {
                    let input = json!({ "input": message_input(message) });
                    self.logged("publishMessageRemoved", PUBLISH_MESSAGE_REMOVED, input)
                        .await;
                }
                _ => {}
            }
        };
        let input = json!({ "input": inbox_input(&delivery.recipients, event) });
        let inbox = self.logged("publishInboxEvent", PUBLISH_INBOX_EVENT, input);
        tokio::join!(message, inbox);
        // After the inbox's `LinkEvent`, which tells the client why its subscription ends.
        if let Event::Link {
            conversation_id,
            linked: false,
        } = event
        {
            let variables = json!({ "conversationId": conversation_id.to_string() });
            self.logged("endLink", END_LINK, variables).await;
        }
    }

    /// Ends every AppSync subscription of `user`, whose sessions were revoked.
    pub async fn end_user_sessions(&self, user: &UserId, why: Revocation) {
        let variables = json!({ "userId": user.as_str(), "reason": why.as_str() });
        self.logged("endUserSessions", END_USER_SESSIONS, variables)
            .await;
    }

    /// [`Self::call`], logging a failure.
    async fn logged(&self, name: &str, document: &str, variables: Value) {
        if let Err(error) = self.call(document, variables).await {
            tracing::warn!(operation = name, %error, "AppSync call failed");
        }
    }

    /// POSTs one operation, signed; its `data` if AppSync ran it.
    pub async fn call(&self, document: &str, variables: Value) -> Result<Value, PublishError> {
        let body = json!({ "query": document, "variables": variables }).to_string();
        let identity = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|error| PublishError::Credentials(error.to_string()))?
            .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("appsync")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|error| PublishError::Signing(error.to_string()))?
            .into();
        let uri: http::Uri = self
            .url
            .parse()
            .map_err(|_| PublishError::Signing(format!("not a URL: {}", self.url)))?;
        let host = uri
            .authority()
            .map(|authority| authority.as_str().to_owned())
            .ok_or_else(|| PublishError::Signing(format!("no host in {}", self.url)))?;
        let headers = [
            ("content-type", "application/json"),
            ("host", host.as_str()),
        ];
        let signable = SignableRequest::new(
            "POST",
            self.url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|error| PublishError::Signing(error.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|error| PublishError::Signing(error.to_string()))?
            .into_parts();
        let mut request = http::Request::post(uri)
            .header("content-type", "application/json")
            .header("host", &host);
        for (name, value) in instructions.headers() {
            request = request.header(name, value);
        }
        let request = request
            .body(SdkBody::from(body))
            .map_err(|error| PublishError::Http(error.to_string()))?;
        let request = HttpRequest::try_from(request)
            .map_err(|error| PublishError::Http(error.to_string()))?;
        let exchange = async {
            let answer = self
                .http
                .call(request)
                .await
                .map_err(|error| error.to_string())?;
            let status = answer.status().as_u16();
            let bytes = answer
                .into_body()
                .collect()
                .await
                .map_err(|error| error.to_string())?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| PublishError::Http(format!("no answer within {CALL_TIMEOUT:?}")))?
            .map_err(PublishError::Http)?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status != 200 || parsed.get("errors").is_some_and(|errors| !errors.is_null()) {
            return Err(PublishError::Refused { status, body: text });
        }
        Ok(parsed["data"].clone())
    }
}

/// A message as the `PublishMessageInput` (and `MessageEvent.message`) has it: a removed
/// one is published only as its tombstone, without its text.
fn message_input(message: &Message) -> Value {
    json!({
        "messageId": message.message_id.to_string(),
        "conversationId": message.conversation_id.to_string(),
        "timestamp": message.timestamp.to_string(),
        "author": message.author.as_str(),
        "messageBody": message.body.as_str(),
        "clientMessageId": message.client_message_id.as_ref().map(|id| id.as_str()),
        "announcementId": message.announcement_id.map(|id| id.to_string()),
        "editedAt": message.edited_at.map(|at| at.to_string()),
        "removedAt": message.removed_at.map(|at| at.to_string()),
    })
}

/// A pause as the `PauseInput` (and `PauseEvent.pause`) has it.
fn pause_input(pause: &Pause) -> Value {
    json!({
        "by": pause.by.as_str(),
        "byRole": pause.by_role.as_str(),
        "at": pause.at.to_string(),
        "reason": pause.reason.as_ref().map(|reason| reason.as_str()),
    })
}

/// The `PublishInboxEventInput` of `event` for `recipients`: exactly one event field set.
fn inbox_input(recipients: &[UserId], event: &Event) -> Value {
    let recipients: Vec<&str> = recipients.iter().map(UserId::as_str).collect();
    let (field, value) = match event {
        Event::Message(message) => ("message", message_input(message)),
        Event::Read {
            conversation_id,
            user,
            timestamp,
        } => (
            "read",
            json!({
                "conversationId": conversation_id.to_string(),
                "userId": user.as_str(),
                "timestamp": timestamp.to_string(),
            }),
        ),
        Event::Typing {
            conversation_id,
            user,
        } => (
            "typing",
            json!({ "conversationId": conversation_id.to_string(), "userId": user.as_str() }),
        ),
        Event::Presence { user, online } => (
            "presence",
            json!({ "userId": user.as_str(), "online": online }),
        ),
        Event::Link {
            conversation_id,
            linked,
        } => (
            "link",
            json!({ "conversationId": conversation_id.to_string(), "linked": linked }),
        ),
        Event::Edited(message) => ("messageEdited", message_input(message)),
        Event::Removed(message) => ("messageRemoved", message_input(message)),
        Event::Paused {
            conversation_id,
            pause,
        } => (
            "pause",
            json!({
                "conversationId": conversation_id.to_string(),
                "pause": pause.as_ref().map(pause_input),
            }),
        ),
    };
    json!({ "recipients": recipients, field: value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inbox_event_sets_exactly_one_event_field() {
        let user = |id: &str| UserId::parse(id).unwrap();
        let event = Event::Presence {
            user: user("t1"),
            online: true,
        };
        let input = inbox_input(&[user("s1"), user("s2")], &event);
        assert_eq!(
            input,
            json!({"recipients": ["s1", "s2"], "presence": {"userId": "t1", "online": true}})
        );
    }

    /// An edit, a removal and a pause are inbox events of their own, never a new message.
    #[test]
    fn edits_removals_and_pauses_are_events_of_their_own() {
        use classchat_core::moderation::PauseReason;
        use classchat_core::{ConversationId, MessageBody, MessageId, Role, Timestamp};
        let user = |id: &str| UserId::parse(id).unwrap();
        let at = |text: &str| Timestamp::parse(text).unwrap();
        let conversation = ConversationId::parse_canonical("s1+t1").unwrap();
        let message = Message {
            conversation_id: conversation.clone(),
            timestamp: at("2026-01-01T09:00:00.000000Z"),
            author: user("s1"),
            body: MessageBody::parse("Now it reads well").unwrap(),
            message_id: MessageId::parse("01JTEST0000000000000000001").unwrap(),
            client_message_id: None,
            announcement_id: None,
            edited_at: Some(at("2026-01-01T09:01:00.000000Z")),
            removed_at: None,
        };
        let recipients = [user("s1"), user("t1")];
        let edited = inbox_input(&recipients, &Event::Edited(message.clone()));
        assert_eq!(edited["messageEdited"]["messageBody"], "Now it reads well");
        assert_eq!(
            edited["messageEdited"]["editedAt"],
            "2026-01-01T09:01:00.000000Z"
        );
        assert_eq!(edited["messageEdited"]["removedAt"], Value::Null);
        assert!(edited.get("message").is_none(), "{edited}");

        let tombstone = Message {
            removed_at: Some(at("2026-01-01T09:02:00.000000Z")),
            ..message
        }
        .redacted();
        let removed = inbox_input(&recipients, &Event::Removed(tombstone));
        assert_eq!(removed["messageRemoved"]["messageBody"], "");
        assert_eq!(
            removed["messageRemoved"]["removedAt"],
            "2026-01-01T09:02:00.000000Z"
        );

        let pause = Pause {
            by: user("t1"),
            by_role: Role::Teacher,
            at: at("2026-01-01T09:03:00.000000Z"),
            reason: Some(PauseReason::parse("A break").unwrap()),
        };
        let paused = Event::Paused {
            conversation_id: conversation.clone(),
            pause: Some(pause),
        };
        assert_eq!(
            inbox_input(&recipients, &paused),
            json!({"recipients": ["s1", "t1"], "pause": {
                "conversationId": "s1+t1",
                "pause": {"by": "t1", "byRole": "teacher", "at": "2026-01-01T09:03:00.000000Z", "reason": "A break"},
            }})
        );
        let resumed = Event::Paused {
            conversation_id: conversation,
            pause: None,
        };
        assert_eq!(
            inbox_input(&recipients, &resumed)["pause"],
            json!({"conversationId": "s1+t1", "pause": null})
        );
    }
}
