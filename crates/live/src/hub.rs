//! The single-process hub: events go straight into this process's registry.

use crate::event::LiveEvent;
use crate::registry::Registry;
use async_trait::async_trait;
use classchat_core::{Delivery, Event, Hub, Revocation, UserId};
use std::sync::Arc;

/// The [`Hub`] of a single node.
pub struct LocalHub {
    registry: Arc<Registry>,
}

impl LocalHub {
    /// A hub over `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }
}

#[async_trait]
impl Hub for LocalHub {
    async fn publish(&self, delivery: &Delivery, event: &Event) {
        self.registry
            .deliver(delivery, &LiveEvent::new(event.clone()));
    }

    async fn online(&self, users: &[UserId]) -> Vec<UserId> {
        self.registry.online(users)
    }

    async fn revoke(&self, user: &UserId, why: Revocation) {
        self.registry.revoke(user, why);
    }
}
