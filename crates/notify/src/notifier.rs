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

use crate::metrics::NotifyMetrics;
use crate::push::{PushClient, PushOutcome, PushPayload, Urgency};
use async_trait::async_trait;
use classchat_core::hub::Hub;
use classchat_core::notify::{EndpointRefused, Notice, Notifier, PushSubscription};
use classchat_core::store::Store;
use classchat_core::{ConversationId, UserId};
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
        }
    }
}

/// Characters of a message shown in a push, when the school allows previews.
const PREVIEW_CHARS: usize = 120;

/// Reaches people who are away by Web Push.
pub struct PushNotifier {
    queue: mpsc::Sender<Notice>,
    push: Arc<PushClient>,
    metrics: Arc<NotifyMetrics>,
}

impl PushNotifier {
    /// Starts the worker (on the current tokio runtime) and returns the notifier to hand
    /// the service.
    pub fn start(
        store: Arc<dyn Store>,
        hub: Arc<dyn Hub>,
        push: PushClient,
        config: NotifierConfig,
    ) -> Arc<Self> {
        let (queue, notices) = mpsc::channel(config.queue.max(1));
        let push = Arc::new(push);
        let metrics = Arc::new(NotifyMetrics::default());
        let worker = Worker {
            store,
            hub,
            push: Arc::clone(&push),
            metrics: Arc::clone(&metrics),
            config,
            in_flight: Arc::new(Semaphore::new(config.concurrency.max(1))),
        };
        tokio::spawn(worker.run(notices));
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
        self.push.check_endpoint(endpoint).await
    }

    fn vapid_public_key(&self) -> Option<String> {
        Some(self.push.public_key())
    }
}

/// Takes notices off the queue, one at a time, and starts their deliveries.
struct Worker {
    store: Arc<dyn Store>,
    hub: Arc<dyn Hub>,
    push: Arc<PushClient>,
    metrics: Arc<NotifyMetrics>,
    config: NotifierConfig,
    in_flight: Arc<Semaphore>,
}

impl Worker {
    async fn run(self, mut notices: mpsc::Receiver<Notice>) {
        while let Some(notice) = notices.recv().await {
            if let Err(error) = self.take(notice).await {
                tracing::warn!(%error, "a notification could not be prepared");
            }
        }
    }

    async fn take(&self, notice: Notice) -> Result<(), classchat_core::store::StoreError> {
        if notice.quiet_until.is_some() {
            NotifyMetrics::count(&self.metrics.held);
            return Ok(());
        }
        let recipient = &notice.recipient;
        if !self
            .hub
            .online(std::slice::from_ref(recipient))
            .await
            .is_empty()
        {
            NotifyMetrics::count(&self.metrics.online);
            return Ok(());
        }
        if !self.store.notify_prefs(recipient).await?.push {
            return Ok(());
        }
        let subscriptions = self.store.push_subscriptions(recipient).await?;
        if subscriptions.is_empty() {
            return Ok(());
        }
        let payload = self.payload(&notice).await?.to_bytes();
        for subscription in subscriptions {
            let Ok(permit) = Arc::clone(&self.in_flight).acquire_owned().await else {
                return Ok(());
            };
            let delivery = Delivery {
                store: Arc::clone(&self.store),
                push: Arc::clone(&self.push),
                metrics: Arc::clone(&self.metrics),
                config: self.config,
                recipient: recipient.clone(),
            };
            let payload = payload.clone();
            tokio::spawn(async move {
                delivery.run(&subscription, &payload).await;
                drop(permit);
            });
        }
        Ok(())
    }

    /// What the browser shows: who wrote, and the start of the message if the school
    /// allows previews.
    async fn payload(
        &self,
        notice: &Notice,
    ) -> Result<PushPayload, classchat_core::store::StoreError> {
        let message = &notice.message;
        let (author, settings) =
            tokio::join!(self.store.get_user(&message.author), self.store.settings());
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

/// One push to one browser, with its retries.
struct Delivery {
    store: Arc<dyn Store>,
    push: Arc<PushClient>,
    metrics: Arc<NotifyMetrics>,
    config: NotifierConfig,
    recipient: UserId,
}

impl Delivery {
    async fn run(&self, subscription: &PushSubscription, payload: &[u8]) {
        let mut pause = self.config.backoff;
        for attempt in 1..=self.config.attempts.max(1) {
            let outcome = self
                .push
                .deliver(subscription, payload, self.config.ttl, Urgency::Normal)
                .await;
            let wait = match outcome {
                PushOutcome::Delivered => {
                    NotifyMetrics::count(&self.metrics.delivered);
                    return;
                }
                PushOutcome::Gone => {
                    NotifyMetrics::count(&self.metrics.gone);
                    let removed = self
                        .store
                        .remove_push_subscription(&self.recipient, &subscription.endpoint)
                        .await;
                    if let Err(error) = removed {
                        tracing::warn!(%error, "a gone push subscription could not be removed");
                    }
                    return;
                }
                PushOutcome::Rejected(why) => {
                    NotifyMetrics::count(&self.metrics.failed);
                    tracing::info!(%why, "a push service refused a push");
                    return;
                }
                PushOutcome::RetryLater(after) => after.unwrap_or(pause).max(pause),
                PushOutcome::Failed(why) => {
                    tracing::debug!(%why, attempt, "a push failed; retrying");
                    pause
                }
            };
            if attempt == self.config.attempts.max(1) {
                break;
            }
            NotifyMetrics::count(&self.metrics.retried);
            tokio::time::sleep(wait.min(self.config.max_backoff)).await;
            pause = (pause * 2).min(self.config.max_backoff);
        }
        NotifyMetrics::count(&self.metrics.failed);
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
fn conversation_url(conversation: &ConversationId) -> String {
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
