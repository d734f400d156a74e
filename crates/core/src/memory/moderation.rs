//! Safeguarding in a [`MemoryStore`](super::MemoryStore): edits that keep every version,
//! tombstones, pauses and the moderation queue, as the SQLite store keeps them.

use super::MemoryStore;
use super::state::State;
use crate::conversation::ConversationId;
use crate::message::Message;
use crate::store::{
    Deletion, Hold, HoldTarget, MessageVersion, Pause, Report, ReportId, ReportState, ReportStep,
    Revision, RevisionKind, StoreError,
};
use crate::time::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// What safeguarding keeps beside the messages.
#[derive(Debug, Default)]
pub(super) struct ModerationTables {
    /// Earlier texts of edited messages, oldest first.
    pub(super) versions: HashMap<(ConversationId, Timestamp), Vec<MessageVersion>>,
    /// Paused conversations.
    pub(super) pauses: HashMap<ConversationId, Pause>,
    /// Every report by id (ULIDs, so oldest first).
    pub(super) reports: BTreeMap<ReportId, Report>,
    /// Each reporter's one report per message, by [`Report::dedup_key`].
    pub(super) report_keys: HashMap<String, ReportId>,
    /// Legal holds by target.
    pub(super) holds: BTreeMap<HoldTarget, Hold>,
}

impl State {
    /// Applies a revision (see [`crate::store::Store::revise_message`]).
    fn revise(&mut self, revision: &Revision) -> Result<Option<Message>, StoreError> {
        let key = (revision.conversation_id.clone(), revision.timestamp);
        let Some(message) = self
            .messages
            .get_mut(&revision.conversation_id)
            .and_then(|messages| messages.get_mut(&revision.timestamp))
        else {
            return Ok(None);
        };
        if message.removed_at.is_some() || message.edited_at != revision.expected_edited_at {
            return Err(StoreError::Conflict(
                "the message changed since it was read".into(),
            ));
        }
        match &revision.kind {
            RevisionKind::Edit(body) => {
                let earlier = MessageVersion {
                    body: std::mem::replace(&mut message.body, body.clone()),
                    written_at: message.edited_at.unwrap_or(message.timestamp),
                };
                message.edited_at = Some(revision.at);
                self.moderation
                    .versions
                    .entry(key)
                    .or_default()
                    .push(earlier);
            }
            RevisionKind::Remove => message.removed_at = Some(revision.at),
        }
        let message = message.clone();
        for summary in self.summaries.values_mut() {
            if summary.last.conversation_id == message.conversation_id
                && summary.last.timestamp == message.timestamp
            {
                summary.last = message.clone();
            }
        }
        Ok(Some(message))
    }

    /// Stores a pause or lifts it, if the current one is the `expected` one.
    fn set_pause(
        &mut self,
        conversation: &ConversationId,
        expected: Option<Timestamp>,
        pause: Option<&Pause>,
    ) -> bool {
        let current = self
            .moderation
            .pauses
            .get(conversation)
            .map(|pause| pause.at);
        if current != expected {
            return false;
        }
        match pause {
            Some(pause) => self
                .moderation
                .pauses
                .insert(conversation.clone(), pause.clone()),
            None => self.moderation.pauses.remove(conversation),
        };
        true
    }

    /// Files a report, or answers the reporter's earlier one on the same message.
    fn put_report(&mut self, report: &Report) -> Report {
        let tables = &mut self.moderation;
        if let Some(existing) = tables
            .report_keys
            .get(&report.dedup_key())
            .and_then(|id| tables.reports.get(id))
        {
            return existing.clone();
        }
        tables.report_keys.insert(report.dedup_key(), report.id);
        tables.reports.insert(report.id, report.clone());
        report.clone()
    }

    /// Moves a report on, if it is still in `from`.
    fn step_report(
        &mut self,
        id: ReportId,
        from: ReportState,
        step: &ReportStep,
    ) -> Result<Option<Report>, StoreError> {
        let Some(report) = self.moderation.reports.get_mut(&id) else {
            return Ok(None);
        };
        if report.state != from {
            return Err(StoreError::Conflict(format!(
                "report {id} is {}, not {}",
                report.state.as_str(),
                from.as_str()
            )));
        }
        report.state = step.state;
        report.steps.push(step.clone());
        Ok(Some(report.clone()))
    }
}

