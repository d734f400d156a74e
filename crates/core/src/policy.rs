//! The access rules, as pure functions over who is asking and what is known about the
//! conversation or account in question: every rule of who may do what lives here, and the
//! service calls it instead of restating it. The service gathers the facts; these decide.
//! Keeping the decision free of I/O is what lets the unit tests below cover every role
//! against every rule.

use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::link::Side;
use crate::user::{Role, User};

/// The one refusal a student or teacher gets for a conversation that is not theirs to
/// know about: someone else's, or one with a userId they have no relation with. It is the
/// same words whoever the other id is (a teacher, a student, an admin, nobody at all), so
/// that the answer cannot be used to find out which userIds exist or what role they have.
pub const NOT_YOUR_CONVERSATION: &str = "this is not your conversation";

/// How the two people a conversationId names stand to each other, as far as the store
/// knows. It decides how much a student or teacher naming that conversation may learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// They are linked (enrolled) now.
    Linked,
    /// They are not linked, but their conversation has messages from an earlier link.
    History,
    /// Neither. For all the caller may know, the other id is nobody.
    Unrelated,
}

impl Relation {
    /// The relation given the facts the service reads: whether the pair is linked and,
    /// when it is not, whether the conversation has messages.
    pub fn of(linked: bool, has_history: bool) -> Self {
        match (linked, has_history) {
            (true, _) => Self::Linked,
            (false, true) => Self::History,
            (false, false) => Self::Unrelated,
        }
    }
}

/// How a permitted read must be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    /// A participant reading their own conversation.
    Participant,
    /// An admin reading someone else's: allowed, and written to the audit log.
    Audited,
    /// A guardian reading their child's, read-only, where the school allows it: written
    /// to the audit log as `guardian.read`.
    Guardian,
}

/// What the service knows about a guardian's claim on the student a read is about: the
/// one fact beyond roles and relations that decides oversight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guardianship {
    /// The caller is not a guardian of that student (or not a guardian at all).
    None,
    /// The caller is that student's guardian; `school_allows` is the school's
    /// guardian-oversight setting.
    Child {
        /// Whether the school lets guardians read their children's conversations.
        school_allows: bool,
    },
}

/// May `caller`, a guardian, read their child's conversations and contact list? Only
/// their own children's, and only while the school allows it. A student who is not their
/// child gets the same words as any stranger's conversation, so a guardian cannot use the
/// answer to learn who exists.
pub fn oversight(caller: &User, guardianship: Guardianship) -> Result<ReadAccess, ChatError> {
    match (caller.role, guardianship) {
        (
            Role::Guardian,
            Guardianship::Child {
                school_allows: true,
            },
        ) => Ok(ReadAccess::Guardian),
        (
            Role::Guardian,
            Guardianship::Child {
                school_allows: false,
            },
        ) => Err(ChatError::forbidden(
            "your school does not let families read their children's conversations",
        )),
        _ => Err(not_yours()),
    }
}

/// Can two users of these roles have a conversation at all? Exactly one is a teacher,
/// and the other a student or a guardian. Students and guardians never talk to each
/// other through classchat, nor teachers to teachers; admins talk to nobody.
pub fn may_converse(first: Role, second: Role) -> bool {
    matches!(
        (first, second),
        (Role::Student | Role::Guardian, Role::Teacher)
            | (Role::Teacher, Role::Student | Role::Guardian)
    )
}

/// May `caller` see the contact list (teachers, students or chats) of `target`?
/// Everyone may see their own; admins may see anyone's, audited; a guardian their child's
/// teachers where the school allows it ([`oversight`]), audited.
pub fn contacts_access(
    caller: &User,
    target: &UserId,
    guardianship: Guardianship,
) -> Result<ReadAccess, ChatError> {
    if &caller.id == target {
        Ok(ReadAccess::Participant)
    } else if caller.role == Role::Admin {
        Ok(ReadAccess::Audited)
    } else if caller.role == Role::Guardian && guardianship != Guardianship::None {
        oversight(caller, guardianship)
    } else {
        Err(ChatError::forbidden("you may only list your own contacts"))
    }
}

/// May `caller` name this conversation at all? Checked before any lookup, so that a
/// non-participant learns nothing about which users exist.
pub fn may_address(caller: &User, first: &UserId, second: &UserId) -> Result<(), ChatError> {
    if caller.role == Role::Admin || &caller.id == first || &caller.id == second {
        Ok(())
    } else {
        Err(not_yours())
    }
}

