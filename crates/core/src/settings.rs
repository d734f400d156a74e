//! The school's settings: what an admin decides once for everyone.
//!
//! They are few and read often (a guardian's read checks one), so a store keeps them as one
//! small record, and a change replaces it whole. A store that has never been given any
//! answers [`SchoolSettings::default`], which is the most private choice for each.

use crate::ids::UserId;
use crate::moderation::DEFAULT_EDIT_WINDOW_MINUTES;
use crate::notify::Schedule;

/// Everything a school decides for all its users. Each field's default is the one a
/// school gets before an admin says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolSettings {
    /// Guardians may read, never write, their children's conversations with teachers;
    /// every such read is audited as `guardian.read`, and students are told. Off unless
    /// an admin turns it on.
    pub guardian_oversight: bool,
    /// The hours students and guardians may be notified in (a push or an email); outside
    /// them notifications wait. `None`: at any time.
    pub quiet_hours: Option<Schedule>,
    /// Whether a push shows the start of the message, or only who wrote. Off: a lock
    /// screen shows no message text unless the school decides it may.
    pub push_preview: bool,
    /// Whether an email digest quotes the messages, or only names conversations and
    /// counts. Off for the same reason.
    pub digest_text: bool,
    /// The teachers an admin allows to send urgent messages, which notify a student or
    /// guardian even in their quiet hours (each one audited as `message.urgent`). Sorted,
    /// each once; nobody by default.
    pub urgent_senders: Vec<UserId>,
    /// How long after sending an author may edit a message, in minutes (0: never; at
    /// most a day). 15 by default.
    pub edit_window_minutes: u32,
    /// Words that flag a message into the moderation queue, matched as whole words
    /// ignoring case. None by default.
    pub flag_words: Vec<String>,
    /// Patterns (the `regex` crate's syntax, ignoring case) that flag a message likewise.
    pub flag_patterns: Vec<String>,
    /// Delete conversations whose last message is older than this many days (30 to
    /// 36,500), except under legal hold. `None`, the default: keep everything forever.
    pub retention_days: Option<u32>,
}

impl Default for SchoolSettings {
    fn default() -> Self {
        Self {
            guardian_oversight: false,
            quiet_hours: None,
            push_preview: false,
            digest_text: false,
            urgent_senders: Vec::new(),
            edit_window_minutes: DEFAULT_EDIT_WINDOW_MINUTES,
            flag_words: Vec::new(),
            flag_patterns: Vec::new(),
            retention_days: None,
        }
    }
}

/// A change to the settings; `None` fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    /// Turn guardian oversight on or off.
    pub guardian_oversight: Option<bool>,
    /// New hours for students and guardians, or none (`Some(None)`).
    pub quiet_hours: Option<Option<Schedule>>,
    /// Push previews on or off.
    pub push_preview: Option<bool>,
    /// Message text in digests on or off.
    pub digest_text: Option<bool>,
    /// A new list of teachers who may send urgent messages.
    pub urgent_senders: Option<Vec<UserId>>,
    /// A new edit window, in minutes (0–1440).
    pub edit_window_minutes: Option<u32>,
    /// A new word list.
    pub flag_words: Option<Vec<String>>,
    /// New patterns.
    pub flag_patterns: Option<Vec<String>>,
    /// A new retention period in days, or keep forever (`Some(None)`).
    pub retention_days: Option<Option<u32>>,
}

impl SchoolSettings {
    /// These settings with `patch` applied.
    pub fn patched(&self, patch: &SettingsPatch) -> Self {
        Self {
            guardian_oversight: patch.guardian_oversight.unwrap_or(self.guardian_oversight),
            quiet_hours: patch
                .quiet_hours
                .clone()
                .unwrap_or_else(|| self.quiet_hours.clone()),
            push_preview: patch.push_preview.unwrap_or(self.push_preview),
            digest_text: patch.digest_text.unwrap_or(self.digest_text),
            urgent_senders: match &patch.urgent_senders {
                Some(senders) => {
                    let mut senders = senders.clone();
                    senders.sort();
                    senders.dedup();
                    senders
                }
                None => self.urgent_senders.clone(),
            },
            edit_window_minutes: patch
                .edit_window_minutes
                .unwrap_or(self.edit_window_minutes),
            flag_words: patch
                .flag_words
                .clone()
                .unwrap_or_else(|| self.flag_words.clone()),
            flag_patterns: patch
                .flag_patterns
                .clone()
                .unwrap_or_else(|| self.flag_patterns.clone()),
            retention_days: patch.retention_days.unwrap_or(self.retention_days),
        }
    }

    /// What changed from `before` to `self`, as the audit log's target states it
    /// (`guardianOversight=on,pushPreview=off`), or `None` when nothing did.
    pub fn change_from(&self, before: &Self) -> Option<String> {
        let on_off = |on: bool| if on { "on" } else { "off" };
        let mut changes = Vec::new();
        if self.guardian_oversight != before.guardian_oversight {
            changes.push(format!(
                "guardianOversight={}",
                on_off(self.guardian_oversight)
            ));
        }
        if self.quiet_hours != before.quiet_hours {
            let hours = self.quiet_hours.as_ref().map(Schedule::encode);
            changes.push(format!("quietHours={}", hours.as_deref().unwrap_or("none")));
        }
        if self.push_preview != before.push_preview {
            changes.push(format!("pushPreview={}", on_off(self.push_preview)));
        }
        if self.digest_text != before.digest_text {
            changes.push(format!("digestText={}", on_off(self.digest_text)));
        }
        if self.urgent_senders != before.urgent_senders {
            let senders: Vec<&str> = self.urgent_senders.iter().map(UserId::as_str).collect();
            changes.push(format!("urgentSenders={}", senders.join(" ")));
        }
        if self.edit_window_minutes != before.edit_window_minutes {
            changes.push(format!("editWindowMinutes={}", self.edit_window_minutes));
        }
        // The lists themselves may be long and are the school's to read in the settings;
        // the log says that they changed and how big they are now.
        if self.flag_words != before.flag_words {
            changes.push(format!("flagWords={} words", self.flag_words.len()));
        }
        if self.flag_patterns != before.flag_patterns {
            changes.push(format!(
                "flagPatterns={} patterns",
                self.flag_patterns.len()
            ));
        }
        if self.retention_days != before.retention_days {
            match self.retention_days {
                Some(days) => changes.push(format!("retentionDays={days}")),
                None => changes.push("retentionDays=forever".to_owned()),
            }
        }
        (!changes.is_empty()).then(|| changes.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversight_is_off_until_an_admin_turns_it_on() {
        let default = SchoolSettings::default();
        assert!(!default.guardian_oversight);
        let on = default.patched(&SettingsPatch {
            guardian_oversight: Some(true),
            ..SettingsPatch::default()
        });
        assert!(on.guardian_oversight);
        assert_eq!(
            on.change_from(&default).as_deref(),
            Some("guardianOversight=on")
        );
        assert_eq!(on.patched(&SettingsPatch::default()), on);
        assert_eq!(on.change_from(&on), None);
    }
}
