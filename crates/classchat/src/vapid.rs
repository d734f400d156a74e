//! How people who are away are reached, as the binary configures it: email digests
//! through `CLASSCHAT_SMTP_URL`, and the VAPID key pair push services know this server by
//! (RFC 8292): from
//! `--vapid-private-key` / `CLASSCHAT_VAPID_PRIVATE_KEY`, from the file named by
//! `--vapid-private-key-file`, or generated once and kept beside the database like the
//! token signing secret. Browsers subscribe to the public half, so a new key silently
//! orphans every subscription: it is never replaced on its own.

use crate::cli::{NotifyArgs, OnOff};
use crate::secret::{read_or_generate, trim_newline};
use anyhow::{Context, bail};
use classchat_notify::DigestConfig;
use classchat_notify::mail::{MailConfig, Mailer};
use classchat_notify::push::{PushClient, PushConfig, VapidKeys};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one push may take before it counts as failed (and is retried).
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// The file that holds the generated VAPID key of the database at `db`.
pub fn key_path(db: &Path) -> PathBuf {
    let mut name = db
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_else(|| "classchat".into());
    name.push(".vapid-key");
    db.with_file_name(name)
}

/// The email digests `args` configure (signed links under `secret`), or `None` without a
/// mail server. `addr` is where this node listens, for links when no public address is
/// given.
pub fn digests(
    args: &NotifyArgs,
    addr: std::net::SocketAddr,
    secret: &[u8],
) -> anyhow::Result<Option<DigestConfig>> {
    let (Some(smtp_url), from) = (&args.smtp_url, &args.mail_from) else {
        return Ok(None);
    };
    let Some(from) = from else {
        bail!(
            "CLASSCHAT_SMTP_URL is set but CLASSCHAT_MAIL_FROM is not: digests need a From address"
        );
    };
    let config = MailConfig {
        smtp_url: smtp_url.clone(),
        from: from.clone(),
        timeout: MAIL_TIMEOUT,
    };
    let mailer = Mailer::new(&config).context("cannot set up email digests")?;
    let app_url = match &args.public_url {
        Some(url) => url.clone(),
        None => {
            tracing::warn!(
                "CLASSCHAT_PUBLIC_URL is not set: links in email digests point at http://{addr}/"
            );
            format!("http://{addr}/")
        }
    };
    Ok(Some(DigestConfig {
        mailer,
        after: args.digest_after,
        app_url,
        secret: secret.to_vec(),
    }))
}

/// How long one SMTP conversation may take.
const MAIL_TIMEOUT: Duration = Duration::from_secs(30);

/// The push client `args` configure, or `None` with push off.
pub fn push_client(args: &NotifyArgs, db: &Path) -> anyhow::Result<Option<PushClient>> {
    if args.push == OnOff::Off {
        return Ok(None);
    }
    let keys = keys(args, db)?;
    if args.push_allow_loopback {
        tracing::warn!(
            "CLASSCHAT_PUSH_ALLOW_LOOPBACK is set: push endpoints may be plain http on \
             loopback. This is a test setting; never use it for a school"
        );
    }
    let config = PushConfig {
        subject: args.vapid_subject.clone(),
        allow_loopback: args.push_allow_loopback,
        timeout: PUSH_TIMEOUT,
    };
    let client = PushClient::new(keys, config).context("cannot set up Web Push")?;
    Ok(Some(client))
}

fn keys(args: &NotifyArgs, db: &Path) -> anyhow::Result<VapidKeys> {
    let parse = |text: &str, from: &str| {
        VapidKeys::from_base64url(text).with_context(|| format!("the VAPID key in {from}"))
    };
    match (&args.vapid_private_key, &args.vapid_private_key_file) {
        (Some(_), Some(_)) => bail!(
            "the VAPID key is given twice: use either --vapid-private-key \
             (CLASSCHAT_VAPID_PRIVATE_KEY) or --vapid-private-key-file"
        ),
        (Some(value), None) => parse(value, "CLASSCHAT_VAPID_PRIVATE_KEY"),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the VAPID key file {}", path.display()))?;
            crate::files::warn_if_shared(path, "the VAPID private key");
            parse(trim_newline(&text), &path.display().to_string())
        }
        (None, None) => {
            let path = key_path(db);
            let text = read_or_generate(
                &path,
                "the VAPID private key",
                |kept| VapidKeys::from_base64url(kept).is_ok(),
                || VapidKeys::generate().private_base64url(),
            )?;
            parse(&text, &path.display().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> NotifyArgs {
        NotifyArgs {
            push: OnOff::On,
            vapid_private_key: None,
            vapid_private_key_file: None,
            vapid_subject: "mailto:office@school.example".into(),
            push_allow_loopback: false,
            smtp_url: None,
            mail_from: None,
            public_url: None,
            digest_after: Duration::from_secs(900),
            notify_every: Duration::from_secs(15),
        }
    }

    #[test]
    fn a_generated_key_is_kept_beside_the_database_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        let first = keys(&args(), &db).unwrap().public_base64url();
        let second = keys(&args(), &db).unwrap().public_base64url();
        assert_eq!(first, second);
        assert!(key_path(&db).exists());
        std::fs::write(key_path(&db), "not a key").unwrap();
        assert!(
            keys(&args(), &db).is_err(),
            "a broken key is never replaced"
        );
    }

    #[test]
    fn a_configured_key_wins_and_push_can_be_off() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("school.db");
        let key = VapidKeys::generate();
        let file = dir.path().join("vapid");
        std::fs::write(&file, format!("{}\n", key.private_base64url())).unwrap();
        let from_file = NotifyArgs {
            vapid_private_key_file: Some(file),
            ..args()
        };
        assert_eq!(
            keys(&from_file, &db).unwrap().public_base64url(),
            key.public_base64url()
        );
        let from_value = NotifyArgs {
            vapid_private_key: Some("garbage".into()),
            ..args()
        };
        assert!(keys(&from_value, &db).is_err());
        assert!(!key_path(&db).exists());
        let off = NotifyArgs {
            push: OnOff::Off,
            ..args()
        };
        assert!(push_client(&off, &db).unwrap().is_none());
    }
}
