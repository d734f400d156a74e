//! Notification preferences: [`Store::notify_prefs`] and [`Store::put_notify_prefs`].

use super::{evening_hours, weekday_hours};
use crate::fixtures::Scope;
use classchat_core::UserId;
use classchat_core::notify::EmailAddress;
use classchat_core::store::{NotifyPrefs, Store};
use std::sync::Arc;

/// [`Store::notify_prefs`] of `user`, which must not fail.
async fn prefs_of(store: &dyn Store, user: &UserId) -> NotifyPrefs {
    store
        .notify_prefs(user)
        .await
        .unwrap_or_else(|error| panic!("notify_prefs({user}) failed: {error}"))
}

/// [`Store::put_notify_prefs`], which must not fail.
async fn put(store: &dyn Store, user: &UserId, prefs: &NotifyPrefs) {
    store
        .put_notify_prefs(user, prefs)
        .await
        .unwrap_or_else(|error| panic!("put_notify_prefs({user}, {prefs:?}) failed: {error}"));
}

/// A user who never set preferences, or who does not exist, has the defaults: push and
/// digests on, no hours of their own.
pub async fn notify_prefs_are_the_default_until_put(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let nobody = scope.id("nobody");
    let prefs = prefs_of(&*store, &nobody).await;
    assert_eq!(
        prefs,
        NotifyPrefs::default(),
        "notify_prefs of a user who never set any must be the defaults"
    );
    assert!(
        prefs.push && prefs.email_digest && prefs.hours.is_none(),
        "the defaults are push and digests on, no hours"
    );

    put(
        &*store,
        &scope.id("someone-else"),
        &NotifyPrefs {
            push: false,
            email_digest: false,
            hours: Some(weekday_hours()),
            email: None,
        },
    )
    .await;
    assert_eq!(
        prefs_of(&*store, &nobody).await,
        NotifyPrefs::default(),
        "another user's preferences must not show as this user's"
    );
}

/// `put_notify_prefs` replaces a user's preferences whole: each put is read back as it was
/// put, hours included (zone and every entry) and the email address, and a put with
/// `hours: None` clears them.
pub async fn put_notify_prefs_replaces_them_whole(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let (teacher, other) = (scope.id("teacher"), scope.id("other"));

    let office = NotifyPrefs {
        push: false,
        email_digest: true,
        hours: Some(weekday_hours()),
        email: Some(EmailAddress::parse("ms.rivera@school.example").unwrap()),
    };
    put(&*store, &teacher, &office).await;
    assert_eq!(
        prefs_of(&*store, &teacher).await,
        office,
        "notify_prefs must answer what put_notify_prefs stored, hours included"
    );

    let evenings = NotifyPrefs {
        push: true,
        email_digest: false,
        hours: Some(evening_hours()),
        email: None,
    };
    put(&*store, &teacher, &evenings).await;
    assert_eq!(
        prefs_of(&*store, &teacher).await,
        evenings,
        "a second put_notify_prefs must replace the first, hours entry for entry"
    );

    let any_time = NotifyPrefs {
        hours: None,
        ..evenings.clone()
    };
    put(&*store, &teacher, &any_time).await;
    assert_eq!(
        prefs_of(&*store, &teacher).await,
        any_time,
        "put_notify_prefs with hours: None must clear the stored hours"
    );

    assert_eq!(
        prefs_of(&*store, &other).await,
        NotifyPrefs::default(),
        "one user's preferences must not change another's"
    );
}
