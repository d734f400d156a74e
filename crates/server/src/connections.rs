//! Serving HTTP connections within limits: how many, how slow, how idle.
//!
//! axum's own `serve` has no connection limit and no timeouts: 1,100 idle TCP
//! connections shut every other client out for as long as they were held, and
//! slowloris-style partial headers, idle keep-alives and a POST whose body never came
//! were never closed. This module serves each connection with hyper directly, so that
//!
//! - a client gets [`ConnectionLimits::header_timeout`] to send a request's headers
//!   (HTTP/1.1 applies it to idle keep-alive connections as well);
//! - a connection with no request in flight closes after
//!   [`ConnectionLimits::idle_timeout`] (HTTP/2 has no header timer);
//! - HTTP/2 connections carry at most [`ConnectionLimits::max_http2_streams`] streams;
//! - at most [`ConnectionLimits::max_connections`] sockets are open, WebSockets
//!   included: at the limit a new connection makes room by closing the connection that
//!   has been idle longest (never one with a request in flight, never a WebSocket), so
//!   one client hoarding idle connections cannot shut others out; with nothing idle to
//!   close, the newcomer is refused at once.
//!
//! A socket is counted from accept until it is dropped, also after it became a
//! WebSocket: the count lives in the I/O object itself ([`CountedIo`]).

use crate::config::ConnectionLimits;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Largest header block of an HTTP/2 request, like HTTP/1.1's header buffer.
const MAX_HTTP2_HEADER_BYTES: u32 = 64 * 1024;
/// Least time between two warnings about refused connections.
const WARN_EVERY: Duration = Duration::from_secs(5);

/// Every open connection of a server, for the cap and for making room.
pub(crate) struct Connections {
    limits: ConnectionLimits,
    open: Mutex<HashMap<u64, Arc<ConnectionState>>>,
    count: AtomicUsize,
    next_id: AtomicU64,
    /// Instants are kept as milliseconds since this one, so they fit in an atomic.
    epoch: Instant,
    refused: Mutex<Refusals>,
}

/// Connections refused since the last warning.
#[derive(Default)]
struct Refusals {
    count: u64,
    last_warning: Option<Instant>,
}

/// What the cap needs to know of one connection.
struct ConnectionState {
    /// Requests being handled.
    in_flight: AtomicUsize,
    /// It became a WebSocket: never idle in the HTTP sense.
    upgraded: AtomicBool,
    /// When its last request ended (ms since [`Connections::epoch`]).
    idle_since_ms: AtomicU64,
    /// Asks the connection to close as soon as no request is in flight.
    close: CancellationToken,
}

impl Connections {
    /// Room for connections within `limits`.
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: Mutex::new(HashMap::new()),
            count: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            epoch: Instant::now(),
            refused: Mutex::default(),
        })
    }

    /// The limits in force.
    pub(crate) fn limits(&self) -> &ConnectionLimits {
        &self.limits
    }

    /// Sockets open right now (WebSockets included).
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnectionState>>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a freshly accepted socket, making room first if the server is full; `None`
    /// when it must be refused.
    pub(crate) fn admit(self: &Arc<Self>, stream: TcpStream) -> Option<CountedIo> {
        if self.count() >= self.limits.max_connections && !self.close_longest_idle() {
            self.refused();
            crate::listener::reset(stream);
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnectionState {
            in_flight: AtomicUsize::new(0),
            upgraded: AtomicBool::new(false),
            idle_since_ms: AtomicU64::new(self.now_ms()),
            close: CancellationToken::new(),
        });
        self.lock().insert(id, Arc::clone(&state));
        self.count.fetch_add(1, Ordering::AcqRel);
        Some(CountedIo {
            stream,
            slot: Slot {
                connections: Arc::clone(self),
                id,
                state,
            },
        })
    }

    /// Asks the connection idle longest (no request in flight, not a WebSocket, not
    /// already closing) to close; whether there was one.
    fn close_longest_idle(&self) -> bool {
        let open = self.lock();
        let victim = open
            .values()
            .filter(|state| {
                state.in_flight.load(Ordering::Acquire) == 0
                    && !state.upgraded.load(Ordering::Acquire)
                    && !state.close.is_cancelled()
            })
            .min_by_key(|state| state.idle_since_ms.load(Ordering::Acquire));
        match victim {
            Some(state) => {
                state.close.cancel();
                true
            }
            None => false,
        }
    }

    /// Logs refusals at most every few seconds, with a count.
    fn refused(&self) {
        let mut refused = self
            .refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        refused.count += 1;
        if refused
            .last_warning
            .is_none_or(|last| last.elapsed() >= WARN_EVERY)
        {
            tracing::warn!(
                refused = refused.count,
                limit = self.limits.max_connections,
                "connection limit reached and no idle connection to close: refusing new \
                 connections (raise the open-file limit, or add nodes)"
            );
            refused.count = 0;
            refused.last_warning = Some(Instant::now());
        }
    }
}

