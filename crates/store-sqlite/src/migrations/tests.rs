//! The migrations on databases left at each earlier version: every one applies once, and
//! what a school had stored survives with the new settings at their defaults.

use super::*;

fn version(connection: &Connection) -> usize {
    connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn migrates_to_the_latest_version_once() {
    let mut connection = Connection::open_in_memory().unwrap();
    migrate(&mut connection).unwrap();
    assert_eq!(version(&connection), latest_version());
    // A second run has nothing to apply (and would fail re-creating the tables if it tried).
    migrate(&mut connection).unwrap();
    assert_eq!(version(&connection), latest_version());
}

#[test]
fn the_families_migration_keeps_every_user_and_admits_guardians() {
    let mut connection = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..4] {
        connection.execute_batch(sql).unwrap();
    }
    connection.pragma_update(None, "user_version", 4).unwrap();
    connection
        .execute(
            "INSERT INTO users (user_id, display_name, role, password_hash, disabled, token_version)
             VALUES ('t1', 'Tess', 'teacher', 'hash', 1, 7)",
            [],
        )
        .unwrap();
    migrate(&mut connection).unwrap();

    let kept: (String, String, String, bool, i64) = connection
        .query_row(
            "SELECT display_name, role, password_hash, disabled, token_version FROM users WHERE user_id = 't1'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        kept,
        ("Tess".into(), "teacher".into(), "hash".into(), true, 7)
    );
    let insert = |id: &str, role: &str| {
        connection.execute(
            "INSERT INTO users (user_id, display_name, role, password_hash) VALUES (?1, 'x', ?2, '')",
            [id, role],
        )
    };
    insert("g1", "guardian").expect("a guardian is a valid role now");
    assert!(
        insert("x1", "parent").is_err(),
        "other roles are still refused"
    );
}

#[test]
fn the_notifications_migration_keeps_the_settings_and_defaults_the_new_ones() {
    let mut connection = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..5] {
        connection.execute_batch(sql).unwrap();
    }
    connection.pragma_update(None, "user_version", 5).unwrap();
    connection
        .execute(
            "INSERT INTO settings (id, guardian_oversight) VALUES (1, 1)",
            [],
        )
        .unwrap();
    migrate(&mut connection).unwrap();

    let settings = crate::settings::get(&connection).unwrap();
    assert_eq!(
        settings,
        classchat_core::store::SchoolSettings {
            guardian_oversight: true,
            ..Default::default()
        },
        "a school's choice survives; the new settings are their defaults"
    );
}

#[test]
fn the_safeguarding_migration_keeps_messages_and_settings_and_defaults_the_new_ones() {
    let mut connection = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..8] {
        connection.execute_batch(sql).unwrap();
    }
    connection.pragma_update(None, "user_version", 8).unwrap();
    connection
        .execute_batch(
            "INSERT INTO settings (id, guardian_oversight, urgent_senders) VALUES (1, 1, 't1');
             INSERT INTO messages (conversation_id, ts, author, body, message_id)
                 VALUES ('s1+t1', 1, 's1', 'hi', '01JE0000000000000000000001');",
        )
        .unwrap();
    migrate(&mut connection).unwrap();

    let settings = crate::settings::get(&connection).unwrap();
    assert_eq!(
        settings,
        classchat_core::store::SchoolSettings {
            guardian_oversight: true,
            urgent_senders: vec![classchat_core::UserId::parse("t1").unwrap()],
            ..Default::default()
        },
        "a school's choices survive; the edit window is 15 minutes and nothing is flagged"
    );
    let revised: (Option<i64>, Option<i64>) = connection
        .query_row(
            "SELECT edited_at, removed_at FROM messages WHERE conversation_id = 's1+t1'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(revised, (None, None), "earlier messages were never revised");
}

#[test]
fn the_retention_migration_keeps_the_settings_and_keeps_everything() {
    let mut connection = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..9] {
        connection.execute_batch(sql).unwrap();
    }
    connection.pragma_update(None, "user_version", 9).unwrap();
    connection
        .execute(
            "INSERT INTO settings (id, guardian_oversight, edit_window_minutes) VALUES (1, 1, 5)",
            [],
        )
        .unwrap();
    migrate(&mut connection).unwrap();

    let settings = crate::settings::get(&connection).unwrap();
    assert_eq!(
        settings,
        classchat_core::store::SchoolSettings {
            guardian_oversight: true,
            edit_window_minutes: 5,
            ..Default::default()
        },
        "a school's choices survive, and nothing is deleted until it sets a period"
    );
    assert_eq!(settings.retention_days, None);
    assert_eq!(crate::holds::list(&connection).unwrap(), Vec::new());
}

#[test]
fn refuses_a_newer_schema() {
    let mut connection = Connection::open_in_memory().unwrap();
    connection
        .pragma_update(None, "user_version", latest_version() + 1)
        .unwrap();
    assert!(matches!(
        migrate(&mut connection),
        Err(StoreError::Internal(_))
    ));
}
