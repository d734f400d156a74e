//! Safeguarding in domain terms: what a school's duty of care needs kept and decided.
//!
//! A message is never changed silently: an edit keeps the earlier text as a
//! [`MessageVersion`], an author's removal is a tombstone ([`crate::message::Message::removed_at`])
//! and admins see both. A participant's [`Report`] and a [`flags`] match go to one admin
//! moderation queue; a teacher or an admin may [`Pause`] a conversation so that its student
//! or guardian cannot write in it.

pub mod flags;
mod hold;
mod pause;
mod report;
mod revision;

pub use flags::{FlagRules, MAX_FLAG_PATTERNS, MAX_FLAG_WORDS};
pub use hold::{
    Deletion, Hold, HoldTarget, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, check_retention_days,
};
pub use pause::{MAX_PAUSE_REASON_CHARS, Pause, PauseReason};
pub use report::{
    MAX_REPORT_DETAILS_CHARS, Report, ReportDetails, ReportId, ReportReason, ReportSource,
    ReportState, ReportStep,
};
pub use revision::{
    DEFAULT_EDIT_WINDOW_MINUTES, MAX_EDIT_WINDOW_MINUTES, MessageVersion, Revision, RevisionKind,
};