impl State {
    /// One step of deleting a conversation for retention (see
    /// [`crate::store::Store::delete_conversation`]).
    fn delete_conversation(
        &mut self,
        conversation: &ConversationId,
        up_to: Timestamp,
        batch: usize,
    ) -> Deletion {
        let doomed: Vec<Message> = self
            .messages
            .get(conversation)
            .map(|messages| {
                messages
                    .range(..=up_to)
                    .take(batch.max(1))
                    .map(|(_, message)| message.clone())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(messages) = self.messages.get_mut(conversation) {
            for message in &doomed {
                messages.remove(&message.timestamp);
            }
        }
        for message in &doomed {
            if let Some(client_id) = &message.client_message_id {
                self.client_ids
                    .remove(&(message.author.clone(), client_id.clone()));
            }
            self.moderation
                .versions
                .remove(&(conversation.clone(), message.timestamp));
        }
        let messages = u64::try_from(doomed.len()).unwrap_or(u64::MAX);
        let left = self
            .messages
            .get(conversation)
            .is_some_and(|messages| messages.range(..=up_to).next().is_some());
        if left {
            return Deletion {
                messages,
                finished: false,
            };
        }
        if self
            .messages
            .get(conversation)
            .is_some_and(|messages| messages.is_empty())
        {
            self.messages.remove(conversation);
        }
        self.moderation.pauses.remove(conversation);
        for participant in [conversation.member(), conversation.teacher()] {
            let key = (participant.clone(), conversation.clone());
            if self
                .summaries
                .get(&key)
                .is_some_and(|summary| summary.last.timestamp <= up_to)
            {
                self.summaries.remove(&key);
            }
        }
        Deletion {
            messages,
            finished: true,
        }
    }
}

impl MemoryStore {
    pub(super) fn all_holds(&self) -> Vec<Hold> {
        self.state().moderation.holds.values().cloned().collect()
    }

    pub(super) fn add_hold(&self, hold: &Hold) -> bool {
        let mut state = self.state();
        if state.moderation.holds.contains_key(&hold.target) {
            return false;
        }
        state
            .moderation
            .holds
            .insert(hold.target.clone(), hold.clone());
        true
    }

    pub(super) fn lift_hold(&self, target: &HoldTarget) -> bool {
        self.state().moderation.holds.remove(target).is_some()
    }

    pub(super) fn retire(
        &self,
        conversation: &ConversationId,
        up_to: Timestamp,
        batch: usize,
    ) -> Deletion {
        self.state().delete_conversation(conversation, up_to, batch)
    }

    pub(super) fn message_at(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Option<Message> {
        self.state()
            .messages
            .get(conversation)?
            .get(&timestamp)
            .cloned()
    }

    pub(super) fn revise(&self, revision: &Revision) -> Result<Option<Message>, StoreError> {
        self.state().revise(revision)
    }

    pub(super) fn versions(
        &self,
        conversation: &ConversationId,
        timestamp: Timestamp,
    ) -> Vec<MessageVersion> {
        self.state()
            .moderation
            .versions
            .get(&(conversation.clone(), timestamp))
            .cloned()
            .unwrap_or_default()
    }

    pub(super) fn pause_of(&self, conversation: &ConversationId) -> Option<Pause> {
        self.state().moderation.pauses.get(conversation).cloned()
    }

    pub(super) fn change_pause(
        &self,
        conversation: &ConversationId,
        expected: Option<Timestamp>,
        pause: Option<&Pause>,
    ) -> bool {
        self.state().set_pause(conversation, expected, pause)
    }

    pub(super) fn file_report(&self, report: &Report) -> Report {
        self.state().put_report(report)
    }

    pub(super) fn report_by_id(&self, id: ReportId) -> Option<Report> {
        self.state().moderation.reports.get(&id).cloned()
    }

    pub(super) fn reports(
        &self,
        state: Option<ReportState>,
        before: Option<ReportId>,
        limit: usize,
    ) -> Vec<Report> {
        let guard = self.state();
        let reports = match before {
            Some(before) => guard.moderation.reports.range(..before),
            None => guard.moderation.reports.range(..),
        };
        reports
            .rev()
            .map(|(_, report)| report)
            .filter(|report| state.is_none_or(|state| report.state == state))
            .take(limit)
            .cloned()
            .collect()
    }

    pub(super) fn move_report(
        &self,
        id: ReportId,
        from: ReportState,
        step: &ReportStep,
    ) -> Result<Option<Report>, StoreError> {
        self.state().step_report(id, from, step)
    }
}
