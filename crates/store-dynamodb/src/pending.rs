//! Pending notifications: kept per user and kind until a node takes one to send it,
//! listed by due time without a Scan or a GSI.
//!
//! # Items (in UserInfo)
//! - `<userId>` / `pending#<kind>`: `due`, `since` (S) — the pointer: the user's pending
//!   notification of that kind, what a merge reads and every change conditions on.
//! - `#pending` / `<due>#<userId>#<kind>`: `recipientId`, `kind`, `due`, `since` — its
//!   listing item, so that those due by a time are one strongly consistent Query of
//!   `sk <= "<now>~"`, already in the order they are sent (earliest first, then by user
//!   and kind; see `item::pending_listing_sk`).
//!
//! Both are only ever written together, in one TransactWriteItems conditioned on the
//! pointer, so the listing holds exactly one item per pointer, at the pointer's due time.
//!
//! - **Put**: read the pointer, merge (the earlier `due`, the earlier `since`); if that
//!   changes nothing, nothing is written. Otherwise one transaction puts the pointer (on
//!   condition that it is still as read, or still absent), deletes the old listing item if
//!   the due time moved, and puts the new one. A lost race reads and merges again.
//! - **Take**: one transaction deletes the pointer (on condition that its `due` and
//!   `since` are the ones given) and the listing item at that due time. A failed
//!   condition is the answer (`false`): the notification changed or was taken already.
//!
//! # One partition
//! `#pending` is one partition, not shards: a shard count would make every listing that
//! many Queries merged in memory, and the partition's budget (about 500 transactional
//! writes a second) is far above what it takes. It is written only when a user's notice
//! of a kind is created, brought forward or taken — a user's second message in the same
//! quiet hours merges into the pointer and, keeping the earlier due time, writes nothing —
//! and it is read by one node at a time (the lease holder's sweep), a page at a time. A
//! notice takes a push to send, so the sender, not the partition, sets the pace.

use crate::DynamoStore;
use crate::error::{build_failed, classify, corrupt};
use crate::item::{
    DUE, Item, KIND, PENDING_PARTITION, RECIPIENT_ID, SINCE, SK, USER_ID, get_s, get_timestamp,
    get_user_id, pending_due_bound, pending_listing_sk, pending_sk, s, user_info_key,
};
use crate::ops::{self, Transacted, transact};
use crate::users;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use classchat_core::Timestamp;
use classchat_core::store::{Pending, PendingKind, StoreError};

/// Readings and transactions of one put before giving up under contention.
const ATTEMPTS: u32 = 12;

/// Keeps `pending`, merged with the user's pending notification of that kind if there
/// is one; see the module documentation.
pub(crate) async fn put(store: &DynamoStore, pending: &Pending) -> Result<(), StoreError> {
    for round in 0..ATTEMPTS {
        if round > 0 {
            tokio::time::sleep(ops::backoff(round)).await;
        }
        let read = pointer(store, pending).await?;
        let merged = match &read {
            Some(kept) => Pending {
                due: kept.due.min(pending.due),
                since: kept.since.min(pending.since),
                ..pending.clone()
            },
            None => pending.clone(),
        };
        if read.as_ref() == Some(&merged) {
            return Ok(());
        }
        let mut items = vec![put_pointer(store, &merged, read.as_ref())?];
        if let Some(old) = read.as_ref().filter(|old| old.due != merged.due) {
            items.push(users::delete(store, listing_key(old), false)?);
        }
        items.push(users::put(store, listing_item(&merged), None, &[])?);
        match transact(&store.client, items, "TransactWriteItems put pending").await? {
            Transacted::Committed => return Ok(()),
            outcome if outcome.any_condition_failed() || outcome.conflicted() => continue,
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "put pending cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "the pending notifications of {} are being changed concurrently; retry",
        pending.user
    )))
}

/// Those due at or before `now`, earliest first, then by user and kind, at most
/// `limit`: one strongly consistent Query of `#pending` (more only past 1 MB).
pub(crate) async fn due(
    store: &DynamoStore,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Pending>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk AND #sk <= :bound")
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_names("#sk", SK)
        .expression_attribute_values(":pk", s(PENDING_PARTITION))
        .expression_attribute_values(":bound", s(pending_due_bound(now)));
    ops::query(query, Some(limit), "Query due pending")
        .await?
        .iter()
        .map(pending_from_listing)
        .collect()
}

