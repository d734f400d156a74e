//! What roster imports keep: the account each imported person got (`roster_accounts`),
//! classes (`classes`, `class_members`), and which links are the roster's (`links.by_hand`,
//! `links.by_roster`). An import is applied as one write job, so in one transaction.

use crate::error::classify;
use crate::rows::{UserRow, id_pairs, user_id};
use crate::users;
use classchat_core::roster::{Class, RosterAccount, RosterChanges, RosterState, SourcedId};
use classchat_core::store::{GuardianLink, Link, StoreError};
use classchat_core::user::UserRecord;
use rusqlite::{Connection, params};
use std::collections::BTreeMap;

/// Everything earlier imports left, each list in the order the port states.
pub(crate) fn state(connection: &Connection) -> Result<RosterState, StoreError> {
    Ok(RosterState {
        accounts: accounts(connection)?,
        classes: classes(connection)?,
        links: links(connection)?,
        guardians: guardians(connection)?,
    })
}

fn sourced_id(raw: &str) -> Result<SourcedId, StoreError> {
    SourcedId::parse(raw).ok_or_else(|| StoreError::Internal("corrupt sourcedId".into()))
}

fn accounts(connection: &Connection) -> Result<Vec<RosterAccount>, StoreError> {
    // The columns are USER_COLUMNS, each of `u`.
    let sql = "SELECT r.sourced_id, u.user_id, u.display_name, u.role, u.disabled
               FROM roster_accounts r JOIN users u ON u.user_id = r.user_id
               ORDER BY r.sourced_id";
    let mut statement = connection.prepare_cached(sql).map_err(classify)?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, UserRow::read(row, 1)?))
        })
        .map_err(classify)?;
    rows.map(|row| {
        let (raw, user) = row.map_err(classify)?;
        Ok(RosterAccount {
            sourced_id: sourced_id(&raw)?,
            user: user.into_user()?,
        })
    })
    .collect()
}

pub(crate) fn classes(connection: &Connection) -> Result<Vec<Class>, StoreError> {
    let mut classes = BTreeMap::new();
    let mut statement = connection
        .prepare_cached("SELECT sourced_id, title FROM classes")
        .map_err(classify)?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(classify)?;
    for row in rows {
        let (raw, title) = row.map_err(classify)?;
        let id = sourced_id(&raw)?;
        let class = Class {
            sourced_id: id.clone(),
            title,
            teachers: Vec::new(),
            students: Vec::new(),
        };
        classes.insert(raw, class);
    }
    let mut statement = connection
        .prepare_cached(
            "SELECT sourced_id, teaches, user_id FROM class_members
             ORDER BY sourced_id, teaches, user_id",
        )
        .map_err(classify)?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .map_err(classify)?;
    for row in rows {
        let (raw, teaches, member) = row.map_err(classify)?;
        let class = classes
            .get_mut(&raw)
            .ok_or_else(|| StoreError::Internal("a class member without its class".into()))?;
        let members = if teaches {
            &mut class.teachers
        } else {
            &mut class.students
        };
        members.push(user_id(&member)?);
    }
    Ok(classes.into_values().collect())
}

fn links(connection: &Connection) -> Result<Vec<Link>, StoreError> {
    let sql = "SELECT teacher_id, student_id FROM links WHERE by_roster = 1
               ORDER BY teacher_id, student_id";
    let pairs = id_pairs(connection, sql, [])?;
    Ok(pairs
        .into_iter()
        .map(|(teacher, student)| Link { teacher, student })
        .collect())
}

fn guardians(connection: &Connection) -> Result<Vec<GuardianLink>, StoreError> {
    let sql = "SELECT guardian_id, student_id FROM guardians WHERE by_roster = 1
               ORDER BY guardian_id, student_id";
    let pairs = id_pairs(connection, sql, [])?;
    Ok(pairs
        .into_iter()
        .map(|(guardian, student)| GuardianLink { guardian, student })
        .collect())
}

