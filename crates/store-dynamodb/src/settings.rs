//! The school's settings: one item, `#school` / `settings`, replaced whole by each change
//! and read with one consistent GetItem. No item means no admin has chosen yet: the
//! defaults, which are the most private choices. A setting added after the item was first
//! written is absent from it until the next change, and reads as its default too.

use crate::DynamoStore;
use crate::error::{classify, corrupt};
use crate::item::{
    DIGEST_TEXT, EDIT_WINDOW_MINUTES, FLAG_PATTERNS, FLAG_WORDS, GUARDIAN_OVERSIGHT, Item,
    PUSH_PREVIEW, QUIET_HOURS, RETENTION_DAYS, SCHOOL_PARTITION, SETTINGS, URGENT_SENDERS,
    get_bool, get_bool_or_false, get_schedule, get_u64, n, s, user_info_key,
};
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::UserId;
use classchat_core::moderation::DEFAULT_EDIT_WINDOW_MINUTES;
use classchat_core::notify::Schedule;
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
        quiet_hours: get_schedule(&item, QUIET_HOURS)?,
        push_preview: get_bool_or_false(&item, PUSH_PREVIEW)?,
        digest_text: get_bool_or_false(&item, DIGEST_TEXT)?,
        urgent_senders: urgent_senders(&item)?,
        edit_window_minutes: edit_window(&item)?,
        flag_words: strings(&item, FLAG_WORDS)?,
        flag_patterns: strings(&item, FLAG_PATTERNS)?,
        retention_days: item
            .get(RETENTION_DAYS)
            .map(|_| {
                u32::try_from(get_u64(&item, RETENTION_DAYS)?).map_err(|_| corrupt(RETENTION_DAYS))
            })
            .transpose()?,
    })
}

pub(crate) async fn put(store: &DynamoStore, settings: &SchoolSettings) -> Result<(), StoreError> {
    let mut item = user_info_key(SCHOOL_PARTITION, SETTINGS);
    item.insert(
        GUARDIAN_OVERSIGHT.to_owned(),
        AttributeValue::Bool(settings.guardian_oversight),
    );
    if let Some(hours) = &settings.quiet_hours {
        item.insert(QUIET_HOURS.to_owned(), s(Schedule::encode(hours)));
    }
    item.insert(
        PUSH_PREVIEW.to_owned(),
        AttributeValue::Bool(settings.push_preview),
    );
    item.insert(
        DIGEST_TEXT.to_owned(),
        AttributeValue::Bool(settings.digest_text),
    );
    if !settings.urgent_senders.is_empty() {
        let senders = settings.urgent_senders.iter().map(ToString::to_string);
        item.insert(
            URGENT_SENDERS.to_owned(),
            AttributeValue::Ss(senders.collect()),
        );
    }
    // Written even at its default: 0 (no edits at all) must read back as 0.
    item.insert(
        EDIT_WINDOW_MINUTES.to_owned(),
        n(settings.edit_window_minutes),
    );
    if let Some(days) = settings.retention_days {
        item.insert(RETENTION_DAYS.to_owned(), n(days));
    }
    for (name, list) in [
        (FLAG_WORDS, &settings.flag_words),
        (FLAG_PATTERNS, &settings.flag_patterns),
    ] {
        if !list.is_empty() {
            let list = list.iter().map(|text| s(text.as_str())).collect();
            item.insert(name.to_owned(), AttributeValue::L(list));
        }
    }
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

/// The edit window, or the default when the item predates the setting.
fn edit_window(item: &Item) -> Result<u32, StoreError> {
    match item.get(EDIT_WINDOW_MINUTES) {
        None => Ok(DEFAULT_EDIT_WINDOW_MINUTES),
        Some(_) => u32::try_from(get_u64(item, EDIT_WINDOW_MINUTES)?)
            .map_err(|_| corrupt(EDIT_WINDOW_MINUTES)),
    }
}

/// A list of strings kept in its order (absent: empty).
fn strings(item: &Item, name: &str) -> Result<Vec<String>, StoreError> {
    let Some(value) = item.get(name) else {
        return Ok(Vec::new());
    };
    let list = value.as_l().map_err(|_| corrupt(name))?;
    list.iter()
        .map(|text| text.as_s().cloned().map_err(|_| corrupt(name)))
        .collect()
}

/// The teachers allowed urgent sends, sorted (a string set has no order).
fn urgent_senders(item: &Item) -> Result<Vec<UserId>, StoreError> {
    let Some(value) = item.get(URGENT_SENDERS) else {
        return Ok(Vec::new());
    };
    let raw = value.as_ss().map_err(|_| corrupt(URGENT_SENDERS))?;
    let mut senders = raw
        .iter()
        .map(|id| UserId::parse(id).map_err(|_| corrupt(URGENT_SENDERS)))
        .collect::<Result<Vec<_>, _>>()?;
    senders.sort();
    Ok(senders)
}
