//! [`PushNotifier`]: the core's `Notifier` over Web Push.
//!
//! A send hands it a notice and moves on: the notice goes into a bounded queue (full: the
//! notice is dropped and counted, never waited for). One worker takes notices in order;
//! for each, nothing happens if the recipient is in quiet hours (held: counted; sent when
//! the hours begin) or has an open connection on any node (the hub answers for all of
//! them). Otherwise it pushes to each of the recipient's browsers, if they have push on.
//! Deliveries run concurrently up to a bound, each retried with growing pauses after a
//! 429, a 5xx or a network error; a subscription the push service calls gone (404, 410) is
//! removed.

use crate::delivery::{Pusher, Reach};
use crate::digest::{DigestConfig, Digests};
use crate::metrics::NotifyMetrics;
use crate::push::{PushClient, PushPayload, Urgency};
use crate::release::ReleaseJob;
use async_trait::async_trait;
use classchat_core::ConversationId;
use classchat_core::hub::Hub;
use classchat_core::notify::{EndpointRefused, Notice, Notifier, Pending, PendingKind};
use classchat_core::store::{Store, StoreError};
use classchat_core::time::Clock;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

/// How the notifier queues and retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifierConfig {
    /// Notices waiting at most; beyond it new ones are dropped.
    pub queue: usize,
    /// Deliveries in flight at most.
    pub concurrency: usize,
    /// Attempts per delivery (the first included).
    pub attempts: u32,
    /// The pause before the first retry; each further one doubles it (a push service's
    /// `Retry-After` wins when longer).
    pub backoff: Duration,
    /// The longest pause between attempts.
    pub max_backoff: Duration,
    /// How long a push service keeps a push for a browser that is offline.
    pub ttl: Duration,
    /// How often the release job looks for held notifications that are due.
    pub release_every: Duration,
    /// How long a node's lease on the release job lasts unless renewed (another node
    /// takes over after a crash within this long).
    pub lease: Duration,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        Self {
            queue: 4096,
            concurrency: 32,
            attempts: 4,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            ttl: Duration::from_secs(24 * 60 * 60),
            release_every: Duration::from_secs(15),
            lease: Duration::from_secs(60),
        }
    }
}

/// Characters of a message shown in a push, when the school allows previews.
const PREVIEW_CHARS: usize = 120;

/// Reaches people who are away by Web Push.
pub struct PushNotifier {
    queue: mpsc::Sender<Notice>,
    push: Option<Arc<PushClient>>,
    metrics: Arc<NotifyMetrics>,
}

impl PushNotifier {
    /// Starts the worker (on the current tokio runtime) and returns the notifier to hand
    /// the service.
    pub fn start(
        store: Arc<dyn Store>,
        hub: Arc<dyn Hub>,
        push: Option<PushClient>,
        clock: Arc<dyn Clock>,
        config: NotifierConfig,
        digests: Option<DigestConfig>,
    ) -> Arc<Self> {
        let (queue, notices) = mpsc::channel(config.queue.max(1));
        let push = push.map(Arc::new);
        let metrics = Arc::new(NotifyMetrics::default());
        let pusher = Arc::new(Pusher {
            store,
            hub,
            push: push.clone(),
            metrics: Arc::clone(&metrics),
            config,
            in_flight: Arc::new(Semaphore::new(config.concurrency.max(1))),
            digest_after: digests.as_ref().map(|digests| digests.after),
        });
        let worker = Worker {
            pusher: Arc::clone(&pusher),
        };
        tokio::spawn(worker.run(notices));
        let digests = digests.map(|config| Digests { config });
        tokio::spawn(ReleaseJob::new(pusher, clock, config, digests).run());
        Arc::new(Self {
            queue,
            push,
            metrics,
        })
    }

    /// The counters, for `/metrics`.
    pub fn metrics(&self) -> Arc<NotifyMetrics> {
        Arc::clone(&self.metrics)
    }
}

