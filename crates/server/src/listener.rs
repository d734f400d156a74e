//! The accept loop's answer to a full file-descriptor table.
//!
//! When the process has as many sockets open as its open-file limit allows, `accept` fails
//! with `EMFILE` and leaves the client waiting in the kernel's backlog. Retrying at once
//! spins a core; sleeping (axum's default) leaves clients hanging with no answer. Instead
//! this listener keeps one descriptor in reserve: on `EMFILE` it gives the reserve up,
//! accepts the waiting connection, resets it at once (the client sees a refused
//! connection, not a hang), and takes the reserve back. A warning says what happened, at
//! most every few seconds, with a count, and another when connections are accepted again,
//! so a full table is visible in the log without flooding it.

use axum::serve::Listener;
use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

/// At most one warning per this interval while connections are being refused.
const WARN_EVERY: Duration = Duration::from_secs(5);
/// Pause when even the reserve could not be used, so the loop never spins.
const BACKOFF: Duration = Duration::from_millis(50);

/// A TCP listener that refuses, rather than stalls, connections it has no descriptor for.
pub struct GuardedListener {
    inner: TcpListener,
    reserve: Option<File>,
    /// Connections refused since the table last had room (0: not refusing).
    refused: u64,
    last_warning: Option<Instant>,
}

impl GuardedListener {
    /// Wraps a bound listener and takes the reserve descriptor.
    pub fn new(inner: TcpListener) -> Self {
        Self {
            inner,
            reserve: take_reserve(),
            refused: 0,
            last_warning: None,
        }
    }

    /// Frees the reserve, accepts one waiting connection and resets it, then takes the
    /// reserve back. Sleeps briefly when that is impossible, so the caller can simply loop.
    async fn refuse_one(&mut self, error: &io::Error) {
        let refused = match self.reserve.take() {
            Some(reserve) => {
                drop(reserve);
                let refused = match self.inner.accept().await {
                    Ok((stream, _)) => {
                        reset(stream);
                        true
                    }
                    Err(_) => false,
                };
                self.reserve = take_reserve();
                refused
            }
            None => {
                self.reserve = take_reserve();
                false
            }
        };
        if !refused {
            tokio::time::sleep(BACKOFF).await;
            return;
        }
        self.refused += 1;
        let due = self
            .last_warning
            .is_none_or(|last| last.elapsed() >= WARN_EVERY);
        if due {
            tracing::warn!(
                %error,
                refused = self.refused,
                "open-file limit reached: refusing new connections until some close \
                 (raise the process's open-file limit to serve more)"
            );
            self.last_warning = Some(Instant::now());
        }
    }

    /// A connection was accepted: if some had been refused before, say that it is over.
    fn accepted(&mut self) {
        if self.reserve.is_none() {
            self.reserve = take_reserve();
        }
        if self.refused > 0 {
            tracing::warn!(
                refused = self.refused,
                "accepting connections again after refusing some at the open-file limit"
            );
            self.refused = 0;
            self.last_warning = None;
        }
    }
}

impl Listener for GuardedListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok(accepted) => {
                    self.accepted();
                    return accepted;
                }
                Err(error) if out_of_descriptors(&error) => self.refuse_one(&error).await,
                Err(error) if gone_before_accept(&error) => {}
                Err(error) => {
                    tracing::error!(%error, "accept failed");
                    tokio::time::sleep(BACKOFF).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The reserve: any descriptor will do, `/dev/null` costs nothing.
fn take_reserve() -> Option<File> {
    File::open("/dev/null").ok()
}

/// Closes `stream` with a reset rather than an orderly shutdown: the client learns at once
/// that it was refused.
pub(crate) fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// `EMFILE` (this process's limit) or `ENFILE` (the system's).
fn out_of_descriptors(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(EMFILE | ENFILE))
}

/// The client gave up between connecting and our accept: nothing to do.
fn gone_before_accept(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Linux's "too many open files" (per process).
const EMFILE: i32 = 24;
/// Linux's "too many open files in system".
const ENFILE: i32 = 23;
