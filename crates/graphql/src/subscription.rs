//! The `Subscription` root: `messageAdded`, `messageEdited` and `messageRemoved` of one
//! conversation for its participants, and `inbox`, every event of the caller's
//! conversations. All read the live events the caller's connection receives from the live
//! registry ([`Feed`]): the service and the hub already decided who gets each event, so a
//! subscription only narrows the connection's events down, never widens them.

use crate::api::{Caller, caller};
use crate::error::OrGraphql;
use crate::types::{Message, Pause, ReadMarker};
use async_graphql::{Context, Result, SimpleObject, Subscription, Union};
use classchat_core::{ConversationId, Event};
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

/// A message that arrived (on `inbox`), or that its author edited or removed (on
/// `messageEdited` and `messageRemoved`).
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct MessageEvent {
    /// The message.
    pub(crate) message: Message,
}

/// Its author edited a message: the message as it now reads, with `editedAt`.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct MessageEditedEvent {
    /// The message.
    pub(crate) message: Message,
}

/// Its author removed a message: its tombstone, with `removedAt` and an empty
/// `messageBody`.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct MessageRemovedEvent {
    /// The tombstone.
    pub(crate) message: Message,
}

/// A teacher or an admin paused a conversation (its student or guardian cannot write
/// until it resumes), or resumed it.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct PauseEvent {
    /// The conversation.
    pub(crate) conversation_id: String,
    /// The pause now in force; null when the conversation resumed.
    pub(crate) pause: Option<Pause>,
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
    /// A message edited.
    MessageEdited(MessageEditedEvent),
    /// A message removed.
    MessageRemoved(MessageRemovedEvent),
    /// A conversation paused or resumed.
    Pause(PauseEvent),
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
            Event::Edited(message) => Self::MessageEdited(MessageEditedEvent {
                message: Message::from(message),
            }),
            Event::Removed(message) => Self::MessageRemoved(MessageRemovedEvent {
                message: Message::from(message),
            }),
            Event::Paused {
                conversation_id,
                pause,
            } => Self::Pause(PauseEvent {
                conversation_id: conversation_id.to_string(),
                pause: pause.as_ref().map(Pause::from),
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
        follow(ctx, &conversation_id, |event, conversation| match event {
            Event::Message(message) if message.conversation_id == *conversation => {
                Some(Message::from(message))
            }
            _ => None,
        })
        .await
    }

    /// Every edit of a message of one conversation: the message as it now reads, with
    /// `editedAt`. Who may follow it, and when it ends, as `messageAdded`.
    async fn message_edited(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
    ) -> Result<BoxStream<'static, Result<MessageEvent>>> {
        follow(ctx, &conversation_id, |event, conversation| match event {
            Event::Edited(message) if message.conversation_id == *conversation => {
                Some(MessageEvent {
                    message: Message::from(message),
                })
            }
            _ => None,
        })
        .await
    }

    /// Every removal of a message of one conversation: its tombstone, with `removedAt`
    /// and an empty `messageBody`. Who may follow it, and when it ends, as `messageAdded`.
    async fn message_removed(
        &self,
        ctx: &Context<'_>,
        conversation_id: String,
    ) -> Result<BoxStream<'static, Result<MessageEvent>>> {
        follow(ctx, &conversation_id, |event, conversation| match event {
            Event::Removed(message) if message.conversation_id == *conversation => {
                Some(MessageEvent {
                    message: Message::from(message),
                })
            }
            _ => None,
        })
        .await
    }

    /// Every event of the caller's conversations, as `/chat/ws` delivers them: messages,
    /// edits and removals, read markers, typing notices, the presence of linked peers,
    /// links made or removed, and pauses.
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

/// A subscription to one conversation: refused unless the caller may follow it
/// (`ChatService::follow`: participants only), then what `pick` makes of each of its
/// events, until its participants are unlinked (`not_linked`). The socket's own end (a
/// revoked session, an expired token) ends it too.
async fn follow<T: Send + 'static>(
    ctx: &Context<'_>,
    raw: &str,
    pick: fn(&Event, &ConversationId) -> Option<T>,
) -> Result<BoxStream<'static, Result<T>>> {
    let Caller { service, user } = caller(ctx)?;
    let feed = ctx.data::<Feed>()?.clone();
    let conversation = service.follow(user, raw).await.or_graphql()?;
    let steps = feed.events().map(move |event| match event {
        Err(()) => Step::Last(missed_events()),
        Ok(event) => match event.event() {
            Event::Link {
                conversation_id,
                linked: false,
            } if *conversation_id == conversation => Step::Last(unlinked()),
            other => pick(other, &conversation).map_or(Step::Skip, Step::Item),
        },
    });
    Ok(until_last(steps.boxed()).boxed())
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
