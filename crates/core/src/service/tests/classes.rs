//! `announce` and `my_classes`: a copy per linked student, published to both sides and
//! carrying the announcement's id; a retry stores and tells nothing; a clientMessageId
//! cannot be reused for another class; refusals before and after the class is read; the
//! limits; and what each member sees of a class.

use super::{School, status};
use crate::ConversationId;
use crate::error::ErrorCode;
use crate::hub::Event;
use crate::policy::ClassView;
use crate::rate::Rate;
use crate::roster::{Class, RosterChanges, SourcedId};
use crate::service::{AnnounceRequest, Limits};
use crate::store::{PageRequest, Store};
use crate::user::{Role, User};

/// t1 teaches maths (s1, s2, s3) and art (s1); t1 is linked to s1 and s2 but not s3.
struct Classes {
    school: School,
    t1: User,
    t2: User,
    s1: User,
    admin: User,
}

async fn classes(limits: Limits) -> Classes {
    let school = School::with_limits(limits);
    let t1 = school.user("t1", Role::Teacher).await;
    let t2 = school.user("t2", Role::Teacher).await;
    let s1 = school.user("s1", Role::Student).await;
    let s2 = school.user("s2", Role::Student).await;
    let _s3 = school.user("s3", Role::Student).await;
    let admin = school.user("a1", Role::Admin).await;
    school.link(&t1, &s1).await;
    school.link(&t1, &s2).await;
    let class = |id: &str, students: &[&str]| Class {
        sourced_id: SourcedId::parse(id).unwrap(),
        title: id.to_uppercase(),
        teachers: vec![t1.id.clone()],
        students: students
            .iter()
            .map(|s| crate::ids::UserId::parse(s).unwrap())
            .collect(),
    };
    let changes = RosterChanges {
        created_classes: vec![class("art", &["s1"]), class("maths", &["s1", "s2", "s3"])],
        ..RosterChanges::default()
    };
    school.store.apply_roster(&changes).await.unwrap();
    school.store.take_calls();
    Classes {
        school,
        t1,
        t2,
        s1,
        admin,
    }
}

fn request<'a>(class_id: &'a str, body: &'a str, client_id: &'a str) -> AnnounceRequest<'a> {
    AnnounceRequest {
        class_id,
        message_body: body,
        client_message_id: client_id,
        origin: None,
    }
}

async fn history(school: &School, conversation: &str) -> usize {
    let conversation = ConversationId::parse_canonical(conversation).unwrap();
    let page = PageRequest {
        before: None,
        after: None,
        limit: 200,
    };
    school
        .store
        .read_messages(&conversation, &page)
        .await
        .unwrap()
        .messages
        .len()
}

#[tokio::test]
async fn an_announcement_is_a_copy_per_linked_student_published_to_both_sides() {
    let c = classes(Limits::default()).await;
    let sent = c
        .school
        .service
        .announce(&c.t1, request("maths", " Test on Monday ", "a-1"))
        .await
        .unwrap();
    assert!(sent.created);
    let conversations: Vec<String> = sent
        .messages
        .iter()
        .map(|message| message.conversation_id.to_string())
        .collect();
    assert_eq!(conversations, ["s1+t1", "s2+t1"], "s3 is not linked to t1");
    for message in &sent.messages {
        assert_eq!(message.announcement_id, Some(sent.id));
        assert_eq!(message.body.as_str(), "Test on Monday");
        assert_eq!(message.client_message_id, None);
    }
    let published = std::mem::take(&mut *c.school.hub.published.lock().unwrap());
    assert_eq!(published.len(), 2);
    for ((delivery, event), message) in published.iter().zip(&sent.messages) {
        assert_eq!(event, &Event::Message(message.clone()));
        let student = message.conversation_id.member().clone();
        assert_eq!(delivery.recipients, [student, c.t1.id.clone()]);
    }

    let again = c
        .school
        .service
        .announce(&c.t1, request("maths", "Test on Monday", "a-1"))
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!((again.id, &again.messages), (sent.id, &sent.messages));
    assert!(
        c.school.hub.published.lock().unwrap().is_empty(),
        "a retry tells nobody"
    );
    assert_eq!(history(&c.school, "s1+t1").await, 1);
}

