//! The JSON shapes of the API (DESIGN.md), camelCase on the wire, each with its OpenAPI
//! schema. Conversions from domain values live here so handlers stay one-liners and the
//! WebSocket transport can reuse the same shapes.

use crate::schemas;
use classchat_core::store::{AuditEntry, Link};
use classchat_core::{Message, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod contacts;
mod family;
mod moderation;
mod notify;
mod retention;

pub use contacts::{
    ChatDto, ChatsResponse, ContactDto, GuardianContactDto, PeerDto, StudentsResponse,
    TeachersResponse,
};
pub(crate) use family::whole_number;
pub use family::{GuardianLinkDto, GuardiansResponse, SettingsDto, SettingsPatchRequest};
pub use moderation::{
    EditMessageRequest, MessageHistoryDto, PauseDto, PauseRequest, PausedDto, RemoveMessageRequest,
    ReportDto, ReportMessageRequest, ReportReceiptDto, ReportStepDto, ReportViewDto,
    ReportsResponse, ResumeRequest, StepReportRequest, VersionDto,
};
pub use notify::{
    HoursDto, NotifyPatchRequest, NotifySettingsDto, ScheduleDto, SentDto, SubscribeRequest,
    SubscriptionDto, SubscriptionKeys,
};
pub(crate) use notify::{nullable, quiet_fields};
pub use retention::{
    HoldDto, HoldRequestDto, HoldsResponse, RetentionPreviewDto, RetentionSampleDto,
};

/// `{"error":{"code","message"}}`: the body of every non-2xx response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The detail of an error.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_message_body`.
    #[schema(example = "invalid_message_body")]
    pub code: String,
    /// Human-readable explanation.
    #[schema(example = "messageBody must not be empty")]
    pub message: String,
    /// For `invalid_roster`: every problem found in the bundle (at most 100), each with its
    /// file, line and column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<crate::roster_report::RosterProblem>>,
}

/// A stored message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageDto {
    /// `<studentId>+<teacherId>`.
    #[schema(example = "abc+123")]
    pub conversation_id: String,
    /// Fixed-width RFC 3339 UTC with microseconds; unique and increasing per conversation.
    #[schema(example = "2026-11-24T14:01:02.123456Z")]
    pub timestamp: String,
    /// The author's userId.
    #[schema(example = "abc")]
    pub author: String,
    /// The text, trimmed, 1–4000 characters; empty once removed (but to admins).
    #[schema(example = "i am the student!")]
    pub message_body: String,
    /// Server-assigned ULID.
    #[schema(example = "01JDQ1Z8X4V9P3K2M5N7R8T6W0")]
    pub message_id: String,
    /// The client's idempotency id, if it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    /// When the message is one copy of a class announcement (the same text went to each
    /// student of the class, each in their own conversation): the announcement's ULID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement_id: Option<String>,
    /// When its author last edited it; absent until they do. (Admins read the earlier
    /// texts in `GET /admin/messages/history`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-11-24T14:03:10.000000Z")]
    pub edited_at: Option<String>,
    /// When its author removed it; absent unless they did. A removed message reads
    /// `"messageBody": ""` for everyone but admins, who get the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-11-24T14:05:00.000000Z")]
    pub removed_at: Option<String>,
}

impl From<&Message> for MessageDto {
    fn from(message: &Message) -> Self {
        Self {
            conversation_id: message.conversation_id.to_string(),
            timestamp: message.timestamp.to_string(),
            author: message.author.to_string(),
            message_body: message.body.as_str().to_owned(),
            message_id: message.message_id.to_string(),
            client_message_id: message.client_message_id.as_ref().map(ToString::to_string),
            announcement_id: message.announcement_id.map(|id| id.to_string()),
            edited_at: message.edited_at.map(|at| at.to_string()),
            removed_at: message.removed_at.map(|at| at.to_string()),
        }
    }
}

/// A user as shown to others.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    /// Their id.
    pub user_id: String,
    /// Their display name.
    pub display_name: String,
    /// `student`, `teacher`, `guardian` or `admin`.
    pub role: String,
}

impl From<&User> for UserDto {
    fn from(user: &User) -> Self {
        Self {
            user_id: user.id.to_string(),
            display_name: user.display_name.to_string(),
            role: user.role.to_string(),
        }
    }
}

/// A user as admins see them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminUserDto {
    /// Their id.
    pub user_id: String,
    /// Their display name.
    pub display_name: String,
    /// `student`, `teacher`, `guardian` or `admin`.
    pub role: String,
    /// Whether the account is disabled.
    pub disabled: bool,
}

impl From<&User> for AdminUserDto {
    fn from(user: &User) -> Self {
        Self {
            user_id: user.id.to_string(),
            display_name: user.display_name.to_string(),
            role: user.role.to_string(),
            disabled: user.disabled,
        }
    }
}

/// `POST /auth/login` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    /// The user's id.
    pub user_id: String,
    /// Their password.
    pub password: String,
    /// The `deviceToken` of this client's last sign-in to this account, if it kept one.
    #[schema(value_type = Option<schemas::DeviceToken>)]
    pub device_token: Option<String>,
}

