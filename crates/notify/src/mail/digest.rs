//! What a digest says: its subject and its two bodies, plain text and HTML, composed from
//! plain values so the digest job never has to think about MIME or escaping.

use std::fmt::Write as _;

/// The most characters of a message's text a digest quotes: enough to recognise the
/// message, few enough that the email stays a pointer back to classchat rather than a
/// copy of the conversation.
const QUOTE_LIMIT: usize = 280;

/// One person's digest: who it is for, and one line per conversation with unread
/// messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestEmail {
    /// The recipient's email address (checked when the message is built: a malformed
    /// one is [`MailError::Permanent`](super::MailError::Permanent)).
    pub to: String,
    /// The recipient's display name, for the greeting and the `To` header.
    pub recipient_name: String,
    /// One line per conversation with unread messages, in the order they are shown.
    pub lines: Vec<DigestLine>,
    /// The web client's address (e.g. `https://chat.school.example/`), for "open
    /// classchat".
    pub app_url: String,
    /// A link that stops these emails without signing in: shown at the bottom and sent as
    /// `List-Unsubscribe` (RFC 8058's one-click POST goes to the same URL).
    pub unsubscribe_url: String,
}

/// One conversation in a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestLine {
    /// Who the conversation is with, as the recipient sees them ("Ms Rivera").
    pub peer_name: String,
    /// How many of its messages the recipient has not read.
    pub unread: u64,
    /// The absolute link that opens this conversation in the web client.
    pub url: String,
    /// The latest message's text, only where the school allows message text in email
    /// (`None` otherwise, and then nothing of the message appears).
    pub text: Option<String>,
}

impl DigestEmail {
    /// Unread messages across every line: what the subject counts.
    pub fn total_unread(&self) -> u64 {
        self.lines
            .iter()
            .fold(0u64, |sum, line| sum.saturating_add(line.unread))
    }

    /// "3 unread messages on classchat" ("1 unread message" for one): a count and no
    /// names, so a lock screen showing the subject discloses nothing.
    pub fn subject(&self) -> String {
        format!("{} on classchat", unread_messages(self.total_unread()))
    }

    /// The plain-text body: a greeting, each conversation with its count, its quoted
    /// text (when allowed) and its link, the link to classchat, and the way out.
    pub fn text_body(&self) -> String {
        let mut body = String::new();
        // `write!` into a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(body, "Hello {},", one_line(&self.recipient_name));
        body.push('\n');
        let _ = writeln!(
            body,
            "You have {} on classchat.",
            unread_messages(self.total_unread())
        );
        for line in &self.lines {
            body.push('\n');
            let _ = writeln!(
                body,
                "{} — {} unread",
                one_line(&line.peer_name),
                line.unread
            );
            if let Some(text) = &line.text {
                for quoted in quote(text).lines() {
                    let _ = writeln!(body, "> {quoted}");
                }
            }
            let _ = writeln!(body, "Open: {}", line.url);
        }
        body.push('\n');
        let _ = writeln!(body, "Open classchat: {}", self.app_url);
        body.push('\n');
        let _ = writeln!(body, "Stop these emails: {}", self.unsubscribe_url);
        body
    }

    /// The HTML body: the same as [`text_body`](Self::text_body), with every name, text
    /// and link escaped, so nothing anyone typed can become markup.
    pub fn html_body(&self) -> String {
        let mut body = String::from(
            "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"></head>\n\
             <body style=\"font-family: sans-serif; line-height: 1.4\">\n",
        );
        let _ = writeln!(
            body,
            "<p>Hello {},</p>",
            escape(&one_line(&self.recipient_name))
        );
        let _ = writeln!(
            body,
            "<p>You have {} on classchat.</p>",
            unread_messages(self.total_unread())
        );
        body.push_str("<ul>\n");
        for line in &self.lines {
            let _ = write!(
                body,
                "<li><a href=\"{}\">{}</a> — {} unread",
                escape(&line.url),
                escape(&one_line(&line.peer_name)),
                line.unread
            );
            if let Some(text) = &line.text {
                let quoted: Vec<String> = quote(text).lines().map(escape).collect();
                let _ = write!(
                    body,
                    "\n<blockquote style=\"margin: 0.3em 0 0.3em 1em; color: #444\">{}</blockquote>",
                    quoted.join("<br>")
                );
            }
            body.push_str("</li>\n");
        }
        body.push_str("</ul>\n");
        let _ = writeln!(
            body,
            "<p><a href=\"{}\">Open classchat</a></p>",
            escape(&self.app_url)
        );
        let url = escape(&self.unsubscribe_url);
        let _ = writeln!(
            body,
            "<p style=\"font-size: small; color: #666\">Stop these emails: \
             <a href=\"{url}\">{url}</a></p>"
        );
        body.push_str("</body>\n</html>\n");
        body
    }
}

/// "1 unread message", "2 unread messages".
fn unread_messages(count: u64) -> String {
    if count == 1 {
        "1 unread message".to_owned()
    } else {
        format!("{count} unread messages")
    }
}

/// A name on one line: names are validated by the core (no control characters), but a
/// digest should not rely on that to keep its layout.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A message's text as quoted: trimmed, line breaks normalised, cut at [`QUOTE_LIMIT`]
/// characters with an ellipsis, and any other control character dropped.
fn quote(text: &str) -> String {
    let text = text.trim();
    let mut quoted: String = text
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .take(QUOTE_LIMIT)
        .collect();
    if text
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .count()
        > QUOTE_LIMIT
    {
        quoted.truncate(quoted.trim_end().len());
        quoted.push('…');
    }
    quoted
}

