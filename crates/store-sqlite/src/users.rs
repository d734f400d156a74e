//! Users and links.

use crate::error::classify;
use crate::rows::{USER_COLUMNS, UserRow, id_pairs};
use classchat_core::store::{Link, StoreError, UserPatch};
use classchat_core::user::UserRecord;
use classchat_core::{Role, User, UserId};
use rusqlite::{Connection, OptionalExtension, params};

pub(crate) fn get(connection: &Connection, id: &UserId) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, password_hash, token_version FROM users WHERE user_id = ?1"
    );
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement
                .query_row([id.as_str()], |row| {
                    Ok((
                        UserRow::read(row, 0)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, i64>(5)?,
                    ))
                })
                .optional()
        })
        .map_err(classify)?;
    row.map(|(user, password_hash, token_version)| {
        Ok(UserRecord {
            user: user.into_user()?,
            password_hash,
            token_version: u64::try_from(token_version)
                .map_err(|_| StoreError::Internal("negative token version".into()))?,
        })
    })
    .transpose()
}

pub(crate) fn create(connection: &Connection, record: &UserRecord) -> Result<(), StoreError> {
    let user = &record.user;
    connection
        .prepare_cached(
            "INSERT INTO users (user_id, display_name, role, password_hash, disabled, token_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                user.id.as_str(),
                user.display_name.as_str(),
                user.role.as_str(),
                record.password_hash,
                user.disabled,
                i64::try_from(record.token_version).unwrap_or(i64::MAX)
            ])
        })
        .map_err(classify)?;
    Ok(())
}

pub(crate) fn update(
    connection: &Connection,
    id: &UserId,
    patch: &UserPatch,
) -> Result<Option<User>, StoreError> {
    connection
        .prepare_cached(
            "UPDATE users SET
                display_name = coalesce(?2, display_name),
                role = coalesce(?3, role),
                password_hash = coalesce(?4, password_hash),
                disabled = coalesce(?5, disabled),
                token_version = token_version + ?6
             WHERE user_id = ?1",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                id.as_str(),
                patch.display_name.as_ref().map(|name| name.as_str()),
                patch.role.map(Role::as_str),
                patch.password_hash,
                patch.disabled,
                i64::from(patch.revoke_tokens)
            ])
        })
        .map_err(classify)?;
    Ok(get(connection, id)?.map(|record| record.user))
}

pub(crate) fn list(
    connection: &Connection,
    role: Option<Role>,
    after: Option<&UserId>,
    limit: usize,
) -> Result<Vec<User>, StoreError> {
    let after = after.map(UserId::as_str).unwrap_or("");
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = match role {
        Some(role) => {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE role = ?1 AND user_id > ?2 ORDER BY user_id LIMIT ?3"
            );
            collect_users(connection, &sql, params![role.as_str(), after, limit])
        }
        None => {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE user_id > ?1 ORDER BY user_id LIMIT ?2"
            );
            collect_users(connection, &sql, params![after, limit])
        }
    };
    rows?.into_iter().map(UserRow::into_user).collect()
}

fn collect_users(
    connection: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<UserRow>, StoreError> {
    let mut statement = connection.prepare_cached(sql).map_err(classify)?;
    let rows = statement
        .query_map(params, |row| UserRow::read(row, 0))
        .map_err(classify)?;
    rows.collect::<Result<_, _>>().map_err(classify)
}

pub(crate) fn add_link(connection: &Connection, link: &Link) -> Result<(), StoreError> {
    connection
        .prepare_cached("INSERT INTO links (teacher_id, student_id) VALUES (?1, ?2)")
        .and_then(|mut statement| statement.execute([link.teacher.as_str(), link.student.as_str()]))
        .map_err(classify)?;
    Ok(())
}

pub(crate) fn remove_link(connection: &Connection, link: &Link) -> Result<bool, StoreError> {
    let removed = connection
        .prepare_cached("DELETE FROM links WHERE teacher_id = ?1 AND student_id = ?2")
        .and_then(|mut statement| statement.execute([link.teacher.as_str(), link.student.as_str()]))
        .map_err(classify)?;
    Ok(removed > 0)
}

pub(crate) fn is_linked(connection: &Connection, link: &Link) -> Result<bool, StoreError> {
    connection
        .prepare_cached("SELECT 1 FROM links WHERE teacher_id = ?1 AND student_id = ?2")
        .and_then(|mut statement| statement.exists([link.teacher.as_str(), link.student.as_str()]))
        .map_err(classify)
}

pub(crate) fn list_links(
    connection: &Connection,
    user: Option<&UserId>,
) -> Result<Vec<Link>, StoreError> {
    let (sql, params): (&str, Vec<&str>) = match user {
        Some(user) => (
            "SELECT teacher_id, student_id FROM links WHERE teacher_id = ?1
             UNION ALL
             SELECT teacher_id, student_id FROM links WHERE student_id = ?1
             ORDER BY 1, 2",
            vec![user.as_str()],
        ),
        None => (
            "SELECT teacher_id, student_id FROM links ORDER BY teacher_id, student_id",
            vec![],
        ),
    };
    let pairs = id_pairs(connection, sql, rusqlite::params_from_iter(params))?;
    Ok(pairs
        .into_iter()
        .map(|(teacher, student)| Link { teacher, student })
        .collect())
}
