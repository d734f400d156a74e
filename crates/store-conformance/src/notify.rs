//! Notifications in the store: each user's preferences ([`Store::notify_prefs`],
//! [`Store::put_notify_prefs`]) in `prefs`, and their browsers' push subscriptions
//! ([`Store::push_subscriptions`], [`Store::put_push_subscription`],
//! [`Store::remove_push_subscription`]) in `push`; notifications that wait until they
//! are sent ([`Store::put_pending`], [`Store::due_pending`], [`Store::take_pending`]) in
//! `pending`, and the leases that let one node at a time send them
//! ([`Store::try_lease`]) in `leases`. The school's notification settings
//! (quiet hours, previews) are checked with the other settings, in `family::settings`.
//!
//! An endpoint is unique across users, so every check makes its endpoints from its
//! scope's prefix: checks sharing one store would never see each other's.
//!
//! [`Store`]: classchat_core::store::Store

mod leases;
mod pending;
mod prefs;
mod push;

pub use leases::a_lease_has_one_holder_until_it_lapses;
pub use pending::{
    due_pending_lists_those_due_earliest_first_then_by_user,
    put_pending_merges_keeping_the_earlier_due_and_since,
    take_pending_takes_only_what_is_stored_once,
};
pub use prefs::{notify_prefs_are_the_default_until_put, put_notify_prefs_replaces_them_whole};
pub use push::{
    an_eleventh_subscription_older_than_the_rest_is_dropped,
    an_endpoint_registered_by_another_user_moves_to_them,
    push_subscriptions_are_oldest_first_then_by_endpoint,
    putting_the_same_endpoint_replaces_its_keys,
    remove_push_subscription_removes_only_the_callers_own,
    the_eleventh_subscription_removes_the_oldest,
};

use classchat_core::notify::Schedule;

/// Office hours on weekdays in London: a schedule with one entry.
pub(crate) fn weekday_hours() -> Schedule {
    schedule("Europe/London|mon,tue,wed,thu,fri 08:00-16:00")
}

/// Hours in another zone with two entries, one running to the end of the day: what a
/// store keeps must come back entry for entry.
pub(crate) fn evening_hours() -> Schedule {
    schedule("America/New_York|mon,wed 17:30-21:00;sat,sun 09:00-24:00")
}

/// The schedule `encoded` stands for, as [`Schedule::encode`] writes it.
fn schedule(encoded: &str) -> Schedule {
    Schedule::decode(encoded)
        .unwrap_or_else(|error| panic!("{encoded:?} is a valid schedule: {error}"))
}
