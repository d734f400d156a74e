//! Families: guardian links, the family links that follow from them and the teachers'
//! links, and the family contact lists — each read with one Query, never a Scan or GSI.
//!
//! # Items (in UserInfo)
//! - `<guardianId>` / `ward#<studentId>`: `guardianId`, `studentId` — the guardian's side
//!   of a guardian link.
//! - `<studentId>` / `wardship`: `guardians` (string set, absent when none) and
//!   `familyVersion` (N) — the student's side of their guardian links, and the version
//!   that serialises changes to their family (see `wardship`). Both sides start with
//!   `ward`, so one Query of that prefix is a user's guardian links whichever side they
//!   are on; the student's side is one item, so a family change reads the guardians and
//!   the version in one atomic GetItem (a roster import, many students' in one
//!   BatchGetItem).
//! - `#guardians` / `<guardianId>+<studentId>`: `guardianId`, `studentId` — every guardian
//!   link, for the admin listing; it decides whether a link exists. A guardian link the
//!   roster derives has the same items and a record in `#roster#guardians` (see
//!   `roster`), which `remove_guardian` drops with them.
//! - `<guardianId>` / `via#<teacherId>#<studentId>` and `<teacherId>` /
//!   `via#<guardianId>#<studentId>`: `guardianId`, `teacherId`, `studentId` — one
//!   [`FamilyLink`] under each end, so `family_links` is one Query, and a guardian's send
//!   through a child is checked on one item (see `messages`).
//!
//! `ward…` and `via#` sort after `link$`, so the contact lists' `conv#`…`link$` Query
//! never reads them.
//!
//! # Keeping family links true
//! A family link is derived, so its items are written by the changes it derives from, in
//! the same transaction: linking or unlinking a teacher and a student (by hand in
//! `users`, by a roster import in `roster`) writes or deletes the items for each of the
//! student's guardians; adding or removing a guardian (by hand here, by a roster import
//! in `roster`) does so for each of the student's teachers. What "each" is comes from a read before the transaction, and a change racing
//! it for the same student would make that read stale — two admins adding a guardian and
//! a teacher link at once would each miss the other's family link. So every such change
//! reads the student's `wardship` first and bumps its `familyVersion` in its transaction,
//! on condition that it is unchanged; of two racing changes one commits, and the other
//! reads again and plans from the new state. Changes of different students never wait
//! for each other.

mod contacts;
mod wardship;

pub(crate) use contacts::family_contacts;
pub(crate) use wardship::{
    Attempt, GuardianChange, Wardship, family_link_from_item, serialised, teachers_of, via_deletes,
    via_puts, within_limit,
};

use crate::DynamoStore;
use crate::item::{
    GUARDIAN_ID, GUARDIANS_PARTITION, GUARDIANSHIP_PREFIX, Item, ROSTER_GUARDIANS_PARTITION, SK,
    STUDENT_ID, USER_ID, VIA_PREFIX, WARD_PREFIX, WARDSHIP, get_s, get_user_id, guardian_pair_sk,
    s, user_info_key, ward_sk,
};
use crate::ops::{self, Transacted, transact};
use crate::users;
use aws_sdk_dynamodb::types::TransactWriteItem;
use classchat_core::UserId;
use classchat_core::store::{FamilyLink, GuardianLink, StoreError};

/// Position of the `#guardians` item in a guardian link's transaction: it decides whether
/// the link exists.
const LISTING: usize = 0;
/// Position of the wardship bump in a guardian link's transaction.
const BUMP: usize = 2;

pub(crate) async fn add_guardian(
    store: &DynamoStore,
    link: &GuardianLink,
) -> Result<(), StoreError> {
    let conflict = || {
        StoreError::Conflict(format!(
            "{} is already a guardian of {}",
            link.guardian, link.student
        ))
    };
    serialised(store, &link.student, move |wardship| async move {
        if wardship.guardians.contains(&link.guardian) {
            return Err(conflict());
        }
        let family: Vec<FamilyLink> = teachers_of(store, &link.student)
            .await?
            .into_iter()
            .map(|teacher| family_link(link, teacher))
            .collect();
        let mut items = guardian_puts(store, link)?;
        items.push(wardship.bump(
            store,
            Some(GuardianChange::Add(std::slice::from_ref(&link.guardian))),
        )?);
        items.extend(via_puts(store, &family)?);
        within_limit(&items, &link.student)?;
        match transact(&store.client, items, "TransactWriteItems add guardian").await? {
            Transacted::Committed => Ok(Attempt::Done(())),
            outcome if outcome.condition_failed(LISTING) => Err(conflict()),
            outcome if outcome.condition_failed(BUMP) || outcome.conflicted() => Ok(Attempt::Raced),
            Transacted::Cancelled(reasons) => Err(StoreError::Internal(format!(
                "add guardian cancelled: {reasons:?}"
            ))),
        }
    })
    .await
}

