//! Reports: a participant's (or the word list's) word that a message needs an adult's
//! eyes, and the steps an admin takes on it.

use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::ids::{MessageId, UserId};
use crate::text;
use crate::time::Timestamp;

/// Longest details a reporter may add, in characters.
pub const MAX_REPORT_DETAILS_CHARS: usize = 1000;

/// A report's id: a ULID, so reports sort by when they were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportId(ulid::Ulid);

impl ReportId {
    /// A fresh id.
    pub fn generate() -> Self {
        Self(ulid::Ulid::new())
    }

    /// Parses the 26-character form, as stored and as clients send it.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        ulid::Ulid::from_string(raw)
            .map(Self)
            .map_err(|_| ChatError::invalid(ErrorCode::InvalidRequest, "a reportId is a ULID"))
    }

    /// The 26-character form.
    pub fn as_string(&self) -> String {
        self.0.to_string()
    }
}

impl std::fmt::Display for ReportId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a reporter says is wrong, from a fixed list so the queue can be sorted and
/// counted; [`ReportDetails`] say the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportReason {
    /// Unkind, threatening or excluding.
    Bullying,
    /// Sexual, violent or otherwise not for school.
    Inappropriate,
    /// Someone may be at risk of harm, themselves included.
    Safety,
    /// Unwanted repetition, advertising, links.
    Spam,
    /// Anything else; the details say what.
    Other,
    /// The school's word list or patterns matched (never chosen by a person).
    Flagged,
}

impl ReportReason {
    /// Every reason a person may choose, in the order a form lists them.
    pub const CHOSEN: [Self; 5] = [
        Self::Bullying,
        Self::Inappropriate,
        Self::Safety,
        Self::Spam,
        Self::Other,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bullying => "bullying",
            Self::Inappropriate => "inappropriate",
            Self::Safety => "safety",
            Self::Spam => "spam",
            Self::Other => "other",
            Self::Flagged => "flagged",
        }
    }

    /// Parses a stored reason, `flagged` included.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::CHOSEN
            .into_iter()
            .chain([Self::Flagged])
            .find(|reason| reason.as_str() == raw)
    }

    /// Parses a reason a person chose: `flagged` is not one.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        Self::CHOSEN
            .into_iter()
            .find(|reason| reason.as_str() == raw)
            .ok_or_else(|| {
                ChatError::invalid(
                    ErrorCode::InvalidRequest,
                    "reason is one of bullying, inappropriate, safety, spam, other",
                )
            })
    }
}

/// What a reporter adds in their own words: 1–1000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDetails(String);

impl ReportDetails {
    /// Validates details, trimmed.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        text::bounded_text(raw, MAX_REPORT_DETAILS_CHARS, "details").map(Self)
    }

    /// Wraps details read back from a store (or written by the server: a flag's rules).
    pub fn from_stored(details: String) -> Self {
        Self(details)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a report stands. It only moves forward: open → reviewed → actioned or
/// dismissed (an open report may be actioned or dismissed at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportState {
    /// Nobody has looked at it yet.
    Open,
    /// An admin has looked and is dealing with it.
    Reviewed,
    /// Something was done (the note says what); closed.
    Actioned,
    /// Nothing needed doing; closed.
    Dismissed,
}

impl ReportState {
    /// Every state, in the order a report moves through them.
    pub const ALL: [Self; 4] = [Self::Open, Self::Reviewed, Self::Actioned, Self::Dismissed];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Reviewed => "reviewed",
            Self::Actioned => "actioned",
            Self::Dismissed => "dismissed",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == raw)
            .ok_or_else(|| {
                ChatError::invalid(
                    ErrorCode::InvalidRequest,
                    "state is one of open, reviewed, actioned, dismissed",
                )
            })
    }

    /// Whether nothing more happens to a report in this state.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Actioned | Self::Dismissed)
    }
}

/// Who raised a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportSource {
    /// A participant of the conversation.
    Person(UserId),
    /// The school's word list or patterns, on the message's arrival.
    Flags,
}

/// One step an admin took on a report, kept with it (and audited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportStep {
    /// The state it moved to.
    pub state: ReportState,
    /// The admin.
    pub by: UserId,
    /// When.
    pub at: Timestamp,
    /// What they noted, if anything.
    pub note: Option<ReportDetails>,
}

/// A report in the moderation queue. A reporter has one report per message: reporting
/// again answers the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Its id.
    pub id: ReportId,
    /// The conversation of the message.
    pub conversation_id: ConversationId,
    /// The message's key in it.
    pub timestamp: Timestamp,
    /// The message's id (a check that the key still names the same message).
    pub message_id: MessageId,
    /// The message's author.
    pub author: UserId,
    /// Who raised it.
    pub source: ReportSource,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's words, or the rules that matched for a flag.
    pub details: Option<ReportDetails>,
    /// When it was made.
    pub created_at: Timestamp,
    /// Where it stands now: the last step's state, or open.
    pub state: ReportState,
    /// The steps admins took, oldest first.
    pub steps: Vec<ReportStep>,
}

impl Report {
    /// The key a reporter's one report on a message is kept under: the reporter (or
    /// `#flags`) and the message id.
    pub fn dedup_key(&self) -> String {
        let reporter = match &self.source {
            ReportSource::Person(user) => user.as_str(),
            ReportSource::Flags => "#flags",
        };
        format!("{reporter}#{}", self.message_id)
    }
}
