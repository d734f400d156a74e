//! The database's files hold every message of the school: only their owner may read them.
//!
//! SQLite gives the `-wal` and `-shm` files it creates the permission bits of the database
//! file (`findCreateFileMode` in its Unix VFS, which also `fchmod`s them past the umask), so
//! creating the database file 0600 before SQLite first opens it makes all three
//! owner-only, whatever the umask. A file that already exists keeps its mode: it is the
//! operator's, who may have shared it with a group on purpose; if others can read or write
//! it, every start says so in the log instead of changing it behind their back.

use classchat_core::store::StoreError;
use std::path::{Path, PathBuf};

/// Creates the database file at `path` owner-only if it does not exist yet, and warns about
/// any of the database's files that exists and is open to other users.
pub(crate) fn prepare(path: &Path) -> Result<(), StoreError> {
    if !is_plain_path(path) {
        return Ok(());
    }
    create_owner_only(path)?;
    for file in database_files(path) {
        warn_if_shared(&file);
    }
    Ok(())
}

/// Whether `path` names a file, as opposed to one of SQLite's special names (`:memory:`,
/// the empty temporary database, a `file:` URI) that SQLite resolves itself.
fn is_plain_path(path: &Path) -> bool {
    let text = path.to_string_lossy();
    !(text.is_empty() || text == ":memory:" || text.starts_with("file:"))
}

/// The database file and the two files SQLite keeps beside it in WAL mode.
fn database_files(path: &Path) -> [PathBuf; 3] {
    let with_suffix = |suffix: &str| {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with_suffix("-wal"), with_suffix("-shm")]
}

#[cfg(unix)]
fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    // `create_new` so an existing database (or one another process creates meanwhile) is
    // never truncated or re-moded; SQLite takes an empty file for a new database.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // The same class as SQLite's own failure to open it (`CannotOpen`).
        Err(error) => Err(StoreError::Unavailable(format!(
            "cannot create {}: {error}",
            path.display()
        ))),
    }
}

#[cfg(not(unix))]
fn create_owner_only(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Logs a warning if `file` exists and its mode gives other users any access.
#[cfg(unix)]
fn warn_if_shared(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(file) else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            file = %file.display(),
            mode = format!("{mode:04o}"),
            "this database file is open to other local users, and it holds every message; \
             `chmod 600` it (and its -wal and -shm files) unless that is intended"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_file: &Path) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_database_file_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("school.db");
        prepare(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn an_existing_file_keeps_its_mode_and_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("school.db");
        std::fs::write(&path, b"kept").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        prepare(&path).unwrap();
        assert_eq!(mode(&path), 0o640);
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    }

    #[test]
    fn special_names_are_left_to_sqlite() {
        for name in [":memory:", "", "file:x.db?mode=memory"] {
            prepare(Path::new(name)).unwrap();
        }
        assert!(!Path::new("file:x.db?mode=memory").exists());
    }

    #[test]
    fn a_missing_directory_is_an_unavailable_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("school.db");
        assert!(matches!(prepare(&path), Err(StoreError::Unavailable(_))));
    }
}
