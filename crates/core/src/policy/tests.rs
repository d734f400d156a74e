//! The policy as matrices: every role against every rule and relation.

use super::*;

const RELATIONS: [Relation; 3] = [Relation::Linked, Relation::History, Relation::Unrelated];

use crate::user::test_user as user;

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
fn relations_follow_from_the_facts() {
    assert_eq!(Relation::of(true, false), Relation::Linked);
    assert_eq!(Relation::of(true, true), Relation::Linked);
    assert_eq!(Relation::of(false, true), Relation::History);
    assert_eq!(Relation::of(false, false), Relation::Unrelated);
}

#[test]
fn read_matrix() {
    let c = cast();
    for relation in RELATIONS {
        let read = |who: &User| read_access(who, &c.conversation, relation, Guardianship::None);
        let participant_ok = relation != Relation::Unrelated;
        assert_eq!(read(&c.student).is_ok(), participant_ok, "{relation:?}");
        assert_eq!(read(&c.teacher).is_ok(), participant_ok, "{relation:?}");
        assert!(read(&c.other_student).is_err());
        assert!(read(&c.other_teacher).is_err());
        assert_eq!(read(&c.admin), Ok(ReadAccess::Audited));
    }
    assert_eq!(
        read_access(
            &c.student,
            &c.conversation,
            Relation::Linked,
            Guardianship::None
        ),
        Ok(ReadAccess::Participant)
    );
}

#[test]
fn follow_matrix() {
    let c = cast();
    for relation in RELATIONS {
        let follow = |who: &User| may_follow(who, &c.conversation, relation);
        let participant_ok = relation != Relation::Unrelated;
        assert_eq!(follow(&c.student).is_ok(), participant_ok, "{relation:?}");
        assert_eq!(follow(&c.teacher).is_ok(), participant_ok, "{relation:?}");
        for outsider in [&c.other_student, &c.other_teacher, &c.admin] {
            let refused = follow(outsider).unwrap_err();
            assert_eq!(refused.code(), ErrorCode::Forbidden, "{outsider:?}");
        }
    }
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
            for relation in RELATIONS {
                let allowed = may_send(caller, &author.id, &c.conversation, relation).is_ok();
                let expected = caller.role != Role::Admin
                    && caller.id == author.id
                    && c.conversation.has_participant(&caller.id)
                    && relation == Relation::Linked;
                assert_eq!(
                    allowed, expected,
                    "{} as {} {relation:?}",
                    caller.id, author.id
                );
            }
        }
    }
    // Only a pair with history hears that the link is what is missing.
    let refused = |relation| may_send(&c.student, &c.student.id, &c.conversation, relation);
    assert_eq!(
        refused(Relation::History).unwrap_err().code(),
        ErrorCode::NotLinked
    );
    assert_eq!(
        refused(Relation::Unrelated).unwrap_err().code(),
        ErrorCode::Forbidden
    );
}

#[test]
fn sending_as_someone_is_for_themselves_only_and_never_for_admins() {
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
            let expected = caller.role != Role::Admin && caller.id == author.id;
            assert_eq!(
                may_send_as(caller, author.id.as_str()).is_ok(),
                expected,
                "{} as {}",
                caller.id,
                author.id
            );
        }
        // Whatever the client wrote, an admin hears why first.
        for written in ["", "not an id!", caller.id.as_str()] {
            let refused = may_send_as(caller, written);
            if caller.role == Role::Admin {
                assert_eq!(refused, Err(admins_do_not_send()), "{written:?}");
            }
        }
    }
    assert!(
        may_send_as(&c.student, "s1 ").is_err(),
        "exactly the caller's id"
    );
}

#[test]
fn admins_never_send_even_as_themselves() {
    let c = cast();
    let err = may_send(&c.admin, &c.admin.id, &c.conversation, Relation::Linked).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
}

