//! Push subscriptions: listing a user's, registering one (taking its endpoint from
//! whoever had it, trimming the user's oldest beyond the limit) and removing one. See the
//! parent module for the items.
//!
//! A registration reads the user's `pushes` version, then their list and the endpoint's
//! owner, and writes everything in one TransactWriteItems: the version bump (on condition
//! that it is unchanged), the owner item (on condition that it still names whom it was
//! read to name), the user's copy, the previous owner's copy deleted, and for each of the
//! user's oldest beyond [`MAX_SUBSCRIPTIONS_PER_USER`] their copy and owner item deleted
//! (the owner item on condition that it is still the user's). A lost race reads and plans
//! again, with backoff; after [`ATTEMPTS`] it is [`StoreError::Unavailable`].

use crate::DynamoStore;
use crate::error::{build_failed, classify, corrupt};
use crate::item::{
    AUTH, CREATED, ENDPOINT, Item, OWNER, OWNER_ID, P256DH, PUSH_PREFIX, PUSHES, SK, USER_ID,
    VERSION, endpoint_hash, get_s, get_timestamp, get_u64, get_user_id, n, push_owner_partition,
    push_sk, s, user_info_key,
};
use crate::ops::{self, MAX_ACTIONS, Transacted, transact};
use crate::users;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use classchat_core::UserId;
use classchat_core::notify::subscription::MAX_SUBSCRIPTIONS_PER_USER;
use classchat_core::store::{PushSubscription, StoreError};

/// Readings and transactions of one registration before giving up under contention.
const ATTEMPTS: u32 = 12;
/// Actions of a registration besides the trimming: the version bump, the owner item, the
/// user's copy and the previous owner's copy.
const FIXED_ACTIONS: usize = 4;
/// The most subscriptions one registration trims (two deletes each). Beyond one only if
/// the limit was lowered; any left over go at the user's next registration.
const MAX_TRIMMED: usize = (MAX_ACTIONS - FIXED_ACTIONS) / 2;

/// `user`'s subscriptions, oldest first, then by endpoint: one consistent Query.
pub(crate) async fn subscriptions(
    store: &DynamoStore,
    user: &UserId,
) -> Result<Vec<PushSubscription>, StoreError> {
    let query = ops::user_info_prefix(&store.client, &store.tables, user.as_str(), PUSH_PREFIX);
    let mut subscriptions = ops::query(query, None, "Query push subscriptions")
        .await?
        .iter()
        .map(subscription_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    subscriptions.sort_by(|a, b| (a.created, &a.endpoint).cmp(&(b.created, &b.endpoint)));
    Ok(subscriptions)
}

/// Keeps `subscription` for `user`; see the module documentation.
pub(crate) async fn put_subscription(
    store: &DynamoStore,
    user: &UserId,
    subscription: &PushSubscription,
) -> Result<(), StoreError> {
    let hash = endpoint_hash(&subscription.endpoint);
    for round in 0..ATTEMPTS {
        if round > 0 {
            tokio::time::sleep(ops::backoff(round)).await;
        }
        // The version first: the list read after it is at least as new, and a registration
        // committed in between moves the version and fails this one's bump.
        let version = version_of(store, user).await?;
        let (theirs, owner) = tokio::try_join!(subscriptions(store, user), owner_of(store, &hash))?;
        let plan = Plan::new(theirs, subscription);
        let items = plan.actions(store, user, version, subscription, &hash, owner.as_ref())?;
        match transact(&store.client, items, "TransactWriteItems push subscription").await? {
            Transacted::Committed => return Ok(()),
            outcome if outcome.any_condition_failed() || outcome.conflicted() => continue,
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "push subscription cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "the push subscriptions of {user} are being changed concurrently; retry"
    )))
}

/// Removes `user`'s subscription with `endpoint`: its copy (on condition that it exists)
/// and the owner item (on condition that it names the user), in one transaction; whether
/// there was one.
pub(crate) async fn remove_subscription(
    store: &DynamoStore,
    user: &UserId,
    endpoint: &str,
) -> Result<bool, StoreError> {
    let hash = endpoint_hash(endpoint);
    for round in 0..ATTEMPTS {
        if round > 0 {
            tokio::time::sleep(ops::backoff(round)).await;
        }
        let items = vec![
            users::delete(store, user_info_key(user.as_str(), push_sk(&hash)), true)?,
            delete_owner(store, &hash, Some(user))?,
        ];
        match transact(
            &store.client,
            items,
            "TransactWriteItems remove push subscription",
        )
        .await?
        {
            Transacted::Committed => return Ok(true),
            // No copy under the user: not theirs (another user's stays as it was).
            outcome if outcome.condition_failed(0) => return Ok(false),
            outcome if outcome.conflicted() => continue,
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "remove push subscription cancelled (a copy without its owner item?): \
                     {reasons:?}"
                )));
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "the push subscriptions of {user} are being changed concurrently; retry"
    )))
}

