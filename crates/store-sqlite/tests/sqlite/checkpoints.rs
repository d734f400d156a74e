//! The write-ahead log is copied into the database by the checkpoint thread, not by the
//! writer's commits: committed pages reach the database file while the log is far below
//! the writer's own checkpoint threshold.

use crate::group_commit::record;
use classchat_core::store::Store;
use classchat_store_sqlite::{SqliteOptions, SqliteStore};
use std::time::{Duration, Instant};

#[tokio::test]
async fn committed_pages_reach_the_database_file_without_a_checkpoint_in_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("school.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let size = || std::fs::metadata(&path).unwrap().len();
    // Opening migrates through the writer's connection, whose commits are checkpointed
    // as SQLite does by default until it starts: wait for the checkpoint thread to settle.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = size();

    // A few hundred users: a few hundred KiB of pages, far below the writer's threshold.
    for index in 0..300 {
        store
            .create_user(&record(&format!("student-{index:04}")))
            .await
            .unwrap();
    }
    let wal = std::fs::metadata(dir.path().join("school.db-wal"))
        .unwrap()
        .len();
    assert!(wal > 0, "the writes went to the log first");

    let deadline = Instant::now() + Duration::from_secs(10);
    while size() <= before {
        assert!(
            Instant::now() < deadline,
            "no checkpoint copied the log into the database within 10 s ({before} bytes)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every write is still there, read from the database and what is left of the log.
    let users = store.list_users(None, None, 1000).await.unwrap();
    assert_eq!(users.len(), 300);
}
