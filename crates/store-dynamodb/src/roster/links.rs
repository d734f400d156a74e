//! The link steps of an import: making the roster derive links and stop deriving them,
//! each link's record (`#roster#links`) written in the same transaction as its items, so
//! a record exists only while the link does.
//!
//! A link's items may be written by an administrator at any moment (`add_link`,
//! `remove_link`), so each transaction is built from a fresh read of how its links stand,
//! conditioned on that, and built again from a new read when a condition shows the read
//! went stale.

use super::steps::{ATTEMPTS, MAX_ACTIONS, NOT_EXISTS, committed, in_parallel};
use crate::DynamoStore;
use crate::error::build_failed;
use crate::item::{
    BY_HAND, Item, LINKS_PARTITION, ROSTER_LINKS_PARTITION, STUDENT_ID, TEACHER_ID, USER_ID,
    get_bool, get_s, link_pair_sk, s, user_info_key,
};
use crate::ops::{self, Transacted, transact};
use crate::users;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, TransactWriteItem,
};
use classchat_core::store::{Link, StoreError};
use std::collections::{BTreeMap, BTreeSet};

/// Links per transaction: adding one writes up to four items (three link items and the
/// record), removing one deletes as many.
const LINKS_PER_TRANSACTION: usize = MAX_ACTIONS / 4;

/// Makes the roster derive every link of `links` (a repeated link counts once), a few
/// transactions at once.
pub(super) async fn add_all(store: &DynamoStore, links: &[Link]) -> Result<(), StoreError> {
    let links: Vec<&Link> = links.iter().collect::<BTreeSet<_>>().into_iter().collect();
    in_parallel(
        links
            .chunks(LINKS_PER_TRANSACTION)
            .map(|chunk| add_links(store, chunk)),
    )
    .await
}

/// Makes the roster stop deriving every link of `links` (a repeated link counts once), a
/// few transactions at once.
pub(super) async fn remove_all(store: &DynamoStore, links: &[Link]) -> Result<(), StoreError> {
    let links: Vec<&Link> = links.iter().collect::<BTreeSet<_>>().into_iter().collect();
    in_parallel(
        links
            .chunks(LINKS_PER_TRANSACTION)
            .map(|chunk| remove_links(store, chunk)),
    )
    .await
}

/// Makes the roster derive `links`: a link nobody made is created (its three items, as
/// `add_link` writes them) with a record; a link added by hand keeps its items and gets a
/// record saying so; a link the roster has already is left alone.
async fn add_links(store: &DynamoStore, links: &[&Link]) -> Result<(), StoreError> {
    retried(store, "TransactWriteItems add roster links", || async {
        let standing = Standing::read(store, links, true).await?;
        let mut items = Vec::new();
        for link in links {
            if standing.roster.contains_key(*link) {
                continue;
            }
            let by_hand = standing.linked.contains(*link);
            if by_hand {
                items.push(link_exists(store, link)?);
            } else {
                items.extend(users::link_puts(store, link)?);
            }
            items.push(record_put(store, link, by_hand)?);
        }
        Ok(items)
    })
    .await
}

/// Makes the roster no longer derive `links`: its record goes and, unless the link was
/// also added by hand, the link's items with it. A link without a record is not the
/// roster's (any more) and is left alone.
async fn remove_links(store: &DynamoStore, links: &[&Link]) -> Result<(), StoreError> {
    retried(store, "TransactWriteItems remove roster links", || async {
        let standing = Standing::read(store, links, false).await?;
        let mut items = Vec::new();
        for link in links {
            let Some(&by_hand) = standing.roster.get(*link) else {
                continue;
            };
            items.push(record_delete(store, link, by_hand)?);
            if !by_hand {
                for key in users::link_keys(link) {
                    items.push(users::delete(store, key, false)?);
                }
            }
        }
        Ok(items)
    })
    .await
}

/// Writes the items `plan` makes from what it reads, as one transaction; when an admin
/// changed a link in between (a condition failed, or the transaction conflicted), reads
/// and plans again, up to [`ATTEMPTS`] times with backoff.
async fn retried<F, Fut>(
    store: &DynamoStore,
    operation: &str,
    mut plan: F,
) -> Result<(), StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<TransactWriteItem>, StoreError>>,
{
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(ops::backoff(attempt)).await;
        }
        let items = plan().await?;
        if items.is_empty() {
            return Ok(());
        }
        match transact(&store.client, items, operation).await? {
            Transacted::Committed => return Ok(()),
            outcome if outcome.conflicted() || outcome.any_condition_failed() => {}
            outcome => return committed(outcome, operation),
        }
    }
    Err(StoreError::Unavailable(
        "links changed concurrently with the roster import; import again".into(),
    ))
}

/// How some links stand, read just before writing them.
struct Standing {
    /// Those that exist (by hand, by the roster or both); read only when asked for.
    linked: BTreeSet<Link>,
    /// Those the roster has a record of, with whether they were also added by hand.
    roster: BTreeMap<Link, bool>,
}

impl Standing {
    /// Reads the records of `links` and, `with_items`, their `#links` items, in one batch.
    async fn read(
        store: &DynamoStore,
        links: &[&Link],
        with_items: bool,
    ) -> Result<Self, StoreError> {
        let mut keys = Vec::with_capacity(links.len() * 2);
        for link in links {
            keys.push(record_key(link));
            if with_items {
                keys.push(user_info_key(LINKS_PARTITION, link_pair_sk(link)));
            }
        }
        let shape = KeysAndAttributes::builder();
        let items = ops::batch_get(&store.client, &store.tables.user_info, keys, shape).await?;
        let mut standing = Self {
            linked: BTreeSet::new(),
            roster: BTreeMap::new(),
        };
        for item in items {
            let link = users::link_from_item(&item)?;
            if get_s(&item, USER_ID)? == ROSTER_LINKS_PARTITION {
                standing.roster.insert(link, get_bool(&item, BY_HAND)?);
            } else {
                standing.linked.insert(link);
            }
        }
        Ok(standing)
    }
}

/// The key of the roster's record of a link.
fn record_key(link: &Link) -> Item {
    user_info_key(ROSTER_LINKS_PARTITION, link_pair_sk(link))
}

/// Creates the roster's record of a link; fails its condition when there is one already
/// (another import, racing this one).
fn record_put(
    store: &DynamoStore,
    link: &Link,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    let mut item = record_key(link);
    item.insert(TEACHER_ID.to_owned(), s(link.teacher.as_str()));
    item.insert(STUDENT_ID.to_owned(), s(link.student.as_str()));
    item.insert(BY_HAND.to_owned(), AttributeValue::Bool(by_hand));
    users::put(store, item, Some(NOT_EXISTS), &[])
}

/// Deletes the roster's record of a link, only while it is as read (so a link removed
/// and added again by hand meanwhile is not taken for the roster's).
fn record_delete(
    store: &DynamoStore,
    link: &Link,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(record_key(link)))
        .condition_expression("#byHand = :byHand")
        .expression_attribute_names("#byHand", BY_HAND)
        .expression_attribute_values(":byHand", AttributeValue::Bool(by_hand))
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// Requires that a link still exists (added by hand), for recording it as the roster's
/// too without writing its items.
fn link_exists(store: &DynamoStore, link: &Link) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(LINKS_PARTITION, link_pair_sk(link))))
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}
