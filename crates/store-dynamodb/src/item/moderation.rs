//! The keys and attributes of safeguarding: revised messages (their `editedAt` and
//! `removedAt`, on messages and summaries), the earlier texts of edited messages, pauses,
//! and the moderation queue's reports.

use super::{
    AT, AUTHOR, CONVERSATION_ID, Item, MESSAGE_BODY, MESSAGE_ID, TIMESTAMP, get_opt_s, get_s,
    get_timestamp, get_user_id, s,
};
use crate::error::corrupt;
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::message::MessageBody;
use classchat_core::moderation::{PauseReason, ReportDetails, ReportReason};
use classchat_core::store::{
    MessageVersion, Pause, Report, ReportId, ReportSource, ReportState, ReportStep, StoreError,
};
use classchat_core::{ConversationId, MessageId, Role, Timestamp};
use std::collections::HashMap;

// ---- revised messages ----------------------------------------------------------------
/// On a Message item: when its author last edited it (absent: never).
pub(crate) const EDITED_AT: &str = "editedAt";
/// On a Message item: when its author removed it (absent: not removed).
pub(crate) const REMOVED_AT: &str = "removedAt";
/// On a summary: the last message's `editedAt` (absent: never edited).
pub(crate) const LAST_EDITED_AT: &str = "lastEditedAt";
/// On a summary: the last message's `removedAt` (absent: not removed).
pub(crate) const LAST_REMOVED_AT: &str = "lastRemovedAt";
/// On a version item: when the text it keeps was written.
pub(crate) const WRITTEN_AT: &str = "writtenAt";

/// Partition prefix of a conversation's own safeguarding items
/// (`#conv#<conversationId>`): its pause and the earlier texts of its messages. A
/// partition per conversation, as the message table has.
pub(crate) const CONVERSATION_PREFIX: &str = "#conv#";
/// Sort key of a conversation's pause.
pub(crate) const PAUSE: &str = "pause";
/// Sort-key prefix of the earlier texts of a conversation's messages
/// (`version#<timestamp>#<writtenAt>`).
pub(crate) const VERSION_PREFIX: &str = "version#";

// ---- the school's safeguarding settings, on the `#school` / `settings` item ----------------
/// On the settings item: the edit window in minutes (N; absent: the default, 15).
pub(crate) const EDIT_WINDOW_MINUTES: &str = "editWindowMinutes";
/// On the settings item: the flag words, a list of strings in the admin's order (absent:
/// none).
pub(crate) const FLAG_WORDS: &str = "flagWords";
/// On the settings item: the flag patterns, a list of strings in the admin's order
/// (absent: none).
pub(crate) const FLAG_PATTERNS: &str = "flagPatterns";
/// On the settings item: the retention period in days (N; absent: keep everything).
pub(crate) const RETENTION_DAYS: &str = "retentionDays";

// ---- pauses -----------------------------------------------------------------------------
/// On a pause: who made it.
pub(crate) const BY: &str = "by";
/// On a pause: their role when they made it.
pub(crate) const BY_ROLE: &str = "byRole";
/// On a pause: the reason both sides are told (absent: none given).
pub(crate) const REASON: &str = "reason";

// ---- reports ----------------------------------------------------------------------------
/// Partition listing every report, sort key = report id (a ULID, so by time).
pub(crate) const REPORTS_PARTITION: &str = "#reports";
/// Partition of the reporters' keys (`Report::dedup_key`), sort key = the key.
pub(crate) const REPORT_KEYS_PARTITION: &str = "#reportkeys";
/// On a report key: the id of the reporter's report.
pub(crate) const REPORT_ID: &str = "reportId";
/// On a report: who raised it, a userId or [`FLAGS_SOURCE`].
pub(crate) const SOURCE: &str = "source";
/// The [`SOURCE`] of a report the school's flag rules raised: `#` is in no userId.
pub(crate) const FLAGS_SOURCE: &str = "#flags";
/// On a report: the details (absent: none).
pub(crate) const DETAILS: &str = "details";
/// On a report: when it was made.
pub(crate) const CREATED_AT: &str = "createdAt";
/// On a report and a step: the state.
pub(crate) const STATE: &str = "state";
/// On a report: the steps, a list of maps (`state`, `by`, `at`, `note`?), oldest first.
pub(crate) const STEPS: &str = "steps";
/// On a step: what the admin noted (absent: nothing).
pub(crate) const NOTE: &str = "note";

/// The partition of `conversation`'s safeguarding items.
pub(crate) fn conversation_partition(conversation: &ConversationId) -> String {
    format!("{CONVERSATION_PREFIX}{conversation}")
}

/// The sort-key prefix of the versions of the message at `timestamp`: timestamps have a
/// fixed width, so no message's prefix is a prefix of another's.
pub(crate) fn versions_prefix(timestamp: Timestamp) -> String {
    format!("{VERSION_PREFIX}{timestamp}#")
}

