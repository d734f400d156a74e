//! A digest as an RFC 5322 message: the headers mail providers look for in bulk mail
//! (one-click unsubscribe, `Auto-Submitted`) and a `multipart/alternative` body.
//!
//! Nothing a person typed reaches a header raw: the recipient's name goes through
//! lettre's mailbox encoding (quoted or RFC 2047 encoded-words), the subject holds only a
//! count, and the one link that becomes a header is checked to be a plain `http(s)` URL
//! first — so no name, text or link can end a header line and start another.

use super::MailError;
use super::digest::DigestEmail;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

/// The longest link accepted: far beyond any link classchat makes, and short enough that
/// `List-Unsubscribe` stays under SMTP's 998-character line limit without folding
/// inside the URL.
const MAX_LINK: usize = 900;

/// The message for `email`, from `from`. A malformed recipient address or link is
/// [`MailError::Permanent`]: the same digest would fail the same way every time.
pub(crate) fn build(email: &DigestEmail, from: &Mailbox) -> Result<Message, MailError> {
    let address = email.to.trim().parse().map_err(|error| {
        MailError::Permanent(format!(
            "the recipient address {:?} is not valid: {error}",
            email.to
        ))
    })?;
    check_link("the unsubscribe link", &email.unsubscribe_url)?;
    check_link("the classchat link", &email.app_url)?;
    for line in &email.lines {
        check_link("a conversation's link", &line.url)?;
    }
    let name = email
        .recipient_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let to = Mailbox::new((!name.is_empty()).then_some(name), address);
    // Our own id, on the sender's domain (lettre's default uses this machine's host
    // name, which says nothing useful to the recipient's provider).
    let message_id = format!("<{}@{}>", ulid::Ulid::new(), from.email.domain());
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject())
        .message_id(Some(message_id))
        .raw_header(header(
            "List-Unsubscribe",
            format!("<{}>", email.unsubscribe_url),
        ))
        // RFC 8058: a provider's "unsubscribe" button POSTs this body to the URL above, so
        // the link must act on a POST without signing in (and the relay should DKIM-sign
        // both headers for providers to trust them).
        .raw_header(header(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        // RFC 3834: automatic, so vacation responders and the like do not answer it.
        .raw_header(header("Auto-Submitted", "auto-generated".to_owned()))
        .multipart(MultiPart::alternative_plain_html(
            email.text_body(),
            email.html_body(),
        ))
        .map_err(|error| MailError::Permanent(format!("the message could not be built: {error}")))
}

/// A header whose value lettre encodes (a value with anything but printable ASCII would
/// become RFC 2047 encoded-words, never a raw line break).
fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// `url` must be an absolute `http(s)` link of printable ASCII without spaces, quotes or
/// angle brackets: safe between `<>` in a header and as an `href`, and never
/// `javascript:` or the like.
fn check_link(what: &str, url: &str) -> Result<(), MailError> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let chars_ok = url
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"'));
    if !scheme_ok || !chars_ok || url.len() > MAX_LINK {
        return Err(MailError::Permanent(format!(
            "{what} must be an absolute http(s) URL of at most {MAX_LINK} printable ASCII characters, not {url:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::DigestLine;

    fn from() -> Mailbox {
        "classchat <noreply@school.example>".parse().unwrap()
    }

    fn digest() -> DigestEmail {
        DigestEmail {
            to: "sam@school.example".to_owned(),
            recipient_name: "Sam Park".to_owned(),
            lines: vec![DigestLine {
                peer_name: "Ms Rivera".to_owned(),
                unread: 2,
                url: "https://chat.school.example/#/c/s1+t1".to_owned(),
                text: Some("See you at 9\r\nBcc: everyone@school.example".to_owned()),
            }],
            app_url: "https://chat.school.example/".to_owned(),
            unsubscribe_url: "https://chat.school.example/unsubscribe?token=abc".to_owned(),
        }
    }

    fn formatted(email: &DigestEmail) -> String {
        String::from_utf8(build(email, &from()).unwrap().formatted()).unwrap()
    }

    /// The header block: everything before the first empty line.
    fn head(message: &str) -> &str {
        message.split("\r\n\r\n").next().unwrap()
    }

    #[test]
    fn the_message_carries_the_bulk_mail_headers() {
        let message = formatted(&digest());
        let head = head(&message);
        assert!(head.contains("From: classchat <noreply@school.example>\r\n"));
        assert!(head.contains("To: \"Sam Park\" <sam@school.example>\r\n"));
        assert!(head.contains("Subject: 2 unread messages on classchat\r\n"));
        assert!(
            head.contains(
                "List-Unsubscribe: <https://chat.school.example/unsubscribe?token=abc>\r\n"
            )
        );
        assert!(head.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(head.contains("Auto-Submitted: auto-generated\r\n"));
        assert!(
            head.contains("@school.example>\r\n"),
            "a Message-ID on our domain"
        );
        assert!(head.contains("Content-Type: multipart/alternative;"));
        assert!(message.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(message.contains("Content-Type: text/html; charset=utf-8"));
    }

    #[test]
    fn no_name_or_text_can_add_a_header() {
        let mut email = digest();
        email.recipient_name = "Sam\r\nBcc: everyone@school.example".to_owned();
        let message = formatted(&email);
        let head = head(&message);
        assert!(!head.contains("\r\nBcc:"));
        assert!(!head.contains("\nBcc:"));
        let envelope = build(&email, &from()).unwrap().envelope().clone();
        assert_eq!(envelope.to().len(), 1);
        assert_eq!(envelope.to()[0].to_string(), "sam@school.example");
    }

    #[test]
    fn a_malformed_recipient_address_is_permanent() {
        for to in [
            "",
            "sam",
            "sam@",
            "sam@school.example\r\nBcc: x@y.example",
            "a@b.example, c@d.example",
        ] {
            let mut email = digest();
            email.to = to.to_owned();
            assert!(
                matches!(build(&email, &from()), Err(MailError::Permanent(_))),
                "{to:?}"
            );
        }
    }

    #[test]
    fn a_link_that_is_not_a_plain_http_url_is_refused() {
        let bad = [
            "javascript:alert(1)",
            "/relative",
            "https://chat.school.example/u?t=a b",
            "https://chat.school.example/u>\r\nBcc: x@y.example",
            "https://chat.school.example/\"onmouseover=\"x",
            "https://chat.school.example/é",
        ];
        for url in bad {
            let mut email = digest();
            email.unsubscribe_url = url.to_owned();
            assert!(
                matches!(build(&email, &from()), Err(MailError::Permanent(_))),
                "{url:?}"
            );
            let mut email = digest();
            email.lines[0].url = url.to_owned();
            assert!(
                matches!(build(&email, &from()), Err(MailError::Permanent(_))),
                "{url:?}"
            );
            let mut email = digest();
            email.app_url = url.to_owned();
            assert!(
                matches!(build(&email, &from()), Err(MailError::Permanent(_))),
                "{url:?}"
            );
        }
        let mut email = digest();
        email.unsubscribe_url = format!("https://chat.school.example/{}", "a".repeat(MAX_LINK));
        assert!(matches!(
            build(&email, &from()),
            Err(MailError::Permanent(_))
        ));
        email.unsubscribe_url = "HTTP://localhost:8080/unsubscribe".to_owned();
        assert!(build(&email, &from()).is_ok());
    }
}
