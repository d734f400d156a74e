//! classchat's notification channels: how people who are away learn that something
//! happened, behind the core's [`Notifier`](classchat_core::notify::Notifier) port.
//!
//! - [`PushNotifier`]: the notifier itself — a bounded queue that never delays a send,
//!   one worker that skips whoever is online on any node or in quiet hours, and
//!   concurrent deliveries with retries; [`NotifyMetrics`] counts what became of each.
//! - [`push`]: Web Push — VAPID keys (RFC 8292), payload encryption (RFC 8291,
//!   `aes128gcm`), delivery to the browser's push service (RFC 8030), and the guard that
//!   keeps deliveries off loopback, private and link-local addresses.
//!
//! This crate knows the push payload's JSON (what the web client's service worker reads);
//! no other crate does. It depends on `classchat-core` only.

mod delivery;
mod digest;
pub mod mail;
mod metrics;
mod notifier;
pub mod push;
mod release;
#[cfg(feature = "test-support")]
pub mod testing;

pub use digest::DigestConfig;
pub use metrics::NotifyMetrics;
pub use notifier::{NotifierConfig, PushNotifier};
