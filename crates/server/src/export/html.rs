//! A printable HTML transcript: one complete, self-contained document (inline CSS with
//! print rules, no scripts, no external resources, a Content-Security-Policy of its own
//! for when it is opened from disk) that a browser prints or saves as PDF. A header says
//! what was exported, when and by whom; each conversation is a section with a table of
//! its messages (time, author, text with its line breaks), removed and edited ones
//! marked, with their earlier texts.
//!
//! Every value is escaped ([`escape`]), names and texts are isolated for bidirectional
//! text, and the document is written as the records come: a section is closed when the
//! next one starts, the document when the export ends.

use super::{Format, WriteError};
use classchat_core::moderation::{MessageVersion, Pause};
use classchat_core::service::{ExportHeader, ExportSubject, ExportedConversation, ScopedRecord};
use classchat_core::{Message, Timestamp, User};
use std::fmt::Write as _;

/// The policy inside the document: the same as the HTTP route's header.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// The document's styles: readable on screen, compact on paper, each conversation after
/// the first on a new page, a message never split across two, the table header repeated
/// on every page.
const STYLE: &str = "\
:root{color-scheme:light}\
body{font:11pt/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111;background:#fff;max-width:60rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.5em;margin:0 0 .5rem}h2{font-size:1.2em;margin:2rem 0 .25rem}\
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0}\
dl.meta dt{color:#555}dl.meta dd{margin:0}\
p.note{color:#555;margin:.25rem 0 .75rem}\
table{width:100%;border-collapse:collapse}\
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #ccc}\
th{font-size:.85em;color:#555;border-bottom:2px solid #999}\
td.time{white-space:nowrap;font-variant-numeric:tabular-nums;width:12rem}\
td.author{width:11rem}.id{color:#555;font-size:.85em}\
.text{white-space:pre-wrap;overflow-wrap:anywhere;unicode-bidi:plaintext}\
.mark{font-size:.85em;color:#555;margin:.25rem 0 0}\
tr.removed td{background:#f6f6f6}tr.removed .mark.removed{color:#900;font-weight:600}\
ol.versions{margin:.25rem 0 0;padding-left:1.25rem;font-size:.9em;color:#333}\
@page{margin:15mm}\
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}\
section+section{break-before:page}thead{display:table-header-group}tr{break-inside:avoid}\
tr.removed td{background:none}}";

/// The HTML writer: what is open, and the conversation being written (to name authors).
#[derive(Default)]
pub(super) struct Html {
    /// Whether the document has begun (its head and header are written).
    begun: bool,
    /// A person's export header, held until their profile (the next record) names them.
    held: Option<ExportHeader>,
    /// The section open now, if any.
    conversation: Option<ExportedConversation>,
    /// Messages in the open section.
    messages: usize,
    /// Sections written.
    sections: usize,
}

