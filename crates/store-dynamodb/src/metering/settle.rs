//! Sizing what a request did not show: the items an update or a condition check touched
//! and the items a projected, counting or filtered read went through, read again whole
//! with a client the meter does not count.

use super::MeterError;
use super::model::{Charge, Deferred, item_size, read_halves, write_units};
use crate::item::Item;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;

/// The capacity `deferred` consumed, by the sizes its items have now.
pub(super) async fn charge(client: &Client, deferred: &Deferred) -> Result<Charge, MeterError> {
    Ok(match deferred {
        Deferred::Write {
            op,
            table,
            key,
            transactional,
        } => Charge {
            op,
            write_units: write_units(size_of(client, table, key).await?, *transactional),
            ..Charge::default()
        },
        Deferred::Read {
            op,
            table,
            key,
            consistent,
        } => Charge {
            op,
            read_halves: read_halves(size_of(client, table, key).await?, *consistent),
            ..Charge::default()
        },
        Deferred::Query {
            op,
            input,
            consistent,
        } => {
            // The same page: same key condition, start key and limit, whole items.
            let output = client
                .query()
                .set_table_name(input.table_name.clone())
                .set_index_name(input.index_name.clone())
                .set_key_condition_expression(input.key_condition_expression.clone())
                .set_key_conditions(input.key_conditions.clone())
                .set_expression_attribute_names(input.expression_attribute_names.clone())
                .set_expression_attribute_values(input.expression_attribute_values.clone())
                .set_exclusive_start_key(input.exclusive_start_key.clone())
                .set_limit(input.limit)
                .set_scan_index_forward(input.scan_index_forward)
                .set_consistent_read(input.consistent_read)
                .send()
                .await
                .map_err(|error| sizing("Query", error))?;
            let bytes = output.items().iter().map(item_size).sum();
            Charge {
                op,
                read_halves: read_halves(bytes, *consistent),
                ..Charge::default()
            }
        }
    })
}

/// The size of the item at `key` now; 0 when there is none.
async fn size_of(client: &Client, table: &str, key: &Item) -> Result<usize, MeterError> {
    let output = client
        .get_item()
        .table_name(table)
        .set_key(Some(key.clone()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| sizing("GetItem", error))?;
    Ok(output.item.as_ref().map_or(0, item_size))
}

fn sizing(operation: &str, error: impl std::error::Error) -> MeterError {
    MeterError::Sizing(format!("{operation}: {}", DisplayErrorContext(&error)))
}
