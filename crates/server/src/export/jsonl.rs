//! JSON Lines: one object per line, each with a `type` (`export`, `user`,
//! `conversation`, `message`), camelCase like the API. A message line has exactly the
//! fields of the API's message JSON (an admin's view: a removed message keeps its text)
//! plus `versions`, its earlier texts oldest first.

use super::{Format, WriteError};
use crate::dto::{AdminUserDto, MessageDto, PauseDto, UserDto, VersionDto};
use classchat_core::service::{ExportHeader, ExportSubject, ExportedConversation, ScopedRecord};
use serde::Serialize;

/// The JSON Lines writer (it keeps no state: every line stands alone).
pub(super) struct Jsonl;

/// One line.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum Line {
    Export(ExportLine),
    User(AdminUserDto),
    Conversation(ConversationLine),
    Message(MessageLine),
}

/// What the export is: `scope` says whether `userId` or `conversationId` names it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportLine {
    scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<String>,
    format: &'static str,
    exported_at: String,
    exported_by: String,
}

/// A conversation: its two people (student or guardian first, then the teacher) and its
/// pause, `null` when it is not paused.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConversationLine {
    conversation_id: String,
    participants: [UserDto; 2],
    pause: Option<PauseDto>,
}

/// A message as the API shows it to an admin, with its earlier texts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageLine {
    #[serde(flatten)]
    message: MessageDto,
    versions: Vec<VersionDto>,
}

impl From<&ExportHeader> for ExportLine {
    fn from(header: &ExportHeader) -> Self {
        let (scope, user_id, conversation_id) = match &header.subject {
            ExportSubject::User(id) => ("user", Some(id.to_string()), None),
            ExportSubject::Conversation(id) => ("conversation", None, Some(id.to_string())),
        };
        Self {
            scope,
            user_id,
            conversation_id,
            format: header.format.as_str(),
            exported_at: header.exported_at.to_string(),
            exported_by: header.exported_by.clone(),
        }
    }
}

impl From<&ExportedConversation> for ConversationLine {
    fn from(conversation: &ExportedConversation) -> Self {
        Self {
            conversation_id: conversation.conversation_id.to_string(),
            participants: [
                UserDto::from(&conversation.member),
                UserDto::from(&conversation.teacher),
            ],
            pause: conversation.pause.as_ref().map(PauseDto::from),
        }
    }
}

impl Format for Jsonl {
    fn record(&mut self, record: &ScopedRecord, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let line = match record {
            ScopedRecord::Header(header) => Line::Export(header.into()),
            ScopedRecord::User(user) => Line::User(user.into()),
            ScopedRecord::Conversation(conversation) => Line::Conversation(conversation.into()),
            ScopedRecord::Message(history) => Line::Message(MessageLine {
                message: MessageDto::from(&history.message),
                versions: history.versions.iter().map(VersionDto::from).collect(),
            }),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.push(b'\n');
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{conversation_export, hostile_message};
    use super::*;
    use serde_json::Value;

    #[test]
    fn every_line_is_one_object_with_a_type_and_messages_carry_the_api_fields() {
        let records = conversation_export(vec![hostile_message()]);
        let mut out = Vec::new();
        for record in &records {
            Jsonl.record(record, &mut out).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let types: Vec<&str> = lines
            .iter()
            .map(|line| line["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["export", "conversation", "message"]);
        assert_eq!(lines[0]["scope"], "conversation");
        assert_eq!(lines[0]["conversationId"], "s1+t1");
        assert_eq!(lines[0]["exportedBy"], "office");
        assert_eq!(
            lines[1]["participants"][0]["displayName"],
            "Student, \"One\""
        );
        assert_eq!(lines[1]["pause"]["reason"], "cooling off");
        // The API's message JSON, key for key, plus `type` and `versions`.
        let history = match &records[2] {
            ScopedRecord::Message(history) => history,
            other => panic!("{other:?}"),
        };
        let api = serde_json::to_value(MessageDto::from(&history.message)).unwrap();
        let message = lines[2].as_object().unwrap();
        for (key, value) in api.as_object().unwrap() {
            assert_eq!(&message[key], value, "{key}");
        }
        assert_eq!(message.len(), api.as_object().unwrap().len() + 2);
        assert_eq!(lines[2]["versions"][0]["messageBody"], "=HYPERLINK(\"x\")");
        assert!(lines[2]["removedAt"].is_string());
        assert!(!text.contains("\n\n"), "one line per record");
    }
}
