//! Families through the service: a guardian messages their children's teachers, a
//! teacher sees who the family is, oversight follows the school's setting and is
//! audited, and a family conversation closes when the last child linking it goes.

use super::{School, status};
use crate::error::ErrorCode;
use crate::hub::Event;
use crate::service::{Actor, PageQuery, SendRequest};
use crate::settings::SettingsPatch;
use crate::store::AuditAction;
use crate::user::{Role, User};

/// `s1` and `s2` are `g1`'s children; `s1` is taught by `t1`, `s2` by `t1` and `t2`;
/// `s3` is another family's (`g2`), taught by `t3`.
struct Families {
    school: School,
    s1: User,
    s2: User,
    s3: User,
    t1: User,
    t2: User,
    t3: User,
    g1: User,
    g2: User,
    admin: User,
}

async fn families() -> Families {
    let school = School::new();
    let s1 = school.user("s1", Role::Student).await;
    let s2 = school.user("s2", Role::Student).await;
    let s3 = school.user("s3", Role::Student).await;
    let t1 = school.user("t1", Role::Teacher).await;
    let t2 = school.user("t2", Role::Teacher).await;
    let t3 = school.user("t3", Role::Teacher).await;
    let g1 = school.user("g1", Role::Guardian).await;
    let g2 = school.user("g2", Role::Guardian).await;
    let admin = school.user("a1", Role::Admin).await;
    school.link(&t1, &s1).await;
    school.link(&t1, &s2).await;
    school.link(&t2, &s2).await;
    school.link(&t3, &s3).await;
    for (guardian, child) in [(&g1, &s1), (&g1, &s2), (&g2, &s3)] {
        school
            .service
            .add_guardian(Actor::Operator, guardian.id.as_str(), child.id.as_str())
            .await
            .unwrap();
    }
    Families {
        school,
        s1,
        s2,
        s3,
        t1,
        t2,
        t3,
        g1,
        g2,
        admin,
    }
}

fn send<'a>(conversation: &'a str, author: &'a User, body: &'a str) -> SendRequest<'a> {
    SendRequest {
        conversation_id: conversation,
        author: author.id.as_str(),
        message_body: body,
        client_message_id: None,
        origin: None,
        urgent: false,
    }
}

fn ids(users: &[User]) -> Vec<&str> {
    users.iter().map(|user| user.id.as_str()).collect()
}

