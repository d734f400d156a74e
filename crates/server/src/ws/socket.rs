//! One `/chat/ws` socket: registered in the live registry, a reader that performs client
//! frames in order (this file), and a writer task that drains the connection's queue
//! (`writer`). Everything a frame asks for goes through `ChatService`.

use super::frames::{ClientFrame, FrameError, chat_error_frame, frame_error_frame};
use super::writer::Writer;
use crate::auth::Session;
use crate::codes::TransportCode;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use classchat_core::rate::RateLimiter;
use classchat_core::{ChatError, ChatService, User};
use classchat_live::{CloseReason, Connection, Live, Outbound, Registration};
use futures::StreamExt;
use futures::stream::{FuturesOrdered, SplitStream};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, UNIX_EPOCH};
use tokio_util::task::task_tracker::TaskTrackerToken;

/// Most `sendMessage` frames of one connection performed at once.
const MAX_SENDS_IN_FLIGHT: usize = 16;
/// How long a refused socket may take to accept its close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// The replies of one client frame, in order, once it has been performed.
type Replies<'a> = Pin<Box<dyn Future<Output = Vec<String>> + Send + 'a>>;

/// One authenticated connection's reading side: who it is, what it may still do, and
/// until when.
struct Socket {
    /// The use-cases.
    service: Arc<ChatService>,
    /// The live side: its clock and limits.
    live: Live,
    /// The signed-in user, as stored when the connection opened.
    user: User,
    /// This connection in the registry: its queue, close reason and replay seam.
    connection: Arc<Connection>,
    /// The frames it may still send: [`classchat_live::LiveConfig::frames`]. Each frame
    /// spends from it before anything else happens.
    budget: RateLimiter<()>,
    /// When its token expires: the connection closes then.
    expiry: tokio::time::Instant,
}

/// Registers one authenticated connection and starts its writer and reader tasks, which
/// serve it until either side closes it, or its token expires or is revoked.
pub(crate) async fn serve(mut socket: WebSocket, state: AppState, session: Session) {
    let live = state.live.clone();
    let open = live.connection_opened();
    let user = session.user;
    let config = *live.config();
    let registered = live.registry().register(
        &user.id,
        config.queue_capacity,
        config.connections_per_user,
        live.now(),
    );
    // The count was checked before the upgrade; this is the rare race of two upgrades of
    // the same user at once.
    let Some(Registration {
        connection,
        outbound,
        first,
    }) = registered
    else {
        let reason = CloseReason::TooManyConnections;
        let close = CloseFrame {
            code: super::close::close_code(reason),
            reason: Utf8Bytes::from(reason.describe().into_owned()),
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, socket.send(Message::Close(Some(close)))).await;
        return;
    };
    connection.set_token_version(session.token_version);
    tracing::debug!(user = %user.id, connection = %connection.id(), "connected");
    if let Err(error) = state.service.connection_opened(&user, first).await {
        tracing::warn!(%error, "cannot announce presence");
    }

    let (sink, stream) = socket.split();
    let writer = tokio::spawn(Writer::new(sink, outbound, Arc::clone(&connection), &live).run());
    let now_micros = live.now().as_micros();
    let expires_micros = session
        .expires_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
        });
    let remaining = u64::try_from(expires_micros.saturating_sub(now_micros)).unwrap_or(0);
    let expiry = tokio::time::Instant::now() + Duration::from_micros(remaining);
    // The reading goes on in a task of its own and this one (axum's upgrade task, which
    // holds the socket as it came and the upgrade's own state) ends: an idle socket then
    // costs only what `read_until_closed` holds (`idle` bench, heap profile).
    let reader = Socket {
        service: state.service,
        live,
        user,
        connection,
        budget: RateLimiter::new(config.frames),
        expiry,
    };
    tokio::spawn(read_until_closed(reader, stream, writer, open));
}

/// Reads and performs the client's frames until the connection ends, then leaves the
/// registry and waits for the writer to send the close frame.
async fn read_until_closed(
    reader: Socket,
    stream: SplitStream<WebSocket>,
    writer: tokio::task::JoinHandle<()>,
    _open: TaskTrackerToken,
) {
    reader.read(stream).await;
    let Socket {
        service,
        live,
        user,
        connection,
        ..
    } = reader;
    connection.close(CloseReason::Normal);

    // A closing connection receives nothing more: leave the registry (and go offline) now,
    // not after the close frame is written, which a stalled peer can hold up.
    let last = live.registry().unregister(&user.id, connection.id());
    // Boxed here and in `read`: a task is as large as the largest state of its future, and
    // these (a presence announcement, a `sync`'s replay) are rare states an idle socket
    // would otherwise pay for all its life.
    if let Err(error) = Box::pin(service.connection_closed(&user, last)).await {
        tracing::warn!(%error, "cannot announce presence");
    }
    let _ = writer.await;
    tracing::debug!(user = %user.id, connection = %connection.id(), "disconnected");
}

