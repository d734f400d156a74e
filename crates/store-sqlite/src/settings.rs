//! The school's settings: one row of the `settings` table (`id` 1), a column per setting.
//! No row means no admin ever chose, and every setting is its default. The flag lists
//! are JSON arrays of strings: a pattern may hold any character, a line break included.
//! The retention period is days, NULL to keep everything.

use crate::error::{classify, corrupt};
use crate::rows::schedule;
use classchat_core::UserId;
use classchat_core::notify::Schedule;
use classchat_core::store::{SchoolSettings, StoreError};
use rusqlite::{Connection, OptionalExtension};

/// The settings row as stored: quiet hours and flag lists still encoded.
struct Row {
    guardian_oversight: bool,
    quiet_hours: Option<String>,
    push_preview: bool,
    digest_text: bool,
    urgent_senders: String,
    edit_window_minutes: u32,
    flag_words: String,
    flag_patterns: String,
    retention_days: Option<u32>,
}

/// The stored settings, or [`SchoolSettings::default`] if none were ever stored.
pub(crate) fn get(connection: &Connection) -> Result<SchoolSettings, StoreError> {
    let row = connection
        .prepare_cached(
            "SELECT guardian_oversight, quiet_hours, push_preview, digest_text, urgent_senders,
                    edit_window_minutes, flag_words, flag_patterns, retention_days
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
                        edit_window_minutes: row.get(5)?,
                        flag_words: row.get(6)?,
                        flag_patterns: row.get(7)?,
                        retention_days: row.get(8)?,
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
        edit_window_minutes: row.edit_window_minutes,
        flag_words: list(&row.flag_words)?,
        flag_patterns: list(&row.flag_patterns)?,
        retention_days: row.retention_days,
    })
}

/// A flag list as stored: a JSON array of strings.
fn list(raw: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(raw).map_err(|_| corrupt("flag list"))
}

/// A flag list to store.
fn encode(list: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(list)
        .map_err(|error| StoreError::Internal(format!("cannot encode a flag list: {error}")))
}

/// Replaces the settings whole: writes the row, or overwrites every column of it.
pub(crate) fn put(connection: &Connection, settings: &SchoolSettings) -> Result<(), StoreError> {
    let quiet_hours = settings.quiet_hours.as_ref().map(Schedule::encode);
    let urgent_senders: Vec<&str> = settings.urgent_senders.iter().map(UserId::as_str).collect();
    let urgent_senders = urgent_senders.join(" ");
    let (flag_words, flag_patterns) = (
        encode(&settings.flag_words)?,
        encode(&settings.flag_patterns)?,
    );
    connection
        .prepare_cached(
            "INSERT INTO settings
                (id, guardian_oversight, quiet_hours, push_preview, digest_text, urgent_senders,
                 edit_window_minutes, flag_words, flag_patterns, retention_days)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET
                guardian_oversight = excluded.guardian_oversight,
                quiet_hours = excluded.quiet_hours,
                push_preview = excluded.push_preview,
                digest_text = excluded.digest_text,
                urgent_senders = excluded.urgent_senders,
                edit_window_minutes = excluded.edit_window_minutes,
                flag_words = excluded.flag_words,
                flag_patterns = excluded.flag_patterns,
                retention_days = excluded.retention_days",
        )
        .and_then(|mut statement| {
            statement.execute(rusqlite::params![
                settings.guardian_oversight,
                quiet_hours,
                settings.push_preview,
                settings.digest_text,
                urgent_senders,
                settings.edit_window_minutes,
                flag_words,
                flag_patterns,
                settings.retention_days,
            ])
        })
        .map_err(classify)?;
    Ok(())
}
