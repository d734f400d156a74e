//! Request patterns every part of the store shares: paged Queries, batched reads (of
//! profiles or any keys),
//! and transactions whose cancellation reasons the caller acts on.

use crate::TableNames;
use crate::error::{build_failed, classify};
use crate::item::{Item, PROFILE, USER_ID, get_s, user_from_item, user_info_key};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::builders::KeysAndAttributesBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, TransactWriteItem};
use classchat_core::store::StoreError;
use classchat_core::{User, UserId};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// Actions in one TransactWriteItems: DynamoDB's maximum.
pub(crate) const MAX_ACTIONS: usize = 100;
/// Keys per BatchGetItem request (DynamoDB's maximum).
const BATCH_GET_MAX: usize = 100;
/// Rounds of re-requesting unprocessed keys before reporting the store overloaded.
const BATCH_GET_ROUNDS: u32 = 8;
/// DynamoDB's largest `Limit`.
const MAX_QUERY_LIMIT: usize = i32::MAX as usize;

/// A strongly consistent Query of the `UserInfo` items in `partition` whose sort key
/// starts with `prefix`: how a user's links, summaries, classes, family links and copies
/// are read. Callers may add a projection or a filter before running it with [`query`].
pub(crate) fn user_info_prefix(
    client: &Client,
    tables: &TableNames,
    partition: &str,
    prefix: &str,
) -> QueryFluentBuilder {
    client
        .query()
        .table_name(&tables.user_info)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_names("#sk", crate::item::SK)
        .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
        .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
}

/// Runs `query`, following `LastEvaluatedKey`, until `want` items are collected (all of
/// them when `None`). A page can come back short (1 MB per response, or a filter), so one
/// response is never taken for the whole answer.
pub(crate) async fn query(
    query: QueryFluentBuilder,
    want: Option<usize>,
    operation: &str,
) -> Result<Vec<Item>, StoreError> {
    let mut items: Vec<Item> = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let mut request = query.clone().set_exclusive_start_key(start.take());
        if let Some(want) = want {
            let remaining = want.saturating_sub(items.len()).clamp(1, MAX_QUERY_LIMIT);
            request = request.limit(i32::try_from(remaining).unwrap_or(i32::MAX));
        }
        let output = request
            .send()
            .await
            .map_err(|error| classify(operation, error))?;
        items.extend(output.items.unwrap_or_default());
        let full = want.is_some_and(|want| items.len() >= want);
        match output.last_evaluated_key {
            Some(key) if !key.is_empty() && !full => start = Some(key),
            _ => break,
        }
    }
    if let Some(want) = want {
        items.truncate(want);
    }
    Ok(items)
}

/// Runs a counting `query` (`Select = COUNT`), following `LastEvaluatedKey`.
pub(crate) async fn count(query: QueryFluentBuilder, operation: &str) -> Result<u64, StoreError> {
    let mut total = 0u64;
    let mut start: Option<Item> = None;
    loop {
        let output = query
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|error| classify(operation, error))?;
        total += u64::try_from(output.count).unwrap_or(0);
        match output.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(total),
        }
    }
}

/// The public profiles of `ids` (those that exist), read in batches with strongly
/// consistent reads.
pub(crate) async fn users(
    client: &Client,
    tables: &TableNames,
    ids: impl IntoIterator<Item = &UserId>,
) -> Result<HashMap<UserId, User>, StoreError> {
    let ids: BTreeSet<&UserId> = ids.into_iter().collect();
    let keys = ids
        .iter()
        .map(|id| user_info_key(id.as_str(), PROFILE))
        .collect();
    let shape = KeysAndAttributes::builder()
        .projection_expression("#id, #name, #role, #disabled")
        .expression_attribute_names("#id", USER_ID)
        .expression_attribute_names("#name", crate::item::DISPLAY_NAME)
        .expression_attribute_names("#role", crate::item::ROLE)
        .expression_attribute_names("#disabled", crate::item::DISABLED);
    let mut found = HashMap::with_capacity(ids.len());
    // The table named as a field of `tables`, so the Lambda IAM check can tell which
    // table this batch reads.
    for item in batch_get(client, &tables.user_info, keys, shape).await? {
        let id =
            UserId::parse(get_s(&item, USER_ID)?).map_err(|_| crate::error::corrupt(USER_ID))?;
        let user = user_from_item(id.clone(), &item)?;
        found.insert(id, user);
    }
    Ok(found)
}

