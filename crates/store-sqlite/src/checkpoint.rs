//! Checkpoints on a thread of their own, off the writer's path.
//!
//! A checkpoint copies the pages committed to the write-ahead log back into the database
//! file and fsyncs it. Run by SQLite inside a commit (its `wal_autocheckpoint`), it stalls
//! the writer and every write queued behind it: at 10k msgs/s the few commits that
//! checkpointed were the whole delivery p99 (`classchat_sqlite_commit_seconds`: p99.9 of
//! 7–11 ms against a p99 of 0.8 ms). Here a second connection checkpoints `PASSIVE`ly,
//! which takes no lock the writer needs: the writer keeps committing while pages are
//! copied, and a later checkpoint picks up what was committed meanwhile.
//!
//! The writer's own autocheckpoint stays as a backstop, at [`BACKSTOP_PAGES`], for a WAL
//! this thread cannot keep up with.

use crate::error::classify;
use classchat_core::store::StoreError;
use rusqlite::Connection;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

/// Least time between two checkpoints: the pages a busy school rewrites meanwhile (the
/// tail of every active conversation) are copied once, not once per commit. At 10k msgs/s
/// a second gave a lower write p99 than 250 ms, and 50 ms was worse than both
/// (`classchat-bench latency`, `stage_sqlite_write`).
const INTERVAL: Duration = Duration::from_secs(1);

/// WAL pages after which the writer's commit checkpoints itself (SQLite's default is
/// 1,000), 160 MiB of log. Under steady load the log rarely starts over (a commit lands
/// during every passive checkpoint), so this is where it does: the writer then copies only
/// what this thread has not copied yet. The log file keeps its largest size and is
/// overwritten in place: truncating it (`journal_size_limit` of 64 MiB) made every commit's
/// fsync write the file's metadata again, and delivery p99 went from 6 to 40 ms.
pub(crate) const BACKSTOP_PAGES: u32 = 40_000;

/// The writer's end: tells the checkpointer that something was committed.
pub(crate) struct Committed(SyncSender<()>);

impl Committed {
    /// Asks for a checkpoint soon. Never blocks: requests made while one is pending merge.
    pub(crate) fn notify(&self) {
        match self.0.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

/// Starts the checkpointer on `connection` (its own, to the same database). It ends once
/// the returned [`Committed`] is dropped, that is, with the writer thread.
pub(crate) fn start(connection: Connection) -> Result<Committed, StoreError> {
    let (sender, receiver) = sync_channel(1);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&connection, &receiver))
        .map_err(|error| {
            StoreError::Internal(format!("cannot start the checkpoint thread: {error}"))
        })?;
    Ok(Committed(sender))
}

fn run(connection: &Connection, committed: &Receiver<()>) {
    while committed.recv().is_ok() {
        if let Err(error) = checkpoint(connection) {
            tracing::warn!(%error, "WAL checkpoint failed; the next commit asks again");
        }
        std::thread::sleep(INTERVAL);
    }
}

/// One passive checkpoint: copies every committed page no reader still needs from the
/// log, without waiting for the writer or readers.
fn checkpoint(connection: &Connection) -> Result<(), StoreError> {
    connection
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .map_err(classify)
}
