//! The writing side of one `/chat/ws` socket: drains the connection's bounded queue in
//! batches (one flush per batch), encodes events in the `/chat/ws` format (once per event,
//! shared with the other recipients), pings, notices a dead peer, and closes with the code
//! of the connection's [`CloseReason`].

use super::close::close_code;
use super::frames::{ChatWs, chat_error_frame};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use classchat_live::{CloseReason, Connection, Live, Outbound, OutboundReceiver};
use futures::SinkExt;
use futures::stream::SplitSink;
use std::sync::Arc;
use std::time::Duration;

/// Most queued frames written before one flush.
const MAX_BATCH_FRAMES: usize = 64;
/// How long a closing connection may take to accept its close frame. A peer that has
/// stopped reading would otherwise hold the socket (and its buffers) forever.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// One socket's writer task.
pub(crate) struct Writer {
    /// The socket's sending half.
    sink: SplitSink<WebSocket, Message>,
    /// What the connection has queued.
    outbound: OutboundReceiver,
    /// The connection: its close reason, and its peer's last sign of life.
    connection: Arc<Connection>,
    /// The live side: its clock and ping interval.
    live: Live,
}

impl Writer {
    /// A writer draining `outbound` into `sink`.
    pub(crate) fn new(
        sink: SplitSink<WebSocket, Message>,
        outbound: OutboundReceiver,
        connection: Arc<Connection>,
        live: &Live,
    ) -> Self {
        Self {
            sink,
            outbound,
            connection,
            live: live.clone(),
        }
    }

    /// Writes until the connection is asked to close or the peer goes away, then sends the
    /// close frame.
    pub(crate) async fn run(mut self) {
        let ping_interval = self.live.config().ping_interval;
        let mut pings =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
        pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stall_limit = ping_interval * 2;
        let dead_after = i64::try_from(stall_limit.as_micros()).unwrap_or(i64::MAX);
        loop {
            let message = tokio::select! {
                biased;
                () = self.connection.closing().cancelled() => break,
                item = self.outbound.recv() => {
                    let Some(item) = item else { break };
                    text(item)
                }
                _ = pings.tick() => {
                    if self.connection.silent_micros(self.live.now()) > dead_after {
                        tracing::debug!(connection = %self.connection.id(), "no answer to pings; closing");
                        self.connection.close(CloseReason::PeerGone);
                        break;
                    }
                    Message::Ping(Default::default())
                }
            };
            // A peer that stopped reading blocks this write once the socket buffers are
            // full; being asked to close (e.g. because the queue overflowed meanwhile) must
            // still win, and a write stuck as long as a dead peer's silence means the peer
            // is gone (no ping can reach it either). An interrupted frame stays whole in
            // the WebSocket's write buffer.
            let closing = self.connection.closing().clone();
            let sent = tokio::select! {
                biased;
                () = closing.cancelled() => break,
                sent = self.send_batch(message) => sent,
                () = tokio::time::sleep(stall_limit) => {
                    tracing::debug!(connection = %self.connection.id(), "the peer stopped reading; dropping the socket");
                    self.connection.close(CloseReason::PeerGone);
                    return;
                }
            };
            if sent.is_err() {
                self.connection.close(CloseReason::PeerGone);
                return;
            }
        }
        // Boxed: an idle socket's task would otherwise carry this rare state's size.
        Box::pin(self.close()).await;
    }

    /// Writes `first` and whatever else is already queued (up to [`MAX_BATCH_FRAMES`]),
    /// then flushes once: under load a connection's frames leave in one write.
    async fn send_batch(&mut self, first: Message) -> Result<(), axum::Error> {
        self.sink.feed(first).await?;
        for _ in 1..MAX_BATCH_FRAMES {
            match self.outbound.try_recv() {
                Some(item) => self.sink.feed(text(item)).await?,
                None => break,
            }
        }
        self.sink.flush().await
    }

    /// Sends the close frame of the connection's reason, giving the peer [`CLOSE_GRACE`]
    /// to take it.
    async fn close(mut self) {
        let reason = self
            .connection
            .close_reason()
            .unwrap_or(CloseReason::Normal);
        let close = CloseFrame {
            code: close_code(reason),
            reason: Utf8Bytes::from(reason.describe().into_owned()),
        };
        let closed = tokio::time::timeout(CLOSE_GRACE, async {
            let _ = self.sink.send(Message::Close(Some(close))).await;
            let _ = self.sink.close().await;
        })
        .await;
        if closed.is_err() {
            tracing::debug!(connection = %self.connection.id(), "the peer did not take the close frame; dropping the socket");
        }
    }
}

/// The text frame of a queued item.
fn text(item: Outbound) -> Message {
    Message::Text(match item {
        Outbound::Event(event) => event.encoded::<ChatWs>(),
        Outbound::Refusal(error) => chat_error_frame(&error, None).into(),
        Outbound::Text(text) => text.into(),
    })
}