#[tokio::test]
async fn a_guardian_lists_their_childrens_teachers_with_the_children_between() {
    let f = families().await;
    let teachers = f.school.service.list_teachers(&f.g1, None).await.unwrap();
    let lines: Vec<(&str, String, Vec<&str>)> = teachers
        .iter()
        .map(|line| {
            (
                line.peer.id.as_str(),
                line.conversation_id.to_string(),
                ids(&line.family),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("t1", "g1+t1".to_owned(), vec!["s1", "s2"]),
            ("t2", "g1+t2".to_owned(), vec!["s2"]),
        ]
    );
}

#[tokio::test]
async fn a_guardian_and_a_teacher_talk_and_the_teacher_sees_the_family() {
    let f = families().await;
    let service = &f.school.service;
    let sent = service
        .send(&f.g1, send("t1+g1", &f.g1, "Is homework due Friday?"))
        .await
        .unwrap();
    assert_eq!(sent.message.conversation_id.to_string(), "g1+t1");
    let reply = service
        .send(&f.t1, send("g1+t1", &f.t1, "Yes, Friday."))
        .await
        .unwrap();
    assert_eq!(reply.message.conversation_id.to_string(), "g1+t1");
    // Delivered to both, like any conversation.
    let published = f.school.hub.published.lock().unwrap().clone();
    let (delivery, _) = published
        .iter()
        .rev()
        .find(|(_, event)| matches!(event, Event::Message(_)))
        .unwrap();
    assert_eq!(ids_of(&delivery.recipients), ["g1", "t1"]);

    let chats = service.list_chats(&f.t1, None).await.unwrap();
    let family = chats
        .iter()
        .find(|chat| chat.peer.id == f.g1.id)
        .expect("the guardian conversation is among the teacher's chats");
    assert_eq!(family.peer.role, Role::Guardian);
    assert_eq!(ids(&family.family), ["s1", "s2"]);

    let students = service.list_students(&f.t1, None).await.unwrap();
    let guardians: Vec<(&str, Vec<&str>)> = students
        .iter()
        .map(|line| (line.peer.id.as_str(), ids(&line.family)))
        .collect();
    assert_eq!(guardians, [("s1", vec!["g1"]), ("s2", vec!["g1"])]);
    // The guardian's own page reads as a participant's: no audit entry.
    let page = service
        .read_page(&f.g1, "g1+t1", PageQuery::default())
        .await
        .unwrap();
    assert_eq!(page.page.messages.len(), 2);
    assert!(f.school.store.audit_log().await.iter().all(|entry| {
        entry.action != AuditAction::GuardianRead && entry.action != AuditAction::ReadConversation
    }));
}

fn ids_of(users: &[crate::ids::UserId]) -> Vec<&str> {
    users.iter().map(crate::ids::UserId::as_str).collect()
}

#[tokio::test]
async fn nobody_reaches_a_family_they_are_not_part_of() {
    let f = families().await;
    let service = &f.school.service;
    let refusals = [
        // Another family's child's teacher.
        (&f.g1, "g1+t3"),
        // Guardians and students never talk, not even a guardian and their child.
        (&f.g1, "g1+s1"),
        (&f.s1, "s1+g1"),
        // Another family's conversation.
        (&f.g2, "g1+t1"),
        (&f.t3, "g1+t3"),
        (&f.s2, "g1+t1"),
    ];
    for (caller, conversation) in refusals {
        let refused = service
            .send(caller, send(conversation, caller, "hello"))
            .await
            .unwrap_err();
        assert_eq!(status(&refused), 403, "{} {conversation}", caller.id);
        assert!(
            service
                .read_page(caller, conversation, PageQuery::default())
                .await
                .is_err(),
            "{} reads {conversation}",
            caller.id
        );
    }
    // Another family's child, named in full: the one answer a stranger gets.
    for conversation in ["s3+t3", "t3+s3"] {
        let refused = service
            .read_page(&f.g1, conversation, PageQuery::default())
            .await
            .unwrap_err();
        assert_eq!(refused.to_string(), crate::policy::NOT_YOUR_CONVERSATION);
    }
    assert!(service.list_teachers(&f.g1, Some("s3")).await.is_err());
    assert!(service.list_teachers(&f.g2, Some("s1")).await.is_err());
    assert!(f.school.store.read_messages_of("g1+t3").await.is_empty());
}

#[tokio::test]
async fn oversight_follows_the_setting_is_audited_and_never_lets_a_guardian_write() {
    let f = families().await;
    let service = &f.school.service;
    service
        .send(&f.s1, send("s1+t1", &f.s1, "I was ill today"))
        .await
        .unwrap();
    // Off by default: forbidden, and nothing is audited.
    let refused = service
        .read_page(&f.g1, "s1+t1", PageQuery::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    assert!(!service.family_can_read(&f.s1).await.unwrap());
    assert!(service.list_teachers(&f.g1, Some("s1")).await.is_err());

    let admin = Actor::User(&f.admin);
    let on = SettingsPatch {
        guardian_oversight: Some(true),
        ..SettingsPatch::default()
    };
    assert!(
        service
            .update_settings(admin, on.clone())
            .await
            .unwrap()
            .guardian_oversight
    );
    // Turning it on again changes nothing and is not audited twice.
    service.update_settings(admin, on).await.unwrap();
    let audit = f.school.store.audit_log().await;
    let settings: Vec<&str> = audit
        .iter()
        .filter(|entry| entry.action == AuditAction::UpdateSettings)
        .map(|entry| entry.target.as_str())
        .collect();
    assert_eq!(settings, ["guardianOversight=on"]);
    assert!(service.family_can_read(&f.s1).await.unwrap());
    assert!(service.family_can_read(&f.s3).await.unwrap());
    assert!(!service.family_can_read(&f.t1).await.unwrap());
    assert!(!service.family_can_read(&f.g1).await.unwrap());

    let page = service
        .read_page(&f.g1, "t1+s1", PageQuery::default())
        .await
        .unwrap();
    assert_eq!(page.conversation_id.to_string(), "s1+t1");
    assert_eq!(page.page.messages.len(), 1);
    assert_eq!(page.peer_read_at, None);
    let teachers = service.list_teachers(&f.g1, Some("s1")).await.unwrap();
    assert_eq!(teachers.len(), 1);
    let reads: Vec<(String, String)> = f
        .school
        .store
        .audit_log()
        .await
        .iter()
        .filter(|entry| entry.action == AuditAction::GuardianRead)
        .map(|entry| (entry.actor.clone(), entry.target.clone()))
        .collect();
    assert_eq!(
        reads,
        [
            ("g1".to_owned(), "s1".to_owned()),
            ("g1".to_owned(), "s1+t1".to_owned())
        ]
    );
    // Still never a writer, a reader with a marker, or a live follower.
    let before = f.school.store.read_messages_of("s1+t1").await;
    assert_eq!(
        status(
            &service
                .send(&f.g1, send("s1+t1", &f.g1, "hi"))
                .await
                .unwrap_err()
        ),
        403
    );
    assert!(
        service
            .mark_read(&f.g1, "s1+t1", &before[0], None)
            .await
            .is_err()
    );
    assert!(service.follow(&f.g1, "s1+t1").await.is_err());
    assert!(service.typing(&f.g1, "s1+t1", None).await.is_err());
    assert_eq!(f.school.store.read_messages_of("s1+t1").await, before);
    // A child's conversation that does not exist is nobody's business.
    let unknown = service
        .read_page(&f.g1, "s1+t3", PageQuery::default())
        .await
        .unwrap_err();
    assert_eq!(unknown.to_string(), crate::policy::NOT_YOUR_CONVERSATION);
}

#[tokio::test]
async fn a_family_conversation_closes_when_its_last_child_link_ends() {
    let f = families().await;
    let service = &f.school.service;
    service
        .send(&f.g1, send("g1+t1", &f.g1, "hello"))
        .await
        .unwrap();
    // t1 teaches both children: unlinking one leaves the conversation open.
    service
        .remove_link(Actor::Operator, f.t1.id.as_str(), f.s1.id.as_str())
        .await
        .unwrap();
    service
        .send(&f.g1, send("g1+t1", &f.g1, "still here"))
        .await
        .unwrap();
    f.school.hub.published.lock().unwrap().clear();
    service
        .remove_link(Actor::Operator, f.t1.id.as_str(), f.s2.id.as_str())
        .await
        .unwrap();
    let closed: Vec<(String, bool)> = f
        .school
        .hub
        .published
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(_, event)| match event {
            Event::Link {
                conversation_id,
                linked,
            } => Some((conversation_id.to_string(), *linked)),
            _ => None,
        })
        .collect();
    assert!(closed.contains(&("g1+t1".to_owned(), false)), "{closed:?}");
    for (caller, conversation) in [(&f.g1, "g1+t1"), (&f.t1, "g1+t1")] {
        let refused = service
            .send(caller, send(conversation, caller, "more"))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::NotLinked, "{}", caller.id);
        let page = service
            .read_page(caller, conversation, PageQuery::default())
            .await
            .unwrap();
        assert_eq!(page.page.messages.len(), 2);
    }
    // The guardian's contact list no longer offers t1; their chat with t2 is untouched.
    let teachers = service.list_teachers(&f.g1, None).await.unwrap();
    assert_eq!(
        teachers
            .iter()
            .map(|line| line.peer.id.as_str())
            .collect::<Vec<_>>(),
        ["t2"]
    );
    // Removing the guardian link closes the rest.
    service
        .remove_guardian(Actor::Operator, f.g1.id.as_str(), f.s2.id.as_str())
        .await
        .unwrap();
    assert!(service.list_teachers(&f.g1, None).await.unwrap().is_empty());
}

