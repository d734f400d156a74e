//! The policy for families as matrices: every role against a student's conversation and
//! a guardian's, by relation and by the guardian's claim on the student.

use super::*;
use crate::user::test_user as user;

const RELATIONS: [Relation; 3] = [Relation::Linked, Relation::History, Relation::Unrelated];
const ROLES: [Role; 4] = [Role::Student, Role::Teacher, Role::Guardian, Role::Admin];
const CLAIMS: [Guardianship; 3] = [
    Guardianship::None,
    Guardianship::Child {
        school_allows: false,
    },
    Guardianship::Child {
        school_allows: true,
    },
];

/// `s1` is taught by `t1`; `g1` is `s1`'s guardian, `g2` another family's.
struct Family {
    student: User,
    teacher: User,
    guardian: User,
    other_guardian: User,
    other_student: User,
    other_teacher: User,
    admin: User,
    /// `s1+t1`.
    students: ConversationId,
    /// `g1+t1`.
    guardians: ConversationId,
}

fn family() -> Family {
    let student = user("s1", Role::Student);
    let teacher = user("t1", Role::Teacher);
    let guardian = user("g1", Role::Guardian);
    Family {
        students: ConversationId::new(student.id.clone(), teacher.id.clone()),
        guardians: ConversationId::new(guardian.id.clone(), teacher.id.clone()),
        student,
        teacher,
        guardian,
        other_guardian: user("g2", Role::Guardian),
        other_student: user("s2", Role::Student),
        other_teacher: user("t2", Role::Teacher),
        admin: user("a1", Role::Admin),
    }
}

fn not_yours() -> ChatError {
    ChatError::forbidden(NOT_YOUR_CONVERSATION)
}

#[test]
fn a_guardian_reads_their_childs_conversation_only_where_the_school_allows_it() {
    let f = family();
    for relation in RELATIONS {
        for claim in CLAIMS {
            let read = read_access(&f.guardian, &f.students, relation, claim);
            let expected = match (claim, relation) {
                (Guardianship::None, _) => Err(not_yours()),
                (
                    Guardianship::Child {
                        school_allows: false,
                    },
                    _,
                ) => Err(ChatError::forbidden(
                    "your school does not let families read their children's conversations",
                )),
                (_, Relation::Unrelated) => Err(not_yours()),
                _ => Ok(ReadAccess::Guardian),
            };
            assert_eq!(read, expected, "{relation:?} {claim:?}");
        }
    }
}

#[test]
fn only_guardians_have_oversight_whatever_the_facts_say() {
    let f = family();
    for caller in [&f.student, &f.teacher, &f.other_student, &f.other_teacher] {
        for claim in CLAIMS {
            assert_eq!(oversight(caller, claim), Err(not_yours()), "{}", caller.id);
            let read = read_access(caller, &f.guardians, Relation::Linked, claim);
            if f.guardians.has_participant(&caller.id) {
                assert_eq!(read, Ok(ReadAccess::Participant));
            } else {
                assert_eq!(read, Err(not_yours()), "{} {claim:?}", caller.id);
            }
        }
    }
    // An admin reads either conversation, audited, whatever a guardian may.
    for conversation in [&f.students, &f.guardians] {
        for relation in RELATIONS {
            assert_eq!(
                read_access(&f.admin, conversation, relation, Guardianship::None),
                Ok(ReadAccess::Audited)
            );
        }
    }
}

#[test]
fn guardians_never_send_mark_or_follow_in_a_students_conversation() {
    let f = family();
    for relation in RELATIONS {
        for guardian in [&f.guardian, &f.other_guardian] {
            assert!(may_send(guardian, &guardian.id, &f.students, relation).is_err());
            assert!(may_mark_read(guardian, &f.students, relation).is_err());
            assert!(may_follow(guardian, &f.students, relation).is_err());
        }
    }
}

#[test]
fn a_guardian_conversation_is_its_two_peoples_like_any_other() {
    let f = family();
    let everyone = [
        &f.student,
        &f.teacher,
        &f.guardian,
        &f.other_guardian,
        &f.other_student,
        &f.other_teacher,
        &f.admin,
    ];
    for caller in everyone {
        for relation in RELATIONS {
            let participant = f.guardians.has_participant(&caller.id);
            let send = may_send(caller, &caller.id, &f.guardians, relation);
            assert_eq!(
                send.is_ok(),
                participant && relation == Relation::Linked,
                "{} {relation:?}",
                caller.id
            );
            let read = read_access(caller, &f.guardians, relation, Guardianship::None);
            let expected_read = if caller.role == Role::Admin {
                Ok(ReadAccess::Audited)
            } else if participant && relation != Relation::Unrelated {
                Ok(ReadAccess::Participant)
            } else {
                Err(not_yours())
            };
            assert_eq!(read, expected_read, "{} {relation:?}", caller.id);
            assert_eq!(
                may_follow(caller, &f.guardians, relation).is_ok(),
                participant && relation != Relation::Unrelated,
                "{} {relation:?}",
                caller.id
            );
        }
    }
}

#[test]
fn conversations_are_between_one_teacher_and_one_student_or_guardian() {
    for first in ROLES {
        for second in ROLES {
            let expected = matches!(
                (first, second),
                (Role::Student | Role::Guardian, Role::Teacher)
                    | (Role::Teacher, Role::Student | Role::Guardian)
            );
            assert_eq!(may_converse(first, second), expected, "{first} {second}");
        }
    }
    // Students and guardians never talk to each other, whoever the child is.
    assert!(!may_converse(Role::Guardian, Role::Student));
    assert!(!may_converse(Role::Student, Role::Guardian));
}

#[test]
fn a_guardian_lists_their_childs_teachers_only_where_allowed() {
    let f = family();
    let list = |caller: &User, target: &User, claim| contacts_access(caller, &target.id, claim);
    assert_eq!(
        list(&f.guardian, &f.guardian, Guardianship::None),
        Ok(ReadAccess::Participant)
    );
    assert_eq!(
        list(&f.guardian, &f.student, CLAIMS[2]),
        Ok(ReadAccess::Guardian)
    );
    assert_eq!(
        list(&f.guardian, &f.student, CLAIMS[1]).unwrap_err().code(),
        ErrorCode::Forbidden
    );
    for target in [&f.other_student, &f.teacher, &f.other_guardian, &f.admin] {
        assert!(
            list(&f.guardian, target, Guardianship::None).is_err(),
            "{}",
            target.id
        );
    }
    // Nobody else gets anything from a guardianship fact.
    for caller in [&f.student, &f.teacher, &f.other_teacher] {
        for claim in CLAIMS {
            assert!(list(caller, &f.student, claim).is_err() || caller.id == f.student.id);
        }
    }
}

#[test]
fn naming_a_conversation_is_for_its_people_admins_and_guardians_decided_later() {
    let f = family();
    let (g, t) = (f.guardian.id.clone(), f.teacher.id.clone());
    assert!(may_address(&f.guardian, &g, &t).is_ok());
    assert!(may_address(&f.teacher, &t, &g).is_ok());
    assert!(may_address(&f.student, &g, &t).is_err());
    assert!(may_address(&f.other_guardian, &g, &t).is_err());
}
