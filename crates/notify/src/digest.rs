//! Email digests: one email naming the conversations someone has not read, for a person
//! no push reached, sent by the release job when it is due.
//!
//! A digest waits in the store ([`PendingKind::Digest`]) from the first message no push
//! reached, for [`DigestConfig::after`]. When it is due the job has already taken it (so
//! it is sent at most once); it is then dropped if the person is online, has read
//! everything, has digests off or no address; moved to the end of their quiet hours if
//! they are in them; moved an hour on if they had one in the last hour (a lease per
//! person keeps that across nodes); and otherwise sent. A mail server that is down for a
//! moment gets it again a few minutes later (it was not sent, so it cannot be twice).

use crate::delivery::{Pusher, Reach};
use crate::mail::{DigestEmail, DigestLine, MailError, Mailer};
use crate::metrics::NotifyMetrics;
use classchat_core::ConversationId;
use classchat_core::notify::email::unsubscribe_token;
use classchat_core::notify::{Pending, PendingKind};
use classchat_core::store::StoreError;
use classchat_core::time::Timestamp;
use classchat_core::user::Role;
use std::time::Duration;

/// At most one digest per person in this long.
const DIGEST_EVERY_MICROS: i64 = 60 * 60 * 1_000_000;
/// How long a digest waits after a mail server failed to take it.
const RETRY_MICROS: i64 = 5 * 60 * 1_000_000;

/// How email digests are sent.
#[derive(Clone)]
pub struct DigestConfig {
    /// The SMTP client.
    pub mailer: Mailer,
    /// How long a message stays unread, with no push delivered for it, before a digest
    /// goes (15 minutes by default).
    pub after: Duration,
    /// The web client's public address (`https://chat.school.example/`), for the links.
    pub app_url: String,
    /// The server's secret, which signs unsubscribe links.
    pub secret: Vec<u8>,
}

/// Sends due digests.
pub(crate) struct Digests {
    pub(crate) config: DigestConfig,
}

impl Digests {
    /// Sends the digest `pending` (already taken from the store), or puts it back for
    /// later, or drops it: see the module docs.
    pub(crate) async fn send(
        &self,
        pusher: &Pusher,
        pending: &Pending,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let store = &pusher.store;
        let user = &pending.user;
        if matches!(pusher.reach(user).await?, Reach::Online) {
            return Ok(());
        }
        let prefs = store.notify_prefs(user).await?;
        let (Some(email), true) = (prefs.email.clone(), prefs.email_digest) else {
            return Ok(());
        };
        let Some(record) = store.get_user(user).await? else {
            return Ok(());
        };
        if record.user.disabled {
            return Ok(());
        }
        let settings = store.settings().await?;
        let hours = match record.user.role {
            Role::Teacher => prefs.hours.clone(),
            _ => settings.quiet_hours.clone(),
        };
        if let Some(until) = hours.and_then(|hours| hours.quiet_until(now)) {
            return self.later(pusher, pending, until).await;
        }
        let unread: Vec<_> = store
            .active_conversations(user)
            .await?
            .into_iter()
            .filter(|contact| contact.unread_count > 0)
            .collect();
        if unread.is_empty() {
            return Ok(());
        }
        // One per hour, across nodes: a lease nobody renews, named after the person.
        let holder = ulid::Ulid::new().to_string();
        let lease = format!("digest:{user}");
        let until = now.plus_micros(DIGEST_EVERY_MICROS);
        if !store.try_lease(&lease, &holder, now, until).await? {
            return self.later(pusher, pending, until).await;
        }
        let app_url = self.app_url();
        let lines = unread
            .iter()
            .map(|contact| DigestLine {
                peer_name: contact.peer.display_name.to_string(),
                unread: contact.unread_count,
                url: format!("{app_url}{}", conversation_path(&contact.conversation_id)),
                text: contact
                    .last_message
                    .as_ref()
                    .filter(|message| settings.digest_text && message.author != *user)
                    .map(|message| message.body.as_str().to_owned()),
            })
            .collect();
        let digest = DigestEmail {
            to: email.to_string(),
            recipient_name: record.user.display_name.to_string(),
            lines,
            app_url: app_url.clone(),
            unsubscribe_url: format!(
                "{app_url}unsubscribe?token={}",
                unsubscribe_token(&self.config.secret, user)
            ),
        };
        match self.config.mailer.send(&digest).await {
            Ok(()) => NotifyMetrics::count(&pusher.metrics.emailed),
            Err(MailError::Transient(why)) => {
                tracing::info!(%why, "a digest could not be sent yet; trying again later");
                NotifyMetrics::count(&pusher.metrics.email_retried);
                return self
                    .later(pusher, pending, now.plus_micros(RETRY_MICROS))
                    .await;
            }
            Err(error) => {
                tracing::warn!(%error, "a digest was refused");
                NotifyMetrics::count(&pusher.metrics.email_failed);
            }
        }
        Ok(())
    }

    /// Puts `pending` back, due at `due`.
    async fn later(
        &self,
        pusher: &Pusher,
        pending: &Pending,
        due: Timestamp,
    ) -> Result<(), StoreError> {
        let again = Pending {
            due,
            kind: PendingKind::Digest,
            ..pending.clone()
        };
        pusher.store.put_pending(&again).await
    }

    /// The public address, ending in `/`.
    fn app_url(&self) -> String {
        let url = self.config.app_url.trim_end_matches('/');
        format!("{url}/")
    }
}

/// The web client's path of a conversation, after the public address.
fn conversation_path(conversation: &ConversationId) -> String {
    crate::notifier::conversation_url(conversation)
        .trim_start_matches('/')
        .to_owned()
}
