//! Users and links.
//!
//! A user is a `profile` item plus two listing items (`#users` and `#users#<role>`, sort
//! key = userId) that carry a copy of the public fields, so `list_users` is one Query in
//! id order. A link is three items written in one transaction: `link#<peer>` under each
//! participant (what contact lists query) and `<teacher>+<student>` under `#links` (what
//! lists every link); removing a link also drops the roster's record of it (see `roster`).
//! Linking and unlinking also write or delete the family links the link makes with each
//! of the student's guardians, serialised per student (see `family`). Each multi-item
//! change is one TransactWriteItems, so no reader ever sees half of it.

use crate::DynamoStore;
use crate::error::build_failed;
use crate::family::{self, Attempt};
use crate::item::{
    Item, LINK_PREFIX, LINKS_PARTITION, PASSWORD_HASH, PROFILE, ROSTER_LINKS_PARTITION, SK,
    STUDENT_ID, TEACHER_ID, TOKEN_VERSION, USER_ID, USERS_PARTITION, VERSION, get_s, get_u64,
    get_user_id, link_pair_sk, link_sk, n, role_partition, s, user_attributes, user_from_item,
    user_info_key,
};
use crate::ops::{self, Transacted, transact};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use classchat_core::store::{Link, StoreError, UserPatch};
use classchat_core::user::UserRecord;
use classchat_core::{Role, User, UserId};

/// Attempts of an optimistic profile update before giving up under contention.
const UPDATE_ATTEMPTS: u32 = 20;

pub(crate) async fn get(
    store: &DynamoStore,
    id: &UserId,
) -> Result<Option<UserRecord>, StoreError> {
    Ok(get_profile(store, id).await?.map(|(record, _)| record))
}

/// The profile with its version (for optimistic updates).
async fn get_profile(
    store: &DynamoStore,
    id: &UserId,
) -> Result<Option<(UserRecord, u64)>, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(id.as_str(), PROFILE)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| crate::error::classify("GetItem profile", error))?;
    let Some(item) = output.item else {
        return Ok(None);
    };
    // Profiles written before revocation existed have no token version: 0.
    let token_version = match item.get(TOKEN_VERSION) {
        Some(_) => get_u64(&item, TOKEN_VERSION)?,
        None => 0,
    };
    let record = UserRecord {
        user: user_from_item(id.clone(), &item)?,
        password_hash: get_s(&item, PASSWORD_HASH)?.to_owned(),
        token_version,
    };
    Ok(Some((record, get_u64(&item, VERSION)?)))
}

pub(crate) async fn create(store: &DynamoStore, record: &UserRecord) -> Result<(), StoreError> {
    let mut items = vec![put(
        store,
        profile_item(record, 0),
        Some("attribute_not_exists(#pk)"),
        &[],
    )?];
    items.extend(listing_puts(store, &record.user)?);
    match transact(&store.client, items, "TransactWriteItems create user").await? {
        Transacted::Committed => Ok(()),
        outcome if outcome.condition_failed(0) => Err(StoreError::Conflict(format!(
            "user {} already exists",
            record.user.id
        ))),
        outcome if outcome.conflicted() => Err(StoreError::Unavailable(
            "user creation collided with another write; retry".into(),
        )),
        Transacted::Cancelled(reasons) => Err(StoreError::Internal(format!(
            "create user cancelled: {reasons:?}"
        ))),
    }
}

pub(crate) async fn update(
    store: &DynamoStore,
    id: &UserId,
    patch: &UserPatch,
) -> Result<Option<User>, StoreError> {
    for attempt in 0..UPDATE_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(ops::backoff(attempt)).await;
        }
        let Some((current, version)) = get_profile(store, id).await? else {
            return Ok(None);
        };
        let mut next = current.clone();
        if let Some(name) = &patch.display_name {
            next.user.display_name = name.clone();
        }
        if let Some(role) = patch.role {
            next.user.role = role;
        }
        if let Some(hash) = &patch.password_hash {
            next.password_hash = hash.clone();
        }
        if let Some(disabled) = patch.disabled {
            next.user.disabled = disabled;
        }
        if patch.revoke_tokens {
            next.token_version += 1;
        }
        if next == current {
            return Ok(Some(current.user));
        }
        // Replace the profile only if nobody else changed it since we read it.
        let mut items = vec![put(
            store,
            profile_item(&next, version + 1),
            Some("attribute_exists(#pk) AND #version = :version"),
            &[(":version", n(version))],
        )?];
        items.extend(listing_puts(store, &next.user)?);
        if next.user.role != current.user.role {
            items.push(delete(
                store,
                user_info_key(role_partition(current.user.role), id.as_str()),
                false,
            )?);
        }
        match transact(&store.client, items, "TransactWriteItems update user").await? {
            Transacted::Committed => return Ok(Some(next.user)),
            outcome if outcome.condition_failed(0) || outcome.conflicted() => continue,
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "update user cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "user {id} is being changed concurrently; retry"
    )))
}

