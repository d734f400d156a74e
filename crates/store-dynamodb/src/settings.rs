//! The school's settings: one item, `#school` / `settings`, replaced whole by each change
//! and read with one consistent GetItem. No item means no admin has chosen yet: the
//! defaults, which are the most private choices.

use crate::DynamoStore;
use crate::error::classify;
use crate::item::{GUARDIAN_OVERSIGHT, SCHOOL_PARTITION, SETTINGS, get_bool, user_info_key};
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::store::{SchoolSettings, StoreError};

pub(crate) async fn get(store: &DynamoStore) -> Result<SchoolSettings, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(SCHOOL_PARTITION, SETTINGS)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem settings", error))?;
    let Some(item) = output.item else {
        return Ok(SchoolSettings::default());
    };
    Ok(SchoolSettings {
        guardian_oversight: get_bool(&item, GUARDIAN_OVERSIGHT)?,
        ..SchoolSettings::default()
    })
}

pub(crate) async fn put(store: &DynamoStore, settings: &SchoolSettings) -> Result<(), StoreError> {
    let mut item = user_info_key(SCHOOL_PARTITION, SETTINGS);
    item.insert(
        GUARDIAN_OVERSIGHT.to_owned(),
        AttributeValue::Bool(settings.guardian_oversight),
    );
    store
        .client
        .put_item()
        .table_name(&store.tables.user_info)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|error| classify("PutItem settings", error))?;
    Ok(())
}
