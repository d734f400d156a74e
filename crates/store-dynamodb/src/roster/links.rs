//! The link steps of an import: making the roster derive links and stop deriving them,
//! each link's record (`#roster#links`) written in the same transaction as its items, so
//! a record exists only while the link does, and with them the family links each link
//! makes or ends with the student's guardians (see `family` and `packing`).
//!
//! A link's items may be written by an administrator at any moment (`add_link`,
//! `remove_link`), and so may a student's guardians (`add_guardian`), so each chunk's
//! transactions are built from a fresh read of how its links stand and of its students'
//! wardships, conditioned on that, and built again from a new read when a condition shows
//! the read went stale. A chunk holds whole students — all the step's links of one
//! student are in one chunk — so the chunks that run at once never bump one wardship.

use super::packing::{Packer, Touches, chunks};
use super::records::{self, Recorded, Standing, retried};
use super::steps::{MAX_ACTIONS, in_parallel};
use crate::DynamoStore;
use crate::family;
use crate::item::{
    Item, LINKS_PARTITION, ROSTER_LINKS_PARTITION, STUDENT_ID, TEACHER_ID, link_pair_sk, s,
    user_info_key,
};
use crate::users;
use aws_sdk_dynamodb::types::TransactWriteItem;
use classchat_core::UserId;
use classchat_core::store::{Link, StoreError};

/// Links per chunk (read together, planned together), unless one student has more: a
/// link's own items are four actions, and its family links more, which `packing` spreads
/// over as many transactions as they need.
const LINKS_PER_CHUNK: usize = MAX_ACTIONS / 4;

/// Makes the roster derive every link of `links` (a repeated link counts once), a few
/// chunks at once.
pub(super) async fn add_all(store: &DynamoStore, links: &[Link]) -> Result<(), StoreError> {
    let chunks = chunks(links, |link| &link.student, LINKS_PER_CHUNK);
    in_parallel(chunks.iter().map(|chunk| add_links(store, chunk))).await
}

/// Makes the roster stop deriving every link of `links` (a repeated link counts once), a
/// few chunks at once.
pub(super) async fn remove_all(store: &DynamoStore, links: &[Link]) -> Result<(), StoreError> {
    let chunks = chunks(links, |link| &link.student, LINKS_PER_CHUNK);
    in_parallel(chunks.iter().map(|chunk| remove_links(store, chunk))).await
}

/// Makes the roster derive `links`: a link nobody made is created (its three items, as
/// `add_link` writes them, and its family links) with a record; a link added by hand keeps
/// its items and gets a record saying so; a link the roster has already is left alone.
async fn add_links(store: &DynamoStore, links: &[&Link]) -> Result<(), StoreError> {
    retried(store, "TransactWriteItems add roster links", || async {
        let standing = Standing::read(store, links, true).await?;
        let mut packer = Packer::new(standing.wards, false);
        for link in links {
            if standing.roster.contains_key(*link) {
                continue;
            }
            let by_hand = standing.made.contains(*link);
            let mut actions = Vec::new();
            if by_hand {
                actions.push(link_exists(store, link)?);
            } else {
                actions.extend(users::link_puts(store, link)?);
                let family = packer
                    .wardship(&link.student)
                    .family_links_with(&link.teacher);
                actions.extend(family::via_puts(store, &family)?);
            }
            actions.push(record_put(store, link, by_hand)?);
            let touches = match by_hand {
                true => Touches::Nothing,
                false => Touches::Links(&link.student),
            };
            packer.push(store, touches, actions)?;
        }
        packer.finish(store)
    })
    .await
}

/// Makes the roster no longer derive `links`: its record goes and, unless the link was
/// also added by hand, the link's items and family links with it. A link without a record
/// is not the roster's (any more) and is left alone.
async fn remove_links(store: &DynamoStore, links: &[&Link]) -> Result<(), StoreError> {
    retried(store, "TransactWriteItems remove roster links", || async {
        let standing = Standing::read(store, links, false).await?;
        let mut packer = Packer::new(standing.wards, false);
        for link in links {
            let Some(&by_hand) = standing.roster.get(*link) else {
                continue;
            };
            let mut actions = vec![record_delete(store, link, by_hand)?];
            if !by_hand {
                for key in users::link_keys(link) {
                    actions.push(users::delete(store, key, false)?);
                }
                let family = packer
                    .wardship(&link.student)
                    .family_links_with(&link.teacher);
                actions.extend(family::via_deletes(store, &family)?);
            }
            let touches = match by_hand {
                true => Touches::Nothing,
                false => Touches::Links(&link.student),
            };
            packer.push(store, touches, actions)?;
        }
        packer.finish(store)
    })
    .await
}

impl Recorded for Link {
    const ROSTER_PARTITION: &'static str = ROSTER_LINKS_PARTITION;

    fn student(&self) -> &UserId {
        &self.student
    }

    fn listing_key(&self) -> Item {
        user_info_key(LINKS_PARTITION, link_pair_sk(self))
    }

    fn record_key(&self) -> Item {
        record_key(self)
    }

    fn from_item(item: &Item) -> Result<Self, StoreError> {
        users::link_from_item(item)
    }
}

/// The key of the roster's record of a link.
fn record_key(link: &Link) -> Item {
    user_info_key(ROSTER_LINKS_PARTITION, link_pair_sk(link))
}

/// Creates the roster's record of a link (see [`records::put`]).
fn record_put(
    store: &DynamoStore,
    link: &Link,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    let mut item = record_key(link);
    item.insert(TEACHER_ID.to_owned(), s(link.teacher.as_str()));
    item.insert(STUDENT_ID.to_owned(), s(link.student.as_str()));
    records::put(store, item, by_hand)
}

/// Deletes the roster's record of a link (see [`records::delete`]).
fn record_delete(
    store: &DynamoStore,
    link: &Link,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    records::delete(store, record_key(link), by_hand)
}

/// Requires that a link still exists (added by hand), for recording it as the roster's
/// too without writing its items.
fn link_exists(store: &DynamoStore, link: &Link) -> Result<TransactWriteItem, StoreError> {
    records::exists(store, user_info_key(LINKS_PARTITION, link_pair_sk(link)))
}
