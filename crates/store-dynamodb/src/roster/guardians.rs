//! The guardian-link steps of an import: making the roster derive guardian links and stop
//! deriving them, as the link steps (`links`) do for links — each guardian link's record
//! (`#roster#guardians`, with `byHand`) written in the same transaction as its items, so
//! a record exists only while the guardian link does, and with them the family links the
//! guardian link makes or ends with each of the student's teachers.
//!
//! An administrator may add or remove a guardian link, or a teacher link of the same
//! student, at any moment, so each chunk (whole students, see `packing`) is planned from
//! a fresh read — the records, the `#guardians` items, the students' wardships, then each
//! student's teachers (after the wardship, so at least as new as it) — and every
//! transaction bumps the wardship of each student whose guardians it changes, on
//! condition that it is as read; when a condition fails, the chunk is read and planned
//! again.

use super::packing::{Packer, Touches, chunks};
use super::records::{self, Recorded, Standing, retried};
use super::steps::{MAX_ACTIONS, in_parallel};
use crate::DynamoStore;
use crate::family;
use crate::item::{
    GUARDIAN_ID, GUARDIANS_PARTITION, Item, ROSTER_GUARDIANS_PARTITION, STUDENT_ID,
    guardian_pair_sk, s, user_info_key,
};
use aws_sdk_dynamodb::types::TransactWriteItem;
use classchat_core::UserId;
use classchat_core::store::{FamilyLink, GuardianLink, StoreError};
use std::collections::{BTreeMap, BTreeSet};

/// Guardian links per chunk (read together, planned together), unless one student has
/// more: a guardian link's own items and record are three actions, and its family links
/// more, which `packing` spreads over as many transactions as they need.
const LINKS_PER_CHUNK: usize = MAX_ACTIONS / 4;

/// Makes the roster derive every guardian link of `links` (a repeated one counts once),
/// a few chunks at once.
pub(super) async fn add_all(store: &DynamoStore, links: &[GuardianLink]) -> Result<(), StoreError> {
    let chunks = chunks(links, |link| &link.student, LINKS_PER_CHUNK);
    in_parallel(chunks.iter().map(|chunk| add_links(store, chunk))).await
}

/// Makes the roster stop deriving every guardian link of `links` (a repeated one counts
/// once), a few chunks at once.
pub(super) async fn remove_all(
    store: &DynamoStore,
    links: &[GuardianLink],
) -> Result<(), StoreError> {
    let chunks = chunks(links, |link| &link.student, LINKS_PER_CHUNK);
    in_parallel(chunks.iter().map(|chunk| remove_links(store, chunk))).await
}

/// Makes the roster derive `links`: a guardian link nobody made is created (its items, as
/// `add_guardian` writes them, its family links and the guardian in the student's
/// wardship) with a record; one added by hand keeps its items and gets a record saying
/// so; one the roster has already is left alone.
async fn add_links(store: &DynamoStore, links: &[&GuardianLink]) -> Result<(), StoreError> {
    retried(
        store,
        "TransactWriteItems add roster guardian links",
        || async {
            let standing = Standing::read(store, links, true).await?;
            let new: Vec<&GuardianLink> = links
                .iter()
                .copied()
                .filter(|link| {
                    !standing.roster.contains_key(*link) && !standing.made.contains(*link)
                })
                .collect();
            let teachers = teachers(store, &new).await?;
            let mut packer = Packer::new(standing.wards, false);
            for link in links {
                if standing.roster.contains_key(*link) {
                    continue;
                }
                let by_hand = standing.made.contains(*link);
                let mut actions = Vec::new();
                if by_hand {
                    actions.push(records::exists(store, listing_key(link))?);
                } else {
                    actions.extend(family::guardian_puts(store, link)?);
                    actions.extend(family::via_puts(store, &family_links(link, &teachers))?);
                }
                actions.push(record_put(store, link, by_hand)?);
                let touches = match by_hand {
                    true => Touches::Nothing,
                    false => Touches::Guardian(link),
                };
                packer.push(store, touches, actions)?;
            }
            packer.finish(store)
        },
    )
    .await
}

