//! The token signing secret: from `--jwt-secret` / `CLASSCHAT_JWT_SECRET`, from the file
//! named by `--jwt-secret-file` / `CLASSCHAT_JWT_SECRET_FILE`, or generated once and kept
//! in a file beside the database so that tokens survive restarts.
//!
//! However it is given, a secret has at least [`MIN_SECRET_BYTES`] bytes: HS256 signs with
//! a 256-bit key, and a shorter secret is guessable offline from any one token. The Lambda
//! functions hold theirs to the same bound.

use crate::files;
use anyhow::{Context, bail};
use rand::RngCore;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The fewest bytes a signing secret may have, however it is given.
pub const MIN_SECRET_BYTES: usize = 32;

/// Random bytes of a generated secret (kept as twice as many hex digits).
const GENERATED_SECRET_BYTES: usize = 32;

/// How the operator gave the secret, if they did.
#[derive(Debug, Clone, Copy, Default)]
pub enum Configured<'a> {
    /// Neither way: use (or generate) the one kept beside the database.
    #[default]
    Nothing,
    /// The value itself (`--jwt-secret`, `CLASSCHAT_JWT_SECRET`).
    Value(&'a str),
    /// A file holding it (`--jwt-secret-file`, `CLASSCHAT_JWT_SECRET_FILE`).
    File(&'a Path),
}

impl<'a> Configured<'a> {
    /// The secret given by the two settings; both at once is refused, as neither could be
    /// said to win without surprising someone.
    pub fn from_settings(value: Option<&'a str>, file: Option<&'a Path>) -> anyhow::Result<Self> {
        match (value, file) {
            (None, None) => Ok(Self::Nothing),
            (Some(value), None) => Ok(Self::Value(value)),
            (None, Some(file)) => Ok(Self::File(file)),
            (Some(_), Some(_)) => bail!(
                "the token signing secret is given twice: use either --jwt-secret \
                 (CLASSCHAT_JWT_SECRET) or --jwt-secret-file (CLASSCHAT_JWT_SECRET_FILE)"
            ),
        }
    }
}

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
pub fn load_or_create(configured: Configured<'_>, db: &Path) -> anyhow::Result<Vec<u8>> {
    match configured {
        Configured::Value(secret) => {
            long_enough(secret, "CLASSCHAT_JWT_SECRET (--jwt-secret)")?;
            Ok(secret.as_bytes().to_vec())
        }
        Configured::File(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the secret file {}", path.display()))?;
            files::warn_if_shared(path, "the token signing secret");
            let secret = trim_newline(&text);
            long_enough(secret, &format!("the secret in {}", path.display()))?;
            Ok(secret.as_bytes().to_vec())
        }
        Configured::Nothing => kept_beside(db),
    }
}

/// Refuses a secret shorter than [`MIN_SECRET_BYTES`], naming where it came from.
fn long_enough(secret: &str, what: &str) -> anyhow::Result<()> {
    if secret.len() < MIN_SECRET_BYTES {
        bail!(
            "{what} is {} bytes; a token signing secret needs at least {MIN_SECRET_BYTES} \
             (e.g. `openssl rand -hex 32`)",
            secret.len()
        );
    }
    Ok(())
}

/// The generated secret beside `db`, created on first use.
fn kept_beside(db: &Path) -> anyhow::Result<Vec<u8>> {
    let secret = read_or_generate(
        &secret_path(db),
        "the token signing secret",
        |existing| existing.len() >= MIN_SECRET_BYTES,
        || {
            let mut bytes = [0u8; GENERATED_SECRET_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            bytes.iter().map(|byte| format!("{byte:02x}")).collect()
        },
    )?;
    Ok(secret.into_bytes())
}

/// The key kept in `path` (trimmed), or a new one from `generate` written there 0600 on
/// first use. `holds` names it in messages; a kept one that `usable` refuses is an error
/// (never silently replaced: tokens or subscriptions depend on it).
pub fn read_or_generate(
    path: &Path,
    holds: &str,
    usable: impl Fn(&str) -> bool,
    generate: impl FnOnce() -> String,
) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(existing) if usable(existing.trim()) => {
            files::warn_if_shared(path, holds);
            return Ok(existing.trim().to_owned());
        }
        Ok(_) => bail!(
            "{} does not hold a usable key ({holds}); delete it to generate a new one",
            path.display()
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
    let key = generate();
    let mut file = files::create_new_owner_only(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(key.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated {holds}");
    Ok(key)
}

/// `text` without the line ending editors and `echo` leave at the end of a file.
pub fn trim_newline(text: &str) -> &str {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.strip_suffix('\r').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn generated_secret_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        let first = load_or_create(Configured::Nothing, &db).unwrap();
        let second = load_or_create(Configured::Nothing, &db).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 2 * GENERATED_SECRET_BYTES);
        assert!(first.len() >= MIN_SECRET_BYTES);
        assert!(dir.path().join("school.db.jwt-secret").exists());
    }

    #[cfg(unix)]
    #[test]
    fn generated_secret_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        load_or_create(Configured::Nothing, &db).unwrap();
        let mode = std::fs::metadata(secret_path(&db))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn configured_secret_wins_and_needs_32_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        assert_eq!(
            load_or_create(Configured::Value(LONG), &db).unwrap(),
            LONG.as_bytes()
        );
        let short = &LONG[..31];
        let error = load_or_create(Configured::Value(short), &db).unwrap_err();
        assert!(error.to_string().contains("at least 32"), "{error}");
        assert!(!secret_path(&db).exists());
    }

    #[test]
    fn a_secret_file_is_read_without_its_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        for contents in [format!("{LONG}\n"), format!("{LONG}\r\n"), LONG.to_owned()] {
            let file = dir.path().join("secret");
            std::fs::write(&file, &contents).unwrap();
            assert_eq!(
                load_or_create(Configured::File(&file), &db).unwrap(),
                LONG.as_bytes(),
                "{contents:?}"
            );
        }
        assert!(!secret_path(&db).exists());
    }

    #[test]
    fn a_short_empty_or_missing_secret_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        let file = dir.path().join("secret");
        // 31 bytes and a newline: the newline does not count.
        std::fs::write(&file, format!("{}\n", &LONG[..31])).unwrap();
        assert!(load_or_create(Configured::File(&file), &db).is_err());
        std::fs::write(&file, "").unwrap();
        assert!(load_or_create(Configured::File(&file), &db).is_err());
        let missing = dir.path().join("absent");
        let error = load_or_create(Configured::File(&missing), &db).unwrap_err();
        assert!(format!("{error:#}").contains("absent"), "{error:#}");
    }

    #[test]
    fn a_secret_given_twice_is_refused() {
        let file = Path::new("/run/secrets/jwt");
        assert!(Configured::from_settings(Some(LONG), Some(file)).is_err());
        assert!(matches!(
            Configured::from_settings(None, Some(file)),
            Ok(Configured::File(_))
        ));
        assert!(matches!(
            Configured::from_settings(None, None),
            Ok(Configured::Nothing)
        ));
    }
}
