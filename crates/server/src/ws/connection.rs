//! One WebSocket connection: a reader loop that handles client frames in order, and a
//! writer task that drains the bounded outbound queue, pings, and closes with the right
//! code. Everything the connection is told to do goes through `ChatService`.

use super::actions::REPLAY_BATCH;
use super::frames::{ClientFrame, chat_error_frame, event_frame, frame_error_frame};
use super::registry::{
    CLOSE_GOING_AWAY, CLOSE_POLICY_VIOLATION, CLOSE_TOO_BIG, CLOSE_TRY_AGAIN_LATER,
    ConnectionHandle, Held, Outbound, Registration,
};
use crate::auth::Session;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use classchat_core::rate::RateLimiter;
use classchat_core::{ChatError, Event, Timestamp, User};
use futures::stream::FuturesOrdered;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// Most `sendMessage` frames of one connection performed at once.
const MAX_SENDS_IN_FLIGHT: usize = 16;
/// Most queued frames written before one flush.
const MAX_BATCH_FRAMES: usize = 64;
/// Normal closure.
const CLOSE_NORMAL: u16 = 1000;
/// How far back a replayed message may still have a live event in flight.
const SEAM_WINDOW_MICROS: i64 = 60_000_000;
/// The close reason when a connection outlives its token.
const TOKEN_EXPIRED: &str = "session ended: the token expired; sign in again and reconnect";
/// How long a closing connection may take to accept its close frame. A peer that has
/// stopped reading would otherwise hold the socket (and its buffers) forever.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Serves one authenticated connection until either side closes it, or its token expires
/// or is revoked.
pub(crate) async fn serve(mut socket: WebSocket, state: AppState, session: Session) {
    let live = state.live.clone();
    let _open = live.socket_opened();
    let user = session.user;
    let registered = live.registry.register(
        &user.id,
        live.config.queue_capacity,
        live.config.connections_per_user,
    );
    // The count was checked before the upgrade; this is the rare race of two upgrades of
    // the same user at once.
    let Some(Registration {
        handle,
        outbound,
        first,
    }) = registered
    else {
        let close = CloseFrame {
            code: CLOSE_POLICY_VIOLATION,
            reason: Utf8Bytes::from_static("too many connections for this account"),
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, socket.send(Message::Close(Some(close)))).await;
        return;
    };
    handle.last_seen_ms.store(now_ms(), Ordering::Relaxed);
    tracing::debug!(user = %user.id, connection = %handle.id, "connected");
    if let Err(error) = state.service.connection_opened(&user, first).await {
        tracing::warn!(%error, "cannot announce presence");
    }

    let (sink, stream) = socket.split();
    let writer = tokio::spawn(write_frames(
        sink,
        outbound,
        Arc::clone(&handle),
        live.config.ping_interval,
    ));
    let expiry = tokio::time::Instant::now()
        + session
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default();
    read_frames(stream, &state, &user, &handle, expiry).await;
    handle.close(CLOSE_NORMAL);

    // A closing connection receives nothing more: leave the registry (and go offline) now,
    // not after the close frame is written, which a stalled peer can hold up.
    let last = live.registry.unregister(&user.id, &handle.id);
    if let Err(error) = state.service.connection_closed(&user, last).await {
        tracing::warn!(%error, "cannot announce presence");
    }
    let _ = writer.await;
    tracing::debug!(user = %user.id, connection = %handle.id, "disconnected");
}

/// The replies of one client frame, in order, once it has been performed.
type Replies<'a> = Pin<Box<dyn Future<Output = Vec<String>> + Send + 'a>>;