/// The items at `keys` that exist, in no particular order, read in batches (of at most
/// 100 keys, re-requesting what DynamoDB leaves unprocessed) with strongly consistent
/// reads; `shape` may name a projection. `keys` must not repeat a key: DynamoDB rejects
/// a batch that does.
pub(crate) async fn batch_get(
    client: &Client,
    table: &str,
    keys: Vec<Item>,
    shape: KeysAndAttributesBuilder,
) -> Result<Vec<Item>, StoreError> {
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH_GET_MAX) {
        let keys = shape
            .clone()
            .consistent_read(true)
            .set_keys(Some(chunk.to_vec()))
            .build()
            .map_err(build_failed)?;
        let mut request = HashMap::from([(table.to_owned(), keys)]);
        let mut round = 0;
        while !request.is_empty() {
            if round > 0 {
                tokio::time::sleep(backoff(round)).await;
            }
            if round >= BATCH_GET_ROUNDS {
                return Err(StoreError::Unavailable(
                    "BatchGetItem: keys still unprocessed after retries (throttled)".into(),
                ));
            }
            round += 1;
            let output = client
                .batch_get_item()
                .set_request_items(Some(request))
                .send()
                .await
                .map_err(|error| classify("BatchGetItem", error))?;
            found.extend(
                output
                    .responses
                    .unwrap_or_default()
                    .remove(table)
                    .unwrap_or_default(),
            );
            request = output.unprocessed_keys.unwrap_or_default();
        }
    }
    Ok(found)
}

/// How a transaction ended, when DynamoDB answered at all.
pub(crate) enum Transacted {
    /// Every item was written.
    Committed,
    /// Nothing was written; one reason code per item, in request order (`None` where that
    /// item was fine).
    Cancelled(Vec<Option<String>>),
}

impl Transacted {
    /// Whether item `index` failed its condition.
    pub(crate) fn condition_failed(&self, index: usize) -> bool {
        self.reason(index) == Some("ConditionalCheckFailed")
    }

    /// Whether any item failed its condition.
    pub(crate) fn any_condition_failed(&self) -> bool {
        match self {
            Self::Committed => false,
            Self::Cancelled(reasons) => reasons
                .iter()
                .flatten()
                .any(|code| code == "ConditionalCheckFailed"),
        }
    }

    /// Whether the cancellation was due only to contention with another transaction,
    /// so the same write may simply be tried again.
    pub(crate) fn conflicted(&self) -> bool {
        match self {
            Self::Committed => false,
            Self::Cancelled(reasons) => reasons.iter().flatten().any(|code| {
                matches!(
                    code.as_str(),
                    "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
                )
            }),
        }
    }

    fn reason(&self, index: usize) -> Option<&str> {
        match self {
            Self::Committed => None,
            Self::Cancelled(reasons) => reasons.get(index).and_then(|code| code.as_deref()),
        }
    }
}

/// Runs a TransactWriteItems. A fresh client request token makes the SDK's own retries of
/// this call idempotent: if an attempt committed but its answer was lost, the retry
/// returns success instead of failing its conditions against our own write.
pub(crate) async fn transact(
    client: &Client,
    items: Vec<TransactWriteItem>,
    operation: &str,
) -> Result<Transacted, StoreError> {
    let result = client
        .transact_write_items()
        .set_transact_items(Some(items))
        .client_request_token(ulid::Ulid::new().to_string())
        .send()
        .await;
    match result {
        Ok(_) => Ok(Transacted::Committed),
        Err(SdkError::ServiceError(service)) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                let reasons = cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|reason| {
                        reason
                            .code()
                            .filter(|code| *code != "None")
                            .map(str::to_owned)
                    })
                    .collect();
                Ok(Transacted::Cancelled(reasons))
            }
            _ => Err(classify(operation, SdkError::ServiceError(service))),
        },
        Err(error) => Err(classify(operation, error)),
    }
}

/// Jittered exponential backoff for our own retry loops: 2, 4, 8 … ms (capped at 100 ms),
/// each with up to as much again at random so racing writers spread out.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = 1u64 << attempt.min(6);
    let base = base.saturating_mul(2).min(100);
    let jitter = u64::from(ulid::Ulid::new().random() as u16) % (base + 1);
    Duration::from_millis(base + jitter)
}
