//! The reading end of the SMTP sink `scripts/test` starts (`scripts/smtp_sink.py`): an
//! aiosmtpd server on loopback that stores every message it accepts in a Maildir, with
//! the SMTP envelope in two headers of its own. Tests send real email to it and read it
//! back here, each with recipient addresses of its own, so they can share one sink.

use mail_parser::{Address, MessageParser, PartType};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The header the sink puts first, with the envelope sender (`MAIL FROM`).
const ENVELOPE_FROM: &str = "X-Sink-Mail-From";
/// The header the sink puts second, with the envelope recipients (`RCPT TO`), comma
/// separated.
const ENVELOPE_TO: &str = "X-Sink-Rcpt-To";
/// How long [`SmtpSink::wait_for`] waits: far beyond a loopback delivery, short enough
/// that a test expecting mail that never comes fails within a run.
const WAIT: Duration = Duration::from_secs(10);

/// The SMTP sink this test run shares, found through the environment.
#[derive(Debug, Clone)]
pub struct SmtpSink {
    /// `smtp://127.0.0.1:PORT`, for a [`MailConfig`](crate::mail::MailConfig).
    url: String,
    /// The Maildir the sink stores into.
    maildir: PathBuf,
}

/// One message the sink accepted, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The decoded `Subject`.
    pub subject: String,
    /// The `From` mailbox, decoded, as `Name <address>` (or the bare address).
    pub from: String,
    /// The `To` mailboxes, decoded, as `Name <address>`, comma separated.
    pub to: String,
    /// The envelope sender (`MAIL FROM`).
    pub envelope_from: String,
    /// The envelope recipients (`RCPT TO`): who the message was actually delivered to,
    /// whatever its headers say.
    pub envelope_to: Vec<String>,
    /// The top-level `Content-Type`'s type and subtype, e.g. `multipart/alternative`.
    pub content_type: String,
    /// Every header of the message as sent (the sink's own envelope headers left out), in
    /// order, with folded values unfolded but not decoded.
    pub headers: Vec<(String, String)>,
    /// The `text/plain` part, decoded, its CRLF line breaks (SMTP's) read as `\n`
    /// (empty if there is none).
    pub text: String,
    /// The `text/html` part, decoded likewise (empty if there is none).
    pub html: String,
}

impl ReceivedMail {
    /// The first header named `name` (case-insensitively), unfolded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every header named `name` (case-insensitively): to count them.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

impl SmtpSink {
    /// The sink named by `CLASSCHAT_TEST_SMTP_URL` and `CLASSCHAT_TEST_SMTP_MAILDIR`.
    /// Panics without them: email tests fail, never skip, when there is no sink.
    pub fn from_env() -> Self {
        let url = std::env::var("CLASSCHAT_TEST_SMTP_URL").ok();
        let maildir = std::env::var_os("CLASSCHAT_TEST_SMTP_MAILDIR");
        match (url, maildir) {
            (Some(url), Some(maildir)) if !url.is_empty() && !maildir.is_empty() => Self {
                url,
                maildir: PathBuf::from(maildir),
            },
            _ => panic!(
                "no SMTP sink for the email tests: run ./scripts/test, or start \
                 scripts/smtp-sink and export CLASSCHAT_TEST_SMTP_URL / _MAILDIR \
                 (scripts/smtp-sink install && scripts/smtp-sink serve --port-file F \
                 --maildir D &; CLASSCHAT_TEST_SMTP_URL=smtp://127.0.0.1:$(cat F) \
                 CLASSCHAT_TEST_SMTP_MAILDIR=D)"
            ),
        }
    }

    /// `smtp://127.0.0.1:PORT`: plain SMTP on loopback, owned to drop straight into a
    /// [`MailConfig`](crate::mail::MailConfig).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The Maildir the sink stores into.
    pub fn maildir(&self) -> &Path {
        &self.maildir
    }

    /// Every message so far addressed to `to` (envelope or `To` header, ignoring case),
    /// oldest first.
    pub fn received(&self, to: &str) -> Vec<ReceivedMail> {
        let mut files = Vec::new();
        for folder in ["new", "cur"] {
            let dir = self.maildir.join(folder);
            let entries = std::fs::read_dir(&dir)
                .unwrap_or_else(|error| panic!("reading the sink's {}: {error}", dir.display()));
            for entry in entries {
                let entry = entry.expect("a Maildir entry");
                files.push((delivery_order(&entry), entry.path()));
            }
        }
        files.sort();
        files
            .into_iter()
            // A message may move from new/ to cur/ between the two listings (if anything
            // ever reads the Maildir as a mail client would): a vanished file is skipped.
            .filter_map(|(_, path)| std::fs::read(&path).ok().map(|raw| (path, raw)))
            .map(|(path, raw)| {
                parse(&raw).unwrap_or_else(|| {
                    panic!("the sink stored an unreadable message: {}", path.display())
                })
            })
            .filter(|mail| addressed_to(mail, to))
            .collect()
    }

