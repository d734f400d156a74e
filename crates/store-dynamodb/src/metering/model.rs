//! The capacity model: what DynamoDB charges for a request, computed from item sizes as
//! AWS defines them, so that the figures are the same on the emulator (whose own
//! `ConsumedCapacity` is a constant per operation, or absent) as on AWS.
//!
//! - Item size: the sum over attributes of the name's UTF-8 bytes plus the value's: a
//!   string its UTF-8 bytes, a binary its raw bytes, a number one byte per two significant
//!   digits plus one, a Boolean or null one byte, a set the sum of its members, a list or
//!   map 3 bytes plus each element and 1 byte per element.
//! - Reads, in 4 KB units (at least one per request, even when nothing is found), halved
//!   when eventually consistent: GetItem rounds its item, Query the total of the items it
//!   read (after its key condition, before any filter), BatchGetItem each key as a
//!   GetItem.
//! - Writes, in 1 KB units (at least one): PutItem the item written, UpdateItem the item
//!   as it is afterwards, DeleteItem one unit; in TransactWriteItems every action twice
//!   (prepare and commit), a ConditionCheck costing what a write of the item checked
//!   would.
//!
//! A request shows some sizes (a Put's item, a whole item returned) and hides others (an
//! Update's result, a checked item, the items a `COUNT`, projected or filtered read went
//! through). Those are [`Deferred`]: charged later by reading the items as they are then
//! (see `settle`).

use crate::item::Item;
pub(crate) use crate::item::item_size;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Select};
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use std::collections::HashMap;

/// Bytes per read capacity unit.
const READ_UNIT: usize = 4096;
/// Bytes per write capacity unit.
const WRITE_UNIT: usize = 1024;

/// Half read units for one read of `bytes` (halves, so eventually consistent reads add up
/// exactly).
pub(crate) fn read_halves(bytes: usize, consistent: bool) -> u64 {
    let units = bytes.div_ceil(READ_UNIT).max(1) as u64;
    if consistent { 2 * units } else { units }
}

/// Write units for one write of an item of `bytes`.
pub(crate) fn write_units(bytes: usize, transactional: bool) -> u64 {
    let units = bytes.div_ceil(WRITE_UNIT).max(1) as u64;
    if transactional { 2 * units } else { units }
}

/// A charge whose size the request and response did not show.
#[derive(Debug, Clone)]
pub(crate) enum Deferred {
    /// A write of the item at `key` (an update, a condition check): its size afterwards.
    Write {
        op: &'static str,
        table: String,
        key: Item,
        transactional: bool,
    },
    /// A projected read of the item at `key`: its whole size.
    Read {
        op: &'static str,
        table: String,
        key: Item,
        consistent: bool,
    },
    /// A Query that returned less than it read (`COUNT`, a projection, a filter): the
    /// same Query for whole items and without its filter reads the same items.
    Query {
        op: &'static str,
        input: Box<QueryInput>,
        consistent: bool,
    },
}

/// What one request costs, as far as it shows.
#[derive(Debug, Default)]
pub(crate) struct Charge {
    pub(crate) op: &'static str,
    pub(crate) read_halves: u64,
    pub(crate) write_units: u64,
    pub(crate) deferred: Vec<Deferred>,
}

/// What the meter learnt from a request's input, kept in the call's config bag until
/// its output arrives.
#[derive(Debug)]
pub(crate) struct Plan {
    op: &'static str,
    write_units: u64,
    deferred: Vec<Deferred>,
    read: Read,
}

impl Storable for Plan {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug)]
enum Read {
    Nothing,
    Get {
        table: String,
        key: Item,
        consistent: bool,
        whole: bool,
    },
    Query {
        consistent: bool,
        rerun: Option<Box<QueryInput>>,
    },
    Batch(HashMap<String, KeysAndAttributes>),
}