#[tokio::test]
async fn a_client_message_id_is_one_announcement_of_one_class() {
    let c = classes(Limits::default()).await;
    c.school
        .service
        .announce(&c.t1, request("maths", "first", "same"))
        .await
        .unwrap();
    let error = c
        .school
        .service
        .announce(&c.t1, request("art", "second", "same"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ClientMessageIdReused);
    assert_eq!(status(&error), 409);
    assert_eq!(
        history(&c.school, "s1+t1").await,
        1,
        "art's copy was not stored"
    );
    // Even for a student who has no copy of the first announcement.
    let s9 = c.school.user("s9", Role::Student).await;
    c.school.link(&c.t1, &s9).await;
    let changes = RosterChanges {
        created_classes: vec![Class {
            sourced_id: SourcedId::parse("drama").unwrap(),
            title: "Drama".into(),
            teachers: vec![c.t1.id.clone()],
            students: vec![s9.id.clone()],
        }],
        ..RosterChanges::default()
    };
    c.school.store.apply_roster(&changes).await.unwrap();
    let error = c
        .school
        .service
        .announce(&c.t1, request("drama", "third", "same"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ClientMessageIdReused);
    assert_eq!(
        history(&c.school, "s9+t1").await,
        0,
        "nothing stored for drama"
    );
}

#[tokio::test]
async fn students_and_admins_are_refused_before_anything_is_read_other_teachers_after() {
    let c = classes(Limits::default()).await;
    for caller in [&c.s1, &c.admin] {
        let error = c
            .school
            .service
            .announce(caller, request("maths", "hi", "x"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::Forbidden);
        assert!(c.school.store.take_calls().is_empty(), "{}", caller.id);
    }
    let error = c
        .school
        .service
        .announce(&c.t2, request("maths", "hi", "x"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
    assert_eq!(c.school.store.take_calls(), ["class"]);
    let error = c
        .school
        .service
        .announce(&c.t1, request("nope", "hi", "x"))
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);
    for (class_id, body, client_id, code) in [
        ("", "hi", "x", ErrorCode::InvalidRequest),
        ("maths", "  ", "x", ErrorCode::InvalidMessageBody),
        ("maths", "hi", "", ErrorCode::InvalidClientMessageId),
    ] {
        let error = c
            .school
            .service
            .announce(&c.t1, request(class_id, body, client_id))
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{class_id:?} {body:?} {client_id:?}");
    }
    assert_eq!(history(&c.school, "s1+t1").await, 0);
}

#[tokio::test]
async fn an_announcement_is_one_send_and_has_a_limit_of_its_own() {
    let limits = Limits {
        send: Rate {
            per_second: 0.0,
            burst: 3.0,
        },
        announce: Rate {
            per_second: 0.0,
            burst: 2.0,
        },
        ..Limits::default()
    };
    let c = classes(limits).await;
    let service = &c.school.service;
    service
        .announce(&c.t1, request("maths", "1", "a"))
        .await
        .unwrap();
    service
        .announce(&c.t1, request("art", "2", "b"))
        .await
        .unwrap();
    let error = service
        .announce(&c.t1, request("maths", "3", "c"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::RateLimited);
    // Two announcements (three copies) took two of the three sends.
    let sent = service
        .send(
            &c.t1,
            crate::service::SendRequest {
                conversation_id: "s1+t1",
                author: "t1",
                message_body: "one more",
                client_message_id: None,
                origin: None,
                urgent: false,
            },
        )
        .await;
    assert!(sent.is_ok(), "{sent:?}");
}

#[tokio::test]
async fn a_teacher_sees_students_by_name_and_a_student_only_teachers() {
    let c = classes(Limits::default()).await;
    let mine = c.school.service.my_classes(&c.t1).await.unwrap();
    let ids: Vec<&str> = mine.iter().map(|class| class.id.as_str()).collect();
    assert_eq!(ids, ["art", "maths"]);
    let maths = &mine[1];
    assert_eq!(maths.view, ClassView::Teaching);
    let names: Vec<Option<&str>> = maths
        .students
        .iter()
        .map(|member| member.display_name.as_deref())
        .collect();
    assert_eq!(
        names,
        [Some("Name of s1"), Some("Name of s2"), Some("Name of s3")],
        "s3 is no contact, and still named"
    );
    let theirs = c.school.service.my_classes(&c.s1).await.unwrap();
    assert_eq!(theirs.len(), 2);
    for class in &theirs {
        assert_eq!(class.view, ClassView::Taking);
        assert!(class.students.is_empty(), "classmates stay private");
        assert_eq!(
            class.teachers[0].display_name.as_deref(),
            Some("Name of t1")
        );
    }
    assert!(
        c.school
            .service
            .my_classes(&c.admin)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(c.school.service.my_classes(&c.t2).await.unwrap().is_empty());
}