    /// Waits (up to ten seconds) until at least `count` messages addressed to `to` have
    /// arrived, and returns them all, oldest first. Panics if they do not arrive.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + WAIT;
        loop {
            let received = self.received(to);
            if received.len() >= count {
                return received;
            }
            if Instant::now() >= deadline {
                panic!(
                    "expected {count} email(s) to {to} at the SMTP sink within {WAIT:?}, \
                     found {}: {received:#?}",
                    received.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Where a Maildir file stands in delivery order: Python's `mailbox.Maildir` names files
/// `SECONDS.M<MICROS>P<PID>Q<N>.<HOST>`, whose micro-seconds are not zero-padded, so the
/// name alone does not sort; the file's modification time breaks what the name cannot.
fn delivery_order(entry: &std::fs::DirEntry) -> (u64, u64, SystemTime) {
    let name = entry.file_name().to_string_lossy().into_owned();
    let mut fields = name.split('.');
    let seconds = fields
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    let micros = fields
        .next()
        .and_then(|s| s.strip_prefix('M'))
        .and_then(|s| s.split('P').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    let modified = entry
        .metadata()
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    (seconds, micros, modified)
}

/// One stored message, parsed; `None` if it is not a message at all.
fn parse(raw: &[u8]) -> Option<ReceivedMail> {
    let message = MessageParser::default().parse(raw)?;
    let mut envelope_from = String::new();
    let mut envelope_to = Vec::new();
    let mut headers = Vec::new();
    for (name, value) in message.headers_raw() {
        let value = unfold(value);
        if name.eq_ignore_ascii_case(ENVELOPE_FROM) {
            envelope_from = value;
        } else if name.eq_ignore_ascii_case(ENVELOPE_TO) {
            envelope_to = value.split(',').map(|s| s.trim().to_owned()).collect();
        } else {
            headers.push((name.to_owned(), value));
        }
    }
    let content_type = message
        .root_part()
        .headers()
        .iter()
        .find_map(|header| header.value().as_content_type())
        .map(|ct| match ct.subtype() {
            Some(subtype) => format!("{}/{subtype}", ct.ctype()),
            None => ct.ctype().to_owned(),
        })
        .unwrap_or_default();
    let mut text = String::new();
    let mut html = String::new();
    for part in &message.parts {
        match &part.body {
            PartType::Text(body) if text.is_empty() => text = body.replace("\r\n", "\n"),
            PartType::Html(body) if html.is_empty() => html = body.replace("\r\n", "\n"),
            _ => {}
        }
    }
    Some(ReceivedMail {
        subject: message.subject().unwrap_or_default().to_owned(),
        from: mailboxes(message.from()),
        to: mailboxes(message.to()),
        envelope_from,
        envelope_to,
        content_type,
        headers,
        text,
        html,
    })
}

/// A header value on one line: folding (a line break before white space) removed, the
/// surrounding white space trimmed.
fn unfold(value: &str) -> String {
    value
        .replace("\r\n", "")
        .replace('\n', "")
        .trim()
        .to_owned()
}

/// `Name <address>, …` for an address header.
fn mailboxes(address: Option<&Address<'_>>) -> String {
    let Some(address) = address else {
        return String::new();
    };
    address
        .iter()
        .map(|addr| {
            let email = addr.address.as_deref().unwrap_or_default();
            match addr.name.as_deref() {
                Some(name) if !name.is_empty() => format!("{name} <{email}>"),
                _ => email.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `mail` was for `to`: an envelope recipient, or an address in `To`.
fn addressed_to(mail: &ReceivedMail, to: &str) -> bool {
    let to = to.trim();
    mail.envelope_to
        .iter()
        .any(|rcpt| rcpt.eq_ignore_ascii_case(to))
        || mail.to.split(", ").any(|mailbox| {
            let address = mailbox
                .rsplit_once('<')
                .map_or(mailbox, |(_, rest)| rest.trim_end_matches('>'));
            address.eq_ignore_ascii_case(to)
        })
}
