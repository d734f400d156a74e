//! Notifications: each user's preferences (one row of `notify_prefs`, none meaning the
//! defaults) and their browsers' push subscriptions (`push_subscriptions`, keyed by
//! endpoint so that a browser has one owner).
//!
//! Registering a subscription is one writer job, so one transaction: the row is written
//! (taken from whoever owned the endpoint before), then the user's oldest beyond
//! [`MAX_SUBSCRIPTIONS_PER_USER`] are deleted. Reading a user's subscriptions, and
//! choosing the oldest, are range scans of `push_subscriptions_by_user`.

use crate::error::classify;
use crate::rows::{schedule, timestamp};
use classchat_core::UserId;
use classchat_core::notify::subscription::MAX_SUBSCRIPTIONS_PER_USER;
use classchat_core::notify::{EmailAddress, Schedule};
use classchat_core::store::{NotifyPrefs, PushSubscription, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

/// `user`'s preferences, or [`NotifyPrefs::default`] if they never stored any.
pub(crate) fn prefs(connection: &Connection, user: &UserId) -> Result<NotifyPrefs, StoreError> {
    type Row = (bool, bool, Option<String>, Option<String>);
    let row: Option<Row> = connection
        .prepare_cached(
            "SELECT push, email_digest, hours, email FROM notify_prefs WHERE user_id = ?1",
        )
        .and_then(|mut statement| {
            statement
                .query_row([user.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .optional()
        })
        .map_err(classify)?;
    let Some((push, email_digest, hours, email)) = row else {
        return Ok(NotifyPrefs::default());
    };
    let email = email
        .map(|email| EmailAddress::parse(&email))
        .transpose()
        .map_err(|_| StoreError::Internal("a stored email address is unreadable".into()))?;
    Ok(NotifyPrefs {
        push,
        email_digest,
        hours: schedule(hours.as_deref())?,
        email,
    })
}

/// Replaces `user`'s preferences whole.
pub(crate) fn put_prefs(
    connection: &Connection,
    user: &UserId,
    prefs: &NotifyPrefs,
) -> Result<(), StoreError> {
    let hours = prefs.hours.as_ref().map(Schedule::encode);
    connection
        .prepare_cached(
            "INSERT INTO notify_prefs (user_id, push, email_digest, hours, email)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (user_id) DO UPDATE SET
                push = excluded.push,
                email_digest = excluded.email_digest,
                hours = excluded.hours,
                email = excluded.email",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                user.as_str(),
                prefs.push,
                prefs.email_digest,
                hours,
                prefs.email.as_ref().map(EmailAddress::as_str),
            ])
        })
        .map_err(classify)?;
    Ok(())
}

/// `user`'s subscriptions, oldest first, then by endpoint (the index's order).
pub(crate) fn subscriptions(
    connection: &Connection,
    user: &UserId,
) -> Result<Vec<PushSubscription>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT endpoint, p256dh, auth, created FROM push_subscriptions
             WHERE user_id = ?1 ORDER BY created, endpoint",
        )
        .map_err(classify)?;
    let rows = statement
        .query_map([user.as_str()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .map_err(classify)?;
    rows.map(|row| {
        let (endpoint, p256dh, auth, created) = row.map_err(classify)?;
        Ok(PushSubscription {
            endpoint,
            p256dh,
            auth,
            created: timestamp(created)?,
        })
    })
    .collect()
}

/// Keeps `subscription` for `user`, replacing the row of its endpoint whoever owned it,
/// then deletes the user's oldest beyond [`MAX_SUBSCRIPTIONS_PER_USER`] (which may be
/// this one, if it is older than all of theirs). Run by the writer: one transaction.
pub(crate) fn put_subscription(
    connection: &Connection,
    user: &UserId,
    subscription: &PushSubscription,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth, created)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (endpoint) DO UPDATE SET
                user_id = excluded.user_id,
                p256dh = excluded.p256dh,
                auth = excluded.auth,
                created = excluded.created",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                subscription.endpoint,
                user.as_str(),
                subscription.p256dh,
                subscription.auth,
                subscription.created.as_micros(),
            ])
        })
        .map_err(classify)?;
    let keep = i64::try_from(MAX_SUBSCRIPTIONS_PER_USER).unwrap_or(i64::MAX);
    // The newest `keep` stay; everything after them, newest first, is the oldest.
    connection
        .prepare_cached(
            "DELETE FROM push_subscriptions WHERE endpoint IN (
                SELECT endpoint FROM push_subscriptions WHERE user_id = ?1
                ORDER BY created DESC, endpoint DESC LIMIT -1 OFFSET ?2
             )",
        )
        .and_then(|mut statement| statement.execute(params![user.as_str(), keep]))
        .map_err(classify)?;
    Ok(())
}

/// Deletes `user`'s subscription with `endpoint`; whether there was one. Another user's
/// row with that endpoint does not match.
pub(crate) fn remove_subscription(
    connection: &Connection,
    user: &UserId,
    endpoint: &str,
) -> Result<bool, StoreError> {
    let removed = connection
        .prepare_cached("DELETE FROM push_subscriptions WHERE endpoint = ?1 AND user_id = ?2")
        .and_then(|mut statement| statement.execute([endpoint, user.as_str()]))
        .map_err(classify)?;
    Ok(removed > 0)
}
