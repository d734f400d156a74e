//! What a client frame does, independent of the transport it came on: the axum socket of
//! this server or an API Gateway WebSocket route on Lambda. Both parse with
//! [`ClientFrame::parse`] and serialise with the same frame functions, so the protocol has
//! one implementation.

use super::frames::{ClientFrame, ServerFrame, ack_frame, chat_error_frame, event_frame};
use classchat_core::service::{EditRequest, SendRequest};
use classchat_core::{ChatService, ConnectionId, Event, User};
use classchat_live::{ReplayItem, ReplaySink};
use std::future::Future;

pub use classchat_live::REPLAY_BATCH;

/// Where the replies to a frame go, in order, a batch at a time. A `sync` replay hands
/// over one batch of at most [`REPLAY_BATCH`] frames and waits until it is delivered
/// before reading the next, so a replay of any length holds one batch.
pub trait FrameSink: Send {
    /// Delivers `frames` in order; false once the connection is gone (the replay stops).
    fn deliver(&mut self, frames: Vec<String>) -> impl Future<Output = bool> + Send;
}

/// Collects the replies, for actions answered with at most one frame. (A `sync` collected
/// this way would hold its whole replay: transports perform `sync` into a sink that
/// delivers, as Lambda does, or stream it themselves, as the socket server does.)
impl FrameSink for Vec<String> {
    async fn deliver(&mut self, frames: Vec<String>) -> bool {
        self.extend(frames);
        true
    }
}

/// Performs one parsed frame for `user` on connection `origin`, delivering the frames for
/// that connection into `sink`, in order. Events for other connections go through the
/// service's hub as usual.
///
/// `sync` streams the replay into the sink a batch at a time, then the peers already
/// online; a transport that also delivers live events into the same connection while
/// replaying (the socket server) handles the seam itself.
pub async fn perform(
    service: &ChatService,
    user: &User,
    origin: &ConnectionId,
    frame: ClientFrame,
    sink: &mut impl FrameSink,
) {
    let reply = match frame {
        ClientFrame::SendMessage {
            conversation_id,
            message_body,
            client_message_id,
            urgent,
        } => {
            let request = SendRequest {
                conversation_id: &conversation_id,
                author: user.id.as_str(),
                message_body: &message_body,
                client_message_id: client_message_id.as_deref(),
                origin: Some(origin),
                urgent,
            };
            Some(match service.send(user, request).await {
                Ok(sent) => ack_frame(&sent),
                Err(error) => chat_error_frame(&error, client_message_id.as_deref()),
            })
        }
        ClientFrame::Typing { conversation_id } => service
            .typing(user, &conversation_id, Some(origin))
            .await
            .err()
            .map(|error| chat_error_frame(&error, None)),
        ClientFrame::MarkRead {
            conversation_id,
            timestamp,
        } => service
            .mark_read(user, &conversation_id, &timestamp, Some(origin))
            .await
            .err()
            .map(|error| chat_error_frame(&error, None)),
        // The other connections of both participants get the event through the hub; the
        // one that asked gets the same frame as its answer.
        ClientFrame::EditMessage {
            conversation_id,
            timestamp,
            message_body,
        } => {
            let request = EditRequest {
                conversation_id: &conversation_id,
                timestamp: &timestamp,
                message_body: &message_body,
                origin: Some(origin),
            };
            Some(match service.edit_message(user, request).await {
                Ok(edited) => event_frame(&Event::Edited(edited)).to_text(),
                Err(error) => chat_error_frame(&error, None),
            })
        }
        ClientFrame::RemoveMessage {
            conversation_id,
            timestamp,
        } => Some(
            match service
                .remove_message(user, &conversation_id, &timestamp, Some(origin))
                .await
            {
                Ok(removed) => event_frame(&Event::Removed(removed)).to_text(),
                Err(error) => chat_error_frame(&error, None),
            },
        ),
        ClientFrame::Sync { since } => {
            replay(service, user, &since, sink).await;
            return;
        }
        ClientFrame::Ping => Some(ServerFrame::Pong.to_text()),
    };
    if let Some(reply) = reply {
        sink.deliver(vec![reply]).await;
    }
}