impl Html {
    /// Writes the document's head and header once: what is exported (a person by name),
    /// when and by whom.
    fn begin(&mut self, header: Option<&ExportHeader>, person: Option<&User>, out: &mut String) {
        if self.begun {
            return;
        }
        self.begun = true;
        let title = match (header.map(|header| &header.subject), person) {
            (_, Some(user)) => format!("History of {} ({})", user.display_name, user.id),
            (Some(ExportSubject::User(id)), None) => format!("History of {id}"),
            (Some(ExportSubject::Conversation(id)), None) => format!("Conversation {id}"),
            (None, None) => "classchat export".to_owned(),
        };
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"robots\" content=\"noindex\">\n\
             <title>{title} – classchat</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <header>\n<h1><bdi>{title}</bdi></h1>\n",
            policy = escape(CONTENT_SECURITY_POLICY),
            title = escape(&title),
        );
        if let Some(header) = header {
            let _ = writeln!(
                out,
                "<dl class=\"meta\"><dt>Exported</dt><dd>{at} (times are UTC)</dd>\
                 <dt>By</dt><dd><bdi>{by}</bdi></dd></dl>",
                at = time(&header.exported_at),
                by = escape(&header.exported_by),
            );
        }
        out.push_str(
            "<p class=\"note\">Messages are shown as stored, for the school&#39;s records: \
             removed messages with their text, edited ones with their earlier texts.</p>\n\
             </header>\n<main>\n",
        );
    }

    /// Begins the document if nothing has yet, with a header still held.
    fn begin_held(&mut self, out: &mut String) {
        let held = self.held.take();
        self.begin(held.as_ref(), None, out);
    }

    fn profile(user: &User, out: &mut String) {
        let _ = writeln!(
            out,
            "<dl class=\"meta\"><dt>Name</dt><dd><bdi>{name}</bdi></dd><dt>userId</dt>\
             <dd>{id}</dd><dt>Role</dt><dd>{role}</dd><dt>Account</dt><dd>{status}</dd></dl>",
            name = escape(user.display_name.as_str()),
            id = escape(user.id.as_str()),
            role = escape(user.role.as_str()),
            status = if user.disabled { "disabled" } else { "active" },
        );
    }

    fn open_section(&mut self, conversation: &ExportedConversation, out: &mut String) {
        self.close_section(out);
        self.sections += 1;
        let _ = write!(
            out,
            "<section>\n<h2>{member} and {teacher}</h2>\n<p class=\"note\">Conversation {id}",
            member = person(&conversation.member),
            teacher = person(&conversation.teacher),
            id = escape(&conversation.conversation_id.to_string()),
        );
        if let Some(pause) = &conversation.pause {
            out.push_str(&paused(pause));
        }
        out.push_str(
            "</p>\n<table>\n<thead><tr><th>Time (UTC)</th><th>From</th><th>Message</th></tr>\
             </thead>\n<tbody>\n",
        );
        self.conversation = Some(conversation.clone());
        self.messages = 0;
    }

    fn close_section(&mut self, out: &mut String) {
        if self.conversation.take().is_some() {
            if self.messages == 0 {
                out.push_str("<tr><td colspan=\"3\">No messages.</td></tr>\n");
            }
            out.push_str("</tbody>\n</table>\n</section>\n");
        }
    }

    fn message(&mut self, message: &Message, versions: &[MessageVersion], out: &mut String) {
        self.messages += 1;
        let author = self
            .conversation
            .as_ref()
            .and_then(|conversation| conversation.participant(&message.author));
        let name = author.map_or(message.author.as_str(), |user| user.display_name.as_str());
        let _ = write!(
            out,
            "<tr{class}><td class=\"time\">{at}</td>\
             <td class=\"author\"><bdi>{name}</bdi><br><span class=\"id\">{id}</span></td>\
             <td><div class=\"text\">{text}</div>",
            class = if message.removed_at.is_some() {
                " class=\"removed\""
            } else {
                ""
            },
            at = time(&message.timestamp),
            name = escape(name),
            id = escape(message.author.as_str()),
            text = escape(message.body.as_str()),
        );
        if let Some(removed_at) = message.removed_at {
            let _ = write!(
                out,
                "<p class=\"mark removed\">Removed by its author at {}; participants no \
                 longer see this text.</p>",
                time(&removed_at)
            );
        }
        if let Some(edited_at) = message.edited_at {
            let _ = write!(
                out,
                "<p class=\"mark edited\">Edited at {} (earlier: {}):</p><ol class=\"versions\">",
                time(&edited_at),
                versions.len()
            );
            for version in versions {
                let _ = write!(
                    out,
                    "<li><span class=\"id\">{}</span> <div class=\"text\">{}</div></li>",
                    time(&version.written_at),
                    escape(version.body.as_str())
                );
            }
            out.push_str("</ol>");
        }
        out.push_str("</td></tr>\n");
    }
}

impl Format for Html {
    fn record(&mut self, record: &ScopedRecord, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let mut text = String::new();
        match record {
            ScopedRecord::Header(header) => match header.subject {
                // A person's profile comes next, in the same batch: the title names them.
                ExportSubject::User(_) => self.held = Some(header.clone()),
                ExportSubject::Conversation(_) => self.begin(Some(header), None, &mut text),
            },
            ScopedRecord::User(user) => {
                let held = self.held.take();
                self.begin(held.as_ref(), Some(user), &mut text);
                Self::profile(user, &mut text);
            }
            ScopedRecord::Conversation(conversation) => {
                self.begin_held(&mut text);
                self.open_section(conversation, &mut text);
            }
            ScopedRecord::Message(history) => {
                self.begin_held(&mut text);
                self.message(&history.message, &history.versions, &mut text);
            }
        }
        out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        let mut text = String::new();
        self.begin_held(&mut text);
        self.close_section(&mut text);
        if self.sections == 0 {
            text.push_str("<p>No conversations.</p>\n");
        }
        text.push_str("</main>\n</body>\n</html>\n");
        out.extend_from_slice(text.as_bytes());
    }
}

