//! Classes as their members read them: one class by its sourcedId, and the classes of one
//! user without reading every class.
//!
//! `classes_of` is one Query of the user's `cls#` index items (written by roster imports,
//! see `roster::members`) and one batch read of those classes' items. `cls#` sorts before
//! `conv#`, outside the `conv#` … `link$` range and the prefixes contact lists Query.

use crate::DynamoStore;
use crate::error::{classify, corrupt};
use crate::item::{CLASS_PREFIX, ROSTER_CLASSES_PARTITION, SK, get_s, user_info_key};
use crate::ops;
use crate::roster::class_from_item;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use classchat_core::UserId;
use classchat_core::roster::{Class, SourcedId};
use classchat_core::store::StoreError;
use std::collections::BTreeSet;

/// The class with this sourcedId, read consistently.
pub(crate) async fn get(store: &DynamoStore, id: &SourcedId) -> Result<Option<Class>, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(ROSTER_CLASSES_PARTITION, id.as_str())))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem class", error))?;
    output.item.as_ref().map(class_from_item).transpose()
}

/// The classes `user` teaches or takes, in sourcedId order. The index says which classes
/// to read; the class items say who is in them, so a class whose item is gone, or no
/// longer names the user (an import between its two writes), is left out.
pub(crate) async fn of(store: &DynamoStore, user: &UserId) -> Result<Vec<Class>, StoreError> {
    let query = ops::user_info_prefix(&store.client, &store.tables, user.as_str(), CLASS_PREFIX)
        .projection_expression("#sk");
    let index = ops::query(query, None, "Query classes of a member").await?;
    let mut ids = BTreeSet::new();
    for item in &index {
        let sk = get_s(item, SK)?;
        let raw = sk.strip_prefix(CLASS_PREFIX).ok_or_else(|| corrupt(SK))?;
        ids.insert(SourcedId::parse(raw).ok_or_else(|| corrupt(SK))?);
    }
    let keys = ids
        .iter()
        .map(|id| user_info_key(ROSTER_CLASSES_PARTITION, id.as_str()))
        .collect();
    let shape = KeysAndAttributes::builder();
    let found = ops::batch_get(&store.client, &store.tables.user_info, keys, shape).await?;
    let mut classes = Vec::with_capacity(found.len());
    for item in &found {
        let class = class_from_item(item)?;
        if class.teachers.contains(user) || class.students.contains(user) {
            classes.push(class);
        }
    }
    classes.sort_by(|a, b| a.sourced_id.cmp(&b.sourced_id));
    Ok(classes)
}
