//! Enrollment: which student may chat with which teacher, and the two sides of a link;
//! families: which guardian a student has, and the teachers that makes them able to reach.
//!
//! A link is the one fact that lets a student and a teacher talk. It has exactly two sides,
//! a student's and a teacher's; admins are on neither, which is why they have no peers and
//! no contact list of their own. A guardian link says whose guardian someone is; a guardian
//! and a teacher may talk while at least one child of the guardian is linked to the teacher
//! (a [`FamilyLink`] for each such child).

use crate::conversation::ConversationId;
use crate::ids::UserId;
use crate::user::Role;

/// An enrollment: this student may chat with this teacher.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// The teacher.
    pub teacher: UserId,
    /// The student.
    pub student: UserId,
}

impl Link {
    /// The link a conversation needs: between its teacher and its student.
    pub fn of(conversation: &ConversationId) -> Self {
        Self {
            teacher: conversation.teacher().clone(),
            student: conversation.member().clone(),
        }
    }

    /// The other end of the link from `user`, when `user` is on the link's `side`.
    pub fn peer_on(&self, user: &UserId, side: Side) -> Option<&UserId> {
        match side {
            Side::Student if &self.student == user => Some(&self.teacher),
            Side::Teacher if &self.teacher == user => Some(&self.student),
            _ => None,
        }
    }
}

/// A guardian link: this guardian is a parent or carer of this student.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuardianLink {
    /// The guardian.
    pub guardian: UserId,
    /// Their child.
    pub student: UserId,
}

/// What lets a guardian and a teacher talk: the guardian's child `student` is linked to
/// the teacher. There is one for each child they share, and their conversation is open
/// for sending while at least one exists. Derived, never stored on its own by the
/// SQLite store; the DynamoDB store keeps a copy per pair so that it is one Query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FamilyLink {
    /// The guardian.
    pub guardian: UserId,
    /// The teacher.
    pub teacher: UserId,
    /// The child who connects them.
    pub student: UserId,
}

impl FamilyLink {
    /// The conversation of the guardian with the teacher.
    pub fn conversation(&self) -> ConversationId {
        ConversationId::new(self.guardian.clone(), self.teacher.clone())
    }

    /// The other end from `user` (the guardian or the teacher), if `user` is either.
    pub fn peer_of(&self, user: &UserId) -> Option<&UserId> {
        if &self.guardian == user {
            Some(&self.teacher)
        } else if &self.teacher == user {
            Some(&self.guardian)
        } else {
            None
        }
    }
}

/// Which end of a link a user is on. A store answers contact lists by side, so it never
/// has to decide what an admin's contacts would be: an admin has no side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The student's end: their peers are teachers.
    Student,
    /// The teacher's end: their peers are students.
    Teacher,
}

impl Side {
    /// The side a user of `role` is on; `None` for an admin, who is on no link, and for a
    /// guardian, whose links are [`GuardianLink`]s.
    pub fn of(role: Role) -> Option<Self> {
        match role {
            Role::Student => Some(Self::Student),
            Role::Teacher => Some(Self::Teacher),
            Role::Guardian | Role::Admin => None,
        }
    }

    /// The role of the users on this side.
    pub fn role(self) -> Role {
        match self {
            Self::Student => Role::Student,
            Self::Teacher => Role::Teacher,
        }
    }

    /// The conversation between `user`, on this side, and `peer`, on the other.
    pub fn conversation(self, user: &UserId, peer: &UserId) -> ConversationId {
        match self {
            Self::Student => ConversationId::new(user.clone(), peer.clone()),
            Self::Teacher => ConversationId::new(peer.clone(), user.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> UserId {
        UserId::parse(raw).unwrap()
    }

    #[test]
    fn each_role_but_admin_has_a_side_and_back() {
        for role in [Role::Student, Role::Teacher] {
            assert_eq!(Side::of(role).map(Side::role), Some(role));
        }
        assert_eq!(Side::of(Role::Admin), None);
        assert_eq!(Side::of(Role::Guardian), None);
    }

    #[test]
    fn a_links_peer_depends_on_the_side_asked_about() {
        let link = Link {
            teacher: id("t1"),
            student: id("s1"),
        };
        assert_eq!(link.peer_on(&id("s1"), Side::Student), Some(&id("t1")));
        assert_eq!(link.peer_on(&id("t1"), Side::Teacher), Some(&id("s1")));
        assert_eq!(link.peer_on(&id("s1"), Side::Teacher), None);
        assert_eq!(link.peer_on(&id("t1"), Side::Student), None);
        assert_eq!(link.peer_on(&id("s2"), Side::Student), None);
    }

    #[test]
    fn the_conversation_puts_the_student_first_from_either_side() {
        let (s, t) = (id("s1"), id("t1"));
        assert_eq!(Side::Student.conversation(&s, &t).to_string(), "s1+t1");
        assert_eq!(Side::Teacher.conversation(&t, &s).to_string(), "s1+t1");
        let link = Link::of(&Side::Teacher.conversation(&t, &s));
        assert_eq!((link.teacher, link.student), (t, s));
    }
}
