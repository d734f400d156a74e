//! One `graphql-transport-ws` connection, from `connection_init` to its close. The socket
//! itself belongs to the server: it hands the session the client's text frames
//! ([`Incoming`]) and writes what the session sends ([`Outgoing`]).
//!
//! The session authenticates `connection_init` (its payload's `token`, or the token of the
//! upgrade request's `Authorization` header) through the server's [`Authenticate`], then
//! registers in the live registry beside `/chat/ws` sockets: the same per-user cap, the
//! same presence, the same revocation. Each `subscribe` runs on the schema with the
//! connection's [`Feed`] of live events; a disabled account, a new token version or the
//! token's expiry closes the socket with 4403 and the reason.

use super::protocol::{
    BadMessage, CLOSE_BAD_REQUEST, CLOSE_FORBIDDEN, CLOSE_INIT_TIMEOUT, CLOSE_SUBSCRIBER_EXISTS,
    CLOSE_TOO_MANY_INITS, CLOSE_UNAUTHORIZED, ClientMessage, ServerMessage, SubscribePayload,
};
use crate::api::Api;
use crate::subscription::Feed;
use async_trait::async_trait;
use classchat_core::{ChatError, Timestamp, User};
use classchat_live::{CloseReason, Connection, Live, Outbound, OutboundReceiver, Registration};
use futures::stream::{AbortHandle, Abortable, BoxStream, SelectAll};
use futures::{Stream, StreamExt};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// A signed-in user and until when their token is good.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The user, as stored now.
    pub user: User,
    /// When the token expires: the connection closes then.
    pub expires_at: Timestamp,
    /// The user's token version the token carries: the connection ends once the stored
    /// one moves past it.
    pub token_version: u64,
}

/// The server's token check, as the session needs it: the same one every route uses.
#[async_trait]
pub trait Authenticate: Send + Sync {
    /// The user `token` signs in, or why not.
    async fn authenticate(&self, token: &str) -> Result<Authenticated, ChatError>;
}

/// What the client sent.
#[derive(Debug)]
pub enum Incoming {
    /// A text frame.
    Text(String),
    /// A binary frame (not allowed by the protocol).
    Binary,
    /// A WebSocket ping or pong: only a sign that the peer is alive.
    Alive,
    /// The client closed the socket, or it broke.
    Closed,
}

/// What to write to the client.
#[derive(Debug, PartialEq)]
pub enum Outgoing {
    /// A text frame.
    Text(String),
    /// A WebSocket ping: a live peer answers with a pong ([`Incoming::Alive`]).
    Ping,
    /// A close frame with this code and reason; nothing follows.
    Close(u16, String),
}

/// One subscription's next result, or its end (`None`).
type Tagged = (String, Option<Value>);

/// Runs one connection until it closes.
pub(crate) async fn serve(
    api: &Api,
    live: &Live,
    authenticate: &dyn Authenticate,
    header_token: Option<String>,
    mut incoming: impl Stream<Item = Incoming> + Unpin + Send,
    outgoing: mpsc::Sender<Outgoing>,
) {
    let out = Out {
        queue: outgoing,
        closed: AtomicBool::new(false),
    };
    let Some(Authenticated {
        user,
        expires_at,
        token_version,
    }) = initialise(api, authenticate, header_token, &mut incoming, &out).await
    else {
        return;
    };
    let config = *live.config();
    let Some(Registration {
        connection,
        mut outbound,
        first,
    }) = live.registry().register(
        &user.id,
        config.queue_capacity,
        config.connections_per_user,
        live.now(),
    )
    else {
        out.close(CLOSE_FORBIDDEN, &CloseReason::TooManyConnections.describe());
        return;
    };
    connection.set_token_version(token_version);
    if let Err(error) = api.service().connection_opened(&user, first).await {
        tracing::warn!(%error, "cannot announce presence");
    }
    out.send(ServerMessage::ConnectionAck.to_text());

    let session = Session {
        api,
        live,
        user,
        connection: Arc::clone(&connection),
        feed: Feed::new(config.queue_capacity),
        running: HashMap::new(),
        results: SelectAll::new(),
        out: &out,
    };
    let remaining = expires_at
        .as_micros()
        .saturating_sub(live.now().as_micros());
    let expiry = tokio::time::sleep(Duration::from_micros(u64::try_from(remaining).unwrap_or(0)));
    let user = session
        .run(
            &mut incoming,
            &mut outbound,
            expiry,
            api.max_subscriptions(),
        )
        .await;

    let last = live.registry().unregister(&user.id, connection.id());
    if let Err(error) = api.service().connection_closed(&user, last).await {
        tracing::warn!(%error, "cannot announce presence");
    }
}

