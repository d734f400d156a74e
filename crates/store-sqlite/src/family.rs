//! Families: guardian links, the family links they make with the teachers' links, the
//! family contact list, and the check a send in a guardian's conversation needs.
//!
//! A family link is never stored. Every query here joins `guardians` and `links` on the
//! child, so removing either link ends the family link in that same write, and there is
//! no copy to keep in step.

use crate::contacts::{CONTACT_COLUMNS, contact, read_row};
use crate::error::classify;
use crate::rows::{UserRow, id_pairs, user_id};
use crate::users;
use classchat_core::UserId;
use classchat_core::message::NewMessage;
use classchat_core::store::{Contact, FamilyLink, GuardianLink, Link, StoreError};
use rusqlite::Connection;

/// Makes a guardian link by hand; a [`StoreError::Conflict`] (the primary key) if the
/// link exists already, whoever made it.
pub(crate) fn add(connection: &Connection, link: &GuardianLink) -> Result<(), StoreError> {
    connection
        .prepare_cached("INSERT INTO guardians (guardian_id, student_id) VALUES (?1, ?2)")
        .and_then(|mut statement| {
            statement.execute([link.guardian.as_str(), link.student.as_str()])
        })
        .map_err(classify)?;
    Ok(())
}

/// Removes a guardian link, by hand, by the roster or both; whether it existed.
pub(crate) fn remove(connection: &Connection, link: &GuardianLink) -> Result<bool, StoreError> {
    let removed = connection
        .prepare_cached("DELETE FROM guardians WHERE guardian_id = ?1 AND student_id = ?2")
        .and_then(|mut statement| {
            statement.execute([link.guardian.as_str(), link.student.as_str()])
        })
        .map_err(classify)?;
    Ok(removed > 0)
}

/// The guardian links of `user` (either side) or all of them, sorted (guardian, student).
pub(crate) fn list(
    connection: &Connection,
    user: Option<&UserId>,
) -> Result<Vec<GuardianLink>, StoreError> {
    let (sql, params): (&str, Vec<&str>) = match user {
        Some(user) => (
            "SELECT guardian_id, student_id FROM guardians WHERE guardian_id = ?1
             UNION ALL
             SELECT guardian_id, student_id FROM guardians WHERE student_id = ?1
             ORDER BY 1, 2",
            vec![user.as_str()],
        ),
        None => (
            "SELECT guardian_id, student_id FROM guardians ORDER BY guardian_id, student_id",
            vec![],
        ),
    };
    let pairs = id_pairs(connection, sql, rusqlite::params_from_iter(params))?;
    Ok(pairs
        .into_iter()
        .map(|(guardian, student)| GuardianLink { guardian, student })
        .collect())
}

/// The family links in which `user` is the guardian or the teacher, sorted (guardian,
/// teacher, student): from the guardian's rows through `links_by_student`, and from the
/// teacher's links through `guardians_by_student`.
pub(crate) fn links(connection: &Connection, user: &UserId) -> Result<Vec<FamilyLink>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT g.guardian_id, l.teacher_id, g.student_id
             FROM guardians g JOIN links l ON l.student_id = g.student_id
             WHERE g.guardian_id = ?1
             UNION
             SELECT g.guardian_id, l.teacher_id, l.student_id
             FROM links l JOIN guardians g ON g.student_id = l.student_id
             WHERE l.teacher_id = ?1
             ORDER BY 1, 2, 3",
        )
        .map_err(classify)?;
    let rows = statement
        .query_map([user.as_str()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .map_err(classify)?;
    rows.map(|row| {
        let (guardian, teacher, student) = row.map_err(classify)?;
        Ok(FamilyLink {
            guardian: user_id(&guardian)?,
            teacher: user_id(&teacher)?,
            student: user_id(&student)?,
        })
    })
    .collect()
}

/// The family contact list of `user`: one row per family link whose peer and child both
/// exist, sorted by peer then child (display name, then userId), folded into one line per
/// peer with the children in [`Contact::family`].
pub(crate) fn contacts(connection: &Connection, user: &UserId) -> Result<Vec<Contact>, StoreError> {
    let sql = format!(
        "SELECT f.conversation_id, {CONTACT_COLUMNS}, k.user_id, k.display_name, k.role, k.disabled
         FROM (
            SELECT l.teacher_id AS peer_id, g.student_id AS child_id,
                   g.guardian_id || '+' || l.teacher_id AS conversation_id
            FROM guardians g JOIN links l ON l.student_id = g.student_id
            WHERE g.guardian_id = ?1
            UNION
            SELECT g.guardian_id, l.student_id, g.guardian_id || '+' || l.teacher_id
            FROM links l JOIN guardians g ON g.student_id = l.student_id
            WHERE l.teacher_id = ?1
         ) AS f
         JOIN users u ON u.user_id = f.peer_id
         JOIN users k ON k.user_id = f.child_id
         LEFT JOIN conversations c ON c.user_id = ?1 AND c.conversation_id = f.conversation_id
         ORDER BY u.display_name, u.user_id, k.display_name, k.user_id"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(classify)?;
    let rows = statement
        .query_map([user.as_str()], |row| {
            Ok((read_row(row)?, UserRow::read(row, 14)?))
        })
        .map_err(classify)?;
    let mut lines: Vec<Contact> = Vec::new();
    for row in rows {
        let (line, child) = row.map_err(classify)?;
        let (mut line, child) = (contact(line)?, child.into_user()?);
        // Rows come sorted by peer, so a peer's rows are adjacent.
        match lines.last_mut() {
            Some(last) if last.peer.id == line.peer.id => last.family.push(child),
            _ => {
                line.family.push(child);
                lines.push(line);
            }
        }
    }
    Ok(lines)
}

/// Whether the links that let `message` be appended hold: in a guardian's conversation
/// (`via` set), that the child is the guardian's and linked to the teacher; otherwise the
/// conversation's own link. Called by the writer inside the append's transaction, so no
/// link can be removed between this check and the write.
pub(crate) fn may_append(
    connection: &Connection,
    message: &NewMessage,
) -> Result<bool, StoreError> {
    let conversation = &message.conversation_id;
    let Some(child) = &message.via else {
        return users::is_linked(connection, &Link::of(conversation));
    };
    connection
        .prepare_cached(
            "SELECT 1 FROM guardians g JOIN links l ON l.student_id = g.student_id
             WHERE g.guardian_id = ?1 AND g.student_id = ?3 AND l.teacher_id = ?2",
        )
        .and_then(|mut statement| {
            statement.exists([
                conversation.member().as_str(),
                conversation.teacher().as_str(),
                child.as_str(),
            ])
        })
        .map_err(classify)
}
