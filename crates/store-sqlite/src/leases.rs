//! Leases of background jobs (`leases`): one row per job naming the node that runs it and
//! until when.
//!
//! Taking or renewing one is a single conditional upsert: the row is written when there
//! is none, when its holder is the one asking, or when it lapsed before `now`, and left
//! alone otherwise. Whether it was written (one row changed) is whether the asker holds
//! the lease now; the writer runs one statement at a time, so two nodes asking at once
//! are answered one after the other and at most one of them gets it.

use crate::error::classify;
use classchat_core::Timestamp;
use classchat_core::store::StoreError;
use rusqlite::{Connection, params};

/// Takes or renews the lease `name` for `holder` until `until` unless someone else holds
/// it at `now`; whether `holder` holds it now. Run by the writer.
pub(crate) fn try_take(
    connection: &Connection,
    name: &str,
    holder: &str,
    now: Timestamp,
    until: Timestamp,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(
            "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE leases.holder = excluded.holder OR leases.until < ?4",
        )
        .and_then(|mut statement| {
            statement.execute(params![name, holder, until.as_micros(), now.as_micros()])
        })
        .map_err(classify)?;
    Ok(changed == 1)
}
