//! The moderation queue: `reports` (one per reporter and message, by `dedup_key`) and the
//! steps admins took on each (`report_steps`).

use crate::error::{classify, corrupt};
use crate::rows::{timestamp, user_id};
use classchat_core::moderation::{ReportDetails, ReportReason};
use classchat_core::store::{Report, ReportId, ReportSource, ReportState, ReportStep, StoreError};
use classchat_core::{ConversationId, MessageId};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// The columns of a `reports` row, in the order [`ReportRow::read`] expects.
const REPORT_COLUMNS: &str = "id, conversation_id, ts, message_id, author, reporter, reason,
    details, created_at, state";

/// Sorts after every report id (a ULID's first character is at most `7`), so a listing
/// without `before` is the same range scan as one with it.
const AFTER_EVERY_ID: &str = "8";

/// A `reports` row as stored.
struct ReportRow {
    id: String,
    conversation_id: String,
    ts: i64,
    message_id: String,
    author: String,
    reporter: Option<String>,
    reason: String,
    details: Option<String>,
    created_at: i64,
    state: String,
}

impl ReportRow {
    /// Reads [`REPORT_COLUMNS`].
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            conversation_id: row.get(1)?,
            ts: row.get(2)?,
            message_id: row.get(3)?,
            author: row.get(4)?,
            reporter: row.get(5)?,
            reason: row.get(6)?,
            details: row.get(7)?,
            created_at: row.get(8)?,
            state: row.get(9)?,
        })
    }

    /// The report, with its steps read from `report_steps`.
    fn into_report(self, connection: &Connection) -> Result<Report, StoreError> {
        let id = ReportId::parse(&self.id).map_err(|_| corrupt("report id"))?;
        Ok(Report {
            id,
            conversation_id: ConversationId::parse_canonical(&self.conversation_id)
                .map_err(|_| corrupt("conversation id"))?,
            timestamp: timestamp(self.ts)?,
            message_id: MessageId::parse(&self.message_id).map_err(|_| corrupt("message id"))?,
            author: user_id(&self.author)?,
            source: match self.reporter {
                Some(reporter) => ReportSource::Person(user_id(&reporter)?),
                None => ReportSource::Flags,
            },
            reason: ReportReason::from_stored(&self.reason).ok_or_else(|| corrupt("reason"))?,
            details: self.details.map(ReportDetails::from_stored),
            created_at: timestamp(self.created_at)?,
            state: state(&self.state)?,
            steps: steps(connection, id)?,
        })
    }
}

fn state(raw: &str) -> Result<ReportState, StoreError> {
    ReportState::parse(raw).map_err(|_| corrupt("report state"))
}

/// The steps of report `id`, oldest first.
fn steps(connection: &Connection, id: ReportId) -> Result<Vec<ReportStep>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT state, by_user, at, note FROM report_steps WHERE report_id = ?1 ORDER BY seq",
        )
        .map_err(classify)?;
    let rows = statement
        .query_map([id.as_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Option<String>>(3)?,
            ))
        })
        .map_err(classify)?;
    rows.map(|row| {
        let (state_raw, by, at, note) = row.map_err(classify)?;
        Ok(ReportStep {
            state: state(&state_raw)?,
            by: user_id(&by)?,
            at: timestamp(at)?,
            note: note.map(ReportDetails::from_stored),
        })
    })
    .collect()
}

/// Appends `step` to report `id` as its next step.
fn add_step(connection: &Connection, id: ReportId, step: &ReportStep) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO report_steps (report_id, seq, state, by_user, at, note)
             VALUES (?1,
                     (SELECT coalesce(max(seq), 0) + 1 FROM report_steps WHERE report_id = ?1),
                     ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                id.as_string(),
                step.state.as_str(),
                step.by.as_str(),
                step.at.as_micros(),
                step.note.as_ref().map(ReportDetails::as_str)
            ])
        })
        .map_err(classify)?;
    Ok(())
}

/// The report with this id.
pub(crate) fn get(connection: &Connection, id: ReportId) -> Result<Option<Report>, StoreError> {
    let sql = format!("SELECT {REPORT_COLUMNS} FROM reports WHERE id = ?1");
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement
                .query_row([id.as_string()], ReportRow::read)
                .optional()
        })
        .map_err(classify)?;
    row.map(|row| row.into_report(connection)).transpose()
}