/// What a registration does to the user's list.
#[derive(Debug, PartialEq, Eq)]
struct Plan {
    /// Whether the new subscription stays (it goes only when it is older than a full list).
    keep_new: bool,
    /// The user's other subscriptions to delete, oldest first.
    trimmed: Vec<PushSubscription>,
}

impl Plan {
    /// The plan for registering `new` when the user has `theirs`: exactly what
    /// `MemoryStore` does — replace the same endpoint, then drop the oldest beyond the
    /// limit (in (created, endpoint) order), whichever they are.
    fn new(theirs: Vec<PushSubscription>, new: &PushSubscription) -> Self {
        let mut after: Vec<PushSubscription> = theirs
            .into_iter()
            .filter(|old| old.endpoint != new.endpoint)
            .collect();
        after.push(new.clone());
        after.sort_by(|a, b| (a.created, &a.endpoint).cmp(&(b.created, &b.endpoint)));
        let excess = after
            .len()
            .saturating_sub(MAX_SUBSCRIPTIONS_PER_USER)
            .min(MAX_TRIMMED);
        let mut trimmed: Vec<PushSubscription> = after.into_iter().take(excess).collect();
        let keep_new = !trimmed.iter().any(|old| old.endpoint == new.endpoint);
        trimmed.retain(|old| old.endpoint != new.endpoint);
        Self { keep_new, trimmed }
    }

    /// The transaction's actions, the version bump first. `owner` is whom the endpoint's
    /// owner item named when read.
    fn actions(
        &self,
        store: &DynamoStore,
        user: &UserId,
        version: u64,
        new: &PushSubscription,
        hash: &str,
        owner: Option<&UserId>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = vec![bump(store, user, version)?];
        let copy = user_info_key(user.as_str(), push_sk(hash));
        if self.keep_new {
            items.push(put_owner(store, user, new, hash, owner)?);
            items.push(users::put(store, subscription_item(copy, new), None, &[])?);
        } else {
            items.push(delete_owner(store, hash, owner)?);
            if owner == Some(user) {
                items.push(users::delete(store, copy, false)?);
            }
        }
        if let Some(previous) = owner.filter(|previous| *previous != user) {
            let theirs = user_info_key(previous.as_str(), push_sk(hash));
            items.push(users::delete(store, theirs, false)?);
        }
        for old in &self.trimmed {
            let old_hash = endpoint_hash(&old.endpoint);
            let key = user_info_key(user.as_str(), push_sk(&old_hash));
            items.push(users::delete(store, key, false)?);
            items.push(delete_owner(store, &old_hash, Some(user))?);
        }
        Ok(items)
    }
}

/// The user's `pushes` version (0 before their first registration).
async fn version_of(store: &DynamoStore, user: &UserId) -> Result<u64, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(user.as_str(), PUSHES)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem push subscriptions version", error))?;
    match output.item {
        Some(item) => get_u64(&item, VERSION),
        None => Ok(0),
    }
}

/// Whom the endpoint that hashes to `hash` belongs to, if anyone.
async fn owner_of(store: &DynamoStore, hash: &str) -> Result<Option<UserId>, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(push_owner_partition(hash), OWNER)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem push endpoint owner", error))?;
    output
        .item
        .map(|item| get_user_id(&item, OWNER_ID))
        .transpose()
}

/// Moves the user's version from `read` to the next, on condition that it is still `read`.
fn bump(store: &DynamoStore, user: &UserId, read: u64) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(user.as_str(), PUSHES)))
        .update_expression("SET #version = :next")
        .expression_attribute_names("#version", VERSION)
        .expression_attribute_values(":next", n(read + 1));
    // The item is never deleted and its version only grows, so "absent" is version 0.
    let update = match read {
        0 => update.condition_expression("attribute_not_exists(#version)"),
        read => update
            .condition_expression("#version = :read")
            .expression_attribute_values(":read", n(read)),
    };
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(build_failed)?)
        .build())
}

/// The condition that an owner item names `owner` (`None`: that there is none): the
/// expression, its one attribute name, and its value if it has one.
fn owner_condition(
    owner: Option<&UserId>,
) -> (
    &'static str,
    (&'static str, &'static str),
    Option<AttributeValue>,
) {
    match owner {
        None => ("attribute_not_exists(#pk)", ("#pk", USER_ID), None),
        Some(owner) => (
            "#owner = :owner",
            ("#owner", OWNER_ID),
            Some(s(owner.as_str())),
        ),
    }
}

