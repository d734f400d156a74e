//! [`RuntimeEmulator`]: one function's `bootstrap` as a child process, fed events through
//! the Runtime API emulator ([`super::runtime_api`]), timed as the service times it.

use super::runtime_api::{Finished, Lifecycle, Pending, Posted, RuntimeApi};
use axum::body::Bytes;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

/// The memory setting the functions are deployed with (template.yaml), as the runtime reads
/// it from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`.
pub const MEMORY_SIZE_MB: u32 = 1024;

/// How much of a function's output [`RuntimeEmulator::logs`] keeps (the latest part).
const LOG_LIMIT: usize = 256 * 1024;

/// How often a waiting caller checks that the process is still alive.
const LIVENESS_POLL: Duration = Duration::from_millis(20);

/// What to run, and the environment on top of the one the service sets.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The `bootstrap` executable.
    pub bootstrap: PathBuf,
    /// `AWS_LAMBDA_FUNCTION_NAME` (also in the ARN and log group).
    pub name: String,
    /// `AWS_REGION` and `AWS_DEFAULT_REGION`.
    pub region: String,
    /// The function's own variables (template.yaml's `Environment`), set last, so they may
    /// override the service's too.
    pub env: Vec<(String, String)>,
    /// How long until the first `next` before the start counts as failed. The service
    /// allows 10 s; the default is longer because the tests' emulators share a busy machine.
    pub init_timeout: Duration,
    /// The function's timeout: the deadline header, and how long [`RuntimeEmulator::call`]
    /// waits.
    pub timeout: Duration,
}

impl FunctionSpec {
    /// `bootstrap` named `name`, in `us-east-1`, with no variables of its own.
    pub fn new(bootstrap: impl Into<PathBuf>, name: &str) -> Self {
        Self {
            bootstrap: bootstrap.into(),
            name: name.to_owned(),
            region: "us-east-1".to_owned(),
            env: Vec::new(),
            init_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
        }
    }

    /// Adds one variable of the function's environment.
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push((name.to_owned(), value.into()));
        self
    }
}

/// Why the emulator could not get an outcome from the function.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The Runtime API could not listen, or the binary could not be started.
    #[error("cannot start {what}: {source}")]
    Start {
        /// What failed to start.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The runtime posted `…/init/error`, or exited, before asking for an event.
    #[error("the function failed its cold start: {reason}\n--- its output ---\n{logs}")]
    Init {
        /// The init error it posted, or how it exited.
        reason: String,
        /// Its output so far.
        logs: String,
    },
    /// The process is gone (crashed or exited) while an invocation waited.
    #[error(
        "the function's process exited ({status}) during an invocation\n--- its output ---\n{logs}"
    )]
    Exited {
        /// How it ended.
        status: String,
        /// Its output so far.
        logs: String,
    },
    /// No outcome within the function's timeout (or init timeout).
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// A stand-in service (the emulator's Secrets Manager) refused a set-up call.
    #[error("{0}")]
    Service(String),
    /// Reading `/proc/<pid>/status` failed (the process is gone, or this is not Linux).
    #[error("cannot read the process's memory figures: {0}")]
    Proc(String),
}

/// What the runtime posted to `…/error`: the function (or the runtime's deserialisation
/// of the event) failed this invocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error_type}: {error_message}")]
pub struct FunctionError {
    /// `errorType` of the body, else the `Lambda-Runtime-Function-Error-Type` header.
    pub error_type: String,
    /// `errorMessage` of the body, else the whole body.
    pub error_message: String,
}