pub(crate) async fn remove_guardian(
    store: &DynamoStore,
    link: &GuardianLink,
) -> Result<bool, StoreError> {
    serialised(store, &link.student, move |wardship| async move {
        // The wardship was read consistently: a guardian missing from it is no guardian.
        if !wardship.guardians.contains(&link.guardian) {
            return Ok(Attempt::Done(false));
        }
        let family: Vec<FamilyLink> = teachers_of(store, &link.student)
            .await?
            .into_iter()
            .map(|teacher| family_link(link, teacher))
            .collect();
        let [listing, ward] = guardian_keys(link);
        let mut items = vec![
            users::delete(store, listing, true)?,
            users::delete(store, ward, false)?,
            wardship.bump(
                store,
                Some(GuardianChange::Remove(std::slice::from_ref(&link.guardian))),
            )?,
            // The roster's record of it goes too, as `remove_link` drops a link's.
            users::delete(
                store,
                user_info_key(ROSTER_GUARDIANS_PARTITION, guardian_pair_sk(link)),
                false,
            )?,
        ];
        items.extend(via_deletes(store, &family)?);
        within_limit(&items, &link.student)?;
        match transact(&store.client, items, "TransactWriteItems remove guardian").await? {
            Transacted::Committed => Ok(Attempt::Done(true)),
            outcome if outcome.condition_failed(LISTING) => Ok(Attempt::Done(false)),
            outcome if outcome.condition_failed(BUMP) || outcome.conflicted() => Ok(Attempt::Raced),
            Transacted::Cancelled(reasons) => Err(StoreError::Internal(format!(
                "remove guardian cancelled: {reasons:?}"
            ))),
        }
    })
    .await
}

pub(crate) async fn list_guardian_links(
    store: &DynamoStore,
    user: Option<&UserId>,
) -> Result<Vec<GuardianLink>, StoreError> {
    let query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .expression_attribute_names("#pk", USER_ID);
    let Some(user) = user else {
        let query = query
            .key_condition_expression("#pk = :pk")
            .expression_attribute_values(":pk", s(GUARDIANS_PARTITION));
        let mut links = ops::query(query, None, "Query guardian links")
            .await?
            .iter()
            .map(guardian_link_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        links.sort();
        return Ok(links);
    };
    // Both sides at once: `ward#…` (the user as guardian) and `wardship` (as student).
    let query = query
        .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
        .expression_attribute_names("#sk", SK)
        .expression_attribute_values(":pk", s(user.as_str()))
        .expression_attribute_values(":prefix", s(GUARDIANSHIP_PREFIX));
    let mut links = Vec::new();
    for item in ops::query(query, None, "Query guardian links of a user").await? {
        let sk = get_s(&item, SK)?;
        if sk.starts_with(WARD_PREFIX) {
            links.push(guardian_link_from_item(&item)?);
        } else if sk == WARDSHIP {
            let wardship = Wardship::from_item(user.clone(), &item)?;
            links.extend(wardship.guardians.into_iter().map(|guardian| GuardianLink {
                guardian,
                student: user.clone(),
            }));
        }
    }
    links.sort();
    links.dedup();
    Ok(links)
}

pub(crate) async fn family_links(
    store: &DynamoStore,
    user: &UserId,
) -> Result<Vec<FamilyLink>, StoreError> {
    let query = ops::user_info_prefix(&store.client, &store.tables, user.as_str(), VIA_PREFIX);
    let mut links = ops::query(query, None, "Query family links")
        .await?
        .iter()
        .map(family_link_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    links.sort();
    links.dedup();
    Ok(links)
}

/// The keys of a guardian link's own items, in transaction order: under `#guardians` (at
/// [`LISTING`]), then under the guardian. (The student's side is their wardship's
/// guardian set, changed by the bump.)
pub(crate) fn guardian_keys(link: &GuardianLink) -> [Item; 2] {
    [
        user_info_key(GUARDIANS_PARTITION, guardian_pair_sk(link)),
        user_info_key(link.guardian.as_str(), ward_sk(&link.student)),
    ]
}

/// Puts of a guardian link's own items (see [`guardian_keys`]), only the listing on
/// condition that it does not exist (it decides whether the link exists): what adding
/// one writes, by hand or by the roster.
pub(crate) fn guardian_puts(
    store: &DynamoStore,
    link: &GuardianLink,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let [listing, ward] = guardian_keys(link).map(|mut item| {
        item.insert(GUARDIAN_ID.to_owned(), s(link.guardian.as_str()));
        item.insert(STUDENT_ID.to_owned(), s(link.student.as_str()));
        item
    });
    Ok(vec![
        users::put(store, listing, Some("attribute_not_exists(#pk)"), &[])?,
        users::put(store, ward, None, &[])?,
    ])
}

/// The family link of a guardian link's guardian with one of the child's teachers.
pub(crate) fn family_link(link: &GuardianLink, teacher: UserId) -> FamilyLink {
    FamilyLink {
        guardian: link.guardian.clone(),
        teacher,
        student: link.student.clone(),
    }
}

/// The guardian link a `ward#`, `#guardians` or `#roster#guardians` item describes.
pub(crate) fn guardian_link_from_item(item: &Item) -> Result<GuardianLink, StoreError> {
    Ok(GuardianLink {
        guardian: get_user_id(item, GUARDIAN_ID)?,
        student: get_user_id(item, STUDENT_ID)?,
    })
}
