//! The moderation queue: reports in UserInfo, each kept twice — under `#reports` (every
//! report, sort key = its id, a ULID, so newest first is a backwards Query) and under
//! `#reports#<state>` (the same item, in the partition of its state) — so that listing
//! all or one state's is one strongly consistent Query with no filter. A reporter's key
//! (`Report::dedup_key`) is an item of `#reportkeys` naming their report.
//!
//! Filing is one transaction: the key (on condition that it is new), the report and its
//! state's copy. Of two reports of one message by one reporter, racing or retried, one
//! commits and the other reads and answers it. A step is one transaction too, from a
//! read of the report: the report put back with the step, on condition that its state
//! and number of steps are still as read, its old state's copy deleted and the new
//! one's put. Of two steps made on one reading, one commits and the other is a
//! conflict. Both partitions take admin-rate writes only (a report per person who
//! reports, a step per admin action), far below a partition's limits.

use crate::DynamoStore;
use crate::error::{build_failed, classify, corrupt};
use crate::item::{
    Item, REPORT_ID, REPORT_KEYS_PARTITION, SK, STATE, STEPS, USER_ID, get_s, n, report_attributes,
    report_from_item, reports_partition, s, user_info_key,
};
use crate::ops::{self, Transacted, transact};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use classchat_core::store::{Report, ReportId, ReportState, ReportStep, StoreError};

/// Attempts before a write of the queue gives up under contention (another transaction
/// on the same items at the same moment, which only an admin's double click makes).
const ATTEMPTS: u32 = 10;

/// Files `report`, or answers the reporter's earlier report of the same message.
pub(crate) async fn put(store: &DynamoStore, report: &Report) -> Result<Report, StoreError> {
    for attempt in 0..ATTEMPTS {
        let mut key = user_info_key(REPORT_KEYS_PARTITION, report.dedup_key());
        key.insert(REPORT_ID.to_owned(), s(report.id.to_string()));
        let items = vec![
            put_new(store, key)?,
            put_new(store, report_item(None, report))?,
            put_new(store, report_item(Some(report.state), report))?,
        ];
        match transact(&store.client, items, "TransactWriteItems put report").await? {
            Transacted::Committed => return Ok(report.clone()),
            outcome if outcome.condition_failed(0) => return earlier(store, report).await,
            outcome if outcome.condition_failed(1) || outcome.condition_failed(2) => {
                return Err(StoreError::Conflict(format!(
                    "a report with id {} exists",
                    report.id
                )));
            }
            outcome if outcome.conflicted() => {
                tokio::time::sleep(ops::backoff(attempt)).await;
            }
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "report cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(busy())
}

/// The report the reporter of `report` already made of its message: its key blocked
/// `report`, and a key is only ever written with its report.
async fn earlier(store: &DynamoStore, report: &Report) -> Result<Report, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(
            REPORT_KEYS_PARTITION,
            report.dedup_key(),
        )))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem report key", error))?;
    let key = output
        .item
        .ok_or_else(|| corrupt("report key vanished after blocking a report"))?;
    let id = ReportId::parse(get_s(&key, REPORT_ID)?).map_err(|_| corrupt(REPORT_ID))?;
    get(store, id)
        .await?
        .ok_or_else(|| corrupt("report key without its report"))
}

/// The report with this id.
pub(crate) async fn get(store: &DynamoStore, id: ReportId) -> Result<Option<Report>, StoreError> {
    let output = store
        .client
        .get_item()
        .table_name(&store.tables.user_info)
        .set_key(Some(user_info_key(reports_partition(None), id.to_string())))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| classify("GetItem report", error))?;
    output
        .item
        .as_ref()
        .map(|item| report_from_item(id, item))
        .transpose()
}

/// Reports newest first, in `state` if given, strictly before `before`, at most `limit`:
/// one Query of the listing partition.
pub(crate) async fn list(
    store: &DynamoStore,
    state: Option<ReportState>,
    before: Option<ReportId>,
    limit: usize,
) -> Result<Vec<Report>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_values(":pk", s(reports_partition(state)))
        .scan_index_forward(false);
    query = match before {
        None => query.key_condition_expression("#pk = :pk"),
        Some(before) => query
            .key_condition_expression("#pk = :pk AND #sk < :before")
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":before", s(before.to_string())),
    };
    let items = ops::query(query, Some(limit), "Query reports").await?;
    items
        .iter()
        .map(|item| {
            let id = ReportId::parse(get_s(item, SK)?).map_err(|_| corrupt(SK))?;
            report_from_item(id, item)
        })
        .collect()
}

/// Adds `step` to the report if it is still in `from`: the report as it now is, `None`
/// if there is none, a conflict if it moved on.
pub(crate) async fn step(
    store: &DynamoStore,
    id: ReportId,
    from: ReportState,
    step: &ReportStep,
) -> Result<Option<Report>, StoreError> {
    for attempt in 0..ATTEMPTS {
        let Some(read) = get(store, id).await? else {
            return Ok(None);
        };
        if read.state != from {
            return Err(StoreError::Conflict(format!(
                "report {id} is {}, not {}",
                read.state.as_str(),
                from.as_str()
            )));
        }
        let mut moved = read.clone();
        moved.state = step.state;
        moved.steps.push(step.clone());
        let put = Put::builder()
            .table_name(&store.tables.user_info)
            .set_item(Some(report_item(None, &moved)))
            .condition_expression("#state = :from AND size(#steps) = :steps")
            .expression_attribute_names("#state", STATE)
            .expression_attribute_names("#steps", STEPS)
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":steps", n(read.steps.len()))
            .build()
            .map_err(build_failed)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if moved.state != from {
            // One transaction may not touch an item twice: a step that keeps the state
            // only replaces the state's copy.
            let delete = Delete::builder()
                .table_name(&store.tables.user_info)
                .set_key(Some(user_info_key(
                    reports_partition(Some(from)),
                    id.to_string(),
                )))
                .build()
                .map_err(build_failed)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        let copy = Put::builder()
            .table_name(&store.tables.user_info)
            .set_item(Some(report_item(Some(moved.state), &moved)))
            .build()
            .map_err(build_failed)?;
        items.push(TransactWriteItem::builder().put(copy).build());
        match transact(&store.client, items, "TransactWriteItems step report").await? {
            Transacted::Committed => return Ok(Some(moved)),
            // Someone stepped it since the read: read again, to answer why.
            outcome if outcome.condition_failed(0) => {}
            outcome if outcome.conflicted() => {
                tokio::time::sleep(ops::backoff(attempt)).await;
            }
            Transacted::Cancelled(reasons) => {
                return Err(StoreError::Internal(format!(
                    "report step cancelled: {reasons:?}"
                )));
            }
        }
    }
    Err(busy())
}

/// The item of `report` in the listing of all reports (`None`) or of `state`'s.
fn report_item(state: Option<ReportState>, report: &Report) -> Item {
    let mut item = user_info_key(reports_partition(state), report.id.to_string());
    item.extend(report_attributes(report));
    item
}

/// A Put into UserInfo on condition that the item is new.
fn put_new(store: &DynamoStore, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(&store.tables.user_info)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", USER_ID)
        .build()
        .map_err(build_failed)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The queue's items kept meeting other writes.
fn busy() -> StoreError {
    StoreError::Unavailable(format!(
        "the moderation queue is busy: not written after {ATTEMPTS} attempts"
    ))
}
