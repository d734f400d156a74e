//! The `Notifier` port: how people who are away learn that something happened.
//!
//! The service decides *what* is worth a notification (a message stored for someone) and
//! *when* it may go (the recipient's hours); a notifier decides *whether* and *how*:
//! nothing for a recipient with an open connection on any node, otherwise Web Push or,
//! failing that, an email digest. It never delays the send that caused it.

use crate::ids::UserId;
use crate::message::Message;
use crate::time::Timestamp;
use async_trait::async_trait;

/// A message stored for someone who may be away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Who may need telling (never the author).
    pub recipient: UserId,
    /// What was stored.
    pub message: Message,
    /// When the recipient's hours begin, if they are in quiet hours now: nothing goes out
    /// before then.
    pub quiet_until: Option<Timestamp>,
    /// Sent as urgent by a teacher the school allows: never held, pushed at high urgency.
    pub urgent: bool,
}

/// Why an endpoint may not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EndpointRefused(pub String);

/// Reaches users who are away.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Takes a notice for later. Never waits: a notifier that cannot keep up drops it
    /// (and counts the drop), because the message itself is stored and delivered live.
    fn message_stored(&self, notice: Notice);

    /// Whether a push endpoint may be registered (https, and not a loopback, private or
    /// link-local address). A notifier without push accepts any well-formed one.
    async fn check_endpoint(&self, endpoint: &str) -> Result<(), EndpointRefused> {
        let _ = endpoint;
        Ok(())
    }

    /// The public VAPID key browsers subscribe with (base64url), if push is configured.
    fn vapid_public_key(&self) -> Option<String> {
        None
    }
}

/// A notifier that reaches nobody: for the CLI, for tests, and where notifications are not
/// configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullNotifier;

#[async_trait]
impl Notifier for NullNotifier {
    fn message_stored(&self, _notice: Notice) {}
}
