//! The embedded SQLite implementation of classchat's [`Store`]: one file, no other process.
//!
//! # Layout
//! - [`connection`]: connection set-up, the single writer thread, the reader pool.
//! - `checkpoint`: copying the write-ahead log into the database on a thread of its own,
//!   off the writer's path.
//! - `files`: the database's files are created owner-only (0600).
//! - `migrations`: the versioned, embedded schema.
//! - `users`, `messages`, `contacts`, `audit`: the queries, one file per concern, each a
//!   plain function over a `rusqlite::Connection`.
//! - `family`: guardian links (`guardians`), the family links and family contact lists
//!   joined from them and `links` (never stored), and the check a send through a child
//!   needs.
//! - `settings`: the school's settings, one row of `settings`.
//! - `notify`: each user's notification preferences (`notify_prefs`) and their browsers'
//!   push subscriptions (`push_subscriptions`, one owner per endpoint, the oldest trimmed
//!   in the same transaction).
//! - `pending`: notifications that wait (`pending_notices`, one per user and kind, merged
//!   by one upsert, taken by a DELETE that names what was read, so each is sent once).
//! - `leases`: who runs a background job (`leases`), taken or renewed by one conditional
//!   upsert.
//! - `revisions`: an author's edits and removals (`messages` changed in place, earlier
//!   texts in `message_versions`, summaries following their last message).
//! - `pauses`: paused conversations (`pauses`), set and lifted only over the pause that
//!   was read, and the refusal of a member's append inside its write.
//! - `reports`: the moderation queue (`reports`, one per reporter and message, and their
//!   `report_steps`).
//! - `holds`: legal holds (`holds`, one row per target, keyed as `HoldTarget::key`
//!   writes it, listed by key range per kind: users, then conversations).
//! - `retention`: deleting a conversation for retention in bounded steps, one write job
//!   each: its oldest messages with their versions, then its pause and summaries.
//! - `store_impl`: the [`Store`] methods, each handing its query function to a reader or
//!   the writer.
//! - `rows`, `error`: row decoding and error classification.
//!
//! # Durability
//! A message is acknowledged only after its transaction commits. With the default
//! [`Synchronous::Full`] the commit fsyncs the write-ahead log, so an acknowledged message
//! survives `kill -9` and power loss.
//!
//! # Readiness
//! [`Store::ping`] succeeds only when both halves answer: a read on a pooled connection,
//! and an empty write through the writer thread's queue within [`WRITER_PING_TIMEOUT`],
//! so a writer thread that has died or is stuck (on another process's lock, say) makes
//! `/readyz` fail although reads still work.
//!
//! [`Store`]: classchat_core::store::Store
//! [`Store::ping`]: classchat_core::store::Store::ping

mod announcements;
mod audit;
mod checkpoint;
pub mod connection;
mod contacts;
mod error;
mod family;
mod files;
mod holds;
mod leases;
mod messages;
mod migrations;
mod notify;
mod pauses;
mod pending;
mod reports;
mod retention;
mod revisions;
mod roster;
mod rows;
mod settings;
mod store_impl;
#[cfg(feature = "test-support")]
pub mod testing;
mod users;

pub use connection::{Synchronous, WriterStages};

use classchat_core::store::StoreError;
use connection::{Readers, Writer, open_connection};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long [`Store::ping`](classchat_core::store::Store::ping) waits for the writer thread's answer. A healthy writer answers
/// within one group commit (milliseconds); this is short enough for a load balancer's
/// health check, and shorter than the 5 s a write waits for another process's lock, so a
/// writer blocked behind one shows as not ready.
pub const WRITER_PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Options of [`SqliteStore::open`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteOptions {
    /// fsync policy; see [`Synchronous`].
    pub synchronous: Synchronous,
}

/// A classchat store in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Arc<Readers>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it to the current
    /// schema. A new database file is created readable by its owner only (0600), and so
    /// are its `-wal` and `-shm` files; an existing one keeps its mode, with a warning in
    /// the log if other users can read it. Blocking: call it at start-up, or from
    /// `spawn_blocking`.
    pub fn open(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        files::prepare(&path)?;
        let mut connection = open_connection(&path, options.synchronous)?;
        migrations::migrate(&mut connection)?;
        let checkpoints = open_connection(&path, options.synchronous)?;
        Ok(Self {
            writer: Writer::start(connection, checkpoints)?,
            readers: Arc::new(Readers::new(path.clone(), options.synchronous)),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long the writer's stages take (queue, batch, commit, whole write), for
    /// `/metrics`. The histograms live as long as any holder of this handle.
    pub fn writer_stages(&self) -> Arc<WriterStages> {
        self.writer.stages()
    }
}
