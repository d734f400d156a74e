//! The school's settings: one row of the `settings` table (`id` 1), a column per setting.
//! No row means no admin ever chose, and every setting is its default.

use crate::error::classify;
use classchat_core::store::{SchoolSettings, StoreError};
use rusqlite::{Connection, OptionalExtension};

/// The stored settings, or [`SchoolSettings::default`] if none were ever stored.
pub(crate) fn get(connection: &Connection) -> Result<SchoolSettings, StoreError> {
    let row: Option<bool> = connection
        .prepare_cached("SELECT guardian_oversight FROM settings WHERE id = 1")
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)).optional())
        .map_err(classify)?;
    Ok(
        row.map_or_else(SchoolSettings::default, |guardian_oversight| {
            SchoolSettings {
                guardian_oversight,
                ..SchoolSettings::default()
            }
        }),
    )
}

/// Replaces the settings whole: writes the row, or overwrites every column of it.
pub(crate) fn put(connection: &Connection, settings: &SchoolSettings) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO settings (id, guardian_oversight) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET guardian_oversight = excluded.guardian_oversight",
        )
        .and_then(|mut statement| statement.execute([settings.guardian_oversight]))
        .map_err(classify)?;
    Ok(())
}