/// Sort key of the text of the message at `timestamp` written at `written_at`: versions
/// of one message sort by when they were written, oldest first.
pub(crate) fn version_sk(timestamp: Timestamp, written_at: Timestamp) -> String {
    format!("{}{written_at}", versions_prefix(timestamp))
}

/// The partition listing reports: every one, or those in `state`.
pub(crate) fn reports_partition(state: Option<ReportState>) -> String {
    match state {
        None => REPORTS_PARTITION.to_owned(),
        Some(state) => format!("{REPORTS_PARTITION}#{}", state.as_str()),
    }
}

/// An optional timestamp attribute (absent is `None`).
pub(crate) fn get_opt_timestamp(item: &Item, name: &str) -> Result<Option<Timestamp>, StoreError> {
    get_opt_s(item, name)?
        .map(|raw| Timestamp::parse(raw).map_err(|_| corrupt(name)))
        .transpose()
}

/// The attributes of a version item (its key aside).
pub(crate) fn version_attributes(version: &MessageVersion) -> Item {
    HashMap::from([
        (MESSAGE_BODY.to_owned(), s(version.body.as_str())),
        (WRITTEN_AT.to_owned(), s(version.written_at.to_string())),
    ])
}

/// A version read back.
pub(crate) fn version_from_item(item: &Item) -> Result<MessageVersion, StoreError> {
    Ok(MessageVersion {
        body: MessageBody::from_stored(get_s(item, MESSAGE_BODY)?.to_owned()),
        written_at: get_timestamp(item, WRITTEN_AT)?,
    })
}

/// The attributes of a pause item (its key aside).
pub(crate) fn pause_attributes(pause: &Pause) -> Item {
    let mut item = HashMap::from([
        (BY.to_owned(), s(pause.by.as_str())),
        (BY_ROLE.to_owned(), s(pause.by_role.as_str())),
        (AT.to_owned(), s(pause.at.to_string())),
    ]);
    if let Some(reason) = &pause.reason {
        item.insert(REASON.to_owned(), s(reason.as_str()));
    }
    item
}

/// A pause read back.
pub(crate) fn pause_from_item(item: &Item) -> Result<Pause, StoreError> {
    Ok(Pause {
        by: get_user_id(item, BY)?,
        by_role: get_s(item, BY_ROLE)?
            .parse::<Role>()
            .map_err(|_| corrupt(BY_ROLE))?,
        at: get_timestamp(item, AT)?,
        reason: get_opt_s(item, REASON)?.map(|reason| PauseReason::from_stored(reason.to_owned())),
    })
}

/// The attributes of a report item (its key aside): the same under `#reports` and under
/// its state's partition.
pub(crate) fn report_attributes(report: &Report) -> Item {
    let source = match &report.source {
        ReportSource::Person(user) => user.as_str(),
        ReportSource::Flags => FLAGS_SOURCE,
    };
    let mut item = HashMap::from([
        (
            CONVERSATION_ID.to_owned(),
            s(report.conversation_id.to_string()),
        ),
        (TIMESTAMP.to_owned(), s(report.timestamp.to_string())),
        (MESSAGE_ID.to_owned(), s(report.message_id.to_string())),
        (AUTHOR.to_owned(), s(report.author.as_str())),
        (SOURCE.to_owned(), s(source)),
        (REASON.to_owned(), s(report.reason.as_str())),
        (CREATED_AT.to_owned(), s(report.created_at.to_string())),
        (STATE.to_owned(), s(report.state.as_str())),
        (
            STEPS.to_owned(),
            AttributeValue::L(report.steps.iter().map(step_value).collect()),
        ),
    ]);
    if let Some(details) = &report.details {
        item.insert(DETAILS.to_owned(), s(details.as_str()));
    }
    item
}

/// One step, as an element of [`STEPS`].
fn step_value(step: &ReportStep) -> AttributeValue {
    let mut map = HashMap::from([
        (STATE.to_owned(), s(step.state.as_str())),
        (BY.to_owned(), s(step.by.as_str())),
        (AT.to_owned(), s(step.at.to_string())),
    ]);
    if let Some(note) = &step.note {
        map.insert(NOTE.to_owned(), s(note.as_str()));
    }
    AttributeValue::M(map)
}

