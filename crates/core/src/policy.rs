//! The access rules, as pure functions over who is asking and what is known about the
//! conversation. The service gathers the facts; these decide. Keeping the decision free of
//! I/O is what lets the unit tests below cover every role against every rule.

use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::user::{Role, User};

/// How a permitted read must be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    /// A participant reading their own conversation.
    Participant,
    /// An admin reading someone else's: allowed, and written to the audit log.
    Audited,
}

/// May `caller` see the contact list (teachers, students or chats) of `target`?
/// Everyone may see their own; admins may see anyone's, audited.
pub fn contacts_access(caller: &User, target: &UserId) -> Result<ReadAccess, ChatError> {
    if &caller.id == target {
        Ok(ReadAccess::Participant)
    } else if caller.role == Role::Admin {
        Ok(ReadAccess::Audited)
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
        Err(ChatError::forbidden("this is not your conversation"))
    }
}

/// May `caller` read `conversation`? Participants may while they are linked, and after the
/// link is removed while the conversation has history; admins always, audited.
pub fn read_access(
    caller: &User,
    conversation: &ConversationId,
    linked: bool,
    has_history: bool,
) -> Result<ReadAccess, ChatError> {
    if caller.role == Role::Admin {
        return Ok(ReadAccess::Audited);
    }
    if !conversation.has_participant(&caller.id) {
        return Err(ChatError::forbidden("this is not your conversation"));
    }
    if linked || has_history {
        Ok(ReadAccess::Participant)
    } else {
        Err(not_linked())
    }
}

/// May `caller` send `author`'s message into `conversation`? Only as themselves, only as a
/// participant, only while linked; admins never send.
pub fn may_send(
    caller: &User,
    author: &UserId,
    conversation: &ConversationId,
    linked: bool,
) -> Result<(), ChatError> {
    if caller.role == Role::Admin {
        return Err(ChatError::forbidden("admins do not send messages"));
    }
    if author != &caller.id {
        return Err(ChatError::forbidden("author must be the signed-in user"));
    }
    if !conversation.has_participant(&caller.id) {
        return Err(ChatError::forbidden("this is not your conversation"));
    }
    if !linked {
        return Err(not_linked());
    }
    Ok(())
}

/// May `caller` move their read marker in `conversation`? Participants only: an admin's
/// read is never anyone's read receipt.
pub fn may_mark_read(caller: &User, conversation: &ConversationId) -> Result<(), ChatError> {
    if conversation.has_participant(&caller.id) {
        Ok(())
    } else {
        Err(ChatError::forbidden("only participants have a read marker"))
    }
}

/// May `caller` manage users and links and read the audit log?
pub fn may_administer(caller: &User) -> Result<(), ChatError> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(ChatError::forbidden("admins only"))
    }
}

fn not_linked() -> ChatError {
    ChatError::Forbidden {
        code: ErrorCode::NotLinked,
        message: "you are not linked to this user".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::DisplayName;

    fn user(id: &str, role: Role) -> User {
        User {
            id: UserId::parse(id).unwrap(),
            display_name: DisplayName::parse(id).unwrap(),
            role,
            disabled: false,
        }
    }

    /// The cast: a conversation between `s1` and `t1`, and everyone around it.
    struct Cast {
        student: User,
        other_student: User,
        teacher: User,
        other_teacher: User,
        admin: User,
        conversation: ConversationId,
    }

    fn cast() -> Cast {
        let student = user("s1", Role::Student);
        let teacher = user("t1", Role::Teacher);
        let conversation = ConversationId::new(student.id.clone(), teacher.id.clone());
        Cast {
            student,
            other_student: user("s2", Role::Student),
            teacher,
            other_teacher: user("t2", Role::Teacher),
            admin: user("a1", Role::Admin),
            conversation,
        }
    }

    #[test]
    fn read_matrix() {
        let c = cast();
        for linked in [true, false] {
            for history in [true, false] {
                let read = |who: &User| read_access(who, &c.conversation, linked, history);
                let participant_ok = linked || history;
                assert_eq!(read(&c.student).is_ok(), participant_ok);
                assert_eq!(read(&c.teacher).is_ok(), participant_ok);
                assert!(read(&c.other_student).is_err());
                assert!(read(&c.other_teacher).is_err());
                assert_eq!(read(&c.admin), Ok(ReadAccess::Audited));
            }
        }
        assert_eq!(
            read_access(&c.student, &c.conversation, true, false),
            Ok(ReadAccess::Participant)
        );
        let unlinked = read_access(&c.student, &c.conversation, false, false).unwrap_err();
        assert_eq!(unlinked.code(), ErrorCode::NotLinked);
    }

    #[test]
    fn send_matrix() {
        let c = cast();
        let everyone = [
            &c.student,
            &c.other_student,
            &c.teacher,
            &c.other_teacher,
            &c.admin,
        ];
        for caller in everyone {
            for author in everyone {
                for linked in [true, false] {
                    let allowed = may_send(caller, &author.id, &c.conversation, linked).is_ok();
                    let expected = caller.role != Role::Admin
                        && caller.id == author.id
                        && c.conversation.has_participant(&caller.id)
                        && linked;
                    assert_eq!(
                        allowed, expected,
                        "{} as {} linked={linked}",
                        caller.id, author.id
                    );
                }
            }
        }
    }

    #[test]
    fn admins_never_send_even_as_themselves() {
        let c = cast();
        let err = may_send(&c.admin, &c.admin.id, &c.conversation, true).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden);
    }

    #[test]
    fn mark_read_is_for_participants_only() {
        let c = cast();
        assert!(may_mark_read(&c.student, &c.conversation).is_ok());
        assert!(may_mark_read(&c.teacher, &c.conversation).is_ok());
        for outsider in [&c.other_student, &c.other_teacher, &c.admin] {
            assert!(may_mark_read(outsider, &c.conversation).is_err());
        }
    }

    #[test]
    fn contacts_are_own_or_audited_for_admins() {
        let c = cast();
        assert_eq!(
            contacts_access(&c.student, &c.student.id),
            Ok(ReadAccess::Participant)
        );
        assert_eq!(
            contacts_access(&c.admin, &c.student.id),
            Ok(ReadAccess::Audited)
        );
        assert_eq!(
            contacts_access(&c.admin, &c.admin.id),
            Ok(ReadAccess::Participant)
        );
        for (caller, target) in [
            (&c.student, &c.other_student),
            (&c.teacher, &c.student),
            (&c.student, &c.teacher),
        ] {
            assert!(contacts_access(caller, &target.id).is_err());
        }
    }

    #[test]
    fn addressing_a_conversation_requires_being_in_it_unless_admin() {
        let c = cast();
        let (s, t) = (c.student.id.clone(), c.teacher.id.clone());
        assert!(may_address(&c.student, &s, &t).is_ok());
        assert!(may_address(&c.teacher, &t, &s).is_ok());
        assert!(may_address(&c.admin, &s, &t).is_ok());
        assert!(may_address(&c.other_student, &s, &t).is_err());
        assert!(may_address(&c.other_teacher, &s, &t).is_err());
    }

    #[test]
    fn administration_is_for_admins_only() {
        let c = cast();
        assert!(may_administer(&c.admin).is_ok());
        for other in [&c.student, &c.teacher] {
            assert!(may_administer(other).is_err());
        }
    }
}
