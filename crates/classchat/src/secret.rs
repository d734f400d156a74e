//! The token signing secret: from `CLASSCHAT_JWT_SECRET`, or generated once and kept in a
//! file beside the database so that tokens survive restarts.

use anyhow::{Context, bail};
use rand::RngCore;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bytes of a generated secret.
const GENERATED_SECRET_BYTES: usize = 32;

/// The file that holds the generated secret of the database at `db`.
pub fn secret_path(db: &Path) -> PathBuf {
    let mut name = db
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_else(|| "classchat".into());
    name.push(".jwt-secret");
    db.with_file_name(name)
}

/// The configured secret, or the one kept beside `db` (created on first use, readable by
/// the owner only).
pub fn load_or_create(configured: Option<&str>, db: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured {
        if secret.len() < 16 {
            bail!("CLASSCHAT_JWT_SECRET must be at least 16 characters");
        }
        return Ok(secret.as_bytes().to_vec());
    }
    let path = secret_path(db);
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing.trim().len() >= 32 => {
            return Ok(existing.trim().as_bytes().to_vec());
        }
        Ok(_) => bail!(
            "{} is too short to be a secret; delete it to generate a new one",
            path.display()
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
    let mut bytes = [0u8; GENERATED_SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(secret.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new token signing secret");
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        let first = load_or_create(None, &db).unwrap();
        let second = load_or_create(None, &db).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
        assert!(dir.path().join("school.db.jwt-secret").exists());
    }

    #[test]
    fn configured_secret_wins_and_must_not_be_tiny() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        assert_eq!(
            load_or_create(Some("0123456789abcdef"), &db).unwrap(),
            b"0123456789abcdef"
        );
        assert!(load_or_create(Some("short"), &db).is_err());
        assert!(!secret_path(&db).exists());
    }
}
