//! Notifications that wait (`pending_notices`): at most one row per user and kind, until a
//! node takes it to send it.
//!
//! Putting one is a single upsert that merges into the row already there (the earlier
//! `due` and the earlier `since` win), so two writers can never lose each other's notice.
//! Taking one is a DELETE that names every column: it removes the row only if it is still
//! exactly what the taker read, so a notice that changed since is left for the next round
//! and none is sent twice. The listing of those due is a range of
//! `pending_notices_by_due`, already in the order it is answered in.

use crate::error::{classify, corrupt};
use crate::rows::{timestamp, user_id};
use classchat_core::Timestamp;
use classchat_core::store::{Pending, PendingKind, StoreError};
use rusqlite::{Connection, params};

/// Keeps `pending`, merged with the user's row of that kind if there is one. Run by the
/// writer.
pub(crate) fn put(connection: &Connection, pending: &Pending) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO pending_notices (user_id, kind, due, since) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (user_id, kind) DO UPDATE SET
                due = min(due, excluded.due),
                since = min(since, excluded.since)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                pending.user.as_str(),
                pending.kind.as_str(),
                pending.due.as_micros(),
                pending.since.as_micros(),
            ])
        })
        .map_err(classify)?;
    Ok(())
}

/// Those due at or before `now`, earliest first, then by user and kind, at most `limit`.
pub(crate) fn due(
    connection: &Connection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Pending>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = connection
        .prepare_cached(
            "SELECT user_id, kind, due, since FROM pending_notices
             WHERE due <= ?1 ORDER BY due, user_id, kind LIMIT ?2",
        )
        .map_err(classify)?;
    let rows = statement
        .query_map(params![now.as_micros(), limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .map_err(classify)?;
    rows.map(|row| {
        let (user, kind, due, since) = row.map_err(classify)?;
        Ok(Pending {
            user: user_id(&user)?,
            kind: PendingKind::parse(&kind).ok_or_else(|| corrupt("pending kind"))?,
            due: timestamp(due)?,
            since: timestamp(since)?,
        })
    })
    .collect()
}

/// Deletes the row of `pending` if it is still exactly as given; whether it did. Run by
/// the writer.
pub(crate) fn take(connection: &Connection, pending: &Pending) -> Result<bool, StoreError> {
    let removed = connection
        .prepare_cached(
            "DELETE FROM pending_notices
             WHERE user_id = ?1 AND kind = ?2 AND due = ?3 AND since = ?4",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                pending.user.as_str(),
                pending.kind.as_str(),
                pending.due.as_micros(),
                pending.since.as_micros(),
            ])
        })
        .map_err(classify)?;
    Ok(removed == 1)
}