/// Writes the owner item naming `user`, on condition that it names `read` as read.
fn put_owner(
    store: &DynamoStore,
    user: &UserId,
    new: &PushSubscription,
    hash: &str,
    read: Option<&UserId>,
) -> Result<TransactWriteItem, StoreError> {
    let mut item = user_info_key(push_owner_partition(hash), OWNER);
    item.insert(OWNER_ID.to_owned(), s(user.as_str()));
    item.insert(ENDPOINT.to_owned(), s(new.endpoint.as_str()));
    let (condition, (name, attribute), value) = owner_condition(read);
    let put = Put::builder()
        .table_name(&store.tables.user_info)
        .set_item(Some(item))
        .condition_expression(condition)
        .expression_attribute_names(name, attribute)
        .set_expression_attribute_values(value.map(|value| [(":owner".to_owned(), value)].into()));
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(build_failed)?)
        .build())
}

/// Deletes the owner item of the endpoint that hashes to `hash`, on condition that it
/// names `read` (`None`: that there is none, so nothing is deleted).
fn delete_owner(
    store: &DynamoStore,
    hash: &str,
    read: Option<&UserId>,
) -> Result<TransactWriteItem, StoreError> {
    let (condition, (name, attribute), value) = owner_condition(read);
    let delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(push_owner_partition(hash), OWNER)))
        .condition_expression(condition)
        .expression_attribute_names(name, attribute)
        .set_expression_attribute_values(value.map(|value| [(":owner".to_owned(), value)].into()));
    Ok(TransactWriteItem::builder()
        .delete(delete.build().map_err(build_failed)?)
        .build())
}

/// The user's item for `subscription`, at `key`.
fn subscription_item(mut key: Item, subscription: &PushSubscription) -> Item {
    key.insert(ENDPOINT.to_owned(), s(subscription.endpoint.as_str()));
    key.insert(P256DH.to_owned(), s(subscription.p256dh.as_str()));
    key.insert(AUTH.to_owned(), s(subscription.auth.as_str()));
    key.insert(CREATED.to_owned(), s(subscription.created.to_string()));
    key
}

/// The subscription a `push#` item holds; its key must be its endpoint's hash.
fn subscription_from_item(item: &Item) -> Result<PushSubscription, StoreError> {
    let endpoint = get_s(item, ENDPOINT)?;
    if get_s(item, SK)? != push_sk(&endpoint_hash(endpoint)) {
        return Err(corrupt(ENDPOINT));
    }
    Ok(PushSubscription {
        endpoint: endpoint.to_owned(),
        p256dh: get_s(item, P256DH)?.to_owned(),
        auth: get_s(item, AUTH)?.to_owned(),
        created: get_timestamp(item, CREATED)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use classchat_core::Timestamp;

    fn sub(name: &str, created: i64) -> PushSubscription {
        PushSubscription {
            endpoint: format!("https://push.example/{name}"),
            p256dh: "k".into(),
            auth: "a".into(),
            created: Timestamp::from_micros(1_000_000 + created).unwrap(),
        }
    }

    /// A full list: `b00` … `b09`, registered at 10 … 19.
    fn full() -> Vec<PushSubscription> {
        (0..MAX_SUBSCRIPTIONS_PER_USER)
            .map(|i| sub(&format!("b{i:02}"), 10 + i64::try_from(i).unwrap()))
            .collect()
    }

    fn plan(keep_new: bool, trimmed: Vec<PushSubscription>) -> Plan {
        Plan { keep_new, trimmed }
    }

    #[test]
    fn a_registration_within_the_limit_trims_nothing() {
        assert_eq!(
            Plan::new(vec![sub("a", 1)], &sub("b", 2)),
            plan(true, vec![])
        );
        // The same endpoint again replaces its subscription, never counts twice.
        assert_eq!(Plan::new(full(), &sub("b03", 100)), plan(true, vec![]));
    }

    #[test]
    fn the_eleventh_trims_the_oldest_even_when_that_is_itself() {
        assert_eq!(
            Plan::new(full(), &sub("new", 100)),
            plan(true, vec![sub("b00", 10)])
        );
        assert_eq!(Plan::new(full(), &sub("stale", 0)), plan(false, vec![]));
        // Ties in time go by endpoint.
        assert_eq!(Plan::new(full(), &sub("a", 10)), plan(false, vec![]));
        assert_eq!(
            Plan::new(full(), &sub("c", 10)),
            plan(true, vec![sub("b00", 10)])
        );
    }

    #[test]
    fn one_transaction_holds_the_most_a_registration_trims() {
        const { assert!(FIXED_ACTIONS + 2 * MAX_TRIMMED <= MAX_ACTIONS) };
        let many: Vec<PushSubscription> = (0..200).map(|i| sub(&format!("m{i:03}"), i)).collect();
        let trimmed = Plan::new(many, &sub("new", 1_000)).trimmed;
        assert_eq!(trimmed.len(), MAX_TRIMMED);
        assert_eq!(trimmed[0], sub("m000", 0));
    }
}
