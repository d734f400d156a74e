//! Email: how someone who has been away for a while learns what is waiting for them — a
//! digest of their unread conversations, sent over SMTP to the school's relay.
//!
//! The digest job (which decides who gets one and when) builds a [`DigestEmail`] and
//! hands it to a [`Mailer`]; this module knows only how such an email reads and how it
//! travels.
//!
//! # Layout
//! - `digest`: [`DigestEmail`] and [`DigestLine`], and their subject, plain-text and HTML
//!   bodies (everything a sender or a message wrote is escaped in the HTML).
//! - `message`: the RFC 5322 message built from a digest — `multipart/alternative`,
//!   one-click unsubscribe (RFC 8058), `Auto-Submitted` (RFC 3834) — and the checks that
//!   keep links and addresses from reaching a header unvetted.
//! - `transport`: [`MailConfig`] and [`Mailer`], SMTP with `lettre` on tokio (TLS through
//!   rustls with ring), and what an SMTP failure means ([`MailError`]).

mod digest;
mod message;
mod transport;

pub use digest::{DigestEmail, DigestLine};
pub use transport::{MailConfig, Mailer};

/// Why an email was not sent, as the next step it calls for.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The configuration cannot work (the SMTP URL, the From address, or the relay
    /// refusing our credentials): no email will go out until an operator fixes it.
    #[error("the mail configuration is not usable: {0}")]
    Config(String),
    /// Perhaps temporary (no connection, a timeout, TLS, a `4xx` answer): try this email
    /// again later.
    #[error("the email could not be sent for now: {0}")]
    Transient(String),
    /// This email can never be sent as it is (a `5xx` answer, a malformed address or
    /// link): retrying will not help.
    #[error("the email was refused: {0}")]
    Permanent(String),
}
