//! Sending over SMTP: the relay named by one URL, lettre on tokio, TLS through rustls.
//!
//! One connection per message (lettre's `pool` feature is off): a digest run sends a few
//! emails a second at most, once a day, and a pool would keep connections — and a
//! cleanup task that needs a runtime when the mailer is built — alive for nothing.

use super::MailError;
use super::digest::DigestEmail;
use super::message;
use lettre::message::Mailbox;
use lettre::transport::smtp;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How to reach the school's mail relay, and who digests come from.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The relay, as lettre's connection URL: `smtp://host:25` (plain, for a relay on
    /// loopback or a trusted network), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS, required), `smtps://host:465` (TLS from the first byte). Credentials are
    /// percent-encoded and refused without TLS unless the relay is on loopback.
    pub smtp_url: String,
    /// The `From` mailbox, e.g. `classchat <noreply@school.example>`: what recipients see
    /// and the envelope sender bounces go to.
    pub from: String,
    /// The longest one send may take, from connecting to the relay's last answer: a relay
    /// that stalls costs the digest job this much per email, never more.
    pub timeout: Duration,
}

/// Sends digests through the configured relay. Cheap to clone (the TLS configuration is
/// shared); each [`send`](Self::send) opens its own connection.
#[derive(Clone)]
pub struct Mailer {
    /// lettre's transport, built once from the URL.
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The parsed `From` mailbox.
    from: Mailbox,
    /// See [`MailConfig::timeout`].
    timeout: Duration,
}

impl std::fmt::Debug for Mailer {
    /// Without the transport, whose connection details include the relay's credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`, checked now so a mistake stops the start-up rather than the
    /// first digest: a URL lettre cannot use, credentials that would cross a network in
    /// clear, a `From` that is not one mailbox, or a zero timeout are
    /// [`MailError::Config`]. Nothing is connected yet. (Error messages never repeat the
    /// URL: it may hold a password.)
    pub fn new(config: &MailConfig) -> Result<Self, MailError> {
        check_url(&config.smtp_url)?;
        let from: Mailbox = config.from.trim().parse().map_err(|error| {
            MailError::Config(format!(
                "the From address {:?} is not one mailbox such as \
                 `classchat <noreply@school.example>`: {error}",
                config.from
            ))
        })?;
        if config.timeout.is_zero() {
            return Err(MailError::Config(
                "the SMTP timeout must not be zero".to_owned(),
            ));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|error| MailError::Config(format!("the SMTP URL is not usable: {error}")))?
            .timeout(Some(config.timeout))
            .build();
        Ok(Self {
            transport,
            from,
            timeout: config.timeout,
        })
    }

    /// Sends `email`: [`MailError::Permanent`] if it cannot be built (a malformed address
    /// or link) or the relay refuses it for good (`5xx`), [`MailError::Transient`] if it
    /// may go through later (no connection, TLS, a timeout, `4xx`), and
    /// [`MailError::Config`] when the relay refuses our credentials — which every other
    /// email would meet too.
    pub async fn send(&self, email: &DigestEmail) -> Result<(), MailError> {
        let message = message::build(email, &self.from)?;
        // lettre bounds the connection with the timeout, not the conversation after it:
        // this bounds the whole exchange.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_) => Err(MailError::Transient(format!(
                "the SMTP relay did not finish within {:?}",
                self.timeout
            ))),
            Ok(Err(error)) => Err(classify(&error)),
            Ok(Ok(_)) => Ok(()),
        }
    }
}