/// Files a report, or answers the reporter's earlier one on the same message. Runs as one
/// write job; the unique `dedup_key` decides which report stands.
pub(crate) fn put(connection: &Connection, report: &Report) -> Result<Report, StoreError> {
    let dedup_key = report.dedup_key();
    let sql = format!(
        "INSERT INTO reports (dedup_key, {REPORT_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (dedup_key) DO NOTHING"
    );
    let reporter = match &report.source {
        ReportSource::Person(user) => Some(user.as_str()),
        ReportSource::Flags => None,
    };
    let inserted = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement.execute(params![
                dedup_key,
                report.id.as_string(),
                report.conversation_id.to_string(),
                report.timestamp.as_micros(),
                report.message_id.to_string(),
                report.author.as_str(),
                reporter,
                report.reason.as_str(),
                report.details.as_ref().map(ReportDetails::as_str),
                report.created_at.as_micros(),
                report.state.as_str()
            ])
        })
        .map_err(classify)?;
    if inserted == 0 {
        let id: String = connection
            .prepare_cached("SELECT id FROM reports WHERE dedup_key = ?1")
            .and_then(|mut statement| statement.query_row([&dedup_key], |row| row.get(0)))
            .map_err(classify)?;
        let id = ReportId::parse(&id).map_err(|_| corrupt("report id"))?;
        return get(connection, id)?.ok_or_else(|| corrupt("report by dedup key"));
    }
    for step in &report.steps {
        add_step(connection, report.id, step)?;
    }
    Ok(report.clone())
}

/// Reports newest first (by id), in `state` if given, strictly before `before`, at most
/// `limit`: a range of `reports_by_state` or of the primary key, read backwards.
pub(crate) fn list(
    connection: &Connection,
    state: Option<ReportState>,
    before: Option<ReportId>,
    limit: usize,
) -> Result<Vec<Report>, StoreError> {
    let before = before.map_or_else(|| AFTER_EVERY_ID.to_owned(), |id| id.as_string());
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<ReportRow> = match state {
        Some(state) => {
            let sql = format!(
                "SELECT {REPORT_COLUMNS} FROM reports
                 WHERE state = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
            );
            let mut statement = connection.prepare_cached(&sql).map_err(classify)?;
            let rows = statement
                .query_map(params![state.as_str(), before, limit], ReportRow::read)
                .map_err(classify)?;
            rows.collect::<Result<_, _>>().map_err(classify)?
        }
        None => {
            let sql = format!(
                "SELECT {REPORT_COLUMNS} FROM reports WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
            );
            let mut statement = connection.prepare_cached(&sql).map_err(classify)?;
            let rows = statement
                .query_map(params![before, limit], ReportRow::read)
                .map_err(classify)?;
            rows.collect::<Result<_, _>>().map_err(classify)?
        }
    };
    rows.into_iter()
        .map(|row| row.into_report(connection))
        .collect()
}

/// Moves report `id` on by `step` if it is still in `from` (see the port's
/// `step_report`). Runs as one write job, so nothing changes between the check and the
/// write.
pub(crate) fn step(
    connection: &Connection,
    id: ReportId,
    from: ReportState,
    step: &ReportStep,
) -> Result<Option<Report>, StoreError> {
    let current: Option<String> = connection
        .prepare_cached("SELECT state FROM reports WHERE id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([id.as_string()], |row| row.get(0))
                .optional()
        })
        .map_err(classify)?;
    let Some(current) = current else {
        return Ok(None);
    };
    let current = state(&current)?;
    if current != from {
        return Err(StoreError::Conflict(format!(
            "report {id} is {}, not {}",
            current.as_str(),
            from.as_str()
        )));
    }
    connection
        .prepare_cached("UPDATE reports SET state = ?2 WHERE id = ?1")
        .and_then(|mut statement| statement.execute(params![id.as_string(), step.state.as_str()]))
        .map_err(classify)?;
    add_step(connection, id, step)?;
    get(connection, id)
}
