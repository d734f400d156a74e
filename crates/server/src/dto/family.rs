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
    /// A new edit window, in minutes (0: no edits; at most a day).
    #[schema(value_type = Option<schemas::EditWindowMinutes>)]
    pub edit_window_minutes: Option<u32>,
    /// A new word list (the whole list, replacing the one before).
    #[schema(value_type = Option<Vec<schemas::FlagWord>>, max_items = 500)]
    pub flag_words: Option<Vec<String>>,
    /// New patterns (the whole list, replacing the one before).
    #[schema(value_type = Option<Vec<schemas::FlagPattern>>, max_items = 50)]
    pub flag_patterns: Option<Vec<String>>,
}
