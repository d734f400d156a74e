//! One push to one browser, with its retries: pauses that double after a 429, a 5xx or a
//! network error (a push service's `Retry-After` wins when longer), a subscription the
//! push service calls gone removed, a refusal given up at once.

use crate::metrics::NotifyMetrics;
use crate::notifier::NotifierConfig;
use crate::push::{PushClient, PushOutcome, Urgency};
use classchat_core::UserId;
use classchat_core::hub::Hub;
use classchat_core::notify::PushSubscription;
use classchat_core::store::{Store, StoreError};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// What the notifier's worker and its release job share: the store, who is online, the
/// push client, and the bound on deliveries in flight.
pub(crate) struct Pusher {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) hub: Arc<dyn Hub>,
    pub(crate) push: Arc<PushClient>,
    pub(crate) metrics: Arc<NotifyMetrics>,
    pub(crate) config: NotifierConfig,
    pub(crate) in_flight: Arc<Semaphore>,
}

impl Pusher {
    /// The browsers to push to for `user`, or `None` when there is nothing to do: they
    /// have an open connection on some node (counted), push off, or no subscription.
    pub(crate) async fn reachable(
        &self,
        user: &UserId,
    ) -> Result<Option<Vec<PushSubscription>>, StoreError> {
        if !self.hub.online(std::slice::from_ref(user)).await.is_empty() {
            NotifyMetrics::count(&self.metrics.online);
            return Ok(None);
        }
        if !self.store.notify_prefs(user).await?.push {
            return Ok(None);
        }
        let subscriptions = self.store.push_subscriptions(user).await?;
        Ok((!subscriptions.is_empty()).then_some(subscriptions))
    }

    /// Starts a delivery of `payload` to each of `subscriptions` (waiting only while the
    /// deliveries in flight are at their bound).
    pub(crate) async fn push_all(
        &self,
        user: &UserId,
        subscriptions: Vec<PushSubscription>,
        payload: Vec<u8>,
        urgency: Urgency,
    ) {
        let payload: Arc<[u8]> = payload.into();
        for subscription in subscriptions {
            let Ok(permit) = Arc::clone(&self.in_flight).acquire_owned().await else {
                return;
            };
            let delivery = Delivery {
                store: Arc::clone(&self.store),
                push: Arc::clone(&self.push),
                metrics: Arc::clone(&self.metrics),
                config: self.config,
                recipient: user.clone(),
                urgency,
            };
            let payload = Arc::clone(&payload);
            tokio::spawn(async move {
                delivery.run(&subscription, &payload).await;
                drop(permit);
            });
        }
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
