//! Role × rule matrices for safeguarding.

use super::*;
use crate::ids::{MessageId, UserId};
use crate::message::MessageBody;
use crate::user::test_user as user;

fn conversation() -> ConversationId {
    ConversationId::parse_canonical("s1+t1").unwrap()
}

fn message(author: &str) -> Message {
    Message {
        conversation_id: conversation(),
        timestamp: Timestamp::parse("2026-12-01T10:00:00.000000Z").unwrap(),
        author: UserId::parse(author).unwrap(),
        body: MessageBody::parse("hello").unwrap(),
        message_id: MessageId::generate(),
        client_message_id: None,
        announcement_id: None,
        edited_at: None,
        removed_at: None,
    }
}

fn everyone() -> [User; 7] {
    [
        user("s1", Role::Student),
        user("t1", Role::Teacher),
        user("s2", Role::Student),
        user("t2", Role::Teacher),
        user("g1", Role::Guardian),
        user("office", Role::Admin),
        user("office2", Role::Admin),
    ]
}

#[test]
fn only_the_author_revises_and_never_a_removed_message_or_an_announcement() {
    let by_student = message("s1");
    for caller in everyone() {
        let allowed = may_revise(&caller, &by_student, true).is_ok();
        assert_eq!(allowed, caller.id.as_str() == "s1", "{}", caller.id);
    }
    let removed = Message {
        removed_at: Some(by_student.timestamp),
        ..by_student.clone()
    };
    let student = user("s1", Role::Student);
    for editing in [true, false] {
        let error = may_revise(&student, &removed, editing).unwrap_err();
        assert_eq!(error.code(), ErrorCode::NotEditable);
    }
    let announced = Message {
        author: UserId::parse("t1").unwrap(),
        announcement_id: Some(MessageId::generate()),
        ..by_student
    };
    let teacher = user("t1", Role::Teacher);
    assert_eq!(
        may_revise(&teacher, &announced, true).unwrap_err().code(),
        ErrorCode::NotEditable
    );
    // Removing one's copy of an announcement is one's own business.
    assert!(may_revise(&teacher, &announced, false).is_ok());
}

#[test]
fn the_edit_window_includes_its_end_and_zero_turns_edits_off() {
    let sent = Timestamp::parse("2026-12-01T10:00:00.000000Z").unwrap();
    let at = |minutes: i64, micros: i64| sent.plus_micros(minutes * 60_000_000 + micros);
    assert!(may_edit_at(sent, at(0, 0), 15).is_ok());
    assert!(may_edit_at(sent, at(15, 0), 15).is_ok());
    let late = may_edit_at(sent, at(15, 1), 15).unwrap_err();
    assert_eq!(late.code(), ErrorCode::NotEditable);
    assert!(late.to_string().contains("15 minutes"), "{late}");
    let off = may_edit_at(sent, at(0, 1), 0).unwrap_err();
    assert!(off.to_string().contains("does not allow"), "{off}");
    assert!(may_edit_at(sent, at(1440, 0), 1440).is_ok());
}

#[test]
fn a_pause_stops_the_member_and_never_the_teacher() {
    let pause = Pause {
        by: UserId::parse("t1").unwrap(),
        by_role: Role::Teacher,
        at: Timestamp::parse("2026-12-01T10:00:00.000000Z").unwrap(),
        reason: None,
    };
    let conversation = conversation();
    for caller in everyone() {
        let refused = may_write_while(&caller, &conversation, Some(&pause)).is_err();
        assert_eq!(refused, caller.id.as_str() == "s1", "{}", caller.id);
        assert!(may_write_while(&caller, &conversation, None).is_ok());
    }
    let error =
        may_write_while(&user("s1", Role::Student), &conversation, Some(&pause)).unwrap_err();
    assert_eq!(error.code(), ErrorCode::ConversationPaused);
    assert!(
        error.to_string().contains("paused by the teacher"),
        "{error}"
    );
}

#[test]
fn the_teacher_and_admins_pause_and_only_admins_lift_an_admins_pause() {
    let conversation = conversation();
    for caller in everyone() {
        for relation in [Relation::Linked, Relation::History, Relation::Unrelated] {
            let allowed = may_pause(&caller, &conversation, relation).is_ok();
            let expected = match caller.role {
                Role::Admin => true,
                Role::Teacher => caller.id.as_str() == "t1" && relation != Relation::Unrelated,
                Role::Student | Role::Guardian => false,
            };
            assert_eq!(allowed, expected, "{} {relation:?}", caller.id);
        }
    }
    let pause_by = |role| Pause {
        by: UserId::parse("x").unwrap(),
        by_role: role,
        at: Timestamp::MIN,
        reason: None,
    };
    let teacher = user("t1", Role::Teacher);
    let admin = user("office", Role::Admin);
    assert!(may_resume(&teacher, &pause_by(Role::Teacher)).is_ok());
    assert!(may_resume(&teacher, &pause_by(Role::Admin)).is_err());
    assert!(may_resume(&admin, &pause_by(Role::Teacher)).is_ok());
    assert!(may_resume(&admin, &pause_by(Role::Admin)).is_ok());
}

#[test]
fn participants_report_the_other_ones_messages() {
    let conversation = conversation();
    let by_teacher = message("t1");
    let by_student = message("s1");
    for caller in everyone() {
        for relation in [Relation::Linked, Relation::History, Relation::Unrelated] {
            let teacher_msg = may_report(&caller, &conversation, relation, &by_teacher).is_ok();
            let student_msg = may_report(&caller, &conversation, relation, &by_student).is_ok();
            let related = relation != Relation::Unrelated;
            assert_eq!(
                teacher_msg,
                caller.id.as_str() == "s1" && related,
                "{}",
                caller.id
            );
            assert_eq!(
                student_msg,
                caller.id.as_str() == "t1" && related,
                "{}",
                caller.id
            );
        }
    }
}

#[test]
fn reports_move_forward_only() {
    use ReportState::*;
    for from in ReportState::ALL {
        for to in ReportState::ALL {
            let allowed = may_step_report(from, to).is_ok();
            let expected = matches!(
                (from, to),
                (Open, Reviewed) | (Open | Reviewed, Actioned | Dismissed)
            );
            assert_eq!(allowed, expected, "{from:?} → {to:?}");
            if !allowed {
                assert_eq!(
                    may_step_report(from, to).unwrap_err().code(),
                    ErrorCode::ReportClosed
                );
            }
        }
    }
}

#[test]
fn only_participants_name_a_message_to_change_or_report() {
    let conversation = conversation();
    for caller in everyone() {
        let allowed = may_name_message(&caller, &conversation).is_ok();
        assert_eq!(
            allowed,
            ["s1", "t1"].contains(&caller.id.as_str()),
            "{}",
            caller.id
        );
    }
}