/// Why [`RuntimeEmulator::invoke`] has no response.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The invocation failed (`…/error`).
    #[error("the invocation failed: {0}")]
    Function(#[from] FunctionError),
    /// The emulator got no outcome.
    #[error(transparent)]
    Emulator(#[from] EmulatorError),
    /// The response posted is not JSON.
    #[error("the response is not JSON: {0}")]
    NotJson(String),
}

/// One finished invocation.
#[derive(Debug)]
pub struct Invocation {
    /// The request id it was handed out with.
    pub request_id: String,
    /// The response's bytes, or the error posted.
    pub outcome: Result<Bytes, FunctionError>,
    /// From the event handed out to the outcome posted (the service's `Duration`).
    pub duration: Duration,
}

/// The figures of a stopped function.
#[derive(Debug, Clone)]
pub struct Stopped {
    /// `VmHWM` just before it was killed.
    pub peak_rss_bytes: u64,
    /// Everything it wrote (the latest part).
    pub logs: String,
}

/// A function's process under the Runtime API emulator. Killed when dropped.
pub struct RuntimeEmulator {
    api: RuntimeApi,
    /// `None` once [`Self::stop`] took it.
    child: Mutex<Option<Child>>,
    pid: u32,
    init_duration: Duration,
    timeout: Duration,
    logs: Arc<Mutex<String>>,
}

impl RuntimeEmulator {
    /// Serves the Runtime API, starts `spec.bootstrap` with the environment the service
    /// sets (and nothing of this process's), and waits until it first asks for an event.
    pub async fn start(spec: FunctionSpec) -> Result<Self, EmulatorError> {
        let arn = format!(
            "arn:aws:lambda:{}:123456789012:function:{}",
            spec.region, spec.name
        );
        let api = RuntimeApi::start(arn)
            .await
            .map_err(|source| EmulatorError::Start {
                what: "the Runtime API emulator".into(),
                source,
            })?;
        // Absolute: the process starts in its own directory, as on Lambda.
        let bootstrap =
            std::path::absolute(&spec.bootstrap).map_err(|source| EmulatorError::Start {
                what: spec.bootstrap.display().to_string(),
                source,
            })?;
        let task_root = bootstrap.parent().unwrap_or(&bootstrap).to_path_buf();
        let mut command = Command::new(&bootstrap);
        command
            .env_clear()
            .envs(service_env(&spec, &api.addr.to_string(), &task_root))
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .current_dir(&task_root);
        let spawned = Instant::now();
        let mut child = command.spawn().map_err(|source| EmulatorError::Start {
            what: bootstrap.display().to_string(),
            source,
        })?;
        let logs = Arc::new(Mutex::new(String::new()));
        if let Some(out) = child.stdout.take() {
            collect(out, Arc::clone(&logs));
        }
        if let Some(err) = child.stderr.take() {
            collect(err, Arc::clone(&logs));
        }
        let pid = child.id().unwrap_or_default();
        let mut emulator = Self {
            api,
            child: Mutex::new(Some(child)),
            pid,
            init_duration: Duration::ZERO,
            timeout: spec.timeout,
            logs,
        };
        let ready = emulator.wait_for_init(spec.init_timeout).await?;
        emulator.init_duration = ready.saturating_duration_since(spawned);
        Ok(emulator)
    }

    /// From spawning the process to its first `next`: the cold start the service reports
    /// as `Init Duration`.
    pub fn init_duration(&self) -> Duration {
        self.init_duration
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Hands `event` to the function and waits for its outcome (at most the function's
    /// timeout). Invocations run one at a time, in the order they are made, as in one
    /// execution environment.
    pub async fn call(&self, event: &Value) -> Result<Invocation, EmulatorError> {
        let (reply, outcome) = oneshot::channel();
        let pending = Pending {
            event: Bytes::from(event.to_string()),
            timeout: self.timeout,
            reply,
        };
        if self.api.events.send(pending).is_err() {
            return Err(self.exited("the Runtime API emulator stopped".into()));
        }
        let finished = self.wait(outcome).await?;
        Ok(Invocation {
            request_id: finished.request_id,
            outcome: match finished.outcome {
                Posted::Response(body) => Ok(body),
                Posted::Error { error_type, body } => Err(function_error(error_type, &body)),
            },
            duration: finished.duration,
        })
    }

    /// Invokes the function with `event`: its JSON response, or why there is none.
    pub async fn invoke(&self, event: &Value) -> Result<Value, InvokeError> {
        let body = self.call(event).await?.outcome?;
        serde_json::from_slice(&body).map_err(|error| {
            InvokeError::NotJson(format!("{error}: {}", String::from_utf8_lossy(&body)))
        })
    }

    /// The process's peak resident set so far (`VmHWM`), in bytes.
    pub fn peak_rss_bytes(&self) -> Result<u64, EmulatorError> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path)
            .map_err(|error| EmulatorError::Proc(format!("{path}: {error}")))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .ok_or_else(|| EmulatorError::Proc(format!("{path} has no VmHWM (a zombie?)")))
    }

    /// Everything the function wrote to stdout and stderr so far (its latest part).
    pub fn logs(&self) -> String {
        lock(&self.logs).clone()
    }

    /// Reads the peak RSS, then kills the process and waits for it.
    pub async fn stop(self) -> Result<Stopped, EmulatorError> {
        let peak_rss_bytes = self.peak_rss_bytes()?;
        let child = lock(&self.child).take();
        if let Some(mut child) = child {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        Ok(Stopped {
            peak_rss_bytes,
            logs: self.logs(),
        })
    }

    /// Waits until the runtime asks for its first event; that instant.
    async fn wait_for_init(&self, limit: Duration) -> Result<Instant, EmulatorError> {
        let mut lifecycle = self.api.lifecycle.clone();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let Lifecycle {
                first_next,
                init_error,
            } = lifecycle.borrow_and_update().clone();
            if let Some(reason) = init_error {
                return Err(EmulatorError::Init {
                    reason,
                    logs: self.logs(),
                });
            }
            if let Some(ready) = first_next {
                return Ok(ready);
            }
            if let Some(status) = self.exit_status() {
                return Err(EmulatorError::Init {
                    reason: format!("it exited ({status}) before asking for an event"),
                    logs: self.settled_logs().await,
                });
            }
            tokio::select! {
                changed = lifecycle.changed() => {
                    if changed.is_err() {
                        return Err(self.exited("the Runtime API emulator stopped".into()));
                    }
                }
                () = tokio::time::sleep(LIVENESS_POLL) => {}
                () = tokio::time::sleep_until(deadline) => {
                    return Err(EmulatorError::Timeout(limit));
                }
            }
        }
    }

    /// Waits for `outcome` while the process lives, at most the function's timeout.
    async fn wait(
        &self,
        mut outcome: oneshot::Receiver<Finished>,
    ) -> Result<Finished, EmulatorError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            tokio::select! {
                finished = &mut outcome => {
                    return finished.map_err(|_| self.exited("the Runtime API emulator stopped".into()));
                }
                () = tokio::time::sleep(LIVENESS_POLL) => {
                    if let Some(status) = self.exit_status() {
                        return Err(EmulatorError::Exited { status, logs: self.settled_logs().await });
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    return Err(EmulatorError::Timeout(self.timeout));
                }
            }
        }
    }

    /// How the process ended, if it has.
    fn exit_status(&self) -> Option<String> {
        match lock(&self.child).as_mut().map(Child::try_wait) {
            None => Some("stopped".to_owned()),
            Some(Ok(Some(status))) => Some(describe(status)),
            Some(Ok(None)) => None,
            Some(Err(error)) => Some(format!("unknown: {error}")),
        }
    }

    fn exited(&self, status: String) -> EmulatorError {
        EmulatorError::Exited {
            status,
            logs: self.logs(),
        }
    }

    /// The logs once the pipes of an exited process had a moment to drain.
    async fn settled_logs(&self) -> String {
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.logs()
    }
}