#[async_trait]
impl Notifier for PushNotifier {
    fn message_stored(&self, notice: Notice) {
        match self.queue.try_send(notice) {
            Ok(()) => NotifyMetrics::count(&self.metrics.queued),
            Err(_) => NotifyMetrics::count(&self.metrics.dropped),
        }
    }

    async fn check_endpoint(&self, endpoint: &str) -> Result<(), EndpointRefused> {
        match &self.push {
            Some(push) => push.check_endpoint(endpoint).await,
            None => Err(EndpointRefused(
                "push notifications are off on this server".into(),
            )),
        }
    }

    fn vapid_public_key(&self) -> Option<String> {
        self.push.as_ref().map(|push| push.public_key())
    }
}

/// Takes notices off the queue, one at a time, and starts their deliveries.
struct Worker {
    pusher: Arc<Pusher>,
}

impl Worker {
    async fn run(self, mut notices: mpsc::Receiver<Notice>) {
        while let Some(notice) = notices.recv().await {
            if let Err(error) = self.take(notice).await {
                tracing::warn!(%error, "a notification could not be prepared");
            }
        }
    }

    async fn take(&self, notice: Notice) -> Result<(), StoreError> {
        let recipient = &notice.recipient;
        let digest = self.pusher.digest_for(recipient, notice.message.timestamp);
        let subscriptions = match self.pusher.reach(recipient).await? {
            Reach::Online => return Ok(()),
            // No browser to push to: only an email digest can tell them (it keeps to
            // their quiet hours on its own).
            Reach::Unreachable => return self.pusher.fall_back(digest).await,
            Reach::Push(subscriptions) => subscriptions,
        };
        if let Some(due) = notice.quiet_until {
            // Kept in the store, so a restart loses nothing; the release job sends it
            // once when the hours begin.
            let held = Pending {
                user: recipient.clone(),
                kind: PendingKind::Held,
                due,
                since: notice.message.timestamp,
            };
            self.pusher.store.put_pending(&held).await?;
            NotifyMetrics::count(&self.pusher.metrics.held);
            return Ok(());
        }
        let payload = self.payload(&notice).await?.to_bytes();
        let urgency = match notice.urgent {
            true => Urgency::High,
            false => Urgency::Normal,
        };
        self.pusher
            .push_all(recipient, subscriptions, payload, urgency, digest)
            .await;
        Ok(())
    }

    /// What the browser shows: who wrote, and the start of the message if the school
    /// allows previews.
    async fn payload(&self, notice: &Notice) -> Result<PushPayload, StoreError> {
        let message = &notice.message;
        let store = &self.pusher.store;
        let (author, settings) = tokio::join!(store.get_user(&message.author), store.settings());
        let title = author?
            .map(|record| record.user.display_name.to_string())
            .unwrap_or_else(|| message.author.to_string());
        let body = if settings?.push_preview {
            preview(message.body.as_str())
        } else if message.announcement_id.is_some() {
            "New announcement".to_owned()
        } else {
            "New message".to_owned()
        };
        Ok(PushPayload {
            title,
            body,
            conversation_id: message.conversation_id.to_string(),
            message_id: message.message_id.to_string(),
            url: conversation_url(&message.conversation_id),
            tag: message.conversation_id.to_string(),
        })
    }
}

/// The first [`PREVIEW_CHARS`] characters of a message, on one line.
fn preview(body: &str) -> String {
    let line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= PREVIEW_CHARS {
        return line;
    }
    let cut: String = line.chars().take(PREVIEW_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The web client's address of a conversation (`/#/c/<id>`, the `+` encoded).
pub(crate) fn conversation_url(conversation: &ConversationId) -> String {
    format!("/#/c/{}", conversation.to_string().replace('+', "%2B"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("hello\n  there"), "hello there");
        let long = "word ".repeat(100);
        let cut = preview(&long);
        assert_eq!(cut.chars().count(), PREVIEW_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn links_open_the_conversation_in_the_web_client() {
        let conversation = ConversationId::parse_canonical("s1+t1").unwrap();
        assert_eq!(conversation_url(&conversation), "/#/c/s1%2Bt1");
    }
}