/// Reads and performs client frames. `sendMessage` frames are pipelined: up to
/// [`MAX_SENDS_IN_FLIGHT`] of one connection wait for their commit together (a busy
/// client's messages share a write batch instead of taking turns), yet are stored in the
/// order they arrived and acknowledged in that order. Any other frame waits until the
/// sends before it are done, so replies never overtake each other.
///
/// Each frame spends from the connection's budget ([`super::LiveConfig::frames`]) before
/// anything else happens: over it, the frame is answered `rate_limited` and dropped. At
/// `expiry` (the token's) the connection closes with 1008.
async fn read_frames(
    mut stream: SplitStream<WebSocket>,
    state: &AppState,
    user: &User,
    handle: &ConnectionHandle,
    expiry: tokio::time::Instant,
) {
    let mut sends: FuturesOrdered<Replies<'_>> = FuturesOrdered::new();
    let budget = RateLimiter::new(state.live.config.frames);
    let expired = tokio::time::sleep_until(expiry);
    tokio::pin!(expired);
    loop {
        let next = tokio::select! {
            biased;
            () = handle.closing().cancelled() => break,
            () = &mut expired => {
                handle.close_with_reason(CLOSE_POLICY_VIOLATION, TOKEN_EXPIRED);
                break;
            }
            Some(replies) = sends.next(), if !sends.is_empty() => {
                push_all(handle, replies);
                continue;
            }
            next = stream.next(), if sends.len() < MAX_SENDS_IN_FLIGHT => next,
        };
        let message = match next {
            None => break,
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                if is_too_big(&error) {
                    handle.close(CLOSE_TOO_BIG);
                } else {
                    tracing::debug!(%error, "WebSocket read failed");
                }
                break;
            }
        };
        handle.last_seen_ms.store(now_ms(), Ordering::Relaxed);
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                let frame = frame_error_frame(&super::frames::FrameError {
                    code: crate::codes::TransportCode::UnsupportedFrame,
                    message: "frames are JSON text; binary frames are not supported".into(),
                    client_message_id: None,
                });
                sends.push_back(done(vec![frame]));
                continue;
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) => break,
        };
        let parsed = ClientFrame::parse(text.as_str());
        if !budget.allow(&(), now_timestamp()) {
            let client_message_id = match &parsed {
                Ok(ClientFrame::SendMessage {
                    client_message_id, ..
                }) => client_message_id.as_deref(),
                _ => None,
            };
            let refusal = chat_error_frame(&ChatError::RateLimited, client_message_id);
            sends.push_back(done(vec![refusal]));
            continue;
        }
        match parsed {
            Err(error) => {
                sends.push_back(done(vec![frame_error_frame(&error)]));
            }
            Ok(frame @ ClientFrame::SendMessage { .. }) => {
                let mut send: Replies<'_> = Box::pin(async move {
                    let mut replies = Vec::new();
                    super::actions::perform(&state.service, user, &handle.id, frame, &mut replies)
                        .await;
                    replies
                });
                // The first poll runs the send up to its place in the store's write queue,
                // so sends are queued in arrival order, whatever order they complete in.
                match futures::poll!(send.as_mut()) {
                    Poll::Ready(replies) => sends.push_back(done(replies)),
                    Poll::Pending => sends.push_back(send),
                }
            }
            Ok(frame) => {
                while let Some(replies) = sends.next().await {
                    push_all(handle, replies);
                }
                handle_frame(state, user, handle, frame).await;
            }
        }
    }
    // The client is gone or the connection closing; sends already queued for storage still
    // complete and reach the other participant live; their acks go out if they still can.
    while let Some(replies) = sends.next().await {
        push_all(handle, replies);
    }
}

/// Replies already known, queued behind the sends before them.
fn done(replies: Vec<String>) -> Replies<'static> {
    Box::pin(std::future::ready(replies))
}

fn push_all(handle: &ConnectionHandle, replies: Vec<String>) {
    for reply in replies {
        handle.push(reply.into());
    }
}

/// Whether a read error is a frame or message over the size limit.
fn is_too_big(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(tungstenite::Error::Capacity(_)) = current.downcast_ref::<tungstenite::Error>()
        {
            return true;
        }
        source = current.source();
    }
    false
}

async fn handle_frame(
    state: &AppState,
    user: &User,
    handle: &ConnectionHandle,
    frame: ClientFrame,
) {
    // A socket that also receives live events while it replays needs the seam handling
    // below; every other action is the transport-independent one.
    if let ClientFrame::Sync { since } = frame {
        replay(state, user, handle, &since).await;
        return;
    }
    let mut replies = Vec::new();
    super::actions::perform(&state.service, user, &handle.id, frame, &mut replies).await;
    push_all(handle, replies);
}

/// Sends every message after `since` that this connection has not had live, then the live
/// messages that arrived meanwhile, then the presence of linked peers already online, then
/// lets live delivery continue. The replay is streamed a batch at a time and waits for the
/// client to read (leaving queue room for live events); live messages are held back until
/// it ends, so each conversation's messages arrive in order, once.
async fn replay(state: &AppState, user: &User, handle: &ConnectionHandle, since: &str) {
    handle.begin_replay();
    let room = handle.replay_headroom();
    match stream_replay(state, user, handle, since, room).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            handle.push(chat_error_frame(&error, None).into());
        }
    }
    loop {
        match handle.next_held() {
            Held::Frame(text) => {
                if !handle.push_leaving_room(text, room).await {
                    return;
                }
            }
            Held::Done => break,
            Held::Overflowed => {
                tracing::warn!(connection = %handle.id, "too many live messages during a replay; closing");
                handle.close(CLOSE_TRY_AGAIN_LATER);
                return;
            }
        }
    }
    // Catching up includes who is online already; later changes arrive as they happen.
    for frame in super::actions::online_peer_frames(&state.service, user).await {
        handle.push(frame.into());
    }
}

