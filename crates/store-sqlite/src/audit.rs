//! The audit log.

use crate::error::{classify, corrupt};
use crate::rows::timestamp;
use classchat_core::store::{AuditAction, AuditEntry, StoreError};
use rusqlite::{Connection, params};

pub(crate) fn append(connection: &Connection, entry: &AuditEntry) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO audit (id, at, actor, action, target) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                entry.id,
                entry.at.as_micros(),
                entry.actor,
                entry.action.as_str(),
                entry.target
            ])
        })
        .map_err(classify)?;
    Ok(())
}

pub(crate) fn list(
    connection: &Connection,
    before: Option<&str>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    // Crockford base32 never uses '~', so it sorts after every id.
    let before = before.unwrap_or("~");
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = connection
        .prepare_cached("SELECT id, at, actor, action, target FROM audit WHERE id < ?1 ORDER BY id DESC LIMIT ?2")
        .map_err(classify)?;
    let rows = statement
        .query_map(params![before, limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })
        .map_err(classify)?;
    rows.map(|row| {
        let (id, at, actor, action, target) = row.map_err(classify)?;
        Ok(AuditEntry {
            id,
            at: timestamp(at)?,
            actor,
            action: AuditAction::parse(&action).ok_or_else(|| corrupt("audit action"))?,
            target,
        })
    })
    .collect()
}
