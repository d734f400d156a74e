//! Writing a scoped export (one person, one conversation) as bytes, a batch at a time:
//! JSON Lines (`jsonl`), CSV for spreadsheets (`csv`) and a printable HTML transcript
//! (`html`). The service decides what is exported and reads it in pages
//! ([`ScopedExport`]); this module only turns each page into bytes as it comes, so
//! neither the HTTP route nor the CLI ever holds a whole history. Both drive it through
//! [`ExportStream`].

mod csv;
mod html;
mod jsonl;

pub use html::CONTENT_SECURITY_POLICY as HTML_CONTENT_SECURITY_POLICY;

use classchat_core::ChatError;
use classchat_core::service::{ExportFormat, ExportSubject, ScopedExport, ScopedRecord};

/// Why a record could not be written (a serialiser's failure: a bug, never input).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the export: {0}")]
pub struct WriteError(#[from] serde_json::Error);

/// One format's writer: it sees every record in order and appends its bytes to `out`.
trait Format: Send {
    /// Appends what `record` becomes.
    fn record(&mut self, record: &ScopedRecord, out: &mut Vec<u8>) -> Result<(), WriteError>;
    /// Appends whatever closes the document, after the last record.
    fn finish(&mut self, out: &mut Vec<u8>);
}

/// Writes the records of one export in one format.
pub struct ExportWriter {
    format: Box<dyn Format>,
}

impl ExportWriter {
    /// A writer for `format`, before its first record.
    pub fn new(format: ExportFormat) -> Self {
        let format: Box<dyn Format> = match format {
            ExportFormat::Jsonl => Box::new(jsonl::Jsonl),
            ExportFormat::Csv => Box::new(csv::Csv::default()),
            ExportFormat::Html => Box::new(html::Html::default()),
        };
        Self { format }
    }

    /// The bytes of a batch of records.
    pub fn write(&mut self, records: &[ScopedRecord]) -> Result<Vec<u8>, WriteError> {
        let mut out = Vec::new();
        for record in records {
            self.format.record(record, &mut out)?;
        }
        Ok(out)
    }

    /// The bytes that end the document.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.format.finish(&mut out);
        out
    }
}

/// The media type of a format, as the HTTP route answers it.
pub fn content_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Jsonl => "application/x-ndjson",
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Html => "text/html; charset=utf-8",
    }
}

/// The file an export is saved as: `classchat-<user|conversation>-<id>.<format>`. Ids
/// are validated (`[A-Za-z0-9._@-]`, and `+` between a conversation's two), so this is
/// safe in a `Content-Disposition` header and on any file system; anything else would
/// still become `_`, and a long id is cut so the name stays under 255 bytes.
pub fn file_name(subject: &ExportSubject, format: ExportFormat) -> String {
    let kind = match subject {
        ExportSubject::User(_) => "user",
        ExportSubject::Conversation(_) => "conversation",
    };
    let id: String = subject
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._@+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    format!("classchat-{kind}-{id}.{}", format.as_str())
}

/// An export on its way out: the service's batches written as chunks of bytes.
pub struct ExportStream {
    export: ScopedExport,
    writer: ExportWriter,
    /// Whether the document has been closed (or failed): nothing more follows.
    done: bool,
    /// Messages written so far.
    messages: u64,
    /// Conversations written so far.
    conversations: u64,
}

impl ExportStream {
    /// Starts writing `export` in the format it was asked for.
    pub fn new(export: ScopedExport) -> Self {
        let writer = ExportWriter::new(export.format());
        Self {
            export,
            writer,
            done: false,
            messages: 0,
            conversations: 0,
        }
    }

    /// What is exported, to name the file.
    pub fn subject(&self) -> &ExportSubject {
        self.export.subject()
    }

    /// The format being written.
    pub fn format(&self) -> ExportFormat {
        self.export.format()
    }

    /// The next chunk: one batch of records as bytes (one page of messages at most),
    /// then the end of the document; `None` after that. After an error nothing more
    /// follows: a transport must make the failure visible (an aborted response, an
    /// error exit) rather than end the document as if it were whole.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ChatError> {
        if self.done {
            return Ok(None);
        }
        let batch = match self.export.next_batch().await {
            Ok(batch) => batch,
            Err(error) => {
                self.done = true;
                return Err(error);
            }
        };
        match batch {
            Some(records) => {
                for record in &records {
                    match record {
                        ScopedRecord::Message(_) => self.messages += 1,
                        ScopedRecord::Conversation(_) => self.conversations += 1,
                        ScopedRecord::Header(_) | ScopedRecord::User(_) => {}
                    }
                }
                self.writer.write(&records).map(Some).map_err(|error| {
                    self.done = true;
                    ChatError::Internal(error.to_string())
                })
            }
            None => {
                self.done = true;
                Ok(Some(self.writer.finish()))
            }
        }
    }

    /// How many conversations and messages have been written so far (for a summary).
    pub fn written(&self) -> (u64, u64) {
        (self.conversations, self.messages)
    }

    /// The most the export held in memory at once (for tests and metrics).
    pub fn peak_buffered(&self) -> classchat_core::service::Buffered {
        self.export.peak_buffered()
    }
}

