//! What a client frame does, independent of the transport it came on: the axum socket of
//! this server or an API Gateway WebSocket route on Lambda. Both parse with
//! [`ClientFrame::parse`] and serialise with the same frame functions, so the protocol has
//! one implementation.

use super::frames::{ClientFrame, ServerFrame, ack_frame, chat_error_frame, event_frame};
use classchat_core::service::SendRequest;
use classchat_core::{ChatService, ConnectionId, Event, User};

/// Performs one parsed frame for `user` on connection `origin` and returns the frames to
/// send back to that connection, in order. Events for other connections go through the
/// service's hub as usual.
///
/// `sync` answers with the whole replay followed by the peers already online; a transport
/// that also delivers live events into the same connection while replaying (the socket
/// server) handles the seam itself.
pub async fn perform(
    service: &ChatService,
    user: &User,
    origin: &ConnectionId,
    frame: ClientFrame,
) -> Vec<String> {
    match frame {
        ClientFrame::SendMessage {
            conversation_id,
            message_body,
            client_message_id,
        } => {
            let request = SendRequest {
                conversation_id: &conversation_id,
                author: user.id.as_str(),
                message_body: &message_body,
                client_message_id: client_message_id.as_deref(),
                origin: Some(origin),
            };
            vec![match service.send(user, request).await {
                Ok(sent) => ack_frame(&sent.message),
                Err(error) => chat_error_frame(&error, client_message_id.as_deref()),
            }]
        }
        ClientFrame::Typing { conversation_id } => {
            match service.typing(user, &conversation_id, Some(origin)).await {
                Ok(_) => Vec::new(),
                Err(error) => vec![chat_error_frame(&error, None)],
            }
        }
        ClientFrame::MarkRead {
            conversation_id,
            timestamp,
        } => match service
            .mark_read(user, &conversation_id, &timestamp, Some(origin))
            .await
        {
            Ok(_) => Vec::new(),
            Err(error) => vec![chat_error_frame(&error, None)],
        },
        ClientFrame::Sync { since } => replay(service, user, &since).await,
        ClientFrame::Ping => vec![ServerFrame::Pong.to_text()],
    }
}

/// Messages taken from the store per step of a replay.
const REPLAY_BATCH: usize = 200;

/// Every missed message as a `message` frame, then a `presence` frame per peer online.
async fn replay(service: &ChatService, user: &User, since: &str) -> Vec<String> {
    let mut frames = Vec::new();
    let mut replay = match service.replay(user, since).await {
        Ok(replay) => replay,
        Err(error) => return vec![chat_error_frame(&error, None)],
    };
    loop {
        match replay.next_batch(REPLAY_BATCH).await {
            Ok(Some(batch)) => frames.extend(
                batch
                    .into_iter()
                    .map(|message| event_frame(&Event::Message(message)).to_text()),
            ),
            Ok(None) => break,
            Err(error) => {
                frames.push(chat_error_frame(&error, None));
                return frames;
            }
        }
    }
    frames.extend(online_peer_frames(service, user).await);
    frames
}

/// A `presence` frame for each linked peer online now: the end of every catch-up.
pub(crate) async fn online_peer_frames(service: &ChatService, user: &User) -> Vec<String> {
    match service.online_peers(user).await {
        Ok(peers) => peers
            .into_iter()
            .map(|peer| {
                event_frame(&Event::Presence {
                    user: peer,
                    online: true,
                })
                .to_text()
            })
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "cannot list online peers");
            Vec::new()
        }
    }
}
