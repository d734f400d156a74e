//! The JSON of `/admin/guardians` and `/admin/settings`.

use super::ScheduleDto;
use crate::schemas;
use classchat_core::settings::SchoolSettings;
use classchat_core::store::GuardianLink;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A guardian link: this guardian is a parent or carer of this student, and may message
/// the student's teachers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardianLinkDto {
    /// The guardian (role `guardian`).
    #[schema(value_type = schemas::UserId)]
    pub guardian_id: String,
    /// The student.
    #[schema(value_type = schemas::UserId)]
    pub student_id: String,
}

impl From<&GuardianLink> for GuardianLinkDto {
    fn from(link: &GuardianLink) -> Self {
        Self {
            guardian_id: link.guardian.to_string(),
            student_id: link.student.to_string(),
        }
    }
}

/// `GET /admin/guardians` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GuardiansResponse {
    /// Guardian links sorted by guardian, then student.
    pub guardians: Vec<GuardianLinkDto>,
}

/// The school's settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    /// Guardians may read, never write, their children's conversations with teachers;
    /// each read is audited as `guardian.read` and students are told. Off by default.
    pub guardian_oversight: bool,
    /// The hours students and guardians may be notified in (push, email); `null`: any
    /// time.
    pub quiet_hours: Option<ScheduleDto>,
    /// A push shows the start of the message (`true`) or only who wrote. Off by default.
    pub push_preview: bool,
    /// An email digest quotes the messages (`true`) or only names conversations and
    /// counts. Off by default.
    pub digest_text: bool,
    /// The teachers allowed to send urgent messages, which notify a student or guardian
    /// even in their quiet hours (each audited as `message.urgent`).
    #[schema(value_type = Vec<schemas::UserId>)]
    pub urgent_senders: Vec<String>,
    /// Minutes after sending that an author may edit a message (0: never). 15 by default.
    pub edit_window_minutes: u32,
    /// Words that put a message into the moderation queue (matched as whole words,
    /// ignoring case); the message is delivered as usual.
    pub flag_words: Vec<String>,
    /// Patterns (the `regex` crate's syntax, ignoring case) that do the same.
    pub flag_patterns: Vec<String>,
    /// Days after its last message that a conversation is deleted (30 to 36,500), unless a
    /// legal hold keeps it; `null` (the default) keeps everything.
    pub retention_days: Option<u32>,
}

impl From<&SchoolSettings> for SettingsDto {
    fn from(settings: &SchoolSettings) -> Self {
        Self {
            guardian_oversight: settings.guardian_oversight,
            quiet_hours: settings.quiet_hours.as_ref().map(ScheduleDto::from),
            push_preview: settings.push_preview,
            digest_text: settings.digest_text,
            urgent_senders: settings
                .urgent_senders
                .iter()
                .map(ToString::to_string)
                .collect(),
            edit_window_minutes: settings.edit_window_minutes,
            flag_words: settings.flag_words.clone(),
            flag_patterns: settings.flag_patterns.clone(),
            retention_days: settings.retention_days,
        }
    }
}

/// `PATCH /admin/settings` request; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsPatchRequest {
    /// Turn guardian oversight on or off.
    pub guardian_oversight: Option<bool>,
    /// New hours for students and guardians, or `null` for any time.
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<ScheduleDto>, nullable = true)]
    pub quiet_hours: Option<Option<ScheduleDto>>,
    /// Push previews on or off.
    pub push_preview: Option<bool>,
    /// Message text in email digests on or off.
    pub digest_text: Option<bool>,
    /// The teachers allowed urgent sends (the whole list, replacing the one before).
    #[schema(value_type = Option<Vec<schemas::UserId>>, max_items = 1000)]
    pub urgent_senders: Option<Vec<String>>,
    /// A new edit window, in minutes (0: no edits; at most a day). Read as a number (see
    /// [`whole_number`]).
    #[schema(value_type = Option<schemas::EditWindowMinutes>)]
    pub edit_window_minutes: Option<f64>,
    /// A new word list (the whole list, replacing the one before).
    #[schema(value_type = Option<Vec<schemas::FlagWord>>, max_items = 500)]
    pub flag_words: Option<Vec<String>>,
    /// New patterns (the whole list, replacing the one before).
    #[schema(value_type = Option<Vec<schemas::FlagPattern>>, max_items = 50)]
    pub flag_patterns: Option<Vec<String>>,
    /// A new retention period in days (30 to 36,500), or `null` to keep everything. Read
    /// as a number (see [`whole_number`]).
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<schemas::RetentionDays>, nullable = true)]
    pub retention_days: Option<Option<f64>>,
}

/// A JSON number as the whole number it is to JSON Schema's `integer`, which the document
/// promises (`1095.0` is 1095); anything else — a fraction, a negative, more than a `u32`
/// holds — becomes `u32::MAX`, which every bounded setting refuses in its own words
/// (`422`), rather than a parse error that would not name the field.
pub(crate) fn whole_number(number: f64) -> u32 {
    let whole = number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&number);
    match whole {
        // In range and whole, so the conversion is exact.
        true => number as u32,
        false => u32::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn whole_numbers_are_taken_and_anything_else_is_out_of_every_range() {
        for (number, expected) in [
            (0.0, 0),
            (1095.0, 1095),
            (36_500.0, 36_500),
            (4_294_967_295.0, u32::MAX),
            (1095.5, u32::MAX),
            (-1.0, u32::MAX),
            (-0.5, u32::MAX),
            (1e300, u32::MAX),
        ] {
            assert_eq!(whole_number(number), expected, "{number}");
        }
    }
}