/// Records the format tests write: a conversation with a hostile participant name,
/// a pause, and messages plain or hostile.
#[cfg(test)]
pub(super) mod tests_support {
    use classchat_core::moderation::{MessageVersion, Pause, PauseReason};
    use classchat_core::service::{
        ExportFormat, ExportHeader, ExportSubject, ExportedConversation, MessageHistory,
        ScopedRecord,
    };
    use classchat_core::{
        ClientMessageId, ConversationId, DisplayName, Message, MessageBody, MessageId, Role,
        Timestamp, User, UserId,
    };

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    fn user(id: &str, name: &str, role: Role) -> User {
        User {
            id: UserId::parse(id).unwrap(),
            display_name: DisplayName::parse(name).unwrap(),
            role,
            disabled: false,
        }
    }

    fn conversation() -> ConversationId {
        ConversationId::parse_canonical("s1+t1").unwrap()
    }

    /// The header, `s1+t1` (s1 named `Student, "One"`, t1 an HTML tag) paused by t1,
    /// then `messages`.
    pub(crate) fn conversation_export(messages: Vec<MessageHistory>) -> Vec<ScopedRecord> {
        let mut records = vec![
            ScopedRecord::Header(ExportHeader {
                subject: ExportSubject::Conversation(conversation()),
                format: ExportFormat::Jsonl,
                exported_at: at("2026-03-02T10:00:00Z"),
                exported_by: "office".into(),
            }),
            ScopedRecord::Conversation(ExportedConversation {
                conversation_id: conversation(),
                member: user("s1", "Student, \"One\"", Role::Student),
                teacher: user("t1", "<img src=x onerror=alert(1)>", Role::Teacher),
                pause: Some(Pause {
                    by: UserId::parse("t1").unwrap(),
                    by_role: Role::Teacher,
                    at: at("2026-03-02T09:30:00Z"),
                    reason: Some(PauseReason::parse("cooling off").unwrap()),
                }),
            }),
        ];
        records.extend(messages.into_iter().map(ScopedRecord::Message));
        records
    }

    fn message(timestamp: &str, body: &str) -> Message {
        Message {
            conversation_id: conversation(),
            timestamp: at(timestamp),
            author: UserId::parse("s1").unwrap(),
            body: MessageBody::from_stored(body.to_owned()),
            message_id: MessageId::generate(),
            client_message_id: None,
            announcement_id: None,
            edited_at: None,
            removed_at: None,
        }
    }

    /// "hello" from s1 at 09:00:00, with a clientMessageId.
    pub(crate) fn plain_message() -> MessageHistory {
        let mut message = message("2026-03-02T09:00:00Z", "hello");
        message.client_message_id = Some(ClientMessageId::parse("c-1").unwrap());
        MessageHistory {
            message,
            versions: Vec::new(),
        }
    }

    /// A formula and a script on two lines from s1 at 09:00:01, edited at 09:00:02 from
    /// another formula, removed at 09:00:03.
    pub(crate) fn hostile_message() -> MessageHistory {
        let mut message = message(
            "2026-03-02T09:00:01Z",
            "=cmd|' /C calc'!A0\n<script>alert(1)</script>",
        );
        message.edited_at = Some(at("2026-03-02T09:00:02Z"));
        message.removed_at = Some(at("2026-03-02T09:00:03Z"));
        MessageHistory {
            message,
            versions: vec![MessageVersion {
                body: MessageBody::from_stored("=HYPERLINK(\"x\")".to_owned()),
                written_at: at("2026-03-02T09:00:01Z"),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classchat_core::{ConversationId, UserId};

    fn id(raw: &str) -> UserId {
        UserId::parse(raw).unwrap()
    }

    #[test]
    fn file_names_say_what_was_exported_and_stay_safe_and_short() {
        let conversation = ExportSubject::Conversation(ConversationId::new(id("s1"), id("t.1@x")));
        assert_eq!(
            file_name(&conversation, ExportFormat::Html),
            "classchat-conversation-s1+t.1@x.html"
        );
        let user = ExportSubject::User(id("-s1"));
        assert_eq!(
            file_name(&user, ExportFormat::Csv),
            "classchat-user--s1.csv"
        );
        let long = ExportSubject::Conversation(ConversationId::new(
            id(&"a".repeat(128)),
            id(&"b".repeat(128)),
        ));
        let name = file_name(&long, ExportFormat::Jsonl);
        assert!(name.len() < 255, "{}", name.len());
        assert!(name.ends_with(".jsonl"));
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._@+-".contains(c))
        );
    }
}
