//! Notifications: each user's preferences and their browsers' push subscriptions, in
//! the user's own partition of UserInfo, never a Scan or a GSI.
//!
//! # Items (in UserInfo)
//! - `<userId>` / `notify`: `push`, `emailDigest` (BOOL), `hours` (S, absent: none) — the
//!   user's preferences, replaced whole by each change (no item: the defaults).
//! - `<userId>` / `push#<hash>`: `endpoint`, `p256dh`, `auth`, `created` (S) — one
//!   subscription, `<hash>` the hex SHA-256 of its endpoint (a URL of up to 1,024
//!   characters would not fit a sort key beside its prefix). A user's subscriptions are
//!   one consistent Query of `push#`, ordered (oldest first, then by endpoint) in memory:
//!   there are at most ten.
//! - `#push#<hash>` / `owner`: `ownerId`, `endpoint` — whose the endpoint is. It makes an
//!   endpoint belong to one user: registering it conditions on the owner read, so a
//!   concurrent move of the same endpoint is caught, and moving it deletes the previous
//!   owner's copy in the same transaction. One partition per endpoint, since
//!   registrations come at the rate people open the app.
//! - `<userId>` / `pushes`: `version` (N) — bumped, on condition that it is unchanged, by
//!   every registration for the user, so two at once cannot both plan from one reading of
//!   the list and leave the user above the limit.
//!
//! `notify`, `pushes` and `push#` sort after `link$` and start with no other prefix, so
//! no other Query of a user's partition reads them (see `item`'s tests).

mod push;

pub(crate) use push::{put_subscription, remove_subscription, subscriptions};

use crate::DynamoStore;
use crate::error::{classify, corrupt};
use crate::item::{
    EMAIL, EMAIL_DIGEST, HOURS, NOTIFY, PUSH, get_bool, get_schedule, s, user_info_key,
};
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::UserId;
use classchat_core::notify::{EmailAddress, Schedule};
use classchat_core::store::{NotifyPrefs, StoreError};

/// `user`'s preferences: one consistent GetItem, the defaults when there is no item.
pub(crate) async fn prefs(store: &DynamoStore, user: &UserId) -> Result<NotifyPrefs, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(user.as_str(), NOTIFY)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem notification preferences", error))?;
    let Some(item) = output.item else {
        return Ok(NotifyPrefs::default());
    };
    Ok(NotifyPrefs {
        push: get_bool(&item, PUSH)?,
        email_digest: get_bool(&item, EMAIL_DIGEST)?,
        hours: get_schedule(&item, HOURS)?,
        email: match item.get(EMAIL) {
            Some(value) => {
                let raw = value.as_s().map_err(|_| corrupt(EMAIL))?;
                Some(EmailAddress::parse(raw).map_err(|_| corrupt(EMAIL))?)
            }
            None => None,
        },
    })
}

/// Replaces `user`'s preferences whole (a PutItem: hours left out are gone).
pub(crate) async fn put_prefs(
    store: &DynamoStore,
    user: &UserId,
    prefs: &NotifyPrefs,
) -> Result<(), StoreError> {
    let mut item = user_info_key(user.as_str(), NOTIFY);
    item.insert(PUSH.to_owned(), AttributeValue::Bool(prefs.push));
    item.insert(
        EMAIL_DIGEST.to_owned(),
        AttributeValue::Bool(prefs.email_digest),
    );
    if let Some(hours) = &prefs.hours {
        item.insert(HOURS.to_owned(), s(Schedule::encode(hours)));
    }
    if let Some(email) = &prefs.email {
        item.insert(EMAIL.to_owned(), s(email.to_string()));
    }
    store
        .client
        .put_item()
        .table_name(&store.tables.user_info)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|error| classify("PutItem notification preferences", error))?;
    Ok(())
}
