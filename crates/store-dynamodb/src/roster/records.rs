//! What the link steps and the guardian-link steps of an import share: the roster's
//! records of what it derives (`#roster#links`, `#roster#guardians`, each with `byHand`),
//! reading how a chunk's links stand ([`Standing`]), and running a chunk's plan again from
//! a fresh read when an administrator's change got in between.

use super::steps::{ATTEMPTS, NOT_EXISTS, committed};
use crate::DynamoStore;
use crate::error::build_failed;
use crate::family::Wardship;
use crate::item::{BY_HAND, Item, SK, USER_ID, WARDSHIP, get_bool, get_s, get_user_id};
use crate::ops::{self, Transacted, transact};
use crate::users;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, TransactWriteItem,
};
use classchat_core::UserId;
use classchat_core::store::StoreError;
use std::collections::{BTreeMap, BTreeSet};

/// A kind of link the roster derives and records: a link, or a guardian link.
pub(super) trait Recorded: Ord + Sized {
    /// The partition of the roster's records of this kind.
    const ROSTER_PARTITION: &'static str;
    /// The student it is about, whose wardship a change of it bumps.
    fn student(&self) -> &UserId;
    /// The key of the item that decides whether it exists (`#links`, `#guardians`).
    fn listing_key(&self) -> Item;
    /// The key of the roster's record of it.
    fn record_key(&self) -> Item;
    /// Reads one from its listing item or its record.
    fn from_item(item: &Item) -> Result<Self, StoreError>;
}

/// How some links (or guardian links) stand, read just before writing them.
pub(super) struct Standing<L> {
    /// Those that exist (by hand, by the roster or both); read only when asked for.
    pub(super) made: BTreeSet<L>,
    /// Those the roster has a record of, with whether they were also added by hand.
    pub(super) roster: BTreeMap<L, bool>,
    /// The wardships of the links' students that exist.
    pub(super) wards: BTreeMap<UserId, Wardship>,
}

impl<L: Recorded> Standing<L> {
    /// Reads the records of `links`, their students' wardships and, `with_items`, the
    /// links' listing items, in one batch. (Each item is read consistently, not all at
    /// one instant; every decision taken from them is a condition of the transaction.)
    pub(super) async fn read(
        store: &DynamoStore,
        links: &[&L],
        with_items: bool,
    ) -> Result<Self, StoreError> {
        let mut keys = Vec::with_capacity(links.len() * 3);
        let students: BTreeSet<&UserId> = links.iter().map(|link| link.student()).collect();
        keys.extend(students.into_iter().map(Wardship::key));
        for link in links {
            keys.push(link.record_key());
            if with_items {
                keys.push(link.listing_key());
            }
        }
        let shape = KeysAndAttributes::builder();
        let items = ops::batch_get(&store.client, &store.tables.user_info, keys, shape).await?;
        let mut standing = Self {
            made: BTreeSet::new(),
            roster: BTreeMap::new(),
            wards: BTreeMap::new(),
        };
        for item in items {
            if get_s(&item, SK)? == WARDSHIP {
                let student = get_user_id(&item, USER_ID)?;
                let wardship = Wardship::from_item(student.clone(), &item)?;
                standing.wards.insert(student, wardship);
                continue;
            }
            let link = L::from_item(&item)?;
            if get_s(&item, USER_ID)? == L::ROSTER_PARTITION {
                standing.roster.insert(link, get_bool(&item, BY_HAND)?);
            } else {
                standing.made.insert(link);
            }
        }
        Ok(standing)
    }
}

/// Creates a roster record, `item` (its key and the ids it names), with `byHand`; fails
/// its condition when there is one already (another import, racing this one).
pub(super) fn put(
    store: &DynamoStore,
    mut item: Item,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    item.insert(BY_HAND.to_owned(), AttributeValue::Bool(by_hand));
    users::put(store, item, Some(NOT_EXISTS), &[])
}

/// Deletes the roster record at `key`, only while its `byHand` is as read (so a link
/// removed and added again by hand meanwhile is not taken for the roster's).
pub(super) fn delete(
    store: &DynamoStore,
    key: Item,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(key))
        .condition_expression("#byHand = :byHand")
        .expression_attribute_names("#byHand", BY_HAND)
        .expression_attribute_values(":byHand", AttributeValue::Bool(by_hand))
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// Requires that the item at `key` still exists: a link or guardian link added by hand,
/// recorded as the roster's too without writing its items.
pub(super) fn exists(store: &DynamoStore, key: Item) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(key))
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// Writes the transactions `plan` makes from what it reads, one after another; when an
/// admin changed a link or a family in between (a condition failed, or a transaction
/// conflicted), reads and plans again — what committed is part of the new reading — up
/// to [`ATTEMPTS`] times with backoff.
pub(super) async fn retried<F, Fut>(
    store: &DynamoStore,
    operation: &str,
    mut plan: F,
) -> Result<(), StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Vec<TransactWriteItem>>, StoreError>>,
{
    'attempts: for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(ops::backoff(attempt)).await;
        }
        for items in plan().await? {
            match transact(&store.client, items, operation).await? {
                Transacted::Committed => {}
                outcome if outcome.conflicted() || outcome.any_condition_failed() => {
                    continue 'attempts;
                }
                outcome => return committed(outcome, operation),
            }
        }
        return Ok(());
    }
    Err(StoreError::Unavailable(format!(
        "{operation}: links changed concurrently with the roster import; import again"
    )))
}
