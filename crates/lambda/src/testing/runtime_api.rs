//! The Lambda Runtime API (version 2018-06-01) on loopback, as the Lambda service serves
//! it to a custom runtime's `bootstrap` (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>):
//!
//! - `GET /2018-06-01/runtime/invocation/next` long-polls for the next event and hands it
//!   out with `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
//!   `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id`;
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `…/{id}/error` finish it;
//! - `POST /2018-06-01/runtime/init/error` reports a failed cold start.
//!
//! The server only records; [`super::RuntimeEmulator`] queues events and waits for their
//! outcomes. The instants it records (the first `next`, each hand-out) are what the
//! service reports as `Init Duration` and `Duration`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, watch};

/// The largest synchronous response Lambda accepts (6 MB); the same bound on events.
const PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// An event waiting for the runtime's next `GET …/next`.
pub(crate) struct Pending {
    /// The event's JSON, as the service hands it out.
    pub(crate) event: Bytes,
    /// How long the function has once the event is handed out (the deadline header).
    pub(crate) timeout: Duration,
    /// Where the outcome goes.
    pub(crate) reply: oneshot::Sender<Finished>,
}

/// What the runtime posted for one invocation, and how long after the hand-out.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The request id the event was handed out with.
    pub(crate) request_id: String,
    /// The response or error body.
    pub(crate) outcome: Posted,
    /// From the event handed out to the outcome posted.
    pub(crate) duration: Duration,
}

/// A posted outcome.
#[derive(Debug)]
pub(crate) enum Posted {
    /// `…/response`: the function's result.
    Response(Bytes),
    /// `…/error`: the `Lambda-Runtime-Function-Error-Type` header (if any) and the body.
    Error {
        error_type: Option<String>,
        body: Bytes,
    },
}

/// How far the cold start got.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lifecycle {
    /// When the runtime first asked for an event: the end of its init phase.
    pub(crate) first_next: Option<Instant>,
    /// The body of a `POST …/init/error`, with its error type header.
    pub(crate) init_error: Option<String>,
}

/// The shared state of the handlers.
struct Api {
    /// Events not yet handed out; one `next` at a time takes from it.
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    /// Handed-out events by request id: when, and where their outcome goes.
    in_flight: Mutex<HashMap<String, (Instant, oneshot::Sender<Finished>)>>,
    lifecycle: watch::Sender<Lifecycle>,
    function_arn: String,
    sequence: AtomicU64,
}

/// A running Runtime API server. Dropping it stops the server.
pub(crate) struct RuntimeApi {
    /// Where it listens: the value of `AWS_LAMBDA_RUNTIME_API`.
    pub(crate) addr: SocketAddr,
    /// Queues events for the runtime.
    pub(crate) events: mpsc::UnboundedSender<Pending>,
    /// Watches the cold start.
    pub(crate) lifecycle: watch::Receiver<Lifecycle>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Serves the API on `127.0.0.1` (a free port) for the function `function_arn`.
    pub(crate) async fn start(function_arn: String) -> std::io::Result<Self> {
        let (events, queue) = mpsc::unbounded_channel();
        let (lifecycle, watcher) = watch::channel(Lifecycle::default());
        let api = Arc::new(Api {
            queue: tokio::sync::Mutex::new(queue),
            in_flight: Mutex::new(HashMap::new()),
            lifecycle,
            function_arn,
            sequence: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .layer(DefaultBodyLimit::max(PAYLOAD_LIMIT))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the Runtime API emulator stopped");
            }
        });
        Ok(Self {
            addr,
            events,
            lifecycle: watcher,
            server,
        })
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// `GET …/invocation/next`: waits for an event and hands it out.
async fn next(State(api): State<Arc<Api>>) -> Response {
    api.lifecycle.send_if_modified(|lifecycle| {
        let first = lifecycle.first_next.is_none();
        if first {
            lifecycle.first_next = Some(Instant::now());
        }
        first
    });
    let pending = {
        let mut queue = api.queue.lock().await;
        queue.recv().await
    };
    let Some(pending) = pending else {
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "shut down",
        );
    };
    let sequence = api.sequence.fetch_add(1, Ordering::Relaxed);
    let request_id = request_id(sequence);
    let now_ms = epoch_millis();
    let deadline_ms = now_ms.saturating_add(pending.timeout.as_millis() as u64);
    let mut headers = HeaderMap::new();
    let values = [
        ("lambda-runtime-aws-request-id", request_id.clone()),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            api.function_arn.clone(),
        ),
        ("lambda-runtime-trace-id", trace_id(now_ms / 1000, sequence)),
        ("content-type", "application/json".to_owned()),
    ];
    for (name, value) in values {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    lock(&api.in_flight).insert(request_id, (Instant::now(), pending.reply));
    (StatusCode::OK, headers, pending.event).into_response()
}

/// `POST …/invocation/{id}/response`.
async fn response(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Bytes) -> Response {
    finish(&api, id, Posted::Response(body))
}

/// `POST …/invocation/{id}/error`.
async fn error(
    State(api): State<Arc<Api>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error_type = error_type(&headers);
    finish(&api, id, Posted::Error { error_type, body })
}

/// `POST …/init/error`: the cold start failed; the runtime exits next.
async fn init_error(State(api): State<Arc<Api>>, headers: HeaderMap, body: Bytes) -> Response {
    let error_type = error_type(&headers).unwrap_or_else(|| "(no error type)".to_owned());
    let text = format!("{error_type}: {}", String::from_utf8_lossy(&body));
    api.lifecycle
        .send_modify(|lifecycle| lifecycle.init_error = Some(text));
    accepted()
}

/// Hands the outcome of `id` to whoever invoked it.
fn finish(api: &Api, id: String, outcome: Posted) -> Response {
    let Some((handed_out, reply)) = lock(&api.in_flight).remove(&id) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "no invocation in flight has this id",
        );
    };
    // The invoker may have given up (timeout); the runtime still gets its 202.
    let _ = reply.send(Finished {
        request_id: id,
        outcome,
        duration: handed_out.elapsed(),
    });
    accepted()
}

fn error_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The service's answer to a posted outcome.
fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

fn api_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message});
    (status, axum::Json(body)).into_response()
}

/// A request id shaped as the service's (a UUID), unique within the process.
fn request_id(sequence: u64) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (nanos >> 32) as u32,
        (nanos >> 16) as u16,
        nanos & 0xfff,
        (sequence >> 48) & 0xfff,
        sequence & 0xffff_ffff_ffff
    )
}

/// An X-Ray trace header as the service sends it (not sampled).
fn trace_id(epoch_secs: u64, sequence: u64) -> String {
    format!("Root=1-{epoch_secs:08x}-{sequence:024x};Parent={sequence:016x};Sampled=0")
}

fn epoch_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// The map, even if a handler panicked while holding it (it stays consistent: single
/// inserts and removes).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_the_services() {
        let id = request_id(7);
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.matches('-').count(), 4, "{id}");
        assert_ne!(request_id(8), id);
        assert!(trace_id(1, 2).starts_with("Root=1-00000001-"));
    }
}
