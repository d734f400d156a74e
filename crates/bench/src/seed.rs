//! The bulk loader: writes users, links, messages and conversation summaries straight
//! into classchat's SQLite file, in big transactions with `synchronous=OFF`, using the
//! schema the binary under test created (its `classchat user add` made the file). Only
//! columns every schema version has are written, so an older binary can be measured too
//! (a newer schema would make it refuse the file).

use anyhow::Context;
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::Instant;

/// What to load before the server starts.
#[derive(Clone, Debug, Default)]
pub struct Seed {
    /// Students `idle-<i>` with no links (one idle socket each).
    pub idle_users: usize,
    /// Linked pairs: student `s-<i>` and teacher `t-<i>`, conversation `s-<i>+t-<i>`.
    pub pairs: usize,
    /// History: conversations `hs-<i>+ht-<i % teachers>`.
    pub history_conversations: usize,
    /// Messages per history conversation.
    pub history_messages: usize,
}

/// A history conversation's student, teacher and id.
pub fn history_conversation(index: usize, conversations: usize) -> (String, String, String) {
    let teachers = conversations.div_ceil(100).max(1);
    let student = format!("hs-{index}");
    let teacher = format!("ht-{}", index % teachers);
    let id = format!("{student}+{teacher}");
    (student, teacher, id)
}

/// Microseconds between two history messages of one conversation.
pub const HISTORY_STEP_MICROS: i64 = 1_000_000;

/// The timestamp of history message `j`: all history lies in the past, so live writes
/// always come after it.
pub fn history_ts(base: i64, j: usize) -> i64 {
    base + j as i64 * HISTORY_STEP_MICROS
}

/// Start of the history: far enough back for every message to be in the past.
pub fn history_base(messages: usize) -> anyhow::Result<i64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_micros() as i64;
    Ok(now - (messages as i64 + 3600) * HISTORY_STEP_MICROS)
}

impl Seed {
    /// Loads everything into the database at `db` (which `classchat user add` created).
    pub fn load(&self, db: &Path) -> anyhow::Result<()> {
        let mut conn = Connection::open(db)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;",
        )?;
        let hash: String = conn
            .query_row("SELECT password_hash FROM users LIMIT 1", [], |row| {
                row.get(0)
            })
            .context("no user to copy the password hash from")?;
        let started = Instant::now();
        let tx = conn.transaction()?;
        {
            let mut user = tx.prepare(
                "INSERT INTO users (user_id, display_name, role, password_hash) VALUES (?1, ?1, ?2, ?3)",
            )?;
            let mut link =
                tx.prepare("INSERT INTO links (teacher_id, student_id) VALUES (?1, ?2)")?;
            for i in 0..self.idle_users {
                user.execute(params![format!("idle-{i}"), "student", hash])?;
            }
            for i in 0..self.pairs {
                user.execute(params![format!("s-{i}"), "student", hash])?;
                user.execute(params![format!("t-{i}"), "teacher", hash])?;
                link.execute(params![format!("t-{i}"), format!("s-{i}")])?;
            }
            if self.history_conversations > 0 {
                let teachers = self.history_conversations.div_ceil(100).max(1);
                for t in 0..teachers {
                    user.execute(params![format!("ht-{t}"), "teacher", hash])?;
                }
                for i in 0..self.history_conversations {
                    let (student, teacher, _) = history_conversation(i, self.history_conversations);
                    user.execute(params![student, "student", hash])?;
                    link.execute(params![teacher, student])?;
                }
            }
        }
        tx.commit()?;
        if self.history_conversations > 0 {
            self.load_history(&mut conn)?;
        }
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        eprintln!(
            "seed: {} idle users, {} pairs, {} history messages in {:.1} s",
            self.idle_users,
            self.pairs,
            self.history_conversations * self.history_messages,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Messages and both participants' summaries, in conversation-id order (so the
    /// clustered primary key is appended to, not scattered into).
    fn load_history(&self, conn: &mut Connection) -> anyhow::Result<()> {
        let n = self.history_conversations;
        let per = self.history_messages.max(1);
        let base = history_base(per)?;
        let mut order: Vec<(String, String, String)> =
            (0..n).map(|i| history_conversation(i, n)).collect();
        order.sort_by(|a, b| a.2.cmp(&b.2));
        let ms = (base / 1000) as u64;
        for chunk in order.chunks(2_000) {
            let tx = conn.transaction()?;
            {
                let mut message = tx.prepare(
                    "INSERT INTO messages (conversation_id, ts, author, body, message_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                let mut summary = tx.prepare(
                    "INSERT INTO conversations (user_id, conversation_id, peer_id, last_ts, last_author, last_body, last_message_id, read_ts, unread_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?4, 0)",
                )?;
                for (student, teacher, id) in chunk {
                    let mut last = (0, String::new(), String::new(), String::new());
                    for j in 0..per {
                        let ts = history_ts(base, j);
                        let author = if j % 2 == 0 { student } else { teacher };
                        let body = format!("history message {j} of {id}, some ordinary text");
                        let mid = ulid::Ulid::from_parts(ms + j as u64, rand::random::<u128>())
                            .to_string();
                        message.execute(params![id, ts, author, body, mid])?;
                        if j + 1 == per {
                            last = (ts, author.clone(), body, mid);
                        }
                    }
                    for (user, peer) in [(student, teacher), (teacher, student)] {
                        summary.execute(params![user, id, peer, last.0, last.1, last.2, last.3])?;
                    }
                }
            }
            tx.commit()?;
        }
        Ok(())
    }
}