/// Queues the replayed messages; `Ok(false)` if the connection went away meanwhile.
async fn stream_replay(
    state: &AppState,
    user: &User,
    handle: &ConnectionHandle,
    since: &str,
    room: usize,
) -> Result<bool, ChatError> {
    let mut replay = state.service.replay(user, since).await?;
    let recent_after = Timestamp::from_micros(now_ms() as i64 * 1_000 - SEAM_WINDOW_MICROS)
        .unwrap_or(Timestamp::MIN);
    while let Some(batch) = replay.next_batch(REPLAY_BATCH).await? {
        for message in batch {
            if handle.replay_skips(message.message_id, message.timestamp, recent_after) {
                continue;
            }
            let text = event_frame(&Event::Message(message)).to_text();
            if !handle.push_leaving_room(text.into(), room).await {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

async fn write_frames(
    mut sink: SplitSink<WebSocket, Message>,
    mut outbound: mpsc::Receiver<Outbound>,
    handle: Arc<ConnectionHandle>,
    ping_interval: Duration,
) {
    let mut pings =
        tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stall_limit = ping_interval * 2;
    let dead_after_ms = u64::try_from(stall_limit.as_millis()).unwrap_or(u64::MAX);
    loop {
        let message = tokio::select! {
            biased;
            () = handle.closing().cancelled() => break,
            frame = outbound.recv() => {
                let Some(frame) = frame else { break };
                Message::Text(frame.text)
            }
            _ = pings.tick() => {
                let silent_ms = now_ms().saturating_sub(handle.last_seen_ms.load(Ordering::Relaxed));
                if silent_ms > dead_after_ms {
                    tracing::debug!(connection = %handle.id, "no answer to pings; closing");
                    handle.close(CLOSE_GOING_AWAY);
                    break;
                }
                Message::Ping(Default::default())
            }
        };
        // A peer that stopped reading blocks this write once the socket buffers are full;
        // being asked to close (e.g. because the queue overflowed meanwhile) must still
        // win, and a write stuck as long as a dead peer's silence means the peer is gone
        // (no ping can reach it either). An interrupted frame stays whole in the
        // WebSocket's write buffer.
        let sent = tokio::select! {
            biased;
            () = handle.closing().cancelled() => break,
            sent = send_batch(&mut sink, message, &mut outbound) => sent,
            () = tokio::time::sleep(stall_limit) => {
                tracing::debug!(connection = %handle.id, "the peer stopped reading; dropping the socket");
                handle.close(CLOSE_GOING_AWAY);
                return;
            }
        };
        if sent.is_err() {
            handle.close(CLOSE_GOING_AWAY);
            return;
        }
    }
    let code = handle.close_code().unwrap_or(CLOSE_NORMAL);
    let reason = handle.close_reason().unwrap_or(match code {
        CLOSE_GOING_AWAY => "server going away",
        CLOSE_TOO_BIG => "frame too large (limit 32 KiB)",
        CLOSE_TRY_AGAIN_LATER => "client too slow; reconnect and sync",
        super::registry::CLOSE_SERVICE_RESTART => "events may have been missed; reconnect and sync",
        _ => "",
    });
    let close = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let closed = tokio::time::timeout(CLOSE_GRACE, async {
        let _ = sink.send(Message::Close(Some(close))).await;
        let _ = sink.close().await;
    })
    .await;
    if closed.is_err() {
        tracing::debug!(connection = %handle.id, "the peer did not take the close frame; dropping the socket");
    }
}

/// Writes `first` and whatever else is already queued (up to [`MAX_BATCH_FRAMES`]), then
/// flushes once: under load a connection's frames leave in one write.
async fn send_batch(
    sink: &mut SplitSink<WebSocket, Message>,
    first: Message,
    outbound: &mut mpsc::Receiver<Outbound>,
) -> Result<(), axum::Error> {
    sink.feed(first).await?;
    for _ in 1..MAX_BATCH_FRAMES {
        match outbound.try_recv() {
            Ok(frame) => sink.feed(Message::Text(frame.text)).await?,
            Err(_) => break,
        }
    }
    sink.flush().await
}

/// Now, on the clock the frame budget counts with.
fn now_timestamp() -> Timestamp {
    Timestamp::from_micros(
        i64::try_from(now_ms())
            .unwrap_or(i64::MAX)
            .saturating_mul(1_000),
    )
    .unwrap_or(Timestamp::MIN)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