/// `POST /auth/login` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// HS256 JWT for `Authorization: Bearer …` and `/chat/ws?token=…`.
    pub token: String,
    /// When the token stops working (RFC 3339 UTC).
    pub expires_at: String,
    /// Keep it (even after signing out) and send it with the next sign-in to this account
    /// from this client. It is not a credential and never works as a bearer token.
    pub device_token: String,
    /// Who signed in.
    pub user: UserDto,
}

/// `GET /chat/read` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadResponse {
    /// The canonical conversation id.
    pub conversation_id: String,
    /// The page, oldest first.
    pub messages: Vec<MessageDto>,
    /// Whether more messages lie beyond the page in the reading direction.
    pub has_more: bool,
    /// How far the other participant has read (their read marker), so a client can show
    /// "Seen" under its own messages on opening the conversation; `null` before their
    /// first read, on pages read backwards (`before`), and for an admin. An addition to
    /// DESIGN.md's shape.
    pub peer_read_at: Option<String>,
    /// The conversation's pause, so a client can say why its student or guardian cannot
    /// write (and the teacher that they can resume it); `null` when it is not paused.
    pub pause: Option<PauseDto>,
}

/// `POST /chat/send` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    /// The conversation, either id order.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
    /// Must be the signed-in user.
    #[schema(value_type = schemas::UserId)]
    pub author: String,
    /// The text.
    #[schema(value_type = schemas::MessageBody)]
    pub message_body: String,
    /// Optional idempotency id, unique per author.
    #[schema(value_type = Option<schemas::ClientMessageId>)]
    pub client_message_id: Option<String>,
    /// Notify the student or guardian even in their quiet hours. Only teachers the school
    /// allows (`urgentSenders` in the school settings); each is audited as
    /// `message.urgent`.
    pub urgent: Option<bool>,
}

/// `POST /chat/mark_read` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarkReadRequest {
    /// The conversation.
    #[schema(value_type = schemas::ConversationId)]
    pub conversation_id: String,
    /// Everything up to this timestamp is read.
    #[schema(value_type = schemas::Timestamp)]
    pub timestamp: String,
}

/// `POST /admin/users` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    /// Their id.
    #[schema(value_type = schemas::UserId)]
    pub user_id: String,
    /// Their name as others see it.
    #[schema(value_type = schemas::DisplayName)]
    pub display_name: String,
    /// What they are in the school.
    #[schema(value_type = schemas::Role)]
    pub role: String,
    /// Their first password.
    #[schema(value_type = schemas::NewPassword)]
    pub password: String,
}

/// `PATCH /admin/users/{userId}` request; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserRequest {
    /// New display name.
    #[schema(value_type = Option<schemas::DisplayName>)]
    pub display_name: Option<String>,
    /// New role (refused while the user has links).
    #[schema(value_type = Option<schemas::Role>)]
    pub role: Option<String>,
    /// New password.
    #[schema(value_type = Option<schemas::NewPassword>)]
    pub password: Option<String>,
    /// Disable or re-enable.
    pub disabled: Option<bool>,
}

/// `GET /admin/users` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsersResponse {
    /// Users in userId order.
    pub users: Vec<AdminUserDto>,
    /// Whether more may follow (pass `nextAfter` as `after`).
    pub has_more: bool,
    /// Where the next page starts: the last userId listed, or, when a search ran out of
    /// its budget before filling the page, the last one examined. Absent on an empty
    /// last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// A link between a teacher and a student.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkDto {
    /// The teacher.
    #[schema(value_type = schemas::UserId)]
    pub teacher_id: String,
    /// The student.
    #[schema(value_type = schemas::UserId)]
    pub student_id: String,
}

impl From<&Link> for LinkDto {
    fn from(link: &Link) -> Self {
        Self {
            teacher_id: link.teacher.to_string(),
            student_id: link.student.to_string(),
        }
    }
}

/// `GET /admin/links` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LinksResponse {
    /// Links sorted by teacher, then student.
    pub links: Vec<LinkDto>,
}

/// One audit log entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryDto {
    /// ULID; pass as `before` to page back.
    pub id: String,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The admin's userId, or `cli`.
    pub actor: String,
    /// `conversation.read`, `contacts.read`, `user.create`, `user.update`, `link.add`,
    /// `link.remove`, `school.export`, …; for safeguarding `message.edit`,
    /// `message.remove`, `message.history`, `report.review`, `report.action`,
    /// `report.dismiss`, `conversation.pause`, `conversation.resume`.
    pub action: String,
    /// The conversationId, userId or link it was done to (a message as
    /// `conversationId@timestamp`, a report by its reportId).
    pub target: String,
}

impl From<&AuditEntry> for AuditEntryDto {
    fn from(entry: &AuditEntry) -> Self {
        Self {
            id: entry.id.clone(),
            at: entry.at.to_string(),
            actor: entry.actor.clone(),
            action: entry.action.as_str().to_owned(),
            target: entry.target.clone(),
        }
    }
}

/// `GET /admin/audit` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditResponse {
    /// Entries newest first.
    pub entries: Vec<AuditEntryDto>,
    /// Whether older entries follow.
    pub has_more: bool,
}

/// `GET /healthz` and `GET /readyz` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    /// `ok` or `ready`.
    pub status: String,
}
