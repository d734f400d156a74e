//! What each user chose about being reached when they are away.

use super::email::EmailAddress;
use super::schedule::{ClockTime, Days, Hours, Schedule};
use crate::error::{ChatError, ErrorCode};

/// One user's notification preferences. A user who never set any has the default:
/// push and email digests on (each still needs a subscription or an address to do
/// anything), and no hours of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyPrefs {
    /// Web Push to the browsers they subscribed.
    pub push: bool,
    /// An email digest of what stayed unread.
    pub email_digest: bool,
    /// A teacher's own hours (office hours): outside them, notifications to them wait.
    /// Students and guardians follow the school's hours instead.
    pub hours: Option<Schedule>,
    /// Where digests go: set by the user, an admin, or the roster. None: no digests.
    pub email: Option<EmailAddress>,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        Self {
            push: true,
            email_digest: true,
            hours: None,
            email: None,
        }
    }
}

/// A change to [`NotifyPrefs`]; `None` fields stay as they are (`hours: Some(None)`
/// removes the schedule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefsPatch {
    /// Push on or off.
    pub push: Option<bool>,
    /// Email digests on or off.
    pub email_digest: Option<bool>,
    /// A new schedule, or none.
    pub hours: Option<Option<Schedule>>,
    /// A new address, or none.
    pub email: Option<Option<EmailAddress>>,
}

impl NotifyPrefs {
    /// These preferences with `patch` applied.
    pub fn patched(&self, patch: &PrefsPatch) -> Self {
        Self {
            push: patch.push.unwrap_or(self.push),
            email_digest: patch.email_digest.unwrap_or(self.email_digest),
            hours: patch.hours.clone().unwrap_or_else(|| self.hours.clone()),
            email: patch.email.clone().unwrap_or_else(|| self.email.clone()),
        }
    }
}

impl Schedule {
    /// The schedule as one line of text, for a store to keep:
    /// `Europe/London|mon,tue,wed,thu,fri 08:00-16:00;sat 09:00-12:00`.
    pub fn encode(&self) -> String {
        let entries: Vec<String> = self
            .hours()
            .iter()
            .map(|entry| {
                format!(
                    "{} {}-{}",
                    entry.days.names().join(","),
                    entry.from,
                    entry.to
                )
            })
            .collect();
        format!("{}|{}", self.zone(), entries.join(";"))
    }

    /// The inverse of [`Self::encode`].
    pub fn decode(raw: &str) -> Result<Self, ChatError> {
        let corrupt = || {
            ChatError::invalid(
                ErrorCode::Internal,
                format!("a stored schedule is unreadable: {raw:?}"),
            )
        };
        let (zone, entries) = raw.split_once('|').ok_or_else(corrupt)?;
        let mut hours = Vec::new();
        for entry in entries.split(';') {
            let (days, span) = entry.split_once(' ').ok_or_else(corrupt)?;
            let (from, to) = span.split_once('-').ok_or_else(corrupt)?;
            hours.push(Hours::new(
                Days::parse(days.split(','))?,
                ClockTime::parse(from)?,
                ClockTime::parse(to)?,
            )?);
        }
        Schedule::new(zone, hours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_survive_a_store() {
        let entries = vec![
            Hours::new(
                Days::WEEKDAYS,
                ClockTime::parse("08:00").unwrap(),
                ClockTime::parse("16:00").unwrap(),
            )
            .unwrap(),
            Hours::new(
                Days::parse(["sat"]).unwrap(),
                ClockTime::parse("09:00").unwrap(),
                ClockTime::parse("24:00").unwrap(),
            )
            .unwrap(),
        ];
        let schedule = Schedule::new("Europe/London", entries).unwrap();
        let text = schedule.encode();
        assert_eq!(
            text,
            "Europe/London|mon,tue,wed,thu,fri 08:00-16:00;sat 09:00-24:00"
        );
        assert_eq!(Schedule::decode(&text).unwrap(), schedule);
        assert!(Schedule::decode("Europe/London").is_err());
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let prefs = NotifyPrefs::default();
        let off = prefs.patched(&PrefsPatch {
            push: Some(false),
            ..PrefsPatch::default()
        });
        assert!(!off.push && off.email_digest && off.hours.is_none());
        assert_eq!(off.patched(&PrefsPatch::default()), off);
    }
}
