//! Opening connections, the single writer thread, and the pool of readers.
//!
//! SQLite allows one writer at a time, so every write goes through one thread that owns the
//! write connection: writers queue instead of spinning on `SQLITE_BUSY`, and the queue is the
//! natural place to batch commits later. Reads run on pooled connections in tokio's blocking
//! pool; WAL lets them proceed while the writer commits.

use crate::checkpoint;
use crate::error::classify;
use classchat_core::histogram::Histogram;
use classchat_core::store::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How hard SQLite works to make a commit survive power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync the WAL on every commit: an acknowledged message survives a power cut. Default.
    #[default]
    Full,
    /// fsync only at checkpoints: survives a crash of classchat, not of the machine.
    Normal,
    /// Never fsync. Only for throwaway data such as benchmarks.
    Off,
}

impl Synchronous {
    fn pragma_value(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
            Self::Off => "OFF",
        }
    }
}

impl std::str::FromStr for Synchronous {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_ascii_lowercase().as_str() {
            "full" => Ok(Self::Full),
            "normal" => Ok(Self::Normal),
            "off" => Ok(Self::Off),
            _ => Err(format!("synchronous is full, normal or off, not {raw:?}")),
        }
    }
}

/// How long a connection waits for a lock before reporting the store busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;

/// Opens a connection with the pragmas every classchat connection uses.
pub(crate) fn open_connection(
    path: &Path,
    synchronous: Synchronous,
) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let connection = Connection::open_with_flags(path, flags).map_err(classify)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(classify)?;
    connection.set_prepared_statement_cache_capacity(64);
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = {};
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;",
            synchronous.pragma_value()
        ))
        .map_err(classify)?;
    Ok(connection)
}

/// Most writes committed together. Bounds how long one batch holds the write lock and how
/// many callers wait on one fsync. A commit writes each page it dirtied once, however many
/// messages changed it, so under load larger batches cost fewer pages per message: 2,048
/// against 512 took the writer alone from 19.3k to 24.1k appends/s (2,000 conversations,
/// two in flight each, `synchronous = FULL`).
const MAX_BATCH: usize = 2048;

/// Pages of the writer's cache (negative: KiB), 64 MiB. Appends land at the end of every
/// active conversation, all over the tables and the client-id index; with SQLite's default
/// 2 MiB, a busy school's working set was read back from the file on every batch. Only the
/// pages read take memory.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// A write, run by the writer thread inside the batch's transaction. It reports whether it
/// succeeded (its savepoint is rolled back otherwise) and hands back what to do once the
/// batch's commit has succeeded or failed.
type WriteJob = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;
/// Tells the caller the outcome, after the commit: nothing is acknowledged before then.
type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// The queue in front of the writer thread.
///
/// The thread takes every job waiting in the queue (up to [`MAX_BATCH`]) and runs them in
/// one transaction, each inside its own savepoint so one failing job does not undo the
/// others, then commits once. Concurrent senders thus share one fsync (group commit), and
/// no caller hears "done" before the commit that makes its write durable.
pub(crate) struct Writer {
    jobs: mpsc::Sender<WriteJob>,
    stages: Arc<WriterStages>,
}

/// How long each stage of a write takes, for `/metrics` and `classchat-bench`: where a
/// message's time goes between its arrival and its acknowledgement.
#[derive(Default)]
pub struct WriterStages {
    /// From a write's submission until the writer thread starts it: the queue behind the
    /// batch being committed.
    queued: Histogram,
    /// One batch, from `BEGIN` to the end of its `COMMIT`.
    batch: Histogram,
    /// The `COMMIT` alone: writing the WAL, its fsync, and any checkpoint it runs.
    commit: Histogram,
    /// From a write's submission until its caller is told the outcome.
    write: Histogram,
}

impl WriterStages {
    /// Appends the histograms in the Prometheus text format. The mean batch size is
    /// `classchat_sqlite_write_seconds_count / classchat_sqlite_batch_seconds_count`.
    pub fn render(&self, out: &mut String) {
        self.queued.render(
            out,
            "classchat_sqlite_queued_seconds",
            "Time a write waited for the SQLite writer thread.",
        );
        self.batch.render(
            out,
            "classchat_sqlite_batch_seconds",
            "Time one batch of writes took, BEGIN to COMMIT.",
        );
        self.commit.render(
            out,
            "classchat_sqlite_commit_seconds",
            "Time a batch's COMMIT took: the WAL write, its fsync and any checkpoint.",
        );
        self.write.render(
            out,
            "classchat_sqlite_write_seconds",
            "Time from a write's submission until its caller heard the outcome.",
        );
    }
}