/// May `caller` learn more about the conversation they named than [`NOT_YOUR_CONVERSATION`]?
/// Decided from the relation alone — never from whether the other userId exists or what
/// role it has — and before anything is looked up about that userId, so a student or
/// teacher probing `me+X` gets one and the same answer for every X they have no relation
/// with. Precise answers (no such user, not a student–teacher pair, not linked) are for
/// pairs with a relation, and for admins, who may look at any conversation anyway.
pub fn may_disclose(caller: &User, relation: Relation) -> Result<(), ChatError> {
    if caller.role == Role::Admin || relation != Relation::Unrelated {
        Ok(())
    } else {
        Err(not_yours())
    }
}

/// May `caller` read `conversation`? Participants may while they are linked, and after the
/// link is removed while the conversation has history; admins always, audited; a guardian
/// of the conversation's student only where the school allows it ([`oversight`]), audited,
/// and only a conversation that exists for the student (linked or with history).
pub fn read_access(
    caller: &User,
    conversation: &ConversationId,
    relation: Relation,
    guardianship: Guardianship,
) -> Result<ReadAccess, ChatError> {
    if caller.role == Role::Admin {
        return Ok(ReadAccess::Audited);
    }
    if !conversation.has_participant(&caller.id) {
        let access = oversight(caller, guardianship)?;
        may_disclose(caller, relation)?;
        return Ok(access);
    }
    may_disclose(caller, relation)?;
    Ok(ReadAccess::Participant)
}

/// May `caller` send a message (or a typing notice) as `author`, the author exactly as the
/// client wrote it? Only as themselves; admins never send. Decided before anything is
/// parsed further or read, so it is the first thing a send checks.
pub fn may_send_as(caller: &User, author: &str) -> Result<(), ChatError> {
    if caller.role == Role::Admin {
        return Err(admins_do_not_send());
    }
    if author != caller.id.as_str() {
        return Err(ChatError::forbidden("author must be the signed-in user"));
    }
    Ok(())
}

/// May `caller` send `author`'s message into `conversation` (or a typing notice)? Only as
/// themselves ([`may_send_as`]), only as a participant, only while linked.
pub fn may_send(
    caller: &User,
    author: &UserId,
    conversation: &ConversationId,
    relation: Relation,
) -> Result<(), ChatError> {
    may_send_as(caller, author.as_str())?;
    if !conversation.has_participant(&caller.id) {
        return Err(not_yours());
    }
    match relation {
        Relation::Linked => Ok(()),
        Relation::History => Err(not_linked()),
        Relation::Unrelated => Err(not_yours()),
    }
}

/// May `caller` move their read marker in `conversation`? Participants only, in a
/// conversation they may read: an admin's read is never anyone's read receipt.
pub fn may_mark_read(
    caller: &User,
    conversation: &ConversationId,
    relation: Relation,
) -> Result<(), ChatError> {
    participant_who_may_read(
        caller,
        conversation,
        relation,
        "only participants have a read marker",
    )
}

/// A participant of `conversation` who may read it, or `refusal` (forbidden).
fn participant_who_may_read(
    caller: &User,
    conversation: &ConversationId,
    relation: Relation,
    refusal: &str,
) -> Result<(), ChatError> {
    if !conversation.has_participant(&caller.id) {
        return Err(ChatError::forbidden(refusal));
    }
    may_disclose(caller, relation)
}

/// May `caller` follow `conversation` live (a GraphQL `messageAdded` subscription)? Its
/// participants only, while they may read it: an admin reads any conversation, audited,
/// page by page, but never watches one as it happens.
pub fn may_follow(
    caller: &User,
    conversation: &ConversationId,
    relation: Relation,
) -> Result<(), ChatError> {
    participant_who_may_read(
        caller,
        conversation,
        relation,
        "only the participants follow a conversation live",
    )
}

/// May `caller` manage users and links and read the audit log?
pub fn may_administer(caller: &User) -> Result<(), ChatError> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(ChatError::forbidden("admins only"))
    }
}

/// May `caller` make this change to `target`'s account? `caller` is `None` for the
/// operator (the CLI), who owns the database and may do anything. An admin may not
/// disable or demote themselves: a school could otherwise lock itself out of its own
/// administration with one click, and only the operator could let it back in.
pub fn may_update_user(
    caller: Option<&User>,
    target: &UserId,
    disable: Option<bool>,
    role: Option<Role>,
) -> Result<(), ChatError> {
    let Some(caller) = caller else { return Ok(()) };
    let demoted = role.is_some_and(|role| role != Role::Admin);
    if &caller.id == target && (disable == Some(true) || demoted) {
        return Err(ChatError::conflict("you cannot disable or demote yourself"));
    }
    Ok(())
}

