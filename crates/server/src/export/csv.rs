//! CSV for spreadsheets: RFC 4180 (CRLF line ends, fields quoted when they hold a comma,
//! quote or line break), UTF-8 with a byte-order mark so spreadsheet programs read it as
//! UTF-8, one row per message under a header row.
//!
//! A cell a spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return, OWASP's list) is prefixed with `'`, in every column: a
//! message is text someone else typed, and so are ids (a userId may start with `-` or
//! `@`). The JSON Lines export keeps every value exactly.

use super::{Format, WriteError};
use classchat_core::UserId;
use classchat_core::service::{ExportedConversation, ScopedRecord};

/// The header row.
const HEADER: &str = "conversationId,timestamp,author,authorName,messageBody,editedAt,removedAt,\
versions,messageId,clientMessageId\r\n";

/// The CSV writer. It remembers the conversation being written, to name authors.
#[derive(Default)]
pub(super) struct Csv {
    /// Whether the byte-order mark and header row are out.
    started: bool,
    /// The conversation whose messages follow.
    conversation: Option<ExportedConversation>,
}

impl Csv {
    fn author_name(&self, author: &UserId) -> String {
        self.conversation
            .as_ref()
            .and_then(|conversation| conversation.participant(author))
            .map_or_else(String::new, |user| user.display_name.to_string())
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            out.extend_from_slice("\u{feff}".as_bytes());
            out.extend_from_slice(HEADER.as_bytes());
        }
    }
}

impl Format for Csv {
    fn record(&mut self, record: &ScopedRecord, out: &mut Vec<u8>) -> Result<(), WriteError> {
        self.start(out);
        match record {
            ScopedRecord::Header(_) | ScopedRecord::User(_) => {}
            ScopedRecord::Conversation(conversation) => {
                self.conversation = Some(conversation.clone());
            }
            ScopedRecord::Message(history) => {
                let message = &history.message;
                let versions = history
                    .versions
                    .iter()
                    .map(|version| format!("[{}] {}", version.written_at, version.body.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n");
                let row = [
                    message.conversation_id.to_string(),
                    message.timestamp.to_string(),
                    message.author.to_string(),
                    self.author_name(&message.author),
                    message.body.as_str().to_owned(),
                    message
                        .edited_at
                        .map(|at| at.to_string())
                        .unwrap_or_default(),
                    message
                        .removed_at
                        .map(|at| at.to_string())
                        .unwrap_or_default(),
                    versions,
                    message.message_id.to_string(),
                    message
                        .client_message_id
                        .as_ref()
                        .map(|id| id.as_str().to_owned())
                        .unwrap_or_default(),
                ];
                let cells: Vec<String> = row.iter().map(|value| cell(value)).collect();
                out.extend_from_slice(cells.join(",").as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        // An export without messages is still a CSV with its header row.
        self.start(out);
    }
}

/// One field: defused if a spreadsheet would read it as a formula, then quoted if it
/// holds a comma, quote or line break (quotes doubled).
fn cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{conversation_export, hostile_message, plain_message};
    use super::*;

    fn write(records: &[ScopedRecord]) -> String {
        let mut csv = Csv::default();
        let mut out = Vec::new();
        for record in records {
            csv.record(record, &mut out).unwrap();
        }
        csv.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_defused() {
        for (raw, expected) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("1+1", "1+1"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(cell(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("crlf\r\nline"), "\"crlf\r\nline\"");
        assert_eq!(cell("plain text"), "plain text");
    }

    #[test]
    fn one_row_per_message_under_a_header_after_a_byte_order_mark() {
        let text = write(&conversation_export(vec![
            plain_message(),
            hostile_message(),
        ]));
        let body = text
            .strip_prefix('\u{feff}')
            .expect("a byte-order mark first");
        let mut lines = body.split("\r\n");
        assert_eq!(
            lines.next(),
            Some(
                "conversationId,timestamp,author,authorName,messageBody,editedAt,removedAt,\
                 versions,messageId,clientMessageId"
            )
        );
        let plain = lines.next().unwrap();
        assert!(
            plain.starts_with(
                "s1+t1,2026-03-02T09:00:00.000000Z,s1,\"Student, \"\"One\"\"\",hello,,,,"
            ),
            "{plain}"
        );
        assert!(plain.ends_with(",c-1"), "{plain}");
        // The hostile one: a formula, defused and quoted, its earlier text too.
        let rest: Vec<&str> = lines.collect();
        let hostile = rest.join("\r\n");
        assert!(
            hostile.starts_with("s1+t1,2026-03-02T09:00:01.000000Z,s1,\"Student, \"\"One\"\"\",\"'=cmd|' /C calc'!A0\n<script>alert(1)</script>\""),
            "{hostile}"
        );
        assert!(
            hostile.contains(",\"[2026-03-02T09:00:01.000000Z] =HYPERLINK(\"\"x\"\")\","),
            "earlier texts are joined, not defused inside: {hostile}"
        );
        assert!(hostile.ends_with("\r\n"), "{hostile:?}");
    }

    #[test]
    fn an_export_without_messages_is_just_the_header() {
        let text = write(&conversation_export(Vec::new()));
        assert_eq!(text, format!("\u{feff}{HEADER}"));
    }
}
