//! Reaching people who are away: when they may be notified ([`schedule`]), what they chose
//! ([`prefs`]), their browsers' push subscriptions ([`subscription`]), and the
//! [`Notifier`] port that the push and email channels implement.

pub mod email;
pub mod notifier;
pub mod pending;
pub mod prefs;
pub mod schedule;
pub mod subscription;

pub use email::EmailAddress;
pub use notifier::{EndpointRefused, Notice, Notifier, NullNotifier};
pub use pending::{Lease, Pending, PendingKind};
pub use prefs::{NotifyPrefs, PrefsPatch};
pub use schedule::{ClockTime, Days, Hours, Schedule};
pub use subscription::PushSubscription;
