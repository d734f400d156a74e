//! classchat's AppSync publish calls, from the command line: the deployment's own
//! [`AppSyncPublisher`] (the same code the Lambda functions' hub runs), fed one event per
//! line of standard input. The offline AppSync test (`e2e/tests/appsync.test.js`) drives
//! it against the AppSync simulator; an operator can use it against a real API.
//!
//! ```text
//! appsync-publish <GraphQL URL> [region]
//! {"recipients": ["alice", "ms.rivera"], "event": {"message": {"messageId", "conversationId", "timestamp", "author", "messageBody", "clientMessageId"?}}}
//! {"recipients": [...], "event": {"read": {"conversationId", "userId", "timestamp"}}}
//! {"recipients": [...], "event": {"typing": {"conversationId", "userId"}}}
//! {"recipients": [...], "event": {"presence": {"userId", "online"}}}
//! {"recipients": [...], "event": {"link": {"conversationId", "linked"}}}
//! {"recipients": [...], "event": {"messageEdited": {…message, "editedAt"}}}
//! {"recipients": [...], "event": {"messageRemoved": {…message, "messageBody": "", "removedAt"}}}
//! {"recipients": [...], "event": {"pause": {"conversationId", "pause": {"by", "byRole", "at", "reason"?} | null}}}
//! {"revoke": {"userId", "reason"}}
//! ```
//!
//! Each line is answered on standard output with `{"ok": true}` once its calls are made, or
//! `{"error": "…"}` for a line that is not a valid command. A call AppSync refuses or that
//! fails is logged on standard error, as the functions log it (delivery is best effort),
//! and the line is still answered `ok`. Credentials are the environment's (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), or placeholders for a simulator.

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use classchat_core::moderation::{Pause, PauseReason};
use classchat_core::{
    ClientMessageId, ConversationId, Delivery, Event, Message, MessageBody, MessageId, Revocation,
    Role, Timestamp, UserId,
};
use classchat_lambda::appsync::AppSyncPublisher;
use serde_json::{Value, json};
use std::io::{BufRead, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: appsync-publish <GraphQL URL> [region]")?;
    let region = args.next().unwrap_or_else(|| "us-east-1".to_owned());
    let variable = |name: &str, default: &str| std::env::var(name).unwrap_or(default.to_owned());
    let credentials = Credentials::new(
        variable("AWS_ACCESS_KEY_ID", "placeholder"),
        variable("AWS_SECRET_ACCESS_KEY", "placeholder"),
        std::env::var("AWS_SESSION_TOKEN").ok(),
        None,
        "environment",
    );
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let publisher = runtime.block_on(async {
        AppSyncPublisher::with_credentials(
            &url,
            &region,
            SharedCredentialsProvider::new(credentials),
        )
    })?;
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match runtime.block_on(perform(&publisher, &line)) {
            Ok(()) => json!({"ok": true}),
            Err(error) => json!({"error": error}),
        };
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(())
}

/// Performs one line's calls.
async fn perform(publisher: &AppSyncPublisher, line: &str) -> Result<(), String> {
    let command: Value = serde_json::from_str(line).map_err(|error| error.to_string())?;
    if let Some(revoke) = command.get("revoke") {
        let user = user(&revoke["userId"])?;
        let why = Revocation::parse(text(&revoke["reason"])?)
            .ok_or_else(|| format!("unknown reason {}", revoke["reason"]))?;
        publisher.end_user_sessions(&user, why).await;
        return Ok(());
    }
    let recipients = command["recipients"]
        .as_array()
        .ok_or("recipients: a list of userIds")?
        .iter()
        .map(user)
        .collect::<Result<Vec<_>, _>>()?;
    let delivery = Delivery {
        recipients,
        skip: None,
    };
    publisher
        .publish(&delivery, &event(&command["event"])?)
        .await;
    Ok(())
}