/// Makes the roster no longer derive `links`: its record goes and, unless the guardian
/// link was also added by hand, the link's items, its family links and the guardian in
/// the student's wardship with it. One without a record is not the roster's (any more)
/// and is left alone.
async fn remove_links(store: &DynamoStore, links: &[&GuardianLink]) -> Result<(), StoreError> {
    retried(
        store,
        "TransactWriteItems remove roster guardian links",
        || async {
            let standing = Standing::read(store, links, false).await?;
            let ending: Vec<&GuardianLink> = links
                .iter()
                .copied()
                .filter(|link| standing.roster.get(*link) == Some(&false))
                .collect();
            let teachers = teachers(store, &ending).await?;
            let mut packer = Packer::new(standing.wards, true);
            for link in links {
                let Some(&by_hand) = standing.roster.get(*link) else {
                    continue;
                };
                let mut actions = vec![records::delete(store, record_key(link), by_hand)?];
                if !by_hand {
                    for key in family::guardian_keys(link) {
                        actions.push(crate::users::delete(store, key, false)?);
                    }
                    actions.extend(family::via_deletes(store, &family_links(link, &teachers))?);
                }
                let touches = match by_hand {
                    true => Touches::Nothing,
                    false => Touches::Guardian(link),
                };
                packer.push(store, touches, actions)?;
            }
            packer.finish(store)
        },
    )
    .await
}

/// The teachers of the students of `links`, one Query each, all at once — made after the
/// wardships were read, so that what they show is at least as new.
async fn teachers(
    store: &DynamoStore,
    links: &[&GuardianLink],
) -> Result<BTreeMap<UserId, Vec<UserId>>, StoreError> {
    let students: BTreeSet<&UserId> = links.iter().map(|link| &link.student).collect();
    let reads: Vec<_> = students
        .into_iter()
        .map(|student| async move {
            let teachers = family::teachers_of(store, student).await?;
            Ok::<_, StoreError>((student.clone(), teachers))
        })
        .collect();
    futures::future::try_join_all(reads)
        .await
        .map(|found| found.into_iter().collect())
}

/// The family links a guardian link makes with its student's `teachers`.
fn family_links(link: &GuardianLink, teachers: &BTreeMap<UserId, Vec<UserId>>) -> Vec<FamilyLink> {
    teachers
        .get(&link.student)
        .into_iter()
        .flatten()
        .map(|teacher| family::family_link(link, teacher.clone()))
        .collect()
}

impl Recorded for GuardianLink {
    const ROSTER_PARTITION: &'static str = ROSTER_GUARDIANS_PARTITION;

    fn student(&self) -> &UserId {
        &self.student
    }

    fn listing_key(&self) -> Item {
        listing_key(self)
    }

    fn record_key(&self) -> Item {
        record_key(self)
    }

    fn from_item(item: &Item) -> Result<Self, StoreError> {
        family::guardian_link_from_item(item)
    }
}

/// The key of a guardian link's `#guardians` item, which decides whether it exists.
fn listing_key(link: &GuardianLink) -> Item {
    user_info_key(GUARDIANS_PARTITION, guardian_pair_sk(link))
}

/// The key of the roster's record of a guardian link.
fn record_key(link: &GuardianLink) -> Item {
    user_info_key(ROSTER_GUARDIANS_PARTITION, guardian_pair_sk(link))
}

/// Creates the roster's record of a guardian link (see [`records::put`]).
fn record_put(
    store: &DynamoStore,
    link: &GuardianLink,
    by_hand: bool,
) -> Result<TransactWriteItem, StoreError> {
    let mut item = record_key(link);
    item.insert(GUARDIAN_ID.to_owned(), s(link.guardian.as_str()));
    item.insert(STUDENT_ID.to_owned(), s(link.student.as_str()));
    records::put(store, item, by_hand)
}