/// Removes `pending` if it is still exactly as given; whether it did. One transaction:
/// the pointer (on condition that it holds `pending`'s due and since) and the listing
/// item at that due time.
pub(crate) async fn take(store: &DynamoStore, pending: &Pending) -> Result<bool, StoreError> {
    for round in 0..ATTEMPTS {
        if round > 0 {
            tokio::time::sleep(ops::backoff(round)).await;
        }
        let items = vec![
            delete_pointer(store, pending)?,
            users::delete(store, listing_key(pending), false)?,
        ];
        match transact(&store.client, items, "TransactWriteItems take pending").await? {
            Transacted::Committed => return Ok(true),
            // Absent, or another due or since: changed or taken meanwhile.
            outcome if outcome.condition_failed(0) => return Ok(false),
            outcome if outcome.conflicted() => continue,
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "take pending cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "the pending notifications of {} are being changed concurrently; retry",
        pending.user
    )))
}

/// The user's pending notification of `pending`'s kind as its pointer holds it, if any:
/// one consistent GetItem.
async fn pointer(store: &DynamoStore, pending: &Pending) -> Result<Option<Pending>, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(pointer_key(pending)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem pending", error))?;
    output
        .item
        .map(|item| {
            Ok(Pending {
                due: get_timestamp(&item, DUE)?,
                since: get_timestamp(&item, SINCE)?,
                ..pending.clone()
            })
        })
        .transpose()
}

/// Writes the pointer holding `merged`, on condition that it still holds `read` (`None`:
/// that there is none).
fn put_pointer(
    store: &DynamoStore,
    merged: &Pending,
    read: Option<&Pending>,
) -> Result<TransactWriteItem, StoreError> {
    let mut item = pointer_key(merged);
    item.insert(DUE.to_owned(), s(merged.due.to_string()));
    item.insert(SINCE.to_owned(), s(merged.since.to_string()));
    let put = Put::builder()
        .table_name(&store.tables.user_info)
        .set_item(Some(item));
    let put = match read {
        None => put
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", USER_ID),
        Some(read) => put
            .condition_expression("#due = :due AND #since = :since")
            .expression_attribute_names("#due", DUE)
            .expression_attribute_names("#since", SINCE)
            .expression_attribute_values(":due", s(read.due.to_string()))
            .expression_attribute_values(":since", s(read.since.to_string())),
    };
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(build_failed)?)
        .build())
}

/// Deletes the pointer of `pending`, on condition that it holds `pending`'s due and
/// since (so not when it is absent either).
fn delete_pointer(store: &DynamoStore, pending: &Pending) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(pointer_key(pending)))
        .condition_expression("#due = :due AND #since = :since")
        .expression_attribute_names("#due", DUE)
        .expression_attribute_names("#since", SINCE)
        .expression_attribute_values(":due", s(pending.due.to_string()))
        .expression_attribute_values(":since", s(pending.since.to_string()));
    Ok(TransactWriteItem::builder()
        .delete(delete.build().map_err(build_failed)?)
        .build())
}

/// The key of the user's pointer to their pending notification of `pending`'s kind.
fn pointer_key(pending: &Pending) -> Item {
    user_info_key(pending.user.as_str(), pending_sk(pending))
}

/// The key of `pending`'s listing item, at its due time.
fn listing_key(pending: &Pending) -> Item {
    let sk = pending_listing_sk(pending.due, &pending.user, pending.kind.as_str());
    user_info_key(PENDING_PARTITION, sk)
}

/// `pending`'s listing item.
fn listing_item(pending: &Pending) -> Item {
    let mut item = listing_key(pending);
    item.insert(RECIPIENT_ID.to_owned(), s(pending.user.as_str()));
    item.insert(KIND.to_owned(), s(pending.kind.as_str()));
    item.insert(DUE.to_owned(), s(pending.due.to_string()));
    item.insert(SINCE.to_owned(), s(pending.since.to_string()));
    item
}

/// The pending notification a listing item holds; its key must be the one it is
/// written at.
fn pending_from_listing(item: &Item) -> Result<Pending, StoreError> {
    let pending = Pending {
        user: get_user_id(item, RECIPIENT_ID)?,
        kind: PendingKind::parse(get_s(item, KIND)?).ok_or_else(|| corrupt(KIND))?,
        due: get_timestamp(item, DUE)?,
        since: get_timestamp(item, SINCE)?,
    };
    if get_s(item, SK)? != pending_listing_sk(pending.due, &pending.user, pending.kind.as_str()) {
        return Err(corrupt(SK));
    }
    Ok(pending)
}
