//! Legal holds: one `holds` row per held target, keyed by [`HoldTarget::key`], so a
//! target is held at most once and a second hold on it is refused by the key itself.

use crate::error::{classify, corrupt};
use crate::rows::timestamp;
use classchat_core::store::{Hold, HoldTarget, StoreError};
use rusqlite::{Connection, params};

/// The key ranges of each kind of target, in [`HoldTarget`] order (users, then
/// conversations): `;` is the character after `:`, so each range is exactly the keys with
/// that prefix. Within a kind, key order is the target's order: a userId is compared as
/// its text, and the `+` of a conversationId sorts before every character a userId may
/// hold, so `member+teacher` compares as (member, teacher) does.
const KIND_RANGES: [(&str, &str); 2] = [("user:", "user;"), ("conversation:", "conversation;")];

/// Every hold, in [`HoldTarget`] order: one range of the primary key per kind.
pub(crate) fn list(connection: &Connection) -> Result<Vec<Hold>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT target, by_actor, at, reason FROM holds
             WHERE target >= ?1 AND target < ?2 ORDER BY target",
        )
        .map_err(classify)?;
    let mut holds = Vec::new();
    for (from, to) in KIND_RANGES {
        let rows = statement
            .query_map([from, to], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(classify)?;
        for row in rows {
            let (target, by, at, reason) = row.map_err(classify)?;
            holds.push(Hold {
                target: HoldTarget::from_key(&target).ok_or_else(|| corrupt("hold target"))?,
                by,
                at: timestamp(at)?,
                reason,
            });
        }
    }
    Ok(holds)
}

/// Keeps `hold` unless its target is held already; whether it did.
pub(crate) fn put(connection: &Connection, hold: &Hold) -> Result<bool, StoreError> {
    let inserted = connection
        .prepare_cached(
            "INSERT INTO holds (target, by_actor, at, reason) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (target) DO NOTHING",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                hold.target.key(),
                hold.by,
                hold.at.as_micros(),
                hold.reason
            ])
        })
        .map_err(classify)?;
    Ok(inserted > 0)
}

/// Lifts the hold on `target`; whether there was one.
pub(crate) fn remove(connection: &Connection, target: &HoldTarget) -> Result<bool, StoreError> {
    let deleted = connection
        .prepare_cached("DELETE FROM holds WHERE target = ?1")
        .and_then(|mut statement| statement.execute([target.key()]))
        .map_err(classify)?;
    Ok(deleted > 0)
}