/// Applies an import's changes; the writer runs it in one transaction (a savepoint), so a
/// failure anywhere leaves nothing of it.
pub(crate) fn apply(connection: &Connection, changes: &RosterChanges) -> Result<(), StoreError> {
    for account in &changes.created_accounts {
        users::create(
            connection,
            &UserRecord {
                user: account.user.clone(),
                password_hash: String::new(),
                token_version: 0,
            },
        )?;
        execute(
            connection,
            "INSERT INTO roster_accounts (sourced_id, user_id) VALUES (?1, ?2)",
            &[account.sourced_id.as_str(), account.user.id.as_str()],
        )?;
    }
    for change in &changes.updated_accounts {
        users::update(connection, &change.before.id, &change.patch())?;
    }
    let replaced = changes
        .updated_classes
        .iter()
        .map(|change| &change.before)
        .chain(&changes.deleted_classes);
    for class in replaced {
        delete_class(connection, &class.sourced_id)?;
    }
    let stored = changes
        .created_classes
        .iter()
        .chain(changes.updated_classes.iter().map(|change| &change.after));
    for class in stored {
        insert_class(connection, class)?;
    }
    for link in &changes.added_links {
        execute(
            connection,
            "INSERT INTO links (teacher_id, student_id, by_hand, by_roster) VALUES (?1, ?2, 0, 1)
             ON CONFLICT (teacher_id, student_id) DO UPDATE SET by_roster = 1",
            &[link.teacher.as_str(), link.student.as_str()],
        )?;
    }
    for link in &changes.removed_links {
        let pair = [link.teacher.as_str(), link.student.as_str()];
        execute(
            connection,
            "DELETE FROM links WHERE teacher_id = ?1 AND student_id = ?2 AND by_hand = 0",
            &pair,
        )?;
        execute(
            connection,
            "UPDATE links SET by_roster = 0 WHERE teacher_id = ?1 AND student_id = ?2",
            &pair,
        )?;
    }
    for link in &changes.added_guardians {
        execute(
            connection,
            "INSERT INTO guardians (guardian_id, student_id, by_hand, by_roster)
             VALUES (?1, ?2, 0, 1)
             ON CONFLICT (guardian_id, student_id) DO UPDATE SET by_roster = 1",
            &[link.guardian.as_str(), link.student.as_str()],
        )?;
    }
    for link in &changes.removed_guardians {
        let pair = [link.guardian.as_str(), link.student.as_str()];
        execute(
            connection,
            "DELETE FROM guardians WHERE guardian_id = ?1 AND student_id = ?2 AND by_hand = 0",
            &pair,
        )?;
        execute(
            connection,
            "UPDATE guardians SET by_roster = 0 WHERE guardian_id = ?1 AND student_id = ?2",
            &pair,
        )?;
    }
    Ok(())
}

fn delete_class(connection: &Connection, id: &SourcedId) -> Result<(), StoreError> {
    execute(
        connection,
        "DELETE FROM class_members WHERE sourced_id = ?1",
        &[id.as_str()],
    )?;
    execute(
        connection,
        "DELETE FROM classes WHERE sourced_id = ?1",
        &[id.as_str()],
    )
}

fn insert_class(connection: &Connection, class: &Class) -> Result<(), StoreError> {
    execute(
        connection,
        "INSERT INTO classes (sourced_id, title) VALUES (?1, ?2)",
        &[class.sourced_id.as_str(), &class.title],
    )?;
    let mut statement = connection
        .prepare_cached(
            "INSERT INTO class_members (sourced_id, teaches, user_id) VALUES (?1, ?2, ?3)",
        )
        .map_err(classify)?;
    for (teaches, list) in [(true, &class.teachers), (false, &class.students)] {
        for member in list {
            statement
                .execute(params![class.sourced_id.as_str(), teaches, member.as_str()])
                .map_err(classify)?;
        }
    }
    Ok(())
}

fn execute(connection: &Connection, sql: &str, values: &[&str]) -> Result<(), StoreError> {
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute(rusqlite::params_from_iter(values)))
        .map_err(classify)?;
    Ok(())
}