/// Waits for `connection_init` (at most the API's init timeout) and authenticates it.
async fn initialise(
    api: &Api,
    authenticate: &dyn Authenticate,
    header_token: Option<String>,
    incoming: &mut (impl Stream<Item = Incoming> + Unpin + Send),
    out: &Out,
) -> Option<Authenticated> {
    let deadline = tokio::time::sleep(api.init_timeout());
    tokio::pin!(deadline);
    loop {
        let next = tokio::select! {
            () = &mut deadline => {
                out.close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout");
                return None;
            }
            next = incoming.next() => next,
        };
        let text = match next {
            Some(Incoming::Alive) => continue,
            None | Some(Incoming::Closed) => return None,
            Some(Incoming::Binary) => {
                out.close(CLOSE_BAD_REQUEST, "binary frames are not allowed");
                return None;
            }
            Some(Incoming::Text(text)) => text,
        };
        match ClientMessage::parse(&text) {
            Err(BadMessage(reason)) => {
                out.close(CLOSE_BAD_REQUEST, &reason);
                return None;
            }
            Ok(ClientMessage::ConnectionInit { payload }) => {
                let token = payload
                    .as_ref()
                    .and_then(|payload| payload.get("token"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or(header_token);
                let Some(token) = token else {
                    out.close(
                        CLOSE_FORBIDDEN,
                        "Forbidden: connection_init carries no token",
                    );
                    return None;
                };
                return match authenticate.authenticate(&token).await {
                    Ok(authenticated) => Some(authenticated),
                    Err(error) => {
                        out.close(CLOSE_FORBIDDEN, &format!("Forbidden: {error}"));
                        None
                    }
                };
            }
            Ok(ClientMessage::Ping { payload }) => {
                let pong = ServerMessage::Pong {
                    payload: payload.as_ref(),
                };
                out.send(pong.to_text());
            }
            Ok(ClientMessage::Pong { .. } | ClientMessage::Complete { .. }) => {}
            Ok(ClientMessage::Subscribe { .. }) => {
                out.close(CLOSE_UNAUTHORIZED, "Unauthorized");
                return None;
            }
        }
    }
}

/// An open, acknowledged connection.
struct Session<'a> {
    /// The schema and its limits.
    api: &'a Api,
    /// The live side: its clock and ping interval.
    live: &'a Live,
    /// The signed-in user.
    user: User,
    /// This connection in the live registry.
    connection: Arc<Connection>,
    /// Its live events, for its subscriptions.
    feed: Feed,
    /// The running operations by the client's id, to stop them.
    running: HashMap<String, AbortHandle>,
    /// Their results as they come.
    results: SelectAll<BoxStream<'static, Tagged>>,
    /// The way to the client.
    out: &'a Out,
}

impl Session<'_> {
    /// Serves the connection until it ends; the user it was for.
    async fn run(
        mut self,
        incoming: &mut (impl Stream<Item = Incoming> + Unpin + Send),
        outbound: &mut OutboundReceiver,
        expiry: tokio::time::Sleep,
        max_subscriptions: usize,
    ) -> User {
        tokio::pin!(expiry);
        // As on `/chat/ws`: a ping every interval, and a peer silent for two of them (no
        // frame, no pong) is gone, though its TCP connection may never say so.
        let ping_interval = self.live.config().ping_interval;
        let mut pings =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
        pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let dead_after = i64::try_from((ping_interval * 2).as_micros()).unwrap_or(i64::MAX);
        loop {
            tokio::select! {
                biased;
                () = self.connection.closing().cancelled() => break,
                () = &mut expiry => self.connection.close(CloseReason::TokenExpired),
                _ = pings.tick() => {
                    if self.connection.silent_micros(self.live.now()) > dead_after {
                        self.connection.close(CloseReason::PeerGone);
                    } else {
                        self.out.ping();
                    }
                }
                item = outbound.recv() => match item {
                    Some(Outbound::Event(event)) => self.feed.publish(event),
                    Some(_) => {}
                    None => break,
                },
                Some((id, result)) = self.results.next(), if !self.results.is_empty() => {
                    self.result(id, result);
                }
                next = incoming.next() => {
                    self.connection.touch(self.live.now());
                    let text = match next {
                        Some(Incoming::Alive) => continue,
                        None | Some(Incoming::Closed) => {
                            self.connection.close(CloseReason::Normal);
                            break;
                        }
                        Some(Incoming::Binary) => {
                            self.out.close(CLOSE_BAD_REQUEST, "binary frames are not allowed");
                            self.connection.close(CloseReason::Normal);
                            break;
                        }
                        Some(Incoming::Text(text)) => text,
                    };
                    if !self.message(&text, max_subscriptions) {
                        self.connection.close(CloseReason::Normal);
                        break;
                    }
                }
            }
        }
        for handle in self.running.values() {
            handle.abort();
        }
        if let Some(reason) = self.connection.close_reason() {
            let (code, text) = close_of(reason);
            self.out.close(code, &text);
        }
        self.user
    }

    /// Handles one client message; false once the connection must close (already said).
    fn message(&mut self, text: &str, max_subscriptions: usize) -> bool {
        match ClientMessage::parse(text) {
            Err(BadMessage(reason)) => {
                self.out.close(CLOSE_BAD_REQUEST, &reason);
                false
            }
            Ok(ClientMessage::ConnectionInit { .. }) => {
                self.out
                    .close(CLOSE_TOO_MANY_INITS, "Too many initialisation requests");
                false
            }
            Ok(ClientMessage::Ping { payload }) => {
                let pong = ServerMessage::Pong {
                    payload: payload.as_ref(),
                };
                self.send(pong.to_text());
                true
            }
            Ok(ClientMessage::Pong { .. }) => true,
            Ok(ClientMessage::Complete { id }) => {
                if let Some(handle) = self.running.remove(&id) {
                    handle.abort();
                }
                true
            }
            Ok(ClientMessage::Subscribe { id, payload }) => {
                if self.running.contains_key(&id) {
                    self.out.close(
                        CLOSE_SUBSCRIBER_EXISTS,
                        &format!("Subscriber for {id} already exists"),
                    );
                    return false;
                }
                if self.running.len() >= max_subscriptions {
                    let error = ChatError::invalid(
                        classchat_core::ErrorCode::InvalidRequest,
                        format!("at most {max_subscriptions} operations at once per connection"),
                    );
                    self.refuse(&id, &error);
                    return true;
                }
                self.subscribe(id, payload);
                true
            }
        }
    }

    /// Starts operation `id`.
    fn subscribe(&mut self, id: String, payload: SubscribePayload) {
        let stream = match self.api.execute_stream(
            self.user.clone(),
            self.feed.clone(),
            payload.query,
            payload.variables,
            payload.operation_name,
        ) {
            Ok(stream) => stream,
            Err(refusal) => {
                self.refuse(&id, &refusal);
                return;
            }
        };
        let (handle, registration) = AbortHandle::new_pair();
        let tag = id.clone();
        let end = id.clone();
        let tagged = Abortable::new(stream, registration)
            .map(move |result| (tag.clone(), Some(result)))
            .chain(futures::stream::once(async move { (end, None) }))
            .boxed();
        self.running.insert(id, handle);
        self.results.push(tagged);
    }

    /// Sends a result of operation `id`, or its end.
    fn result(&mut self, id: String, result: Option<Value>) {
        match result {
            Some(payload) => {
                let next = ServerMessage::Next {
                    id: &id,
                    payload: &payload,
                };
                self.send(next.to_text());
            }
            // Ended by itself (not stopped by the client): say so.
            None => {
                if self.running.remove(&id).is_some() {
                    self.send(ServerMessage::Complete { id: &id }.to_text());
                }
            }
        }
    }

    /// Answers `subscribe` `id` with an `error` message.
    fn refuse(&self, id: &str, error: &ChatError) {
        let errors =
            serde_json::to_value([crate::error::refusal(error.clone())]).unwrap_or(Value::Null);
        let refusal = ServerMessage::Error {
            id,
            payload: &errors,
        };
        self.send(refusal.to_text());
    }

    /// Queues a frame; a client that does not read is closed (`TooSlow`), as a `/chat/ws`
    /// socket whose queue fills.
    fn send(&self, text: String) {
        if !self.out.send(text) {
            self.connection.close(CloseReason::TooSlow);
        }
    }
}