#[test]
fn mark_read_is_for_participants_with_a_relation_only() {
    let c = cast();
    for relation in RELATIONS {
        let expected = relation != Relation::Unrelated;
        for participant in [&c.student, &c.teacher] {
            let allowed = may_mark_read(participant, &c.conversation, relation).is_ok();
            assert_eq!(allowed, expected, "{} {relation:?}", participant.id);
        }
        for outsider in [&c.other_student, &c.other_teacher, &c.admin] {
            assert!(may_mark_read(outsider, &c.conversation, relation).is_err());
        }
    }
}

/// The enumeration probe: a student or teacher naming themselves and someone they have
/// no relation with. Every rule answers with the very same error, and the rules never
/// see who that someone is, so neither does the caller.
#[test]
fn strangers_all_get_the_one_refusal_and_only_admins_learn_more() {
    let c = cast();
    let refusal = ChatError::forbidden(NOT_YOUR_CONVERSATION);
    for caller in [&c.student, &c.teacher] {
        let unrelated = Relation::Unrelated;
        let own = &caller.id;
        let answers = [
            may_disclose(caller, unrelated),
            read_access(caller, &c.conversation, unrelated, Guardianship::None).map(|_| ()),
            may_send(caller, own, &c.conversation, unrelated),
            may_mark_read(caller, &c.conversation, unrelated),
        ];
        for answer in answers {
            assert_eq!(answer, Err(refusal.clone()), "{}", caller.id);
        }
        for related in [Relation::Linked, Relation::History] {
            assert_eq!(may_disclose(caller, related), Ok(()), "{related:?}");
        }
    }
    // Naming someone else's conversation gets the same words.
    assert_eq!(
        may_address(&c.other_student, &c.student.id, &c.teacher.id),
        Err(refusal)
    );
    for relation in RELATIONS {
        assert_eq!(may_disclose(&c.admin, relation), Ok(()), "{relation:?}");
    }
}

