//! One push to one browser, with its retries: pauses that double after a 429, a 5xx or a
//! network error (a push service's `Retry-After` wins when longer), a subscription the
//! push service calls gone removed, a refusal given up at once.

use crate::metrics::NotifyMetrics;
use crate::notifier::NotifierConfig;
use crate::push::{PushClient, PushOutcome, Urgency};
use classchat_core::UserId;
use classchat_core::hub::Hub;
use classchat_core::notify::{Pending, PendingKind, PushSubscription};
use classchat_core::store::{Store, StoreError};
use classchat_core::time::Timestamp;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// What the notifier's worker and its release job share: the store, who is online, the
/// push client, and the bound on deliveries in flight.
pub(crate) struct Pusher {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) hub: Arc<dyn Hub>,
    /// Web Push, unless it is off on this server.
    pub(crate) push: Option<Arc<PushClient>>,
    pub(crate) metrics: Arc<NotifyMetrics>,
    pub(crate) config: NotifierConfig,
    pub(crate) in_flight: Arc<Semaphore>,
    /// How long after a message no push reached its reader an email digest waits; `None`
    /// when email is not configured.
    pub(crate) digest_after: Option<Duration>,
}

/// How a user can be reached now.
pub(crate) enum Reach {
    /// They have an open connection on some node: they see it live.
    Online,
    /// Away, with no browser to push to (none subscribed, or push off).
    Unreachable,
    /// Away, with these browsers.
    Push(Vec<PushSubscription>),
}

impl Pusher {
    /// How `user` can be reached now (an open connection is counted).
    pub(crate) async fn reach(&self, user: &UserId) -> Result<Reach, StoreError> {
        if !self.hub.online(std::slice::from_ref(user)).await.is_empty() {
            NotifyMetrics::count(&self.metrics.online);
            return Ok(Reach::Online);
        }
        if self.push.is_none() || !self.store.notify_prefs(user).await?.push {
            return Ok(Reach::Unreachable);
        }
        let subscriptions = self.store.push_subscriptions(user).await?;
        Ok(match subscriptions.is_empty() {
            true => Reach::Unreachable,
            false => Reach::Push(subscriptions),
        })
    }

    /// The email digest to keep for `user` if nothing else reaches them about messages
    /// since `since` (none when email is not configured).
    pub(crate) fn digest_for(&self, user: &UserId, since: Timestamp) -> Option<Pending> {
        let after = self.digest_after?;
        let micros = i64::try_from(after.as_micros()).unwrap_or(i64::MAX);
        Some(Pending {
            user: user.clone(),
            kind: PendingKind::Digest,
            due: since.plus_micros(micros),
            since,
        })
    }

    /// Keeps `fallback` (an email digest) in the store, if there is one.
    pub(crate) async fn fall_back(&self, fallback: Option<Pending>) -> Result<(), StoreError> {
        if let Some(pending) = fallback {
            self.store.put_pending(&pending).await?;
        }
        Ok(())
    }

    /// Starts a delivery of `payload` to each of `subscriptions` (waiting only while the
    /// deliveries in flight are at their bound). If none of them is delivered, `fallback`
    /// (an email digest) is kept in the store once the last one has given up.
    pub(crate) async fn push_all(
        &self,
        user: &UserId,
        subscriptions: Vec<PushSubscription>,
        payload: Vec<u8>,
        urgency: Urgency,
        fallback: Option<Pending>,
    ) {
        let Some(push) = &self.push else {
            return;
        };
        let payload: Arc<[u8]> = payload.into();
        let outcome = Arc::new(Outcome {
            left: AtomicUsize::new(subscriptions.len()),
            delivered: AtomicBool::new(false),
            fallback: Mutex::new(fallback),
        });
        for subscription in subscriptions {
            let Ok(permit) = Arc::clone(&self.in_flight).acquire_owned().await else {
                return;
            };
            let delivery = Delivery {
                store: Arc::clone(&self.store),
                push: Arc::clone(push),
                metrics: Arc::clone(&self.metrics),
                config: self.config,
                recipient: user.clone(),
                urgency,
            };
            let payload = Arc::clone(&payload);
            let outcome = Arc::clone(&outcome);
            let store = Arc::clone(&self.store);
            tokio::spawn(async move {
                let delivered = delivery.run(&subscription, &payload).await;
                drop(permit);
                if let Some(fallback) = outcome.finished(delivered) {
                    if let Err(error) = store.put_pending(&fallback).await {
                        tracing::warn!(%error, "an email digest could not be kept after pushes failed");
                    }
                }
            });
        }
    }
}

/// How the deliveries of one push went, so the last to finish knows whether any
/// succeeded.
struct Outcome {
    left: AtomicUsize,
    delivered: AtomicBool,
    fallback: Mutex<Option<Pending>>,
}

impl Outcome {
    /// Records one delivery's end; the fallback to keep, if this was the last and none
    /// was delivered.
    fn finished(&self, delivered: bool) -> Option<Pending> {
        if delivered {
            self.delivered.store(true, Ordering::SeqCst);
        }
        let last = self.left.fetch_sub(1, Ordering::SeqCst) == 1;
        if last && !self.delivered.load(Ordering::SeqCst) {
            return self
                .fallback
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
        }
        None
    }
}

/// One push to one browser, with its retries.
pub(crate) struct Delivery {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) push: Arc<PushClient>,
    pub(crate) metrics: Arc<NotifyMetrics>,
    pub(crate) config: NotifierConfig,
    pub(crate) recipient: UserId,
    /// How soon the push service should wake the browser (an urgent message: at once,
    /// even on a battery saver).
    pub(crate) urgency: Urgency,
}

impl Delivery {
    /// Pushes `payload` to `subscription` until it is delivered, gone, refused, or out of
    /// attempts; whether it was delivered.
    pub(crate) async fn run(&self, subscription: &PushSubscription, payload: &[u8]) -> bool {
        let mut pause = self.config.backoff;
        for attempt in 1..=self.config.attempts.max(1) {
            let outcome = self
                .push
                .deliver(subscription, payload, self.config.ttl, self.urgency)
                .await;
            let wait = match outcome {
                PushOutcome::Delivered => {
                    NotifyMetrics::count(&self.metrics.delivered);
                    return true;
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
                    return false;
                }
                PushOutcome::Rejected(why) => {
                    NotifyMetrics::count(&self.metrics.failed);
                    tracing::info!(%why, "a push service refused a push");
                    return false;
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
        false
    }
}
