//! The shared Store conformance suite, run against a fresh SQLite file per test.

use classchat_core::store::Store;
use classchat_store_sqlite::{SqliteOptions, SqliteStore};
use std::sync::Arc;
use tempfile::TempDir;

/// A store in a new temporary directory, which the returned guard keeps alive.
async fn make_store() -> (Arc<dyn Store>, TempDir) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("db.sqlite");
    let store =
        tokio::task::spawn_blocking(move || SqliteStore::open(path, SqliteOptions::default()))
            .await
            .expect("the open task panicked")
            .expect("open a fresh SQLite store");
    (Arc::new(store), dir)
}

classchat_store_conformance::conformance_suite!(make_store);
