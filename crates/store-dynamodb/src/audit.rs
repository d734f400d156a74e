//! The audit log: one partition of UserInfo, `userId = "#audit"`, sort key = the entry's
//! ULID, so listing newest first is one backwards Query with a key condition for the
//! cursor. Audit writes are rare (admin actions), far below one partition's throughput.

use crate::DynamoStore;
use crate::error::{classify, corrupt};
use crate::item::{
    ACTION, ACTOR, AT, AUDIT_PARTITION, SK, TARGET, USER_ID, get_s, get_timestamp, s, user_info_key,
};
use crate::ops;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use classchat_core::store::{AuditAction, AuditEntry, StoreError};

pub(crate) async fn append(store: &DynamoStore, entry: &AuditEntry) -> Result<(), StoreError> {
    let mut item = user_info_key(AUDIT_PARTITION, &entry.id);
    item.insert(AT.to_owned(), s(entry.at.to_string()));
    item.insert(ACTOR.to_owned(), s(&entry.actor));
    item.insert(ACTION.to_owned(), s(entry.action.as_str()));
    item.insert(TARGET.to_owned(), s(&entry.target));
    let result = store
        .client
        .put_item()
        .table_name(&store.tables.user_info)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(service))
            if matches!(
                service.err(),
                PutItemError::ConditionalCheckFailedException(_)
            ) =>
        {
            Err(StoreError::Conflict(format!(
                "audit entry {} already exists",
                entry.id
            )))
        }
        Err(error) => Err(classify("PutItem audit", error)),
    }
}

pub(crate) async fn list(
    store: &DynamoStore,
    before: Option<&str>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .scan_index_forward(false)
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_values(":pk", s(AUDIT_PARTITION));
    query = match before {
        Some(before) => query
            .key_condition_expression("#pk = :pk AND #sk < :before")
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":before", s(before)),
        None => query.key_condition_expression("#pk = :pk"),
    };
    ops::query(query, Some(limit), "Query audit")
        .await?
        .iter()
        .map(|item| {
            Ok(AuditEntry {
                id: get_s(item, SK)?.to_owned(),
                at: get_timestamp(item, AT)?,
                actor: get_s(item, ACTOR)?.to_owned(),
                action: AuditAction::parse(get_s(item, ACTION)?).ok_or_else(|| corrupt(ACTION))?,
                target: get_s(item, TARGET)?.to_owned(),
            })
        })
        .collect()
}