#[test]
fn contacts_are_own_or_audited_for_admins() {
    let c = cast();
    assert_eq!(
        contacts_access(&c.student, &c.student.id, Guardianship::None),
        Ok(ReadAccess::Participant)
    );
    assert_eq!(
        contacts_access(&c.admin, &c.student.id, Guardianship::None),
        Ok(ReadAccess::Audited)
    );
    assert_eq!(
        contacts_access(&c.admin, &c.admin.id, Guardianship::None),
        Ok(ReadAccess::Participant)
    );
    for (caller, target) in [
        (&c.student, &c.other_student),
        (&c.teacher, &c.student),
        (&c.student, &c.teacher),
    ] {
        assert!(contacts_access(caller, &target.id, Guardianship::None).is_err());
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

const ROLES: [Role; 4] = [Role::Student, Role::Teacher, Role::Guardian, Role::Admin];

#[test]
fn nobody_disables_or_demotes_themselves_but_the_operator_may_do_anything() {
    let c = cast();
    let admin = Some(&c.admin);
    let disables = [None, Some(false), Some(true)];
    let roles = [
        None,
        Some(Role::Student),
        Some(Role::Teacher),
        Some(Role::Admin),
    ];
    for disable in disables {
        for role in roles {
            let demotes = role.is_some_and(|role| role != Role::Admin);
            let own = may_update_user(admin, &c.admin.id, disable, role);
            let expected = disable != Some(true) && !demotes;
            assert_eq!(own.is_ok(), expected, "own account: {disable:?} {role:?}");
            if let Err(refused) = own {
                assert_eq!(refused.code(), ErrorCode::Conflict);
            }
            // Anyone else's account, and the operator on any account: no such rule.
            for target in [&c.student, &c.teacher, &c.other_teacher] {
                assert_eq!(may_update_user(admin, &target.id, disable, role), Ok(()));
            }
            assert_eq!(may_update_user(None, &c.admin.id, disable, role), Ok(()));
        }
    }
}

#[test]
fn a_role_changes_only_while_unlinked() {
    for current in ROLES {
        for requested in ROLES {
            for linked in [false, true] {
                let allowed = may_change_role(current, requested, linked);
                let expected = current == requested || !linked;
                assert_eq!(
                    allowed.is_ok(),
                    expected,
                    "{current} -> {requested}, linked: {linked}"
                );
                if let Err(refused) = allowed {
                    assert_eq!(refused.code(), ErrorCode::Conflict);
                }
            }
        }
    }
}

#[test]
fn students_and_teachers_share_presence_with_the_other_side_and_admins_with_nobody() {
    let c = cast();
    let peers = |side, family| Some(PresencePeers { side, family });
    assert_eq!(
        presence_peers(&c.student),
        peers(Some(Side::Student), false)
    );
    assert_eq!(presence_peers(&c.teacher), peers(Some(Side::Teacher), true));
    assert_eq!(
        presence_peers(&user("g1", Role::Guardian)),
        peers(None, true)
    );
    assert_eq!(presence_peers(&c.admin), None);
    for role in ROLES {
        let who = user("x1", role);
        assert_eq!(
            presence_peers(&who).is_some(),
            role != Role::Admin,
            "{role}"
        );
    }
}

#[test]
fn administration_is_for_admins_only() {
    let c = cast();
    assert!(may_administer(&c.admin).is_ok());
    for other in [&c.student, &c.teacher] {
        assert!(may_administer(other).is_err());
    }
}

#[test]
fn sign_in_codes_are_issued_by_admins_for_students_and_teachers_and_by_the_operator_for_anyone() {
    let c = cast();
    // (caller, target role, allowed): every caller against every role. A student or a
    // teacher issues none, not even for themselves or their own linked peer; an admin
    // none for an admin, themselves included.
    let callers: [(&str, Option<&User>); 6] = [
        ("student", Some(&c.student)),
        ("other student", Some(&c.other_student)),
        ("teacher", Some(&c.teacher)),
        ("other teacher", Some(&c.other_teacher)),
        ("admin", Some(&c.admin)),
        ("operator", None),
    ];
    for (name, caller) in callers {
        for target in ROLES {
            let allowed = may_issue_sign_in_code(caller, target);
            let expected = match caller {
                None => true,
                Some(caller) => caller.role == Role::Admin && target != Role::Admin,
            };
            assert_eq!(allowed.is_ok(), expected, "{name} for a {target}");
            if let Err(refused) = allowed {
                assert_eq!(
                    refused.code(),
                    ErrorCode::Forbidden,
                    "{name} for a {target}"
                );
            }
        }
    }
}

/// The class of the cast: `t1` teaches it, `s1` takes it; `s2` and `t2` are outside it.
fn maths(c: &Cast) -> crate::roster::Class {
    crate::roster::Class {
        sourced_id: crate::roster::SourcedId::parse("maths").unwrap(),
        title: "Maths".into(),
        teachers: vec![c.teacher.id.clone()],
        students: vec![c.student.id.clone()],
    }
}

#[test]
fn class_matrix() {
    let c = cast();
    let class = maths(&c);
    // (caller, what they see of the class, may they announce to it)
    let rows: [(&User, Option<ClassView>, bool); 5] = [
        (&c.student, Some(ClassView::Taking), false),
        (&c.other_student, None, false),
        (&c.teacher, Some(ClassView::Teaching), true),
        (&c.other_teacher, None, false),
        (&c.admin, None, false),
    ];
    for (caller, view, announce) in rows {
        assert_eq!(class_view(caller, &class), view, "{}", caller.id);
        assert_eq!(
            may_announce(caller, &class).is_ok(),
            announce,
            "{}",
            caller.id
        );
        if !announce {
            assert_eq!(
                may_announce(caller, &class).unwrap_err().code(),
                ErrorCode::Forbidden
            );
        }
        // Only teachers get past the check made before anything is read.
        assert_eq!(
            may_announce_at_all(caller).is_ok(),
            caller.role == Role::Teacher,
            "{}",
            caller.id
        );
    }
    // A member whose role no longer matches the side they were enrolled on sees nothing.
    let mut odd = class.clone();
    odd.teachers.push(c.other_student.id.clone());
    assert_eq!(class_view(&c.other_student, &odd), None);
}