/// The checks lettre's URL parsing leaves to us, with messages that name the problem.
fn check_url(smtp_url: &str) -> Result<(), MailError> {
    let url = url::Url::parse(smtp_url).map_err(|error| {
        MailError::Config(format!(
            "the SMTP URL is not a URL ({error}); expected e.g. smtp://127.0.0.1:25, \
             smtp://user:pass@host:587?tls=required or smtps://host:465"
        ))
    })?;
    let tls = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    let encrypted = match (url.scheme(), tls.as_deref()) {
        ("smtps", None) => true,
        ("smtp", None) => false,
        ("smtp", Some("required")) => true,
        // STARTTLS if offered: anyone in the path can remove the offer.
        ("smtp", Some("opportunistic")) => false,
        ("smtp" | "smtps", Some(other)) => {
            return Err(MailError::Config(format!(
                "the SMTP URL's tls={other:?} is not one of required, opportunistic \
                 (smtp://) or absent"
            )));
        }
        (scheme, _) => {
            return Err(MailError::Config(format!(
                "the SMTP URL's scheme {scheme:?} is not smtp or smtps"
            )));
        }
    };
    let Some(host) = url
        .host()
        .filter(|host| !matches!(host, url::Host::Domain("")))
    else {
        return Err(MailError::Config("the SMTP URL names no host".to_owned()));
    };
    let loopback = match host {
        // smtp: is not a scheme the URL standard knows, so an IPv4 address is an opaque
        // host name to the parser.
        url::Host::Domain(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    let credentials = !url.username().is_empty() || url.password().is_some();
    if credentials && !encrypted && !loopback {
        return Err(MailError::Config(
            "the SMTP URL's credentials would cross the network unencrypted: use \
             smtp://…?tls=required (STARTTLS) or smtps:// (TLS)"
                .to_owned(),
        ));
    }
    if !url.username().is_empty() && url.password().is_none() {
        return Err(MailError::Config(
            "the SMTP URL has a user but no password (user:password@host)".to_owned(),
        ));
    }
    Ok(())
}

/// What an SMTP failure means for the email (see [`Mailer::send`]).
fn classify(error: &smtp::Error) -> MailError {
    let detail = error.to_string();
    match error.status().map(|code| code.to_string()) {
        // RFC 4954: authentication required (530, also "STARTTLS first"), mechanism too
        // weak (534), credentials invalid (535), encryption required for it (538).
        Some(code) if matches!(code.as_str(), "530" | "534" | "535" | "538") => {
            MailError::Config(format!("the SMTP relay refused to let us send: {detail}"))
        }
        _ if error.is_permanent() => MailError::Permanent(detail),
        // "No compatible authentication mechanism", "STARTTLS is not supported", and
        // the like: the relay and our URL disagree, for every email.
        _ if error.is_client() => MailError::Config(format!(
            "the SMTP relay cannot be used as configured: {detail}"
        )),
        // 4xx, connection, network, TLS, timeouts, a garbled answer.
        _ => MailError::Transient(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(smtp_url: &str, from: &str) -> MailConfig {
        MailConfig {
            smtp_url: smtp_url.to_owned(),
            from: from.to_owned(),
            timeout: Duration::from_secs(5),
        }
    }

    const FROM: &str = "classchat <noreply@school.example>";

    #[test]
    fn the_documented_urls_are_accepted() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://relay.school.example",
            "smtp://user:p%40ss@relay.school.example:587?tls=required",
            "smtps://relay.school.example:465",
            "smtps://user:pass@relay.school.example",
            "smtp://user:pass@localhost:2525",
            "smtp://user:pass@127.0.0.1:2525",
            "smtp://user:pass@[::1]:2525",
            "smtp://relay.school.example:587?tls=opportunistic",
        ] {
            assert!(Mailer::new(&config(url, FROM)).is_ok(), "{url}");
        }
    }

    #[test]
    fn an_unusable_url_is_a_config_error_that_keeps_the_password_out() {
        for url in [
            "",
            "relay.school.example:25",
            "http://relay.school.example",
            "smtp://",
            "smtp://relay.school.example?tls=always",
            "smtp://user:secret-pw@relay.school.example:587",
            "smtp://user:secret-pw@192.0.2.10:587",
            "smtp://user:secret-pw@relay.school.example:587?tls=opportunistic",
            "smtp://user@relay.school.example:587?tls=required",
        ] {
            match Mailer::new(&config(url, FROM)) {
                Err(MailError::Config(message)) => assert!(!message.contains("secret-pw")),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_from_that_is_not_one_mailbox_is_a_config_error() {
        for from in [
            "",
            "noreply",
            "classchat <noreply@>",
            "a@school.example, b@school.example",
            "classchat <noreply@school.example>\r\nBcc: x@y.example",
        ] {
            assert!(
                matches!(
                    Mailer::new(&config("smtp://127.0.0.1:2525", from)),
                    Err(MailError::Config(_))
                ),
                "{from:?}"
            );
        }
        assert!(Mailer::new(&config("smtp://127.0.0.1:2525", "noreply@school.example")).is_ok());
    }

    #[test]
    fn a_zero_timeout_is_a_config_error() {
        let mut config = config("smtp://127.0.0.1:2525", FROM);
        config.timeout = Duration::ZERO;
        assert!(matches!(Mailer::new(&config), Err(MailError::Config(_))));
    }

    #[test]
    fn the_debug_form_holds_no_credentials() {
        let mailer =
            Mailer::new(&config("smtps://user:secret-pw@relay.school.example", FROM)).unwrap();
        assert!(!format!("{mailer:?}").contains("secret-pw"));
    }
}
