//! The `Mutation` root: sending a message and moving a read marker, through the same
//! `ChatService` calls (and the same send rate, shared with REST and `/chat/ws`), merged
//! with the safeguarding mutations of [`crate::moderation`].

use crate::api::{Caller, caller};
use crate::error::OrGraphql;
use crate::moderation::ModerationMutation;
use crate::types::{Message, ReadMarker};
use async_graphql::{Context, InputObject, MergedObject, Object, Result};
use classchat_core::service::SendRequest;

/// The root of mutations: a conversation's own, then the safeguarding ones.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub(crate) struct Mutation(MessageMutation, ModerationMutation);

/// The mutations of a conversation's messages and read markers.
#[derive(Default)]
pub(crate) struct MessageMutation;

/// A message to send.
#[derive(InputObject, Debug)]
pub(crate) struct SendMessageInput {
    /// The conversation, `student+teacher` or `guardian+teacher`, in either order.
    conversation_id: String,
    /// The text: 1–4,000 characters once trimmed.
    message_body: String,
    /// The client's id for it (1–64 of `A-Za-z0-9_-`): a retry with the same id returns
    /// the message stored the first time instead of storing it twice.
    client_message_id: Option<String>,
}

#[Object]
impl MessageMutation {
    /// Stores a message (the caller is its author) and returns it once it is durable. The
    /// other participant's connections get it live.
    async fn send_message(&self, ctx: &Context<'_>, input: SendMessageInput) -> Result<Message> {
        let Caller { service, user } = caller(ctx)?;
        let request = SendRequest {
            conversation_id: &input.conversation_id,
            author: user.id.as_str(),
            message_body: &input.message_body,
            client_message_id: input.client_message_id.as_deref(),
            origin: None,
            urgent: false,
        };
        let sent = service.send(user, request).await.or_graphql()?;
        Ok(Message::from(&sent.message))
    }

    /// Moves the caller's read marker in a conversation forward to `timestamp` (never
    /// back). The marker as it now stands, or null if it was already further.
    async fn mark_read(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
        timestamp: String,
    ) -> Result<Option<ReadMarker>> {
        let Caller { service, user } = caller(ctx)?;
        let marker = service
            .mark_read(user, &conversation_id, &timestamp, None)
            .await
            .or_graphql()?;
        Ok(marker.map(|marker| ReadMarker {
            conversation_id: marker.conversation_id.to_string(),
            user_id: marker.user.to_string(),
            timestamp: marker.timestamp.to_string(),
        }))
    }
}
