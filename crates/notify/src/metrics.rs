//! What the notifier did, counted for `/metrics`: how many notices it took, dropped,
//! held or skipped, and how each delivery ended.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one process's notifier. Monotonic, so Prometheus can rate them.
#[derive(Debug, Default)]
pub struct NotifyMetrics {
    /// Notices taken into the queue.
    pub(crate) queued: AtomicU64,
    /// Notices dropped because the queue was full (the message itself is stored and
    /// delivered live; only its notification is lost).
    pub(crate) dropped: AtomicU64,
    /// Notices for someone in quiet hours.
    pub(crate) held: AtomicU64,
    /// Notices for someone with an open connection on some node: nothing to do.
    pub(crate) online: AtomicU64,
    /// Held notifications sent when quiet hours ended (a summary push each).
    pub(crate) released: AtomicU64,
    /// Pushes the push service accepted.
    pub(crate) delivered: AtomicU64,
    /// Retries after a 429, a 5xx or a network error.
    pub(crate) retried: AtomicU64,
    /// Subscriptions removed because the push service said they are gone (404, 410).
    pub(crate) gone: AtomicU64,
    /// Pushes given up on: refused (other 4xx, a forbidden endpoint) or still failing
    /// after the last retry.
    pub(crate) failed: AtomicU64,
    /// Email digests the mail server took.
    pub(crate) emailed: AtomicU64,
    /// Email digests put back for later because the mail server could not take them.
    pub(crate) email_retried: AtomicU64,
    /// Email digests the mail server refused for good.
    pub(crate) email_failed: AtomicU64,
}

impl NotifyMetrics {
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Appends the counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        family(
            out,
            "classchat_notices_total",
            "Notices of stored messages, by what became of them.",
            &[
                ("queued", &self.queued),
                ("dropped", &self.dropped),
                ("held", &self.held),
                ("online", &self.online),
                ("released", &self.released),
            ],
        );
        family(
            out,
            "classchat_digest_emails_total",
            "Email digests, by outcome.",
            &[
                ("sent", &self.emailed),
                ("retried", &self.email_retried),
                ("failed", &self.email_failed),
            ],
        );
        family(
            out,
            "classchat_push_total",
            "Web Push deliveries, by outcome.",
            &[
                ("delivered", &self.delivered),
                ("retried", &self.retried),
                ("gone", &self.gone),
                ("failed", &self.failed),
            ],
        );
    }

    /// One counter's value (for tests and the bench).
    pub fn value(&self, name: &str) -> Option<u64> {
        let counter = match name {
            "queued" => &self.queued,
            "dropped" => &self.dropped,
            "held" => &self.held,
            "online" => &self.online,
            "released" => &self.released,
            "delivered" => &self.delivered,
            "retried" => &self.retried,
            "gone" => &self.gone,
            "failed" => &self.failed,
            "emailed" => &self.emailed,
            "email_retried" => &self.email_retried,
            "email_failed" => &self.email_failed,
            _ => return None,
        };
        Some(counter.load(Ordering::Relaxed))
    }
}

/// One counter family: its help and type lines, then a line per outcome.
fn family(out: &mut String, name: &str, help: &str, outcomes: &[(&str, &AtomicU64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    for (outcome, counter) in outcomes {
        let _ = writeln!(
            out,
            "{name}{{outcome=\"{outcome}\"}} {}",
            counter.load(Ordering::Relaxed)
        );
    }
}
