//! Digests sent through `Mailer` to the SMTP sink `scripts/test` starts
//! (`scripts/smtp_sink.py`, found through `CLASSCHAT_TEST_SMTP_URL` / `_MAILDIR`) and read
//! back as a mail client would; and what each way a send can fail is called. Every test
//! writes to addresses of its own, so they share the one sink.

use classchat_notify::mail::{DigestEmail, DigestLine, MailConfig, MailError, Mailer};
use classchat_notify::testing::{ReceivedMail, SmtpSink};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const FROM: &str = "classchat <noreply@school.example>";

/// An address no other test uses; `kind` starting with `reject` or `defer` makes the sink
/// refuse it (550 or 451).
fn address(kind: &str) -> String {
    format!(
        "{kind}-{}@school.example",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

fn config(smtp_url: &str) -> MailConfig {
    MailConfig {
        smtp_url: smtp_url.to_owned(),
        from: FROM.to_owned(),
        timeout: Duration::from_secs(5),
    }
}

fn mailer(sink: &SmtpSink) -> Mailer {
    Mailer::new(&config(&sink.url())).expect("a mailer for the sink")
}

fn digest(to: &str) -> DigestEmail {
    DigestEmail {
        to: to.to_owned(),
        recipient_name: "Sam Park".to_owned(),
        lines: vec![
            DigestLine {
                peer_name: "Ms Rivera".to_owned(),
                unread: 2,
                url: "https://chat.school.example/#/c/s1+t1".to_owned(),
                text: Some("Field trip forms are due Friday".to_owned()),
            },
            DigestLine {
                peer_name: "Mr Chen".to_owned(),
                unread: 1,
                url: "https://chat.school.example/#/c/s1+t2".to_owned(),
                text: None,
            },
        ],
        app_url: "https://chat.school.example/".to_owned(),
        unsubscribe_url: "https://chat.school.example/api/notify/unsubscribe?token=t0k3n"
            .to_owned(),
    }
}

async fn send_and_receive(email: &DigestEmail) -> ReceivedMail {
    let sink = SmtpSink::from_env();
    mailer(&sink).send(email).await.expect("sent");
    let mut received = sink.wait_for(&email.to, 1).await;
    assert_eq!(received.len(), 1, "exactly one email to {}", email.to);
    received.remove(0)
}

#[tokio::test]
async fn a_digest_arrives_with_its_subject_parts_and_unsubscribe_headers() {
    let to = address("digest");
    let mail = send_and_receive(&digest(&to)).await;

    assert_eq!(mail.subject, "3 unread messages on classchat");
    assert_eq!(mail.from, FROM);
    assert_eq!(mail.to, format!("Sam Park <{to}>"));
    assert_eq!(mail.envelope_from, "noreply@school.example");
    assert_eq!(mail.envelope_to, vec![to.clone()]);
    assert_eq!(mail.content_type, "multipart/alternative");

    assert!(mail.text.contains("Hello Sam Park,"), "{}", mail.text);
    assert!(mail.text.contains("Ms Rivera — 2 unread"), "{}", mail.text);
    assert!(
        mail.text.contains("> Field trip forms are due Friday"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Mr Chen — 1 unread"), "{}", mail.text);
    assert!(
        mail.text
            .contains("Open classchat: https://chat.school.example/")
    );
    assert!(mail.text.contains(
        "Stop these emails: https://chat.school.example/api/notify/unsubscribe?token=t0k3n"
    ));
    assert!(
        mail.html
            .contains("<a href=\"https://chat.school.example/#/c/s1+t1\">Ms Rivera</a> — 2 unread")
    );
    assert!(
        mail.html
            .contains("Field trip forms are due Friday</blockquote>")
    );
    assert!(
        mail.html
            .contains("<a href=\"https://chat.school.example/\">Open classchat</a>")
    );
    assert!(mail.html.contains("Stop these emails: "));

    assert_eq!(
        mail.header("List-Unsubscribe"),
        Some("<https://chat.school.example/api/notify/unsubscribe?token=t0k3n>")
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(mail.header("Auto-Submitted"), Some("auto-generated"));
    let message_id = mail.header("Message-ID").expect("a Message-ID");
    assert!(message_id.ends_with("@school.example>"), "{message_id}");
    assert!(mail.header("Date").is_some());
}

#[tokio::test]
async fn one_unread_message_is_singular() {
    let to = address("single");
    let mut email = digest(&to);
    email.lines.truncate(1);
    email.lines[0].unread = 1;
    let mail = send_and_receive(&email).await;
    assert_eq!(mail.subject, "1 unread message on classchat");
    assert!(
        mail.text
            .contains("You have 1 unread message on classchat.")
    );
}

#[tokio::test]
async fn a_script_in_a_message_reaches_the_html_part_escaped() {
    let to = address("escape");
    let mut email = digest(&to);
    email.lines[0].text = Some("<script>alert(\"hi\")</script> & <b>bold</b>".to_owned());
    email.lines[0].peer_name = "Ms <i>Rivera</i>".to_owned();
    let mail = send_and_receive(&email).await;

    assert!(!mail.html.contains("<script"), "{}", mail.html);
    assert!(
        !mail.html.contains("<b>") && !mail.html.contains("<i>"),
        "{}",
        mail.html
    );
    assert!(mail.html.contains(
        "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    ));
    assert!(
        mail.html
            .contains("Ms &lt;i&gt;Rivera&lt;/i&gt;</a> — 2 unread")
    );
    // Plain text is not markup: it reads as written.
    assert!(
        mail.text
            .contains("> <script>alert(\"hi\")</script> & <b>bold</b>")
    );
}

#[tokio::test]
async fn no_message_text_is_sent_when_the_school_does_not_allow_it() {
    let to = address("notext");
    let mut email = digest(&to);
    for line in &mut email.lines {
        line.text = None;
    }
    let mail = send_and_receive(&email).await;
    assert!(!mail.text.contains("Field trip"));
    assert!(
        !mail.text.lines().any(|line| line.starts_with('>')),
        "{}",
        mail.text
    );
    assert!(!mail.html.contains("Field trip"));
    assert!(!mail.html.contains("<blockquote"));
    assert!(mail.text.contains("Ms Rivera — 2 unread"));
}

#[tokio::test]
async fn names_and_texts_outside_ascii_arrive_intact() {
    let to = address("unicode");
    let mut email = digest(&to);
    email.recipient_name = "Zoë Ångström".to_owned();
    email.lines[0].peer_name = "Mme Dupré".to_owned();
    email.lines[0].text = Some("Très bien 👏\nÀ demain".to_owned());
    let mail = send_and_receive(&email).await;
    assert_eq!(mail.to, format!("Zoë Ångström <{to}>"));
    assert!(
        mail.text
            .contains("Mme Dupré — 2 unread\n> Très bien 👏\n> À demain\n"),
        "{}",
        mail.text
    );
    assert!(
        mail.html.contains("Très bien 👏<br>À demain"),
        "{}",
        mail.html
    );
}

#[tokio::test]
async fn a_name_cannot_add_a_recipient_or_a_header() {
    let sink = SmtpSink::from_env();
    let to = address("inject");
    let other = address("bystander");
    let mut email = digest(&to);
    email.recipient_name = format!("Sam\r\nBcc: {other}\r\nX-Injected: yes");
    email.lines[0].peer_name = format!("Ms Rivera\r\nCc: {other}");
    email.lines[0].text = Some(format!("hi\r\n\r\nBcc: {other}\r\n.\r\nRCPT TO:<{other}>"));
    mailer(&sink).send(&email).await.expect("sent");

    let mail = sink.wait_for(&to, 1).await.remove(0);
    assert_eq!(mail.envelope_to, vec![to.clone()]);
    assert!(mail.header("Bcc").is_none() && mail.header("Cc").is_none());
    assert!(mail.header("X-Injected").is_none());
    assert_eq!(mail.headers_named("To").len(), 1);
    assert!(sink.received(&other).is_empty());
}

#[test]
fn a_bad_url_or_from_is_a_config_error() {
    for url in [
        "http://127.0.0.1:2525",
        "127.0.0.1:2525",
        "smtp://",
        "smtp://127.0.0.1:2525?tls=sometimes",
        "smtp://user:pw@relay.school.example:25",
    ] {
        assert!(
            matches!(Mailer::new(&config(url)), Err(MailError::Config(_))),
            "{url}"
        );
    }
    for from in [
        "",
        "noreply",
        "classchat <noreply>",
        "a@school.example, b@school.example",
    ] {
        let mut config = config("smtp://127.0.0.1:2525");
        config.from = from.to_owned();
        assert!(
            matches!(Mailer::new(&config), Err(MailError::Config(_))),
            "{from:?}"
        );
    }
}

#[tokio::test]
async fn a_send_where_nothing_listens_is_transient() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let mailer = Mailer::new(&config(&format!("smtp://127.0.0.1:{port}"))).expect("a mailer");
    let result = mailer.send(&digest(&address("nobody"))).await;
    assert!(matches!(result, Err(MailError::Transient(_))), "{result:?}");
}

#[tokio::test]
async fn a_relay_that_never_answers_is_transient_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    // Accepts and then says nothing, not even the greeting.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = config(&format!("smtp://127.0.0.1:{port}"));
    config.timeout = Duration::from_millis(500);
    let mailer = Mailer::new(&config).expect("a mailer");
    let started = Instant::now();
    let result = mailer.send(&digest(&address("silent"))).await;
    assert!(matches!(result, Err(MailError::Transient(_))), "{result:?}");
    // A generous bound: the point is that a stalled relay does not hang the job.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    silent.abort();
}

#[tokio::test]
async fn a_recipient_the_relay_refuses_for_good_is_permanent() {
    let sink = SmtpSink::from_env();
    let to = address("reject");
    let result = mailer(&sink).send(&digest(&to)).await;
    match result {
        Err(MailError::Permanent(message)) => assert!(message.contains("550"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(sink.received(&to).is_empty());
}

#[tokio::test]
async fn a_recipient_the_relay_defers_is_transient() {
    let sink = SmtpSink::from_env();
    let to = address("defer");
    let result = mailer(&sink).send(&digest(&to)).await;
    match result {
        Err(MailError::Transient(message)) => assert!(message.contains("451"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(sink.received(&to).is_empty());
}

#[tokio::test]
async fn a_malformed_recipient_address_is_permanent_and_nothing_is_sent() {
    let sink = SmtpSink::from_env();
    let mut email = digest("not an address");
    email.to = "sam@@school.example".to_owned();
    let result = mailer(&sink).send(&email).await;
    assert!(matches!(result, Err(MailError::Permanent(_))), "{result:?}");
}

#[tokio::test]
async fn credentials_the_relay_cannot_take_are_a_config_error() {
    // The sink offers no AUTH: a URL with credentials (allowed in clear on loopback) is a
    // relay and a configuration that disagree, for every email.
    let sink = SmtpSink::from_env();
    let url = sink.url().replacen("smtp://", "smtp://user:secret-pw@", 1);
    let mailer = Mailer::new(&config(&url)).expect("credentials in clear are allowed on loopback");
    let result = mailer.send(&digest(&address("auth"))).await;
    match result {
        Err(MailError::Config(message)) => assert!(!message.contains("secret-pw"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn implicit_tls_to_a_relay_without_it_fails_as_transient() {
    // The sink speaks plain SMTP: rustls (ring) starts a handshake and gets a greeting.
    let sink = SmtpSink::from_env();
    let url = sink.url().replacen("smtp://", "smtps://", 1);
    let result = Mailer::new(&config(&url))
        .expect("a mailer")
        .send(&digest(&address("tls")))
        .await;
    assert!(matches!(result, Err(MailError::Transient(_))), "{result:?}");
}

#[tokio::test]
async fn required_starttls_that_the_relay_does_not_offer_is_a_config_error() {
    let sink = SmtpSink::from_env();
    let to = address("starttls");
    let url = format!("{}?tls=required", sink.url());
    let result = Mailer::new(&config(&url))
        .expect("a mailer")
        .send(&digest(&to))
        .await;
    assert!(matches!(result, Err(MailError::Config(_))), "{result:?}");
    assert!(sink.received(&to).is_empty(), "nothing goes out in clear");
}
