//! [`AppSyncHub`]: the deployment's hub when it has an AppSync API. Every event goes to the
//! WebSocket API's connections (the inner hub) and to AppSync's subscriptions
//! ([`AppSyncPublisher`]), side by side, so a message reaches `/chat/ws` clients and
//! GraphQL subscribers alike whichever function stored it; a revocation closes both.

use super::publisher::AppSyncPublisher;
use async_trait::async_trait;
use classchat_core::{Delivery, Event, Hub, Revocation, UserId};
use std::sync::Arc;

/// The inner hub, and AppSync beside it.
pub struct AppSyncHub {
    inner: Arc<dyn Hub>,
    appsync: AppSyncPublisher,
}

impl AppSyncHub {
    /// `inner`'s deliveries, and AppSync's.
    pub fn new(inner: Arc<dyn Hub>, appsync: AppSyncPublisher) -> Self {
        Self { inner, appsync }
    }
}

#[async_trait]
impl Hub for AppSyncHub {
    async fn publish(&self, delivery: &Delivery, event: &Event) {
        tokio::join!(
            self.inner.publish(delivery, event),
            self.appsync.publish(delivery, event)
        );
    }

    async fn online(&self, users: &[UserId]) -> Vec<UserId> {
        self.inner.online(users).await
    }

    async fn connection_opened(&self, user: &UserId, first_here: bool) -> bool {
        self.inner.connection_opened(user, first_here).await
    }

    async fn connection_closed(&self, user: &UserId, last_here: bool) -> bool {
        self.inner.connection_closed(user, last_here).await
    }

    async fn revoke(&self, user: &UserId, why: Revocation) {
        tokio::join!(
            self.inner.revoke(user, why),
            self.appsync.end_user_sessions(user, why)
        );
    }
}
