//! Files classchat creates hold every message or the key to every token, so they are
//! readable by their owner only (0600), whatever the umask: the database and the `-wal` and
//! `-shm` files beside it, the generated secret, and exports. A file that already exists
//! keeps the mode its operator chose, with a warning in the log if others can read it.

use crate::cli::{add_user, classchat, db_arg, start};
use crate::process::{self, Running, call, succeeds};
use reqwest::Method;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(suffix);
    name.into()
}

/// The database, its WAL and shared-memory files (which exist while it is open), and the
/// generated secret.
fn files_of(db: &Path) -> [PathBuf; 4] {
    [
        db.to_path_buf(),
        beside(db, "-wal"),
        beside(db, "-shm"),
        beside(db, ".jwt-secret"),
    ]
}

async fn assert_owner_only_while_serving(server: &Running, db: &Path) {
    // /readyz goes through the writer: the WAL and shared-memory files are open.
    let (status, body) = call(Method::GET, format!("{}/readyz", server.base), None, None).await;
    assert_eq!(status, 200, "{body}");
    for file in files_of(db) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[tokio::test]
async fn serve_creates_its_database_wal_shm_and_secret_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    let server = start(&["serve", "--db", &db_arg(&db), "--addr", "127.0.0.1:0"]);
    assert_owner_only_while_serving(&server, &db).await;
    assert!(server.terminate().success());
}

#[tokio::test]
async fn demo_creates_its_database_wal_shm_and_secret_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let demo = start(&["demo", "--db", &db_arg(&db), "--addr", "127.0.0.1:0"]);
    assert_owner_only_while_serving(&demo, &db).await;
    assert!(demo.terminate().success());
}

#[test]
fn export_creates_its_file_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    add_user(&db, "s1", "student", "Student One", "a-long-password");
    let out = dir.path().join("school.jsonl");
    succeeds(&classchat(
        &["export", "--db", &db, "--out", out.to_str().unwrap()],
        None,
    ));
    assert_eq!(mode(&out), 0o600);
}

#[test]
fn an_existing_export_file_keeps_its_mode_and_a_shared_one_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    add_user(&db, "s1", "student", "Student One", "a-long-password");
    let out = dir.path().join("school.jsonl");
    std::fs::write(&out, "an older export\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = classchat(
        &["export", "--db", &db, "--out", out.to_str().unwrap()],
        None,
    );
    succeeds(&output);
    assert_eq!(
        mode(&out),
        0o644,
        "never changed behind the operator's back"
    );
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("open to other local users") && log.contains("school.jsonl"),
        "{log}"
    );
    assert!(!std::fs::read_to_string(&out).unwrap().contains("older"));
}

#[tokio::test]
async fn a_database_others_can_read_is_warned_about_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    add_user(
        &db_arg(&db),
        "s1",
        "student",
        "Student One",
        "a-long-password",
    );
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let log = dir.path().join("serve.log");
    let server = Running::start_logging(
        process::classchat().args(["serve", "--db", &db_arg(&db), "--addr", "127.0.0.1:0"]),
        &log,
    );
    let (status, _) = call(Method::GET, format!("{}/readyz", server.base), None, None).await;
    assert_eq!(status, 200);
    assert_eq!(mode(&db), 0o644);
    assert!(server.terminate().success());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("open to other local users") && log.contains("school.db"),
        "{log}"
    );
}
