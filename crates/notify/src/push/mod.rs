//! Web Push: how a browser that is closed learns that a message arrived.
//!
//! A browser subscribes with our public VAPID key and hands us a
//! [`PushSubscription`](classchat_core::notify::PushSubscription): the URL of its push
//! service (Mozilla's, Google's, Apple's…) and the keys to encrypt for. To notify it we
//! POST an encrypted payload to that URL; the push service wakes the browser's service
//! worker, which decrypts it and shows the notification.
//!
//! # Layout
//! - `vapid`: [`VapidKeys`], our P-256 key pair, and the signed JWT (RFC 8292) that tells
//!   a push service the request is ours.
//! - `payload`: [`PushPayload`], the JSON the service worker reads, kept under the size
//!   every push service accepts.
//! - `address`: which IP addresses a delivery may never reach (loopback, private,
//!   link-local, …).
//! - `guard`: the endpoint guard built on it — the URL's shape, IP-literal hosts, and the
//!   resolver every connection goes through, so a name cannot be re-pointed at an internal
//!   address between the check and the connection.
//! - `client`: [`PushClient`], which encrypts (RFC 8291, `aes128gcm`), signs and POSTs
//!   (RFC 8030), and [`PushConfig`].
//! - `outcome`: [`PushOutcome`], what a push service's answer means for the subscription.

mod address;
mod client;
mod guard;
mod outcome;
mod payload;
mod vapid;

pub use client::{PushClient, PushConfig, Urgency};
pub use outcome::PushOutcome;
pub use payload::PushPayload;
pub use vapid::VapidKeys;

/// What can go wrong setting up Web Push (a delivery's own failures are
/// [`PushOutcome`]s, never errors: each one tells the caller what to do next).
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The configured private key is not a base64url P-256 scalar.
    #[error("the VAPID private key is not usable: {0}")]
    InvalidKey(String),
    /// RFC 8292 asks for a contact push services can reach us at.
    #[error("the VAPID subject must be a mailto: or https: URL, not {0:?}")]
    InvalidSubject(String),
    /// The HTTP client could not be built (its TLS configuration, for instance).
    #[error("the push HTTP client could not be built: {0}")]
    Client(#[from] reqwest::Error),
}