impl Writer {
    /// Starts the writer thread owning `connection`. It ends when the `Writer` is dropped,
    /// after finishing every job already queued.
    ///
    /// Checkpoints run on a thread of their own with `checkpoints`, its own connection to
    /// the same database (see `checkpoint`); the writer tells it after each batch.
    pub(crate) fn start(
        connection: Connection,
        checkpoints: Connection,
    ) -> Result<Self, StoreError> {
        connection
            .execute_batch(&format!(
                "PRAGMA cache_size = -{WRITER_CACHE_KIB};
                 PRAGMA wal_autocheckpoint = {};",
                checkpoint::BACKSTOP_PAGES
            ))
            .map_err(classify)?;
        let committed = checkpoint::start(checkpoints)?;
        let (sender, receiver) = mpsc::channel::<WriteJob>();
        let stages = Arc::new(WriterStages::default());
        let thread_stages = Arc::clone(&stages);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                while let Ok(first) = receiver.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match receiver.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    run_batch(&connection, batch, &thread_stages);
                    committed.notify();
                }
            })
            .map_err(|error| {
                StoreError::Internal(format!("cannot start writer thread: {error}"))
            })?;
        Ok(Self {
            jobs: sender,
            stages,
        })
    }

    /// Runs `work` in the writer's next transaction and returns its result once that
    /// transaction has committed. If `work` fails, its changes are rolled back and its error
    /// returned; if the commit fails, every job of the batch gets that error.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, result) = oneshot::channel();
        let (submitted, stages) = (Instant::now(), Arc::clone(&self.stages));
        let job: WriteJob = Box::new(move |connection| {
            stages.queued.observe(submitted.elapsed());
            let outcome = work(connection);
            let succeeded = outcome.is_ok();
            let completion: Completion = Box::new(move |commit| {
                let _ = reply.send(commit.and(outcome));
                stages.write.observe(submitted.elapsed());
            });
            (succeeded, completion)
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        result
            .await
            .map_err(|_| StoreError::Internal("the writer dropped a job".into()))?
    }

    /// The writer's stage histograms.
    pub(crate) fn stages(&self) -> Arc<WriterStages> {
        Arc::clone(&self.stages)
    }

    /// Proves the writer can write: an empty job through the queue, in a batch's
    /// transaction like any write (so it needs the write lock, but writes nothing and
    /// costs no fsync), answered within `timeout`. Fails when the thread has died or is
    /// stuck — behind a long batch, or waiting for another process's lock.
    pub(crate) async fn ping(&self, timeout: Duration) -> Result<(), StoreError> {
        match tokio::time::timeout(timeout, self.run(|_| Ok(()))).await {
            // A thread that died during the batch dropped the job: not ready either.
            Ok(Err(StoreError::Internal(message))) => Err(StoreError::Unavailable(message)),
            Ok(answer) => answer,
            Err(_) => Err(StoreError::Unavailable(format!(
                "the writer has not answered within {timeout:?}"
            ))),
        }
    }
}

/// Runs one batch in one transaction and reports the commit's outcome to every job.
fn run_batch(connection: &Connection, batch: Vec<WriteJob>, stages: &WriterStages) {
    let mut completions = Vec::with_capacity(batch.len());
    let began = Instant::now();
    let commit = (|| {
        statement(connection, "BEGIN IMMEDIATE")?;
        for job in batch {
            statement(connection, "SAVEPOINT job")?;
            let (succeeded, completion) = job(connection);
            completions.push(completion);
            if !succeeded {
                statement(connection, "ROLLBACK TO job")?;
            }
            statement(connection, "RELEASE job")?;
        }
        let committing = Instant::now();
        let committed = statement(connection, "COMMIT");
        stages.commit.observe(committing.elapsed());
        committed
    })();
    stages.batch.observe(began.elapsed());
    if commit.is_err() && !connection.is_autocommit() {
        let _ = connection.execute_batch("ROLLBACK");
    }
    if let Err(error) = &commit {
        tracing::error!(%error, jobs = completions.len(), "write batch failed");
    }
    for completion in completions {
        completion(commit.clone());
    }
}

/// Runs one of the writer's fixed statements, prepared once per connection.
fn statement(connection: &Connection, sql: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
        .map_err(classify)
}

/// Read connections, opened on demand and kept for reuse.
pub(crate) struct Readers {
    path: PathBuf,
    synchronous: Synchronous,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf, synchronous: Synchronous) -> Self {
        Self {
            path,
            synchronous,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on a read connection in the blocking pool.
    pub(crate) async fn run<T: Send + 'static>(
        self: &std::sync::Arc<Self>,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = std::sync::Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let connection = readers.take()?;
            let result = work(&connection);
            readers.give_back(connection);
            result
        })
        .await
        .map_err(|error| StoreError::Internal(format!("read task failed: {error}")))?
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match pooled {
            Some(connection) => Ok(connection),
            None => open_connection(&self.path, self.synchronous),
        }
    }

    fn give_back(&self, connection: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE_READERS
        {
            idle.push(connection);
        }
    }
}