/// `text` safe anywhere in HTML: element content or a quoted attribute value.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(peer: &str, unread: u64, text: Option<&str>) -> DigestLine {
        DigestLine {
            peer_name: peer.to_owned(),
            unread,
            url: format!("https://chat.school.example/#/c/{unread}"),
            text: text.map(str::to_owned),
        }
    }

    fn digest(lines: Vec<DigestLine>) -> DigestEmail {
        DigestEmail {
            to: "sam@school.example".to_owned(),
            recipient_name: "Sam Park".to_owned(),
            lines,
            app_url: "https://chat.school.example/".to_owned(),
            unsubscribe_url: "https://chat.school.example/unsubscribe?t=abc&u=1".to_owned(),
        }
    }

    #[test]
    fn the_subject_counts_every_unread_message_singular_for_one() {
        assert_eq!(
            digest(vec![line("Ms Rivera", 1, None)]).subject(),
            "1 unread message on classchat"
        );
        assert_eq!(
            digest(vec![line("Ms Rivera", 2, None), line("Mr Chen", 1, None)]).subject(),
            "3 unread messages on classchat"
        );
        assert_eq!(digest(vec![]).subject(), "0 unread messages on classchat");
    }

    #[test]
    fn the_subject_names_nobody() {
        let email = digest(vec![line("Ms Rivera", 2, Some("the field trip"))]);
        assert!(!email.subject().contains("Rivera"));
        assert!(!email.subject().contains("field trip"));
    }

    #[test]
    fn the_text_body_names_each_conversation_with_its_count_and_link() {
        let email = digest(vec![line("Ms Rivera", 2, None), line("Mr Chen", 1, None)]);
        let body = email.text_body();
        assert!(body.starts_with("Hello Sam Park,\n"));
        assert!(body.contains("You have 3 unread messages on classchat."));
        assert!(body.contains("Ms Rivera — 2 unread\nOpen: https://chat.school.example/#/c/2\n"));
        assert!(body.contains("Mr Chen — 1 unread\nOpen: https://chat.school.example/#/c/1\n"));
        assert!(body.contains("Open classchat: https://chat.school.example/\n"));
        assert!(
            body.ends_with(
                "Stop these emails: https://chat.school.example/unsubscribe?t=abc&u=1\n"
            )
        );
    }

    #[test]
    fn a_message_text_is_quoted_line_by_line_when_present() {
        let email = digest(vec![line(
            "Ms Rivera",
            2,
            Some("Bring boots.\r\nAnd lunch"),
        )]);
        let body = email.text_body();
        assert!(body.contains("Ms Rivera — 2 unread\n> Bring boots.\n> And lunch\nOpen: "));
        assert!(
            email
                .html_body()
                .contains("Bring boots.<br>And lunch</blockquote>")
        );
    }

    #[test]
    fn no_text_appears_when_the_school_does_not_allow_it() {
        let email = digest(vec![line("Ms Rivera", 2, None)]);
        assert!(!email.text_body().contains("> "));
        assert!(!email.html_body().contains("<blockquote"));
    }

    #[test]
    fn the_html_body_escapes_names_texts_and_links() {
        let mut email = digest(vec![line(
            "<b>Ms \"Rivera\"</b> & co",
            1,
            Some("<script>alert('x')</script>"),
        )]);
        email.recipient_name = "<img src=x onerror=alert(1)>".to_owned();
        email.lines[0].url = "https://chat.school.example/#/c/\"><script>".to_owned();
        let html = email.html_body();
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("&lt;b&gt;Ms &quot;Rivera&quot;&lt;/b&gt; &amp; co</a> — 1 unread"));
        assert!(html.contains("href=\"https://chat.school.example/#/c/&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("Hello &lt;img src=x onerror=alert(1)&gt;,"));
        // The unsubscribe link's `&` is escaped inside and outside the attribute.
        assert!(html.contains(
            "<a href=\"https://chat.school.example/unsubscribe?t=abc&amp;u=1\">https://chat.school.example/unsubscribe?t=abc&amp;u=1</a>"
        ));
        // The plain-text body is not HTML: it keeps the text as written.
        assert!(email.text_body().contains("> <script>alert('x')</script>"));
    }

    #[test]
    fn the_html_body_names_each_conversation_and_the_way_out() {
        let html = digest(vec![line("Ms Rivera", 2, None), line("Mr Chen", 1, None)]).html_body();
        assert!(html.contains(
            "<li><a href=\"https://chat.school.example/#/c/2\">Ms Rivera</a> — 2 unread</li>"
        ));
        assert!(html.contains(
            "<li><a href=\"https://chat.school.example/#/c/1\">Mr Chen</a> — 1 unread</li>"
        ));
        assert!(html.contains("You have 3 unread messages on classchat."));
        assert!(html.contains("<a href=\"https://chat.school.example/\">Open classchat</a>"));
        assert!(html.contains("Stop these emails: "));
    }

    #[test]
    fn a_long_text_is_cut_with_an_ellipsis() {
        let long = "word ".repeat(200);
        let quoted = quote(&long);
        assert!(quoted.chars().count() <= QUOTE_LIMIT + 1);
        assert!(quoted.ends_with("word…"));
        assert_eq!(quote("short"), "short");
        assert_eq!(quote(&"é".repeat(QUOTE_LIMIT)), "é".repeat(QUOTE_LIMIT));
    }

    #[test]
    fn names_stay_on_one_line() {
        let mut email = digest(vec![line("Ms\nRivera", 1, None)]);
        email.recipient_name = "Sam\r\nBcc: x@evil.example".to_owned();
        let body = email.text_body();
        assert!(body.starts_with("Hello Sam Bcc: x@evil.example,\n"));
        assert!(body.contains("\nMs Rivera — 1 unread\n"));
    }
}