/// The close code and reason of `reason` on this protocol.
fn close_of(reason: CloseReason) -> (u16, Cow<'static, str>) {
    match reason {
        CloseReason::Revoked(_) | CloseReason::TokenExpired | CloseReason::TooManyConnections => {
            (CLOSE_FORBIDDEN, reason.describe())
        }
        CloseReason::ShuttingDown | CloseReason::PeerGone => (1001, reason.describe()),
        CloseReason::TooBig => (1009, reason.describe()),
        CloseReason::MissedEvents { .. } => (1012, reason.describe()),
        CloseReason::TooSlow => (1013, reason.describe()),
        CloseReason::Normal => (1000, Cow::Borrowed("")),
    }
}

/// The way to the client: a bounded queue the server's writer drains. A client that does
/// not read fills it, and is closed rather than buffered without end. After the close
/// frame nothing more is sent.
struct Out {
    queue: mpsc::Sender<Outgoing>,
    closed: AtomicBool,
}

impl Out {
    /// Queues a text frame; false if the client is not reading (the queue is full).
    fn send(&self, text: String) -> bool {
        if self.closed.load(Ordering::Acquire) {
            return true;
        }
        match self.queue.try_send(Outgoing::Text(text)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => false,
            // The socket is gone; the session ends on its next read.
            Err(mpsc::error::TrySendError::Closed(_)) => true,
        }
    }

    /// Queues a ping, unless the queue is full (then the client is not reading, and the
    /// next frame it misses closes it).
    fn ping(&self) {
        if !self.closed.load(Ordering::Acquire) {
            let _ = self.queue.try_send(Outgoing::Ping);
        }
    }

    /// Queues the close frame, once.
    fn close(&self, code: u16, reason: &str) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            let _ = self
                .queue
                .try_send(Outgoing::Close(code, reason.to_owned()));
        }
    }
}
