//! Conversation ids: one conversation per (student, teacher) pair, written
//! `<studentId>+<teacherId>` — the order of both examples in the original notes — and one
//! per (guardian, teacher) pair, written `<guardianId>+<teacherId>`: whoever is not the
//! teacher stands first. Which of the two a conversation is, is a fact about its first
//! user's role, not about the id, so the id, its storage and its delivery are the same for
//! both.

use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use std::fmt;

/// A conversationId as a client may write it, as ECMA-262 for the OpenAPI document: two
/// different userIds joined by `+` or by a space (a query string's decoded `+`). The
/// lookahead with a back-reference is what says "different".
pub const CONVERSATION_ID_PATTERN: &str =
    "^([A-Za-z0-9._@-]{1,128})[+ ](?!\\1$)[A-Za-z0-9._@-]{1,128}$";

/// The canonical id of the conversation between one teacher and one member of a family:
/// a student, or a student's guardian.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConversationId {
    member: UserId,
    teacher: UserId,
}

impl ConversationId {
    /// The conversation of this student (or guardian) with this teacher.
    pub fn new(member: UserId, teacher: UserId) -> Self {
        Self { member, teacher }
    }

    /// Parses an id a store wrote itself, trusting that it is in canonical
    /// `<memberId>+<teacherId>` order.
    pub fn parse_canonical(raw: &str) -> Result<Self, ChatError> {
        let reference = ConversationRef::parse(raw)?;
        Ok(Self::new(reference.first, reference.second))
    }

    /// The one taking part who is not the teacher: the student, or in a family
    /// conversation the guardian.
    pub fn member(&self) -> &UserId {
        &self.member
    }

    /// The teacher taking part.
    pub fn teacher(&self) -> &UserId {
        &self.teacher
    }

    /// Whether `user` is one of the two participants.
    pub fn has_participant(&self, user: &UserId) -> bool {
        &self.member == user || &self.teacher == user
    }

    /// The participant that is not `user` (the teacher if `user` is neither).
    pub fn peer_of(&self, user: &UserId) -> &UserId {
        if &self.teacher == user {
            &self.member
        } else {
            &self.teacher
        }
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}", self.member, self.teacher)
    }
}

/// A conversationId as a client wrote it: two distinct userIds, in either order. Which one
/// is the teacher is only known once the store has been asked about their roles, so the
/// service turns this into a [`ConversationId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRef {
    /// The id written first.
    pub first: UserId,
    /// The id written second.
    pub second: UserId,
}

impl ConversationRef {
    /// Parses `a+b`. Also accepts `a b`, because a `+` in a query string decodes to a space
    /// and userIds never contain either.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let malformed = || {
            ChatError::invalid(
                ErrorCode::InvalidConversationId,
                "a conversationId is <studentId>+<teacherId> (or <guardianId>+<teacherId>)",
            )
        };
        let mut parts = raw.split(['+', ' ']);
        let (Some(first), Some(second), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(malformed());
        };
        let first = UserId::parse(first).map_err(|_| malformed())?;
        let second = UserId::parse(second).map_err(|_| malformed())?;
        if first == second {
            return Err(malformed());
        }
        Ok(Self { first, second })
    }

    /// Whether `user` is one of the two ids.
    pub fn mentions(&self, user: &UserId) -> bool {
        &self.first == user || &self.second == user
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> UserId {
        UserId::parse(raw).unwrap()
    }

    #[test]
    fn displays_student_first() {
        let conversation = ConversationId::new(id("abc"), id("123"));
        assert_eq!(conversation.to_string(), "abc+123");
        assert_eq!(conversation.peer_of(&id("abc")), &id("123"));
        assert_eq!(conversation.peer_of(&id("123")), &id("abc"));
        assert!(conversation.has_participant(&id("abc")));
        assert!(!conversation.has_participant(&id("zzz")));
    }

    #[test]
    fn parses_plus_and_space_forms() {
        let plus = ConversationRef::parse("abc+123").unwrap();
        let space = ConversationRef::parse("abc 123").unwrap();
        assert_eq!(plus, space);
        assert_eq!((plus.first.as_str(), plus.second.as_str()), ("abc", "123"));
        assert!(plus.mentions(&id("123")));
    }

    #[test]
    fn the_pattern_says_what_the_parser_says() {
        // regex-lite has no look-around: check the pattern without its "different ids"
        // lookahead, and that part by hand.
        let lookahead = "(?!\\1$)";
        assert!(CONVERSATION_ID_PATTERN.contains(lookahead));
        let shape =
            regex_lite::Regex::new(&CONVERSATION_ID_PATTERN.replace(lookahead, "")).unwrap();
        let long = "x".repeat(128);
        let too_long = "x".repeat(129);
        let mut samples = vec![
            format!("{long}+a"),
            format!("a+{too_long}"),
            format!("{long} {long}y"),
        ];
        for a in ["", "a", "s1", "t.1@x-y_z", "a+b", "é", "a\u{202E}"] {
            for b in ["", "a", "s1", "t1", "b c", "\u{0}"] {
                for join in ["+", " ", "++", "%2B", "\t", ""] {
                    samples.push(format!("{a}{join}{b}"));
                }
            }
        }
        for raw in samples {
            // The separator is one ASCII byte, so the second id starts right after it.
            let matched = shape
                .captures(&raw)
                .is_some_and(|parts| raw[parts[1].len() + 1..] != parts[1]);
            assert_eq!(matched, ConversationRef::parse(&raw).is_ok(), "{raw:?}");
        }
    }

    #[test]
    fn rejects_zero_one_or_three_parts_and_bad_ids() {
        for raw in [
            "", "abc", "+", "abc+", "+abc", "a+b+c", "abc+abc", "a/b+c", "a++b", "a  b",
        ] {
            let err = ConversationRef::parse(raw).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConversationId, "{raw:?}");
        }
    }
}