/// A report read back; `id` comes from the item's sort key.
pub(crate) fn report_from_item(id: ReportId, item: &Item) -> Result<Report, StoreError> {
    let source = match get_s(item, SOURCE)? {
        FLAGS_SOURCE => ReportSource::Flags,
        _ => ReportSource::Person(get_user_id(item, SOURCE)?),
    };
    let steps = match item.get(STEPS) {
        Some(AttributeValue::L(steps)) => steps
            .iter()
            .map(|step| match step {
                AttributeValue::M(step) => step_from_map(step),
                _ => Err(corrupt(STEPS)),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(corrupt(STEPS)),
    };
    Ok(Report {
        id,
        conversation_id: ConversationId::parse_canonical(get_s(item, CONVERSATION_ID)?)
            .map_err(|_| corrupt(CONVERSATION_ID))?,
        timestamp: get_timestamp(item, TIMESTAMP)?,
        message_id: MessageId::parse(get_s(item, MESSAGE_ID)?).map_err(|_| corrupt(MESSAGE_ID))?,
        author: get_user_id(item, AUTHOR)?,
        source,
        reason: ReportReason::from_stored(get_s(item, REASON)?).ok_or_else(|| corrupt(REASON))?,
        details: get_opt_s(item, DETAILS)?.map(|text| ReportDetails::from_stored(text.to_owned())),
        created_at: get_timestamp(item, CREATED_AT)?,
        state: report_state(get_s(item, STATE)?)?,
        steps,
    })
}

/// One element of [`STEPS`] read back.
fn step_from_map(step: &Item) -> Result<ReportStep, StoreError> {
    Ok(ReportStep {
        state: report_state(get_s(step, STATE)?)?,
        by: get_user_id(step, BY)?,
        at: get_timestamp(step, AT)?,
        note: get_opt_s(step, NOTE)?.map(|note| ReportDetails::from_stored(note.to_owned())),
    })
}

/// A stored report state.
fn report_state(raw: &str) -> Result<ReportState, StoreError> {
    ReportState::parse(raw).map_err(|_| corrupt(STATE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use classchat_core::UserId;

    fn at(micros: i64) -> Timestamp {
        Timestamp::from_micros(1_767_225_600_000_000 + micros).unwrap()
    }

    #[test]
    fn reports_round_trip_with_their_steps() {
        let conversation =
            ConversationId::new(UserId::parse("abc").unwrap(), UserId::parse("123").unwrap());
        let mut report = Report {
            id: ReportId::generate(),
            conversation_id: conversation,
            timestamp: at(1),
            message_id: MessageId::generate(),
            author: UserId::parse("123").unwrap(),
            source: ReportSource::Person(UserId::parse("abc").unwrap()),
            reason: ReportReason::Safety,
            details: Some(ReportDetails::parse("please look").unwrap()),
            created_at: at(2),
            state: ReportState::Open,
            steps: Vec::new(),
        };
        let item = report_attributes(&report);
        assert_eq!(report_from_item(report.id, &item).unwrap(), report);

        report.source = ReportSource::Flags;
        report.details = None;
        report.state = ReportState::Actioned;
        report.steps = vec![
            ReportStep {
                state: ReportState::Reviewed,
                by: UserId::parse("admin").unwrap(),
                at: at(3),
                note: None,
            },
            ReportStep {
                state: ReportState::Actioned,
                by: UserId::parse("admin").unwrap(),
                at: at(4),
                note: Some(ReportDetails::parse("done").unwrap()),
            },
        ];
        let item = report_attributes(&report);
        assert_eq!(report_from_item(report.id, &item).unwrap(), report);
    }

    #[test]
    fn revised_messages_round_trip_with_edited_at_and_removed_at() {
        let message = classchat_core::Message {
            conversation_id: ConversationId::new(
                UserId::parse("abc").unwrap(),
                UserId::parse("123").unwrap(),
            ),
            timestamp: at(1),
            author: UserId::parse("abc").unwrap(),
            body: MessageBody::parse("fixed").unwrap(),
            message_id: MessageId::generate(),
            client_message_id: None,
            announcement_id: None,
            edited_at: Some(at(2)),
            removed_at: Some(at(3)),
        };
        let item = super::super::message_item(&message);
        assert_eq!(item[EDITED_AT], s(at(2).to_string()));
        assert_eq!(item[REMOVED_AT], s(at(3).to_string()));
        assert_eq!(super::super::message_from_item(&item).unwrap(), message);
    }

    #[test]
    fn versions_of_one_message_sort_by_when_they_were_written() {
        let message = at(10);
        let (first, second) = (version_sk(message, at(10)), version_sk(message, at(2_000)));
        assert!(first < second);
        assert!(first.starts_with(&versions_prefix(message)));
        assert!(!version_sk(at(11), at(10)).starts_with(&versions_prefix(message)));
    }

    #[test]
    fn safeguarding_partitions_never_collide_with_user_ids() {
        let conversation =
            ConversationId::new(UserId::parse("abc").unwrap(), UserId::parse("123").unwrap());
        for partition in [
            conversation_partition(&conversation),
            reports_partition(None),
            reports_partition(Some(ReportState::Open)),
            REPORT_KEYS_PARTITION.to_owned(),
        ] {
            assert!(UserId::parse(&partition).is_err(), "{partition}");
        }
        assert!(UserId::parse(FLAGS_SOURCE).is_err());
    }
}