pub(crate) async fn list(
    store: &DynamoStore,
    role: Option<Role>,
    after: Option<&UserId>,
    limit: usize,
) -> Result<Vec<User>, StoreError> {
    let partition = role.map_or_else(|| USERS_PARTITION.to_owned(), role_partition);
    let mut query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_values(":pk", s(partition));
    query = match after {
        Some(after) => query
            .key_condition_expression("#pk = :pk AND #sk > :after")
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":after", s(after.as_str())),
        None => query.key_condition_expression("#pk = :pk"),
    };
    let items = ops::query(query, Some(limit.max(1)), "Query users").await?;
    items
        .iter()
        .take(limit)
        .map(|item| user_from_item(get_user_id(item, SK)?, item))
        .collect()
}

pub(crate) async fn add_link(store: &DynamoStore, link: &Link) -> Result<(), StoreError> {
    // The link's three items, the family links it makes with each of the student's
    // guardians, and the bump of the student's family version (see `family`).
    family::serialised(store, &link.student, move |wardship| async move {
        let mut items = link_puts(store, link)?;
        items.extend(family::via_puts(
            store,
            &wardship.family_links_with(&link.teacher),
        )?);
        let bump = items.len();
        items.push(wardship.bump(store, None)?);
        family::within_limit(&items, &link.student)?;
        match transact(&store.client, items, "TransactWriteItems add link").await? {
            Transacted::Committed => Ok(Attempt::Done(())),
            outcome if (0..3).any(|index| outcome.condition_failed(index)) => {
                Err(StoreError::Conflict(format!(
                    "{} and {} are already linked",
                    link.teacher, link.student
                )))
            }
            outcome if outcome.condition_failed(bump) || outcome.conflicted() => Ok(Attempt::Raced),
            Transacted::Cancelled(reasons) => Err(StoreError::Internal(format!(
                "add link cancelled: {reasons:?}"
            ))),
        }
    })
    .await
}

pub(crate) async fn remove_link(store: &DynamoStore, link: &Link) -> Result<bool, StoreError> {
    family::serialised(store, &link.student, move |wardship| async move {
        // Only the `#links` item decides whether the link existed; the side items go with
        // it, and so does the roster's record of it (if any), so that a later import
        // derives it again rather than believing it still stands; and so do the family
        // links it made, with the bump of the student's family version.
        let mut items = link_keys(link)
            .into_iter()
            .enumerate()
            .map(|(index, key)| delete(store, key, index == 2))
            .collect::<Result<Vec<_>, _>>()?;
        items.push(delete(
            store,
            user_info_key(ROSTER_LINKS_PARTITION, link_pair_sk(link)),
            false,
        )?);
        items.extend(family::via_deletes(
            store,
            &wardship.family_links_with(&link.teacher),
        )?);
        let bump = items.len();
        items.push(wardship.bump(store, None)?);
        family::within_limit(&items, &link.student)?;
        match transact(&store.client, items, "TransactWriteItems remove link").await? {
            Transacted::Committed => Ok(Attempt::Done(true)),
            outcome if outcome.condition_failed(2) => Ok(Attempt::Done(false)),
            outcome if outcome.condition_failed(bump) || outcome.conflicted() => Ok(Attempt::Raced),
            Transacted::Cancelled(reasons) => Err(StoreError::Internal(format!(
                "remove link cancelled: {reasons:?}"
            ))),
        }
    })
    .await
}

pub(crate) async fn is_linked(store: &DynamoStore, link: &Link) -> Result<bool, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(
            link.teacher.as_str(),
            link_sk(&link.student),
        )))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| crate::error::classify("GetItem link", error))?;
    // The item under the teacher names the student; check the sides are the right way round.
    Ok(match output.item {
        Some(item) => link_from_item(&item)? == *link,
        None => false,
    })
}