#[tokio::test]
async fn guardian_links_are_for_a_guardian_and_a_student_and_audited() {
    let f = families().await;
    let service = &f.school.service;
    let admin = Actor::User(&f.admin);
    let bad = [
        ("t1", "s1", 422),
        ("g1", "t1", 422),
        ("g1", "g2", 422),
        ("nobody", "s1", 404),
        ("g1", "s1", 409),
        ("g1", "not valid", 400),
    ];
    for (guardian, student, expected) in bad {
        let refused = service
            .add_guardian(admin, guardian, student)
            .await
            .unwrap_err();
        assert_eq!(status(&refused), expected, "{guardian} {student}");
    }
    let refused = service
        .add_guardian(Actor::User(&f.t1), "g2", "s1")
        .await
        .unwrap_err();
    assert_eq!(status(&refused), 403);
    service.add_guardian(admin, "g2", "s1").await.unwrap();
    assert_eq!(
        status(
            &service
                .remove_guardian(admin, "g2", "s2")
                .await
                .unwrap_err()
        ),
        404
    );
    service.remove_guardian(admin, "g2", "s1").await.unwrap();
    let audit: Vec<(AuditAction, String)> = f
        .school
        .store
        .audit_log()
        .await
        .into_iter()
        .filter(|entry| entry.actor == "a1")
        .map(|entry| (entry.action, entry.target))
        .collect();
    assert_eq!(
        audit,
        [
            (AuditAction::RemoveGuardian, "g2~s1".to_owned()),
            (AuditAction::AddGuardian, "g2~s1".to_owned()),
        ]
    );
    // A guardian with children keeps their role.
    let refused = service
        .update_user(
            admin,
            "g1",
            crate::service::UserChanges {
                role: Some("teacher"),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(status(&refused), 409);
}

#[tokio::test]
async fn presence_crosses_family_links_both_ways() {
    let f = families().await;
    let service = &f.school.service;
    let peers = |user: &User| {
        let user = user.clone();
        async move {
            let peers = service.linked_peers(&user).await.unwrap();
            peers.iter().map(ToString::to_string).collect::<Vec<_>>()
        }
    };
    assert_eq!(peers(&f.g1).await, ["t1", "t2"]);
    assert_eq!(peers(&f.t1).await, ["s1", "s2", "g1"]);
    assert_eq!(peers(&f.t3).await, ["s3", "g2"]);
    assert_eq!(peers(&f.s1).await, ["t1"]);
    assert_eq!(peers(&f.t2).await, ["s2", "g1"]);
    assert!(peers(&f.admin).await.is_empty());
    assert!(peers(&f.g2).await == ["t3"]);
}
