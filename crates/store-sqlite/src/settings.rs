//! The school's settings: one row of the `settings` table (`id` 1), a column per setting.
//! No row means no admin ever chose, and every setting is its default.

use crate::error::classify;
use crate::rows::schedule;
use classchat_core::UserId;
use classchat_core::notify::Schedule;
use classchat_core::store::{SchoolSettings, StoreError};
use rusqlite::{Connection, OptionalExtension};

/// The settings row as stored: quiet hours still encoded.
struct Row {
    guardian_oversight: bool,
    quiet_hours: Option<String>,
    push_preview: bool,
    digest_text: bool,
    urgent_senders: String,
}

/// The stored settings, or [`SchoolSettings::default`] if none were ever stored.
pub(crate) fn get(connection: &Connection) -> Result<SchoolSettings, StoreError> {
    let row = connection
        .prepare_cached(
            "SELECT guardian_oversight, quiet_hours, push_preview, digest_text, urgent_senders
             FROM settings WHERE id = 1",
        )
        .and_then(|mut statement| {
            statement
                .query_row([], |row| {
                    Ok(Row {
                        guardian_oversight: row.get(0)?,
                        quiet_hours: row.get(1)?,
                        push_preview: row.get(2)?,
                        digest_text: row.get(3)?,
                        urgent_senders: row.get(4)?,
                    })
                })
                .optional()
        })
        .map_err(classify)?;
    let Some(row) = row else {
        return Ok(SchoolSettings::default());
    };
    Ok(SchoolSettings {
        guardian_oversight: row.guardian_oversight,
        quiet_hours: schedule(row.quiet_hours.as_deref())?,
        push_preview: row.push_preview,
        digest_text: row.digest_text,
        urgent_senders: row
            .urgent_senders
            .split_whitespace()
            .map(|id| {
                UserId::parse(id).map_err(|_| {
                    StoreError::Internal("a stored urgent sender is unreadable".into())
                })
            })
            .collect::<Result<_, _>>()?,
        ..SchoolSettings::default()
    })
}

/// Replaces the settings whole: writes the row, or overwrites every column of it.
pub(crate) fn put(connection: &Connection, settings: &SchoolSettings) -> Result<(), StoreError> {
    let quiet_hours = settings.quiet_hours.as_ref().map(Schedule::encode);
    let urgent_senders: Vec<&str> = settings.urgent_senders.iter().map(UserId::as_str).collect();
    let urgent_senders = urgent_senders.join(" ");
    connection
        .prepare_cached(
            "INSERT INTO settings
                (id, guardian_oversight, quiet_hours, push_preview, digest_text, urgent_senders)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET
                guardian_oversight = excluded.guardian_oversight,
                quiet_hours = excluded.quiet_hours,
                push_preview = excluded.push_preview,
                digest_text = excluded.digest_text,
                urgent_senders = excluded.urgent_senders",
        )
        .and_then(|mut statement| {
            statement.execute(rusqlite::params![
                settings.guardian_oversight,
                quiet_hours,
                settings.push_preview,
                settings.digest_text,
                urgent_senders,
            ])
        })
        .map_err(classify)?;
    Ok(())
}