impl Plan {
    /// The plan for the input in `context`; `None` for operations not modelled (table
    /// management, which on-demand tables do not bill by request).
    pub(crate) fn of(context: &BeforeSerializationInterceptorContextRef<'_>) -> Option<Self> {
        let input = context.input();
        let mut plan = Self {
            op: "",
            write_units: 0,
            deferred: Vec::new(),
            read: Read::Nothing,
        };
        if let Some(get) = input.downcast_ref::<GetItemInput>() {
            plan.op = "GetItem";
            plan.read = Read::Get {
                table: get.table_name.clone().unwrap_or_default(),
                key: get.key.clone().unwrap_or_default(),
                consistent: get.consistent_read.unwrap_or(false),
                whole: get.projection_expression.is_none() && get.attributes_to_get.is_none(),
            };
        } else if let Some(query) = input.downcast_ref::<QueryInput>() {
            plan.op = "Query";
            let whole = matches!(query.select, None | Some(Select::AllAttributes))
                && query.projection_expression.is_none()
                && query.attributes_to_get.is_none()
                && query.filter_expression.is_none()
                && query.query_filter.is_none();
            plan.read = Read::Query {
                consistent: query.consistent_read.unwrap_or(false),
                rerun: (!whole).then(|| Box::new(whole_items(query))),
            };
        } else if let Some(batch) = input.downcast_ref::<BatchGetItemInput>() {
            plan.op = "BatchGetItem";
            plan.read = Read::Batch(batch.request_items.clone().unwrap_or_default());
        } else if let Some(put) = input.downcast_ref::<PutItemInput>() {
            plan.op = "PutItem";
            plan.write_units = write_units(put.item.as_ref().map_or(0, item_size), false);
        } else if let Some(update) = input.downcast_ref::<UpdateItemInput>() {
            plan.op = "UpdateItem";
            plan.deferred.push(Deferred::Write {
                op: plan.op,
                table: update.table_name.clone().unwrap_or_default(),
                key: update.key.clone().unwrap_or_default(),
                transactional: false,
            });
        } else if input.downcast_ref::<DeleteItemInput>().is_some() {
            // The item is gone by the time it could be read: charged as one unit.
            plan.op = "DeleteItem";
            plan.write_units = write_units(0, false);
        } else if let Some(batch) = input.downcast_ref::<BatchWriteItemInput>() {
            plan.op = "BatchWriteItem";
            for request in batch
                .request_items
                .iter()
                .flat_map(|r| r.values().flatten())
            {
                let size = request
                    .put_request
                    .as_ref()
                    .map_or(0, |put| item_size(&put.item));
                plan.write_units += write_units(size, false);
            }
        } else if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
            plan.op = "TransactWriteItems";
            plan.plan_transaction(transaction);
        } else {
            return None;
        }
        Some(plan)
    }

    fn plan_transaction(&mut self, transaction: &TransactWriteItemsInput) {
        for action in transaction.transact_items.iter().flatten() {
            let checked = |table: &str, key: &Item| Deferred::Write {
                op: "TransactWriteItems",
                table: table.to_owned(),
                key: key.clone(),
                transactional: true,
            };
            if let Some(put) = &action.put {
                self.write_units += write_units(item_size(&put.item), true);
            } else if let Some(update) = &action.update {
                self.deferred.push(checked(&update.table_name, &update.key));
            } else if let Some(check) = &action.condition_check {
                self.deferred.push(checked(&check.table_name, &check.key));
            } else if action.delete.is_some() {
                self.write_units += write_units(0, true);
            }
        }
    }

    /// What the request cost, given how it ended; nothing for a failed one.
    pub(crate) fn charge(&self, context: &FinalizerInterceptorContextRef<'_>) -> Option<Charge> {
        let output = context.output_or_error()?.ok()?;
        let mut charge = Charge {
            op: self.op,
            read_halves: 0,
            write_units: self.write_units,
            deferred: self.deferred.clone(),
        };
        match &self.read {
            Read::Nothing => {}
            Read::Get {
                table,
                key,
                consistent,
                whole,
            } => {
                let item = output.downcast_ref::<GetItemOutput>()?.item.as_ref();
                match (item, whole) {
                    (Some(_), false) => charge.deferred.push(Deferred::Read {
                        op: self.op,
                        table: table.clone(),
                        key: key.clone(),
                        consistent: *consistent,
                    }),
                    (item, _) => {
                        charge.read_halves = read_halves(item.map_or(0, item_size), *consistent);
                    }
                }
            }
            Read::Query { consistent, rerun } => match rerun {
                Some(input) => charge.deferred.push(Deferred::Query {
                    op: self.op,
                    input: input.clone(),
                    consistent: *consistent,
                }),
                None => {
                    let items = output.downcast_ref::<QueryOutput>()?.items.as_deref();
                    let bytes = items.unwrap_or_default().iter().map(item_size).sum();
                    charge.read_halves = read_halves(bytes, *consistent);
                }
            },
            Read::Batch(requested) => {
                let output = output.downcast_ref::<BatchGetItemOutput>()?;
                self.charge_batch(requested, output, &mut charge);
            }
        }
        Some(charge)
    }

    /// Each key read (not left unprocessed) as one GetItem: a whole item by its size, an
    /// absent one at the minimum, a projected one deferred.
    fn charge_batch(
        &self,
        requested: &HashMap<String, KeysAndAttributes>,
        output: &BatchGetItemOutput,
        charge: &mut Charge,
    ) {
        for (table, request) in requested {
            let consistent = request.consistent_read.unwrap_or(false);
            let whole =
                request.projection_expression.is_none() && request.attributes_to_get.is_none();
            let unprocessed = output
                .unprocessed_keys
                .as_ref()
                .and_then(|keys| keys.get(table))
                .map_or(&[][..], |keys| &keys.keys[..]);
            let returned = output
                .responses
                .as_ref()
                .and_then(|responses| responses.get(table))
                .map_or(&[][..], |items| &items[..]);
            for key in request.keys.iter().filter(|key| !unprocessed.contains(key)) {
                let item = returned.iter().find(|item| {
                    key.iter()
                        .all(|(name, value)| item.get(name) == Some(value))
                });
                match (item, whole) {
                    (Some(_), false) => charge.deferred.push(Deferred::Read {
                        op: self.op,
                        table: table.clone(),
                        key: key.clone(),
                        consistent,
                    }),
                    (item, _) => {
                        charge.read_halves += read_halves(item.map_or(0, item_size), consistent);
                    }
                }
            }
        }
    }
}

