//! The release job: sends, once, what quiet hours held, and the email digests that are
//! due.
//!
//! Every node runs it; one at a time does the work, the one holding the `notices` lease
//! in the store (renewed each round, taken over by another node within a lease's length
//! after a crash). Each round it lists the held notifications that are due, takes each
//! one from the store before sending it (so a notification is sent at most once, whatever
//! crashes), and pushes a summary of what is still unread — nothing if the person has
//! read it all meanwhile or is online now.

use crate::delivery::{Pusher, Reach};
use crate::digest::Digests;
use crate::metrics::NotifyMetrics;
use crate::notifier::{NotifierConfig, conversation_url};
use crate::push::{PushPayload, Urgency};
use classchat_core::notify::{Pending, PendingKind};
use classchat_core::store::StoreError;
use classchat_core::time::Clock;
use std::sync::Arc;
use std::time::Duration;

/// The lease's name in the store.
pub(crate) const LEASE: &str = "notices";
/// Due notifications taken per round at most (the rest wait for the next round).
const BATCH: usize = 100;

/// Releases held notifications when they are due.
pub(crate) struct ReleaseJob {
    pusher: Arc<Pusher>,
    clock: Arc<dyn Clock>,
    /// This node's name as a lease holder: new at each start.
    holder: String,
    every: Duration,
    lease: Duration,
    /// Email digests, when email is configured.
    digests: Option<Digests>,
}

impl ReleaseJob {
    pub(crate) fn new(
        pusher: Arc<Pusher>,
        clock: Arc<dyn Clock>,
        config: NotifierConfig,
        digests: Option<Digests>,
    ) -> Self {
        Self {
            pusher,
            clock,
            holder: ulid::Ulid::new().to_string(),
            every: config.release_every,
            lease: config.lease,
            digests,
        }
    }

    /// Runs a round every so often, for as long as the process lives.
    pub(crate) async fn run(self) {
        let mut ticks = tokio::time::interval(self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = self.round().await {
                tracing::warn!(%error, "the release of held notifications failed this round");
            }
        }
    }

    /// One round: if this node holds the lease, sends what is due. Returns how many held
    /// notifications it took.
    pub(crate) async fn round(&self) -> Result<usize, StoreError> {
        let store = &self.pusher.store;
        let now = self.clock.now();
        let lease_micros = i64::try_from(self.lease.as_micros()).unwrap_or(i64::MAX);
        if !store
            .try_lease(LEASE, &self.holder, now, now.plus_micros(lease_micros))
            .await?
        {
            return Ok(0);
        }
        let mut taken = 0;
        for pending in store.due_pending(now, BATCH).await? {
            // Taken first: once taken it is never sent again, whatever happens next.
            if !store.take_pending(&pending).await? {
                continue;
            }
            taken += 1;
            match (pending.kind, &self.digests) {
                (PendingKind::Held, _) => self.release(&pending).await?,
                (PendingKind::Digest, Some(digests)) => {
                    digests.send(&self.pusher, &pending, now).await?;
                }
                // Email is no longer configured: nothing can send it.
                (PendingKind::Digest, None) => {}
            }
        }
        Ok(taken)
    }

    /// Pushes what `pending`'s user has still not read, if they are away.
    async fn release(&self, pending: &Pending) -> Result<(), StoreError> {
        let user = &pending.user;
        let digest = self.pusher.digest_for(user, pending.since);
        let subscriptions = match self.pusher.reach(user).await? {
            Reach::Online => return Ok(()),
            Reach::Unreachable => return self.pusher.fall_back(digest).await,
            Reach::Push(subscriptions) => subscriptions,
        };
        let unread: Vec<_> = self
            .pusher
            .store
            .active_conversations(user)
            .await?
            .into_iter()
            .filter(|contact| contact.unread_count > 0)
            .collect();
        let total: u64 = unread.iter().map(|contact| contact.unread_count).sum();
        let Some(first) = unread.first() else {
            return Ok(());
        };
        let messages = if total == 1 {
            "1 new message".to_owned()
        } else {
            format!("{total} new messages")
        };
        let payload = if unread.len() == 1 {
            PushPayload {
                title: first.peer.display_name.to_string(),
                body: messages,
                conversation_id: first.conversation_id.to_string(),
                message_id: first
                    .last_message
                    .as_ref()
                    .map(|message| message.message_id.to_string())
                    .unwrap_or_default(),
                url: conversation_url(&first.conversation_id),
                tag: first.conversation_id.to_string(),
            }
        } else {
            PushPayload {
                title: "classchat".to_owned(),
                body: format!("{messages} in {} conversations", unread.len()),
                conversation_id: String::new(),
                message_id: String::new(),
                url: "/".to_owned(),
                tag: "classchat-held".to_owned(),
            }
        };
        NotifyMetrics::count(&self.pusher.metrics.released);
        self.pusher
            .push_all(
                user,
                subscriptions,
                payload.to_bytes(),
                Urgency::Normal,
                digest,
            )
            .await;
        Ok(())
    }
}
