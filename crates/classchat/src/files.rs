//! The files classchat writes hold the school's messages or the key to its tokens, so they
//! are created readable by their owner only (0600), whatever the umask. A file that
//! already exists keeps its mode — the operator may have given a group access on purpose —
//! but one that other users can reach is named in a warning. (The SQLite store does the
//! same for the database and its `-wal` and `-shm` files.)

use std::fs::File;
use std::path::Path;

/// Opens `path` for writing from the start, creating it 0600 if it does not exist.
pub fn create_owner_only(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    owner_only(&mut options);
    options.open(path)
}

/// Creates `path` 0600; fails if it exists.
pub fn create_new_owner_only(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    owner_only(&mut options);
    options.open(path)
}

#[cfg(unix)]
fn owner_only(options: &mut std::fs::OpenOptions) {
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
}

#[cfg(not(unix))]
fn owner_only(_options: &mut std::fs::OpenOptions) {}

/// Logs a warning if `path` exists and other users may read or write it; `holds` says what
/// is at stake.
#[cfg(unix)]
pub fn warn_if_shared(path: &Path, holds: &str) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            file = %path.display(),
            mode = format!("{mode:04o}"),
            "this file is open to other local users, and it holds {holds}; `chmod 600` it \
             unless that is intended"
        );
    }
}

/// Logs nothing: only Unix modes are checked.
#[cfg(not(unix))]
pub fn warn_if_shared(_path: &Path, _holds: &str) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        create_owner_only(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        let other = dir.path().join("new");
        create_new_owner_only(&other).unwrap();
        assert_eq!(mode(&other), 0o600);
        assert!(create_new_owner_only(&other).is_err(), "never overwritten");
    }

    #[test]
    fn an_existing_file_is_emptied_but_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, b"an older export").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut file = create_owner_only(&path).unwrap();
        file.write_all(b"new").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), 0o640);
    }
}
