//! The database and the WAL and shared-memory files SQLite keeps beside it are created
//! readable by their owner only, whatever the umask; an existing file keeps its mode.

use crate::group_commit::record;
use classchat_core::store::Store;
use classchat_store_sqlite::{SqliteOptions, SqliteStore};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn beside(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(suffix);
    name.into()
}

#[tokio::test]
async fn the_database_and_its_wal_and_shm_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    let store = SqliteStore::open(&db, SqliteOptions::default()).unwrap();
    // A write, so the WAL and shared-memory files exist (they go at the last close).
    store.create_user(&record("s1")).await.unwrap();
    for file in [db.clone(), beside(&db, "-wal"), beside(&db, "-shm")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[tokio::test]
async fn an_existing_database_keeps_the_mode_its_operator_chose() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    // The operator's file, shared with a group on purpose (SQLite takes an empty file for
    // a new database).
    std::fs::write(&db, b"").unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();

    let store = SqliteStore::open(&db, SqliteOptions::default()).unwrap();
    store.create_user(&record("s1")).await.unwrap();
    assert_eq!(mode(&db), 0o640, "never changed behind the operator's back");
    assert_eq!(mode(&beside(&db, "-wal")), 0o640, "SQLite copies it");
}