impl Drop for RuntimeEmulator {
    fn drop(&mut self) {
        // SIGKILL now; `kill_on_drop` and tokio's reaper collect the process.
        if let Some(child) = lock(&self.child).as_mut() {
            let _ = child.start_kill();
        }
    }
}

/// The variables the service sets for a custom runtime (with placeholder credentials, as
/// the execution role's would be).
fn service_env(
    spec: &FunctionSpec,
    runtime_api: &str,
    task_root: &std::path::Path,
) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            MEMORY_SIZE_MB.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", spec.name),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "emulated/[$LATEST]0".to_owned(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", spec.region.clone()),
        ("AWS_DEFAULT_REGION", spec.region.clone()),
        ("AWS_ACCESS_KEY_ID", "ASIAEMULATEDLAMBDA00".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "emulated-secret-access-key".to_owned(),
        ),
        ("AWS_SESSION_TOKEN", "emulated-session-token".to_owned()),
        ("LAMBDA_TASK_ROOT", task_root.display().to_string()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
    ]
}

/// Appends `stream`'s lines to `logs`, keeping the latest [`LOG_LIMIT`] bytes.
fn collect(stream: impl AsyncRead + Unpin + Send + 'static, logs: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut logs = lock(&logs);
            logs.push_str(&line);
            logs.push('\n');
            if logs.len() > LOG_LIMIT {
                let mut cut = logs.len() - LOG_LIMIT;
                while !logs.is_char_boundary(cut) {
                    cut += 1;
                }
                logs.drain(..cut);
            }
        }
    });
}

/// The body of `…/error` as the service reads it.
fn function_error(header: Option<String>, body: &[u8]) -> FunctionError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|value| value.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    FunctionError {
        error_type: field("errorType")
            .or(header)
            .unwrap_or_else(|| "Unhandled".to_owned()),
        error_message: field("errorMessage")
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        _ => status.to_string(),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