/// A participant: their name and, smaller, their userId and role.
fn person(user: &User) -> String {
    format!(
        "<bdi>{}</bdi> <span class=\"id\">({}, {})</span>",
        escape(user.display_name.as_str()),
        escape(user.id.as_str()),
        escape(user.role.as_str())
    )
}

/// A pause, as the conversation's note says it.
fn paused(pause: &Pause) -> String {
    let mut note = format!(
        "; paused by <bdi>{}</bdi> ({}) at {}",
        escape(pause.by.as_str()),
        escape(pause.by_role.as_str()),
        time(&pause.at)
    );
    if let Some(reason) = &pause.reason {
        let _ = write!(note, ": <bdi>{}</bdi>", escape(reason.as_str()));
    }
    note
}

/// An instant for people to read — `2026-03-02 09:00:01` (UTC, as the header says) —
/// with its exact stored form in the `datetime` attribute.
fn time(at: &Timestamp) -> String {
    let exact = at.to_string();
    let shown = match (exact.get(..10), exact.get(11..19)) {
        (Some(day), Some(clock)) => format!("{day} {clock}"),
        _ => exact.clone(),
    };
    format!(
        "<time datetime=\"{}\">{}</time>",
        escape(&exact),
        escape(&shown)
    )
}

/// `value` as HTML text or attribute value: the five characters that can end or start
/// markup (`&`, `<`, `>`, `"`, `'`) written as references.
pub(crate) fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{conversation_export, hostile_message, plain_message};
    use super::*;

    fn write(records: &[ScopedRecord]) -> String {
        let mut html = Html::default();
        let mut out = Vec::new();
        for record in records {
            html.record(record, &mut out).unwrap();
        }
        html.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn markup_in_any_value_is_escaped() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn a_hostile_message_stays_text_in_a_complete_document_without_scripts() {
        let html = write(&conversation_export(vec![
            plain_message(),
            hostile_message(),
        ]));
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("@media print"));
        assert!(html.ends_with("</tbody>\n</table>\n</section>\n</main>\n</body>\n</html>\n"));
        // The only markup is ours: the message's is text.
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        // Names are escaped too, as are the conversation's pause reason.
        assert!(html.contains("Student, &quot;One&quot;"));
        assert!(html.contains("cooling off"));
        // Line breaks are kept (the CSS shows them), removed and edited are said.
        assert!(html.contains("calc&#39;!A0\n&lt;script&gt;"));
        assert!(html.contains(
            "Removed by its author at <time datetime=\"2026-03-02T09:00:03.000000Z\">\
             2026-03-02 09:00:03</time>"
        ));
        assert!(html.contains(
            "Edited at <time datetime=\"2026-03-02T09:00:02.000000Z\">2026-03-02 09:00:02</time> \
             (earlier: 1)"
        ));
        assert!(html.contains("<h1><bdi>Conversation s1+t1</bdi></h1>"));
        assert!(html.contains("=HYPERLINK(&quot;x&quot;)"));
        assert!(html.contains("Exported</dt><dd><time datetime=\"2026-03-02T10:00:00.000000Z\">"));
        assert!(html.contains("<dd><bdi>office</bdi></dd>"));
        let rows = html.matches("<tr><td class=\"time\">").count()
            + html.matches("<tr class=\"removed\">").count();
        assert_eq!(rows, 2);
    }

    #[test]
    fn a_persons_transcript_is_titled_with_their_name() {
        let mut records = conversation_export(Vec::new());
        let ScopedRecord::Conversation(conversation) = records.remove(1) else {
            panic!("a conversation second");
        };
        let ScopedRecord::Header(mut header) = records.remove(0) else {
            panic!("a header first");
        };
        header.subject = ExportSubject::User(conversation.member.id.clone());
        let html = write(&[
            ScopedRecord::Header(header),
            ScopedRecord::User(conversation.member),
        ]);
        assert!(
            html.contains("<h1><bdi>History of Student, &quot;One&quot; (s1)</bdi></h1>"),
            "{html}"
        );
        assert!(html.contains("<dt>Account</dt><dd>active</dd>"));
        assert!(html.contains("<p>No conversations.</p>\n</main>"));
    }

    #[test]
    fn an_empty_conversation_still_makes_a_whole_document() {
        let html = write(&conversation_export(Vec::new()));
        assert!(html.contains("No messages."));
        assert!(html.ends_with("</html>\n"));
    }
}