impl Socket {
    /// Reads and performs client frames. `sendMessage` frames are pipelined: up to
    /// [`MAX_SENDS_IN_FLIGHT`] of one connection wait for their commit together (a busy
    /// client's messages share a write batch instead of taking turns), yet are stored in
    /// the order they arrived and acknowledged in that order. Any other frame waits until
    /// the sends before it are done, so replies never overtake each other.
    async fn read(&self, mut stream: SplitStream<WebSocket>) {
        let mut sends = InFlight::default();
        let expired = tokio::time::sleep_until(self.expiry);
        tokio::pin!(expired);
        loop {
            let next = tokio::select! {
                biased;
                () = self.connection.closing().cancelled() => break,
                () = &mut expired => {
                    self.connection.close(CloseReason::TokenExpired);
                    break;
                }
                Some(replies) = sends.next(), if !sends.is_empty() => {
                    self.push_all(replies);
                    continue;
                }
                next = stream.next(), if sends.len() < MAX_SENDS_IN_FLIGHT => next,
            };
            let text = match next {
                None | Some(Ok(Message::Close(_))) => break,
                Some(Ok(message)) => {
                    self.connection.touch(self.live.now());
                    match message {
                        Message::Text(text) => text,
                        Message::Binary(_) => {
                            sends.push(done(vec![binary_refusal()]));
                            continue;
                        }
                        _ => continue,
                    }
                }
                Some(Err(error)) => {
                    if is_too_big(&error) {
                        self.connection.close(CloseReason::TooBig);
                    } else {
                        tracing::debug!(%error, "WebSocket read failed");
                    }
                    break;
                }
            };
            match self.admit(text.as_str()) {
                Err(refusal) => sends.push(done(vec![refusal])),
                Ok(frame @ ClientFrame::SendMessage { .. }) => {
                    let mut send = self.perform(frame);
                    // The first poll runs the send up to its place in the store's write
                    // queue, so sends are queued in arrival order, whatever order they
                    // complete in.
                    match futures::poll!(send.as_mut()) {
                        Poll::Ready(replies) => sends.push(done(replies)),
                        Poll::Pending => sends.push(send),
                    }
                }
                Ok(frame) => {
                    while let Some(replies) = sends.next().await {
                        self.push_all(replies);
                    }
                    Box::pin(self.handle(frame)).await;
                }
            }
        }
        // The client is gone or the connection closing; sends already queued for storage
        // still complete and reach the other participant live; their acks go out if they
        // still can.
        while let Some(replies) = sends.next().await {
            self.push_all(replies);
        }
    }

    /// Parses a text frame and spends from the budget: the frame to perform, or the
    /// `error` frame that answers it.
    fn admit(&self, text: &str) -> Result<ClientFrame, String> {
        let parsed = ClientFrame::parse(text);
        if !self.budget.allow(&(), self.live.now()) {
            let client_message_id = match &parsed {
                Ok(ClientFrame::SendMessage {
                    client_message_id, ..
                }) => client_message_id.as_deref(),
                _ => None,
            };
            return Err(chat_error_frame(&ChatError::RateLimited, client_message_id));
        }
        parsed.map_err(|error| frame_error_frame(&error))
    }

    /// Performs a frame the transport-independent way, collecting its replies.
    fn perform(&self, frame: ClientFrame) -> Replies<'_> {
        Box::pin(async move {
            let mut replies = Vec::new();
            super::actions::perform(
                &self.service,
                &self.user,
                self.connection.id(),
                frame,
                &mut replies,
            )
            .await;
            replies
        })
    }

    /// Performs any frame but `sendMessage`. A `sync` on a socket that also receives live
    /// events meanwhile goes through the connection's replay seam.
    async fn handle(&self, frame: ClientFrame) {
        if let ClientFrame::Sync { since } = frame {
            let now = self.live.now();
            classchat_live::seam::catch_up(
                &self.service,
                &self.user,
                &self.connection,
                &since,
                now,
            )
            .await;
            return;
        }
        let replies = self.perform(frame).await;
        self.push_all(replies);
    }

    fn push_all(&self, replies: Vec<String>) {
        for reply in replies {
            self.connection.push(Outbound::Text(reply));
        }
    }
}

/// A connection's frames being performed, replied to in arrival order. The queue is made
/// on the first frame: most sockets are idle, and it takes a few hundred bytes.
#[derive(Default)]
struct InFlight<'a>(Option<FuturesOrdered<Replies<'a>>>);

impl<'a> InFlight<'a> {
    fn push(&mut self, replies: Replies<'a>) {
        self.0
            .get_or_insert_with(FuturesOrdered::new)
            .push_back(replies);
    }

    fn len(&self) -> usize {
        self.0.as_ref().map_or(0, FuturesOrdered::len)
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The replies of the oldest frame, once performed; `None` when none is in flight.
    async fn next(&mut self) -> Option<Vec<String>> {
        match self.0.as_mut() {
            Some(sends) => sends.next().await,
            None => None,
        }
    }
}

/// Replies already known, queued behind the sends before them.
fn done(replies: Vec<String>) -> Replies<'static> {
    Box::pin(std::future::ready(replies))
}

/// The answer to a binary frame.
fn binary_refusal() -> String {
    frame_error_frame(&FrameError {
        code: TransportCode::UnsupportedFrame,
        message: "frames are JSON text; binary frames are not supported".into(),
        client_message_id: None,
    })
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
