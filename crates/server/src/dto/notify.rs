//! Notification settings, push subscriptions and hours on the wire.

use super::MessageDto;
use crate::schemas;
use classchat_core::ChatError;
use classchat_core::notify::{ClockTime, Days, Hours, NotifyPrefs, PushSubscription, Schedule};
use classchat_core::service::{NotifyView, QuietHours, Sent};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// Weekly hours in a time zone: when someone may be notified. Outside them notifications
/// wait (messages do not).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDto {
    /// An IANA time zone name; hours are wall-clock times there.
    #[schema(value_type = schemas::TimeZoneName)]
    pub time_zone: String,
    /// 1–14 entries.
    #[schema(min_items = 1, max_items = 14)]
    pub hours: Vec<HoursDto>,
}

/// One entry of a schedule: on these days, from this time until that one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoursDto {
    /// Each day at most once.
    #[schema(value_type = schemas::DayList)]
    pub days: Vec<String>,
    /// Start, `HH:MM`.
    #[schema(value_type = schemas::ClockTime)]
    pub from: String,
    /// End (exclusive), after `from`; `24:00` is midnight at the end of the day.
    #[schema(value_type = schemas::ClockTime)]
    pub to: String,
}

impl From<&Schedule> for ScheduleDto {
    fn from(schedule: &Schedule) -> Self {
        Self {
            time_zone: schedule.zone().to_owned(),
            hours: schedule
                .hours()
                .iter()
                .map(|entry| HoursDto {
                    days: entry.days.names().into_iter().map(str::to_owned).collect(),
                    from: entry.from.to_string(),
                    to: entry.to.to_string(),
                })
                .collect(),
        }
    }
}

impl ScheduleDto {
    /// The schedule it states, or why it states none.
    pub fn parse(&self) -> Result<Schedule, ChatError> {
        let hours = self
            .hours
            .iter()
            .map(|entry| {
                Hours::new(
                    Days::parse(entry.days.iter().map(String::as_str))?,
                    ClockTime::parse(&entry.from)?,
                    ClockTime::parse(&entry.to)?,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Schedule::new(&self.time_zone, hours)
    }
}

/// Parses `Some(null)` apart from an absent field: `null` clears, absent keeps.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A browser's push subscription, as the server keeps it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionDto {
    /// The push service URL.
    pub endpoint: String,
    /// When it was registered.
    #[schema(value_type = schemas::Timestamp)]
    pub created: String,
}

impl From<&PushSubscription> for SubscriptionDto {
    fn from(subscription: &PushSubscription) -> Self {
        Self {
            endpoint: subscription.endpoint.clone(),
            created: subscription.created.to_string(),
        }
    }
}

/// `GET /me/notifications`: the caller's choices, and what a browser needs to subscribe.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotifySettingsDto {
    /// Web Push to subscribed browsers when away. On unless turned off.
    pub push: bool,
    /// An email digest of what stayed unread. On unless turned off.
    pub email_digest: bool,
    /// A teacher's own hours (office hours); `null`: any time.
    pub hours: Option<ScheduleDto>,
    /// Where email digests go; `null`: no digests.
    pub email: Option<String>,
    /// The school's hours for students and guardians; `null`: any time.
    pub school_hours: Option<ScheduleDto>,
    /// The VAPID public key (base64url) a browser subscribes with; `null` when push is not
    /// configured on this server.
    pub vapid_public_key: Option<String>,
    /// The caller's subscribed browsers, oldest first.
    pub subscriptions: Vec<SubscriptionDto>,
    /// Whether the caller may send urgent messages (`"urgent": true` on a send): a
    /// teacher the school allows.
    pub urgent_allowed: bool,
}

impl From<&NotifyView> for NotifySettingsDto {
    fn from(view: &NotifyView) -> Self {
        let NotifyPrefs {
            push,
            email_digest,
            hours,
            email,
        } = &view.prefs;
        Self {
            push: *push,
            email_digest: *email_digest,
            hours: hours.as_ref().map(ScheduleDto::from),
            email: email.as_ref().map(ToString::to_string),
            school_hours: view.school_hours.as_ref().map(ScheduleDto::from),
            vapid_public_key: view.vapid_public_key.clone(),
            subscriptions: view
                .subscriptions
                .iter()
                .map(SubscriptionDto::from)
                .collect(),
            urgent_allowed: view.urgent_allowed,
        }
    }
}

/// `PATCH /me/notifications` request; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotifyPatchRequest {
    /// Push on or off.
    pub push: Option<bool>,
    /// Email digests on or off.
    pub email_digest: Option<bool>,
    /// Teachers only: their hours, or `null` for any time.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ScheduleDto>, nullable = true)]
    pub hours: Option<Option<ScheduleDto>>,
    /// Where email digests go, or `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<schemas::Email>, nullable = true)]
    pub email: Option<Option<String>>,
}

/// The keys of a push subscription, as the browser gives them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url (65 bytes).
    #[schema(value_type = schemas::PushKey)]
    pub p256dh: String,
    /// The authentication secret, base64url (16 bytes).
    #[schema(value_type = schemas::PushKey)]
    pub auth: String,
}

/// `POST /me/push-subscriptions` request: the browser's `PushSubscription.toJSON()`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeRequest {
    /// The push service URL (https).
    #[schema(value_type = schemas::PushEndpoint)]
    pub endpoint: String,
    /// When the browser says the subscription lapses (ignored: the push service answers
    /// 404 or 410 then, and the subscription is removed).
    #[schema(value_type = Option<f64>, nullable = true)]
    pub expiration_time: Option<serde_json::Value>,
    /// The keys to encrypt for.
    pub keys: SubscriptionKeys,
}

/// The answer to a send: the stored message, and whether the recipient is notified only
/// later.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentDto {
    /// The stored message.
    #[serde(flatten)]
    pub message: MessageDto,
    /// Set when the recipient is in quiet hours: the message is delivered to their open
    /// connections now, but they are notified (push, email) only from this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schemas::Timestamp>)]
    pub quiet_until: Option<String>,
    /// With `quietUntil`: the recipient's hours, as people write them
    /// (`Mon–Fri 08:00–16:00 (Europe/London)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<String>,
}

impl From<&Sent> for SentDto {
    fn from(sent: &Sent) -> Self {
        let (quiet_until, quiet_hours) = quiet_fields(sent.quiet.as_ref());
        Self {
            message: MessageDto::from(&sent.message),
            quiet_until,
            quiet_hours,
        }
    }
}

/// `quietUntil` and `quietHours` of a send's answer (HTTP and the WebSocket `ack`).
pub(crate) fn quiet_fields(quiet: Option<&QuietHours>) -> (Option<String>, Option<String>) {
    match quiet {
        Some(quiet) => (Some(quiet.until.to_string()), Some(quiet.hours.clone())),
        None => (None, None),
    }
}