/// The event a line describes, every id validated as the service validates a client's.
fn event(value: &Value) -> Result<Event, String> {
    let conversation =
        |value: &Value| ConversationId::parse_canonical(text(value)?).map_err(|e| e.to_string());
    let timestamp = |value: &Value| Timestamp::parse(text(value)?).map_err(|e| e.to_string());
    if let Some(message) = value.get("message") {
        return Ok(Event::Message(stored(message)?));
    }
    if let Some(message) = value.get("messageEdited") {
        return Ok(Event::Edited(stored(message)?));
    }
    if let Some(message) = value.get("messageRemoved") {
        return Ok(Event::Removed(stored(message)?.redacted()));
    }
    if let Some(paused) = value.get("pause") {
        let pause = match paused.get("pause") {
            None | Some(Value::Null) => None,
            Some(pause) => Some(Pause {
                by: user(&pause["by"])?,
                by_role: text(&pause["byRole"])?
                    .parse::<Role>()
                    .map_err(|_| format!("unknown role {}", pause["byRole"]))?,
                at: timestamp(&pause["at"])?,
                reason: optional(&pause["reason"])?
                    .map(|reason| PauseReason::parse(reason).map_err(|e| e.to_string()))
                    .transpose()?,
            }),
        };
        return Ok(Event::Paused {
            conversation_id: conversation(&paused["conversationId"])?,
            pause,
        });
    }
    if let Some(read) = value.get("read") {
        return Ok(Event::Read {
            conversation_id: conversation(&read["conversationId"])?,
            user: user(&read["userId"])?,
            timestamp: timestamp(&read["timestamp"])?,
        });
    }
    if let Some(typing) = value.get("typing") {
        return Ok(Event::Typing {
            conversation_id: conversation(&typing["conversationId"])?,
            user: user(&typing["userId"])?,
        });
    }
    if let Some(presence) = value.get("presence") {
        return Ok(Event::Presence {
            user: user(&presence["userId"])?,
            online: presence["online"].as_bool().ok_or("online: a boolean")?,
        });
    }
    if let Some(link) = value.get("link") {
        return Ok(Event::Link {
            conversation_id: conversation(&link["conversationId"])?,
            linked: link["linked"].as_bool().ok_or("linked: a boolean")?,
        });
    }
    Err(format!("not an event: {value}"))
}

/// A message as stored, from its JSON; a tombstone's empty body is allowed (the event
/// carries it redacted).
fn stored(message: &Value) -> Result<Message, String> {
    let timestamp = |value: &Value| Timestamp::parse(text(value)?).map_err(|e| e.to_string());
    let removed_at = optional(&message["removedAt"])?
        .map(|at| Timestamp::parse(at).map_err(|e| e.to_string()))
        .transpose()?;
    let body = match text(&message["messageBody"])? {
        // Redacted again by the caller: the text is never published.
        "" if removed_at.is_some() => MessageBody::parse("removed").map_err(|e| e.to_string())?,
        body => MessageBody::parse(body).map_err(|e| e.to_string())?,
    };
    Ok(Message {
        conversation_id: ConversationId::parse_canonical(text(&message["conversationId"])?)
            .map_err(|e| e.to_string())?,
        timestamp: timestamp(&message["timestamp"])?,
        author: user(&message["author"])?,
        body,
        message_id: MessageId::parse(text(&message["messageId"])?).map_err(|e| e.to_string())?,
        client_message_id: optional(&message["clientMessageId"])?
            .map(|id| ClientMessageId::parse(id).map_err(|e| e.to_string()))
            .transpose()?,
        announcement_id: optional(&message["announcementId"])?
            .map(|id| MessageId::parse(id).map_err(|e| e.to_string()))
            .transpose()?,
        edited_at: optional(&message["editedAt"])?
            .map(|at| Timestamp::parse(at).map_err(|e| e.to_string()))
            .transpose()?,
        removed_at,
    })
}

/// A string that may be absent or null.
fn optional(value: &Value) -> Result<Option<&str>, String> {
    match value {
        Value::Null => Ok(None),
        value => text(value).map(Some),
    }
}

fn text(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("not a string: {value}"))
}

fn user(value: &Value) -> Result<UserId, String> {
    UserId::parse(text(value)?).map_err(|error| error.to_string())
}