/// May `caller` issue a one-time sign-in code for an account of role `target`? A code
/// replaces the account's password, so whoever holds it holds the account. `caller` is
/// `None` for the operator (the CLI), who owns the database and may issue one for anyone.
/// An admin issues codes for students and teachers, never for an admin, themselves
/// included: a code hands an account to whoever reads it out, and an admin's account
/// carries the school's audited oversight, so one admin must not be able to take over
/// another's. An admin who lost their password asks the operator.
pub fn may_issue_sign_in_code(caller: Option<&User>, target: Role) -> Result<(), ChatError> {
    let Some(caller) = caller else { return Ok(()) };
    may_administer(caller)?;
    if target == Role::Admin {
        return Err(ChatError::forbidden(
            "an admin's sign-in code is issued by the operator (classchat user codes), not by an admin",
        ));
    }
    Ok(())
}

/// May a user of role `current` become `requested`? Not while they have links or guardian
/// links: a link is between one teacher and one student, a guardian link between one
/// guardian and one student, and the conversations, contact lists and peers built on them
/// assume those roles for as long as they exist (a send trusts the links alone). Keeping a
/// role is no change and always allowed.
pub fn may_change_role(current: Role, requested: Role, linked: bool) -> Result<(), ChatError> {
    if current != requested && linked {
        return Err(ChatError::conflict(
            "remove this user's links before changing their role",
        ));
    }
    Ok(())
}

/// Whose presence `user` shares: the peers on the other side of their links, found from
/// their own `Side`, and for teachers and guardians the peers of their family links.
/// `None` for an admin, who is on no link and so has no peers: their coming and going is
/// nobody's business, and nobody's is theirs.
pub fn presence_peers(user: &User) -> Option<PresencePeers> {
    match user.role {
        Role::Admin => None,
        role => Some(PresencePeers {
            side: Side::of(role),
            family: matches!(role, Role::Teacher | Role::Guardian),
        }),
    }
}

/// Which links' peers see a user come and go ([`presence_peers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresencePeers {
    /// Peers across their enrollment links, on this side (`None`: a guardian has none).
    pub side: Option<Side>,
    /// Peers across family links: a teacher's students' guardians, a guardian's children's
    /// teachers.
    pub family: bool,
}

/// The refusal of any send, typing notice included, by an admin.
pub(crate) fn admins_do_not_send() -> ChatError {
    ChatError::forbidden("admins do not send messages")
}

fn not_yours() -> ChatError {
    ChatError::forbidden(NOT_YOUR_CONVERSATION)
}

fn not_linked() -> ChatError {
    ChatError::Forbidden {
        code: ErrorCode::NotLinked,
        message: "you are not linked to this user".into(),
    }
}

mod moderation;
mod notify;
pub use moderation::{
    may_edit_at, may_name_message, may_pause, may_pause_at_all, may_report, may_report_at_all,
    may_resume, may_revise, may_revise_at_all, may_step_report, may_write_while,
};
pub use notify::{may_change_notify_prefs, may_send_urgent, may_subscribe_push};

#[cfg(test)]
mod family_tests;
#[cfg(test)]
mod tests;

/// How much of a class a member sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassView {
    /// A teacher of the class: its teachers and its students.
    Teaching,
    /// A student of the class: its teachers, never the other students (classmates do
    /// not learn each other's accounts through classchat).
    Taking,
}

/// What `caller` may see of `class`: teachers see whom they teach, students see who
/// teaches them; anyone else sees nothing (admins use the admin listing).
pub fn class_view(caller: &User, class: &crate::roster::Class) -> Option<ClassView> {
    match caller.role {
        Role::Teacher if class.teachers.contains(&caller.id) => Some(ClassView::Teaching),
        Role::Student if class.students.contains(&caller.id) => Some(ClassView::Taking),
        _ => None,
    }
}

/// May `caller` announce at all? Only teachers do; decided before anything is read.
pub fn may_announce_at_all(caller: &User) -> Result<(), ChatError> {
    if caller.role == Role::Teacher {
        Ok(())
    } else {
        Err(ChatError::forbidden("only teachers announce to a class"))
    }
}

/// May `caller` announce to `class`? A teacher of that class only.
pub fn may_announce(caller: &User, class: &crate::roster::Class) -> Result<(), ChatError> {
    may_announce_at_all(caller)?;
    if class_view(caller, class) == Some(ClassView::Teaching) {
        Ok(())
    } else {
        Err(ChatError::forbidden(
            "only a teacher of this class may announce to it",
        ))
    }
}
