//! Readiness (`/readyz`) is more than a read: it fails when the writer thread cannot write —
//! stuck behind another process's lock, or gone — and recovers with it.

use classchat_core::store::{Store, StoreError};
use classchat_store_sqlite::{SqliteOptions, SqliteStore, WRITER_PING_TIMEOUT, testing};
use rusqlite::Connection;
use std::time::{Duration, Instant};

fn open(dir: &tempfile::TempDir) -> (SqliteStore, std::path::PathBuf) {
    let path = dir.path().join("school.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).expect("open store");
    (store, path)
}

#[tokio::test]
async fn a_healthy_store_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    assert_eq!(store.ping().await, Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_stuck_behind_another_process_lock_is_not_ready_until_it_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let (store, path) = open(&dir);
    assert_eq!(store.ping().await, Ok(()));

    // Another process (an operator's `sqlite3`, say) holds the write lock.
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let outcome = store.ping().await;
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < WRITER_PING_TIMEOUT + Duration::from_secs(5),
        "the check gives up instead of hanging: {:?}",
        started.elapsed()
    );
    // Reads still work meanwhile: it is the writer that is not ready.
    assert!(store.list_users(None, None, 10).await.is_ok());

    other.execute_batch("COMMIT").unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match store.ping().await {
            Ok(()) => break,
            Err(error) if Instant::now() < deadline => {
                eprintln!("not ready yet: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("still not ready after the lock was released: {error}"),
        }
    }
}

#[tokio::test]
async fn a_store_whose_writer_thread_is_gone_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir);
    testing::crash_writer(&store).await;
    let started = Instant::now();
    let outcome = store.ping().await;
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(started.elapsed() < WRITER_PING_TIMEOUT + Duration::from_secs(5));
    // Reads alone would have said ready.
    assert!(store.list_users(None, None, 10).await.is_ok());
}
