//! The audit log: what admins (and the operator) did, written before they did it.

use crate::time::Timestamp;

/// What an admin (or the operator, through the CLI) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// Read a page of a conversation they do not take part in.
    ReadConversation,
    /// Listed another user's contacts or chats (which shows last messages).
    ReadContacts,
    /// Created a user.
    CreateUser,
    /// Changed a user's profile, role, password or disabled flag.
    UpdateUser,
    /// Linked a teacher and a student.
    AddLink,
    /// Removed a link.
    RemoveLink,
    /// Exported the whole school (every user, link, message and audit entry).
    ExportSchool,
    /// Applied a roster import; the target is its counts.
    ImportRoster,
    /// Issued a one-time sign-in code, which replaced the account's password; the target
    /// is the userId.
    IssueSignInCode,
    /// A guardian read their child's conversation (the target) or contact list (the
    /// child's userId), where the school allows it.
    GuardianRead,
    /// Made someone a guardian of a student; the target is `guardianId~studentId`.
    AddGuardian,
    /// Removed a guardian link; the target as for [`Self::AddGuardian`].
    RemoveGuardian,
    /// Changed the school's settings; the target is what changed (`guardianOversight=on`).
    UpdateSettings,
    /// A teacher the school allows to send an urgent message, which notifies the student
    /// or guardian even in their quiet hours; the target is the conversation.
    UrgentSend,
    /// An author edited their message; the target is `conversationId@timestamp`.
    EditMessage,
    /// An author removed their message (a tombstone); the target as for
    /// [`Self::EditMessage`].
    RemoveMessage,
    /// An admin read the earlier versions of a message; the target as for
    /// [`Self::EditMessage`].
    ReadHistory,
    /// An admin marked a report reviewed; the target is the reportId.
    ReviewReport,
    /// An admin closed a report as actioned; the target is the reportId.
    ActionReport,
    /// An admin closed a report as dismissed; the target is the reportId.
    DismissReport,
    /// A teacher or admin paused a conversation (the target).
    PauseConversation,
    /// A teacher or admin resumed a paused conversation (the target).
    ResumeConversation,
    /// An admin (or the operator) exported one person's history; the target is the
    /// userId and the format.
    ExportUser,
    /// An admin (or the operator) exported one conversation; the target is the
    /// conversationId and the format.
    ExportConversation,
    /// An admin put a user or a conversation under legal hold (the target): retention
    /// deletes nothing of it.
    SetHold,
    /// An admin lifted a legal hold (the target).
    ReleaseHold,
    /// The retention job deleted what the school's policy says to; the target is its
    /// counts.
    RetentionRun,
    /// An admin previewed what retention would delete (a dry run); the target is its
    /// counts.
    RetentionPreview,
}

impl AuditAction {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadConversation => "conversation.read",
            Self::ReadContacts => "contacts.read",
            Self::CreateUser => "user.create",
            Self::UpdateUser => "user.update",
            Self::AddLink => "link.add",
            Self::RemoveLink => "link.remove",
            Self::ExportSchool => "school.export",
            Self::ImportRoster => "roster.import",
            Self::IssueSignInCode => "user.sign_in_code",
            Self::GuardianRead => "guardian.read",
            Self::AddGuardian => "guardian.add",
            Self::RemoveGuardian => "guardian.remove",
            Self::UpdateSettings => "settings.update",
            Self::UrgentSend => "message.urgent",
            Self::EditMessage => "message.edit",
            Self::RemoveMessage => "message.remove",
            Self::ReadHistory => "message.history",
            Self::ReviewReport => "report.review",
            Self::ActionReport => "report.action",
            Self::DismissReport => "report.dismiss",
            Self::PauseConversation => "conversation.pause",
            Self::ResumeConversation => "conversation.resume",
            Self::ExportUser => "export.user",
            Self::ExportConversation => "export.conversation",
            Self::SetHold => "hold.set",
            Self::ReleaseHold => "hold.release",
            Self::RetentionRun => "retention.run",
            Self::RetentionPreview => "retention.preview",
        }
    }

    /// Parses the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::ReadConversation,
            Self::ReadContacts,
            Self::CreateUser,
            Self::UpdateUser,
            Self::AddLink,
            Self::RemoveLink,
            Self::ExportSchool,
            Self::ImportRoster,
            Self::IssueSignInCode,
            Self::GuardianRead,
            Self::AddGuardian,
            Self::RemoveGuardian,
            Self::UpdateSettings,
            Self::UrgentSend,
            Self::EditMessage,
            Self::RemoveMessage,
            Self::ReadHistory,
            Self::ReviewReport,
            Self::ActionReport,
            Self::DismissReport,
            Self::PauseConversation,
            Self::ResumeConversation,
            Self::ExportUser,
            Self::ExportConversation,
            Self::SetHold,
            Self::ReleaseHold,
            Self::RetentionRun,
            Self::RetentionPreview,
        ]
        .into_iter()
        .find(|action| action.as_str() == raw)
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// A ULID: entries sort by it, newest last.
    pub id: String,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it: an admin's userId, or `cli` for the operator.
    pub actor: String,
    /// What they did.
    pub action: AuditAction,
    /// What they did it to: a conversationId, userId, `student+teacher` link or
    /// `guardian~student` guardian link, a settings change, or for an import its counts.
    pub target: String,
}
