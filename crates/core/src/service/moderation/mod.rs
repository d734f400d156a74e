//! Safeguarding use-cases: edits and removals that are never silent, paused
//! conversations, reports and the admin moderation queue, and auto-flagging.
//!
//! Every refusal is decided before anything is written, and every audited step is written
//! to the audit log before it is taken. Rate limits run before any store read.

mod pauses;
mod reports;
mod retention;
mod revisions;

pub use reports::{MAX_CONTEXT, ReportQuery, ReportReceipt, ReportRequest, ReportView};
pub use retention::{HoldRequest, MAX_HOLD_REASON_CHARS, RetentionReport};
pub use revisions::{EditRequest, MessageHistory};

use super::ChatService;
use crate::error::ChatError;
use crate::moderation::FlagRules;
use crate::rate::Rate;
use crate::time::Timestamp;
use crate::user::User;
use std::sync::{Arc, Mutex};

/// Reports, pauses and moderation-queue actions per user: a person reporting or an admin
/// working through the queue stays well inside it; a script does not.
pub(crate) const MODERATION_RATE: Rate = Rate {
    per_second: 1.0,
    burst: 60.0,
};

/// How long a node trusts the school's edit window and flag rules before reading them
/// again: a change on another node takes effect within this time, on this one at once.
const RULES_TTL_MICROS: i64 = 30_000_000;

/// The school's safeguarding rules, compiled once per read of the settings.
#[derive(Debug, Default)]
pub(crate) struct SchoolRules {
    /// Minutes after sending that an author may edit.
    pub(crate) edit_window_minutes: u32,
    /// The word list and patterns.
    pub(crate) flags: FlagRules,
}

/// The rules last read, and when.
#[derive(Default)]
pub(crate) struct RulesCache {
    entry: Mutex<Option<(Arc<SchoolRules>, Timestamp)>>,
}

impl RulesCache {
    fn get(&self, now: Timestamp) -> Option<Arc<SchoolRules>> {
        let entry = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        let (rules, read_at) = entry.as_ref()?;
        (now.as_micros() - read_at.as_micros() < RULES_TTL_MICROS).then(|| Arc::clone(rules))
    }

    fn put(&self, rules: Arc<SchoolRules>, now: Timestamp) {
        *self.entry.lock().unwrap_or_else(|e| e.into_inner()) = Some((rules, now));
    }

    /// Forgets the rules, after this node changed the settings.
    pub(crate) fn forget(&self) {
        *self.entry.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

impl ChatService {
    /// The school's edit window and flag rules, through the cache.
    async fn school_rules(&self) -> Result<Arc<SchoolRules>, ChatError> {
        let now = self.clock.now();
        if let Some(rules) = self.rules_cache.get(now) {
            return Ok(rules);
        }
        let settings = self.store.settings().await?;
        // Stored rules were checked when an admin saved them; were they ever unreadable,
        // flagging stops rather than sends failing.
        let flags =
            FlagRules::compile(&settings.flag_words, &settings.flag_patterns).unwrap_or_default();
        let rules = Arc::new(SchoolRules {
            edit_window_minutes: settings.edit_window_minutes,
            flags,
        });
        self.rules_cache.put(Arc::clone(&rules), now);
        Ok(rules)
    }

    /// Takes one token of `caller`'s moderation budget, before anything is read.
    fn check_moderation_rate(&self, caller: &User) -> Result<(), ChatError> {
        if self.moderation_limiter.allow(&caller.id, self.clock.now()) {
            Ok(())
        } else {
            Err(ChatError::RateLimited)
        }
    }
}