/// One counted socket's place among the open connections; freed when dropped.
struct Slot {
    connections: Arc<Connections>,
    id: u64,
    state: Arc<ConnectionState>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.connections.lock().remove(&self.id);
        self.connections.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A socket that holds its place among the open connections for as long as it lives,
/// through an upgrade to WebSocket too.
pub(crate) struct CountedIo {
    stream: TcpStream,
    slot: Slot,
}

impl AsyncRead for CountedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A request being handled on a connection: counted as in flight until dropped.
struct InFlight(Arc<ConnectionState>, Arc<Connections>);

impl InFlight {
    fn begin(state: &Arc<ConnectionState>, connections: &Arc<Connections>) -> Self {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(state), Arc::clone(connections))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .idle_since_ms
            .store(self.1.now_ms(), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one connection until it ends, `shutdown` asks every connection to finish, or
/// the cap asks this one to make room.
pub(crate) async fn serve(
    io: CountedIo,
    peer: SocketAddr,
    app: Router,
    shutdown: CancellationToken,
) {
    let state = Arc::clone(&io.slot.state);
    let connections = Arc::clone(&io.slot.connections);
    let limits = *connections.limits();
    let service = {
        let state = Arc::clone(&state);
        let connections = Arc::clone(&connections);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let in_flight = InFlight::begin(&state, &connections);
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            let response = app.clone().oneshot(request);
            let state = Arc::clone(&state);
            async move {
                let response = response.await;
                if let Ok(response) = &response
                    && response.status() == StatusCode::SWITCHING_PROTOCOLS
                {
                    state.upgraded.store(true, Ordering::Release);
                }
                drop(in_flight);
                response
            }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_http2_streams)
        .max_header_list_size(MAX_HTTP2_HEADER_BYTES)
        .enable_connect_protocol();
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        // Wakes when the connection would have been idle long enough, if nothing happens
        // meanwhile; a request in flight or a new one just puts the check off.
        let idle_since = state.idle_since_ms.load(Ordering::Acquire);
        let idle_for = Duration::from_millis(connections.now_ms().saturating_sub(idle_since));
        let idle_check = tokio::time::sleep(
            limits
                .idle_timeout
                .saturating_sub(idle_for)
                .max(Duration::from_millis(100)),
        );
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = shutdown.cancelled(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = state.close.cancelled(), if !closing => {
                tracing::debug!(%peer, "closing an idle connection to make room");
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = idle_check, if !closing => {
                let idle_ms = connections
                    .now_ms()
                    .saturating_sub(state.idle_since_ms.load(Ordering::Acquire));
                let idle = state.in_flight.load(Ordering::Acquire) == 0
                    && !state.upgraded.load(Ordering::Acquire)
                    && u128::from(idle_ms) >= limits.idle_timeout.as_millis();
                if idle {
                    tracing::debug!(%peer, "closing an idle connection");
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