/// The shared replay ([`classchat_live::replay`]) as frames: each missed message as a
/// `message` frame, a batch at a time, then a `presence` frame per peer online.
async fn replay(service: &ChatService, user: &User, since: &str, sink: &mut impl FrameSink) {
    classchat_live::replay(service, user, since, &mut Frames(sink)).await;
}

/// A [`FrameSink`] taking replay items as `/chat/ws` frames.
struct Frames<'a, S>(&'a mut S);

impl<S: FrameSink> ReplaySink for Frames<'_, S> {
    async fn deliver(&mut self, item: ReplayItem) -> bool {
        let frames = match item {
            ReplayItem::Messages(batch) => batch
                .into_iter()
                .map(|message| event_frame(&Event::Message(message)).to_text())
                .collect(),
            ReplayItem::Online(peers) => peers
                .into_iter()
                .map(|user| event_frame(&Event::Presence { user, online: true }).to_text())
                .collect(),
            ReplayItem::Failed(error) => {
                self.0.deliver(vec![chat_error_frame(&error, None)]).await;
                return false;
            }
        };
        self.0.deliver(frames).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classchat_core::rate::Rate;
    use classchat_core::service::{Actor, NewUser};
    use classchat_core::{Limits, SystemClock};
    use classchat_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
    use serde_json::Value;
    use std::sync::Arc;

    /// Counts what a replay hands over, and how much of it at once.
    #[derive(Default)]
    struct Counting {
        batches: usize,
        largest: usize,
        message_ids: Vec<String>,
        others: Vec<Value>,
    }

    impl FrameSink for Counting {
        async fn deliver(&mut self, frames: Vec<String>) -> bool {
            self.batches += 1;
            self.largest = self.largest.max(frames.len());
            for frame in frames {
                let frame: Value = serde_json::from_str(&frame).unwrap();
                match frame["message"]["messageId"].as_str() {
                    Some(id) if frame["type"] == "message" => self.message_ids.push(id.into()),
                    _ => self.others.push(frame),
                }
            }
            true
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sync_over_ten_thousand_missed_messages_holds_one_batch_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteOptions {
            synchronous: Synchronous::Off,
        };
        let store = SqliteStore::open(dir.path().join("db"), options).unwrap();
        let limits = Limits {
            send: Rate::UNLIMITED,
            ..Limits::default()
        };
        let service = ChatService::new(Arc::new(store), Arc::new(SystemClock)).with_limits(limits);
        let mut users = Vec::new();
        for (id, role) in [("t1", "teacher"), ("s1", "student")] {
            let new = NewUser {
                user_id: id,
                display_name: id,
                role,
                password: "password-123",
            };
            users.push(service.create_user(Actor::Operator, new).await.unwrap());
        }
        service.add_link(Actor::Operator, "t1", "s1").await.unwrap();
        let student = &users[1];
        const MISSED: usize = 10_000;
        for _ in 0..MISSED / 500 {
            let sends = (0..500).map(|_| {
                let request = SendRequest {
                    conversation_id: "s1+t1",
                    author: "s1",
                    message_body: "a missed message",
                    client_message_id: None,
                    origin: None,
                    urgent: false,
                };
                let service = &service;
                async move { service.send(student, request).await.unwrap() }
            });
            futures::future::join_all(sends).await;
        }

        let teacher = &users[0];
        let origin = ConnectionId::new("teacher-phone");
        let mut sink = Counting::default();
        let sync = ClientFrame::Sync {
            since: "1970-01-01T00:00:00.000000Z".into(),
        };
        perform(&service, teacher, &origin, sync, &mut sink).await;

        assert_eq!(sink.message_ids.len(), MISSED, "every missed message, once");
        let mut sorted = sink.message_ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), MISSED);
        assert!(
            sink.largest <= REPLAY_BATCH,
            "{} frames handed over at once",
            sink.largest
        );
        assert!(sink.batches >= MISSED / REPLAY_BATCH, "{}", sink.batches);
        // The replay ends with who is online (nobody here), after the last message.
        assert!(sink.others.is_empty(), "{:?}", sink.others);
    }
}