pub(crate) async fn list_links(
    store: &DynamoStore,
    user: Option<&UserId>,
) -> Result<Vec<Link>, StoreError> {
    let query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .expression_attribute_names("#pk", USER_ID);
    let query = match user {
        Some(user) => query
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(user.as_str()))
            .expression_attribute_values(":prefix", s(LINK_PREFIX)),
        None => query
            .key_condition_expression("#pk = :pk")
            .expression_attribute_values(":pk", s(LINKS_PARTITION)),
    };
    let mut links = ops::query(query, None, "Query links")
        .await?
        .iter()
        .map(link_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    links.sort();
    Ok(links)
}

/// The link an item describes.
pub(crate) fn link_from_item(item: &Item) -> Result<Link, StoreError> {
    Ok(Link {
        teacher: get_user_id(item, TEACHER_ID)?,
        student: get_user_id(item, STUDENT_ID)?,
    })
}

/// The keys of a link's three items: under the teacher, under the student, under `#links`
/// (in that order: callers find the `#links` item at index 2).
pub(crate) fn link_keys(link: &Link) -> [Item; 3] {
    [
        user_info_key(link.teacher.as_str(), link_sk(&link.student)),
        user_info_key(link.student.as_str(), link_sk(&link.teacher)),
        user_info_key(LINKS_PARTITION, link_pair_sk(link)),
    ]
}

/// Puts of a link's three items (see [`link_keys`]), each failing its condition when the
/// item exists already: what linking writes, by hand or by the roster.
pub(crate) fn link_puts(
    store: &DynamoStore,
    link: &Link,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    link_keys(link)
        .into_iter()
        .map(|key| {
            let mut item = key;
            item.insert(TEACHER_ID.to_owned(), s(link.teacher.as_str()));
            item.insert(STUDENT_ID.to_owned(), s(link.student.as_str()));
            put(store, item, Some("attribute_not_exists(#pk)"), &[])
        })
        .collect()
}

/// A profile item at `version`: what creating (version 0) or replacing a user writes.
pub(crate) fn profile_item(record: &UserRecord, version: u64) -> Item {
    let mut item = user_attributes(&record.user);
    item.extend(user_info_key(record.user.id.as_str(), PROFILE));
    item.insert(PASSWORD_HASH.to_owned(), s(&record.password_hash));
    item.insert(VERSION.to_owned(), n(version));
    item.insert(TOKEN_VERSION.to_owned(), n(record.token_version));
    item
}

/// The two listing items of `user` (all users, and users of its role).
pub(crate) fn listing_puts(
    store: &DynamoStore,
    user: &User,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    [USERS_PARTITION.to_owned(), role_partition(user.role)]
        .into_iter()
        .map(|partition| {
            let mut item = user_attributes(user);
            item.extend(user_info_key(partition, user.id.as_str()));
            put(store, item, None, &[])
        })
        .collect()
}

/// A Put into UserInfo; `#pk` (userId) and `#version` may appear in `condition`, with
/// `values` for its placeholders.
pub(crate) fn put(
    store: &DynamoStore,
    item: Item,
    condition: Option<&str>,
    values: &[(&str, AttributeValue)],
) -> Result<TransactWriteItem, StoreError> {
    let mut put = Put::builder()
        .table_name(&store.tables.user_info)
        .set_item(Some(item));
    if let Some(condition) = condition {
        put = put
            .condition_expression(condition)
            .expression_attribute_names("#pk", USER_ID);
        if condition.contains("#version") {
            put = put.expression_attribute_names("#version", VERSION);
        }
        for (name, value) in values {
            put = put.expression_attribute_values(*name, value.clone());
        }
    }
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(build_failed)?)
        .build())
}

/// A Delete from UserInfo; with `must_exist` it fails its condition when there is nothing
/// to delete.
pub(crate) fn delete(
    store: &DynamoStore,
    key: Item,
    must_exist: bool,
) -> Result<TransactWriteItem, StoreError> {
    let mut delete = Delete::builder()
        .table_name(&store.tables.user_info)
        .set_key(Some(key));
    if must_exist {
        delete = delete
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", USER_ID);
    }
    Ok(TransactWriteItem::builder()
        .delete(delete.build().map_err(build_failed)?)
        .build())
}
