//! The `Subscription` root: `messageAdded(conversationId)` for its participants, and
//! `inbox`, every event of the caller's conversations. Both read the live events the
//! caller's connection receives from the live registry ([`Feed`]): the service and the hub
//! already decided who gets each event, so a subscription only narrows the connection's
//! events down, never widens them.

use crate::api::{Caller, caller};
use crate::error::OrGraphql;
use crate::types::{Message, ReadMarker};
use async_graphql::{Context, Result, SimpleObject, Subscription, Union};
use classchat_core::Event;
use classchat_live::LiveEvent;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use std::sync::Arc;
use tokio::sync::broadcast;

/// The live events of one GraphQL connection, for each of its subscriptions.
#[derive(Clone)]
pub(crate) struct Feed {
    events: broadcast::Sender<Arc<LiveEvent>>,
}

impl Feed {
    /// A feed holding up to `capacity` events not yet read by the slowest subscription.
    pub(crate) fn new(capacity: usize) -> Self {
        let (events, _) = broadcast::channel(capacity.max(1));
        Self { events }
    }

    /// Hands `event` to every subscription of the connection.
    pub(crate) fn publish(&self, event: Arc<LiveEvent>) {
        // No subscription running: nobody to tell.
        let _ = self.events.send(event);
    }

    /// The events from now on. A subscription that falls more than the feed's capacity
    /// behind ends with an error (`missed_events`): its client resubscribes and catches
    /// up with a query, as a `/chat/ws` client reconnects and syncs.
    fn events(&self) -> impl Stream<Item = Result<Arc<LiveEvent>, ()>> + Send + 'static {
        let receiver = self.events.subscribe();
        futures::stream::unfold(Some(receiver), |state| async move {
            let mut receiver = state?;
            match receiver.recv().await {
                Ok(event) => Some((Ok(event), Some(receiver))),
                // The error, then nothing more.
                Err(broadcast::error::RecvError::Lagged(_)) => Some((Err(()), None)),
                Err(broadcast::error::RecvError::Closed) => None,
            }
        })
    }
}

/// The root of subscriptions.
pub(crate) struct Subscription;

/// A message that arrived.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct MessageEvent {
    /// The message.
    pub(crate) message: Message,
}

/// The other participant is typing.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct TypingEvent {
    /// The conversation.
    pub(crate) conversation_id: String,
    /// Who.
    pub(crate) user_id: String,
}

/// A linked peer came online or went offline.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct PresenceEvent {
    /// Who.
    pub(crate) user_id: String,
    /// Online or not.
    pub(crate) online: bool,
}

/// The caller and a peer were linked (their conversation opened for sending) or unlinked
/// (it became read-only).
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct LinkEvent {
    /// The conversation of the pair.
    pub(crate) conversation_id: String,
    /// Linked now, or not any more.
    pub(crate) linked: bool,
}

/// An event of the caller's conversations.
#[derive(Union, Clone, Debug)]
pub(crate) enum InboxEvent {
    /// A message.
    Message(MessageEvent),
    /// A participant's read marker moved.
    Read(ReadMarker),
    /// A typing notice.
    Typing(TypingEvent),
    /// A peer's presence.
    Presence(PresenceEvent),
    /// A link added or removed.
    Link(LinkEvent),
}

impl From<&Event> for InboxEvent {
    fn from(event: &Event) -> Self {
        match event {
            Event::Message(message) => Self::Message(MessageEvent {
                message: Message::from(message),
            }),
            Event::Read {
                conversation_id,
                user,
                timestamp,
            } => Self::Read(ReadMarker {
                conversation_id: conversation_id.to_string(),
                user_id: user.to_string(),
                timestamp: timestamp.to_string(),
            }),
            Event::Typing {
                conversation_id,
                user,
            } => Self::Typing(TypingEvent {
                conversation_id: conversation_id.to_string(),
                user_id: user.to_string(),
            }),
            Event::Presence { user, online } => Self::Presence(PresenceEvent {
                user_id: user.to_string(),
                online: *online,
            }),
            Event::Link {
                conversation_id,
                linked,
            } => Self::Link(LinkEvent {
                conversation_id: conversation_id.to_string(),
                linked: *linked,
            }),
            // Placeholder until the GraphQL safeguarding events exist.
            Event::Edited(message) | Event::Removed(message) => Self::Message(MessageEvent {
                message: Message::from(message),
            }),
            Event::Paused {
                conversation_id, ..
            } => Self::Link(LinkEvent {
                conversation_id: conversation_id.to_string(),
                linked: true,
            }),
        }
    }
}

#[Subscription]
impl Subscription {
    /// Every new message of one conversation (`student+teacher` or `guardian+teacher`,
    /// either order), for its participants only; others (an overseeing guardian too) are
    /// refused with `forbidden`. When an admin unlinks the participants (or the last child
    /// connecting a guardian and a teacher) it ends with `not_linked`: the conversation is
    /// read-only from then on.
    async fn message_added(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
    ) -> Result<BoxStream<'static, Result<Message>>> {
        let Caller { service, user } = caller(ctx)?;
        let feed = ctx.data::<Feed>()?.clone();
        let conversation = service.follow(user, &conversation_id).await.or_graphql()?;
        let steps = feed.events().map(move |event| match event {
            Err(()) => Step::Last(missed_events()),
            Ok(event) => match event.event() {
                Event::Message(message) if message.conversation_id == conversation => {
                    Step::Item(Message::from(message))
                }
                Event::Link {
                    conversation_id,
                    linked: false,
                } if *conversation_id == conversation => Step::Last(unlinked()),
                _ => Step::Skip,
            },
        });
        Ok(until_last(steps.boxed()).boxed())
    }

    /// Every event of the caller's conversations, as `/chat/ws` delivers them: messages,
    /// read markers, typing notices and the presence of linked peers.
    async fn inbox(&self, ctx: &Context<'_>) -> Result<BoxStream<'static, Result<InboxEvent>>> {
        caller(ctx)?;
        let feed = ctx.data::<Feed>()?.clone();
        Ok(feed
            .events()
            .map(|event| match event {
                Err(()) => Err(missed_events()),
                Ok(event) => Ok(InboxEvent::from(event.event())),
            })
            .boxed())
    }
}

/// What one live event means to a subscription.
enum Step<T> {
    /// Nothing: not its business.
    Skip,
    /// A result to send.
    Item(T),
    /// The error it ends with.
    Last(async_graphql::Error),
}

/// The items of `steps` until its last: an error, after which the stream ends at once
/// (without waiting for another event).
fn until_last<T: Send + 'static>(
    steps: BoxStream<'static, Step<T>>,
) -> impl Stream<Item = Result<T>> + Send + 'static {
    futures::stream::unfold(Some(steps), |state| async move {
        let mut steps = state?;
        loop {
            match steps.next().await? {
                Step::Skip => {}
                Step::Item(item) => return Some((Ok(item), Some(steps))),
                Step::Last(error) => return Some((Err(error), None)),
            }
        }
    })
}

/// The error that ends a subscription to a conversation whose participants were unlinked.
fn unlinked() -> async_graphql::Error {
    crate::error::coded(
        "the participants were unlinked: the conversation is read-only and nothing new will arrive",
        "not_linked",
    )
}

/// The error that ends a subscription which fell too far behind.
fn missed_events() -> async_graphql::Error {
    crate::error::coded(
        "events were missed: the subscription fell too far behind; subscribe again and query what is new",
        "missed_events",
    )
}