/// `query` asking for whole items and without its filter, with only the expression names
/// and values its key condition uses (DynamoDB refuses unused ones): the same items.
fn whole_items(query: &QueryInput) -> QueryInput {
    let condition = query.key_condition_expression.clone().unwrap_or_default();
    // A placeholder is used when it occurs as a whole token (`:p` is not in `:pk`).
    let used = |name: &String| {
        condition.match_indices(name.as_str()).any(|(at, _)| {
            let next = condition[at + name.len()..].chars().next();
            !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    let names = query.expression_attribute_names.as_ref().map(|names| {
        names
            .iter()
            .filter(|(name, _)| used(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect::<HashMap<_, _>>()
    });
    let values = query.expression_attribute_values.as_ref().map(|values| {
        values
            .iter()
            .filter(|(name, _)| used(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect::<HashMap<_, _>>()
    });
    let mut whole = query.clone();
    whole.select = None;
    whole.projection_expression = None;
    whole.attributes_to_get = None;
    whole.filter_expression = None;
    whole.query_filter = None;
    whole.conditional_operator = None;
    whole.expression_attribute_names = names.filter(|names| !names.is_empty());
    whole.expression_attribute_values = values.filter(|values| !values.is_empty());
    whole
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::number_size;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    #[test]
    fn sizes_items_as_dynamodb_does() {
        let item: Item = [
            ("id".to_owned(), s("abc")),
            ("n".to_owned(), AttributeValue::N("12345".into())),
            ("ok".to_owned(), AttributeValue::Bool(true)),
            ("l".to_owned(), AttributeValue::L(vec![s("ab"), s("c")])),
            (
                "m".to_owned(),
                AttributeValue::M([("k".to_owned(), s("vv"))].into()),
            ),
        ]
        .into();
        // 2+3, 1+(3+1), 2+1, 1+(3+1+2+1+1), 1+(3+1+1+2)
        assert_eq!(item_size(&item), 5 + 5 + 3 + 9 + 8);
        assert_eq!(number_size("100"), 2);
        assert_eq!(number_size("-0.00123"), 3);
        assert_eq!(number_size("0"), 2);
    }

    #[test]
    fn rounds_to_capacity_units() {
        assert_eq!(read_halves(0, true), 2, "a miss costs the minimum");
        assert_eq!(read_halves(4096, true), 2);
        assert_eq!(read_halves(4097, false), 2);
        assert_eq!(write_units(1, false), 1);
        assert_eq!(write_units(1025, true), 4);
    }

    #[test]
    fn a_whole_items_query_keeps_only_what_its_key_condition_uses() {
        let query = QueryInput::builder()
            .table_name("t")
            .key_condition_expression("#pk = :pk AND #ts > :marker")
            .filter_expression("#author <> :me")
            .select(Select::Count)
            .expression_attribute_names("#pk", "conversationId")
            .expression_attribute_names("#ts", "timestamp")
            .expression_attribute_names("#author", "author")
            .expression_attribute_values(":pk", s("c"))
            .expression_attribute_values(":marker", s("m"))
            .expression_attribute_values(":me", s("u"))
            .expression_attribute_values(":p", s("prefix of :pk, unused"))
            .build()
            .unwrap();
        let whole = whole_items(&query);
        assert_eq!(whole.select, None);
        assert_eq!(whole.filter_expression, None);
        let mut names: Vec<_> = whole
            .expression_attribute_names
            .unwrap()
            .into_keys()
            .collect();
        names.sort();
        assert_eq!(names, ["#pk", "#ts"]);
        let mut values: Vec<_> = whole
            .expression_attribute_values
            .unwrap()
            .into_keys()
            .collect();
        values.sort();
        assert_eq!(values, [":marker", ":pk"]);
    }
}
