//! Safeguarding: who may edit, remove, report and pause, and how a report moves.

use super::{Relation, may_disclose, participant_who_may_read};
use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::message::Message;
use crate::moderation::{Pause, ReportState};
use crate::time::Timestamp;
use crate::user::{Role, User};

/// May `caller` change messages at all? Admins take no part in conversations, so never
/// change one: refused before anything is read.
pub fn may_revise_at_all(caller: &User) -> Result<(), ChatError> {
    match caller.role {
        Role::Admin => Err(ChatError::forbidden(
            "admins do not write in conversations; only a message's author changes it",
        )),
        Role::Student | Role::Teacher | Role::Guardian => Ok(()),
    }
}

/// May `caller` pause or resume conversations at all? Teachers and admins; students and
/// guardians are refused before anything is read.
pub fn may_pause_at_all(caller: &User) -> Result<(), ChatError> {
    match caller.role {
        Role::Student | Role::Guardian => Err(ChatError::forbidden(
            "only the teacher or the school can pause a conversation",
        )),
        Role::Teacher | Role::Admin => Ok(()),
    }
}

/// May `caller` report messages at all? Those who take part in conversations; admins
/// have the moderation queue itself. Refused before anything is read.
pub fn may_report_at_all(caller: &User) -> Result<(), ChatError> {
    match caller.role {
        Role::Admin => Err(ChatError::forbidden(
            "admins see reports in the moderation queue; reports come from participants",
        )),
        Role::Student | Role::Teacher | Role::Guardian => Ok(()),
    }
}

/// May `caller` name a message of `conversation` to change or report it? Only its two
/// participants: decided before the message is read, so a guardian overseeing their
/// child's conversation (or anyone else) cannot learn which timestamps hold a message.
pub fn may_name_message(caller: &User, conversation: &ConversationId) -> Result<(), ChatError> {
    if conversation.has_participant(&caller.id) {
        return Ok(());
    }
    Err(ChatError::forbidden(
        "only the people in a conversation change or report its messages",
    ))
}

/// May `caller` edit or remove `message`? Only its author, so never an admin, a guardian
/// reading their child's conversation, or the other participant. An announcement copy
/// is one of many identical messages, so it is not edited on its own, and a removed
/// message is not edited either.
pub fn may_revise(caller: &User, message: &Message, editing: bool) -> Result<(), ChatError> {
    may_revise_at_all(caller)?;
    if message.author != caller.id {
        return Err(ChatError::forbidden("only its author may change a message"));
    }
    if message.removed_at.is_some() {
        return Err(not_editable("this message was removed"));
    }
    if editing && message.announcement_id.is_some() {
        return Err(not_editable(
            "an announcement went to the whole class; it cannot be edited in one conversation",
        ));
    }
    Ok(())
}

/// Is an edit at `now` of a message sent at `sent` within the school's window of
/// `window_minutes` (0: edits are off)? The window's end itself is inside.
pub fn may_edit_at(sent: Timestamp, now: Timestamp, window_minutes: u32) -> Result<(), ChatError> {
    let window = i64::from(window_minutes) * 60 * 1_000_000;
    let age = now.as_micros().saturating_sub(sent.as_micros());
    if window_minutes == 0 || age > window {
        return Err(not_editable(match window_minutes {
            0 => "the school does not allow edits".to_owned(),
            minutes => format!("messages can be edited for {minutes} minutes after sending"),
        }));
    }
    Ok(())
}

fn not_editable(message: impl Into<String>) -> ChatError {
    ChatError::Conflict {
        code: ErrorCode::NotEditable,
        message: message.into(),
    }
}

/// May the author of a message write in `conversation` while `pause` holds? Its teacher
/// may; its member (student or guardian) may not until it resumes.
pub fn may_write_while(
    caller: &User,
    conversation: &ConversationId,
    pause: Option<&Pause>,
) -> Result<(), ChatError> {
    match pause {
        Some(pause) if conversation.member() == &caller.id => Err(pause.refusal()),
        _ => Ok(()),
    }
}

/// May `caller` pause `conversation` (with the pair's `relation`)? Its teacher, and any
/// admin. Students and guardians are refused before anything but the relation is read.
pub fn may_pause(
    caller: &User,
    conversation: &ConversationId,
    relation: Relation,
) -> Result<(), ChatError> {
    may_pause_at_all(caller)?;
    match caller.role {
        Role::Admin => Ok(()),
        _ if conversation.teacher() == &caller.id => may_disclose(caller, relation),
        _ => Err(ChatError::forbidden(super::NOT_YOUR_CONVERSATION)),
    }
}

/// May `caller`, who may pause the conversation, lift `pause`? An admin may lift any;
/// a teacher only a teacher's, so that a pause the school made stays until the school
/// lifts it.
pub fn may_resume(caller: &User, pause: &Pause) -> Result<(), ChatError> {
    match (caller.role, pause.by_role) {
        (Role::Admin, _) => Ok(()),
        (_, Role::Admin) => Err(ChatError::forbidden(
            "the school paused this conversation; only an admin can resume it",
        )),
        _ => Ok(()),
    }
}

/// May `caller` report `message` in `conversation`? A participant, about the other
/// participant's message: admins have the queue itself, and one does not report oneself.
pub fn may_report(
    caller: &User,
    conversation: &ConversationId,
    relation: Relation,
    message: &Message,
) -> Result<(), ChatError> {
    may_report_at_all(caller)?;
    participant_who_may_read(
        caller,
        conversation,
        relation,
        "only the people in a conversation report its messages",
    )?;
    if message.author == caller.id {
        return Err(ChatError::invalid(
            ErrorCode::InvalidRequest,
            "you cannot report your own message; remove it instead",
        ));
    }
    Ok(())
}

/// May a report in `from` move to `to`? Forward only: open → reviewed, and open or
/// reviewed → actioned or dismissed. A closed report stays closed.
pub fn may_step_report(from: ReportState, to: ReportState) -> Result<(), ChatError> {
    let allowed = matches!(
        (from, to),
        (ReportState::Open, ReportState::Reviewed)
            | (
                ReportState::Open | ReportState::Reviewed,
                ReportState::Actioned | ReportState::Dismissed
            )
    );
    if allowed {
        return Ok(());
    }
    Err(ChatError::Conflict {
        code: ErrorCode::ReportClosed,
        message: format!(
            "a report that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        ),
    })
}

#[cfg(test)]
#[path = "moderation_tests.rs"]
mod tests;
